"""Writes of the letters app: letters, the outbox, its delivery, reminders.

A letter is made inside the transaction of the step that sends it
(`letter_issue`), together with its outbox row and timeline entry, so a step
and its letter exist together or not at all. The PDF is made once, after
commit (`letter_ensure_pdf`), from the stored HTML; the worker sends the
outbox (`outbox_deliver_due`): it claims a message, hands it to the SMTP
server with its own Message-ID, and records that it went; a failure waits
with back-off; a worker that dies mid-send leaves a claim that expires, and
the message is sent again with the same Message-ID.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.mail import EmailMessage, mailers
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db import connection as db_connection
from django.db.models import F
from django.tasks import task
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from klachtbeheer.complaints.models import (
    REFERENCE_PATTERN,
    Complaint,
    Event,
    EventKind,
    LetterKind,
)
from klachtbeheer.complaints.selectors import complaint_for
from klachtbeheer.complaints.services import complaint_extension_notice_sent
from klachtbeheer.complaints.status_links import status_link_mint
from klachtbeheer.core import clock
from klachtbeheer.core.audit import AuditAction, audit
from klachtbeheer.core.errors import NotAllowed, ProcedureError
from klachtbeheer.letters.constants import (
    SENT_AUTOMATICALLY,
    DeliveryChannel,
    MessageKind,
    MessageStatus,
)
from klachtbeheer.letters.content import (
    LETTER_LANGUAGE,
    LetterDraft,
    letter_draft,
    message_domain,
    salutation_for,
)
from klachtbeheer.letters.ics import meeting_calendar
from klachtbeheer.letters.models import (
    Letter,
    LetterDue,
    OutgoingMessage,
    letter_pdf_path,
)
from klachtbeheer.letters.pdf import html_to_pdf
from klachtbeheer.letters.selectors import messages_visible_to
from klachtbeheer.letters.tasks import enqueue_once
from klachtbeheer.organisation.models import Organisation, Role
from klachtbeheer.organisation.selectors import role_of

logger = logging.getLogger(__name__)

# A newer letter of these kinds replaces one that has not been made yet.
SUPERSEDED_BY_NEWER = frozenset({LetterKind.MEETING_INVITATION, LetterKind.EXTENSION})


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


# --- letters ---------------------------------------------------------------------


def letter_owe(
    complaint: Complaint, kind: LetterKind, *, events: list[Event] | None = None, **data: Any
) -> LetterDue:
    """Record that the procedure owes the complainant `kind`, inside the step's transaction.

    The owed letter shows on the timeline (its event is appended to `events` when
    the caller writes its events in one statement, else written here); a newer
    invitation or extension notice replaces one not made yet; the acknowledgement
    is drafted and queued by the worker right after the commit
    (`letters_draft_owed`), so the step's transaction stays short (issue 15).
    """
    due = LetterDue.objects.create(complaint=complaint, kind=kind, data=data)
    event = Event(
        complaint=complaint,
        kind=EventKind.LETTER_OWED,
        data={"letter": kind.value, **data},
        internal=False,
    )
    if events is None:
        event.save()
    else:
        events.append(event)
    if kind in SUPERSEDED_BY_NEWER:
        LetterDue.objects.filter(
            complaint_id=complaint.pk,
            kind=kind,
            sent_on__isnull=True,
            cancelled_on__isnull=True,
            letters__isnull=True,
        ).exclude(pk=due.pk).update(cancelled_on=clock.today())
    if kind in SENT_AUTOMATICALLY:
        transaction.on_commit(_wake_for_drafting)
    return due


# The last time this process asked the worker to draft (monotonic seconds).
_last_drafting_wake = [-1e9]
DRAFTING_WAKE_SECONDS = 1.0


def _wake_for_drafting() -> None:
    """Wake the worker to draft what is owed; at most once a second per process.

    Under load, one wake-up serves every intake of that second (the worker drafts
    all that is owed, `letters_draft_owed`); a letter missed by a run is drafted
    by the next wake-up or tick.
    """
    now = time.monotonic()
    if now - _last_drafting_wake[0] < DRAFTING_WAKE_SECONDS:
        return
    _last_drafting_wake[0] = now
    outbox_wake()


def letters_draft_owed(*, limit: int = 500) -> int:
    """Draft and queue the letters sent automatically that are owed and not made yet.

    The one place where the worker composes an acknowledgement (`letter_issue`),
    each in its own transaction with the complaint locked, skipping those another
    worker holds. Returns how many were made.
    """
    made = 0
    owed = (
        LetterDue.objects.filter(
            kind__in=SENT_AUTOMATICALLY,
            sent_on__isnull=True,
            cancelled_on__isnull=True,
            letters__isnull=True,
        )
        .order_by("id")
        .values_list("pk", flat=True)[:limit]
    )
    for due_id in list(owed):
        try:
            with transaction.atomic(durable=True):
                due = (
                    LetterDue.objects.select_for_update(skip_locked=True, of=("self",))
                    .select_related("complaint")
                    .filter(pk=due_id, letters__isnull=True, cancelled_on__isnull=True)
                    .first()
                )
                if due is None:
                    continue
                letter_issue(complaint=due.complaint, due=due, actor=None)
                made += 1
        except Exception:
            logger.exception("Could not draft letter owed %s", due_id)
    return made


def letters_cancel_answers(complaint: Complaint) -> list[str]:
    """A reopened complaint no longer owes the answer that ended it; one already sent stays."""
    open_answers = complaint.letters_due.filter(
        kind__in=[LetterKind.WITHDRAWAL, LetterKind.NOT_A_COMPLAINT],
        sent_on__isnull=True,
        cancelled_on__isnull=True,
    )
    cancelled = list(open_answers.values_list("kind", flat=True))
    open_answers.update(cancelled_on=clock.today())
    return cancelled


def letter_issue(*, complaint: Complaint, due: LetterDue, actor) -> Letter:
    """Make the letter `due` asks for and queue it; call inside the step's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("letter_issue runs inside the transaction of the step")
    today = clock.today()
    draft = letter_draft(
        complaint, due, today=today, status_url=status_link_for_letter(complaint, due)
    )
    calendar = ""
    if draft.meeting_at is not None:
        calendar = meeting_calendar(
            complaint=complaint,
            at=draft.meeting_at,
            location=draft.meeting_location,
            organiser_email=_sender_address(),
            organisation=Organisation.current().name,
            domain=message_domain(),
            sequence=Letter.objects.filter(
                complaint=complaint, kind=LetterKind.MEETING_INVITATION
            ).count(),
            stamp=clock.now(),
        )
    by = actor if getattr(actor, "pk", None) else None
    # No timeline entry or audit row of its own here: the step that sends it has both,
    # and the letter row records who made it, when and from which template version.
    letter = Letter.objects.create(
        complaint=complaint,
        due=due,
        kind=draft.kind,
        template=draft.template,
        template_version=draft.template.version,
        our_reference=draft.our_reference,
        letter_date=draft.letter_date,
        subject=draft.subject,
        text=draft.text,
        html=draft.html,
        calendar=calendar,
        channel=draft.channel,
        recipient_email=draft.recipient_email,
        created_by=by,
    )
    if draft.channel == DeliveryChannel.EMAIL:
        outbox_queue(
            kind=MessageKind.LETTER,
            to=draft.recipient_email,
            subject=f"{draft.subject} (kenmerk {draft.our_reference})",
            body=_letter_email_body(draft, with_calendar=bool(calendar)),
            complaint=complaint,
            letter=letter,
        )
    transaction.on_commit(lambda: _after_issue(letter.pk))
    return letter


