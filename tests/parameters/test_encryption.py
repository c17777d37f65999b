"""Secrets at rest: no plaintext in any table, key rotation, a key that is gone, and the production guard."""

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError, SystemCheckError

from parameters import services
from parameters.models import Parameter, ParameterVersion
from tests.authtokens.test_no_plaintext import all_text_in_database

pytestmark = pytest.mark.django_db

API = "/api/v1/workspaces/acme/parameters/"
SECRETS = ["correct horse battery staple", "pg-pa55word-4e1f", "multi\nline secret"]


def _create_secrets_through_every_door(owner, client_for):
    client = client_for(owner)
    client.post(
        API, {"stage": "prod", "name": "DB_PASSWORD", "value": SECRETS[0], "secret": True}, format="json"
    )
    client.patch(f"{API}DB_PASSWORD/?stage=prod", {"value": SECRETS[1]}, format="json")
    client.post(API, {"name": "CERT", "value": SECRETS[2], "secret": True}, format="json")
    client.post(f"{API}DB_PASSWORD/versions/1/restore/?stage=prod")
    client.post(API, {"name": "PLAIN", "value": "not-a-secret"}, format="json")


def test_no_table_holds_a_plaintext_secret(owner, client_for):
    _create_secrets_through_every_door(owner, client_for)
    services.parameter_reveal(actor=owner, parameter=Parameter.objects.get(name="CERT"), ip="127.0.0.1")
    dump = all_text_in_database()
    assert ParameterVersion.objects.filter(is_secret=True).count() == 4
    assert "not-a-secret" in dump  # the dump does see parameter values
    for fragment in SECRETS + ["horse battery", "pa55word", "line secret"]:
        assert fragment not in dump


def test_rotation_reencrypts_every_secret_version_and_all_stay_readable(owner, client_for, settings, capsys):
    _create_secrets_through_every_door(owner, client_for)
    before = dict(ParameterVersion.objects.values_list("pk", "stored_value"))
    old_key = settings.PARAMETER_KEYS[0]
    new_key = Fernet.generate_key().decode()
    settings.PARAMETER_KEYS = [new_key, old_key]

    out = io.StringIO()
    call_command("rotate_parameter_keys", stdout=out)
    assert out.getvalue().strip() == (  # 2 parameters + 4 versions
        "Re-encrypted 6 parameter rows and the signing secrets of 0 webhook endpoints under the newest key."
    )

    settings.PARAMETER_KEYS = [new_key]  # the old key is gone: everything must still open
    new_only = Fernet(new_key.encode())
    for version in ParameterVersion.objects.filter(is_secret=True):
        assert version.stored_value != before[version.pk]
        assert new_only.decrypt(version.stored_value.encode()).decode() in SECRETS
    assert client_for(owner).get(API, {"stage": "prod"}).json() == {
        "DB_PASSWORD": SECRETS[0],
        "CERT": SECRETS[2],
        "PLAIN": "not-a-secret",
    }


def test_a_row_under_a_key_no_longer_configured_is_a_clear_error_not_a_500(owner, client_for, settings):
    _create_secrets_through_every_door(owner, client_for)
    settings.PARAMETER_KEYS = [Fernet.generate_key().decode()]  # the old key was dropped too early

    response = client_for(owner).get(API, {"stage": "prod"})
    assert response.status_code == 409
    assert response.json()["code"] == "PARAMETER_KEY_MISSING"
    assert "PARAMETER_KEYS" in response.json()["message"]

    before = dict(ParameterVersion.objects.values_list("pk", "stored_value"))
    with pytest.raises(CommandError, match="Nothing was changed.*PARAMETER_KEYS"):
        call_command("rotate_parameter_keys", stdout=io.StringIO())
    assert dict(ParameterVersion.objects.values_list("pk", "stored_value")) == before

    # A new value can still replace one nobody can read any more.
    fixed = client_for(owner).patch(f"{API}DB_PASSWORD/?stage=prod", {"value": "fresh"}, format="json")
    assert fixed.status_code == 200 and fixed.json()["version"] == 4  # created, changed, restored, fixed
    assert client_for(owner).get(f"{API}DB_PASSWORD/", {"stage": "prod"}).json()["value"] == "fresh"


def test_without_keys_and_debug_off_keyward_refuses_to_start(settings):
    settings.PARAMETER_KEYS = []
    settings.DEBUG = False
    with pytest.raises(SystemCheckError, match="PARAMETER_KEYS"):
        call_command("check")


def test_a_malformed_key_is_reported_before_any_request(settings):
    settings.PARAMETER_KEYS = ["not-a-fernet-key"]
    with pytest.raises(SystemCheckError, match="not a Fernet key"):
        call_command("check")


def test_development_generates_a_key_into_a_git_ignored_file(settings, tmp_path, owner):
    settings.PARAMETER_KEYS = []
    settings.DEBUG = True
    settings.PARAMETER_KEYS_FILE = tmp_path / "parameter_keys.txt"
    parameter = services.parameter_create(actor=owner, stage="dev", name="S", value="v", is_secret=True)
    assert (tmp_path / "parameter_keys.txt").stat().st_mode & 0o777 == 0o600
    key = (tmp_path / "parameter_keys.txt").read_text().strip()
    assert Fernet(key.encode()).decrypt(parameter.stored_value.encode()) == b"v"
    call_command("check")  # no error with DEBUG on
