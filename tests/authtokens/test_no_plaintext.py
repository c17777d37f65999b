"""After tokens are created and rotated through the API, no text column of any table holds a plaintext."""

import pytest
from django.apps import apps
from django.db import connection

pytestmark = pytest.mark.django_db

API = "/api/v1/workspaces/acme/auth-tokens"


def all_text_in_database() -> str:
    """Every text value of every table (all columns, so nothing is missed), read with raw SQL."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted}")
            for row in cursor.fetchall():
                chunks.extend(str(value) for value in row if isinstance(value, (str, bytes, memoryview)))
    return "\n".join(chunks)


def test_no_table_contains_a_plaintext_token(
    owner, member, client_for, api_client, django_capture_on_commit_callbacks
):
    plaintexts = []
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            created = client_for(owner).post(
                f"{API}/ci/", {"name": f"pipeline {n}", "label": "ops"}, format="json"
            )
            plaintexts.append(created.json()["token"])
            rotated = client_for(owner).post(f"{API}/ci/{created.json()['id']}/rotate/")
            plaintexts.append(rotated.json()["token"])
        for who in (owner, member):
            plaintexts.append(client_for(who).post(f"{API}/developer/rotate/").json()["token"])
    # Use the developer tokens, so telemetry rows (with IPs) exist too.
    for plaintext in plaintexts[-2:]:
        assert (
            api_client.get(f"{API}/developer/", HTTP_AUTHORIZATION=f"Bearer {plaintext}").status_code == 200
        )

    dump = all_text_in_database()
    assert apps.get_model("authtokens", "AuthToken").objects.count() >= 5
    assert apps.get_model("authtokens", "TokenUsageDay").objects.count() == 2
    assert "kw_ci_" not in dump and "kw_dev_" not in dump
    for plaintext in plaintexts:
        assert plaintext.startswith(("kw_dev_", "kw_ci_"))
        assert plaintext not in dump
        assert plaintext[7:] not in dump and plaintext[6:-4] not in dump  # nor its secret part