def status_url(token: str) -> str:
    """The complainant's status link as they open it (Dutch address, no language prefix)."""
    with translation.override(LETTER_LANGUAGE):
        return site_url() + reverse("intake:status", kwargs={"token": token})


def status_link_for_letter(complaint: Complaint, due: LetterDue) -> str:
    """The one place where letter composition mints a status link: for the acknowledgement.

    Tokens are stored hashed, so the link in the letter (e-mail and PDF) is a
    fresh one, valid as long as any other (`complaints.status_links`).
    """
    if due.kind != LetterKind.ACKNOWLEDGEMENT:
        return ""
    _link, token = status_link_mint(complaint)
    return status_url(token)


def status_link_message_queue(*, complaint: Complaint, token: str) -> OutgoingMessage | None:
    """ "Send me my link again": the fresh link by e-mail to the address on file, via the outbox."""
    body = "\n\n".join(
        [
            f"Geachte {salutation_for(complaint)},",
            "U vroeg ons uw persoonlijke link opnieuw te sturen voor uw klacht met kenmerk "
            f"{complaint.reference}. Met deze link ziet u hoe het met uw klacht staat:",
            status_url(token),
            "Deze link is alleen voor u; deel hem niet. Heeft u niet om deze e-mail gevraagd? "
            "Dan kunt u hem negeren: zonder de link ziet niemand uw klacht.",
            f"Met vriendelijke groet,\n\n{Organisation.current().name}",
        ]
    )
    return outbox_queue(
        kind=MessageKind.STATUS_LINK,
        to=complaint.complainant_email,
        subject=f"Uw persoonlijke link (kenmerk {complaint.reference})",
        body=body,
        complaint=complaint,
    )


