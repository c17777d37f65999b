"""Dashboard pages: Licenses (admins), license detail, seat forms, My License and the trial."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Role
from licensing.models import Activation, License
from licensing.views import member_seat_context

from .factories import ActivationFactory, LicenseFactory, LicenseValidationDayFactory, PolicyFactory

pytestmark = pytest.mark.django_db

W = "/w/acme"


@pytest.fixture
def web():
    """web(membership) -> a logged-in Django test client."""

    def make(who):
        client = Client()
        client.force_login(getattr(who, "user", who))
        return client

    return make


@pytest.fixture
def seat(workspace, member):
    license = LicenseFactory(workspace=workspace, assignee=member, name="Member seat")
    ActivationFactory(license=license, membership=member, name="build-laptop")
    return license


@pytest.fixture
def free(workspace):
    return LicenseFactory(workspace=workspace)


# ---------------------------------------------------------------- licenses list


def test_licenses_page_lists_and_filters(web, admin, workspace, seat, free):
    expired = LicenseFactory(workspace=workspace, expires_at=timezone.now() - timedelta(days=1))
    client = web(admin)
    page = client.get(f"{W}/licenses/").content.decode()
    assert seat.masked_key in page and free.masked_key in page and expired.masked_key in page
    page = client.get(f"{W}/licenses/?status=expired").content.decode()
    assert expired.masked_key in page and seat.masked_key not in page
    page = client.get(f"{W}/licenses/?assignee={seat.assignee_id}").content.decode()
    assert seat.masked_key in page and free.masked_key not in page
    page = client.get(f"{W}/licenses/?q={free.plaintext_key[-4:]}").content.decode()
    assert free.masked_key in page and seat.masked_key not in page
    page = client.get(f"{W}/licenses/?product={seat.policy.product.code}").content.decode()
    assert seat.masked_key in page and free.masked_key not in page
    assert "No license matches" in client.get(f"{W}/licenses/?q=zzzz").content.decode()


def test_licenses_page_never_shows_full_keys(web, admin, seat):
    assert seat.plaintext_key not in web(admin).get(f"{W}/licenses/").content.decode()


def test_licenses_page_needs_manage_licenses(web, member, make_member, workspace, seat):
    assert web(member).get(f"{W}/licenses/").status_code == 403
    assert web(member).get(f"{W}/licenses/{seat.public_id}/").status_code == 403
    manager = make_member(workspace, Role.MEMBER, manage_licenses=True)
    assert web(manager).get(f"{W}/licenses/").status_code == 200


def test_licenses_page_query_count_is_constant(web, admin, workspace, member, django_assert_max_num_queries):
    client = web(admin)
    LicenseFactory(workspace=workspace, assignee=member)
    with django_assert_max_num_queries(20) as few:
        assert client.get(f"{W}/licenses/").status_code == 200
    for _ in range(12):
        ActivationFactory(license=LicenseFactory(workspace=workspace, assignee=member))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(f"{W}/licenses/").status_code == 200


# ---------------------------------------------------------------- detail


def test_detail_shows_key_activations_and_chart(web, admin, seat):
    LicenseValidationDayFactory(license=seat, count=12)
    page = web(admin).get(f"{W}/licenses/{seat.public_id}/").content.decode()
    assert seat.plaintext_key in page  # a plain policy keeps the key for display
    assert "build-laptop" in page and "member@acme.test" in page
    assert 'data-testid="validation-chart"' in page and 'data-count="12"' in page
    assert "12 in 30 days" in page


def test_detail_says_how_fresh_the_counts_are_when_they_are_buffered(web, admin, seat, request):
    page = web(admin).get(f"{W}/licenses/{seat.public_id}/").content.decode()
    assert 'data-testid="counts-freshness"' not in page  # written at once without Redis

    request.getfixturevalue("shared_client_cache")
    page = web(admin).get(f"{W}/licenses/{seat.public_id}/").content.decode()
    assert "up to a minute behind" in page


def test_detail_shows_the_license_s_own_machine_limit(web, admin, seat):
    type(seat).objects.filter(pk=seat.pk).update(activation_limit=9)
    assert "of 9" in web(admin).get(f"{W}/licenses/{seat.public_id}/").content.decode()


def test_detail_of_an_encrypted_license_shows_only_the_suffix(web, admin, workspace):
    license = LicenseFactory(workspace=workspace, policy=PolicyFactory(encrypted=True))
    page = web(admin).get(f"{W}/licenses/{license.public_id}/").content.decode()
    assert license.plaintext_key not in page and license.masked_key in page


def test_admin_deactivates_a_machine_from_the_detail_page(web, admin, member, seat):
    activation = seat.activations.get()
    url = f"{W}/licenses/{seat.public_id}/machines/{activation.public_id}/deactivate/"
    # The member activated it, so they may release it too, after confirming (tests/licensing/
    # test_my_license_page.py); someone else's machine needs "manage licenses".
    assert web(member).post(url).status_code == 200
    assert Activation.objects.exists()
    asked = web(admin).post(url)  # without JavaScript: a page asks first
    assert asked.status_code == 200 and "Deactivate machine" in asked.content.decode()
    assert Activation.objects.exists()
    response = web(admin).post(url, {"confirmed": "yes"}, follow=True)
    assert "was deactivated" in response.content.decode()
    assert not Activation.objects.exists()


def test_assign_and_unassign_from_the_detail_page(web, admin, member, free):
    client = web(admin)
    response = client.post(f"{W}/licenses/{free.public_id}/assign/", {"member": member.pk}, follow=True)
    assert "is now assigned to member@acme.test" in response.content.decode()
    assert License.objects.get(pk=free.pk).assignee == member
    asked = client.post(f"{W}/licenses/{free.public_id}/unassign/")
    assert asked.status_code == 200 and "Unassign license" in asked.content.decode()
    assert License.objects.get(pk=free.pk).assignee == member
    response = client.post(f"{W}/licenses/{free.public_id}/unassign/", {"confirmed": "yes"}, follow=True)
    assert "no longer assigned" in response.content.decode()
    assert License.objects.get(pk=free.pk).assignee is None


def test_assign_with_bad_input_writes_nothing(web, admin, outsider, free):
    client = web(admin)
    for data in [{}, {"member": "abc"}, {"member": outsider.pk}]:
        response = client.post(f"{W}/licenses/{free.public_id}/assign/", data, follow=True)
        assert "Choose a member of this workspace" in response.content.decode()
    assert License.objects.get(pk=free.pk).assignee is None


def test_assign_error_is_shown(web, admin, member, seat):
    response = web(admin).post(f"{W}/licenses/{seat.public_id}/assign/", {"member": admin.pk}, follow=True)
    assert "unassign it first" in response.content.decode()
    assert License.objects.get(pk=seat.pk).assignee == member


def test_member_seat_form_from_the_members_page(web, admin, member, free):
    response = web(admin).post(
        f"{W}/members/{member.pk}/seat/", {"license": free.public_id, "next": f"{W}/members/"}
    )
    assert response.status_code == 302 and response["Location"] == f"{W}/members/"
    assert License.objects.get(pk=free.pk).assignee == member
    assert web(admin).post(f"{W}/members/{member.pk}/seat/", {"license": "lic_nope"}).status_code == 404
    unsafe = web(admin).post(
        f"{W}/licenses/{free.public_id}/unassign/", {"next": "https://evil.example/", "confirmed": "yes"}
    )
    assert unsafe["Location"] == f"{W}/licenses/{free.public_id}/"


def test_member_seat_context_and_template(rf, admin, member, workspace, seat, free):
    from django.template.loader import render_to_string

    context = member_seat_context(workspace=workspace, actor=admin, memberships=[admin, member])
    assert context["license_seats"][member.pk].seats == [seat] and context["assignable_licenses"] == [free]
    request = rf.get(f"{W}/members/")
    request.workspace = workspace  # as accounts.web.workspace_view sets it
    html = render_to_string(
        "licensing/_member_seat.html", {**context, "membership": member, "request": request}
    )
    assert seat.masked_key in html and "Unassign" in html
    assert free.masked_key not in html  # holding a seat: no assign control
    html = render_to_string(
        "licensing/_member_seat.html", {**context, "membership": admin, "request": request}
    )
    assert "No license" in html and free.masked_key in html
    plain = member_seat_context(workspace=workspace, actor=member, memberships=[member])
    html = render_to_string(
        "licensing/_member_seat.html", {**plain, "membership": member, "request": request}
    )
    assert seat.masked_key in html and "Unassign" not in html and "Assign a license" not in html


# ---------------------------------------------------------------- my license and trial


def test_my_license_shows_the_members_license(web, member, seat):
    page = web(member).get(f"{W}/my-license/").content.decode()
    assert seat.policy.product.name in page and seat.plaintext_key in page and "build-laptop" in page
    assert "Active" in page


def test_my_license_explains_an_expired_license(web, member, seat):
    License.objects.filter(pk=seat.pk).update(expires_at=timezone.now() - timedelta(days=1))
    page = web(member).get(f"{W}/my-license/").content.decode()
    assert "has expired" in page


def test_my_license_without_a_seat_in_a_licensed_workspace(web, admin, seat):
    page = web(admin).get(f"{W}/my-license/").content.decode()
    assert "No license is assigned to you" in page and "Start the" not in page


def test_trial_from_my_license(web, member, admin, workspace):
    PolicyFactory(trial_available=True, trial_days=14)
    page = web(member).get(f"{W}/my-license/").content.decode()
    assert "Start the 14-day trial" in page
    response = web(member).post(f"{W}/my-license/trial/", follow=True)
    assert "trial" in response.content.decode() and "has started" in response.content.decode()
    trial = License.objects.get(workspace=workspace, is_trial=True)
    assert trial.public_id in web(admin).get(f"{W}/my-license/").content.decode()  # covers every member
    again = web(admin).post(f"{W}/my-license/trial/", follow=True).content.decode()
    assert "already had its trial" in again
    assert License.objects.filter(is_trial=True).count() == 1


def test_no_trial_offer_without_a_trial_policy(web, member):
    page = web(member).get(f"{W}/my-license/").content.decode()
    assert "No license is assigned to you" in page


# ---------------------------------------------------------------- tenancy


def test_every_page_is_404_for_another_workspaces_member(web, outsider, member, seat, free):
    activation = seat.activations.get()
    client = web(outsider)
    gets = [f"{W}/licenses/", f"{W}/licenses/{seat.public_id}/", f"{W}/my-license/"]
    posts = [
        (f"{W}/licenses/{free.public_id}/assign/", {"member": outsider.pk}),
        (f"{W}/licenses/{seat.public_id}/unassign/", {}),
        (f"{W}/licenses/{seat.public_id}/machines/{activation.public_id}/deactivate/", {}),
        (f"{W}/members/{member.pk}/seat/", {"license": free.public_id}),
        (f"{W}/my-license/trial/", {}),
    ]
    for url in gets:
        assert client.get(url).status_code == 404, url
    for url, data in posts:
        assert client.post(url, data).status_code == 404, url
    seat.refresh_from_db()
    assert seat.assignee == member and Activation.objects.count() == 1
    assert not License.objects.filter(is_trial=True).exists()


def test_another_workspaces_license_is_404_in_mine(web, admin, other_workspace):
    foreign = LicenseFactory(workspace=other_workspace)
    assert web(admin).get(f"{W}/licenses/{foreign.public_id}/").status_code == 404
    assert web(admin).post(f"{W}/licenses/{foreign.public_id}/unassign/").status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(seat):
    response = Client().get(f"{W}/my-license/")
    assert response.status_code == 302 and "login" in response["Location"]
