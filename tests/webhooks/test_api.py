"""The webhooks REST API: workspace endpoints (manage members) and the vendor's (staff)."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory
from tests.licensing.factories import LicenseFactory
from tests.webhooks.secrets import current_secret, signing_secrets
from webhooks import services
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

GOOD = {"url": "https://93.184.216.34/hooks", "event_types": ["license.created", "license.revoked"]}


def url(name, workspace="acme", **kwargs):
    return reverse(f"webhooks_api:workspace-{name}", kwargs={"workspace_slug": workspace, **kwargs})


@pytest.fixture
def endpoint(owner):
    return services.endpoint_create(actor=owner, **GOOD)[0]


def test_create_shows_the_secret_once_then_never(client_for, owner):
    response = client_for(owner).post(url("endpoint-list"), {**GOOD, "description": "CRM"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["secret"].startswith("whsec_") and body["event_types"] == GOOD["event_types"]
    listed = client_for(owner).get(url("endpoint-list")).json()
    assert [e["id"] for e in listed] == [body["id"]] and "secret" not in listed[0]
    detail = client_for(owner).get(url("endpoint-detail", endpoint_id=body["id"])).json()
    assert "secret" not in detail and body["secret"] not in str(detail)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**GOOD, "url": "not a url"}, "url"),
        ({**GOOD, "url": "ftp://93.184.216.34/x"}, "url"),
        ({**GOOD, "url": "http://93.184.216.34/x"}, "url"),
        ({**GOOD, "url": "https://10.0.0.5/hooks"}, "url"),
        ({**GOOD, "url": "https://127.0.0.1/hooks"}, "url"),
        ({**GOOD, "url": "https://169.254.169.254/latest"}, "url"),
        ({**GOOD, "url": "https://[::1]/hooks"}, "url"),
        ({**GOOD, "url": "https://[::ffff:10.0.0.1]/hooks"}, "url"),
        ({**GOOD, "url": "https://localhost/hooks"}, "url"),
        ({**GOOD, "url": "https://user:pw@93.184.216.34/hooks"}, "url"),
        ({**GOOD, "url": "https://93.184.216.34/\x00"}, "url"),
        ({**GOOD, "url": "https://93.184.216.34:99999/x"}, "url"),
        ({**GOOD, "url": 5}, "url"),
        ({**GOOD, "url": "https://a.example/" + "x" * 3000}, "url"),
        ({**GOOD, "event_types": ["license.exploded"]}, "event_types"),
        ({**GOOD, "event_types": []}, "event_types"),
        ({**GOOD, "event_types": "license.created"}, "event_types"),
        ({**GOOD, "event_types": [7]}, "event_types"),
        ({**GOOD, "event_types": [{"a": [[[]]]}]}, "event_types"),
        ({**GOOD, "description": "x" * 201}, "description"),
        ({"event_types": GOOD["event_types"]}, "url"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(client_for, owner, body, field):
    response = client_for(owner).post(url("endpoint-list"), body, format="json")
    assert response.status_code == 400, response.json()
    assert field in {name.split(".")[0] for name in response.json()["fields"]}, response.json()
    assert not WebhookEndpoint.objects.exists()


def test_deeply_nested_json_is_a_4xx(client_for, owner):
    nested = "[" * 5000 + "]" * 5000
    response = client_for(owner).post(
        url("endpoint-list"),
        data=f'{{"url": "https://93.184.216.34/", "event_types": {nested}}}',
        content_type="application/json",
    )
    assert 400 <= response.status_code < 500
    assert not WebhookEndpoint.objects.exists()


def test_bad_patch_changes_nothing(client_for, owner, endpoint):
    response = client_for(owner).patch(
        url("endpoint-detail", endpoint_id=endpoint.pk),
        {"description": "new", "event_types": ["nope"]},
        format="json",
    )
    assert response.status_code == 400 and "event_types" in response.json()["fields"]
    endpoint.refresh_from_db()
    assert endpoint.description == "" and endpoint.event_types == GOOD["event_types"]


def test_patch_disables_and_enables(client_for, owner, endpoint):
    client = client_for(owner)
    response = client.patch(
        url("endpoint-detail", endpoint_id=endpoint.pk), {"enabled": False}, format="json"
    )
    assert response.json()["enabled"] is False
    assert response.json()["disabled_reason"] == "Disabled by a person."
    response = client.patch(url("endpoint-detail", endpoint_id=endpoint.pk), {"enabled": True}, format="json")
    assert response.json()["enabled"] is True and response.json()["disabled_reason"] == ""


def test_rotate_returns_a_new_secret(client_for, owner, endpoint):
    old = current_secret(endpoint)
    response = client_for(owner).post(url("endpoint-rotate-secret", endpoint_id=endpoint.pk))
    assert response.status_code == 200 and response.json()["secret"] != old
    assert signing_secrets(endpoint) == [response.json()["secret"], old]


def test_deliveries_log_test_event_and_redeliver(client_for, owner, endpoint, django_assert_max_num_queries):
    client = client_for(owner)
    response = client.post(url("endpoint-test", endpoint_id=endpoint.pk))
    assert response.status_code == 202 and response.json()["event_type"] == "webhook.test"
    delivery_id = response.json()["id"]
    response = client.post(url("delivery-redeliver", endpoint_id=endpoint.pk, delivery_id=delivery_id))
    assert response.status_code == 202
    redelivered = WebhookDelivery.objects.get(pk=response.json()["id"])
    assert redelivered.event_id == WebhookDelivery.objects.get(pk=delivery_id).event_id  # same webhook-id
    with django_assert_max_num_queries(8):
        log = client.get(url("delivery-list", endpoint_id=endpoint.pk)).json()
    assert {d["id"] for d in log} == {delivery_id, redelivered.pk}
    assert all("attempt_log" in d for d in log)


def test_a_member_without_manage_members_is_refused(client_for, member, endpoint):
    client = client_for(member)
    assert client.get(url("endpoint-list")).status_code == 403
    assert client.post(url("endpoint-list"), GOOD, format="json").status_code == 403
    assert client.get(url("endpoint-detail", endpoint_id=endpoint.pk)).status_code == 403
    assert client.delete(url("endpoint-detail", endpoint_id=endpoint.pk)).status_code == 403
    assert WebhookEndpoint.objects.count() == 1


def test_another_workspaces_member_gets_404_everywhere(client_for, outsider, endpoint, owner):
    delivery = services.endpoint_send_test(actor=owner, endpoint=endpoint)
    client = client_for(outsider)
    ids = {"endpoint_id": endpoint.pk}
    requests = [
        ("get", url("endpoint-list"), None),
        ("post", url("endpoint-list"), GOOD),
        ("get", url("endpoint-detail", **ids), None),
        ("patch", url("endpoint-detail", **ids), {"enabled": False}),
        ("delete", url("endpoint-detail", **ids), None),
        ("post", url("endpoint-rotate-secret", **ids), None),
        ("post", url("endpoint-test", **ids), None),
        ("get", url("delivery-list", **ids), None),
        ("post", url("delivery-redeliver", delivery_id=delivery.pk, **ids), None),
    ]
    for method, path, body in requests:
        response = getattr(client, method)(path, body, format="json")
        assert response.status_code == 404, (method, path, response.status_code)
    # Their own workspace's URL with our endpoint's id is 404 as well.
    response = client.get(url("endpoint-detail", workspace="globex", endpoint_id=endpoint.pk))
    assert response.status_code == 404
    endpoint.refresh_from_db()
    assert endpoint.enabled and WebhookEndpoint.objects.count() == 1


def test_huge_ids_are_404(client_for, owner):
    response = client_for(owner).get(url("endpoint-detail", endpoint_id=10**30))
    assert response.status_code == 404


def test_vendor_endpoints_are_staff_only_and_hear_every_workspace(client_for, owner, workspace, settings):
    staff = UserFactory(is_staff=True)
    body = {**GOOD, "event_types": ["license.created"]}
    assert client_for(owner).post("/api/v1/staff/webhooks/endpoints/", body, format="json").status_code == 403
    response = client_for(staff).post("/api/v1/staff/webhooks/endpoints/", body, format="json")
    assert response.status_code == 201 and response.json()["secret"].startswith("whsec_")
    vendor = WebhookEndpoint.objects.get(pk=response.json()["id"])
    assert vendor.workspace is None
    # A workspace cannot reach the vendor's endpoint through its own URLs.
    assert client_for(owner).get(url("endpoint-detail", endpoint_id=vendor.pk)).status_code == 404

    from licensing.services.licenses import license_create

    license_create(policy=LicenseFactory().policy, workspace=workspace)
    assert WebhookDelivery.objects.filter(endpoint=vendor, event__type="license.created").count() == 1


def test_event_types_are_listed(client_for, owner):
    types = [item["type"] for item in client_for(owner).get("/api/v1/webhooks/event-types/").json()]
    assert "license.activated" in types and "member.removed" in types
