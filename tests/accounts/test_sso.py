"""Single sign-on against a real OpenID provider, in a real browser (issue 11, point 1).

npm `oidc-provider` runs on loopback (tests/oidc/provider.mjs); Chromium follows the
whole redirect flow: our login page, the provider's sign-in and consent pages, our
callback, the work list; then logout at both ends. An identity without an account and a
token made for another audience are refused with a page that says why.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.utils.csp import CSP

from klachtbeheer.accounts import oidc
from klachtbeheer.accounts.models import Identity
from klachtbeheer.core.models import AuditAction, AuditEntry
from tests.accounts.provider import Provider
from tests.browser import Visit

pytestmark = pytest.mark.django_db(transaction=True)

CLIENT_ID = "klachtbeheer"
SECRET = "test-client-secret-0123456789"


@pytest.fixture
def provider_for(live_server, settings, world):
    started: list[Provider] = []
    world.qm.email = "karin.visser@imk.example"
    world.qm.save()

    def start(*, wrong_audience: bool = False) -> Provider:
        provider = Provider(
            clients=[
                {
                    "id": CLIENT_ID,
                    "secret": SECRET,
                    "redirect_uris": [f"{live_server.url}/sso/callback/"],
                    "post_logout_redirect_uris": [f"{live_server.url}/inloggen/"],
                }
            ],
            accounts=[
                {
                    "sub": "karin",
                    "email": "Karin.Visser@imk.example",
                    "name": "Karin Visser",
                    "given_name": "Karin",
                    "family_name": "Visser",
                },
                {"sub": "stranger", "email": "someone@elsewhere.example", "name": "Someone"},
            ],
            wrong_audience=wrong_audience,
        ).start()
        started.append(provider)
        settings.OIDC_ISSUER = provider.issuer
        settings.OIDC_RP_CLIENT_ID = CLIENT_ID
        settings.OIDC_RP_CLIENT_SECRET = SECRET
        settings.OIDC_PROVIDER_NAME = "IMK-account"
        settings.TWO_FACTOR = "required"
        # As settings.py does when OIDC_ISSUER is set: the logout form may lead there.
        settings.SECURE_CSP = {
            **settings.SECURE_CSP,
            "form-action": [CSP.SELF, provider.issuer],
        }
        oidc.forget_discovery()
        return provider

    yield start
    for provider in started:
        provider.stop()
    oidc.forget_discovery()


def sign_in_at_provider(page, login: str) -> None:
    page.get_by_role("link", name="Inloggen met IMK-account").click()
    page.wait_for_selector("input[name=login]")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "anything")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state("load")


def test_the_whole_redirect_flow_signs_in_and_logout_ends_both(
    browser,
    live_server,
    provider_for,
    world,
):
    provider_for()
    visit = Visit(browser, live_server.url, other_origins="loopback")
    visit.goto("/klachten/")
    assert "/inloggen/" in visit.page.url
    sign_in_at_provider(visit.page, "karin")
    assert visit.page.url.startswith(f"{live_server.url}/klachten/"), visit.page.url
    visit.collect()
    assert visit.page.locator(".kb-header__user").inner_text() == world.qm.get_full_name()
    # Single sign-on stands for both factors: no code asked, the staff pages open.
    identity = Identity.objects.get()
    assert (identity.subject, identity.user.username) == ("karin", "kwaliteit")
    assert AuditEntry.objects.filter(action=AuditAction.ACCOUNT_SSO_LINKED).count() == 1

    visit.page.get_by_role("button", name="Uitloggen").click()
    visit.page.get_by_role("button", name="Yes, sign me out").click()
    visit.page.wait_for_url(f"{live_server.url}/inloggen/")
    visit.goto("/klachten/")
    assert "/inloggen/" in visit.page.url  # signed out here
    # …and at the provider: signing in again asks for the login once more.
    visit.page.get_by_role("link", name="Inloggen met IMK-account").click()
    visit.page.wait_for_selector("input[name=login]")
    visit.close()


def test_an_identity_without_an_account_is_refused(browser, live_server, provider_for):
    provider_for()
    users_before = get_user_model().objects.count()
    visit = Visit(browser, live_server.url, other_origins="loopback")
    visit.goto("/inloggen/")
    sign_in_at_provider(visit.page, "stranger")
    assert "/sso/geweigerd/" in visit.page.url
    assert visit.page.locator("[data-refusal]").get_attribute("data-refusal") == "unknown"
    assert "Er is geen Klachtbeheer-account" in visit.page.content()
    assert get_user_model().objects.count() == users_before
    visit.goto("/klachten/")
    assert "/inloggen/" in visit.page.url
    visit.close()


def test_a_deactivated_account_is_refused(browser, live_server, provider_for, world):
    provider_for()
    world.qm.is_active = False
    world.qm.save()
    visit = Visit(browser, live_server.url, other_origins="loopback")
    visit.goto("/inloggen/")
    sign_in_at_provider(visit.page, "karin")
    assert visit.page.locator("[data-refusal]").get_attribute("data-refusal") == "inactive"
    visit.close()


def test_a_token_for_another_audience_is_refused(browser, live_server, provider_for):
    provider_for(wrong_audience=True)
    visit = Visit(browser, live_server.url, other_origins="loopback")
    visit.goto("/inloggen/")
    sign_in_at_provider(visit.page, "karin")
    assert "/sso/geweigerd/" in visit.page.url
    assert visit.page.locator("[data-refusal]").get_attribute("data-refusal") == "wrong_audience"
    assert not Identity.objects.exists()
    visit.goto("/klachten/")
    assert "/inloggen/" in visit.page.url
    visit.close()
