"""Content-Security-Policy and Permissions-Policy on every response (issue 11, point 6).

Django's own CSP (`SECURE_CSP`): `default-src 'self'`, scripts only from our files or
with the response's nonce, `frame-ancestors 'none'`. Chromium visits every public page
and crawls every staff page it can reach (the admin and the API docs included) as the
quality manager; any violation the browser reports fails the test.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import deque
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from klachtbeheer.complaints.models import Complaint
from klachtbeheer.demo.data import load_demo
from tests.accounts.conftest import verified_client
from tests.browser import Visit
from tests.intake.test_browser import fill_the_form

pytestmark = pytest.mark.django_db(transaction=True)

# Links not to follow: downloads, leaving, changing things by GET.
SKIP = re.compile(
    r"(uitloggen|logout|\.csv|\.xlsx|\.pdf|\.ics|export|origineel|bijlagen|/i18n/|"
    r"jaarverslag|/delete/|/history/|password/|/r/\d+/)"
)
MAX_PAGES = 70


def test_every_response_carries_the_policies(client, world):
    first = client.get(reverse("intake:form"))
    policy = first["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "object-src 'none'" in policy
    # Our pages load every script from our own files: no nonce is even needed (Django adds
    # one to the header only for a page whose template uses `csp_nonce`).
    assert re.search(r"script-src 'self'( 'nonce-[^']+')?;", policy)
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    for response in (first, client.get("/api/v1/complaints"), client.get("/nergens/")):
        assert "camera=()" in response["Permissions-Policy"]
        assert "geolocation=()" in response["Permissions-Policy"]
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_public_pages_break_no_policy(browser, live_server, world, settings):
    settings.INTAKE_MIN_FILL_SECONDS = 0
    settings.ALTCHA_COST = 50
    visit = Visit(browser, live_server.url, other_origins="loopback")
    for path in [
        "/klacht/",
        "/klachtenprocedure/",
        "/privacy/",
        "/inloggen/",
        "/wachtwoord/vergeten/",
        "/en/klacht/",
        "/bestaat-niet/",
        "/klacht/status/" + "x" * 43 + "/",
        "/api/v1/docs",
    ]:
        visit.goto(path)
    # The docs really rendered under the policy (Swagger UI from our own files).
    visit.goto("/api/v1/docs")
    visit.page.wait_for_selector(".swagger-ui .info .title")
    # The form with its errors, then filed: the widget solves its proof of work in the page.
    visit.goto("/klacht/")
    visit.page.wait_for_function("customElements.get('altcha-widget') !== undefined")
    with visit.page.expect_navigation():
        visit.page.get_by_role("button", name="Klacht versturen").click()
    visit.collect()
    assert visit.page.title().startswith("Fout: ")
    fill_the_form(visit.page)
    visit.page.get_by_role("button", name="Klacht versturen").click()
    visit.page.wait_for_url("**/klacht/ontvangen/")
    visit.collect()
    visit.page.get_by_role("link", name="Naar uw statuspagina").click()
    visit.page.wait_for_load_state()
    visit.collect()
    assert "/klacht/status/" in visit.page.url
    visit.close()


def crawl(visit: Visit, start: list[str]) -> list[str]:
    seen_patterns: set[str] = set()
    queue = deque(start)
    visited: list[str] = []
    while queue and len(visited) < MAX_PAGES:
        path = queue.popleft()
        pattern = re.sub(r"KL-\d{4}-\d+", "REF", re.sub(r"\d+", "N", path))
        pattern = re.sub(r"[0-9a-f-]{36}", "UUID", pattern)
        if pattern in seen_patterns or SKIP.search(path):
            continue
        seen_patterns.add(pattern)
        response = visit.goto(path)
        visited.append(path)
        if response is None or "text/html" not in (response.headers.get("content-type") or ""):
            continue
        for href in visit.page.eval_on_selector_all(
            "a[href]", "els => els.map(e => e.getAttribute('href'))"
        ):
            parts = urlsplit(href)
            if parts.netloc or not parts.path.startswith("/") or parts.path.startswith("/static/"):
                continue
            queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return visited


def test_staff_pages_the_admin_and_the_api_docs_break_no_policy(browser, live_server, db, settings):
    settings.TWO_FACTOR = "required"
    load_demo(today=dt.date.today())
    manager = get_user_model().objects.get(username="kwaliteit")
    client = verified_client(manager)
    visit = Visit(browser, live_server.url, other_origins="loopback")
    visit.context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    complaint = Complaint.objects.order_by("pk").first()
    visited = crawl(
        visit,
        [
            "/klachten/",
            f"/klachten/{complaint.reference}/",
            "/beheer/",
            "/gebruikers/",
            "/tweede-factor/herstelcodes/",
            "/api/v1/docs",
            "/en/klachten/",
        ],
    )
    assert len(visited) >= 25, visited
    for expected in ("/klachten/", "/dashboard/", "/beheer/", "/gebruikers/", "/api/v1/docs"):
        assert expected in visited, visited
    visit.close()


def test_the_second_factor_setup_page_breaks_no_policy(browser, live_server, world, settings):
    settings.TWO_FACTOR = "required"
    client = Client()
    client.force_login(world.dm_north)
    visit = Visit(browser, live_server.url, other_origins="loopback")
    visit.context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    visit.goto("/klachten/")
    assert "/tweede-factor/instellen/" in visit.page.url
    assert visit.page.locator(".kb-qr svg").count() == 1
    visit.close()
