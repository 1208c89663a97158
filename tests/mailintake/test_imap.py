"""The mailbox against a real IMAP server (Dovecot): every corpus message, end to end.

Each test appends real-world-shaped messages by IMAP APPEND and runs the same
poll the command and the worker run; then checks the database and the
mailbox: what became of each message, and that it was flagged only after.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from email.message import EmailMessage

import pytest
from django.core.management import call_command
from django.utils import timezone

from klachtbeheer.complaints.models import (
    Channel,
    Complaint,
    Event,
    EventKind,
    LetterKind,
)
from klachtbeheer.complaints.workflow import State
from klachtbeheer.letters.models import LetterDue
from klachtbeheer.mailintake.constants import InboundStatus
from klachtbeheer.mailintake.imap import ImapConfig, poll_mailbox
from klachtbeheer.mailintake.models import InboundMessage
from tests.factories import ComplainantDataFactory, ComplaintFactory
from tests.mailintake.conftest import corpus
from tests.mailintake.test_hostile import nested

pytestmark = pytest.mark.django_db

AMSTERDAM = dt.timezone(dt.timedelta(hours=1))


def append(server, raw: bytes, when: dt.datetime | None = None) -> None:
    with server.mailbox() as mailbox:
        mailbox.append(raw, "INBOX", dt=when or timezone.now())


def flags(server, folder: str = "INBOX") -> list[tuple[str, ...]]:
    with server.mailbox() as mailbox:
        mailbox.folder.set(folder)
        return [m.flags for m in mailbox.fetch("ALL", mark_seen=False, headers_only=True)]


def poll():
    return poll_mailbox(ImapConfig.from_settings())


# --- new complaints ------------------------------------------------------------------------

COMPLAINTS = {
    "plain.eml": {
        "email": "anna.devries@example.nl",
        "name": "Anna de Vries",
        "text": ["Drie\nafspraken zijn zonder bericht niet doorgegaan", "andere coach"],
        "attachments": [],
    },
    "html-only.eml": {
        "email": "p.bakker@example.com",
        "name": "Bakker, Pieter",
        "text": ["De trainer was één uur te laat", "- Reiskosten: € 18,40", "(https://example.com"],
        "absent": ["<p>", "tracking", "font-family", "pixel.gif", "alert"],
        "attachments": [],
    },
    "multipart-attachments.eml": {
        "email": "f.elamrani@example.org",
        "name": "Fatima El Amrani",
        "text": ["Hierbij mijn klacht over het gesprek van 12 maart."],
        "absent": ["<p>", "cid:"],
        "attachments": [
            ("image001.png", "image/png"),
            ("Verslag gesprek – maart.pdf", "application/pdf"),
            (
                "brief.docx",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ),
        ],
    },
    "quoted-printable.eml": {
        "email": "eelco.hoekstra@example.nl",
        "name": "Eelco Hoekstra",
        "text": ["ter waarde van € 1.250,–. Daar is na drie maanden", "Beloofde cursus – geen"],
        "attachments": [],
    },
    "base64.eml": {
        "email": "j.mueller@example.de",
        "name": "Jürgen Müller",
        "text": ["Mijn medische gegevens zijn zonder overleg gedeeld."],
        "attachments": [],
    },
    "windows-1252.eml": {
        "email": "rene.smeets@example.nl",
        "name": "Rene Smeets",
        "text": ["“hopeloos”", "(€ 35)", "teleurgesteld – dit", "René Smeets"],
        "attachments": [],
    },
    "iso-8859-1.eml": {
        "email": "zoe.jansen@example.be",
        "name": "Zoë Jansen",
        "text": ["caféetje", "ideeën", "Coaching in café"],
        "attachments": [],
    },
    "no-message-id.eml": {
        "email": "info@werkfit.example.nl",
        "name": "Stichting Werkfit",
        "text": ["Namens onze client, de heer T. Visser"],
        "attachments": [],
    },
}


@pytest.mark.parametrize("name", sorted(COMPLAINTS))
def test_a_message_becomes_a_complaint_in_triage(imap, world, name):
    expected = COMPLAINTS[name]
    raw = corpus(name)
    arrived = timezone.now() - dt.timedelta(days=2)
    append(imap, raw, arrived)

    report = poll()

    assert report.new == {InboundStatus.COMPLAINT: 1}
    message = InboundMessage.objects.get()
    assert message.status == InboundStatus.COMPLAINT
    complaint = message.complaint
    assert complaint.channel == Channel.EMAIL
    assert complaint.state == State.RECEIVED  # triage: e-mail is not always a complaint (P1.2)
    assert complaint.complainant_email == expected["email"]
    assert complaint.complainant_name == expected["name"]
    for fragment in expected["text"]:
        assert fragment in complaint.substantiation
    for fragment in expected.get("absent", []):
        assert fragment not in complaint.substantiation
    # The date of receipt is when it reached the mailbox, not when it was polled (P2.3).
    assert complaint.received_on == timezone.localdate(arrived)
    assert complaint.contact_due_on == complaint.received_on + dt.timedelta(days=7)
    # Every attachment, byte for byte, and the original message as it arrived.
    stored = [(a.filename, a.content_type) for a in complaint.attachments.order_by("id")]
    assert stored == expected["attachments"]
    for attachment in complaint.attachments.all():
        with attachment.file.open("rb") as handle:
            assert hashlib.sha256(handle.read()).hexdigest() == attachment.sha256
    with message.raw.open("rb") as handle:
        assert handle.read() == raw
    # The same acknowledgement as every other channel owes.
    assert list(complaint.letters_due.values_list("kind", flat=True)) == [
        LetterKind.ACKNOWLEDGEMENT
    ]
    # Flagged as processed only now, after the commit.
    assert flags(imap) == [("\\Seen",)]


def test_pdf_attachment_is_downloadable_unchanged(imap, world):
    append(imap, corpus("multipart-attachments.eml"))
    poll()
    pdf = Complaint.objects.get().attachments.get(content_type="application/pdf")
    with pdf.file.open("rb") as handle:
        content = handle.read()
    assert content.startswith(b"%PDF-1.4") and b"Verslag gesprek 12 maart 2026" in content


def test_a_message_without_message_id_is_recognised_by_its_content(imap, world):
    raw = corpus("no-message-id.eml")
    append(imap, raw)
    poll()
    message = InboundMessage.objects.get()
    assert message.message_id == ""
    assert message.message_key == "sha:" + hashlib.sha256(raw).hexdigest()
    # The same bytes again (a second delivery, or the mailbox unflagged by hand): no duplicate.
    append(imap, raw)
    report = poll()
    assert report.repeated == 1 and not report.new
    assert Complaint.objects.count() == 1


def test_polling_twice_changes_nothing(imap, world):
    for name in ("plain.eml", "html-only.eml", "bounce.eml"):
        append(imap, corpus(name))
    first = poll()
    assert first.total == 3
    second = poll()
    assert second.total == 0
    assert Complaint.objects.count() == 2
    assert InboundMessage.objects.count() == 3


def test_a_message_unflagged_after_processing_is_not_processed_again(imap, world):
    """The state a crash between commit and flag leaves: committed, still unseen."""
    append(imap, corpus("plain.eml"))
    poll()
    with imap.mailbox() as mailbox:
        mailbox.client.uid("STORE", "1:*", "-FLAGS", r"(\Seen)")
    assert flags(imap) == [()]

    report = poll()

    assert report.repeated == 1 and not report.new
    assert Complaint.objects.count() == 1
    assert LetterDue.objects.count() == 1
    assert flags(imap) == [("\\Seen",)]


def test_move_mode_moves_processed_messages_out_of_the_intake_folder(imap, world, settings):
    settings.MAILINTAKE_IMAP_PROCESSED = "move"
    settings.MAILINTAKE_IMAP_PROCESSED_FOLDER = "Verwerkt"
    append(imap, corpus("plain.eml"))
    append(imap, corpus("out-of-office.eml"))

    report = poll()

    assert report.total == 2
    assert flags(imap, "INBOX") == []
    assert len(flags(imap, "Verwerkt")) == 2
    assert poll().total == 0


def test_the_command_reports_what_it_did(imap, world, capsys):
    append(imap, corpus("plain.eml"))
    append(imap, corpus("mailing-list.eml"))
    call_command("poll-mailbox")
    output = capsys.readouterr().out
    assert "complaint=1" in output and "ignored_auto=1" in output and "failed=0" in output


# --- automatic messages: never a complaint, never answered -----------------------------------


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("out-of-office.eml", "auto_submitted"),
        ("bounce.eml", "delivery_report"),
        ("mailing-list.eml", "mailing_list"),
        ("vacation-autoreply.eml", "autoreply_header"),
    ],
)
def test_automatic_messages_are_kept_but_never_become_complaints(imap, world, name, reason):
    complaint = ComplaintFactory(
        complainant=ComplainantDataFactory(email="anna.devries@example.nl")
    )
    letters_before = LetterDue.objects.count()
    events_before = Event.objects.count()
    append(imap, corpus(name))

    report = poll()

    assert report.new == {InboundStatus.IGNORED_AUTO: 1}
    message = InboundMessage.objects.get()
    assert reason in [p["code"] for p in message.problems]
    assert message.complaint is None
    assert message.reasons  # in words, for the review page
    # No complaint, no acknowledgement, nothing on the case it mentions: no mail loop.
    assert Complaint.objects.count() == 1
    assert LetterDue.objects.count() == letters_before
    assert Event.objects.count() == events_before
    assert complaint.events.filter(kind=EventKind.COMPLAINANT_MESSAGE).count() == 0
    assert flags(imap) == [("\\Seen",)]


# --- replies find their case -------------------------------------------------------------------


@pytest.fixture
def anna_case(world):
    """Anna's complaint, with the reference the corpus replies mention."""
    complaint = ComplaintFactory(
        complainant=ComplainantDataFactory(name="Anna de Vries", email="anna.devries@example.nl")
    )
    return complaint


