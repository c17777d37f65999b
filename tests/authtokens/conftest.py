import pytest
from rest_framework.test import APIClient

from authtokens import services


@pytest.fixture
def bearer():
    """bearer(plaintext) -> an APIClient that sends `Authorization: Bearer <plaintext>`."""

    def make(plaintext):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
        return client

    return make


@pytest.fixture
def dev_token():
    """dev_token(membership) -> a fresh plaintext developer token for that member."""

    def make(membership):
        return services.developer_token_rotate(actor=membership).plaintext

    return make


@pytest.fixture
def ci_token(owner):
    """ci_token(name="deploy", actor=owner, **kwargs) -> IssuedToken of a new CI token in `workspace`."""

    def make(name="deploy", actor=None, **kwargs):
        return services.ci_token_create(actor=actor or owner, name=name, **kwargs)

    return make
