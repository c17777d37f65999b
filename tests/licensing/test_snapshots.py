"""The client API's snapshots in the shared cache (Redis): a change through Keyward is in the very next
answer, a warm answer reads (almost) no row, and the counts buffered in Redis reach the database exact.

These tests commit for real (transactional_db): snapshots are made stale when a transaction commits.
The same across two real server processes: tests/hotpath.
"""

import time

import pytest
from django.utils import timezone

from accounts import services as account_services
from authtokens import services as token_services
from licensing import counters, snapshots
from licensing.models import Activation, License, LicenseValidationDay
from licensing.services import activation as client
from licensing.services import licenses as license_services
from project.client_cache import PendingWindows, client_cache
from tests.licensing.factories import ActivationFactory, LicenseFactory, PolicyFactory, ProductFactory

VALIDATE = "/api/v1/licenses/validate"
ACTIVATE = "/api/v1/client/activate"
INFO = "/api/v1/client/info"

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("shared_client_cache")]


@pytest.fixture
def policy():
    return PolicyFactory(
        product=ProductFactory(code="emulator"), name="Pro", max_activations=3, allow_ci=True
    )


@pytest.fixture
def seat(policy, member):
    return LicenseFactory(policy=policy, workspace=member.workspace, assignee=member)


@pytest.fixture
def token(member):
    return token_services.developer_token_rotate(actor=member).plaintext


def validate(api_client, license, **extra):
    return api_client.post(VALIDATE, {"key": license.plaintext_key, **extra}, format="json").json()


def activate(api_client, token, fingerprint="fp-1"):
    body = {"product": "emulator", "machine": {"fingerprint": fingerprint, "name": "laptop"}}
    return api_client.post(ACTIVATE, body, format="json", HTTP_AUTHORIZATION=f"Bearer {token}")


def info(api_client, token, **query):
    return api_client.get(INFO, {"product": "emulator", **query}, HTTP_AUTHORIZATION=f"Bearer {token}")


# ---------------------------------------------------------------- a change is in the next answer


def test_a_suspension_is_in_the_next_validation(api_client, seat):
    assert validate(api_client, seat)["code"] == "VALID"
    assert validate(api_client, seat)["code"] == "VALID"  # now from the snapshot

    license_services.license_suspend(license=seat)
    assert validate(api_client, seat)["code"] == "SUSPENDED"
    license_services.license_reinstate(license=License.objects.get(pk=seat.pk))
    assert validate(api_client, seat)["code"] == "VALID"


def test_an_old_key_stops_at_once_when_the_license_is_re_keyed(api_client, seat):
    assert validate(api_client, seat)["code"] == "VALID"

    _, new_key = license_services.license_rekey(license=seat, keep_machines=True)

    assert validate(api_client, seat)["code"] == "NOT_FOUND"
    assert api_client.post(VALIDATE, {"key": new_key}, format="json").json()["code"] == "VALID"


def test_a_released_machine_is_not_activated_in_the_next_validation(api_client, seat):
    machine = ActivationFactory(license=seat, fingerprint="fp-9")
    assert validate(api_client, seat, fingerprint="fp-9")["code"] == "VALID"

    client.activation_deactivate(activation=Activation.objects.select_related("license").get(pk=machine.pk))

    assert validate(api_client, seat, fingerprint="fp-9")["code"] == "NOT_ACTIVATED"


def test_a_heartbeat_is_in_the_next_validation(api_client, seat):
    machine = ActivationFactory(license=seat, fingerprint="fp-9", last_heartbeat_at=None)
    assert validate(api_client, seat, fingerprint="fp-9")["activation"]["last_heartbeat_at"] is None

    client.activation_heartbeat(activation_id=machine.public_id)

    assert validate(api_client, seat, fingerprint="fp-9")["activation"]["last_heartbeat_at"] is not None


def test_a_policy_change_is_in_the_next_answer(api_client, seat, token, policy):
    assert validate(api_client, seat)["license"]["max_activations"] == 3
    assert info(api_client, token).json()["license"]["max_activations"] == 3

    policy.max_activations = 7  # as staff would in Django admin
    policy.save()

    assert validate(api_client, seat)["license"]["max_activations"] == 7
    assert info(api_client, token).json()["license"]["max_activations"] == 7


def test_a_save_outside_the_services_is_seen_too(api_client, seat):
    """Support staff editing a row in Django admin: the snapshot follows the row, not the service."""
    assert validate(api_client, seat)["license"]["name"] == seat.name
    seat.name = "Renamed in admin"
    seat.save()

    assert validate(api_client, seat)["license"]["name"] == "Renamed in admin"


def test_an_unassigned_seat_is_gone_from_the_next_token_answer(api_client, seat, token, owner):
    assert activate(api_client, token).status_code == 201
    assert info(api_client, token).json()["is_license_activated"] is True

    license_services.license_unassign(actor=owner, license=seat)

    assert info(api_client, token).json()["license"] is None
    assert activate(api_client, token).json()["code"] == "LICENSE_NOT_ASSIGNED"