def reply_to(complaint: Complaint, name: str) -> bytes:
    return corpus(name).replace(b"KL-2026-00042", complaint.reference.encode())


def test_a_reply_with_the_reference_in_the_subject_goes_on_the_timeline(imap, anna_case):
    letters_before = anna_case.letters_due.count()
    append(imap, reply_to(anna_case, "reply.eml"))

    report = poll()

    assert report.new == {InboundStatus.REPLY: 1}
    assert Complaint.objects.count() == 1  # not a new complaint
    event = anna_case.events.get(kind=EventKind.COMPLAINANT_MESSAGE)
    assert event.text == (
        "Dank voor uw bevestiging. Donderdagmiddag kan ik bellen, na 14.00 uur.\n"
        "Hierbij een foto van de afsprakenkaart.\n\nGroet, Anna"
    )  # the quoted history trimmed
    assert event.data["subject"].startswith("Re: Ontvangstbevestiging")
    assert event.data["channel"] == Channel.EMAIL
    at = dt.datetime.fromisoformat(event.data["at"])  # in local time, as the page shows it
    assert at.utcoffset() == timezone.localtime(at).utcoffset()
    assert [a.filename for a in anna_case.attachments.all()] == ["afsprakenkaart.png"]
    assert anna_case.letters_due.count() == letters_before  # a reply is not acknowledged
    message = InboundMessage.objects.get()
    assert message.complaint == anna_case and message.status == InboundStatus.REPLY
    anna_case.refresh_from_db()
    assert anna_case.state == State.RECEIVED


