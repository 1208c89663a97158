"""A complaint from the public form to the survey, as people do it: in Chromium, by labels.

The complainant fills in the form; the acknowledgement goes through the outbox
to a real SMTP server (aiosmtpd), and the status link is taken from that e-mail;
the district manager logs in and takes every step by the names on the buttons
and the labels of the fields; the complainant opens the link from the e-mail,
sees the decision and answers the survey. Every page on the way is checked
with axe-core at the size it is seen at (issue 14). Skipped locally without
Chromium; a failure in CI.
"""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from klachtbeheer.complaints.models import Complaint
from klachtbeheer.complaints.workflow import State
from klachtbeheer.letters.services import outbox_deliver_due
from klachtbeheer.reporting.models import SatisfactionResponse
from tests.browser import DESKTOP, PHONE, Visit
from tests.intake.conftest import PDF_BYTES
from tests.letters import conftest as letters_conftest

pytestmark = pytest.mark.django_db(transaction=True)

# The fixtures of the real SMTP server, shared (the browser's is in tests/conftest.py).
smtp = letters_conftest.smtp
smtp_server = letters_conftest.smtp_server
smtp_port = letters_conftest.smtp_port

LINK_RE = re.compile(r"(https?://\S+/klacht/status/[A-Za-z0-9_-]{43}/)")
PASSWORD = "wandeling-2026-klacht"


@pytest.fixture(autouse=True)
def _fast_enough(settings):
    settings.INTAKE_MIN_FILL_SECONDS = 0
    settings.ALTCHA_COST = 10
    settings.ALTCHA_KEY_PREFIX = "0"


def _press(page, name: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).click()


def _follow(page, name: str) -> None:
    with page.expect_navigation():
        page.get_by_role("link", name=name, exact=True).first.click()


