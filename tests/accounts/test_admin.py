"""Django admin for support staff: every page renders, search and filters work, invariants hold."""

from html.parser import HTMLParser

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Invitation, InvitationStatus, Membership, Role, User, Workspace
from tests.factories import PASSWORD, InvitationFactory

pytestmark = pytest.mark.django_db

MODELS = ["user", "workspace", "membership", "invitation"]


@pytest.fixture
def staff(db):
    return User.objects.create_superuser(email="support@keyward.test", password=PASSWORD)


@pytest.fixture
def staff_client(staff):
    client = Client()
    client.force_login(staff)
    return client


@pytest.fixture
def invitation(workspace, owner):
    return InvitationFactory(workspace=workspace, email="newcomer@example.com", invited_by=owner.user)


@pytest.fixture
def populated(workspace, owner, admin, member, invitation, outsider):
    """Rows in every table the admin shows."""
    return {"user": owner.user, "workspace": workspace, "membership": member, "invitation": invitation}


def changelist(model):
    return reverse(f"admin:accounts_{model}_changelist")


def change(model, obj):
    return reverse(f"admin:accounts_{model}_change", args=[obj.pk])


def listed(response):
    return list(response.context["cl"].result_list)


class _FormFields(HTMLParser):
    """Collects what a browser would submit from a page's form (inputs, checkboxes, selects, textareas)."""

    def __init__(self):
        super().__init__()
        self.data, self._select, self._textarea = {}, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "button", "file"):
            if attrs.get("type") not in ("checkbox", "radio") or "checked" in attrs:
                self.data[name] = attrs.get("value", "on")
        elif tag == "select" and name:
            self._select = name
            self.data[name] = [] if "multiple" in attrs else ""
        elif tag == "option" and self._select and "selected" in attrs:
            value = attrs.get("value", "")
            if isinstance(self.data[self._select], list):
                self.data[self._select].append(value)
            else:
                self.data[self._select] = value
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data


def submit(client, url, **changes):
    """Posts the change form at `url` as a browser would, with `changes` applied (None unticks a box)."""
    parser = _FormFields()
    parser.feed(client.get(url).content.decode())
    data = {**parser.data, **changes}
    return client.post(url, {key: value for key, value in data.items() if value is not None})


# ------------------------------------------------------------ pages render


@pytest.mark.parametrize("model", MODELS)
def test_every_changelist_renders(staff_client, populated, model):
    response = staff_client.get(changelist(model))
    assert response.status_code == 200
    assert listed(response)


@pytest.mark.parametrize("model", MODELS)
def test_every_change_page_renders(staff_client, populated, model):
    response = staff_client.get(change(model, populated[model]))
    assert response.status_code == 200
    assert str(populated[model]) in response.content.decode()


def test_the_user_add_page_renders(staff_client):
    response = staff_client.get(reverse("admin:accounts_user_add"))
    assert response.status_code == 200
    assert 'name="email"' in response.content.decode()


@pytest.mark.parametrize("who", ["member", None])
def test_non_staff_are_sent_to_the_admin_login(member, who, model="user"):
    client = Client()
    if who:
        client.force_login(member.user)
    for url in [reverse("admin:index"), changelist("membership"), change("user", member.user)]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


# ------------------------------------------------------------ columns, search and filters


def test_workspace_list_shows_a_member_count(staff_client, populated, other_workspace):
    rows = {w.slug: w for w in listed(staff_client.get(changelist("workspace")))}
    assert rows["acme"].member_count == 3
    assert rows["globex"].member_count == 1


@pytest.mark.parametrize(
    "model, query, expected",
    [
        ("user", "owner@acme", ["owner@acme.test"]),
        ("workspace", "glob", ["Globex"]),
        ("membership", "member@acme", ["member@acme.test in Acme (member)"]),
        ("membership", "globex", ["outsider@globex.test in Globex (owner)"]),
        ("invitation", "newcomer", ["newcomer@example.com to Acme (pending)"]),
        ("invitation", "acme", ["newcomer@example.com to Acme (pending)"]),
    ],
)
def test_search(staff_client, populated, model, query, expected):
    response = staff_client.get(changelist(model), {"q": query})
    assert [str(row) for row in listed(response)] == expected


