"""Return URL: license_key= appended, URL-encoded, the URL's own query and fragment kept."""

from urllib.parse import parse_qs, urlsplit

import pytest

from licensing.models import License
from tests.factories import UserFactory
from tests.licensing.factories import LicenseFactory, PolicyFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/staff/return-url/"


@pytest.fixture
def staff(client_for):
    return client_for(UserFactory(email="staff@keyward.test", is_staff=True))


def test_keys_are_appended_encoded_and_the_query_kept(staff):
    policy = PolicyFactory()
    LicenseFactory(policy=policy, key="A&B=1+2", payment_id="pay_9")
    LicenseFactory(policy=policy, key="KEY-2", payment_id="pay_9")
    LicenseFactory(policy=policy, key="GONE", payment_id="pay_9", status="revoked")
    response = staff.post(
        URL,
        {"payment_id": "pay_9", "return_url": "https://shop.example/thanks?order=7&x=a%20b#done"},
        format="json",
    )
    assert response.status_code == 200, response.content
    url = response.json()["url"]
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path, parts.fragment) == (
        "https",
        "shop.example",
        "/thanks",
        "done",
    )
    assert parse_qs(parts.query) == {"order": ["7"], "x": ["a b"], "license_key": ["A&B=1+2,KEY-2"]}
    assert "A%26B%3D1%2B2%2CKEY-2" in url


def test_subscription_keys(staff):
    LicenseFactory(key="SUB-KEY", subscription_id="sub_9")
    url = staff.post(
        URL, {"subscription_id": "sub_9", "return_url": "http://localhost:3000/done"}, format="json"
    ).json()["url"]
    assert url == "http://localhost:3000/done?license_key=SUB-KEY"


@pytest.mark.parametrize(
    "payload, status, field",
    [
        ({"payment_id": "pay_9", "return_url": "javascript:alert(1)"}, 400, "return_url"),
        ({"payment_id": "pay_9", "return_url": "/relative"}, 400, "return_url"),
        ({"payment_id": "pay_9", "return_url": "https://x.example/\x00"}, 400, "return_url"),
        ({"return_url": "https://x.example/"}, 400, "payment_id"),
        ({"payment_id": "a", "subscription_id": "b", "return_url": "https://x.example/"}, 400, "payment_id"),
        ({"payment_id": "pay_none", "return_url": "https://x.example/"}, 404, None),
    ],
)
def test_bad_input(staff, payload, status, field):
    LicenseFactory(key="K", payment_id="pay_9")
    response = staff.post(URL, payload, format="json")
    assert response.status_code == status, response.content
    if field:
        assert field in response.json()["fields"]


def test_encrypted_keys_cannot_go_into_a_url(staff):
    license = LicenseFactory(policy=PolicyFactory(encrypted=True), payment_id="pay_enc")
    License.objects.filter(pk=license.pk).update(key=None)
    response = staff.post(URL, {"payment_id": "pay_enc", "return_url": "https://x.example/"}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "KEY_NOT_AVAILABLE"


def test_non_staff_get_403(client_for, owner):
    assert (
        client_for(owner)
        .post(URL, {"payment_id": "p", "return_url": "https://x.example/"}, format="json")
        .status_code
        == 403
    )
