"""Proof that anonymisation leaves no trace (issue 10, point 3).

A unique marker goes into every field and every file a complaint can carry: a form
with an attachment, an e-mail with an attachment and a reply, a letter by post with
its scan, every letter, messages, notes, the meeting report, the survey. The
retention job runs past the term; then every column of every table (cast to text)
and every file under the data directory is searched for the markers: zero hits.
The dashboard, the register and the annual report's figures are equal before and
after; a complaint on legal hold and an open complaint keep everything; the chain
still verifies. Runs on SQLite and on PostgreSQL (`DATABASE_URL`).
"""

from __future__ import annotations

import datetime as dt
import email.message
import io
import json
import subprocess
import zipfile
from dataclasses import asdict
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from klachtbeheer.complaints import services as complaint_services
from klachtbeheer.complaints.models import Complaint, ContactChannel, LetterKind, Verdict
from klachtbeheer.complaints.services import ComplainantData
from klachtbeheer.intake.models import Submission, SubmissionState
from klachtbeheer.intake.services import submission_accept, submission_reject
from klachtbeheer.letters import services as letters
from klachtbeheer.letters.models import LetterDue
from klachtbeheer.mailintake.constants import InboundSource
from klachtbeheer.mailintake.services import inbound_message_ingest
from klachtbeheer.privacy import record
from klachtbeheer.reporting import selectors as reporting
from klachtbeheer.reporting.models import SatisfactionResponse
from tests.factories import take_step
from tests.intake.conftest import form_data, upload

pytestmark = pytest.mark.django_db(transaction=False)

PREFIX = "zqxmark"


class Markers:
    """Unique words: `m()` gives the next; all start with PREFIX, which nothing else holds."""

    def __init__(self, prefix: str = PREFIX):
        self.prefix = prefix
        self.count = 0

    def __call__(self) -> str:
        self.count += 1
        return f"{self.prefix}{self.count:03d}"

    def email(self) -> str:
        return f"{self()}@example.nl"


def pdf_with(text: str) -> bytes:
    """A small PDF whose content stream holds `text` uncompressed."""
    return (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n"
        b"2 0 obj << /Length 40 >> stream\nBT (" + text.encode() + b") Tj ET\nendstream endobj\n"
        b"trailer << /Root 1 0 R >>\n%%EOF\n"
    )


def eml(*, sender: str, name: str, subject: str, body: str, attachment: bytes) -> bytes:
    message = email.message.EmailMessage()
    message["From"] = f"{name} <{sender}>"
    message["To"] = "klachten@imk.example"
    message["Subject"] = subject
    message["Message-ID"] = f"<{subject.replace(' ', '.')}@example.nl>"
    message["Date"] = "Mon, 02 Feb 2026 10:00:00 +0100"
    message.set_content(body)
    message.add_attachment(
        attachment, maintype="application", subtype="pdf", filename="bijlage.pdf"
    )
    return message.as_bytes()


def everything_with(needle: str) -> list[str]:
    """Every column of every table, cast to text, and every file under the data dirs."""
    hits: list[str] = []
    like = "ILIKE" if connection.vendor == "postgresql" else "LIKE"
    cast = "TEXT"
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            columns = [
                c.name for c in connection.introspection.get_table_description(cursor, table)
            ]
            for column in columns:
                quoted = connection.ops.quote_name(column)
                cursor.execute(
                    f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)} "
                    f"WHERE CAST({quoted} AS {cast}) {like} %s",
                    [f"%{needle}%"],
                )
                if count := cursor.fetchone()[0]:
                    hits.append(f"{table}.{column}: {count}")
    roots = {Path(django_settings.MEDIA_ROOT), Path(django_settings.DATA_DIR)}
    for root in roots:
        if not root.exists():
            continue
        for path in root.rglob("*"):
            skip = path.suffix in {".sqlite3", ".sqlite3-journal"}
            if path.is_file() and not skip and _file_holds(path, needle):
                hits.append(str(path))
    return hits


