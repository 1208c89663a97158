"""The outbox against a real SMTP server (aiosmtpd): what arrives, retries, exactly once (P3.7)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from klachtbeheer.complaints.models import EventKind, LetterKind
from klachtbeheer.complaints.workflow import State
from klachtbeheer.intake.selectors import status_for
from klachtbeheer.letters import services
from klachtbeheer.letters.constants import MessageStatus
from klachtbeheer.letters.models import Letter, OutgoingMessage
from tests.factories import ComplaintFactory
from tests.letters.helpers import owed, pdf_text, send_owed

pytestmark = pytest.mark.django_db


def test_a_letter_arrives_with_headers_text_and_pdf(world, smtp):
    complaint = ComplaintFactory(name="A. Jansen")
    message = OutgoingMessage.objects.get(complaint=complaint)
    report = services.outbox_deliver_due()
    assert (report.sent, report.retrying, report.failed) == (1, 0, 0)

    [mail] = smtp.recorder.messages()
    assert mail["To"] == complaint.complainant_email
    assert mail["From"] == "IMK Klachten <klachten@imk.example>"
    assert mail["Message-ID"] == message.message_id
    assert mail["Subject"] == f"Ontvangstbevestiging van uw klacht (kenmerk {complaint.reference})"
    assert mail["X-Klachtbeheer-Kenmerk"] == complaint.reference
    assert mail["Date"]
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert "Geachte A. Jansen," in body
    assert f"Uw klacht heeft het kenmerk {complaint.reference}" in body
    assert "In de bijlage vindt u deze brief als PDF." in body
    # The complainant's own status link, in the e-mail and in the PDF (issue 14).
    link = re.search(r"https?://\S+/klacht/status/[A-Za-z0-9_-]{43}/", body).group(0)
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"{complaint.reference}-ontvangstbevestiging.pdf"
    pdf = attachment.get_content()
    letter = Letter.objects.get(complaint=complaint)
    assert pdf == letter.pdf.open("rb").read()
    assert "Ontvangstbevestiging van uw klacht" in pdf_text(pdf)
    assert link.rsplit("/", 2)[-2] in pdf_text(pdf).replace("\n", "")
    assert status_for(link.rsplit("/", 2)[-2]).complaint == complaint

    message.refresh_from_db()
    letter.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.attempts == 1
    assert letter.sent_on == timezone.localdate()
    assert owed(complaint, LetterKind.ACKNOWLEDGEMENT).sent_on == timezone.localdate()
    # The timeline says it went, as the system, to the complainant.
    event = complaint.events.filter(data__letter_sent=True).get()
    assert event.actor is None and not event.internal
    assert event.kind == EventKind.LETTER_SENT  # its own kind, not a note
    # Nothing more to send: a second run sends nothing twice.
    assert services.outbox_deliver_due().sent == 0
    assert len(smtp.recorder.accepted) == 1


def test_the_meeting_invitation_carries_a_calendar_file(world, smtp):
    complaint = ComplaintFactory(state=State.MEETING_PLANNED)
    send_owed(complaint, LetterKind.MEETING_INVITATION, actor=world.qm)
    services.outbox_deliver_due()
    invitation = next(m for m in smtp.recorder.messages() if "Uitnodiging" in m["Subject"])
    types = sorted(part.get_content_type() for part in invitation.iter_attachments())
    assert types == ["application/pdf", "text/calendar"]
    ics = next(p for p in invitation.iter_attachments() if p.get_content_type() == "text/calendar")
    assert ics.get_filename() == "uitnodiging.ics"
    content = ics.get_content()
    content = content.decode() if isinstance(content, bytes) else content
    assert "BEGIN:VEVENT" in content and complaint.reference in content


def test_smtp_down_then_back_every_message_arrives_exactly_once(world, smtp):
    complaints = [ComplaintFactory() for _ in range(3)]
    smtp.stop()  # the server is down while we send
    report = services.outbox_deliver_due()
    assert (report.sent, report.retrying) == (0, 3)
    waiting = OutgoingMessage.objects.filter(status=MessageStatus.QUEUED)
    assert waiting.count() == 3
    assert all(m.last_error for m in waiting)
    smtp.start()
    assert services.outbox_deliver_due().sent == 3
    assert services.outbox_deliver_due().sent == 0
    expected = set(OutgoingMessage.objects.values_list("message_id", flat=True))
    assert sorted(smtp.recorder.message_ids()) == sorted(expected)
    assert {m["To"] for m in smtp.recorder.messages()} == {c.complainant_email for c in complaints}
    assert set(OutgoingMessage.objects.values_list("attempts", flat=True)) == {2}


def test_a_server_that_refuses_delays_the_message_but_loses_none(world, smtp):
    ComplaintFactory()
    smtp.recorder.refuse_with = "451 4.3.0 Mailbox busy, try again later"
    assert services.outbox_deliver_due().retrying == 1
    message = OutgoingMessage.objects.get()
    assert "451" in message.last_error
    smtp.recorder.refuse_with = None
    assert services.outbox_deliver_due().sent == 1
    assert smtp.recorder.message_ids() == [message.message_id]


def test_back_off_waits_longer_after_each_failure(world, smtp, settings):
    settings.LETTERS_RETRY_BASE_SECONDS = 60
    settings.LETTERS_RETRY_MAX_SECONDS = 600
    ComplaintFactory()
    smtp.stop()
    waits = []
    for _ in range(5):
        before = timezone.now()
        services.outbox_deliver_due()
        message = OutgoingMessage.objects.get()
        waits.append(round((message.next_attempt_at - before).total_seconds() / 60))
        OutgoingMessage.objects.update(next_attempt_at=timezone.now())  # let time pass
    assert waits == [1, 2, 4, 8, 10]


def test_failed_for_good_is_shown_to_the_quality_manager_who_can_retry(
    world, smtp, settings, client
):
    settings.LETTERS_MAX_ATTEMPTS = 2
    complaint = ComplaintFactory()
    smtp.stop()
    services.outbox_deliver_due()
    report = services.outbox_deliver_due()
    assert report.failed == 1
    message = OutgoingMessage.objects.get()
    assert message.status == MessageStatus.FAILED
    assert services.outbox_deliver_due().failed == 0  # given up: not tried again by itself

    client.force_login(world.dm_north)
    assert client.get(reverse("letters:outbox")).status_code == 404
    client.force_login(world.qm)
    page = client.get(reverse("letters:outbox")).content.decode()
    assert "Ontvangstbevestiging van uw klacht" in page and complaint.complainant_email in page
    detail = client.get(complaint.get_absolute_url()).content.decode()
    assert "E-mail mislukt" in detail

    smtp.start()
    response = client.post(reverse("letters:retry", args=[message.token]))
    assert response.status_code == 302
    assert services.outbox_deliver_due().sent == 1
    assert smtp.recorder.message_ids() == [message.message_id]


def test_reminders_and_digests_are_marked_automatic(world, smtp):
    from tests.reminders.test_tick import overdue_complaint, tick_at

    overdue_complaint(world)
    tick_at(2026, 3, 11, 8)
    services.outbox_deliver_due()
    digest = next(m for m in smtp.recorder.messages() if m["To"] == world.qm.email)
    assert digest["Auto-Submitted"] == "auto-generated"
    assert not list(digest.iter_attachments())
