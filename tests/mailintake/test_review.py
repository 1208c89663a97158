"""The quality manager's review page, the original messages, and the MTA pipe."""

from __future__ import annotations

import io
import sys

import pytest
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from klachtbeheer.complaints.models import (
    AccessLog,
    Channel,
    Complaint,
    EventKind,
    LetterKind,
)
from klachtbeheer.core.models import AuditEntry
from klachtbeheer.mailintake.constants import InboundSource, InboundStatus
from klachtbeheer.mailintake.models import InboundMessage
from klachtbeheer.mailintake.services import inbound_message_ingest, reply_address_for
from tests.factories import ComplainantDataFactory, ComplaintFactory
from tests.mailintake.conftest import corpus

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _dutch():
    with translation.override("nl"):
        yield


def ingest(raw: bytes) -> InboundMessage:
    return inbound_message_ingest(raw=raw, source=InboundSource.PIPE).message


@pytest.fixture
def waiting(world):
    """A damaged message, an automatic one, and one about Anna's case from another address."""
    anna = ComplaintFactory(
        complainant=ComplainantDataFactory(name="Anna de Vries", email="anna.devries@example.nl")
    )
    foreign = corpus("reply.eml").replace(b"KL-2026-00042", anna.reference.encode())
    foreign = foreign.replace(b"anna.devries@example.nl>\r\nTo:", b"buurman@example.org>\r\nTo:")
    return {
        "broken": ingest(corpus("broken-mime.eml")),
        "auto": ingest(corpus("out-of-office.eml")),
        "foreign": ingest(foreign),
        "anna": anna,
    }


def test_only_the_quality_manager_sees_the_review_page(client, world, waiting):
    for user in (world.dm_north, world.board, world.staff):
        client.force_login(user)
        assert client.get(reverse("mailintake:review_list")).status_code == 404
        assert (
            client.get(reverse("mailintake:detail", args=[waiting["broken"].pk])).status_code == 404
        )
        response = client.post(
            reverse("mailintake:ignore", args=[waiting["broken"].pk]), {"reason": "x"}
        )
        assert response.status_code == 404
    client.force_login(world.qm)
    page = client.get(reverse("mailintake:review_list"))
    assert page.status_code == 200
    content = page.content.decode()
    assert "De structuur van het bericht is beschadigd" in content  # the reason, in Dutch
    assert waiting["foreign"].subject in content
    assert "Automatisch antwoord" not in content  # automatic ones have their own view
    automatic = client.get(reverse("mailintake:review_list") + "?view=automatic")
    assert "Automatisch antwoord" in automatic.content.decode()


def test_the_work_list_tells_the_quality_manager_what_waits(client, world, waiting):
    client.force_login(world.qm)
    content = client.get(reverse("complaints:work_list")).content.decode()
    assert "2 e-mails wachten op uw beoordeling" in content
    client.force_login(world.dm_north)
    content = client.get(reverse("complaints:work_list")).content.decode()
    assert "op uw beoordeling" not in content


def test_make_a_complaint_of_a_waiting_message(client, world, waiting):
    client.force_login(world.qm)
    message = waiting["broken"]
    url = reverse("mailintake:make_complaint", args=[message.pk])
    form = client.get(url)
    assert form.status_code == 200
    assert form.context["form"].initial["email"] == "kees.deboer@example.nl"
    response = client.post(
        url,
        {
            "complainant_type": "client",
            "name": "Kees de Boer",
            "email": "kees.deboer@example.nl",
            "postcode": "3741 ab",
            "received_on": message.received_at.date().isoformat(),
            "substantiation": "Mijn coach kwam niet; het mailprogramma deed raar.",
            "acknowledge": "on",
        },
    )
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.status == InboundStatus.COMPLAINT
    assert message.reviewed_by == world.qm
    complaint = message.complaint
    assert response["Location"] == complaint.get_absolute_url()
    assert complaint.channel == Channel.EMAIL
    assert complaint.handler == world.dm_north  # routed by the postcode given (P3.1)
    assert complaint.letters_due.filter(kind=LetterKind.ACKNOWLEDGEMENT).exists()
    assert AuditEntry.objects.filter(action="mailintake.review.complaint", actor=world.qm).exists()
    # The message after it names what happened, not the action (issue 14.5: "Klaar: Klacht
    # maken" before).
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert shown == [f"Klacht {complaint.reference} is geregistreerd vanuit deze e-mail."]
    # Dealt with: a second attempt changes nothing.
    again = client.post(
        url,
        {"complainant_type": "client", "name": "x", "received_on": "2026-01-01",
         "substantiation": "x"},
    )  # fmt: skip
    assert again.status_code == 302
    assert Complaint.objects.filter(complainant_name="x").count() == 0


def test_a_complaint_from_an_automatic_message_owes_no_acknowledgement(client, world, waiting):
    client.force_login(world.qm)
    message = waiting["auto"]
    url = reverse("mailintake:make_complaint", args=[message.pk])
    assert client.get(url).context["form"].initial["acknowledge"] is False
    client.post(
        url,
        {
            "complainant_type": "client",
            "name": "Anna de Vries",
            "email": "anna.devries@example.nl",
            "received_on": message.received_at.date().isoformat(),
            "substantiation": "Toch een klacht.",
        },
    )
    message.refresh_from_db()
    assert message.status == InboundStatus.COMPLAINT
    assert not message.complaint.letters_due.exists()