def _after_issue(letter_pk: int) -> None:
    # The PDF and the e-mail are the worker's; a failure here only delays them.
    outbox_wake()


def _letter_email_body(draft: LetterDraft, *, with_calendar: bool) -> str:
    attachment = (
        "In de bijlage vindt u deze brief als PDF en een agendabestand (.ics) voor de afspraak."
        if with_calendar
        else "In de bijlage vindt u deze brief als PDF."
    )
    questions = f"\n\n{draft.questions}" if draft.questions else ""
    return (
        f"{draft.body}{questions}\n\n--\n{attachment}\nOns kenmerk: {draft.our_reference}\n"
        "Wilt u dit kenmerk noemen als u reageert?\n"
    )


def _lock_for_letter(actor, reference: str) -> Complaint:
    if role_of(actor) in (None, Role.STAFF):
        raise NotAllowed("staff_only", gettext_lazy("Only complaint handlers send letters."))
    return complaint_for(actor, reference=reference, via="", for_update=True)


@transaction.atomic(durable=True)
def letter_send(*, actor, reference: str, due_id: int) -> Letter:
    """Staff send an owed letter after seeing it (P3.4, P3.5, P3.8, P1.2)."""
    complaint = _lock_for_letter(actor, reference)
    due = complaint.letters_due.filter(pk=due_id).first()
    if due is None:
        raise ProcedureError("no_such_letter", gettext_lazy("This letter is not owed."))
    if due.kind == LetterKind.DECISION:
        raise ProcedureError(
            "decision_is_a_step",
            gettext_lazy("The decision letter goes out with the step “Decision sent”."),
        )
    letter = letter_issue(complaint=complaint, due=due, actor=actor)
    audit(
        actor=actor,
        action=AuditAction.LETTER_SEND,
        target=complaint,
        letter=str(letter.uid),
        kind=letter.kind,
        template_version=letter.template_version,
        channel=letter.channel,
    )
    return letter


