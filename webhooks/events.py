"""Webhook event types and their payloads.

Services announce a change with one line, `events.emit("license.updated", license)`, inside their
transaction. Adding an event type is one line in EVENT_TYPES: its name and the function that turns
the changed object into a `Rendered` (workspace, data, ordering key), asked only when an endpoint
listens. `data` reuses the REST API's
output serializers, so a webhook carries the same object shape as the API; never a token, a hash
or an encrypted policy's key.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder

from project.logs import log_change


@dataclass(frozen=True)
class Rendered:
    workspace_id: int | None  # None: only vendor (staff) endpoints hear it
    data: dict
    ordering_key: str = ""  # deliveries sharing a key go out one by one, in event order


@dataclass(frozen=True)
class Subject:
    """What an event is about: whose it is (cheap, asked first) and its payload (only if anyone listens)."""

    workspace_id: Callable[[object], int | None]
    render: Callable[[object], Rendered]


def _plain(data) -> dict:
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def render_license(license) -> Rendered:
    from licensing.api.serializers import LicenseOutputSerializer

    data = LicenseOutputSerializer(license).data
    return Rendered(license.workspace_id, _plain(data), f"license:{license.public_id}")


def render_activation(activation) -> Rendered:
    from licensing.api.serializers import ActivationOutputSerializer, LicenseOutputSerializer

    license = activation.license
    data = {
        "activation": ActivationOutputSerializer(activation).data,
        "license": LicenseOutputSerializer(license).data,
    }
    return Rendered(license.workspace_id, _plain(data), f"license:{license.public_id}")


def render_token(token) -> Rendered:
    from authtokens.api.serializers import TokenOutputSerializer

    return Rendered(token.workspace_id, _plain(TokenOutputSerializer(token).data), f"token:{token.public_id}")


def render_member(membership) -> Rendered:
    from accounts.api.serializers import MemberOutputSerializer

    data = MemberOutputSerializer(membership).data
    return Rendered(membership.workspace_id, _plain(data), f"member:{membership.user_id}")


@dataclass(frozen=True)
class ParameterChange:
    parameter: object
    action: str  # created, updated, restored or deleted


def render_parameter_change(change: ParameterChange) -> Rendered:
    parameter = change.parameter  # name, stage and version only: never the value
    data = {"name": parameter.name, "stage": parameter.stage, "version": parameter.version}
    data["action"] = change.action
    return Rendered(parameter.workspace_id, data, f"parameter:{parameter.workspace_id}:{parameter.stage}")


def render_grant(grant) -> Rendered:
    from commerce.api.serializers import GrantOutputSerializer

    return Rendered(grant.workspace_id, _plain(GrantOutputSerializer(grant).data), f"grant:{grant.public_id}")


def render_test(endpoint) -> Rendered:
    return Rendered(endpoint.workspace_id, {"message": "A test event from Keyward.", "endpoint": endpoint.pk})


LICENSE = Subject(lambda license: license.workspace_id, render_license)
ACTIVATION = Subject(lambda activation: activation.license.workspace_id, render_activation)
TOKEN = Subject(lambda token: token.workspace_id, render_token)
MEMBER = Subject(lambda membership: membership.workspace_id, render_member)
PARAMETER = Subject(lambda change: change.parameter.workspace_id, render_parameter_change)
GRANT = Subject(lambda grant: grant.workspace_id, render_grant)

EVENT_TYPES: dict[str, Subject] = {
    "license.created": LICENSE,
    "license.updated": LICENSE,
    "license.revoked": LICENSE,
    "license.activated": ACTIVATION,
    "license.deactivated": ACTIVATION,
    "token.created": TOKEN,
    "token.revoked": TOKEN,
    "token.leaked": TOKEN,
    "member.added": MEMBER,
    "member.removed": MEMBER,
    "parameter.changed": PARAMETER,
    "grant.created": GRANT,
    "grant.delivered": GRANT,
    "grant.failed": GRANT,
    "grant.revoked": GRANT,
}
TEST_EVENT_TYPE = "webhook.test"  # sent on request to one endpoint; nobody subscribes to it


def emit(event_type: str, obj) -> None:
    """Records `event_type` about `obj` in the outbox, in the caller's transaction."""
    from .services import event_record

    subject = EVENT_TYPES[event_type]
    object_id = getattr(obj, "public_id", None) or getattr(obj, "pk", None)
    log_change(event_type, workspace_id=subject.workspace_id(obj), object_id=object_id)
    event_record(
        event_type=event_type,
        workspace_id=subject.workspace_id(obj),
        render=lambda: subject.render(obj),
        subject=obj,
    )