def test_a_reply_to_the_plus_address_finds_its_case(imap, anna_case):
    append(imap, reply_to(anna_case, "reply-plus-address.eml"))
    poll()
    event = anna_case.events.get(kind=EventKind.COMPLAINANT_MESSAGE)
    assert event.text == "Ja, donderdag om 14.00 uur op kantoor Baarn is goed.\nGroet, Anna"
    assert "Verzonden" not in event.text


def test_a_reply_in_the_thread_of_the_original_message_finds_its_case(imap, world):
    append(imap, corpus("plain.eml"))
    poll()
    complaint = Complaint.objects.get()
    follow_up = EmailMessage()
    follow_up["From"] = "Anna de Vries <anna.devries@example.nl>"
    follow_up["To"] = "klachten@imk.example"
    follow_up["Subject"] = "Re: Klacht over mijn re-integratietraject"
    follow_up["Message-ID"] = "<follow-up-1@example.nl>"
    follow_up["In-Reply-To"] = "<20261123091355.4f2a9c@example.nl>"
    follow_up.set_content("Ik vergat te melden dat ook mijn werkgever klaagt.\n")
    append(imap, follow_up.as_bytes())

    report = poll()

    assert report.new == {InboundStatus.REPLY: 1}
    assert complaint.events.filter(kind=EventKind.COMPLAINANT_MESSAGE).count() == 1


