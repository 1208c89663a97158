"""The public form in a real browser: Debian's Chromium driven by Playwright.

Files a complaint with an attachment (the ALTCHA widget solves its proof of
work against our own server), trips every validation message, adds
information on the status page, files a complaint with JavaScript switched
off, and checks that no request ever leaves the page's origin. Skipped locally
when Chromium is missing; a failure in CI (CI is set), where .ci/run installs it.

With INTAKE_SCREENSHOTS=<dir> the pages are also saved at phone and desktop size.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from klachtbeheer.complaints.models import Attachment, Complaint, EventKind
from klachtbeheer.intake.models import Submission, SubmissionState
from tests.intake.conftest import EXE_BYTES, PDF_BYTES

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message + "; CI must run the browser tests")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's ORM calls are safe.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            yield launched
            launched.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(autouse=True)
def _fast_enough(settings):
    settings.INTAKE_MIN_FILL_SECONDS = 0  # a robot arm types faster than the rule allows


AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


class Visit:
    """A browser page that records every request that leaves our origin."""

    def __init__(self, browser, base_url: str, *, javascript: bool = True, viewport=DESKTOP):
        self.base = base_url
        self.context = browser.new_context(
            java_script_enabled=javascript, viewport=viewport, locale="nl-NL"
        )
        self.page = self.context.new_page()
        self.outside: list[str] = []
        origin = urlsplit(base_url)
        self.page.on("request", lambda request: self._seen(request.url, origin))
        self.page.on("console", lambda message: None)

    def _seen(self, url: str, origin) -> None:
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob", "about"):
            return
        if (parts.scheme, parts.netloc) != (origin.scheme, origin.netloc):
            self.outside.append(url)

    def shoot(self, name: str) -> None:
        folder = os.environ.get("INTAKE_SCREENSHOTS")
        if not folder:
            return
        Path(folder).mkdir(parents=True, exist_ok=True)
        viewport = self.page.viewport_size or DESKTOP
        kind = "phone" if viewport["width"] < 600 else "desktop"
        self.page.screenshot(path=Path(folder) / f"{name}-{kind}.png", full_page=True)
        if kind == "phone":  # the first screen, at a size one can read
            self.page.screenshot(path=Path(folder) / f"{name}-{kind}-top.png")

    def check_accessibility(self) -> None:
        """axe-core (vendored, injected from the file) finds no WCAG 2.2 AA violation."""
        # Evaluated through the browser's protocol: an inline <script> tag would (rightly) be
        # refused by the page's Content-Security-Policy.
        self.page.evaluate(AXE.read_text(encoding="utf-8"))
        result = self.page.evaluate(
            "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
            AXE_TAGS,
        )
        violations = [
            (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:5])
            for v in result["violations"]
        ]
        assert violations == [], f"{self.page.url}: {violations}"

    def close(self) -> None:
        self.context.close()
        assert self.outside == [], f"requests left the origin: {self.outside}"


def submit(page, button: str) -> None:
    """Press a button that sends the form and wait for the next page (the widget may go first)."""
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()


def fill_the_form(page, tmp_path: Path | None = None) -> None:
    page.get_by_label("Ik ben cliënt: ik krijg advies of begeleiding").check()
    page.get_by_label("Uw naam").fill("Anna de Vries")
    page.get_by_label("E-mailadres").fill("anna@example.nl")
    page.get_by_label("Postcode").fill("3741 AB")
    page.get_by_label("Wat is er gebeurd?").fill(
        "Mijn coach kwam drie keer niet opdagen zonder iets te laten weten."
    )
    if tmp_path is not None:
        letter = tmp_path / "brief van de coach.pdf"
        letter.write_bytes(PDF_BYTES)
        page.set_input_files("#id_attachments", str(letter))


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_file_a_complaint_with_an_attachment_and_add_information(
    browser, live_server, world, tmp_path, viewport
):
    visit = Visit(browser, live_server.url, viewport=viewport)
    page = visit.page
    page.goto(live_server.url + "/klacht/")
    assert page.title().startswith("Een klacht indienen")
    page.wait_for_function("customElements.get('altcha-widget') !== undefined")
    visit.shoot("form-empty")
    visit.check_accessibility()
    fill_the_form(page, tmp_path)
    page.get_by_role("button", name="Klacht versturen").click()
    page.wait_for_url("**/klacht/ontvangen/")
    visit.shoot("form-done")
    visit.check_accessibility()

    complaint = Complaint.objects.get()
    submission = Submission.objects.get()
    # The widget solved the proof of work against our own server: not held as spam.
    assert submission.state == SubmissionState.REGISTERED, submission.spam_reasons
    assert page.get_by_text(complaint.reference).is_visible()
    attachment = Attachment.objects.get(complaint=complaint)
    assert attachment.filename == "brief van de coach.pdf"
    assert attachment.content_type == "application/pdf"

    page.get_by_role("link", name="Naar uw statuspagina").click()
    page.wait_for_load_state()
    assert page.get_by_text("We hebben uw klacht ontvangen").is_visible()
    visit.shoot("status")
    visit.check_accessibility()
    page.get_by_label("Wat wilt u aanvullen?").fill("De coach heeft me nu wel gebeld.")
    submit(page, "Aanvulling versturen")
    assert page.get_by_text("Dank u wel").is_visible()
    assert page.get_by_text("De coach heeft me nu wel gebeld.").is_visible()
    visit.shoot("status-added")
    assert complaint.events.filter(kind=EventKind.COMPLAINANT_MESSAGE).exists()
    visit.close()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_every_validation_message(browser, live_server, world, tmp_path, viewport):
    visit = Visit(browser, live_server.url, viewport=viewport)
    page = visit.page
    page.goto(live_server.url + "/klacht/")
    submit(page, "Klacht versturen")
    assert page.title().startswith("Fout: ")
    summary = page.locator(".kb-error-summary")
    assert summary.get_by_role("heading", name="Er is een probleem").is_visible()
    assert page.evaluate("document.activeElement.classList.contains('kb-error-summary')")
    for message in [
        "Kies wie u bent",
        "Vul uw naam in",
        "Beschrijf uw klacht",
        "Vul uw e-mailadres of uw postadres in",
    ]:
        assert summary.get_by_role("link", name=message).is_visible(), message
        assert page.locator(".kb-error-message", has_text=message).is_visible(), message
    visit.shoot("form-errors")
    visit.check_accessibility()
    summary.get_by_role("link", name="Vul uw naam in").click()
    assert page.evaluate("document.activeElement.id") == "id_name"

    # The rest, field by field; what was typed is kept each time.
    page.get_by_label("Uw naam").fill("Anna de Vries")
    page.get_by_label("E-mailadres").fill("anna@")
    page.get_by_label("Telefoonnummer").fill("12")
    page.get_by_label("Postcode").fill("12")
    page.get_by_label("Straat en huisnummer").fill("Laanstraat 1")
    exe = tmp_path / "factuur.pdf"
    exe.write_bytes(EXE_BYTES)
    page.set_input_files("#id_attachments", str(exe))
    submit(page, "Klacht versturen")
    for message in [
        "Vul een e-mailadres in zoals naam@voorbeeld.nl",
        "Vul een telefoonnummer in zoals 06 12345678",
        "Vul een postcode in zoals 3741 AB",
        "“factuur.pdf” is een programma",
    ]:
        assert page.locator(".kb-error-summary").get_by_text(message).is_visible(), message
    assert page.get_by_label("Uw naam").input_value() == "Anna de Vries"

    page.get_by_label("E-mailadres").fill("")
    page.get_by_label("Telefoonnummer").fill("")
    page.get_by_label("Postcode").fill("")
    submit(page, "Klacht versturen")
    for message in ["Vul uw postcode in", "Vul uw woonplaats in"]:
        assert page.locator(".kb-error-summary").get_by_text(message).is_visible(), message
    assert not Complaint.objects.exists()
    visit.close()


def test_the_form_works_without_javascript(browser, live_server, world, tmp_path):
    visit = Visit(browser, live_server.url, javascript=False, viewport=PHONE)
    page = visit.page
    page.goto(live_server.url + "/klacht/")
    assert page.get_by_text("JavaScript staat uit").is_visible()
    fill_the_form(page, tmp_path)
    # Adding a file without sending keeps the answers; the file is listed with its remove button.
    submit(page, "Bestand toevoegen")
    assert page.get_by_role("button", name="Verwijder brief van de coach.pdf").is_visible()
    assert page.get_by_label("Uw naam").input_value() == "Anna de Vries"
    page.get_by_role("button", name="Klacht versturen").click()
    page.wait_for_url("**/klacht/ontvangen/")
    assert page.get_by_text("Uw bericht is ontvangen").first.is_visible()
    visit.shoot("form-done-no-javascript")
    submission = Submission.objects.get()
    # No proof of work without JavaScript: held for a person, never dropped (P2.2).
    assert submission.state == SubmissionState.PENDING
    assert submission.spam_reasons == ["pow_missing"]
    assert submission.uploads.count() == 1
    visit.close()


@pytest.mark.parametrize(
    "path",
    [
        "/klachtenprocedure/",
        "/privacy/",
        "/en/klacht/",
        "/klacht/status/onbekende-link-onbekende-link/",
    ],
)
def test_the_other_public_pages_are_accessible(browser, live_server, world, path):
    visit = Visit(browser, live_server.url, viewport=PHONE)
    visit.page.goto(live_server.url + path)
    visit.check_accessibility()
    visit.shoot(path.strip("/").replace("/", "-")[:40])
    visit.close()


def test_the_accessibility_check_finds_a_known_violation(browser, live_server):
    visit = Visit(browser, live_server.url)
    visit.page.set_content('<html><body><main><img src="data:,"></main></body></html>')
    with pytest.raises(AssertionError, match="image-alt"):
        visit.check_accessibility()
    visit.close()


def test_the_api_docs_load_only_from_our_own_site(browser, live_server):
    visit = Visit(browser, live_server.url)
    visit.page.goto(live_server.url + "/api/v1/docs")
    visit.page.wait_for_selector(".swagger-ui .info", timeout=15000)
    assert visit.page.get_by_text("Klachtbeheer API").first.is_visible()
    visit.close()
