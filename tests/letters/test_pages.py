"""Staff pages of the letters app, and what the complainant's status page can use (UX.md)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from klachtbeheer.complaints.models import Complaint, LetterKind
from klachtbeheer.complaints.workflow import State, Step
from klachtbeheer.core.errors import ProcedureError
from klachtbeheer.letters import selectors, services
from klachtbeheer.letters.models import Letter, OutgoingMessage
from klachtbeheer.letters.views import letter_file_response
from tests.factories import ComplainantDataFactory, ComplaintFactory, take_step
from tests.letters.helpers import owed, pdf_text

pytestmark = pytest.mark.django_db


def test_a_step_that_owes_a_letter_leads_to_it_and_shows_it_before_sending(world, client):
    complaint = ComplaintFactory(state=State.CONTACTED)
    client.force_login(world.dm_north)
    response = client.post(
        reverse("complaints:step", args=[complaint.reference, Step.WITHDRAW.value]),
        {"summary": "Misverstand over de afspraak; de klager trekt de klacht in."},
    )
    due = owed(complaint, LetterKind.WITHDRAWAL)
    page_url = reverse("letters:due", args=[complaint.reference, due.pk])
    assert response.status_code == 302 and response["Location"] == page_url

    page = client.get(page_url).content.decode()
    assert "Bekijken en versturen: Bevestiging van intrekking" in page or "Bekijken" in page
    assert "Bevestiging: u heeft uw klacht ingetrokken" in page  # subject
    assert complaint.complainant_email in page
    # The letter itself, escaped into the frame that shows it.
    assert 'srcdoc="&lt;!DOCTYPE html&gt;' in page and "Met vriendelijke groet" in page
    assert not Letter.objects.filter(complaint=complaint, kind=LetterKind.WITHDRAWAL).exists()

    response = client.post(page_url)
    assert response.status_code == 302
    letter = Letter.objects.get(complaint=complaint, kind=LetterKind.WITHDRAWAL)
    assert letter.created_by == world.dm_north
    assert OutgoingMessage.objects.filter(letter=letter).exists()
    detail = client.get(complaint.get_absolute_url()).content.decode()
    assert reverse("letters:pdf", args=[complaint.reference, letter.uid]) in detail


def test_the_decision_step_shows_the_letter_and_sends_it(world, client):
    complaint = ComplaintFactory(state=State.DECIDED)
    client.force_login(world.qm)
    url = reverse("complaints:step", args=[complaint.reference, Step.SEND_DECISION.value])
    page = client.get(url).content.decode()
    assert "Beslissing op uw klacht" in page
    assert "dit is precies wat de klager ontvangt" in page
    response = client.post(url, {"how": "now"})
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.state == State.DECISION_SENT
    assert Letter.objects.filter(complaint=complaint, kind=LetterKind.DECISION).exists()


def test_the_decision_step_says_why_it_cannot_make_the_letter(world, client):
    complaint = ComplaintFactory(state=State.DECIDED)
    Complaint.objects.filter(pk=complaint.pk).update(verdict_reasons="")
    client.force_login(world.qm)
    url = reverse("complaints:step", args=[complaint.reference, Step.SEND_DECISION.value])
    page = client.get(url).content.decode()
    assert "De beslissingsbrief kan niet worden gemaakt" in page
    response = client.post(url, {"how": "now"})
    assert response.status_code == 400
    assert "motivering" in response.content.decode()


def test_the_late_extension_notice_page_refuses(world, client, clock):
    complaint = ComplaintFactory(state=State.ASSESSING)
    term = complaint.settle_due_on
    complaint = take_step(Step.EXTEND, complaint, actor=world.qm, until=term + dt.timedelta(9))
    due = owed(complaint, LetterKind.EXTENSION)
    clock(term + dt.timedelta(days=2))
    client.force_login(world.qm)
    url = reverse("letters:due", args=[complaint.reference, due.pk])
    response = client.post(url)
    assert response.status_code == 400
    assert "voordat de termijn verloopt" in response.content.decode()


def test_downloads_go_through_the_complaint(world, client):
    complaint = ComplaintFactory()
    letter = Letter.objects.get(complaint=complaint)
    url = reverse("letters:pdf", args=[complaint.reference, letter.uid])
    client.force_login(world.dm_south)  # another district
    assert client.get(url).status_code == 404
    client.force_login(world.staff)
    assert client.get(url).status_code == 404
    client.force_login(world.dm_north)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "Ontvangstbevestiging" in pdf_text(b"".join(response.streaming_content))
    other = ComplaintFactory()
    wrong = reverse("letters:pdf", args=[other.reference, letter.uid])
    assert client.get(wrong).status_code == 404  # the letter belongs to another complaint


def test_print_queue_and_marking_posted(world, client):
    complaint = ComplaintFactory(complainant=ComplainantDataFactory(email=""))
    visible_elsewhere = ComplaintFactory(
        postcode="5611 CD", complainant=ComplainantDataFactory(email="", postcode="5611 CD")
    )
    client.force_login(world.dm_north)
    page = client.get(reverse("letters:print_queue")).content.decode()
    assert complaint.reference in page
    assert visible_elsewhere.reference not in page
    letter = Letter.objects.get(complaint=complaint)
    response = client.post(reverse("letters:posted", args=[complaint.reference, letter.uid]))
    assert response.status_code == 302
    letter.refresh_from_db()
    assert letter.sent_on == timezone.localdate() and letter.posted_by == world.dm_north
    queue = client.get(reverse("letters:print_queue")).content.decode()
    assert reverse("letters:posted", args=[complaint.reference, letter.uid]) not in queue
    detail = client.get(complaint.get_absolute_url()).content.decode()
    assert "Brief verstuurd" in detail  # on the timeline


def test_for_the_status_page_sent_letters_and_their_download_without_a_user(world):
    complaint = ComplaintFactory(complainant=ComplainantDataFactory(email=""))
    assert list(selectors.letters_sent_for(complaint)) == []  # made, not yet posted
    letter = Letter.objects.get(complaint=complaint)
    services.letter_mark_posted(actor=world.qm, reference=complaint.reference, uid=letter.uid)
    assert list(selectors.letters_sent_for(complaint)) == [letter]
    response = letter_file_response(complaint=complaint, uid=letter.uid)
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    other = ComplaintFactory()
    with pytest.raises(Exception) as not_there:
        letter_file_response(complaint=other, uid=letter.uid)
    assert "Http404" in type(not_there.value).__name__


def test_the_complaint_page_lists_letters_in_few_queries(
    world, client, django_assert_max_num_queries
):
    complaint = ComplaintFactory(state=State.WITHDRAWN)
    client.force_login(world.qm)
    client.get(complaint.get_absolute_url())  # warm caches (site, session)
    with django_assert_max_num_queries(40):
        page = client.get(complaint.get_absolute_url()).content.decode()
    assert "Bekijken en versturen" in page


def test_the_outbox_hides_a_message_that_names_a_complaint_about_the_viewer(world, client):
    """A digest names several complaints; one about the quality manager hides it (P3.2)."""
    from klachtbeheer.core.errors import ProcedureError
    from klachtbeheer.letters.constants import MessageKind, MessageStatus

    about_qm = ComplaintFactory(manager_concerned=world.qm)
    plain = ComplaintFactory()
    digest = services.outbox_queue(
        kind=MessageKind.DIGEST,
        to=world.board.email,
        subject=f"Overzicht {plain.reference}",
        body=f"- {plain.reference}\n- {about_qm.reference}\n",
    )
    assert set(digest.mentions.all()) == {plain, about_qm}
    OutgoingMessage.objects.update(status=MessageStatus.FAILED)
    assert digest not in selectors.messages_visible_to(world.qm)
    assert digest in selectors.messages_visible_to(world.board)
    assert not selectors.messages_visible_to(world.qm).filter(complaint=about_qm).exists()
    client.force_login(world.qm)
    page = client.get(reverse("letters:outbox")).content.decode()
    assert about_qm.reference not in page
    assert f"Overzicht {plain.reference}" not in page
    assert plain.reference in page  # its acknowledgement, failed
    with pytest.raises(ProcedureError) as refused:
        services.message_retry(actor=world.qm, token=digest.token)
    assert refused.value.code == "no_such_message"


def test_sending_the_decision_is_dated_today_and_a_typed_date_is_refused(world, client):
    """Issue 14.3: sending now takes the clock's date; no back-dating through this action."""
    complaint = ComplaintFactory(state=State.DECIDED)
    client.force_login(world.qm)
    url = reverse("complaints:step", args=[complaint.reference, Step.SEND_DECISION.value])
    page = client.get(url).content.decode()
    assert "Beslissing versturen" in page  # named for what it does
    assert "Eerder verstuurde brief vastleggen" in page  # the other action, apart
    with pytest.raises(ProcedureError) as refused:
        take_step(
            Step.SEND_DECISION,
            complaint,
            actor=world.qm,
            sent_on=timezone.localdate() - dt.timedelta(days=1),
        )
    assert refused.value.code in {"sent_now_is_today", "sent_before_verdict"}
    assert not Letter.objects.filter(complaint=complaint, kind=LetterKind.DECISION).exists()


