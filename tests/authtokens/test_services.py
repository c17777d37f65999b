"""Token life: issue with the membership, rotate, revoke, end with the membership; telemetry; security log."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Membership, Role
from authtokens import selectors, services
from authtokens.models import AuthToken, SecurityAction, SecurityEvent, TokenKind, TokenUsageDay
from project.errors import DomainError

pytestmark = pytest.mark.django_db


def resolve_code(raw):
    with pytest.raises(DomainError) as caught:
        selectors.token_resolve(raw_token=raw)
    return caught.value.code


def test_every_membership_comes_with_one_unrevealed_developer_token(member):
    token = AuthToken.objects.get(membership=member)
    assert token.kind == TokenKind.DEVELOPER and token.workspace_id == member.workspace_id
    assert not token.revealed and not token.is_revoked
    assert services.developer_token_issue(membership=member) == token  # idempotent
    assert AuthToken.objects.filter(membership=member).count() == 1


def test_rotation_kills_the_old_value_at_once_and_returns_the_new_one(
    member, django_capture_on_commit_callbacks
):
    first = services.developer_token_rotate(actor=member).plaintext
    assert selectors.token_resolve(raw_token=first).membership == member
    with django_capture_on_commit_callbacks(execute=True):
        second = services.developer_token_rotate(actor=member, ip="203.0.113.9")
    assert second.plaintext != first
    assert resolve_code(first) == "TOKEN_INVALID"
    assert selectors.token_resolve(raw_token=second.plaintext).pk == second.token.pk
    assert AuthToken.objects.filter(membership=member).count() == 1
    # The member is told by e-mail, with the last 4 only.
    assert mail.outbox[-1].to == [member.user.email]
    assert second.token.last4 in mail.outbox[-1].body and second.plaintext not in mail.outbox[-1].body
    event = SecurityEvent.objects.filter(action=SecurityAction.TOKEN_ROTATED).latest("id")
    assert (event.actor, event.ip, event.token_last4) == (member.user, "203.0.113.9", second.token.last4)


def test_issued_token_repr_hides_the_plaintext(member):
    issued = services.developer_token_rotate(actor=member)
    assert issued.plaintext not in repr(issued)


def test_removing_a_member_ends_their_token(owner, member):
    plaintext = services.developer_token_rotate(actor=member).plaintext
    account_services.membership_remove(actor=owner, membership=member)
    assert resolve_code(plaintext) == "TOKEN_INVALID"
    assert SecurityEvent.objects.filter(
        action=SecurityAction.TOKEN_ENDED, token_last4=plaintext[-4:]
    ).exists()


def test_ci_token_needs_the_permission(workspace, make_member, member):
    with pytest.raises(DomainError) as caught:
        services.ci_token_create(actor=member, name="deploy")
    assert caught.value.kind == "forbidden"
    granted = make_member(workspace, Role.MEMBER, manage_ci_tokens=True)
    issued = services.ci_token_create(actor=granted, name="deploy", label="backend")
    token = selectors.token_resolve(raw_token=issued.plaintext)
    assert token.kind == TokenKind.CI and token.membership is None and token.workspace == workspace
    assert issued.plaintext.startswith("kw_ci_")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": " "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "ok", "label": "y" * 101}, "label"),
        ({"name": "ok", "expires_at": timezone.now() - timedelta(days=1)}, "expires_at"),
    ],
)
def test_ci_token_input_is_validated(owner, kwargs, field):
    with pytest.raises(DomainError) as caught:
        services.ci_token_create(actor=owner, **kwargs)
    assert caught.value.field == field
    assert not AuthToken.objects.filter(kind=TokenKind.CI).exists()


def test_ci_names_are_unique_among_live_tokens(owner, ci_token):
    first = ci_token("deploy")
    with pytest.raises(DomainError) as caught:
        ci_token("Deploy")
    assert caught.value.code == "NAME_TAKEN"
    services.ci_token_revoke(actor=owner, token=first.token)
    assert ci_token("deploy").token.name == "deploy"


def test_ci_rotate_rename_revoke(owner, ci_token):
    issued = ci_token("deploy")
    rotated = services.ci_token_rotate(actor=owner, token=issued.token)
    assert resolve_code(issued.plaintext) == "TOKEN_INVALID"
    assert selectors.token_resolve(raw_token=rotated.plaintext).pk == issued.token.pk
    services.ci_token_update(actor=owner, token=issued.token, name="release", label="team a")
    issued.token.refresh_from_db()
    assert (issued.token.name, issued.token.label) == ("release", "team a")
    services.ci_token_revoke(actor=owner, token=issued.token)
    assert resolve_code(rotated.plaintext) == "TOKEN_INVALID"
    with pytest.raises(DomainError) as caught:
        services.ci_token_rotate(actor=owner, token=issued.token)
    assert caught.value.code == "TOKEN_REVOKED"
    actions = list(
        SecurityEvent.objects.filter(token=issued.token).order_by("id").values_list("action", flat=True)
    )
    assert actions == ["token_created", "token_rotated", "token_renamed", "token_revoked"]


def test_ci_token_of_another_workspace_is_not_found(outsider, ci_token):
    issued = ci_token("deploy")
    with pytest.raises(DomainError) as caught:
        services.ci_token_revoke(actor=outsider, token=issued.token)
    assert caught.value.kind == "not_found"


def test_expired_token_is_refused(ci_token):
    issued = ci_token("short", expires_at=timezone.now() + timedelta(hours=1))
    AuthToken.objects.filter(pk=issued.token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert resolve_code(issued.plaintext) == "TOKEN_INVALID"


def test_legacy_token_works_until_sunset_then_is_refused(admin, ci_token):
    staff = admin.user
    staff.is_staff = True
    issued = ci_token("old")
    services.token_mark_legacy(
        token=issued.token, sunset_at=timezone.now() + timedelta(days=3), staff_user=staff
    )
    assert selectors.token_resolve(raw_token=issued.plaintext).is_legacy
    AuthToken.objects.filter(pk=issued.token.pk).update(sunset_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(DomainError) as caught:
        selectors.token_resolve(raw_token=issued.plaintext)
    assert caught.value.code == "LEGACY_TOKEN_SUNSET" and "new CI token" in caught.value.message


def test_malformed_token_is_refused_without_a_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert resolve_code("kw_dev_" + "a" * 36) == "TOKEN_INVALID"
        assert resolve_code("not a token") == "TOKEN_INVALID"


def test_resolve_is_one_query(member, django_assert_num_queries):
    plaintext = services.developer_token_rotate(actor=member).plaintext
    with django_assert_num_queries(1):
        token = selectors.token_resolve(raw_token=plaintext)
        assert token.membership.user.email == member.user.email and token.workspace.slug == "acme"


def test_recording_a_use_is_one_write_and_counts_are_real(ci_token, django_assert_num_queries):
    token = ci_token("deploy").token
    for ip in ["198.51.100.1", "198.51.100.2", "not-an-ip"]:
        with django_assert_num_queries(1):
            services.token_record_use(token=token, ip=ip)
    day = TokenUsageDay.objects.get(token=token)
    assert day.uses == 3 and day.last_used_ip is None
    listed = selectors.ci_token_list(workspace=token.workspace).get()
    assert listed.use_count == 3 and listed.last_used_at is not None
    admin = Membership(workspace=token.workspace, role=Role.ADMIN)
    usage = selectors.token_daily_usage(viewer=admin, token=token)
    assert len(usage) == 30 and usage[-1]["uses"] == 3 and usage[-1]["percent"] == 100
    assert sum(point["uses"] for point in usage) == 3


def test_a_member_sees_their_own_developer_token_usage_but_not_another_members(
    workspace, member, make_member
):
    colleague = make_member(workspace, email="colleague@acme.test")
    theirs = AuthToken.objects.get(membership=colleague)
    mine = AuthToken.objects.get(membership=member)
    services.token_record_use(token=theirs, ip="192.0.2.1")

    assert len(selectors.token_daily_usage(viewer=member, token=mine)) == 30
    with pytest.raises(DomainError) as caught:
        selectors.token_daily_usage(viewer=member, token=theirs)
    assert caught.value.kind == "forbidden"
    assert caught.value.message == (
        "You need the “view usage” permission to see token usage; ask a workspace admin."
    )
    reader = make_member(workspace, email="reader@acme.test", view_usage=True)
    assert selectors.token_daily_usage(viewer=reader, token=theirs)[-1]["uses"] == 1


def test_ci_token_list_runs_a_constant_number_of_queries(owner, ci_token, django_assert_max_num_queries):
    for n in range(12):
        services.token_record_use(token=ci_token(f"pipeline {n}").token, ip="192.0.2.1")
    with django_assert_max_num_queries(1):
        rows = list(selectors.ci_token_list(workspace=owner.workspace))
        assert [row.created_by.email for row in rows][0] == owner.user.email
        assert all(row.use_count == 1 for row in rows)


@pytest.mark.django_db(transaction=True)
def test_uses_counted_in_redis_reach_the_database_at_the_flush_and_none_is_lost(
    shared_client_cache, ci_token, django_assert_num_queries, call_command_output
):
    token = ci_token("deploy").token
    with django_assert_num_queries(0):  # a use only touches the shared cache
        for n in range(5):
            services.token_record_use(token=token, ip=f"192.0.2.{n}")
    assert not TokenUsageDay.objects.filter(token=token).exists()

    assert "1 token" in call_command_output("flush_token_usage")
    day = TokenUsageDay.objects.get(token=token)
    assert (day.uses, day.last_used_ip) == (5, "192.0.2.4")
    services.token_record_use(token=token, ip="192.0.2.9")
    assert "1 token" in call_command_output("flush_token_usage")
    assert "0 token" in call_command_output("flush_token_usage")
    assert TokenUsageDay.objects.get(token=token).uses == 6


def test_without_redis_each_use_is_written_at_once(ci_token, django_assert_num_queries):
    token = ci_token("deploy").token
    with django_assert_num_queries(1):
        services.token_record_use(token=token, ip="192.0.2.1")
    assert TokenUsageDay.objects.get(token=token).uses == 1


@pytest.fixture
def call_command_output():
    from io import StringIO

    from django.core.management import call_command

    def run(name):
        out = StringIO()
        call_command(name, stdout=out)
        return out.getvalue()

    return run
