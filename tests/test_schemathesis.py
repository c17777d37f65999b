"""Schemathesis (from PyPI) against the live test server's /api/schema/, over every operation, as a plain
member and as a staff user: zero 5xx, and every answer matches the schema (status, body, content type).

Bounded for CI: SCHEMATHESIS_MAX_EXAMPLES examples per operation (default 8) and a seed, so one run
takes well under a minute per caller. Operations that would end the caller's own credential (rotating
the developer token, leaving or deleting the workspace) are left out, or every later call is a 401.

`status_code_conformance` holds each operation to the error statuses the schema lists for it
(project/error_codes.py's schema hook adds the ones implied by where an operation sits).
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from accounts.models import Role
from authtokens.services import developer_token_rotate
from tests.factories import MembershipFactory, UserFactory, WorkspaceFactory
from tests.licensing.factories import LicenseFactory, PolicyFactory

pytestmark = pytest.mark.django_db(transaction=True)

CHECKS = "not_a_server_error,response_schema_conformance,content_type_conformance,status_code_conformance"
KEEP_CREDENTIAL = [
    "--exclude-operation-id",
    "v1_workspaces_auth_tokens_developer_rotate_create",
    "--exclude-operation-id",
    "workspaces_leave",
    "--exclude-operation-id",
    "workspaces_destroy",
    "--exclude-operation-id",
    "members_destroy",
]
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


@pytest.fixture
def seeded(settings):
    """A workspace with an owner (also staff), a plain member, a license and a policy to find."""
    settings.RATE_LIMITS = {name: "100000/min" for name in settings.RATE_LIMITS}
    workspace = WorkspaceFactory(name="Acme", slug="acme")
    staff = MembershipFactory(
        user=UserFactory(email="staff@keyward.test", is_staff=True), workspace=workspace, role=Role.OWNER
    )
    member = MembershipFactory(
        user=UserFactory(email="member@acme.test"), workspace=workspace, role=Role.MEMBER
    )
    LicenseFactory(workspace=workspace, assignee=member, policy=PolicyFactory(product__code="emulator"))
    return {
        "member": developer_token_rotate(actor=member).plaintext,
        "staff": developer_token_rotate(actor=staff).plaintext,
    }


@pytest.mark.skipif(
    not SCHEMATHESIS.exists() and not shutil.which("schemathesis"), reason="schemathesis is not installed"
)
@pytest.mark.parametrize("caller", ["member", "staff"])
def test_the_live_api_matches_its_schema_and_never_answers_5xx(live_server, seeded, caller, tmp_path):
    command = [
        str(SCHEMATHESIS if SCHEMATHESIS.exists() else shutil.which("schemathesis")),
        "run",
        f"{live_server.url}/api/schema/",
        "--url",
        live_server.url,
        "--header",
        f"Authorization: Bearer {seeded[caller]}",
        "--checks",
        CHECKS,
        "--max-examples",
        os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "8"),
        "--seed",
        "9",
        "--phases",
        "examples,fuzzing",
        "--workers",
        "1",
        "--request-timeout",
        "20",
        "--no-color",
        *KEEP_CREDENTIAL,
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    report = result.stdout[-30000:] + result.stderr[-2000:]
    assert result.returncode == 0, report
    assert "Server error" not in result.stdout, report