@pytest.mark.parametrize(
    "model, params, expected",
    [
        ("membership", {"role__exact": "admin"}, ["admin@acme.test in Acme (admin)"]),
        ("membership", {"view_usage__exact": "1"}, ["member@acme.test in Acme (member)"]),
        ("invitation", {"status__exact": "revoked"}, ["old@example.com to Acme (revoked)"]),
        ("invitation", {"expired": "yes"}, ["old@example.com to Acme (revoked)"]),
        ("user", {"is_staff__exact": "1"}, ["support@keyward.test"]),
    ],
)
def test_filters(staff_client, populated, workspace, model, params, expected):
    Membership.objects.filter(pk=populated["membership"].pk).update(view_usage=True)
    old = InvitationFactory(workspace=workspace, email="old@example.com", status=InvitationStatus.REVOKED)
    Invitation.objects.filter(pk=old.pk).update(expires_at=old.created_at)

    response = staff_client.get(changelist(model), params)

    assert [str(row) for row in listed(response)] == expected


def test_membership_list_shows_permissions_readably(staff_client, populated):
    Membership.objects.filter(pk=populated["membership"].pk).update(view_usage=True, manage_licenses=True)
    html = staff_client.get(changelist("membership")).content.decode()
    assert "Manage licenses, View usage" in html
    assert "all (by role)" in html


@pytest.mark.parametrize("model", MODELS)
def test_changelists_run_a_constant_number_of_queries(
    staff_client, workspace, owner, make_member, model, django_assert_max_num_queries
):
    InvitationFactory(workspace=workspace, invited_by=owner.user)
    with CaptureQueriesContext(connection) as few:
        assert staff_client.get(changelist(model)).status_code == 200
    for index in range(20):
        other = make_member(workspace)
        InvitationFactory(
            workspace=Workspace.objects.create(name=f"W{index}", slug=f"w{index}"), invited_by=other.user
        )
    with django_assert_max_num_queries(len(few)):
        assert staff_client.get(changelist(model)).status_code == 200


# ------------------------------------------------------------ users


def test_staff_create_a_user_who_can_log_in(staff_client):
    response = staff_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "New.Person@Example.com",
            "full_name": "New Person",
            "usable_password": "true",
            "password1": "an-unusual-passphrase-9",
            "password2": "an-unusual-passphrase-9",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="new.person@example.com")
    assert user.full_name == "New Person"
    assert Client().login(email="new.person@example.com", password="an-unusual-passphrase-9")


def test_a_duplicate_email_is_refused_whatever_its_case(staff_client, owner):
    response = staff_client.post(
        reverse("admin:accounts_user_add"),
        {"email": "OWNER@acme.test", "usable_password": "false", "password1": "", "password2": ""},
    )
    assert response.status_code == 200
    assert "email" in response.context["adminform"].form.errors
    assert User.objects.filter(email__iexact="owner@acme.test").count() == 1


def test_staff_edit_a_users_name_and_status(staff_client, member):
    user = member.user
    response = submit(staff_client, change("user", user), full_name="Renamed", is_active=None)
    assert response.status_code == 302, response.context["adminform"].form.errors
    user.refresh_from_db()
    assert (user.full_name, user.is_active) == ("Renamed", False)


def test_the_last_owner_of_a_workspace_cannot_be_deleted(staff_client, owner, admin):
    url = reverse("admin:accounts_user_delete", args=[owner.user.pk])
    page = staff_client.get(url).content.decode()
    assert "only owner" in page

    staff_client.post(url, {"post": "yes"})

    assert User.objects.filter(pk=owner.user.pk).exists()
    assert Membership.objects.filter(pk=owner.pk, role=Role.OWNER).exists()


def test_bulk_delete_also_protects_last_owners(staff_client, owner, member):
    staff_client.post(
        changelist("user"),
        {"action": "delete_selected", "_selected_action": [owner.user.pk, member.user.pk], "post": "yes"},
    )
    assert User.objects.filter(pk__in=[owner.user.pk, member.user.pk]).count() == 2