def test_attach_a_waiting_message_to_a_case(client, world, waiting):
    client.force_login(world.qm)
    message = waiting["foreign"]
    url = reverse("mailintake:attach", args=[message.pk])
    assert client.get(url).context["form"].initial["reference"] == waiting["anna"].reference
    response = client.post(url, {"reference": waiting["anna"].reference.lower()})
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.status == InboundStatus.REPLY
    event = waiting["anna"].events.get(kind=EventKind.COMPLAINANT_MESSAGE)
    assert event.actor == world.qm
    assert event.text.startswith("Dank voor uw bevestiging.")
    assert "Geachte mevrouw De Vries" not in event.text
    assert [a.filename for a in waiting["anna"].attachments.all()] == ["afsprakenkaart.png"]


def test_attach_to_an_unknown_case_says_so(client, world, waiting):
    client.force_login(world.qm)
    url = reverse("mailintake:attach", args=[waiting["broken"].pk])
    response = client.post(url, {"reference": "KL-2020-00001"})
    assert response.status_code == 400
    assert "KL-2020-00001" in response.content.decode()
    bad = client.post(url, {"reference": "klacht 12"})
    assert bad.status_code == 400 and "reference" in bad.context["form"].errors


def test_ignore_needs_a_reason(client, world, waiting):
    client.force_login(world.qm)
    url = reverse("mailintake:ignore", args=[waiting["broken"].pk])
    assert client.post(url, {"reason": ""}).status_code == 400
    assert client.post(url, {"reason": "Spam"}).status_code == 302
    message = InboundMessage.objects.get(pk=waiting["broken"].pk)
    assert message.status == InboundStatus.IGNORED and message.review_note == "Spam"


def test_the_original_message_is_for_those_who_see_its_complaint(client, world):
    raw = corpus("plain.eml").replace(b"Laanstraat 12, 3741 AB Baarn", b"")
    message = ingest(raw)
    complaint = message.complaint
    url = reverse("mailintake:original", args=[message.pk])
    client.force_login(world.dm_north)  # no postcode: triage, not theirs
    assert client.get(url).status_code == 404
    client.force_login(world.qm)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == raw
    assert AccessLog.objects.filter(complaint=complaint, user=world.qm, via="email").exists()
    detail = client.get(complaint.get_absolute_url()).content.decode()
    assert url in detail  # linked from the complaint page


def test_the_timeline_shows_who_wrote_and_the_subject(client, world):
    anna = ComplaintFactory(
        complainant=ComplainantDataFactory(name="Anna de Vries", email="anna.devries@example.nl")
    )
    ingest(corpus("reply.eml").replace(b"KL-2026-00042", anna.reference.encode()))
    client.force_login(world.qm)
    content = client.get(anna.get_absolute_url()).content.decode()
    assert str(EventKind.COMPLAINANT_MESSAGE.label) in content  # in the page's language
    assert "Van: anna.devries@example.nl" in content
    assert "Onderwerp: Re: Ontvangstbevestiging" in content


def test_ingest_email_reads_one_message_from_standard_input(world, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(corpus("plain.eml"))))
    call_command("ingest-email")
    message = InboundMessage.objects.get()
    assert message.source == InboundSource.PIPE
    assert capsys.readouterr().out.strip() == f"complaint {message.complaint.reference}"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(corpus("plain.eml"))))
    call_command("ingest-email")
    assert "(processed before)" in capsys.readouterr().out
    assert Complaint.objects.count() == 1


def test_ingest_email_refuses_empty_input(world, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"  \n")))
    with pytest.raises(SystemExit) as exit_:
        call_command("ingest-email")
    assert exit_.value.code == 65


def test_a_failure_keeps_the_message_for_review(world, monkeypatch):
    from klachtbeheer.mailintake import services

    def broken(*args, **kwargs):
        raise ValueError("routing exploded")

    monkeypatch.setattr(services, "_make_complaint", broken)
    message = ingest(corpus("plain.eml"))
    assert message.status == InboundStatus.NEEDS_REVIEW
    assert message.problems[0]["code"] == "failed"
    assert message.problems[0]["params"]["detail"] == "ValueError: routing exploded"
    assert "routing exploded" not in message.reasons[0] and "ValueError" not in message.reasons[0]
    assert "onverwachte fout" in message.reasons[0]
    assert Complaint.objects.count() == 0


def test_the_review_page_gives_a_failure_in_words_not_the_name_of_the_error(client, world):
    """Issue 14: the page showed "Processing failed (IntegrityError)"; a reviewer reads why in
    words, also for a message stored before causes were (only the error's name kept)."""
    message = ingest(corpus("plain.eml"))
    message.status = InboundStatus.NEEDS_REVIEW
    message.problems = [{"code": "failed", "params": {"error": "IntegrityError"}}]
    message.save(update_fields=["status", "problems"])
    client.force_login(world.qm)
    page = client.get(reverse("mailintake:detail", args=[message.pk])).content.decode()
    assert "IntegrityError" not in page
    assert "een regel van de database" in page
    with translation.override("en"):
        page = client.get(reverse("mailintake:detail", args=[message.pk]))
    assert "IntegrityError" not in page.content.decode()
    assert "breaks a rule of the database" in page.content.decode()


def test_reply_address_of_a_case(settings):
    settings.MAILINTAKE_ADDRESS = "klachten@imk.example"
    assert reply_address_for("KL-2026-00042") == "klachten+KL-2026-00042@imk.example"
    settings.MAILINTAKE_ADDRESS = ""
    assert reply_address_for("KL-2026-00042") == ""


def test_ignoring_a_message_says_what_became_of_it(client, world, waiting):
    client.force_login(world.qm)
    response = client.post(
        reverse("mailintake:ignore", args=[waiting["broken"].pk]), {"reason": "Nieuwsbrief."}
    )
    assert response.status_code == 302
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert shown == ["De e-mail is genegeerd; de reden is vastgelegd."]
