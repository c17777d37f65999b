"""Users & licenses: the members page shows each member's seat and lets license managers assign one."""

import pytest
from django.urls import reverse

from licensing.models import License
from tests.licensing.factories import LicenseFactory, PolicyFactory

pytestmark = pytest.mark.django_db


def members_url(workspace):
    return reverse("accounts:members", kwargs={"workspace_slug": workspace.slug})


def logged_in(client, membership):
    client.force_login(membership.user)
    return client


def test_each_member_row_shows_their_seat(client, workspace, owner, member):
    seat = LicenseFactory(policy=PolicyFactory(), workspace=workspace, assignee=member)
    html = logged_in(client, owner).get(members_url(workspace)).content.decode()
    member_row = html.split(f'data-member="{member.user.email}"')[1].split("</tr>")[0]
    owner_row = html.split(f'data-member="{owner.user.email}"')[1].split("</tr>")[0]
    assert seat.masked_key in member_row
    assert "No license" in owner_row


def test_the_page_costs_the_same_queries_with_many_seats(
    client, workspace, owner, make_member, django_assert_max_num_queries
):
    policy = PolicyFactory()
    client = logged_in(client, owner)

    def count_queries(extra_members):
        for _ in range(extra_members):
            LicenseFactory(policy=policy, workspace=workspace, assignee=make_member(workspace))
        LicenseFactory(policy=policy, workspace=workspace)  # a free seat keeps the assign control visible
        with django_assert_max_num_queries(14) as captured:
            assert client.get(members_url(workspace)).status_code == 200
        return len(captured.captured_queries)

    assert count_queries(2) == count_queries(20)


def test_a_license_manager_assigns_a_free_seat_from_the_members_page(client, workspace, owner, member):
    free = LicenseFactory(policy=PolicyFactory(), workspace=workspace)
    client = logged_in(client, owner)
    page = client.get(members_url(workspace)).content.decode()
    assert f'value="{free.public_id}"' in page
    assign_url = reverse(
        "licensing:member_seat_assign", kwargs={"workspace_slug": workspace.slug, "membership_id": member.pk}
    )
    response = client.post(assign_url, {"license": free.public_id, "next": members_url(workspace)})
    assert response.status_code == 302
    assert License.objects.get(pk=free.pk).assignee_id == member.pk


def test_members_without_manage_licenses_see_seats_but_no_controls(client, workspace, owner, member):
    LicenseFactory(policy=PolicyFactory(), workspace=workspace)
    page = logged_in(client, member).get(members_url(workspace)).content.decode()
    assert "Assign a license" not in page
    assert "No license" in page