def _file_holds(path: Path, needle: str) -> bool:
    content = path.read_bytes()
    if needle.encode() in content.lower():
        return True
    if content.startswith(b"%PDF"):
        text = subprocess.run(
            ["pdftotext", "-q", str(path), "-"], capture_output=True, check=False
        ).stdout
        return needle.encode() in text.lower()
    if content.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return any(needle.encode() in archive.read(n).lower() for n in archive.namelist())
    return False


def _send_every_owed_letter(complaint: Complaint, actor) -> None:
    for due in (
        LetterDue.objects.filter(
            complaint=complaint, sent_on__isnull=True, cancelled_on__isnull=True
        )
        .exclude(kind=LetterKind.DECISION)
        .filter(letters__isnull=True)
    ):
        letter = letters.letter_send(actor=actor, reference=complaint.reference, due_id=due.pk)
        if letter.channel == "post":
            letters.letter_mark_posted(actor=actor, reference=complaint.reference, uid=letter.uid)


def _full_life(complaint: Complaint, m: Markers, *, actor) -> Complaint:
    """Every step with a marker in every text it takes, every letter, a message, a survey."""
    now = timezone.now()
    complaint = take_step(
        __import__("klachtbeheer.complaints.workflow", fromlist=["Step"]).Step.ACCEPT,
        complaint,
        actor=actor,
    )
    ref = complaint.reference
    complaint_services.complaint_log_contact_attempt(
        actor=actor, reference=ref, at=now, channel=ContactChannel.PHONE, note=m()
    )
    complaint_services.complaint_record_contact(
        actor=actor,
        reference=ref,
        on=timezone.localdate(),
        channel=ContactChannel.PHONE,
        summary=m(),
    )
    complaint_services.complaint_set_person_concerned(
        actor=actor, reference=ref, manager_concerned_id=None, employee_concerned=m()
    )
    complaint_services.complaint_plan_meeting(
        actor=actor, reference=ref, at=now + dt.timedelta(days=2), location=m()
    )
    complaint_services.complaint_add_note(actor=actor, reference=ref, text=m())
    complaint_services.complaint_add_attachment(
        actor=actor,
        reference=ref,
        upload=SimpleUploadedFile(f"{m()}.pdf", pdf_with(m()), "application/pdf"),
        description=m(),
    )
    complaint_services.complaint_receive_message(
        actor=None,
        reference=ref,
        channel="email",
        sender=complaint.complainant_email,
        subject=m(),
        text=m(),
        received_at=now,
        attachments=[SimpleUploadedFile("extra.pdf", pdf_with(m()), "application/pdf")],
    )
    complaint = Complaint.objects.get(pk=complaint.pk)
    complaint_services.complaint_extend(
        actor=actor,
        reference=ref,
        until=complaint.settle_due_effective + dt.timedelta(days=14),
        reason=m(),
    )
    _send_every_owed_letter(complaint, actor)
    complaint_services.complaint_hold_meeting(
        actor=actor, reference=ref, held_on=timezone.localdate(), report=m(), moved_earlier=True
    )
    complaint_services.complaint_record_verdict(
        actor=actor, reference=ref, verdict=Verdict.FOUNDED, reasons=m(), measures=[m()]
    )
    complaint_services.complaint_send_decision(
        actor=actor, reference=ref, sent_on=timezone.localdate()
    )
    complaint_services.complaint_close(actor=actor, reference=ref)
    complaint = Complaint.objects.get(pk=complaint.pk)
    from klachtbeheer.reporting.services import satisfaction_record

    satisfaction_record(complaint_id=complaint.pk, score=1, felt_heard=False, comment=m())
    letters.letters_render_pending(limit=100)
    return complaint