def _letter_sent_event(letter: Letter, *, actor, sent_on: dt.date) -> None:
    """The timeline entry for a letter that went out (e-mail taken by the server, or posted)."""
    with translation.override(LETTER_LANGUAGE):
        how = (
            _("by e-mail to %(address)s") % {"address": letter.recipient_email}
            if letter.channel == DeliveryChannel.EMAIL
            else _("by post")
        )
        text = _("“%(subject)s”, %(how)s.") % {"subject": letter.subject, "how": how}
    Event.objects.create(
        complaint_id=letter.complaint_id,
        kind=EventKind.LETTER_SENT,
        actor=actor,
        text=text,
        internal=False,
        data={
            "letter": letter.kind,
            "letter_id": str(letter.uid),
            "letter_sent": True,
            "channel": letter.channel,
            "sent_on": sent_on.isoformat(),
        },
    )


def _due_sent(letter: Letter, *, actor, sent_on: dt.date) -> None:
    """The letter owed that `letter` answers went out on `sent_on`, in the caller's transaction.

    An extension notice tells the complaint the day it went out (P3.8): whether
    the new date counts depends on it (`complaints.terms.settlement_counted`).
    """
    if not letter.due_id:
        return
    if not LetterDue.objects.filter(pk=letter.due_id, sent_on__isnull=True).update(sent_on=sent_on):
        return  # already sent with another letter: that day counts
    if letter.kind == LetterKind.EXTENSION:
        until = (LetterDue.objects.get(pk=letter.due_id).data or {}).get("until")
        if until:
            complaint_extension_notice_sent(
                complaint_id=letter.complaint_id,
                until=dt.date.fromisoformat(until),
                sent_on=sent_on,
                actor=actor,
            )


def decision_letter_issue(*, complaint: Complaint, actor, sent_on: dt.date) -> Letter:
    """The decision letter (P3.7, P4), made when the decision step is taken."""
    due = complaint.letters_due.filter(
        kind=LetterKind.DECISION, sent_on__isnull=True, cancelled_on__isnull=True
    ).last()
    if due is None:
        due = LetterDue.objects.create(complaint=complaint, kind=LetterKind.DECISION)
    letter = letter_issue(complaint=complaint, due=due, actor=actor)
    complaint.letters_due.filter(kind=LetterKind.DECISION, sent_on__isnull=True).update(
        sent_on=sent_on
    )
    return letter


def decision_letter_record(*, complaint: Complaint, sent_on: dt.date) -> None:
    """A decision letter that went out outside the system: the owed letter is sent on that day."""
    due = complaint.letters_due.filter(
        kind=LetterKind.DECISION, sent_on__isnull=True, cancelled_on__isnull=True
    )
    if not due.exists():
        LetterDue.objects.create(complaint=complaint, kind=LetterKind.DECISION, sent_on=sent_on)
    due.update(sent_on=sent_on)


@transaction.atomic(durable=True)
def letter_mark_posted(*, actor, reference: str, uid: str) -> Letter:
    """The paper letter was printed and posted today: that is its date of sending."""
    complaint = _lock_for_letter(actor, reference)
    letter = Letter.objects.filter(complaint=complaint, uid=uid).first()
    if letter is None:
        raise ProcedureError("no_such_letter", gettext_lazy("There is no such letter."))
    if letter.channel != DeliveryChannel.POST:
        raise ProcedureError(
            "not_on_paper", gettext_lazy("This letter goes by e-mail, not by post.")
        )
    if letter.sent_on is not None:
        raise ProcedureError(
            "already_posted",
            gettext_lazy("This letter was already posted on %(date)s."),
            date=f"{letter.sent_on:%d-%m-%Y}",
        )
    today = clock.today()
    Letter.objects.filter(pk=letter.pk).update(sent_on=today, posted_by=actor)
    _due_sent(letter, actor=actor, sent_on=today)
    _letter_sent_event(letter, actor=actor, sent_on=today)
    audit(actor=actor, action=AuditAction.LETTER_POSTED, target=complaint, letter=str(letter.uid))
    letter.refresh_from_db()
    return letter


