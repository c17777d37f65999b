"""deploy/nginx in front of gunicorn (deploy/gunicorn.conf.py), for real: Debian's nginx with a
self-signed certificate, both on free loopback ports, the site rendered from deploy/nginx with only
names, ports and paths substituted. A client on 127.0.0.2 must be recorded as 127.0.0.2 (not nginx's
127.0.0.1, not a spoofed X-Forwarded-For) and Keyward must see the scheme as https."""

import http.client
import json
import shutil
import ssl
import subprocess
import time
from pathlib import Path

import pytest

from tests.tls import self_signed_certificate

from .servers import DEPLOY, ROOT, free_port, gunicorn, manage, production_env

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"  # /usr/sbin is not on every user's PATH
HOST = "keyward.test"
CLIENT_IP = "127.0.0.2"  # any 127/8 address is loopback on Linux; nginx itself connects from 127.0.0.1

pytestmark = pytest.mark.skipif(
    not Path(NGINX).exists(),
    reason="nginx is not installed (apt-get install nginx; .ci/run installs it)",
)

SETUP = """
from accounts import services
from accounts.models import User
from authtokens import services as tokens
owner = User.objects.create_user(email="owner@proxy.test", password="proxy-test-password-1")
workspace = services.workspace_create(owner=owner, name="Proxy", slug="proxy")
colleague = User.objects.create_user(email="colleague@proxy.test", password="proxy-test-password-2")
services._membership_create(user=colleague, workspace=workspace, role="member")
print(tokens.developer_token_rotate(actor=owner.memberships.get(workspace=workspace)).plaintext)
"""
MEMBERS = "/api/v1/workspaces/proxy/members/?page_size=1"  # two members: page 1 links to page 2
METRICS_TOKEN = "nginx-test-metrics-token-0123456789"
LAST_IP = "from authtokens.models import TokenUsageDay; print(TokenUsageDay.objects.get().last_used_ip)"


def render(template: str, substitutions: dict) -> str:
    """Exact-string substitutions, each of which must match: a drifted deploy file fails the test."""
    for old, new in substitutions.items():
        assert old in template, f"deploy/nginx no longer contains {old!r}; update this test with it"
        template = template.replace(old, new)
    return template


