"""The complainant's status page: plain language, terms, letters, adding information."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from klachtbeheer.complaints.models import Attachment, Complaint, EventKind, StatusLink
from klachtbeheer.complaints.workflow import Step
from klachtbeheer.core.models import AuditEntry
from klachtbeheer.intake import services
from klachtbeheer.letters.services import outbox_deliver_due
from klachtbeheer.reporting.models import SatisfactionResponse
from tests.factories import ComplaintFactory, take_step
from tests.intake.conftest import PDF_BYTES, form_data, solved, upload

pytestmark = pytest.mark.django_db


def file_complaint(client, **overrides) -> str:
    response = client.post(reverse("intake:form"), form_data(**overrides))
    assert response.status_code == 302
    return client.get(reverse("intake:received")).context["received"]["token"]


STATUS = "/klacht/status/"


def enter(client, token: str) -> str:
    """Open the link as from the e-mail: it is swapped for the session; the page's address."""
    response = client.get(reverse("intake:status", kwargs={"token": token}))
    assert response.status_code == 302
    assert response["Location"] == STATUS == reverse("intake:status_home")
    return response["Location"]


def test_status_page_shows_state_terms_and_letters_in_plain_language(client, world, settings):
    token = file_complaint(client)
    complaint = Complaint.objects.get()
    url = enter(client, token)
    html = client.get(url).content.decode()
    assert "We hebben uw klacht ontvangen" in html
    assert "Uiterlijk" in html  # contact and decision terms as dates
    assert "We hebben u nog geen brief gestuurd" in html
    assert complaint.substantiation not in html  # the page shows no personal details

    # The letters app sends the acknowledgement; the page then lists it with its PDF.
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    assert outbox_deliver_due().sent == 1
    take_step(Step.ACCEPT, complaint, actor=world.qm)
    response = client.get(url)
    html = response.content.decode()
    assert "In behandeling" in html
    assert "verstuurd op" in html
    letter = response.context["view"].letters[0]
    assert letter.kind == "acknowledgement"
    pdf = client.get(reverse("intake:status_letter", kwargs={"uid": letter.uid}))
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    assert "ontvangstbevestiging.pdf" in pdf["Content-Disposition"]  # a Dutch file name
    # Only through this complaint's link.
    other = file_complaint(client, email="b@example.nl", altcha=solved())
    enter(client, other)
    response = client.get(reverse("intake:status_letter", kwargs={"uid": letter.uid}))
    assert response.status_code == 404


def test_adding_information_writes_a_timeline_entry_and_an_audit_row(client, world):
    token = file_complaint(client)
    complaint = Complaint.objects.get()
    url = enter(client, token)
    response = client.post(
        url,
        {
            "text": "Ik heb nog een e-mail van de coach gevonden.",
            "draft": "s" * 32,
            "attachments": upload("mail.pdf", PDF_BYTES),
            "action": "submit",
        },
    )
    assert response.status_code == 302
    event = complaint.events.get(kind=EventKind.COMPLAINANT_MESSAGE)
    assert event.actor is None
    assert event.text == "Ik heb nog een e-mail van de coach gevonden."
    assert event.data["channel"] == "web_form"
    assert Attachment.objects.filter(complaint=complaint, filename="mail.pdf").exists()
    audit = AuditEntry.objects.get(action="complaint.message_received")
    assert audit.actor is None and audit.data["attachments"] == 1
    html = client.get(url).content.decode()
    assert "Ik heb nog een e-mail van de coach gevonden." in html
    assert "Dank u wel" in html


def test_an_empty_addition_is_an_error_not_an_entry(client, world):
    token = file_complaint(client)
    url = enter(client, token)
    response = client.post(url, {"text": "", "draft": "s" * 32, "action": "submit"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Er is een probleem" in html
    assert "Schrijf uw aanvulling of voeg een bestand toe" in html
    assert not Complaint.objects.get().events.filter(kind=EventKind.COMPLAINANT_MESSAGE).exists()


def test_unknown_and_expired_links_get_a_friendly_404(client, world):
    response = client.get(reverse("intake:status", kwargs={"token": "onbekend" * 5}))
    assert response.status_code == 404
    assert "Statuspagina niet gevonden" in response.content.decode()
    token = file_complaint(client)
    StatusLink.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = client.get(reverse("intake:status", kwargs={"token": token}))
    assert response.status_code == 404
    with pytest.raises(services.NotFoundOrNoAccess):
        services.complaint_add_information(token=token, text="nog iets")


def test_a_link_expires_90_days_after_settlement(client, world):
    token = file_complaint(client)
    Complaint.objects.update(settled_on=timezone.localdate() - dt.timedelta(days=91))
    response = client.get(reverse("intake:status", kwargs={"token": token}))
    assert response.status_code == 404


def test_a_held_submission_shows_it_is_being_checked_and_takes_no_additions(client, world):
    token = file_complaint(client, altcha="")
    url = enter(client, token)
    html = client.get(url).content.decode()
    assert "Wordt gecontroleerd" in html
    assert "Informatie aanvullen" not in html
    assert client.post(url, {"text": "x", "action": "submit"}).status_code == 409


def test_status_pages_are_not_cached_or_indexed(client, world):
    token = file_complaint(client)
    entered = client.get(reverse("intake:status", kwargs={"token": token}))
    assert entered["Referrer-Policy"] == "no-referrer"
    response = client.get(STATUS)
    assert "no-store" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex"


def test_staff_see_the_addition_as_written_by_the_complainant(client, world):
    token = file_complaint(client)
    complaint = Complaint.objects.get()
    services.complaint_add_information(token=token, text="Nog een feit.")
    client.force_login(world.qm)
    html = client.get(complaint.get_absolute_url()).content.decode()
    assert "de klager" in html
    assert reverse("intake:review_list") in html  # the quality manager's menu
    client.force_login(world.dm_north)
    html = client.get(complaint.get_absolute_url()).content.decode()
    assert reverse("intake:review_list") not in html
    assert reverse("intake:tokens") in html


def test_closed_complaint_asks_for_satisfaction_on_the_status_page(client, world):
    """P5.2: after closing, the status page carries the short survey; an answer is kept once."""
    complaint = ComplaintFactory(closed=True)
    token = services.status_link_create(actor=world.qm, complaint=complaint)
    status_url = enter(client, token)
    survey_url = reverse("intake:status_survey")
    html = client.get(status_url).content.decode()
    assert f'action="{survey_url}"' in html
    assert 'name="score"' in html
    missing = client.post(survey_url, {"comment": "Geen cijfer"})
    assert missing.status_code == 400
    answered = client.post(survey_url, {"score": "1", "felt_heard": "no", "comment": "Slecht"})
    assert answered.status_code == 302
    answer = SatisfactionResponse.objects.get(complaint=complaint)
    assert answer.flagged
    thanks = client.get(survey_url).content.decode()
    assert "kb-public" in thanks  # the thank-you page keeps the complainant's layout
    assert 'name="score"' not in client.get(status_url).content.decode()
    client.cookies.clear()
    assert client.get(survey_url).status_code == 404


def test_open_complaint_has_no_survey(client, world):
    token = file_complaint(client)
    html = client.get(enter(client, token)).content.decode()
    assert 'name="score"' not in html