def _status_link_from_mail(server, reference: str) -> str:
    for mail in server.recorder.messages():
        if reference in mail["Subject"]:
            body = mail.get_body(preferencelist=("plain",)).get_content()
            match = LINK_RE.search(body)
            if match:
                return match.group(1)
    raise AssertionError("no status link in the acknowledgement e-mail")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_from_the_form_to_the_survey_by_visible_labels(
    browser, live_server, world, smtp, settings, viewport, tmp_path
):
    settings.KLACHTBEHEER_BASE_URL = live_server.url
    manager = world.dm_north
    manager.set_password(PASSWORD)
    manager.save()

    # --- the complainant --------------------------------------------------------
    complainant = Visit(browser, live_server.url, viewport=viewport)
    page = complainant.page
    page.goto(live_server.url + "/klachtenprocedure/")  # where the organisation's site links
    _follow(page, "Een klacht indienen")
    page.wait_for_function("customElements.get('altcha-widget') !== undefined")
    complainant.check_accessibility()
    page.get_by_label("Ik ben cliënt: ik krijg advies of begeleiding").check()
    page.get_by_label("Uw naam").fill("Marieke van Dijk")
    page.get_by_text("Kies hoe wij u aanspreken in brieven").click()  # open the fold
    page.get_by_label("Geachte mevrouw …").check()
    page.get_by_label("E-mailadres").fill("marieke@example.nl")
    page.get_by_label("Postcode").fill("3741 AB")
    page.get_by_label("Wat is er gebeurd?").fill(
        "Mijn coach kwam drie keer niet opdagen zonder iets te laten weten."
    )
    letter = tmp_path / "afspraken met de coach.pdf"
    letter.write_bytes(PDF_BYTES)
    page.get_by_label("Bijlagen").set_input_files(str(letter))
    _press(page, "Bestand toevoegen")
    assert page.get_by_role("status").get_by_text("is toegevoegd").is_visible()
    page.get_by_role("button", name="Klacht versturen").click()
    page.wait_for_url("**/klacht/ontvangen/")
    complainant.check_accessibility()
    # The reference as the complainant reads it on the confirmation page.
    reference = page.locator(".kb-panel__reference").inner_text().strip()
    assert re.fullmatch(r"KL-\d{4}-\d+", reference), reference
    complaint = Complaint.objects.get(reference=reference)
    assert complaint.form_of_address == "mevrouw"
    assert complaint.attachments.get().filename == "afspraken met de coach.pdf"
    complainant.close()  # the tab is closed: the link must come from the e-mail

    # The worker drafts the acknowledgement (letters_draft_owed, called by the delivery
    # round) and sends it through the SMTP server.
    assert outbox_deliver_due().sent == 1
    link = _status_link_from_mail(smtp, reference)
    [mail] = smtp.recorder.messages()
    assert "Geachte mevrouw Van Dijk," in mail.get_body(preferencelist=("plain",)).get_content()

    # --- the district manager ---------------------------------------------------
    staff = Visit(browser, live_server.url, viewport=viewport)
    page = staff.page
    page.goto(live_server.url + "/inloggen/")
    staff.check_accessibility()
    page.get_by_label("Gebruikersnaam").fill(manager.username)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    _press(page, "Inloggen")
    staff.check_accessibility()
    _follow(page, reference)  # its row on the work list
    staff.check_accessibility()

    today = timezone.localdate()
    _follow(page, "Aannemen als klacht")
    staff.check_accessibility()
    _press(page, "Bevestig: aannemen als klacht")
    assert page.get_by_text("De klacht is in behandeling genomen.").is_visible()

    _follow(page, "Contact vastleggen")
    staff.check_accessibility()
    page.get_by_label("Datum van het contact").fill(today.isoformat())
    page.get_by_label("Hoe").select_option(label="Telefoon")
    page.get_by_label("Samenvatting van het gesprek").fill("Gebeld; zij wil een gesprek.")
    _press(page, "Opslaan")
    assert page.get_by_text("Het contact met de klager is vastgelegd.").is_visible()

    _follow(page, "Geen gesprek")
    page.get_by_label("Waarom is er geen persoonlijk gesprek?").fill(
        "Het telefoongesprek was genoeg."
    )
    _press(page, "Opslaan")

    _follow(page, "Oordeel vastleggen")
    staff.check_accessibility()
    page.get_by_label("Gegrond", exact=True).check()
    page.get_by_label("Onderbouwing").fill("De coach is drie keer niet gekomen.")
    page.get_by_role("textbox", name="Maatregelen", exact=True).fill("Nieuwe coach toegewezen")
    _press(page, "Opslaan")
    staff.check_accessibility()  # the decision letter to review, or the complaint

    _follow(page, "Werklijst")  # back to the complaint the way a handler goes
    _follow(page, reference)
    _follow(page, "Beslissing versturen")
    staff.check_accessibility()
    assert "Geachte mevrouw Van Dijk," in page.content()  # what will be sent, shown first
    _press(page, "Beslissing versturen")
    assert page.get_by_text("De beslissingsbrief gaat naar de klager.").is_visible()
    complaint.refresh_from_db()
    assert complaint.state == State.DECISION_SENT and complaint.settled_on == today

    _follow(page, "Afsluiten")
    _press(page, "Bevestig: afsluiten")
    assert page.get_by_text("De klacht is gesloten.").is_visible()
    staff.close()
    assert outbox_deliver_due().sent == 1  # the decision letter

    # --- the complainant again, from the link in the e-mail -----------------------
    complainant = Visit(browser, live_server.url, viewport=viewport)
    page = complainant.page
    page.goto(link)
    assert page.url == live_server.url + "/klacht/status/"  # the token left the address bar
    complainant.check_accessibility()
    assert page.get_by_text("Beslissing op uw klacht").first.is_visible()
    assert page.get_by_role("heading", name="Stuur ons een bericht").is_visible()
    page.get_by_label("Tevreden", exact=True).check()
    page.get_by_label("Ja", exact=True).check()
    _press(page, "Verstuur mijn antwoord")
    assert page.get_by_role("heading", name="Bedankt voor uw antwoord").is_visible()
    complainant.check_accessibility()
    answer = SatisfactionResponse.objects.get(complaint=complaint)
    assert answer.score == 4  # "Tevreden"
    complainant.close()


def test_a_double_click_on_send_makes_one_complaint_with_its_proof_of_work(
    browser, live_server, world
):
    visit = Visit(browser, live_server.url, viewport=DESKTOP)
    page = visit.page
    page.goto(live_server.url + "/klacht/")
    page.wait_for_function("customElements.get('altcha-widget') !== undefined")
    page.get_by_label("Ik ben cliënt: ik krijg advies of begeleiding").check()
    page.get_by_label("Uw naam").fill("Anna de Vries")
    page.get_by_label("E-mailadres").fill("anna@example.nl")
    page.get_by_label("Wat is er gebeurd?").fill("De coach kwam niet.")
    page.get_by_role("button", name="Klacht versturen").dblclick()
    page.wait_for_url("**/klacht/ontvangen/", timeout=30_000)
    assert Complaint.objects.count() == 1  # registered, not parked as spam
    assert page.get_by_text(Complaint.objects.get().reference).first.is_visible()
    visit.close()
