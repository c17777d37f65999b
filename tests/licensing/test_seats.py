"""Seats: assigning licenses to members, the shared workspace trial, and the reads built on them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from licensing.models import Activation, License, LicenseStatus
from licensing.selectors import licenses as selectors
from licensing.selectors.entitlement import member_coverage, member_entitlement
from licensing.services import licenses as services

from .factories import ActivationFactory, LicenseFactory, PolicyFactory, raises_code

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------- assign and unassign


def test_admin_assigns_a_free_license_to_a_member(workspace, admin, member):
    license = LicenseFactory(workspace=workspace)
    services.license_assign(actor=admin, license=license, membership=member)
    license.refresh_from_db()
    assert license.assignee == member and license.assigned_at is not None


def test_member_with_manage_licenses_may_assign(workspace, make_member, member):
    manager = make_member(workspace, Role.MEMBER, manage_licenses=True)
    license = LicenseFactory(workspace=workspace)
    services.license_assign(actor=manager, license=license, membership=member)
    assert License.objects.get(pk=license.pk).assignee == member


def test_member_without_manage_licenses_may_not_assign_or_unassign(workspace, member, admin):
    license = LicenseFactory(workspace=workspace)
    with raises_code("PERMISSION_DENIED"):
        services.license_assign(actor=member, license=license, membership=member)
    assigned = LicenseFactory(workspace=workspace, assignee=admin)
    with raises_code("PERMISSION_DENIED"):
        services.license_unassign(actor=member, license=assigned)
    assert License.objects.get(pk=license.pk).assignee is None
    assert License.objects.get(pk=assigned.pk).assignee == admin


def test_another_workspaces_license_or_member_is_not_found(
    workspace, admin, member, outsider, other_workspace
):
    foreign_license = LicenseFactory(workspace=other_workspace)
    with raises_code("NOT_FOUND"):
        services.license_assign(actor=admin, license=foreign_license, membership=member)
    with raises_code("NOT_FOUND"):
        services.license_assign(actor=admin, license=LicenseFactory(workspace=workspace), membership=outsider)
    with raises_code("NOT_FOUND"):
        services.license_unassign(actor=admin, license=foreign_license)


def test_assigning_twice_to_the_same_member_changes_nothing(workspace, admin, member):
    license = LicenseFactory(workspace=workspace, assignee=member)
    assert services.license_assign(actor=admin, license=license, membership=member).assignee == member


def test_a_license_has_one_holder(workspace, admin, member):
    license = LicenseFactory(workspace=workspace, assignee=admin)
    with raises_code("LICENSE_ALREADY_ASSIGNED"):
        services.license_assign(actor=admin, license=license, membership=member)
    assert License.objects.get(pk=license.pk).assignee == admin


def test_a_member_holds_one_usable_license_per_product(workspace, admin, member):
    policy = PolicyFactory()
    LicenseFactory(workspace=workspace, policy=policy, assignee=member)
    with raises_code("MEMBER_ALREADY_LICENSED") as error:
        services.license_assign(
            actor=admin, license=LicenseFactory(workspace=workspace, policy=policy), membership=member
        )
    assert error.value.field == "member"
    # Another product is fine, and so is replacing an expired seat.
    services.license_assign(actor=admin, license=LicenseFactory(workspace=workspace), membership=member)
    expired_holder = LicenseFactory(
        workspace=workspace, assignee=admin, expires_at=timezone.now() - timedelta(days=1)
    )
    services.license_assign(
        actor=admin,
        license=LicenseFactory(workspace=workspace, policy=expired_holder.policy),
        membership=admin,
    )


def test_revoked_licenses_and_the_trial_cannot_be_assigned(workspace, admin, member):
    with raises_code("LICENSE_REVOKED"):
        services.license_assign(
            actor=admin,
            license=LicenseFactory(workspace=workspace, status=LicenseStatus.REVOKED),
            membership=member,
        )
    with raises_code("TRIAL_NOT_ASSIGNABLE"):
        services.license_assign(
            actor=admin, license=LicenseFactory(workspace=workspace, is_trial=True), membership=member
        )


def test_unassign_frees_the_seat_and_releases_every_machine_on_it(workspace, admin, member):
    # Machines activated with the seat's key count too: left behind, they would keep heartbeating
    # and refuse the next holder with ACTIVATION_LIMIT_REACHED (issue 8).
    license = LicenseFactory(workspace=workspace, assignee=member)
    ActivationFactory(license=license, membership=member)
    ActivationFactory(license=license, membership=None)
    other_seat_machine = ActivationFactory(license=LicenseFactory(workspace=workspace), membership=None)
    services.license_unassign(actor=admin, license=license)
    license.refresh_from_db()
    assert license.assignee is None and license.assigned_at is None
    assert list(Activation.objects.all()) == [other_seat_machine]
    services.license_unassign(actor=admin, license=license)  # idempotent


def test_admin_releases_a_machine(workspace, admin, member):
    activation = ActivationFactory(license=LicenseFactory(workspace=workspace, assignee=member))
    with raises_code("PERMISSION_DENIED"):
        services.activation_release(actor=member, activation=activation)
    services.activation_release(actor=admin, activation=activation)
    assert not Activation.objects.exists()


def test_machine_of_another_workspace_is_not_found(admin, other_workspace):
    activation = ActivationFactory(license=LicenseFactory(workspace=other_workspace))
    with raises_code("NOT_FOUND"):
        services.activation_release(actor=admin, activation=activation)
    assert Activation.objects.exists()


# ---------------------------------------------------------------- trial


@pytest.fixture
def trial_policy():
    return PolicyFactory(trial_available=True, trial_days=14, duration=timedelta(days=365))


def test_any_member_starts_the_workspace_trial_once(workspace, member, admin, trial_policy):
    license = services.workspace_trial_start(actor=member)
    assert license.is_trial and license.workspace == workspace and license.assignee is None
    assert abs(license.expires_at - (timezone.now() + timedelta(days=14))) < timedelta(seconds=5)
    with raises_code("TRIAL_ALREADY_USED"):
        services.workspace_trial_start(actor=admin)
    # It covers every member, even after it expires (and still only once).
    assert member_entitlement(membership=admin).license == license
    License.objects.filter(pk=license.pk).update(expires_at=timezone.now() - timedelta(days=1))
    with raises_code("TRIAL_ALREADY_USED"):
        services.workspace_trial_start(actor=member)


def test_no_trial_for_a_workspace_that_has_licenses(workspace, member, trial_policy):
    LicenseFactory(workspace=workspace)
    with raises_code("WORKSPACE_HAS_LICENSE"):
        services.workspace_trial_start(actor=member)
    assert not License.objects.filter(is_trial=True).exists()


def test_no_trial_without_a_trial_policy(member):
    PolicyFactory(trial_available=False)
    with raises_code("TRIAL_UNAVAILABLE"):
        services.workspace_trial_start(actor=member)


def test_trials_of_different_workspaces_are_independent(member, outsider, trial_policy):
    services.workspace_trial_start(actor=member)
    services.workspace_trial_start(actor=outsider)
    assert License.objects.filter(is_trial=True).count() == 2


# ---------------------------------------------------------------- member_entitlement


def test_member_entitlement_prefers_a_usable_license_and_reports_unusable_ones(workspace, member):
    nothing = member_entitlement(membership=member)
    assert (nothing.code, nothing.license) == ("LICENSE_NOT_ASSIGNED", None)
    assert nothing.message == "No license is assigned to you; ask your workspace admin to assign one."
    policy = PolicyFactory()
    suspended = LicenseFactory(
        workspace=workspace, policy=policy, assignee=member, status=LicenseStatus.SUSPENDED
    )
    answer = member_entitlement(membership=member)
    assert (answer.code, answer.license, answer.usable) == ("LICENSE_SUSPENDED", suspended, False)
    usable = LicenseFactory(workspace=workspace, assignee=member)
    answer = member_entitlement(membership=member)
    assert (answer.code, answer.license, answer.candidates) == ("VALID", usable, (usable,))
    assert member_entitlement(membership=member, product=policy.product.code).license == suspended
    mismatch = member_entitlement(membership=member, product="no-such-product")
    assert (mismatch.code, mismatch.license) == ("PRODUCT_MISMATCH", None)


def test_own_seat_wins_over_the_trial(workspace, member, admin):
    trial = LicenseFactory(workspace=workspace, is_trial=True)
    own = LicenseFactory(workspace=workspace, assignee=member)
    assert member_entitlement(membership=member).license == own
    assert member_entitlement(membership=admin).license == trial
    assert member_entitlement(membership=admin).shared and not member_entitlement(membership=member).shared


def test_a_usable_trial_wins_over_an_unusable_own_seat(workspace, member):
    trial = LicenseFactory(workspace=workspace, is_trial=True)
    LicenseFactory(workspace=workspace, assignee=member, status=LicenseStatus.SUSPENDED)
    assert member_entitlement(membership=member).license == trial


def test_member_entitlement_is_one_query(workspace, member, django_assert_num_queries):
    LicenseFactory(workspace=workspace, assignee=member)
    with django_assert_num_queries(1):
        license = member_entitlement(membership=member).license
        assert license.policy.product.code and license.workspace.slug


def test_another_workspaces_licenses_never_count(member, other_workspace, outsider):
    LicenseFactory(workspace=other_workspace, assignee=outsider)
    LicenseFactory(workspace=other_workspace, is_trial=True)
    assert member_entitlement(membership=member).license is None


def test_coverage_by_membership_in_one_query(workspace, admin, member, owner, django_assert_num_queries):
    first = LicenseFactory(workspace=workspace, assignee=member)
    second = LicenseFactory(workspace=workspace, assignee=member)
    LicenseFactory(workspace=workspace)  # free
    with django_assert_num_queries(1):
        coverage = member_coverage(workspace=workspace, memberships=[admin, member, owner])
    assert coverage[admin.pk].seats == [] and coverage[owner.pk].seats == []
    assert not coverage[admin.pk].covered
    assert set(coverage[member.pk].seats) == {first, second}


def test_the_trial_covers_every_member_on_the_members_page(workspace, admin, member):
    trial = LicenseFactory(workspace=workspace, is_trial=True)
    coverage = member_coverage(workspace=workspace, memberships=[admin, member])
    assert coverage[admin.pk].trial == trial and coverage[member.pk].covered


def test_assignable_licenses_are_free_live_seats(workspace, member):
    free = LicenseFactory(workspace=workspace)
    LicenseFactory(workspace=workspace, assignee=member)
    LicenseFactory(workspace=workspace, status=LicenseStatus.REVOKED)
    LicenseFactory(workspace=workspace, is_trial=True)
    assert list(selectors.license_assignable(workspace=workspace)) == [free]