def _figures(user, today):
    year = today.year
    out = {}
    for y in (year - 1, year):
        figures = reporting.complaint_figures(user, period=reporting.Period.year(y), today=today)
        out[y] = repr(figures)
    rows = reporting.register(user, filters=reporting.RegisterFilters(), today=today)
    out["register"] = [
        (
            c.reference,
            c.received_on,
            c.channel,
            c.complainant_type,
            c.district_id,
            c.state,
            c.verdict,
            c.settled_on,
            sorted(c.categories.values_list("pk", flat=True)),
        )
        for c in rows
    ]
    out["open"] = repr(reporting.open_by_term(user, today=today))
    out["satisfaction"] = repr(
        reporting.satisfaction_figures(user, period=reporting.Period.year(year))
    )
    return out


@pytest.fixture
def lives(world, client, settings, django_capture_on_commit_callbacks):
    """Three complaints full of markers, one on legal hold, one open."""
    settings.MAILINTAKE_ADDRESS = "klachten@imk.example"
    m = Markers()
    qm = world.qm
    with django_capture_on_commit_callbacks(execute=True):
        # 1. The web form, with an attachment.
        response = client.post(
            reverse("intake:form"),
            form_data(
                name=m(),
                email=m.email(),
                phone="0612398765",
                street_address=f"{m()} 12",
                city=m(),
                substantiation=m(),
                desired_outcome=m(),
                attachments=upload(f"{m()}.pdf", pdf_with(m()), "application/pdf"),
            ),
        )
        assert response.status_code == 302, response.content[:500]
        form = Complaint.objects.get(complainant_email__startswith=PREFIX)
        form = _full_life(form, m, actor=qm)
        # 1b. A form held for review (it filled the honeypot), accepted as a complaint and
        # found not to be one; and one rejected as spam.
        for _ in range(2):
            response = client.post(
                reverse("intake:form"),
                form_data(
                    name=m(),
                    email=m.email(),
                    substantiation=m(),
                    website=m(),
                    draft=m().ljust(32, "x"),
                    attachments=upload(f"{m()}.pdf", pdf_with(m()), "application/pdf"),
                ),
            )
            assert response.status_code == 302
        held_subs = list(Submission.objects.filter(state=SubmissionState.PENDING).order_by("id"))
        assert len(held_subs) == 2 and PREFIX in json.dumps(held_subs[0].data)
        from_review = submission_accept(actor=qm, submission_id=held_subs[0].pk, note=m())
        complaint_services.complaint_reject(actor=qm, reference=from_review.reference, reason=m())
        _send_every_owed_letter(from_review, qm)
        submission_reject(actor=qm, submission_id=held_subs[1].pk, note=m())
        # 2. An e-mail with an attachment, and a reply on its case.
        sender = m.email()
        first = inbound_message_ingest(
            raw=eml(sender=sender, name=m(), subject=m(), body=m(), attachment=pdf_with(m())),
            source=InboundSource.PIPE,
        ).message
        mailed = first.complaint
        assert mailed is not None, first.problems
        inbound_message_ingest(
            raw=eml(
                sender=sender,
                name=m(),
                subject=f"Re: {mailed.reference} {m()}",
                body=m(),
                attachment=pdf_with(m()),
            ),
            source=InboundSource.PIPE,
        )
        complaint_services.complaint_reject(actor=qm, reference=mailed.reference, reason=m())
        _send_every_owed_letter(mailed, qm)
        # 3. A letter by post, with its scan.
        posted = complaint_services.complaint_register(
            actor=qm,
            channel="post",
            received_on=timezone.localdate() - dt.timedelta(days=3),
            complainant=ComplainantData(
                complainant_type="company",
                name=m(),
                organisation=m(),
                street_address=f"{m()} 1",
                postcode="3741 AB",
                city=m(),
            ),
            substantiation=m(),
            desired_outcome=m(),
            service=m(),
            attachments=[SimpleUploadedFile("scan.pdf", pdf_with(m()), "application/pdf")],
        )
        take_step(
            __import__("klachtbeheer.complaints.workflow", fromlist=["Step"]).Step.ACCEPT,
            posted,
            actor=qm,
        )
        complaint_services.complaint_record_contact(
            actor=qm,
            reference=posted.reference,
            on=timezone.localdate(),
            channel=ContactChannel.LETTER,
            summary=m(),
        )
        complaint_services.complaint_withdraw(actor=qm, reference=posted.reference, summary=m())
        _send_every_owed_letter(posted, qm)
        letters.letters_render_pending(limit=100)
        # On legal hold, and open: these keep everything.
        hold_m, open_m = Markers("holdmark"), Markers("openmark")
        held = complaint_services.complaint_register(
            actor=qm,
            channel="post",
            received_on=timezone.localdate(),
            complainant=ComplainantData(
                complainant_type="client", name=hold_m(), postcode="3741 AB"
            ),
            substantiation=hold_m(),
        )
        take_step(
            __import__("klachtbeheer.complaints.workflow", fromlist=["Step"]).Step.ACCEPT,
            held,
            actor=qm,
        )
        complaint_services.complaint_record_contact(
            actor=qm,
            reference=held.reference,
            on=timezone.localdate(),
            channel=ContactChannel.PHONE,
            summary=hold_m(),
        )
        complaint_services.complaint_withdraw(actor=qm, reference=held.reference, summary=hold_m())
        from klachtbeheer.privacy.services import complaint_set_legal_hold

        complaint_set_legal_hold(actor=qm, reference=held.reference, reason="Lopende procedure")
        still_open = complaint_services.complaint_register(
            actor=qm,
            channel="post",
            received_on=timezone.localdate(),
            complainant=ComplainantData(
                complainant_type="client", name=open_m(), postcode="3741 AB"
            ),
            substantiation=open_m(),
        )
    return {
        "form": form,
        "mailed": mailed,
        "posted": posted,
        "held": held,
        "reviewed": from_review,
        "open": still_open,
        "markers": m,
    }


