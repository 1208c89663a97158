"""axe-core on every page, public and staff, at phone (390 px) and desktop (1280 px) width.

The staff pages are found as a person finds them: logged in as the quality
manager (who sees the most), every link from the work list is followed, one
page per kind of address. The accessibility statement (`/toegankelijkheid/`)
is generated from what this test found: `UPDATE_ACCESSIBILITY=1 pytest
tests/test_accessibility.py` writes `intake/accessibility.json`; without it the
test fails when that file no longer lists the pages checked (issue 14).
"""

from __future__ import annotations

import json
import os
import re
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from klachtbeheer.complaints.workflow import State
from klachtbeheer.intake import services as intake_services
from klachtbeheer.intake.views import ACCESSIBILITY_RESULTS
from tests.browser import AXE, AXE_TAGS, DESKTOP, PHONE, Visit
from tests.factories import ComplaintFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "toegankelijk-2026-klacht"
SKIP = re.compile(
    r"(\.pdf|\.csv|\.xlsx|\.ics|\.eml|/uitloggen/|/beheer/|/api/|/i18n/|/origineel/|/bijlagen/|"
    r"/export\.|/jaarverslag/|/csv/|/healthz|/readyz|/metrics|^/en/|^/klacht/)"
)


def shape(path: str) -> str:
    path = re.sub(r"KL-\d{4}-\d+", "REF", path)
    path = re.sub(r"/\d+/", "/N/", path)
    return re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}", "UID", path)


def title_of(page) -> str:
    """The page's title as the statement lists it: no reference of a test complaint."""
    title = re.sub(r"KL-\d{4}-\d+", "(kenmerk)", page.title())
    return re.sub(r" – (IMK|Klachtbeheer)$", "", title)


def _axe(page) -> list[str]:
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        AXE_TAGS,
    )
    return sorted(f"{v['id']} ({len(v['nodes'])})" for v in result["violations"])


def _staff_pages(visit: Visit, base: str) -> list[dict]:
    page = visit.page
    found: list[dict] = []
    seen: set[str] = set()
    queue = ["/klachten/"]
    while queue and len(seen) < 45:
        path = queue.pop(0)
        if shape(path) in seen:
            continue
        seen.add(shape(path))
        response = page.goto(base + path)
        assert response is not None and response.status < 500, path
        found.append({"path": shape(path), "title": title_of(page), "violations": _axe(page)})
        for href in page.eval_on_selector_all(
            "a[href]", "els => els.map(e => e.getAttribute('href'))"
        ):
            parts = urlsplit(href)
            if parts.netloc or not parts.path.startswith("/") or SKIP.search(parts.path):
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if shape(parts.path) not in seen and shape(target) not in seen:
                queue.append(target)
    return found


def test_every_page_passes_axe_at_phone_and_desktop_width(browser, live_server, world, settings):
    settings.INTAKE_STATUS_VIEWS_PER_HOUR = 1000
    world.qm.set_password(PASSWORD)
    world.qm.save()
    for state in (State.RECEIVED, State.MEETING_PLANNED, State.DECIDED, State.CLOSED):
        ComplaintFactory(state=state)
    token = intake_services.status_link_create(
        actor=world.qm, complaint=ComplaintFactory(state=State.CLOSED)
    )
    public = [
        "/klacht/",
        "/klachtenprocedure/",
        "/privacy/",
        "/toegankelijkheid/",
        "/klacht/link-opnieuw/",
        f"/klacht/status/{token}/",
        "/inloggen/",
    ]
    pages: dict[str, dict] = {}
    for viewport in (PHONE, DESKTOP):
        visit = Visit(browser, live_server.url, viewport=viewport)
        for path in public:
            visit.page.goto(live_server.url + path)
            key = "/klacht/status/" if "/status/" in path else path
            entry = pages.setdefault(
                key, {"path": key, "title": title_of(visit.page), "audience": "public"}
            )
            entry.setdefault("violations", [])
            entry["violations"] = sorted(set(entry["violations"]) | set(_axe(visit.page)))
        visit.page.goto(live_server.url + "/inloggen/")
        visit.page.get_by_label("Gebruikersnaam").fill(world.qm.username)
        visit.page.get_by_label("Wachtwoord").fill(PASSWORD)
        with visit.page.expect_navigation():
            visit.page.get_by_role("button", name="Inloggen").click()
        for found in _staff_pages(visit, live_server.url):
            entry = pages.setdefault(found["path"], {**found, "audience": "staff"})
            entry["violations"] = sorted(set(entry["violations"]) | set(found["violations"]))
        visit.close()

    results = sorted(pages.values(), key=lambda p: (p["audience"] != "public", p["path"]))
    failing = {p["path"]: p["violations"] for p in results if p["violations"]}
    staff = [p for p in results if p["audience"] == "staff"]
    assert len(staff) >= 15, [p["path"] for p in staff]  # the crawl really reached the pages
    if os.environ.get("UPDATE_ACCESSIBILITY"):
        version = re.search(r"axe v([\d.]+)", AXE.read_text(encoding="utf-8")[:500])
        ACCESSIBILITY_RESULTS.write_text(
            json.dumps(
                {
                    "checked_on": timezone.localdate().isoformat(),
                    "axe_version": version.group(1) if version else "",
                    "tags": AXE_TAGS,
                    "widths": [PHONE["width"], DESKTOP["width"]],
                    "pages": results,
                },
                ensure_ascii=False,
                indent=1,
            )
            + "\n",
            encoding="utf-8",
        )
    assert failing == {}
    recorded = json.loads(ACCESSIBILITY_RESULTS.read_text(encoding="utf-8"))
    assert {p["path"] for p in recorded.get("pages", [])} == {p["path"] for p in results}, (
        "the accessibility statement is out of date: run "
        "UPDATE_ACCESSIBILITY=1 pytest tests/test_accessibility.py"
    )
