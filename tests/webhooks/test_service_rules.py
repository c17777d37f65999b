"""The webhook services' own rules, which hold whichever door (API, dashboard, admin) calls them."""

import base64
from datetime import timedelta

import pytest
from django.utils import timezone

from licensing.services import licenses as license_services
from project.errors import DomainError
from tests.factories import UserFactory
from tests.licensing.factories import LicenseFactory
from tests.webhooks.secrets import signing_secrets
from webhooks import services
from webhooks.events import EVENT_TYPES
from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent

pytestmark = pytest.mark.django_db

URL = "https://93.184.216.34/hooks"


def refusal(call):
    with pytest.raises(DomainError) as refused:
        call()
    return refused.value


@pytest.mark.parametrize("description", ["nul\x00byte", "d" * 201])
def test_a_bad_description_is_refused_naming_the_field(owner, description):
    error = refusal(
        lambda: services.endpoint_create(
            actor=owner, url=URL, event_types=["license.created"], description=description
        )
    )
    assert (error.code, error.field, error.message) == (
        "INVALID_DESCRIPTION",
        "description",
        "Keep the description to 200 characters of plain text.",
    )
    assert not WebhookEndpoint.objects.exists()


def test_a_description_of_200_characters_is_kept_trimmed(owner):
    endpoint, _ = services.endpoint_create(
        actor=owner, url=URL, event_types=["license.created"], description=f"  {'d' * 200}  "
    )
    assert endpoint.description == "d" * 200


@pytest.mark.parametrize("event_types", [[], None, "license.created", ()])
def test_no_event_types_is_refused(owner, event_types):
    error = refusal(lambda: services.endpoint_create(actor=owner, url=URL, event_types=event_types))
    assert (error.code, error.field, error.message) == (
        "EVENT_TYPES_REQUIRED",
        "event_types",
        "Choose at least one event type to receive.",
    )


@pytest.mark.parametrize("unknown", ["license.exploded", 7, "x" * 100])
def test_an_unknown_event_type_is_refused_naming_it_and_the_known_ones(owner, unknown):
    error = refusal(
        lambda: services.endpoint_create(actor=owner, url=URL, event_types=["license.created", unknown])
    )
    assert (error.code, error.field) == ("UNKNOWN_EVENT_TYPE", "event_types")
    assert error.message == (
        f"Unknown event type {str(unknown)[:64]!r}; use one of {', '.join(EVENT_TYPES)}."
    )


def test_event_types_are_kept_once_each_in_the_documented_order(owner):
    endpoint, _ = services.endpoint_create(
        actor=owner, url=URL, event_types=["member.added", "license.created", "member.added"]
    )
    assert endpoint.event_types == ["license.created", "member.added"]


def test_event_types_follow_the_documented_order_not_the_alphabet(owner):
    endpoint, _ = services.endpoint_create(
        actor=owner,
        url=URL,
        event_types=["grant.created", "token.created", "license.revoked", "license.created"],
    )
    assert endpoint.event_types == ["license.created", "license.revoked", "token.created", "grant.created"]


def test_an_unknown_payload_format_is_refused_naming_the_formats(owner):
    error = refusal(
        lambda: services.endpoint_create(
            actor=owner, url=URL, event_types=["license.created"], payload_format="xml"
        )
    )
    assert (error.code, error.field, error.message) == (
        "PAYLOAD_FORMAT_INVALID",
        "payload_format",
        "The payload format must be one of keyward, dodo.",
    )
    endpoint, _ = services.endpoint_create(actor=owner, url=URL, event_types=["license.created"])
    endpoint = services.endpoint_update(actor=owner, endpoint=endpoint, payload_format="dodo")
    assert endpoint.payload_format == "dodo"
    assert refusal(
        lambda: services.endpoint_update(actor=owner, endpoint=endpoint, payload_format="")
    ).code == ("PAYLOAD_FORMAT_INVALID")