def test_anonymisation_leaves_no_trace(lives, world, clock, django_capture_on_commit_callbacks):
    m = lives["markers"]
    assert m.count > 40
    before_hits = everything_with(PREFIX)
    # The search finds what is there: in the complaint, the timeline, files, mail, letters.
    assert any(h.startswith("complaints_complaint.") for h in before_hits)
    assert any(h.startswith("complaints_event.text") for h in before_hits)
    assert any(h.startswith("mailintake_inboundmessage.") for h in before_hits)
    assert any(h.startswith("letters_letter.") for h in before_hits)
    assert any(h.startswith("letters_outgoingmessage.") for h in before_hits)
    assert any(h.startswith("reporting_satisfactionresponse.") for h in before_hits)
    assert any(h.startswith("/") and h.endswith(".eml") for h in before_hits)
    assert any(h.startswith("/") and "/complaints/" in h for h in before_hits)
    assert any(h.startswith("/") and "/letters/" in h for h in before_hits)
    assert everything_with("12398765")

    later = timezone.localdate() + dt.timedelta(days=800)
    before = _figures(world.qm, later)
    clock(later)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("retention", "--dry-run")
        assert everything_with(PREFIX), "a dry run changes nothing"
        call_command("retention")

    assert everything_with(PREFIX) == []
    assert everything_with("12398765") == []
    assert any(h.startswith("intake_submission.") for h in before_hits)
    for key in ("form", "mailed", "posted", "reviewed"):
        complaint = Complaint.objects.get(pk=lives[key].pk)
        assert complaint.anonymised_at is not None
        assert complaint.postcode == "" and complaint.district_id == lives[key].district_id
    assert _figures(world.qm, later) == before
    # The held and the open complaint keep everything.
    assert everything_with("holdmark")
    assert everything_with("openmark")
    for key in ("held", "open"):
        complaint = Complaint.objects.get(pk=lives[key].pk)
        assert complaint.anonymised_at is None and complaint.complainant_name
    assert SatisfactionResponse.objects.get(complaint=lives["form"]).score == 1
    result = record.verify()
    assert result.ok, result.problem
    assert result.erased > 10
    # Running it again finds nothing more to do.
    with django_capture_on_commit_callbacks(execute=True):
        from klachtbeheer.privacy.services import retention_run

        assert [a.kind for a in retention_run().actions if a.kind == "complaint"] == []
    assert asdict  # dataclasses used by the report