def test_a_rotated_token_is_refused_at_once_and_its_successor_works(api_client, seat, token, member):
    assert activate(api_client, token).status_code == 201

    successor = token_services.developer_token_rotate(actor=member).plaintext

    assert activate(api_client, token).json()["code"] == "TOKEN_INVALID"
    assert activate(api_client, successor).status_code == 200


def test_a_removed_member_s_token_is_refused_at_once(api_client, seat, token, owner, member):
    assert activate(api_client, token).status_code == 201

    account_services.membership_remove(actor=owner, membership=member)

    assert activate(api_client, token).json()["code"] == "TOKEN_INVALID"


def test_a_deactivated_user_s_token_is_refused_at_once(api_client, seat, token, member):
    assert info(api_client, token).status_code == 200
    member.user.is_active = False
    member.user.save()

    assert info(api_client, token).json()["code"] == "TOKEN_INVALID"


def test_a_new_seat_reaches_the_token_at_once(api_client, token, member, policy, owner):
    assert info(api_client, token).json()["license"] is None
    license = LicenseFactory(policy=policy, workspace=member.workspace)

    license_services.license_assign(actor=owner, license=license, membership=member)

    assert info(api_client, token).json()["license"]["id"] == license.public_id


def test_a_ci_token_sees_a_new_workspace_license_at_once(api_client, owner, policy):
    ci = token_services.ci_token_create(actor=owner, name="deploy").plaintext
    assert info(api_client, ci).json()["license"] is None

    license = LicenseFactory(policy=policy, workspace=owner.workspace)

    assert info(api_client, ci).json()["license"]["id"] == license.public_id


def test_without_an_invalidation_the_ttl_bounds_a_stale_answer(api_client, seat, settings):
    """A write that sends no signal (a raw UPDATE) is the one thing a snapshot cannot see: the TTL
    bounds how long it lasts."""
    settings.CLIENT_CACHE_SECONDS = 1
    assert validate(api_client, seat)["code"] == "VALID"
    License.objects.filter(pk=seat.pk).update(status="suspended")
    assert validate(api_client, seat)["code"] == "VALID"  # stale, within the TTL

    time.sleep(1.2)

    assert validate(api_client, seat)["code"] == "SUSPENDED"


def test_a_snapshot_filled_from_rows_a_change_was_replacing_is_never_served(seat):
    """The fill race: a request reads the generations, a change commits and bumps them, then the
    request stores what it read before the change. That snapshot carries the old generations."""
    cache = client_cache()
    key = cache.key("key", seat.key_hash)
    generations = [cache.key(f"gen:key:{seat.key_hash}"), cache.key(snapshots.CATALOG)]
    _, read_before = cache.snapshot_read(key, generations)
    stale = snapshots.KeySnapshot(License.objects.get(pk=seat.pk))

    license_services.license_suspend(license=seat)  # commits, then bumps
    cache.snapshot_write(key, read_before, stale)

    assert cache.snapshot_read(key, generations)[0] is None
    assert client.license_key_validate(key=seat.plaintext_key).code == "SUSPENDED"


def test_unknown_keys_are_not_cached(api_client, seat):
    cache = client_cache()
    api_client.post(VALIDATE, {"key": "KW-NOPE0-NOPE0-NOPE0-NOPE0"}, format="json")
    assert not list(cache.redis.scan_iter(cache.key("key", "*")))


def test_a_token_snapshot_holds_no_license_key_and_no_password(api_client, seat, token, member, owner):
    """A developer token's snapshot and a CI token's (which lists members' seats as a last resort) keep
    the licenses they run under, but never a plaintext key or the seat holder's password hash."""
    cache = client_cache()
    ci = token_services.ci_token_create(actor=owner, name="deploy").plaintext
    assert info(api_client, token).json()["license"]["id"] == seat.public_id
    assert info(api_client, ci).json()["license"]["id"] == seat.public_id

    stored = [cache.redis.get(name) for name in cache.redis.scan_iter(cache.key("token", "*"))]

    assert len(stored) == 2 and seat.key == seat.plaintext_key and member.user.password
    for snapshot in stored:
        assert seat.plaintext_key.encode() not in snapshot
        assert member.user.password.encode() not in snapshot


# ---------------------------------------------------------------- warm answers read (almost) nothing


def test_warm_answers_read_no_row(api_client, seat, token, django_assert_max_num_queries):
    assert activate(api_client, token).status_code == 201
    validate(api_client, seat, fingerprint="fp-1")
    info(api_client, token, fingerprint="fp-1")
    activate(api_client, token)

    with django_assert_max_num_queries(0):
        assert validate(api_client, seat, fingerprint="fp-1")["code"] == "VALID"
    with django_assert_max_num_queries(0):  # the machine comes from the license key's snapshot
        assert activate(api_client, token).status_code == 200
    with django_assert_max_num_queries(0):
        assert info(api_client, token, fingerprint="fp-1").json()["is_license_activated"] is True
    with django_assert_max_num_queries(0):
        assert info(api_client, token, fingerprint="fp-other").json()["is_license_activated"] is False
    assert Activation.objects.filter(license=seat).count() == 1


