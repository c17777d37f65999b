"""The workspace overview: the trial for a workspace without licenses, and a getting-started list."""

import pytest
from django.test import Client

from accounts import services
from tests.licensing.factories import ActivationFactory, LicenseFactory, PolicyFactory

pytestmark = pytest.mark.django_db


def overview(membership) -> str:
    client = Client()
    client.force_login(membership.user)
    return client.get(f"/w/{membership.workspace.slug}/").content.decode()


def test_a_workspace_without_licenses_is_offered_the_trial(owner):
    PolicyFactory(trial_available=True, trial_days=14, product__name="Emulator")
    page = overview(owner)
    assert "Start the 14-day trial" in page and "Emulator" in page
    assert "Assign one on" not in page


def test_with_licenses_there_is_no_trial_offer(owner):
    PolicyFactory(trial_available=True, trial_days=14)
    LicenseFactory(workspace=owner.workspace)
    page = overview(owner)
    assert "Start the" not in page and "Assign one on" in page


def test_getting_started_ticks_each_step_when_done(owner):
    def ticked(page):
        checklist = page[page.index('data-testid="getting-started"') :]
        checklist = checklist[: checklist.index("</section>")]
        return checklist.count("(done)")

    assert ticked(overview(owner)) == 0
    services.membership_invite(actor=owner, email="mate@example.com")
    assert ticked(overview(owner)) == 1
    license = LicenseFactory(workspace=owner.workspace, assignee=owner)
    ActivationFactory(license=license, membership=owner)
    assert ticked(overview(owner)) == 2
    from authtokens.models import AuthToken

    AuthToken.objects.filter(membership=owner, revoked_at__isnull=True).update(revealed=True)
    assert 'data-testid="getting-started"' not in overview(owner)  # all done: the list goes away