def nginx_config(directory, *, http_port, https_port, upstream_port, cert, key) -> str:
    locations = directory / "keyward-locations.conf"
    locations.write_text(
        render(
            (DEPLOY / "nginx" / "keyward-locations.conf").read_text(),
            {"/opt/keyward/staticfiles/": f"{ROOT / 'static'}/"},
        )
    )
    site = render(
        (DEPLOY / "nginx" / "keyward.conf").read_text(),
        {
            "server 127.0.0.1:8000;": f"server 127.0.0.1:{upstream_port};",
            "listen 80;": f"listen 127.0.0.1:{http_port};",
            "listen [::]:80;": "",
            "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
            "listen [::]:443 ssl http2;": "",
            "keyward.example.com;": f"{HOST};",
            "/etc/letsencrypt/live/keyward.example.com/fullchain.pem": str(cert),
            "/etc/letsencrypt/live/keyward.example.com/privkey.pem": str(key),
            "/var/log/nginx/": f"{directory}/",
            "/etc/nginx/snippets/keyward-locations.conf": str(locations),
        },
    )
    (directory / "keyward.conf").write_text(site)
    main = directory / "nginx.conf"
    temp_paths = "".join(
        f"{kind}_temp_path {directory}/{kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    main.write_text(
        f"""
user root;
daemon off;
worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/error.log;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    {temp_paths}
    include {directory}/keyward.conf;
}}
"""
    )
    return str(main)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    directory = tmp_path_factory.mktemp("nginx")
    env = production_env(
        DATABASE_URL=f"sqlite:///{directory / 'keyward.sqlite3'}",
        ALLOWED_HOSTS=HOST,
        BEHIND_TLS_PROXY="true",
        TRUSTED_PROXY_COUNT="1",
        SECURE_SSL_REDIRECT="true",
        SESSION_COOKIE_SECURE="true",
        CSRF_COOKIE_SECURE="true",
        METRICS_TOKEN=METRICS_TOKEN,
    )
    manage(env, "migrate", "--noinput", cwd=directory)
    # The setup's own mails (if any) go to its output; only the server needs real mail settings.
    setup_env = {**env, "EMAIL_URL": "consolemail://"}
    token = manage(setup_env, "shell", "-c", SETUP, cwd=directory).strip().splitlines()[-1]
    cert, key = self_signed_certificate(directory, HOST)
    http_port, https_port, upstream_port = free_port(), free_port(), free_port()
    config = nginx_config(
        directory, http_port=http_port, https_port=https_port, upstream_port=upstream_port, cert=cert, key=key
    )
    test = subprocess.run(
        [NGINX, "-t", "-p", str(directory), "-e", "stderr", "-c", config], capture_output=True
    )
    assert test.returncode == 0, test.stderr.decode()

    with gunicorn(env, cwd=directory, port=upstream_port):
        nginx = subprocess.Popen(
            [NGINX, "-p", str(directory), "-e", str(directory / "error.log"), "-c", config],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_for_port(https_port)
            yield {
                "env": env,
                "dir": directory,
                "token": token,
                "cert": cert,
                "http_port": http_port,
                "https_port": https_port,
                "upstream_port": upstream_port,
            }
        finally:
            nginx.terminate()
            nginx.wait(timeout=20)


def _wait_for_port(port: int, timeout: float = 20) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nginx did not listen on {port}")


def https_request(stack, method, path, body=None, headers=None):
    context = ssl.create_default_context(cafile=str(stack["cert"]))
    connection = http.client.HTTPSConnection(
        "127.0.0.1", stack["https_port"], context=context, source_address=(CLIENT_IP, 0), timeout=20
    )
    connection.request(method, path, body=body, headers={"Host": HOST, **(headers or {})})
    response = connection.getresponse()
    return response.status, dict(response.getheaders()), response.read()


def test_a_request_through_nginx_records_the_client_ip_and_the_https_scheme(stack):
    status, headers, body = https_request(
        stack,
        "GET",
        MEMBERS,
        headers={"Authorization": f"Bearer {stack['token']}", "X-Forwarded-For": "203.0.113.9"},
    )

    assert status == 200, body  # not a redirect: Keyward sees https behind the proxy
    assert json.loads(body)["next"].startswith(f"https://{HOST}/api/v1/workspaces/proxy/members/")
    last_ip = manage(stack["env"], "shell", "-c", LAST_IP, cwd=stack["dir"]).strip().splitlines()[-1]
    assert last_ip == CLIENT_IP  # neither nginx's 127.0.0.1 nor the spoofed 203.0.113.9
    request_id = headers["X-Request-ID"]
    assert len(request_id) == 32  # nginx's $request_id, passed through Keyward
    gunicorn_log = (stack["dir"] / "gunicorn.log").read_text()
    assert f'203.0.113.9, {CLIENT_IP} "GET {MEMBERS} HTTP/1.1" 200' in gunicorn_log
    assert f"id={request_id}" in gunicorn_log


def test_plain_http_is_redirected_to_https(stack):
    connection = http.client.HTTPConnection("127.0.0.1", stack["http_port"], timeout=20)
    connection.request("GET", "/login/", headers={"Host": HOST})
    response = connection.getresponse()

    assert response.status == 301
    assert response.getheader("Location") == f"https://{HOST}/login/"


def test_nginx_serves_static_files_itself(stack):
    status, headers, body = https_request(stack, "GET", "/static/css/keyward.css")

    assert status == 200 and body == (ROOT / "static" / "css" / "keyward.css").read_bytes()
    assert "immutable" in headers["Cache-Control"]


def test_an_oversized_request_is_refused_by_nginx(stack):
    status, _, _ = https_request(
        stack,
        "POST",
        "/api/v1/licenses/validate",
        body=b"x" * (2 * 1024 * 1024),
        headers={"Content-Type": "application/json"},
    )

    assert status == 413


def test_health_probes_pass_through_the_proxy(stack):
    status, _, body = https_request(stack, "GET", "/readyz")

    assert status == 200 and json.loads(body)["status"] == "ready"


@pytest.mark.parametrize("path", ["/metrics", "/metrics/", "/metrics?format=x", "//metrics", "/%6Detrics"])
def test_the_public_site_does_not_pass_metrics_on(stack, path):
    """/metrics is for Prometheus on the private network: nginx refuses it even with the right token,
    which gunicorn itself (loopback) accepts."""
    bearer = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    status, _, body = https_request(stack, "GET", path, headers=bearer)
    direct = http.client.HTTPConnection("127.0.0.1", stack["upstream_port"], timeout=20)
    direct.request("GET", "/metrics", headers=bearer)
    upstream = direct.getresponse()

    assert status == 404 and b"keyward_" not in body
    assert upstream.status == 200 and b"keyward_license_validations" in upstream.read()
