"""Reads for parameters, always scoped to the workspace and filtered by the reader.

The reader is a member (session or developer token) or a CI token. One rule
decides what a reader sees (`_check_reader`): a CI token limited to some stages
finds nothing outside them (404, as if the stage were empty), and secret values
are decrypted only for CI tokens and members with manage_parameters.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from django.db.models import QuerySet

from accounts.models import Capability, Membership, Workspace
from project.errors import DomainError, ErrorKind, forbidden, not_found

from . import crypto
from .models import DEFAULT_STAGE, Parameter, ParameterVersion
from .naming import clean_name, clean_stage

PLACEHOLDER_RE = re.compile(r"\$\{param:([A-Za-z0-9_./-]{1,128})\}")
SECRET_READ_MESSAGE = (
    "Reading secret values needs the “manage parameters” permission or a CI token; ask a workspace admin."
)


@dataclass(frozen=True)
class Reader:
    """Who reads: a member (session or developer token), or a CI token (membership None)."""

    membership: Membership | None
    token: object | None = None  # authtokens.AuthToken

    @property
    def may_read_secrets(self) -> bool:
        if self.membership is None:
            return self.token is not None and self.token.is_ci
        return self.membership.has_capability(Capability.MANAGE_PARAMETERS)

    def may_read_stage(self, stage: str) -> bool:
        allowed = getattr(self.token, "parameter_stages", None) if self.membership is None else None
        return not allowed or stage in allowed


def _check_reader(reader: Reader, stage: str) -> None:
    if not reader.may_read_stage(stage):
        raise DomainError("STAGE_NOT_FOUND", f"Stage “{stage}” has no parameters.", kind=ErrorKind.NOT_FOUND)


def stored_value_open(*, is_secret: bool, stored_value: str) -> str:
    return crypto.decrypt(stored_value) if is_secret else stored_value


def parameter_value(parameter: Parameter | ParameterVersion) -> str:
    return stored_value_open(is_secret=parameter.is_secret, stored_value=parameter.stored_value)


# ---------------------------------------------------------------- dashboard and management


def parameter_stage_list(*, workspace: Workspace) -> list[str]:
    stages = set(Parameter.objects.filter(workspace=workspace).values_list("stage", flat=True).distinct())
    return [DEFAULT_STAGE] + sorted(stages - {DEFAULT_STAGE})


def parameter_get(*, workspace: Workspace, parameter_id) -> Parameter:
    parameter = (
        Parameter.objects.select_related("updated_by")
        .filter(workspace=workspace, pk=parameter_id if str(parameter_id).isdigit() else None)
        .first()
    )
    if parameter is None:
        raise not_found("parameter")
    return parameter


def parameter_get_by_name(*, workspace: Workspace, stage: str, name: str) -> Parameter:
    """The parameter of exactly that stage (no fallback): what writes act on."""
    stage, name = clean_stage(stage), clean_name(name)
    parameter = Parameter.objects.filter(workspace=workspace, stage=stage, name=name).first()
    if parameter is None:
        raise not_found("parameter in this stage")
    return parameter


def parameter_version_list(*, parameter: Parameter) -> QuerySet[ParameterVersion]:
    return ParameterVersion.objects.filter(parameter=parameter).select_related("changed_by")


def parameter_version_get(*, parameter: Parameter, version) -> ParameterVersion:
    found = ParameterVersion.objects.filter(parameter=parameter, version=version).first()
    if found is None:
        raise not_found("version of this parameter")
    return found


# ---------------------------------------------------------------- resolved reads (stage over default)


def parameter_resolve_rows(*, workspace: Workspace, stage: str, reader: Reader) -> list[Parameter]:
    """The parameters a stage sees, by name: its own, then `default` for names it lacks. One query."""
    stage = clean_stage(stage)
    _check_reader(reader, stage)
    rows = (
        Parameter.objects.filter(workspace=workspace, stage__in={stage, DEFAULT_STAGE})
        .select_related("updated_by")
        .order_by("name")
    )
    resolved: dict[str, Parameter] = {}
    for row in rows:
        if row.name not in resolved or row.stage == stage:
            resolved[row.name] = row
    return list(resolved.values())


def resolved_etag(rows: list[Parameter], variant: str = "") -> str:
    """Changes whenever any resolved value does, without decrypting anything (ids and version numbers)."""
    digest = hashlib.sha256(variant.encode())
    for row in rows:
        digest.update(f"{row.pk}:{row.version};".encode())
    return f'"{digest.hexdigest()[:32]}"'


def resolved_values(rows: list[Parameter], reader: Reader) -> dict[str, str]:
    if any(row.is_secret for row in rows) and not reader.may_read_secrets:
        raise forbidden(SECRET_READ_MESSAGE, code="SECRET_READ_FORBIDDEN")
    return {row.name: parameter_value(row) for row in rows}


def parameter_resolve_one(*, workspace: Workspace, stage: str, name: str, reader: Reader) -> Parameter:
    name = clean_name(name)
    for row in parameter_resolve_rows(workspace=workspace, stage=stage, reader=reader):
        if row.name == name:
            return row
    raise not_found("parameter in this stage or in default")


def parameter_render(*, workspace: Workspace, stage: str, template: str, reader: Reader) -> str:
    """The template with every ${param:NAME} replaced; 422 naming every unknown name, nothing half-done."""
    rows = parameter_resolve_rows(workspace=workspace, stage=stage, reader=reader)
    wanted = set(PLACEHOLDER_RE.findall(template))
    by_name = {row.name: row for row in rows if row.name in wanted}
    missing = sorted(wanted - set(by_name))
    if missing:
        raise DomainError(
            "PARAMETER_MISSING",
            f"No parameter named {', '.join(missing)} in stage “{stage}” or default; "
            "create them or fix the template.",
            kind=ErrorKind.UNPROCESSABLE,
            field="template",
        )
    values = resolved_values(list(by_name.values()), reader)
    return PLACEHOLDER_RE.sub(lambda match: values[match.group(1)], template)
