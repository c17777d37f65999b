"""Webhook event types and their payloads.

Services announce a change with one line, `events.emit("license.updated", license)`, inside their
transaction. Adding an event type is one line in EVENT_TYPES: its name and the function that turns
the changed object into a `Rendered` (workspace, data, ordering key). `data` reuses the REST API's
output serializers, so a webhook carries the same object shape as the API; never a token, a hash
or an encrypted policy's key.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder


@dataclass(frozen=True)
class Rendered:
    workspace_id: int | None  # None: only vendor (staff) endpoints hear it
    data: dict
    ordering_key: str = ""  # deliveries sharing a key go out one by one, in event order


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


def render_test(endpoint) -> Rendered:
    return Rendered(endpoint.workspace_id, {"message": "A test event from Keyward.", "endpoint": endpoint.pk})


EVENT_TYPES: dict[str, Callable[[object], Rendered]] = {
    "license.created": render_license,
    "license.updated": render_license,
    "license.revoked": render_license,
    "license.activated": render_activation,
    "license.deactivated": render_activation,
    "token.created": render_token,
    "token.revoked": render_token,
    "token.leaked": render_token,
    "member.added": render_member,
    "member.removed": render_member,
}
TEST_EVENT_TYPE = "webhook.test"  # sent on request to one endpoint; nobody subscribes to it


def emit(event_type: str, obj) -> None:
    """Records `event_type` about `obj` in the outbox, in the caller's transaction."""
    from .services import event_record

    event_record(event_type=event_type, rendered=EVENT_TYPES[event_type](obj))
