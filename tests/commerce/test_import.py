"""Import: all or nothing, bad rows reported by line and field, source import, no e-mail."""

import pytest
from django.core import mail

from licensing.models import License
from tests.factories import UserFactory
from tests.licensing.factories import LicenseFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/staff/licenses/import/"


@pytest.fixture
def staff(client_for):
    return client_for(UserFactory(email="staff@keyward.test", is_staff=True))


def test_import_rows_with_overrides_and_no_default_expiry(
    staff, once_policy, django_capture_on_commit_callbacks
):
    rows = [
        {
            "key": "OLD-KEY-1",
            "product": "pdt_once",
            "customer_email": "old@example.com",
            "activation_limit": 9,
            "expires_at": "2030-01-01T00:00:00Z",
            "metadata": {"legacy_id": 7},
        },
        {"key": "OLD-KEY-2", "product": "pdt_once"},
    ]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = staff.post(URL, rows, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["imported"] == 2
    first, second = (License.objects.get(key=k) for k in ("OLD-KEY-1", "OLD-KEY-2"))
    assert (first.source, first.max_activations, first.expires_at.year, first.metadata) == (
        "import",
        9,
        2030,
        {"legacy_id": 7},
    )
    assert first.workspace.billing_customers.get().email == "old@example.com"
    assert second.expires_at is None and second.workspace is None  # the policy's 365 days do not apply
    assert second.max_activations == once_policy.max_activations
    assert mail.outbox == [] and callbacks == []


def test_a_bad_row_imports_nothing_and_is_reported_by_line_and_field(staff, once_policy):
    LicenseFactory(key="TAKEN")
    rows = [
        {"key": "GOOD-1", "product": "pdt_once"},
        {"key": "GOOD-2", "product": "nope"},
        {"key": "TAKEN", "product": "pdt_once", "activation_limit": 0},
        {"key": "GOOD-1", "product": "pdt_once", "expires_at": "tomorrow", "customer_email": "not-an-email"},
        "not a row",
    ]
    before = License.objects.count()
    response = staff.post(URL, rows, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "IMPORT_INVALID" and body["message"].startswith("Line 2, product")
    assert set(body["fields"]) == {
        "line 2.product",
        "line 3.key",
        "line 3.activation_limit",
        "line 4.key",
        "line 4.expires_at",
        "line 4.customer_email",
        "line 5.row",
    }
    assert License.objects.count() == before


@pytest.mark.parametrize(
    "body", [[], {"key": "x"}, "text", [None], [{"key": "K\x00", "product": "pdt_once"}]]
)
def test_malformed_imports_are_400(staff, once_policy, body):
    response = staff.post(URL, body, format="json")
    assert response.status_code == 400, response.content
    assert License.objects.count() == 0


def test_import_through_csv_in_admin(client, once_policy):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(UserFactory(email="root@keyward.test", is_staff=True, is_superuser=True))
    good = (
        "key,product,customer_email,activation_limit,expires_at,metadata\n"
        'CSV-1,pdt_once,,2,,\nCSV-2,pdt_once,a@example.com,,,{"a": 1}\n'
    )
    response = client.post(
        "/admin/commerce/grant/import/", {"file": SimpleUploadedFile("keys.csv", good.encode())}
    )
    assert response.status_code == 302, response.content[:3000]
    assert set(License.objects.values_list("key", flat=True)) == {"CSV-1", "CSV-2"}
    bad = "key,product\nCSV-3,pdt_once\nCSV-4,unknown\n"
    response = client.post(
        "/admin/commerce/grant/import/", {"file": SimpleUploadedFile("keys.csv", bad.encode())}
    )
    assert response.status_code == 200
    assert "Line 3, product" in response.content.decode()
    assert not License.objects.filter(key="CSV-3").exists()
