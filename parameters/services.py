"""Writes for parameters: create, update, delete, restore, reveal, and key rotation.

Invariants, enforced here for every door:

- only members with manage_parameters write, restore or reveal;
- a name is unique per workspace and stage (a row lock serialises version numbers);
- every change of value or secrecy is kept as a new version; restoring copies an
  old version into a new one, so history is never rewritten;
- a secret value is stored only encrypted, in the parameter and in its versions,
  and is decrypted only for the reader that asked (selectors) or for a reveal,
  which the security log records;
- every completed change passes through `_changed`, once, after its rows are written.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Capability, Membership
from authtokens import services as authtoken_services
from authtokens.models import SecurityAction
from project.errors import DomainError, ErrorKind, forbidden, not_found
from webhooks import events

from . import crypto
from .models import Parameter, ParameterVersion
from .naming import DESCRIPTION_MAX, VALUE_MAX_BYTES, clean_name, clean_stage
from .selectors import parameter_value

# ---------------------------------------------------------------- helpers


def _require_manage(actor: Membership, parameter: Parameter | None = None, action: str = "do that") -> None:
    if parameter is not None and parameter.workspace_id != actor.workspace_id:
        raise not_found("parameter")
    if not actor.has_capability(Capability.MANAGE_PARAMETERS):
        raise forbidden(f"You need the “manage parameters” permission to {action}; ask a workspace admin.")


def _is_clean_text(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from JSON ("\ud800")
        return False
    return "\x00" not in text


def _clean_value(value) -> str:
    if not isinstance(value, str) or not _is_clean_text(value):
        raise DomainError("VALUE_INVALID", "Send the value as text without NUL characters.", field="value")
    if len(value.encode("utf-8")) > VALUE_MAX_BYTES:
        raise DomainError(
            "VALUE_TOO_LONG", f"Keep the value to {VALUE_MAX_BYTES} bytes (8 KB) of UTF-8.", field="value"
        )
    return value


def _clean_description(description) -> str:
    description = (description or "").strip() if isinstance(description, str) else None
    if description is None or not _is_clean_text(description) or len(description) > DESCRIPTION_MAX:
        raise DomainError(
            "DESCRIPTION_INVALID",
            f"Keep the description to {DESCRIPTION_MAX} characters of text.",
            field="description",
        )
    return description


def _stored(value: str, is_secret: bool) -> str:
    return crypto.encrypt(value) if is_secret else value


def _differs(parameter: Parameter, value: str) -> bool:
    try:
        return parameter_value(parameter) != value
    except DomainError:  # under a key that is gone: a new value replaces it
        return True


def _locked(parameter: Parameter) -> Parameter:
    return Parameter.objects.select_for_update().get(pk=parameter.pk)


def _new_version(parameter: Parameter, *, actor: Membership, note: str) -> ParameterVersion:
    now = timezone.now()
    parameter.updated_at, parameter.updated_by = now, actor.user
    parameter.save()
    return ParameterVersion.objects.create(
        parameter=parameter,
        version=parameter.version,
        is_secret=parameter.is_secret,
        stored_value=parameter.stored_value,
        changed_by=actor.user,
        changed_at=now,
        note=note,
    )


def _changed(parameter: Parameter, *, action: str) -> None:
    """The one place a parameter change is complete (created, updated, restored or deleted):
    webhooks hear of it as `parameter.changed` (name, stage, version; never the value)."""
    events.emit("parameter.changed", events.ParameterChange(parameter, action))


# ---------------------------------------------------------------- writes


@transaction.atomic
def parameter_create(
    *,
    actor: Membership,
    stage: str,
    name: str,
    value: str,
    is_secret: bool = False,
    description: str = "",
) -> Parameter:
    _require_manage(actor, action="create parameters")
    stage, name = clean_stage(stage), clean_name(name)
    value, description = _clean_value(value), _clean_description(description)
    taken = DomainError(
        "PARAMETER_EXISTS",
        f"“{name}” already exists in stage “{stage}”; edit it instead, or choose another name.",
        kind=ErrorKind.CONFLICT,
        field="name",
    )
    if Parameter.objects.filter(workspace_id=actor.workspace_id, stage=stage, name=name).exists():
        raise taken
    parameter = Parameter(
        workspace_id=actor.workspace_id,
        stage=stage,
        name=name,
        is_secret=bool(is_secret),
        stored_value=_stored(value, bool(is_secret)),
        description=description,
        version=1,
    )
    try:
        with transaction.atomic():  # a concurrent create of the same name loses here, not with a 500
            _new_version(parameter, actor=actor, note="Created")
    except IntegrityError:
        raise taken from None
    _changed(parameter, action="created")
    return parameter


@transaction.atomic
def parameter_update(
    *,
    actor: Membership,
    parameter: Parameter,
    value: str | None = None,
    is_secret: bool | None = None,
    description: str | None = None,
) -> Parameter:
    """Changes what is given (None keeps it). A new value or secrecy makes a new version."""
    _require_manage(actor, parameter, action="change parameters")
    parameter = _locked(parameter)
    new_secret = parameter.is_secret if is_secret is None else bool(is_secret)
    new_value = parameter_value(parameter) if value is None else _clean_value(value)
    if description is not None:
        parameter.description = _clean_description(description)
    value_changed = new_secret != parameter.is_secret or value is not None and _differs(parameter, new_value)
    if value_changed:
        parameter.is_secret, parameter.stored_value = new_secret, _stored(new_value, new_secret)
        parameter.version += 1
        _new_version(parameter, actor=actor, note="Changed")
    else:
        parameter.updated_at, parameter.updated_by = timezone.now(), actor.user
        parameter.save(update_fields=["description", "updated_at", "updated_by"])
    _changed(parameter, action="updated")
    return parameter


@transaction.atomic
def parameter_restore(*, actor: Membership, parameter: Parameter, version: int) -> Parameter:
    """Makes an old version current again, as a new version (the history stays as it was)."""
    _require_manage(actor, parameter, action="restore parameters")
    parameter = _locked(parameter)
    old = ParameterVersion.objects.filter(parameter=parameter, version=version).first()
    if old is None:
        raise not_found("version of this parameter")
    parameter.is_secret, parameter.stored_value = old.is_secret, old.stored_value
    parameter.version += 1
    _new_version(parameter, actor=actor, note=f"Restored from v{old.version}")
    _changed(parameter, action="restored")
    return parameter


@transaction.atomic
def parameter_delete(*, actor: Membership, parameter: Parameter) -> None:
    """Deletes the parameter of that stage with its versions; a stage then falls back to `default` again."""
    _require_manage(actor, parameter, action="delete parameters")
    parameter = _locked(parameter)
    parameter.delete()
    _changed(parameter, action="deleted")


@transaction.atomic
def parameter_reveal(*, actor: Membership, parameter: Parameter, ip: str | None = None) -> str:
    """A secret's value for a person, once, recorded in the security log (who, when, which parameter)."""
    _require_manage(actor, parameter, action="reveal secret values")
    value = parameter_value(parameter)
    if parameter.is_secret:
        authtoken_services.security_event_record(
            workspace_id=parameter.workspace_id,
            action=SecurityAction.PARAMETER_REVEALED,
            actor=actor.user,
            ip=ip,
            detail=f"Revealed {parameter.name} (stage {parameter.stage}, v{parameter.version}).",
        )
    return value


# ---------------------------------------------------------------- operator (manage.py)


@transaction.atomic
def parameter_keys_rotate(*, batch_size: int = 500) -> int:
    """Re-encrypts every secret value (parameters and versions) under the newest key; returns rows touched.

    Staff-only, across workspaces. All or nothing: a row no configured key opens
    raises PARAMETER_KEY_MISSING and nothing is changed.
    """
    touched = 0
    for model in (Parameter, ParameterVersion):
        rows = model.objects.select_for_update().filter(is_secret=True).only("pk", "stored_value")
        batch = []
        for row in rows.iterator(chunk_size=batch_size):
            row.stored_value = crypto.reencrypt(row.stored_value)
            batch.append(row)
            if len(batch) >= batch_size:
                touched += model.objects.bulk_update(batch, ["stored_value"])
                batch = []
        touched += model.objects.bulk_update(batch, ["stored_value"]) if batch else 0
    return touched
