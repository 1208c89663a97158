"""Reads of the letters app. Access comes from the complaint the caller already resolved.

For the complainant's status page (app `intake`): `letters_sent_for(complaint)`
lists what went out, and `letters.views.letter_file_response(complaint=..., uid=...)`
serves one of them; both take a Complaint the caller has resolved, no user.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from klachtbeheer.complaints.models import Complaint, LetterKind
from klachtbeheer.complaints.registry import STEPS
from klachtbeheer.complaints.selectors import among, complaints_visible_to
from klachtbeheer.complaints.workflow import Step
from klachtbeheer.core import clock
from klachtbeheer.core.errors import ProcedureError
from klachtbeheer.letters.constants import SENT_AUTOMATICALLY, DeliveryChannel, MessageStatus
from klachtbeheer.letters.content import LetterDraft, letter_draft
from klachtbeheer.letters.models import Letter, LetterDue, OutgoingMessage


def letters_sent_for(complaint: Complaint) -> QuerySet[Letter]:
    """The letters that went to the complainant (e-mailed or posted), oldest first."""
    return Letter.objects.filter(complaint=complaint, sent_on__isnull=False).order_by(
        "sent_on", "id"
    )


def letter_of(complaint: Complaint, uid) -> Letter | None:
    return Letter.objects.filter(complaint=complaint, uid=uid).first()


@dataclass(frozen=True)
class LetterRow:
    """One owed letter on the complaint page, with the letter made for it and its e-mail."""

    due: LetterDue
    letter: Letter | None
    message: OutgoingMessage | None

    @property
    def waiting(self) -> bool:
        return self.letter is None and not self.due.sent_on and not self.due.cancelled_on


def letter_rows(complaint: Complaint) -> list[LetterRow]:
    dues = list(complaint.letters_due.all())
    letters = {
        letter.due_id: letter
        for letter in Letter.objects.filter(complaint=complaint).select_related("message")
    }
    rows = []
    for due in dues:
        letter = letters.get(due.pk)
        message = getattr(letter, "message", None) if letter else None
        rows.append(LetterRow(due=due, letter=letter, message=message))
    return rows


def letter_preview(complaint: Complaint, due: LetterDue) -> tuple[LetterDraft | None, str]:
    """(the letter as it would go out today, "") or (None, why it cannot)."""
    try:
        return letter_draft(complaint, due, today=clock.today()), ""
    except ProcedureError as error:
        return None, str(error)


def decision_preview(complaint: Complaint) -> tuple[LetterDraft | None, str]:
    due = complaint.letters_due.filter(
        kind=LetterKind.DECISION, sent_on__isnull=True, cancelled_on__isnull=True
    ).last()
    if due is None:
        due = LetterDue(complaint=complaint, kind=LetterKind.DECISION)
    return letter_preview(complaint, due)


# Steps after which the complaint page's next stop is the letter they owe.
def letter_to_review_url(complaint: Complaint, step: Step) -> str | None:
    """Where to go after `step`: the page of the letter it owes, to check and send it."""
    # The decision letter has a step of its own (send the decision); the others are
    # checked and sent on their letter's page right after the step that owes them.
    if STEPS[step].letter in (None, LetterKind.DECISION):
        return None
    due = (
        complaint.letters_due.filter(sent_on__isnull=True, cancelled_on__isnull=True)
        .exclude(kind=LetterKind.DECISION)
        .filter(letters__isnull=True)
        .order_by("-owed_since", "-id")
        .first()
    )
    if due is None:
        return None
    return reverse("letters:due", kwargs={"reference": complaint.reference, "due_id": due.pk})


@dataclass(frozen=True)
class WaitingLetter:
    """An owed letter nobody has sent yet ("Not now" on its page), with the date it must go by."""

    due: LetterDue
    send_by: dt.date | None  # None: the procedure sets no date, but the complainant waits

    @property
    def url(self) -> str:
        return reverse(
            "letters:due", kwargs={"reference": self.due.complaint.reference, "due_id": self.due.pk}
        )


def letters_waiting(user, *, limit: int = 5) -> tuple[list[WaitingLetter], int]:
    """Owed letters not made yet of the complaints `user` handles and may see, and how many.

    These are the letters a handler postponed with "Not now" on the letter's page (or left
    when the step took them there): without this they showed only in the complaint's list
    of letters. Access is the complaint's, in the query (P3.2). The acknowledgement goes by
    itself and the decision letter has a step of its own, so neither is listed. The extension
    notice must go out before the term it replaces (P3.8), the invitation before the meeting.
    """
    waiting = (
        LetterDue.objects.filter(
            sent_on__isnull=True,
            cancelled_on__isnull=True,
            letters__isnull=True,
            complaint__handler=user,
            complaint__in=complaints_visible_to(user).values("pk"),
        )
        .exclude(kind__in=[*SENT_AUTOMATICALLY, LetterKind.DECISION])
        .select_related("complaint")
        .order_by("owed_since", "id")
    )
    rows = [WaitingLetter(due=due, send_by=_send_by(due)) for due in waiting[:limit]]
    count = len(rows) if len(rows) < limit else waiting.count()
    return sorted(rows, key=lambda r: (r.send_by is None, r.send_by or dt.date.max)), count


def _send_by(due: LetterDue) -> dt.date | None:
    if due.kind == LetterKind.EXTENSION:
        return due.complaint.extension_notice_due_on
    if due.kind == LetterKind.MEETING_INVITATION and due.data.get("at"):
        try:
            at = dt.datetime.fromisoformat(due.data["at"])
        except (TypeError, ValueError):
            return None
        return timezone.localtime(at).date() if timezone.is_aware(at) else at.date()
    return None


def print_queue(user) -> QuerySet[Letter]:
    """Paper letters not yet posted, of the complaints `user` may see."""
    return (
        Letter.objects.filter(
            channel=DeliveryChannel.POST,
            sent_on__isnull=True,
            complaint__in=complaints_visible_to(user).values("pk"),
        )
        .select_related("complaint")
        .order_by("created_at", "id")
    )


def messages_visible_to(user) -> QuerySet[OutgoingMessage]:
    """The outbox rows `user` may see: none that is about, or names, a complaint they may not.

    A letter or a reminder belongs to its complaint; a digest or a measure
    reminder names several (`OutgoingMessage.mentions`): one complaint hidden
    from `user` hides the whole message (P3.2). The outbox page, the admin and
    the digest's count of failed e-mail start here.
    """
    visible = complaints_visible_to(user)
    hidden = Complaint.objects.filter(~among(visible))
    names_hidden = OutgoingMessage.mentions.through.objects.filter(
        outgoingmessage_id=OuterRef("pk"), complaint__in=hidden
    )
    return OutgoingMessage.objects.filter(
        Q(complaint__isnull=True) | among(visible, ref="complaint_id"), ~Exists(names_hidden)
    )


def outbox_overview(user) -> dict:
    """Counts per status and the messages that need the quality manager."""
    messages = messages_visible_to(user)
    counts = {row["status"]: row["n"] for row in messages.values("status").annotate(n=Count("pk"))}
    return {
        "counts": {status: counts.get(status, 0) for status in MessageStatus.values},
        "failed": messages.filter(status=MessageStatus.FAILED)
        .select_related("complaint")
        .order_by("-created_at"),
        "waiting": messages.filter(status__in=[MessageStatus.QUEUED, MessageStatus.SENDING])
        .select_related("complaint")
        .order_by("next_attempt_at", "id")[:100],
    }