def test_a_message_about_a_case_from_someone_else_waits_for_review(imap, anna_case):
    raw = reply_to(anna_case, "reply.eml").replace(
        b"From: Anna de Vries <anna.devries@example.nl>", b"From: Onbekende <iemand@example.org>"
    )
    append(imap, raw)
    poll()
    message = InboundMessage.objects.get()
    assert message.status == InboundStatus.NEEDS_REVIEW
    assert [p["code"] for p in message.problems] == ["sender_not_complainant"]
    assert not anna_case.events.filter(kind=EventKind.COMPLAINANT_MESSAGE).exists()


def test_a_reference_that_does_not_exist_waits_for_review(imap, world):
    append(imap, corpus("reply.eml").replace(b"KL-2026-00042", b"KL-2019-99999"))
    poll()
    message = InboundMessage.objects.get()
    assert message.status == InboundStatus.NEEDS_REVIEW
    assert message.problems == [
        {"code": "unknown_reference", "params": {"reference": "KL-2019-99999"}}
    ]
    assert Complaint.objects.count() == 0


# --- malformed and huge: stored for a person, never dropped ----------------------------------


@pytest.mark.parametrize(
    ("name", "code"),
    [("broken-mime.eml", "broken_mime"), ("unknown-charset.eml", "unknown_charset")],
)
def test_malformed_messages_wait_for_review_with_a_reason(imap, world, name, code):
    raw = corpus(name)
    append(imap, raw)
    report = poll()
    assert report.new == {InboundStatus.NEEDS_REVIEW: 1}
    message = InboundMessage.objects.get()
    assert code in [p["code"] for p in message.problems]
    assert Complaint.objects.count() == 0
    with message.raw.open("rb") as handle:
        assert handle.read() == raw
    assert flags(imap) == [("\\Seen",)]


def test_a_20_mb_message_is_stored_whole_and_waits_for_review(imap, world):
    message = EmailMessage()
    message["From"] = "Groot Bestand <groot@example.nl>"
    message["To"] = "klachten@imk.example"
    message["Subject"] = "Klacht met alle scans"
    message["Message-ID"] = "<twenty-megabytes@example.nl>"
    message.set_content("Alle scans van mijn dossier zitten in de bijlage.\n")
    scan = hashlib.sha256(b"seed").digest() * (15 * 1024 * 1024 // 32)  # 15 MB, base64: 20 MB
    message.add_attachment(scan, maintype="application", subtype="pdf", filename="scans.pdf")
    raw = message.as_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    assert len(raw) > 20 * 1024 * 1024
    append(imap, raw)

    report = poll()

    assert report.new == {InboundStatus.NEEDS_REVIEW: 1}
    stored = InboundMessage.objects.get()
    codes = [p["code"] for p in stored.problems]
    assert "too_large" in codes and "attachment_too_large" in codes
    assert stored.size == len(raw)
    with stored.raw.open("rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == hashlib.sha256(raw).hexdigest()
    assert stored.sender_email == "groot@example.nl"
    assert "Alle scans" in stored.body_text
    assert Complaint.objects.count() == 0
    assert flags(imap) == [("\\Seen",)]


def test_a_message_that_crashes_processing_is_kept_for_review_and_flagged_once(
    imap, world, settings
):
    """Issue 12: on main a deeply nested message raised on every poll, with only a log line;
    now it is stored for review on the first poll and flagged, so it is not tried again."""
    settings.MAILINTAKE_MAX_PARTS = 10_000  # read it all, so the recursion limit is hit
    append(imap, nested(1200))
    first = poll()
    assert first.new == {InboundStatus.NEEDS_REVIEW: 1} and first.failed == 0
    message = InboundMessage.objects.get()
    assert message.problems[0]["code"] == "failed"
    assert flags(imap) == [("\\Seen",)]
    assert poll().total == 0
