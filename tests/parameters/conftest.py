import pytest
from rest_framework.test import APIClient

from authtokens import services as token_services
from parameters import services


@pytest.fixture
def make_param(owner):
    """make_param(name, value, stage="default", secret=False, actor=owner) -> Parameter"""

    def make(name, value, stage="default", secret=False, actor=None, description=""):
        return services.parameter_create(
            actor=actor or owner,
            stage=stage,
            name=name,
            value=value,
            is_secret=secret,
            description=description,
        )

    return make


@pytest.fixture
def bearer():
    def make(plaintext):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
        return client

    return make


@pytest.fixture
def ci_client(owner, bearer):
    """ci_client(stages=[]) -> an APIClient with a new CI token of `workspace`, limited to those stages."""

    def make(stages=()):
        issued = token_services.ci_token_create(
            actor=owner, name=f"ci {stages}", parameter_stages=list(stages)
        )
        return bearer(issued.plaintext)

    return make
