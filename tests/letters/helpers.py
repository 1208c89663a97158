"""Helpers for the letters tests: PDF text, letters of each kind through the services."""

from __future__ import annotations

import datetime as dt
import subprocess

from django.utils import timezone

from klachtbeheer.complaints import services as complaint_services
from klachtbeheer.complaints.models import Complaint, LetterKind
from klachtbeheer.complaints.workflow import State, Step
from klachtbeheer.letters import services
from klachtbeheer.letters.models import Letter
from tests.factories import ComplaintFactory, take_step


def pdf_text(content: bytes) -> str:
    """The PDF's text as poppler reads it, whitespace collapsed."""
    result = subprocess.run(
        ["pdftotext", "-layout", "-", "-"],
        input=content,
        capture_output=True,
        check=True,
    )
    return " ".join(result.stdout.decode("utf-8").split())


def owed(complaint: Complaint, kind: str):
    return complaint.letters_due.filter(kind=kind).order_by("-id").first()


def send_owed(complaint: Complaint, kind: str, *, actor) -> Letter:
    due = owed(complaint, kind)
    return services.letter_send(actor=actor, reference=complaint.reference, due_id=due.pk)


def letter_of_each_kind(world) -> dict[str, Letter]:
    """One letter of every kind, made through the real steps and services."""
    qm = world.qm
    letters: dict[str, Letter] = {}
    ack = ComplaintFactory(name="Mevrouw A. de Vries")
    letters[LetterKind.ACKNOWLEDGEMENT] = Letter.objects.get(
        complaint=ack, kind=LetterKind.ACKNOWLEDGEMENT
    )
    withdrawn = ComplaintFactory(state=State.WITHDRAWN, name="De heer B. Jansen")
    letters[LetterKind.WITHDRAWAL] = send_owed(withdrawn, LetterKind.WITHDRAWAL, actor=qm)
    meeting = ComplaintFactory(state=State.CONTACTED, name="C. Yilmaz")
    at = timezone.localtime().replace(hour=14, minute=0, second=0, microsecond=0)
    at += dt.timedelta(days=5)
    meeting = take_step(
        Step.PLAN_MEETING, meeting, actor=qm, at=at, location="Kantoor Baarn, Stationsplein 1"
    )
    letters[LetterKind.MEETING_INVITATION] = send_owed(
        meeting, LetterKind.MEETING_INVITATION, actor=qm
    )
    extended = ComplaintFactory(state=State.ASSESSING, name="D. Bakker")
    extended = take_step(
        Step.EXTEND,
        extended,
        actor=qm,
        until=extended.settle_due_on + dt.timedelta(days=21),
        reason="Wij wachten op het verslag van uw jobcoach, die tot volgende week afwezig is.",
    )
    letters[LetterKind.EXTENSION] = send_owed(extended, LetterKind.EXTENSION, actor=qm)
    decided = ComplaintFactory(state=State.ASSESSING, name="E. Meijer")
    complaint_services.complaint_record_verdict(
        actor=qm,
        reference=decided.reference,
        verdict="partly_founded",
        reasons=(
            "Uw jobcoach is twee afspraken niet nagekomen zonder u te bellen. Dat had niet "
            "mogen gebeuren. De derde afspraak is op uw verzoek verzet."
        ),
        measures=["U krijgt een nieuwe jobcoach.", "Afspraken worden voortaan per sms bevestigd."],
    )
    take_step(Step.SEND_DECISION, Complaint.objects.get(pk=decided.pk), actor=qm)
    letters[LetterKind.DECISION] = Letter.objects.get(complaint=decided, kind=LetterKind.DECISION)
    rejected = ComplaintFactory(state=State.NOT_A_COMPLAINT, name="F. Peters")
    letters[LetterKind.NOT_A_COMPLAINT] = send_owed(rejected, LetterKind.NOT_A_COMPLAINT, actor=qm)
    return letters