def letter_ensure_pdf(letter: Letter) -> Letter:
    """Make the letter's PDF from its stored HTML, once; later calls return the same file."""
    if letter.sha256:
        return letter
    content = html_to_pdf(letter.html)
    digest = hashlib.sha256(content).hexdigest()
    name = default_storage.save(letter_pdf_path(letter, ""), ContentFile(content))
    won = Letter.objects.filter(pk=letter.pk, sha256="").update(
        pdf=name, sha256=digest, size=len(content)
    )
    if not won:  # another process made it first: keep theirs
        default_storage.delete(name)
    letter.refresh_from_db()
    return letter


def letter_pdf_bytes(letter: Letter) -> bytes:
    """The stored PDF, checked against its hash."""
    letter = letter_ensure_pdf(letter)
    with letter.pdf.open("rb") as handle:
        content = handle.read()
    if hashlib.sha256(content).hexdigest() != letter.sha256:
        raise ProcedureError(
            "pdf_changed", gettext_lazy("The stored PDF does not match its hash; it was changed.")
        )
    return content


# --- the outbox ------------------------------------------------------------------


def _sender_address() -> str:
    return settings.DEFAULT_FROM_EMAIL


def outbox_queue(
    *,
    kind: str,
    to: str,
    subject: str,
    body: str,
    complaint: Complaint | None = None,
    letter: Letter | None = None,
    dedupe_key: str | None = None,
    mentions: Iterable[Complaint] = (),
) -> OutgoingMessage | None:
    """Write one message to the outbox (None when `dedupe_key` was queued before).

    The message records every complaint it names: `complaint`, `mentions`, and
    any reference in its subject or text, so the outbox shows it only to those
    who may see all of them (`letters.selectors.messages_visible_to`, P3.2).
    """
    message = OutgoingMessage(
        kind=kind,
        to=to,
        from_email=_sender_address(),
        subject=subject[:250],
        body=body,
        complaint=complaint,
        letter=letter,
        dedupe_key=dedupe_key,
        next_attempt_at=clock.now(),
    )
    message.message_id = f"<{message.token}@{message_domain()}>"
    if dedupe_key is None:
        message.save()
    elif OutgoingMessage.objects.filter(dedupe_key=dedupe_key).exists():
        return None
    else:
        try:
            with transaction.atomic():
                message.save()
        except IntegrityError:  # a concurrent tick queued it first
            return None
    named = {c.pk for c in mentions} | ({complaint.pk} if complaint is not None else set())
    references = set(REFERENCE_PATTERN.findall(f"{subject}\n{body}"))
    if references:
        named |= set(
            Complaint.objects.filter(reference__in=references).values_list("pk", flat=True)
        )
    if named:
        message.mentions.set(named)
    return message


def outbox_wake(*, run_after: dt.datetime | None = None) -> None:
    """Ask the worker to deliver (now, or at `run_after`); never fails the caller."""
    try:
        enqueue_once(process_outbox, run_after=run_after)
    except Exception:  # the next tick sweeps the outbox anyway
        logger.exception("Could not wake the worker; the next tick will deliver")


def _backoff(attempts: int) -> dt.timedelta:
    base = float(_setting("LETTERS_RETRY_BASE_SECONDS", 60))
    cap = float(_setting("LETTERS_RETRY_MAX_SECONDS", 3600))
    return dt.timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def _claim_next(*, tried: set[int]) -> OutgoingMessage | None:
    """Claim one due message for this process (compare-and-set; safe with many workers).

    `tried`: messages this run already tried; each gets one attempt per run.
    """
    lease = dt.timedelta(seconds=float(_setting("LETTERS_LEASE_SECONDS", 300)))
    for _attempt in range(5):
        now = clock.now()
        candidate = (
            OutgoingMessage.objects.due(now)
            .exclude(pk__in=tried)
            .order_by("next_attempt_at", "id")
            .values("pk", "status", "lease_until")
            .first()
        )
        if candidate is None:
            return None
        with transaction.atomic():
            claimed = OutgoingMessage.objects.filter(
                pk=candidate["pk"],
                status=candidate["status"],
                lease_until=candidate["lease_until"],
            ).update(
                status=MessageStatus.SENDING,
                lease_until=now + lease,
                attempts=F("attempts") + 1,
            )
        if claimed:
            if candidate["status"] == MessageStatus.SENDING:
                logger.warning(
                    "Message %s: the worker sending it stopped; sending again with the same "
                    "Message-ID",
                    candidate["pk"],
                )
            return OutgoingMessage.objects.select_related("letter").get(pk=candidate["pk"])
    return None