def test_a_co_owner_can_be_deleted(staff_client, owner, make_member, workspace):
    co_owner = make_member(workspace, Role.OWNER)
    response = staff_client.post(
        reverse("admin:accounts_user_delete", args=[co_owner.user.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not User.objects.filter(pk=co_owner.user.pk).exists()
    assert Membership.objects.filter(pk=owner.pk, role=Role.OWNER).exists()


# ------------------------------------------------------------ workspaces


def test_staff_rename_a_workspace_but_not_its_slug(staff_client, workspace, owner):
    response = submit(staff_client, change("workspace", workspace), name="Acme Corp", slug="hijacked")
    assert response.status_code == 302
    workspace.refresh_from_db()
    assert (workspace.name, workspace.slug) == ("Acme Corp", "acme")


def test_staff_onboard_a_customer_workspace_with_an_owner_invitation(
    staff_client, staff, django_capture_on_commit_callbacks
):
    url = reverse("admin:accounts_workspace_add")
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(url, {"name": "Initech", "slug": "", "owner_email": "Boss@Initech.test"})
    assert response.status_code == 302
    workspace = Workspace.objects.get(name="Initech")
    assert workspace.slug == "initech" and not workspace.memberships.exists()
    invitation = Invitation.objects.get(workspace=workspace)
    assert (invitation.email, invitation.role, invitation.invited_by) == ("boss@initech.test", "owner", staff)
    assert (
        mail.outbox[-1].to == ["boss@initech.test"]
        and f"/invitations/{invitation.key}/" in mail.outbox[-1].body
    )


@pytest.mark.parametrize(
    "data,field",
    [
        ({"name": "", "owner_email": "a@b.test"}, "name"),
        ({"name": "X", "owner_email": "not-an-address"}, "owner_email"),
        ({"name": "X", "slug": "acme", "owner_email": "a@b.test"}, "slug"),
        ({"name": "X", "slug": "admin", "owner_email": "a@b.test"}, "slug"),
    ],
)
def test_onboarding_form_names_the_field_and_writes_nothing(staff_client, workspace, data, field):
    before = Workspace.objects.count()
    response = staff_client.post(reverse("admin:accounts_workspace_add"), {"slug": "", **data})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field]
    assert Workspace.objects.count() == before and not Invitation.objects.exists()


def test_the_workspace_page_lists_its_members_read_only(staff_client, workspace, owner, member):
    html = staff_client.get(change("workspace", workspace)).content.decode()
    assert "owner@acme.test" in html and "member@acme.test" in html
    assert 'name="memberships-0-role"' not in html


# ------------------------------------------------------------ memberships


def test_staff_toggle_permissions_but_roles_stay_read_only(staff_client, member):
    response = submit(staff_client, change("membership", member), role="owner", view_usage="on")
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.role == Role.MEMBER
    assert member.view_usage is True


def test_memberships_are_not_added_or_deleted_one_by_one_in_admin(staff_client, member):
    assert staff_client.get(reverse("admin:accounts_membership_add")).status_code == 403
    change_page = staff_client.get(change("membership", member)).content.decode()
    assert reverse("admin:accounts_membership_delete", args=[member.pk]) not in change_page

    response = staff_client.post(
        reverse("admin:accounts_membership_delete", args=[member.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert Membership.objects.filter(pk=member.pk).exists()


# ------------------------------------------------------------ invitations


def test_invitations_are_read_only_and_never_show_their_key(staff_client, invitation):
    page = staff_client.get(change("invitation", invitation)).content.decode()
    listing = staff_client.get(changelist("invitation")).content.decode()
    assert str(invitation.key) not in page and str(invitation.key) not in listing
    assert 'name="email"' not in page

    staff_client.post(change("invitation", invitation), {"email": "evil@example.com"})
    invitation.refresh_from_db()
    assert invitation.email == "newcomer@example.com"


def test_staff_resend_a_pending_invitation_but_not_a_closed_one(
    staff_client, workspace, owner, django_capture_on_commit_callbacks
):
    pending = InvitationFactory(workspace=workspace, email="late@example.com", invited_by=owner.user)
    closed = InvitationFactory(workspace=workspace, email="gone@example.com", status=InvitationStatus.REVOKED)
    before = pending.expires_at
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("admin:accounts_invitation_changelist"),
            {"action": "resend", "_selected_action": [pending.pk, closed.pk]},
            follow=True,
        )
    shown = [str(m) for m in response.context["messages"]]
    assert shown == [
        "1 invitation sent again.",
        "gone@example.com: This invitation was already revoked; send a new one instead.",
    ], shown
    pending.refresh_from_db()
    assert pending.expires_at > before
    assert [m.to for m in mail.outbox] == [["late@example.com"]]


def test_deleting_a_seat_holder_in_admin_releases_their_seat_and_machines(staff_client, member, workspace):
    from licensing.models import Activation
    from tests.licensing.factories import ActivationFactory, LicenseFactory

    seat = LicenseFactory(assignee=member)
    ActivationFactory(license=seat)
    page = staff_client.get(reverse("admin:accounts_user_delete", args=[member.user.pk])).content.decode()
    assert "Cannot delete" not in page
    response = staff_client.post(
        reverse("admin:accounts_user_delete", args=[member.user.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not User.objects.filter(pk=member.user.pk).exists()
    seat.refresh_from_db()
    assert seat.assignee is None and not Activation.objects.filter(license=seat).exists()
