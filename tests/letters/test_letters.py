"""Letters: what each says (read back from its PDF), what is refused, versions (P3.4-P3.8, P4)."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.utils import timezone
from icalendar import Calendar

from klachtbeheer.complaints import services as complaint_services
from klachtbeheer.complaints.models import ComplainantType, Complaint, LetterKind
from klachtbeheer.complaints.workflow import State, Step
from klachtbeheer.core.errors import ProcedureError
from klachtbeheer.letters import services
from klachtbeheer.letters.constants import DeliveryChannel, MessageStatus
from klachtbeheer.letters.content import dutch_date, salutation_name
from klachtbeheer.letters.models import (
    Letter,
    LetterDue,
    LetterTemplate,
    NextBody,
    OutgoingMessage,
)
from klachtbeheer.letters.services import letters_draft_owed
from klachtbeheer.organisation.models import Organisation
from tests.factories import ComplainantDataFactory, ComplaintFactory, take_step
from tests.letters.helpers import letter_of_each_kind, owed, pdf_text, send_owed

pytestmark = pytest.mark.django_db


@pytest.fixture
def titled(world):
    """Job titles as the letters print them under the signature."""
    for user, title in ((world.qm, "Kwaliteitsmanager"), (world.dm_north, "Districtsmanager")):
        user.first_name, user.last_name = {
            world.qm.pk: ("Karin", "Visser"),
            world.dm_north.pk: ("Sanne", "de Vries"),
        }[user.pk]
        user.save()
        user.staff_profile.job_title = title
        user.staff_profile.save()
    return world


def test_every_letter_is_a_dutch_business_letter_in_its_pdf(titled):
    letters = letter_of_each_kind(titled)
    assert set(letters) == set(LetterKind.values)
    today = timezone.localdate()
    for kind, letter in letters.items():
        content = services.letter_pdf_bytes(letter)
        assert content.startswith(b"%PDF-")
        assert letter.sha256 == hashlib.sha256(content).hexdigest()
        text = pdf_text(content)
        complaint = letter.complaint
        # Letterhead, address block, reference, date written out, subject.
        assert "IMK" in text and "Postbus 443" in text and "3740 AK Baarn" in text, kind
        assert complaint.complainant_name in text, kind
        assert "Laanstraat 12" in text and "3741 AB BAARN" in text, kind
        assert f"Ons kenmerk {complaint.reference}" in text, kind
        assert f"Datum Baarn, {dutch_date(today)}" in text, kind
        assert f"Onderwerp {letter.subject}" in text, kind
        # Salutation, closing, the handler's name and function.
        assert f"Geachte {salutation_name(complaint.complainant_name)}," in text, kind
        assert "Met vriendelijke groet," in text, kind
        assert "Sanne de Vries Districtsmanager IMK" in text, kind
        assert "Pagina 1 van" in text, kind
        # The stored text is the letter's text.
        assert f"Onderwerp: {letter.subject}" in letter.text
        assert letter.template_version == letter.template.version == 1

    ack = pdf_text(services.letter_pdf_bytes(letters[LetterKind.ACKNOWLEDGEMENT]))
    assert "Geachte mevrouw A. de Vries," in ack
    assert "Geachte heer B. Jansen," in letters[LetterKind.WITHDRAWAL].text
    complaint = letters[LetterKind.ACKNOWLEDGEMENT].complaint
    assert "Ontvangstbevestiging van uw klacht" in ack
    assert f"Uiterlijk {dutch_date(complaint.contact_due_on)}" in ack

    withdrawal = pdf_text(services.letter_pdf_bytes(letters[LetterKind.WITHDRAWAL]))
    assert "u uw klacht intrekt" in withdrawal and "beëindigd" in withdrawal

    invitation = letters[LetterKind.MEETING_INVITATION]
    meeting = pdf_text(services.letter_pdf_bytes(invitation))
    at = timezone.localtime(invitation.complaint.meeting_at)
    assert f"Datum: {dutch_date(at.date(), 'l j F Y')}" in meeting
    assert "Tijd: 14.00 uur" in meeting
    assert "Plaats: Kantoor Baarn, Stationsplein 1" in meeting

    extension = letters[LetterKind.EXTENSION]
    notice = pdf_text(services.letter_pdf_bytes(extension))
    assert f"uiterlijk {dutch_date(extension.complaint.settle_due_on)}" in notice
    assert f"uiterlijk {dutch_date(extension.complaint.extended_until)} af" in notice
    assert "verslag van uw jobcoach" in notice

    decision = pdf_text(services.letter_pdf_bytes(letters[LetterKind.DECISION]))
    assert "uw klacht is gedeeltelijk gegrond" in decision
    assert "twee afspraken niet nagekomen" in decision
    assert "U krijgt een nieuwe jobcoach." in decision
    assert "Afspraken worden voortaan per sms bevestigd." in decision
    assert "Stichting Blik op Werk" in decision  # a client who is not a UWV client (P4.1)

    answer = pdf_text(services.letter_pdf_bytes(letters[LetterKind.NOT_A_COMPLAINT]))
    assert "geen klacht in de zin van onze klachtenregeling" in answer


def test_the_pdf_is_made_once_and_kept(world):
    letter = Letter.objects.get(complaint=ComplaintFactory(), kind=LetterKind.ACKNOWLEDGEMENT)
    first = services.letter_pdf_bytes(letter)
    again = services.letter_pdf_bytes(Letter.objects.get(pk=letter.pk))
    assert first == again
    Letter.objects.filter(pk=letter.pk).update(sha256="0" * 64)
    with pytest.raises(ProcedureError) as changed:
        services.letter_pdf_bytes(Letter.objects.get(pk=letter.pk))
    assert changed.value.code == "pdf_changed"


def test_a_letter_never_changes(world):
    letter = Letter.objects.get(complaint=ComplaintFactory(), kind=LetterKind.ACKNOWLEDGEMENT)
    letter.text = "iets anders"
    with pytest.raises(RuntimeError):
        letter.save()
    with pytest.raises(RuntimeError):
        Letter.objects.filter(pk=letter.pk).update(text="iets anders")
    with pytest.raises(RuntimeError):
        letter.delete()


def test_the_acknowledgement_is_made_and_queued_by_the_worker_after_intake(world):
    complaint = ComplaintFactory()  # the factory lets the worker draft it, as after the commit
    letter = Letter.objects.get(complaint=complaint)
    assert letter.kind == LetterKind.ACKNOWLEDGEMENT
    assert letter.channel == DeliveryChannel.EMAIL
    message = OutgoingMessage.objects.get(letter=letter)
    assert message.to == complaint.complainant_email
    assert message.status == MessageStatus.QUEUED
    assert message.message_id.startswith("<") and message.message_id.endswith(">")


def test_without_e_mail_the_letter_goes_to_the_print_queue(world):
    complaint = ComplaintFactory(complainant=ComplainantDataFactory(email=""))
    letter = Letter.objects.get(complaint=complaint)
    assert letter.channel == DeliveryChannel.POST
    assert not OutgoingMessage.objects.filter(letter=letter).exists()
    assert letter.sent_on is None
    posted = services.letter_mark_posted(
        actor=world.qm, reference=complaint.reference, uid=letter.uid
    )
    assert posted.sent_on == timezone.localdate()
    assert owed(complaint, LetterKind.ACKNOWLEDGEMENT).sent_on == timezone.localdate()
    with pytest.raises(ProcedureError):
        services.letter_mark_posted(actor=world.qm, reference=complaint.reference, uid=letter.uid)


def test_the_outbox_row_is_written_in_the_steps_transaction(world, monkeypatch):
    """A step that fails after its letter was made leaves neither letter nor e-mail."""
    complaint = ComplaintFactory(state=State.DECIDED)
    before = (Letter.objects.count(), OutgoingMessage.objects.count())

    def audit_fails(**kwargs):
        assert OutgoingMessage.objects.count() == before[1] + 1  # written, not yet committed
        raise RuntimeError("the audit row could not be written")

    monkeypatch.setattr(complaint_services, "audit", audit_fails)
    with pytest.raises(RuntimeError):
        take_step(Step.SEND_DECISION, complaint, actor=world.qm)
    assert (Letter.objects.count(), OutgoingMessage.objects.count()) == before


def test_an_intake_that_fails_owes_nothing(world, monkeypatch):
    """The owed acknowledgement commits with the intake or not at all; the worker drafts it."""
    before = (LetterDue.objects.count(), Complaint.objects.count())

    def audit_fails(*args, **kwargs):
        assert LetterDue.objects.count() == before[0] + 1  # written, not yet committed
        raise RuntimeError("the audit row could not be written")

    # Registration writes its audit rows together, last (issue 15).
    monkeypatch.setattr(complaint_services, "audit_together", audit_fails)
    with pytest.raises(RuntimeError):
        ComplaintFactory()
    assert (LetterDue.objects.count(), Complaint.objects.count()) == before
    assert letters_draft_owed() == 0


def test_the_worker_is_woken_only_after_commit(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        ComplaintFactory()
    assert callbacks  # the wake-up waits for the commit (django-tasks enqueue)


def test_a_decision_letter_without_reasons_is_refused(world):
    complaint = ComplaintFactory(state=State.DECIDED)
    Complaint.objects.filter(pk=complaint.pk).update(verdict_reasons="  ")
    with pytest.raises(ProcedureError) as refused:
        take_step(Step.SEND_DECISION, complaint, actor=world.qm)
    assert refused.value.code == "decision_without_reasons"
    complaint.refresh_from_db()
    assert complaint.state == State.DECIDED
    assert complaint.settled_on is None
    assert not Letter.objects.filter(complaint=complaint, kind=LetterKind.DECISION).exists()
    assert not OutgoingMessage.objects.filter(complaint=complaint, letter__kind="decision")


def test_a_decision_letter_without_measures_or_none_is_refused(world):
    complaint = ComplaintFactory(state=State.DECIDED)
    complaint.measures.all().delete()
    with pytest.raises(ProcedureError) as refused:
        take_step(Step.SEND_DECISION, complaint, actor=world.qm)
    assert refused.value.code == "decision_without_measures"


def test_a_decision_with_no_measures_says_so(world):
    complaint = ComplaintFactory(state=State.ASSESSING)
    complaint = take_step(
        Step.RECORD_VERDICT,
        complaint,
        actor=world.qm,
        verdict="unfounded",
        reasons="De afspraken zijn nagekomen.",
        measures=[],
        no_measures=True,
    )
    take_step(Step.SEND_DECISION, complaint, actor=world.qm)
    letter = Letter.objects.get(complaint=complaint, kind=LetterKind.DECISION)
    assert "uw klacht is ongegrond" in letter.text
    assert "nemen wij geen maatregelen" in letter.text


@pytest.mark.parametrize(
    ("complainant_type", "uwv_client", "expected"),
    [
        (ComplainantType.CLIENT, True, "UWV Klachtenservice (voorheen Klachtenbureau UWV)"),
        (ComplainantType.CLIENT, False, "Stichting Blik op Werk"),
        (ComplainantType.MUNICIPALITY, False, "de directie van IMK"),
    ],
)
def test_the_decision_letter_says_where_to_go_next(world, complainant_type, uwv_client, expected):
    complaint = ComplaintFactory(
        state=State.DECIDED,
        complainant=ComplainantDataFactory(
            complainant_type=complainant_type, is_uwv_client=uwv_client
        ),
    )
    take_step(Step.SEND_DECISION, complaint, actor=world.qm)
    letter = Letter.objects.get(complaint=complaint, kind=LetterKind.DECISION)
    assert f"Dan kunt u zich wenden tot {expected}." in letter.text


def test_where_to_go_next_is_data(world):
    NextBody.objects.filter(applies_to=ComplainantType.COMPANY).update(
        name="Geschillencommissie Zakelijk", how_to_reach="Zie de overeenkomst."
    )
    complaint = ComplaintFactory(
        state=State.DECIDED,
        complainant=ComplainantDataFactory(complainant_type=ComplainantType.COMPANY),
    )
    take_step(Step.SEND_DECISION, complaint, actor=world.qm)
    text = Letter.objects.get(complaint=complaint, kind=LetterKind.DECISION).text
    assert "Geschillencommissie Zakelijk" in text
    assert "Zie de overeenkomst." in text


def test_a_decision_template_that_drops_the_next_step_is_refused(world):
    current = LetterTemplate.objects.current(LetterKind.DECISION)
    LetterTemplate.objects.create(
        kind=LetterKind.DECISION,
        version=current.version + 1,
        subject=current.subject,
        body="Geachte {{ aanhef }},\n\nUw klacht is {{ oordeel }}.\n\nMet vriendelijke groet,",
    )
    complaint = ComplaintFactory(state=State.DECIDED)
    with pytest.raises(ProcedureError) as refused:
        take_step(Step.SEND_DECISION, complaint, actor=world.qm)
    assert refused.value.code == "decision_without_next_body"


def test_the_extension_notice_after_the_term_is_refused(world, clock):
    complaint = ComplaintFactory(state=State.ASSESSING)
    term = complaint.settle_due_on
    complaint = take_step(Step.EXTEND, complaint, actor=world.qm, until=term + dt.timedelta(14))
    due = owed(complaint, LetterKind.EXTENSION)
    clock(term + dt.timedelta(days=1))
    with pytest.raises(ProcedureError) as refused:
        services.letter_send(actor=world.qm, reference=complaint.reference, due_id=due.pk)
    assert refused.value.code == "extension_notice_late"
    assert not Letter.objects.filter(complaint=complaint, kind=LetterKind.EXTENSION).exists()
    # On the last day of the term it still goes.
    clock(term)
    letter = services.letter_send(actor=world.qm, reference=complaint.reference, due_id=due.pk)
    assert letter.kind == LetterKind.EXTENSION


def test_a_replanned_meeting_sends_only_the_newest_invitation_with_its_calendar(world):
    complaint = ComplaintFactory(state=State.CONTACTED)
    first = timezone.now() + dt.timedelta(days=3)
    complaint = take_step(Step.PLAN_MEETING, complaint, actor=world.qm, at=first)
    old = owed(complaint, LetterKind.MEETING_INVITATION)
    second = first + dt.timedelta(days=2)
    complaint = take_step(Step.PLAN_MEETING, complaint, actor=world.qm, at=second)
    old.refresh_from_db()
    assert old.cancelled_on == timezone.localdate()
    with pytest.raises(ProcedureError):
        services.letter_send(actor=world.qm, reference=complaint.reference, due_id=old.pk)
    letter = send_owed(complaint, LetterKind.MEETING_INVITATION, actor=world.qm)
    event = Calendar.from_ical(letter.calendar).walk("VEVENT")[0]
    assert event.decoded("dtstart") == second.replace(microsecond=0)
    assert str(event["location"]) == "Kantoor Baarn"
    assert str(event["uid"]).startswith(f"gesprek-{complaint.reference}@")
    assert complaint.reference in str(event["summary"])


def test_a_letter_is_sent_once(world):
    complaint = ComplaintFactory(state=State.WITHDRAWN)
    send_owed(complaint, LetterKind.WITHDRAWAL, actor=world.qm)
    with pytest.raises(ProcedureError) as refused:
        send_owed(complaint, LetterKind.WITHDRAWAL, actor=world.qm)
    assert refused.value.code == "letter_already_made"


def test_staff_without_access_cannot_send(world):
    complaint = ComplaintFactory(state=State.WITHDRAWN)  # North: dm_south may not see it
    due = owed(complaint, LetterKind.WITHDRAWAL)
    for outsider in (world.dm_south, world.staff):
        with pytest.raises(ProcedureError):
            services.letter_send(actor=outsider, reference=complaint.reference, due_id=due.pk)


def test_editing_a_template_adds_a_version_and_old_letters_keep_theirs(world, client):
    first = Letter.objects.get(complaint=ComplaintFactory(), kind=LetterKind.ACKNOWLEDGEMENT)
    world.qm.is_staff = True
    world.qm.save()
    client.force_login(world.qm)
    v1 = LetterTemplate.objects.current(LetterKind.ACKNOWLEDGEMENT)
    response = client.post(
        f"/beheer/letters/lettertemplate/{v1.pk}/change/",
        {"subject": "Wij hebben uw klacht ontvangen", "body": v1.body + "\n\nPS: nieuw."},
    )
    assert response.status_code == 302, response.content[:2000]
    v2 = LetterTemplate.objects.current(LetterKind.ACKNOWLEDGEMENT)
    assert (v2.version, v2.created_by) == (2, world.qm)
    assert LetterTemplate.objects.get(pk=v1.pk).subject == v1.subject  # version 1 unchanged
    second = Letter.objects.get(complaint=ComplaintFactory(), kind=LetterKind.ACKNOWLEDGEMENT)
    assert (second.template_version, second.subject) == (2, "Wij hebben uw klacht ontvangen")
    first.refresh_from_db()
    assert first.template_version == 1 and "PS: nieuw." not in first.text
    # A text that does not compile is refused, and makes no version.
    response = client.post(
        f"/beheer/letters/lettertemplate/{v2.pk}/change/",
        {"subject": "x", "body": "Geachte {% if %}"},
    )
    assert response.status_code == 200
    assert LetterTemplate.objects.current(LetterKind.ACKNOWLEDGEMENT).version == 2


def test_letters_are_dutch_whatever_the_page_language(world, english):
    letter = Letter.objects.get(complaint=ComplaintFactory(), kind=LetterKind.ACKNOWLEDGEMENT)
    assert "Datum: Baarn," in letter.text
    month = dutch_date(letter.letter_date, "F")
    assert month in letter.text


def test_the_letterhead_follows_the_organisation(world):
    organisation = Organisation.current()
    organisation.name = "Adviesbureau Noord"
    organisation.complaints_address = "Adviesbureau Noord\nPostbus 1\n9700 AA Groningen"
    organisation.save()
    letter = Letter.objects.get(complaint=ComplaintFactory(), kind=LetterKind.ACKNOWLEDGEMENT)
    text = pdf_text(services.letter_pdf_bytes(letter))
    assert text.startswith("Adviesbureau Noord")
    assert "Postbus 1" in text and "9700 AA Groningen" in text
