"""Which address the security log records, with and without trusted reverse proxies."""

from django.test import RequestFactory

from authtokens.api.authentication import client_ip


def request_from(remote_addr, forwarded_for=None):
    extra = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_the_forwarded_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request_from("10.0.0.2", "203.0.113.9")) == "10.0.0.2"


def test_behind_one_proxy_the_last_forwarded_address_is_the_client(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # The client forged the first entry; the proxy appended the address it really saw.
    assert client_ip(request_from("10.0.0.2", "1.2.3.4, 203.0.113.9")) == "203.0.113.9"


def test_behind_two_proxies_the_second_from_the_right_is_the_client(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(request_from("10.0.0.3", "1.2.3.4, 203.0.113.9, 10.0.0.2")) == "203.0.113.9"


def test_a_missing_or_short_header_falls_back_to_the_peer_address(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(request_from("10.0.0.2")) == "10.0.0.2"
    assert client_ip(request_from("10.0.0.2", "203.0.113.9")) == "10.0.0.2"


def test_the_security_log_records_the_forwarded_client(settings, member, client_for, db):
    from authtokens.models import SecurityEvent

    settings.TRUSTED_PROXY_COUNT = 1
    response = client_for(member).post(
        "/api/v1/workspaces/acme/auth-tokens/developer/rotate/",
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="203.0.113.9",
    )
    assert response.status_code == 200
    assert SecurityEvent.objects.latest("pk").ip == "203.0.113.9"
