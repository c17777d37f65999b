"""licensing.selectors.licenses: filters in SQL, workspace scoping, validation days."""

from datetime import timedelta

import pytest
from django.utils import timezone

from licensing.models import LicenseStatus
from licensing.selectors import licenses as selectors

from .factories import LicenseFactory, LicenseValidationDayFactory, PolicyFactory, ProductFactory, raises_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def mix(workspace, member):
    past = timezone.now() - timedelta(days=1)
    return {
        "active": LicenseFactory(workspace=workspace, assignee=member, key="KW-AAAA-1111"),
        "perpetual": LicenseFactory(workspace=workspace, expires_at=None, key="KW-BBBB-2222"),
        "expired": LicenseFactory(workspace=workspace, expires_at=past, key="KW-CCCC-3333"),
        "suspended": LicenseFactory(workspace=workspace, status=LicenseStatus.SUSPENDED, key="KW-DDDD-4444"),
        "revoked": LicenseFactory(workspace=workspace, status=LicenseStatus.REVOKED, key="KW-EEEE-5555"),
    }


@pytest.mark.parametrize(
    "status, expected",
    [
        ("active", {"active", "perpetual"}),
        ("expired", {"expired"}),
        ("suspended", {"suspended"}),
        ("revoked", {"revoked"}),
    ],
)
def test_status_filter_treats_expired_as_derived(workspace, mix, status, expected):
    found = set(selectors.license_list(workspace=workspace, status=status))
    assert found == {mix[name] for name in expected}
    assert all(license.effective_status == status for license in found)


def test_search_by_the_keys_last_characters(workspace, mix):
    assert list(selectors.license_list(workspace=workspace, search="3333")) == [mix["expired"]]
    assert list(selectors.license_list(workspace=workspace, search="333")) == [mix["expired"]]
    assert list(selectors.license_list(workspace=workspace, search="CCCC-3333")) == [mix["expired"]]
    assert list(selectors.license_list(workspace=workspace, search=mix["revoked"].public_id)) == [
        mix["revoked"]
    ]


def test_longer_search_cannot_find_an_encrypted_key(workspace):
    license = LicenseFactory(
        workspace=workspace, policy=PolicyFactory(encrypted=True), key="SECRET-ABCD-9876"
    )
    assert list(selectors.license_list(workspace=workspace, search="9876")) == [license]
    assert list(selectors.license_list(workspace=workspace, search="ABCD-9876")) == []


def test_product_and_assignee_filters(workspace, member, mix):
    other = LicenseFactory(workspace=workspace, policy=PolicyFactory(product=ProductFactory(code="cli")))
    assert list(selectors.license_list(workspace=workspace, product="cli")) == [other]
    assert list(selectors.license_list(workspace=workspace, product=str(other.policy.product_id))) == [other]
    assert list(selectors.license_list(workspace=workspace, assignee=member)) == [mix["active"]]
    assert list(selectors.license_list(workspace=workspace, assignee=str(member.pk))) == [mix["active"]]
    assert mix["active"] not in selectors.license_list(workspace=workspace, assignee="none")
    assert len(selectors.license_list(workspace=workspace, assignee="none")) == 5


def test_lists_are_scoped_to_the_workspace(workspace, other_workspace, admin, outsider, mix):
    foreign = LicenseFactory(workspace=other_workspace)
    assert foreign not in selectors.license_list(workspace=workspace)
    with raises_code("NOT_FOUND"):
        selectors.license_get(viewer=admin, public_id=foreign.public_id)
    outsider.role = "admin"
    assert selectors.license_get(viewer=outsider, public_id=foreign.public_id) == foreign


def test_license_get_shows_a_member_only_what_they_hold(workspace, member, admin):
    theirs = LicenseFactory(assignee=member)
    trial = LicenseFactory(workspace=workspace, is_trial=True)
    someone_elses = LicenseFactory(assignee=admin)
    assert selectors.license_get(viewer=member, public_id=theirs.public_id) == theirs
    assert selectors.license_get(viewer=member, public_id=trial.public_id) == trial
    with raises_code("NOT_FOUND"):
        selectors.license_get(viewer=member, public_id=someone_elses.public_id)
    assert selectors.license_get(viewer=admin, public_id=theirs.public_id, with_activations=True) == theirs


def test_staff_list_filters(workspace, other_workspace, mix):
    userless = LicenseFactory(workspace=None)
    assert set(selectors.staff_license_list(workspace="none")) == {userless}
    assert set(selectors.staff_license_list(workspace=workspace.slug)) == set(mix.values())
    assert set(selectors.staff_license_list(status="expired")) == {mix["expired"]}
    assert set(selectors.staff_license_list(policy=userless.policy_id)) == {userless}
    assert set(selectors.staff_license_list(source="import")) == set()


def test_list_query_count_is_constant(workspace, member, django_assert_num_queries):
    for _ in range(3):
        LicenseFactory(workspace=workspace, assignee=member)
    with django_assert_num_queries(1):
        rows = list(selectors.license_list(workspace=workspace))
        _ = [
            (r.policy.product.name, r.assignee.user.email, r.workspace.slug, r.activation_count) for r in rows
        ]
    for _ in range(10):
        LicenseFactory(workspace=workspace)
    with django_assert_num_queries(1):
        rows = list(selectors.license_list(workspace=workspace))
        _ = [(r.policy.product.name, r.workspace.slug, r.activation_count) for r in rows]


def test_status_counts(workspace, mix):
    counts = selectors.license_status_counts(workspace=workspace)
    assert counts["total"] == 5
    assert (counts["active"], counts["expired"], counts["suspended"], counts["revoked"]) == (2, 1, 1, 1)
    assert counts["assigned"] == 1 and counts["unassigned"] == 3


def test_validation_days_fill_gaps_with_zero():
    license = LicenseFactory()
    today = timezone.now().date()
    LicenseValidationDayFactory(license=license, day=today, count=7)
    LicenseValidationDayFactory(license=license, day=today - timedelta(days=2), count=3)
    LicenseValidationDayFactory(license=license, day=today - timedelta(days=40), count=99)  # too old
    series = selectors.license_validation_days(license=license, days=5)
    assert series == [
        (today - timedelta(days=4), 0),
        (today - timedelta(days=3), 0),
        (today - timedelta(days=2), 3),
        (today - timedelta(days=1), 0),
        (today, 7),
    ]


def test_staff_workspace_get_names_the_field(workspace):
    assert selectors.staff_workspace_get(slug="acme") == workspace
    with raises_code("WORKSPACE_NOT_FOUND") as error:
        selectors.staff_workspace_get(slug="nope")
    assert error.value.field == "workspace"
