"""Dashboard pages: Auth tokens, reset with confirmation and shown-once display, CI tokens, log, admin."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Role
from authtokens import selectors, services
from authtokens.models import AuthToken, SecurityEvent, TokenKind
from project.errors import DomainError

pytestmark = pytest.mark.django_db


@pytest.fixture
def web():
    """web(membership) -> a Django test Client logged in as that member."""

    def make(who):
        client = Client()
        client.force_login(getattr(who, "user", who))
        return client

    return make


def url(name, slug="acme", **kwargs):
    return reverse(f"authtokens:{name}", kwargs={"workspace_slug": slug, **kwargs})


def test_tokens_page_shows_the_masked_developer_token(member, web):
    token = AuthToken.objects.get(membership=member)
    response = web(member).get(url("tokens"))
    assert response.status_code == 200
    html = response.content.decode()
    assert f"kw_dev_…{token.last4}" in html
    assert "Generate my token" in html  # a new member's value was never shown
    assert "export KEYWARD_AUTH_TOKEN=" in html and "secrets.KEYWARD_AUTH_TOKEN" in html
    assert token.token_hash not in html


def test_reset_asks_first_then_shows_the_new_token_exactly_once(member, web):
    client = web(member)
    services.developer_token_rotate(actor=member)  # make it a token in use
    confirm = client.get(url("developer_reset"))
    assert confirm.status_code == 200 and "stops working" in confirm.content.decode()

    response = client.post(url("developer_reset"), follow=True)
    html = response.content.decode()
    token = AuthToken.objects.get(membership=member)
    shown = html.split('id="new-token" value="')[1].split('"')[0]
    assert shown.startswith("kw_dev_") and shown.endswith(token.last4)
    assert selectors.token_resolve(raw_token=shown).pk == token.pk
    assert "Do not commit it to git" in html and 'data-copy="new-token"' in html
    assert response["Cache-Control"] == "no-store"

    again = client.get(url("tokens")).content.decode()
    assert shown not in again and "new-token" not in again


def test_a_get_never_resets(member, web):
    before = AuthToken.objects.get(membership=member).token_hash
    web(member).get(url("developer_reset"))
    assert AuthToken.objects.get(membership=member).token_hash == before


def test_manager_creates_rotates_and_revokes_ci_tokens(owner, web):
    client = web(owner)
    response = client.post(url("ci_create"), {"name": "deploy", "label": "backend"}, follow=True)
    html = response.content.decode()
    token = AuthToken.objects.get(kind=TokenKind.CI, name="deploy")
    shown = html.split('id="new-token" value="')[1].split('"')[0]
    assert shown.startswith("kw_ci_") and selectors.token_resolve(raw_token=shown).pk == token.pk

    detail = client.get(url("token_detail", token_id=token.public_id))
    assert detail.status_code == 200 and 'class="chart"' in detail.content.decode()

    assert "stops working" in client.get(url("ci_rotate", token_id=token.public_id)).content.decode()
    client.post(url("ci_rotate", token_id=token.public_id))
    with pytest.raises(DomainError):
        selectors.token_resolve(raw_token=shown)

    client.post(url("ci_rename", token_id=token.public_id), {"name": "release", "label": ""})
    token.refresh_from_db()
    assert token.name == "release"

    client.post(url("ci_revoke", token_id=token.public_id))
    token.refresh_from_db()
    assert token.is_revoked


def test_create_form_errors_are_shown_and_nothing_is_written(owner, web):
    response = web(owner).post(url("ci_create"), {"name": "", "label": "x"})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    assert not AuthToken.objects.filter(kind=TokenKind.CI).exists()


def test_members_without_the_permission_see_but_cannot_manage(member, ci_token, web):
    token = ci_token("deploy").token
    client = web(member)
    html = client.get(url("tokens")).content.decode()
    assert "deploy" in html and "New CI token" not in html and "Revoke" not in html
    assert client.post(url("ci_create"), {"name": "mine"}).status_code == 403
    client.post(url("ci_revoke", token_id=token.public_id))
    client.post(url("ci_rotate", token_id=token.public_id))
    token.refresh_from_db()
    assert not token.is_revoked and token.rotated_at is None


def test_ci_token_usage_needs_view_usage_on_the_dashboard(member, workspace, make_member, ci_token, web):
    token = ci_token("deploy").token
    services.token_record_use(token=token, ip="198.51.100.1")
    hidden = web(member).get(url("token_detail", token_id=token.public_id)).content.decode()
    assert 'data-testid="usage-hidden"' in hidden and 'data-testid="usage-chart"' not in hidden
    assert 'data-testid="use-count"' not in hidden
    listed = web(member).get(url("tokens")).content.decode()
    assert "1 use" not in listed
    reader = make_member(workspace, email="reader@acme.test", view_usage=True)
    shown = web(reader).get(url("token_detail", token_id=token.public_id)).content.decode()
    assert 'data-testid="usage-chart"' in shown and 'data-testid="usage-hidden"' not in shown
    assert "1 use" in web(reader).get(url("tokens")).content.decode()


def test_outsiders_get_404(outsider, ci_token, web):
    token = ci_token("deploy").token
    client = web(outsider)
    for name, kwargs in [
        ("tokens", {}),
        ("developer_reset", {}),
        ("security_log", {}),
        ("token_detail", {"token_id": token.public_id}),
        ("ci_revoke", {"token_id": token.public_id}),
    ]:
        assert client.get(url(name, **kwargs)).status_code == 404, name
    assert client.post(url("ci_revoke", token_id=token.public_id)).status_code == 404
    assert client.get(url("token_detail", slug="globex", token_id=token.public_id)).status_code == 404
    token.refresh_from_db()
    assert not token.is_revoked


def test_someone_elses_developer_token_page_is_404(owner, member, web):
    theirs = AuthToken.objects.get(membership=owner)
    assert web(member).get(url("token_detail", token_id=theirs.public_id)).status_code == 404


def test_security_log_is_for_admins_and_paginated(
    admin, member, ci_token, web, django_assert_max_num_queries
):
    for n in range(60):
        ci_token(f"t{n}")
    refused = web(member).get(url("security_log"))
    assert refused.status_code == 403
    assert "Only workspace admins and owners can read the security log." in refused.content.decode()
    client = web(admin)
    with django_assert_max_num_queries(12):
        response = client.get(url("security_log"))
    html = response.content.decode()
    assert response.status_code == 200 and "Page 1 of 2" in html and "Token created" in html
    assert SecurityEvent.objects.filter(workspace__slug="acme").count() > 60


def test_tokens_page_query_count_is_flat(owner, ci_token, web, django_assert_max_num_queries):
    for n in range(20):
        services.token_record_use(token=ci_token(f"t{n}").token, ip="192.0.2.1")
    client = web(owner)
    with django_assert_max_num_queries(12):
        response = client.get(url("tokens"))
    assert response.content.decode().count('data-token="') == 20


def test_nav_links_appear(admin, member, web):
    assert "Security log" in web(admin).get(url("tokens")).content.decode()
    assert "Security log" not in web(member).get(url("tokens")).content.decode()


# ---------------------------------------------------------------- Django admin


@pytest.fixture
def staff_client(admin):
    admin.user.is_staff = admin.user.is_superuser = True
    admin.user.save()
    client = Client()
    client.force_login(admin.user)
    return client


def test_admin_lists_tokens_without_hashes_and_cannot_add(staff_client, member, ci_token):
    issued = ci_token("deploy")
    listing = staff_client.get(reverse("admin:authtokens_authtoken_changelist")).content.decode()
    change = staff_client.get(
        reverse("admin:authtokens_authtoken_change", args=[issued.token.pk])
    ).content.decode()
    for token in AuthToken.objects.all():
        assert token.token_hash not in listing and token.token_hash not in change
    assert f"kw_ci_…{issued.token.last4}" in listing and member.user.email in listing
    assert issued.plaintext not in listing
    assert staff_client.get(reverse("admin:authtokens_authtoken_add")).status_code == 403
    assert 'name="token_hash"' not in change


def test_admin_revoke_action(staff_client, ci_token):
    issued = ci_token("deploy")
    staff_client.post(
        reverse("admin:authtokens_authtoken_changelist"),
        {"action": "revoke_tokens", "_selected_action": [issued.token.pk]},
    )
    issued.token.refresh_from_db()
    assert issued.token.revoke_reason == "staff"
    assert SecurityEvent.objects.filter(token=issued.token, action="token_revoked").exists()


def test_admin_security_events_are_read_only(staff_client, ci_token):
    ci_token("deploy")
    assert staff_client.get(reverse("admin:authtokens_securityevent_changelist")).status_code == 200
    assert staff_client.get(reverse("admin:authtokens_securityevent_add")).status_code == 403


def test_demo_seed_is_idempotent_and_prints_no_secret(db):
    from accounts import demo as accounts_demo
    from authtokens import demo

    accounts_demo.seed()
    first = demo.seed()
    count = AuthToken.objects.count()
    assert demo.seed() == first and AuthToken.objects.count() == count
    assert AuthToken.objects.filter(kind=TokenKind.CI).count() == 4
    assert not any("kw_" in line for line in first)
    assert AuthToken.objects.filter(kind=TokenKind.DEVELOPER, membership__role=Role.MEMBER).count() == 2


def test_admin_sets_a_sunset_date_through_the_service(staff_client, ci_token):
    token = ci_token("deploy").token
    change_url = reverse("admin:authtokens_authtoken_change", args=[token.pk])
    response = staff_client.post(change_url, {"sunset_at_0": "2031-01-31", "sunset_at_1": "12:00:00"})
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.is_legacy and f"{token.sunset_at:%Y-%m-%d}" == "2031-01-31"
    assert SecurityEvent.objects.filter(token=token, action="token_marked_legacy").exists()