def _email_for(message: OutgoingMessage) -> EmailMessage:
    headers = {"Message-ID": message.message_id}
    if message.kind != MessageKind.LETTER:
        headers["Auto-Submitted"] = "auto-generated"
    if message.complaint_id and message.letter_id:
        headers["X-Klachtbeheer-Kenmerk"] = message.letter.our_reference
    email = EmailMessage(
        subject=message.subject,
        body=message.body,
        from_email=message.from_email,
        to=[message.to],
        headers=headers,
    )
    if message.letter_id:
        letter = message.letter
        email.attach(letter.filename, letter_pdf_bytes(letter), "application/pdf")
        if letter.calendar:
            email.attach("uitnodiging.ics", letter.calendar, "text/calendar")
    return email


def _record_sent(message: OutgoingMessage) -> None:
    now = clock.now()
    today = timezone.localdate(now)
    with transaction.atomic():
        updated = OutgoingMessage.objects.filter(
            pk=message.pk, status=MessageStatus.SENDING
        ).update(status=MessageStatus.SENT, sent_at=now, lease_until=None, last_error="")
        if updated and message.letter_id:
            Letter.objects.filter(pk=message.letter_id, sent_on__isnull=True).update(sent_on=today)
            _due_sent(message.letter, actor=None, sent_on=today)
            _letter_sent_event(message.letter, actor=None, sent_on=today)


def _record_sent_when_possible(message: OutgoingMessage) -> None:
    """Record a message the server took, waiting out a database outage meanwhile.

    The server said 250: the message went. Were it not recorded, its claim would run
    out and it would go again, so while the database is away this keeps trying, for
    at most half the lease (then the claim still holds and no other worker sends it).
    """
    lease = float(_setting("LETTERS_LEASE_SECONDS", 300))
    deadline = time.monotonic() + lease / 2
    wait = 0.5
    while True:
        try:
            _record_sent(message)
            return
        except (OperationalError, InterfaceError):
            if time.monotonic() + wait > deadline:
                raise
            logger.warning(
                "Message %s was sent; the database is unavailable, recording it in %.1f s",
                message.pk,
                wait,
            )
            db_connection.close()
            time.sleep(wait)
            wait = min(wait * 2, 10.0)


def _record_failure(message: OutgoingMessage, error: BaseException) -> bool:
    """Wait and try again, or give up after the last attempt; True when it gave up."""
    max_attempts = int(_setting("LETTERS_MAX_ATTEMPTS", 12))
    text = f"{type(error).__name__}: {error}"[:2000]
    attempts = message.attempts
    gave_up = attempts >= max_attempts
    with transaction.atomic():
        if gave_up:
            OutgoingMessage.objects.filter(pk=message.pk).update(
                status=MessageStatus.FAILED, lease_until=None, last_error=text
            )
        else:
            OutgoingMessage.objects.filter(pk=message.pk).update(
                status=MessageStatus.QUEUED,
                lease_until=None,
                last_error=text,
                next_attempt_at=clock.now() + _backoff(message.attempts),
            )
    if gave_up:
        logger.error("Message %s failed for good after %d attempts: %s", message.pk, attempts, text)
    else:
        logger.warning("Message %s: attempt %d failed (%s); will retry", message.pk, attempts, text)
    return gave_up


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    pdfs: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "retrying": self.retrying,
            "failed": self.failed,
            "pdfs": self.pdfs,
        }