def test_who_may_manage_is_told_exactly_what_to_do(owner, member, outsider):
    endpoint, _ = services.endpoint_create(actor=owner, url=URL, event_types=["license.created"])
    refused = refusal(lambda: services.endpoint_delete(actor=member, endpoint=endpoint))
    assert (refused.code, refused.message) == (
        "PERMISSION_DENIED",
        "You need the “manage members” permission to manage webhooks; ask a workspace admin.",
    )
    elsewhere = refusal(lambda: services.endpoint_delete(actor=outsider, endpoint=endpoint))
    assert (elsewhere.code, elsewhere.message) == (
        "NOT_FOUND",
        "No such webhook endpoint; check the identifier.",
    )
    not_staff = refusal(
        lambda: services.endpoint_create(actor=UserFactory(), url=URL, event_types=["license.created"])
    )
    assert (not_staff.code, not_staff.message) == (
        "PERMISSION_DENIED",
        "Only support staff can manage vendor webhook endpoints.",
    )
    assert WebhookEndpoint.objects.get() == endpoint


def test_an_endpoint_records_who_made_it_a_member_or_a_staff_user(owner, workspace):
    mine, _ = services.endpoint_create(actor=owner, url=URL, event_types=["license.created"])
    staff = UserFactory(is_staff=True)
    vendor, _ = services.endpoint_create(actor=staff, url=URL, event_types=["license.created"])
    assert (mine.workspace, mine.created_by) == (workspace, owner.user)
    assert (vendor.workspace, vendor.created_by) == (None, staff)
    assert WebhookEndpoint.objects.get(pk=mine.pk).created_by == owner.user


def test_an_endpoint_created_disabled_hears_nothing_until_enabled(owner, workspace):
    endpoint, _ = services.endpoint_create(
        actor=owner, url=URL, event_types=["license.revoked"], enabled=False
    )
    assert not WebhookEndpoint.objects.get(pk=endpoint.pk).enabled
    license_services.license_revoke(license=LicenseFactory(workspace=workspace))
    assert not WebhookDelivery.objects.exists()

    services.endpoint_update(actor=owner, endpoint=endpoint, enabled=True)
    license_services.license_revoke(license=LicenseFactory(workspace=workspace))
    assert WebhookDelivery.objects.get().endpoint == endpoint


def test_an_update_changes_only_what_is_given(owner):
    endpoint, _ = services.endpoint_create(
        actor=owner, url=URL, event_types=["license.created"], description="CRM"
    )
    services.endpoint_update(
        actor=owner, endpoint=endpoint, url="https://93.184.216.35/new", event_types=["member.added"]
    )
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.event_types, endpoint.description, endpoint.enabled) == (
        "https://93.184.216.35/new",
        ["member.added"],
        "CRM",
        True,
    )
    services.endpoint_update(actor=owner, endpoint=endpoint, description="  Billing  ")
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.event_types, endpoint.description) == (
        "https://93.184.216.35/new",
        ["member.added"],
        "Billing",
    )


def test_after_a_rotation_the_old_secret_keeps_signing_for_exactly_24_hours(owner):
    endpoint, old = services.endpoint_create(actor=owner, url=URL, event_types=["license.created"])
    before = timezone.now()
    endpoint, new = services.endpoint_rotate_secret(actor=owner, endpoint=endpoint)
    assert signing_secrets(endpoint) == [new, old] and new != old
    assert before + timedelta(hours=24) <= endpoint.previous_secret_expires_at
    assert endpoint.previous_secret_expires_at <= timezone.now() + timedelta(hours=24)


def test_a_signing_secret_is_whsec_and_32_random_bytes_new_on_each_rotation(owner):
    endpoint, first = services.endpoint_create(actor=owner, url=URL, event_types=["license.created"])
    _, second = services.endpoint_rotate_secret(actor=owner, endpoint=endpoint)
    for secret in (first, second):
        assert secret.startswith("whsec_") and len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert first != second


def test_an_event_is_recorded_at_the_time_its_payload_states(owner, workspace):
    services.endpoint_create(actor=owner, url=URL, event_types=["license.revoked"])
    license_services.license_revoke(license=LicenseFactory(workspace=workspace))
    event = WebhookEvent.objects.get()
    delivery = WebhookDelivery.objects.get()
    assert event.payload["timestamp"] == event.created_at.isoformat()
    assert delivery.next_attempt_at == event.created_at