def test_recording_a_letter_sent_earlier_needs_date_and_how_and_sends_nothing(world, client):
    complaint = ComplaintFactory(state=State.DECIDED)
    client.force_login(world.qm)
    url = reverse("complaints:step", args=[complaint.reference, Step.SEND_DECISION.value])
    missing = client.post(url, {"how": "earlier"})
    assert missing.status_code == 400
    html = missing.content.decode()
    assert "Vul de datum in waarop de beslissingsbrief is verstuurd" in html
    assert "Vul in hoe en door wie de beslissingsbrief is verstuurd" in html
    complaint.refresh_from_db()
    response = client.post(
        url,
        {
            "how": "earlier",
            "sent_on": complaint.decided_on.isoformat(),
            "note": "Bij het gesprek overhandigd.",
        },
    )
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.state == State.DECISION_SENT
    assert complaint.settled_on == complaint.decided_on
    assert not Letter.objects.filter(complaint=complaint, kind=LetterKind.DECISION).exists()
    event = complaint.events.get(kind="decision_sent")
    assert event.data["sent_earlier"] is True and event.text == "Bij het gesprek overhandigd."
    assert owed(complaint, LetterKind.DECISION).sent_on == complaint.decided_on


def test_a_letter_sent_earlier_cannot_be_dated_before_the_verdict(world):
    complaint = ComplaintFactory(state=State.DECIDED)
    with pytest.raises(ProcedureError) as refused:
        take_step(
            Step.SEND_DECISION,
            complaint,
            actor=world.qm,
            sent_on=complaint.decided_on - dt.timedelta(days=1),
            sent_earlier=True,
            note="Per post.",
        )
    assert refused.value.code in {"sent_before_verdict", "date_before_receipt"}