@pytest.fixture
def redis_round_trips(monkeypatch):
    """The names of the commands (a pipeline counts as one, "PIPELINE") the client cache sends to Redis,
    each a round trip; the real Redis answers them."""
    client = client_cache().redis
    trips = []
    real_execute, real_pipeline = client.execute_command, client.pipeline

    def execute_command(*args, **options):
        trips.append(args[0])
        return real_execute(*args, **options)

    def pipeline(*args, **kwargs):
        pipe = real_pipeline(*args, **kwargs)
        real_pipe_execute = pipe.execute
        pipe.execute = lambda *a, **k: (trips.append("PIPELINE"), real_pipe_execute(*a, **k))[1]
        return pipe

    monkeypatch.setattr(client, "execute_command", execute_command)
    monkeypatch.setattr(client, "pipeline", pipeline)
    return trips


def test_a_warm_answer_is_one_round_trip_to_redis(api_client, seat, token, redis_round_trips):
    """Rate-limit windows, the count and every snapshot an answer needs (a token's with its workspace's
    generation and its seat's machines) come back from a single script call once this process has
    served the token."""
    assert activate(api_client, token).status_code == 201
    validate(api_client, seat, fingerprint="fp-1")
    info(api_client, token, fingerprint="fp-1")

    for call in (
        lambda: validate(api_client, seat, fingerprint="fp-1")["code"] == "VALID",
        lambda: activate(api_client, token).status_code == 200,
        lambda: info(api_client, token, fingerprint="fp-1").json()["is_license_activated"] is True,
    ):
        redis_round_trips.clear()
        assert call()
        assert redis_round_trips == ["EVALSHA"]


def test_a_machine_change_reaches_a_warm_token_answer(api_client, seat, token):
    """The seat's machines read with a warm token are current: a machine activated with the license
    key, then released, shows in the very next token answer."""
    assert activate(api_client, token).status_code == 201
    info(api_client, token, fingerprint="fp-key")  # the token is warm in this process
    assert info(api_client, token, fingerprint="fp-key").json()["is_license_activated"] is False

    machine = client.license_key_activate(key=seat.plaintext_key, name="ci", fingerprint="fp-key")
    assert info(api_client, token, fingerprint="fp-key").json()["is_license_activated"] is True

    client.license_key_deactivate(key=seat.plaintext_key, activation_id=machine.public_id)
    assert info(api_client, token, fingerprint="fp-key").json()["is_license_activated"] is False


# ---------------------------------------------------------------- counts


def test_ten_thousand_validations_are_counted_exactly_by_one_flush(policy, flush_counts):
    licenses = [LicenseFactory(policy=policy) for _ in range(4)]
    for n in range(10_000):
        client.license_key_validate(key=licenses[n % 4].plaintext_key)
    assert License.objects.filter(validation_count__gt=0).count() == 0  # nothing written in the requests

    flush_counts()

    today = timezone.localdate()
    for license in License.objects.filter(pk__in=[license.pk for license in licenses]):
        assert license.validation_count == 2_500
        assert license.last_validated_at is not None
        assert LicenseValidationDay.objects.get(license=license, day=today).count == 2_500
    assert counters.validation_counts_flush() == 0  # nothing left


def test_counts_taken_by_a_flush_that_failed_are_applied_by_the_next(seat):
    for _ in range(3):
        client.license_key_validate(key=seat.plaintext_key)
    with pytest.raises(RuntimeError):
        for _fields in client_cache().counts_take(counters.VALIDATIONS):
            raise RuntimeError("the database went away")
    client.license_key_validate(key=seat.plaintext_key)

    assert counters.validation_counts_flush() == 4
    assert License.objects.get(pk=seat.pk).validation_count == 4


def test_a_deleted_license_s_pending_counts_are_dropped(policy, seat):
    other = LicenseFactory(policy=policy)
    client.license_key_validate(key=seat.plaintext_key)
    client.license_key_validate(key=other.plaintext_key)
    other.delete()

    assert counters.validation_counts_flush() == 1
    assert License.objects.get(pk=seat.pk).validation_count == 1


def test_a_token_s_uses_are_counted_by_the_flush(api_client, seat, token, member, flush_counts):
    from authtokens.models import TokenUsageDay

    for _ in range(3):
        info(api_client, token)
    assert not TokenUsageDay.objects.exists()

    flush_counts()

    assert TokenUsageDay.objects.get(token__membership=member).uses == 3


def test_rate_limit_windows_in_redis_expire(api_client, seat):
    for _ in range(3):
        validate(api_client, seat)
    cache = client_cache()
    windows = list(cache.redis.scan_iter(cache.key("throttle_*")))
    assert len(windows) == 2  # per IP and per license key
    for window in windows:
        assert int(cache.redis.get(window)) == 3
        assert 0 < cache.redis.ttl(window) <= 60


def test_a_request_s_windows_are_counted_once_however_many_reads_carry_them(seat):
    cache = client_cache()
    windows = PendingWindows([("throttle_test_once", 60, 10, 60)])
    for _ in range(2):
        cache.snapshot_read(cache.key("key", seat.key_hash), [], windows=windows)

    assert int(cache.redis.get(cache.key("throttle_test_once"))) == 1