def letters_render_pending(*, limit: int = 50) -> int:
    """Make the PDFs not made yet (print queue and outbox): idempotent."""
    made = 0
    for letter in Letter.objects.filter(sha256="").order_by("id")[:limit]:
        try:
            letter_ensure_pdf(letter)
            made += 1
        except Exception:
            logger.exception("Could not make the PDF of letter %s", letter.pk)
    return made


def outbox_deliver_due(*, limit: int = 200) -> DeliveryReport:
    """Send what is due, one message at a time; what fails waits its back-off."""
    letters_draft_owed()
    report = DeliveryReport(pdfs=letters_render_pending())
    connection = None
    tried: set[int] = set()
    try:
        for _index in range(limit):
            message = _claim_next(tried=tried)
            if message is None:
                break
            tried.add(message.pk)
            try:
                email = _email_for(message)
                if connection is None:
                    connection = mailers.default
                    connection.open()
                connection.send_messages([email])
            except Exception as error:  # SMTP, network, PDF: each waits its back-off
                if connection is not None:
                    with contextlib.suppress(Exception):  # it is gone either way
                        connection.close()
                    connection = None
                if _record_failure(message, error):
                    report.failed += 1
                else:
                    report.retrying += 1
                report.errors.append(str(error))
            else:
                _record_sent_when_possible(message)
                report.sent += 1
                logger.info("Message %s sent (%s)", message.pk, message.message_id)
    finally:
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.close()
    # Wake again for the next retry, or when a dead worker's claim runs out.
    retries = OutgoingMessage.objects.filter(status=MessageStatus.QUEUED).values_list(
        "next_attempt_at", flat=True
    )
    claims = OutgoingMessage.objects.filter(status=MessageStatus.SENDING).values_list(
        "lease_until", flat=True
    )
    moments = [
        m
        for m in (
            retries.order_by("next_attempt_at").first(),
            claims.order_by("lease_until").first(),
        )
        if m is not None
    ]
    if moments:
        outbox_wake(run_after=max(min(moments), clock.now()))
    return report


@transaction.atomic(durable=True)
def message_retry(*, actor, token: str) -> OutgoingMessage:
    """The quality manager sends a failed message again (after fixing the address or server)."""
    if role_of(actor) != Role.QUALITY_MANAGER:
        raise NotAllowed(
            "quality_manager_only", gettext_lazy("Only the quality manager can take this step.")
        )
    message = messages_visible_to(actor).select_for_update(of=("self",)).filter(token=token).first()
    if message is None:
        raise ProcedureError("no_such_message", gettext_lazy("There is no such message."))
    if message.status != MessageStatus.FAILED:
        raise ProcedureError(
            "not_failed", gettext_lazy("Only a message that failed for good can be retried.")
        )
    OutgoingMessage.objects.filter(pk=message.pk).update(
        status=MessageStatus.QUEUED, attempts=0, next_attempt_at=clock.now(), last_error=""
    )
    target = message.complaint if message.complaint_id else message
    audit(actor=actor, action=AuditAction.OUTBOX_RETRY, target=target, message=message.message_id)
    transaction.on_commit(outbox_wake)
    message.refresh_from_db()
    return message


# --- addresses in messages to staff --------------------------------------------------


def site_url() -> str:
    return _setting("KLACHTBEHEER_BASE_URL", "http://127.0.0.1:8000").rstrip("/")


def staff_complaint_url(complaint: Complaint) -> str:
    """The complaint page's address, for a message to staff (in the letters' language)."""
    with translation.override(LETTER_LANGUAGE):
        return site_url() + reverse("complaints:detail", kwargs={"reference": complaint.reference})


# --- the worker's task ---------------------------------------------------------------


@task()
def process_outbox() -> dict:
    """Make the PDFs not made yet and send what is due in the outbox."""
    return outbox_deliver_due().as_dict()
