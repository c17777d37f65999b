"""axe-core (WCAG 2.1 A/AA rules) on every dashboard page, as owner, as member and logged out.
A serious or critical violation fails the test. axe-core comes from npm (tests/browser/package.json,
installed by `make test`) and is injected by the test: Keyward never serves it."""

from pathlib import Path

import pytest

from accounts import services
from tests.licensing.factories import ActivationFactory, LicenseFactory, LicenseValidationDayFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
RUN_AXE = """async () => {
  const tags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  const where = (v) => v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ");
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${where(v)}`);
}"""


@pytest.fixture
def axe(browser):
    if not AXE.exists():
        pytest.fail(f"axe-core is missing at {AXE}; run `make axe` (npm ci in tests/browser)")

    def check(page, widths=(1280, 390)):
        problems = []
        source = AXE.read_text()
        for width in widths:
            page.set_viewport_size({"width": width, "height": 860})
            # Evaluated through the DevTools protocol: the page's CSP (no inline script) stays on.
            page.evaluate(source)
            problems += [f"{page.url} @{width}px: {p}" for p in page.evaluate(RUN_AXE)]
        return problems

    return check


@pytest.fixture
def data(workspace, owner, member):
    seat = LicenseFactory(workspace=workspace, assignee=member)
    ActivationFactory(license=seat, membership=member, name="build-box")
    LicenseValidationDayFactory(license=seat, count=5)
    LicenseFactory(workspace=workspace)
    invitation = services.membership_invite(actor=owner, email="later@example.com")
    return {"seat": seat, "invitation": invitation}


def visit_all(page, axe, paths):
    problems = []
    for path in paths:
        page.goto(path)
        problems += axe(page)
    return problems


def test_owner_pages_have_no_serious_violations(page, login, axe, data):
    from authtokens.models import AuthToken

    token = AuthToken.objects.filter(membership__user__email="owner@acme.test").first()
    login("owner@acme.test")
    paths = [
        "/w/acme/",
        "/w/acme/members/",
        f"/w/acme/members/{data['seat'].assignee_id}/remove/",
        "/w/acme/licenses/",
        f"/w/acme/licenses/{data['seat'].public_id}/",
        "/w/acme/my-license/",
        "/w/acme/tokens/",
        f"/w/acme/tokens/{token.public_id}/",
        "/w/acme/tokens/developer/reset/",
        "/w/acme/security-log/",
        "/w/acme/settings/",
        "/w/acme/settings/leave/",
        "/account/",
        "/workspaces/new/",
    ]
    problems = visit_all(page, axe, paths)
    # A confirmation page (reached by POST).
    page.goto("/w/acme/members/")
    with page.expect_navigation():
        page.evaluate("document.querySelector('form[action*=revoke]').submit()")  # no dialog: the page
    assert page.locator("[data-testid=confirm-page]").is_visible()
    problems += axe(page)
    assert not problems, "\n".join(problems)


def test_member_pages_have_no_serious_violations(page, login, axe, data):
    login("member@acme.test")
    paths = [
        "/w/acme/",
        "/w/acme/members/",
        "/w/acme/my-license/",
        "/w/acme/tokens/",
        "/w/acme/settings/",
        "/account/",
    ]
    problems = visit_all(page, axe, paths)
    page.goto("/w/acme/licenses/")  # a member without "manage licenses": the 403 page
    problems += axe(page)
    assert not problems, "\n".join(problems)


def test_public_pages_have_no_serious_violations(page, axe, data):
    invitation = data["invitation"]
    paths = [
        "/login/",
        "/signup/",
        "/password-reset/",
        f"/invitations/{invitation.key}/",
        f"/invitations/{invitation.key}/signup/",
    ]
    assert not (problems := visit_all(page, axe, paths)), "\n".join(problems)
