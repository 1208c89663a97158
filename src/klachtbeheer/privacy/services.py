"""Personal data through its whole life (issue 10, AVG art. 5(1)(e), 15, 16, 17).

- `complaint_anonymise`: one complaint, one durable transaction: every field, text
  and file that can hold personal data is blanked or deleted; a tombstone stays
  (reference, dates, channel, complainant type, district, handler, verdict,
  categories, measures' owners, dates and effectiveness, the terms), so the
  register, the dashboard and the annual report count the same. The timeline and
  the audit log stay append-only: their erasable parts (`core.chain`) are blanked,
  and the anonymisation itself is a new timeline entry and a new audit row.
- `retention_run`: what is due on a day, each complaint in its own transaction.
- Legal hold, and the erasure request (anonymise at once, or refuse with the ground).

Files are deleted from storage after the transaction commits (a rollback must not
lose them); `sweep_files` removes any left behind by a process that died in between.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.core.files.storage import default_storage
from django.db import models, transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from klachtbeheer.complaints.models import (
    AccessLog,
    Attachment,
    Complaint,
    Event,
    EventKind,
    StatusLink,
)
from klachtbeheer.complaints.workflow import SETTLED_STATES
from klachtbeheer.core import clock
from klachtbeheer.core.audit import AuditAction, audit
from klachtbeheer.core.errors import ProcedureError
from klachtbeheer.core.models import AuditEntry
from klachtbeheer.intake.models import Submission, SubmissionState, Upload
from klachtbeheer.letters.constants import MessageStatus
from klachtbeheer.letters.models import Letter, LetterDue, OutgoingMessage
from klachtbeheer.mailintake.constants import InboundStatus
from klachtbeheer.mailintake.models import InboundMessage
from klachtbeheer.organisation.models import Organisation
from klachtbeheer.reporting.models import SatisfactionResponse

logger = logging.getLogger(__name__)


class Because(models.TextChoices):
    RETENTION = "retention", "retention term ended"
    ERASURE_REQUEST = "erasure_request", "erasure request (AVG art. 17)"


# The complaint's fields that can hold personal data, with their blank value. Kept:
# reference, dates, channel, complainant type, district, handler, state, verdict,
# categories, terms, manager concerned (staff, for access), is_uwv_client.
COMPLAINT_PERSONAL = {
    "complainant_name": "",
    "form_of_address": "",
    "complainant_organisation": "",
    "complainant_email": "",
    "complainant_phone": "",
    "street_address": "",
    "postcode": "",
    "city": "",
    "service": "",
    "employee_concerned": "",
    "substantiation": "",
    "desired_outcome": "",
    "meeting_location": "",
    "verdict_reasons": "",
}
# Where a copy derived from these fields lives, it is cleared here too. The
# full-text column `search_document` (PostgreSQL, migration complaints 0010) is
# GENERATED ALWAYS ... STORED from these fields, so it follows the blanking by
# itself; a derived column a model declares as a plain field is set to NULL.
# A new derived copy of personal text (another column, a cache, a search index)
# must be named here, or cleared in `_anonymise_locked`.
DERIVED_TEXT_COLUMNS = ("search_document",)
ERASED_ADDRESS = "erased@anonymised.invalid"


class RefusedError(ProcedureError):
    """An erasure or anonymisation the rules do not allow, with the ground in words."""

    def __init__(self, message: str) -> None:
        super().__init__("refused", message)


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` months earlier (the last day of a shorter month)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


@dataclass
class Action:
    """One thing the retention job does (or would do), in words."""

    kind: str
    target: str
    words: str


@dataclass
class RetentionReport:
    as_of: dt.date
    dry_run: bool
    actions: list[Action] = field(default_factory=list)
    # False when the run stopped at its `limit` with more still due (the next run goes on).
    finished: bool = True

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for action in self.actions:
            out[action.kind] = out.get(action.kind, 0) + 1
        return out


def _delete_after_commit(names: list[str]) -> None:
    def delete() -> None:
        for name in names:
            if name:
                try:
                    default_storage.delete(name)
                except OSError:
                    logger.warning("Could not delete a stored file; sweep_files retries")

    transaction.on_commit(delete)


def _complaint_files(complaint: Complaint) -> list[str]:
    names = list(Attachment.objects.filter(complaint=complaint).values_list("file", flat=True))
    names += Letter.objects.filter(complaint=complaint).values_list("pdf", flat=True)
    names += InboundMessage.objects.filter(complaint=complaint).values_list("raw", flat=True)
    names += Upload.objects.filter(submission__complaint=complaint).values_list("file", flat=True)
    return [name for name in names if name]


def refusal(complaint: Complaint) -> str | None:
    """Why this complaint may not be anonymised now, in words; None when it may."""
    if complaint.anonymised_at is not None:
        return _("The complaint was already anonymised.")
    if complaint.legal_hold_reason:
        return _("The complaint is on legal hold: %(reason)s") % {
            "reason": complaint.legal_hold_reason
        }
    if complaint.state not in SETTLED_STATES:
        return _(
            "The complaint is still open (%(state)s); its file is needed to settle it "
            "(AVG art. 17(3)(b) and (e): a legal obligation and legal claims)."
        ) % {"state": complaint.get_state_display()}
    return None


def _anonymise_locked(complaint: Complaint, *, actor, because: str) -> Complaint:
    files = _complaint_files(complaint)
    # The complaint: a tombstone.
    for name, blank in COMPLAINT_PERSONAL.items():
        setattr(complaint, name, blank)
    complaint.anonymised_at = clock.now()
    complaint.anonymised_because = because
    update_fields = [*COMPLAINT_PERSONAL, "anonymised_at", "anonymised_because", "updated_at"]
    complaint.save(update_fields=update_fields)
    # A generated column follows the blanked fields by itself; a stored one is cleared.
    derived = [
        f.attname
        for f in Complaint._meta.concrete_fields
        if f.column in DERIVED_TEXT_COLUMNS and not isinstance(f, models.GeneratedField)
    ]
    for column in derived:
        Complaint.objects.filter(pk=complaint.pk).update(**{column: None})
    # Files and what describes them.
    Attachment.objects.filter(complaint=complaint).delete()
    submissions = Submission.objects.filter(complaint=complaint)
    Upload.objects.filter(submission__in=submissions).delete()
    submissions.update(data={}, decision_note="", spam_reasons=[])
    StatusLink.objects.filter(Q(complaint=complaint) | Q(submission__in=submissions)).delete()
    # Letters are kept as records that a letter went out; their content goes.
    # Letters are kept as records that a letter went out; their content goes. (A letter
    # sent by e-mail keeps a placeholder address in the reserved .invalid domain.)
    letters_of = models.QuerySet(Letter).filter(complaint=complaint)
    letters_of.update(subject="", text="", html="", calendar="", pdf="")
    letters_of.exclude(recipient_email="").update(recipient_email=ERASED_ADDRESS)
    LetterDue.objects.filter(complaint=complaint).update(data={})
    outbox = OutgoingMessage.objects.filter(Q(complaint=complaint) | Q(mentions=complaint))
    outbox.exclude(status__in=[MessageStatus.QUEUED, MessageStatus.SENDING]).update(
        to="", subject="", body="", last_error=""
    )
    # Mail not yet sent about an anonymised complaint is not sent any more.
    outbox.filter(status__in=[MessageStatus.QUEUED, MessageStatus.SENDING]).update(
        status=MessageStatus.FAILED, to="", subject="", body="", last_error=""
    )
    for message in InboundMessage.objects.filter(complaint=complaint):
        _blank_inbound(message)
    complaint.measures.update(description="", done_note="", check_note="")
    SatisfactionResponse.objects.filter(complaint=complaint).update(comment="", follow_up_note="")
    # History: the erasable parts go, the rows stay (append-only, in the chain).
    Event.objects.filter(complaint=complaint).erase()
    AuditEntry.objects.filter(complaint_ref=complaint.pk).erase()
    AccessLog.objects.filter(complaint=complaint).erase()
    audit_targets = Q(
        target_type="intake.submission",
        target_id__in=[str(pk) for pk in submissions.values_list("pk", flat=True)],
    ) | Q(
        target_type="mailintake.inboundmessage",
        target_id__in=[
            str(pk)
            for pk in InboundMessage.objects.filter(complaint=complaint).values_list(
                "pk", flat=True
            )
        ],
    )
    AuditEntry.objects.filter(audit_targets).erase()
    # The anonymisation itself, as new rows without personal data.
    Event.objects.create(
        complaint=complaint, kind=EventKind.ANONYMISED, actor=actor, data={"because": because}
    )
    audit(actor=actor, action=AuditAction.PRIVACY_ANONYMISE, target=complaint, because=because)
    _delete_after_commit(files)
    return complaint


def _blank_inbound(message: InboundMessage) -> None:
    name = message.raw.name
    InboundMessage.objects.filter(pk=message.pk).update(
        message_key=f"erased:{message.pk}",
        message_id="",
        sha256="",
        raw="",
        sender_email="",
        sender_name="",
        subject="",
        body_text="",
        attachment_names=[],
        problems=[],
        review_note=(_("Erased at the end of its term.") if message.review_note else ""),
    )
    AuditEntry.objects.filter(
        target_type="mailintake.inboundmessage", target_id=str(message.pk)
    ).erase()
    _delete_after_commit([name])


def complaint_anonymise(*, complaint_id: int, actor=None, because: str) -> Complaint:
    """Anonymise one complaint in one durable transaction; refused with the ground."""
    with transaction.atomic(durable=True):
        complaint = Complaint.objects.select_for_update().get(pk=complaint_id)
        if ground := refusal(complaint):
            raise RefusedError(ground)
        return _anonymise_locked(complaint, actor=actor, because=because)


def complaint_erasure_request(*, actor, reference: str, note: str = "") -> tuple[bool, str]:
    """AVG art. 17: anonymise at once, or refuse with the ground in words, recorded."""
    with transaction.atomic(durable=True):
        complaint = Complaint.objects.select_for_update().get(reference=reference)
        ground = refusal(complaint)
        if ground:
            audit(
                actor=actor,
                action=AuditAction.PRIVACY_ERASURE_REFUSED,
                target=complaint,
                ground=ground,
            )
            Event.objects.create(
                complaint=complaint,
                kind=EventKind.LEGAL_HOLD if complaint.legal_hold_reason else EventKind.NOTE,
                actor=actor,
                text=_("Erasure request refused: %(ground)s") % {"ground": ground},
                data={"erasure_refused": True},
            )
            return False, ground
        _anonymise_locked(complaint, actor=actor, because=Because.ERASURE_REQUEST)
        return True, _("The complaint was anonymised.")


def complaint_set_legal_hold(*, actor, reference: str, reason: str) -> Complaint:
    reason = (reason or "").strip()
    if not reason:
        raise ProcedureError("reason_required", _("Give the reason for the legal hold."))
    with transaction.atomic(durable=True):
        complaint = Complaint.objects.select_for_update().get(reference=reference)
        if complaint.anonymised_at:
            raise RefusedError(_("The complaint was already anonymised."))
        complaint.legal_hold_reason = reason
        complaint.legal_hold_since = clock.now()
        complaint.save(update_fields=["legal_hold_reason", "legal_hold_since", "updated_at"])
        Event.objects.create(
            complaint=complaint,
            kind=EventKind.LEGAL_HOLD,
            actor=actor,
            text=reason,
            data={"hold": True},
        )
        audit(actor=actor, action=AuditAction.PRIVACY_LEGAL_HOLD, target=complaint, reason=reason)
        return complaint


def complaint_release_legal_hold(*, actor, reference: str, reason: str) -> Complaint:
    reason = (reason or "").strip()
    if not reason:
        raise ProcedureError("reason_required", _("Give the reason for releasing the legal hold."))
    with transaction.atomic(durable=True):
        complaint = Complaint.objects.select_for_update().get(reference=reference)
        if not complaint.legal_hold_reason:
            raise RefusedError(_("The complaint is not on legal hold."))
        complaint.legal_hold_reason = ""
        complaint.legal_hold_since = None
        complaint.save(update_fields=["legal_hold_reason", "legal_hold_since", "updated_at"])
        Event.objects.create(
            complaint=complaint,
            kind=EventKind.LEGAL_HOLD,
            actor=actor,
            text=reason,
            data={"hold": False},
        )
        audit(
            actor=actor,
            action=AuditAction.PRIVACY_LEGAL_HOLD_RELEASED,
            target=complaint,
            reason=reason,
        )
        return complaint


# ---------------------------------------------------------------------------
# The retention job


def complaints_due(as_of: dt.date, organisation: Organisation | None = None):
    """Settled complaints whose file term ended on or before `as_of`, not on hold."""
    organisation = organisation or Organisation.current()
    cutoff = months_before(as_of, organisation.complaint_retention_months)
    return (
        Complaint.objects.filter(
            state__in=SETTLED_STATES, anonymised_at__isnull=True, legal_hold_reason=""
        )
        .annotate(ended_on=Coalesce("closed_on", "settled_on"))
        .filter(ended_on__isnull=False, ended_on__lte=cutoff)
        .order_by("ended_on", "id")
    )


def _submissions_due(as_of: dt.date, organisation: Organisation):
    cutoff = as_of - dt.timedelta(days=organisation.submission_retention_days)
    return (
        Submission.objects.filter(state=SubmissionState.REJECTED, decided_at__date__lte=cutoff)
        .filter(Q(~Q(data={})) | Q(uploads__isnull=False) | ~Q(decision_note=""))
        .distinct()
    )


def _unmatched_mail_due(as_of: dt.date, organisation: Organisation):
    cutoff = as_of - dt.timedelta(days=organisation.submission_retention_days)
    return (
        InboundMessage.objects.filter(complaint__isnull=True)
        .filter(
            Q(status=InboundStatus.IGNORED, reviewed_at__date__lte=cutoff)
            | Q(status=InboundStatus.IGNORED_AUTO, stored_at__date__lte=cutoff)
        )
        .exclude(message_key__startswith="erased:")
    )


def _raw_mail_due(as_of: dt.date, organisation: Organisation):
    cutoff = as_of - dt.timedelta(days=organisation.raw_message_retention_days)
    return (
        InboundMessage.objects.filter(complaint__isnull=False, stored_at__date__lte=cutoff)
        .exclude(raw="")
        .filter(
            Q(status__in=[InboundStatus.COMPLAINT, InboundStatus.REPLY])
            | Q(reviewed_at__date__lte=cutoff)
        )
    )


def _access_details_due(as_of: dt.date, organisation: Organisation):
    cutoff = months_before(as_of, organisation.access_log_retention_months)
    return AccessLog.objects.filter(at__date__lte=cutoff).exclude(erasure_salt="")


def retention_run(
    *, as_of: dt.date | None = None, dry_run: bool = False, limit: int | None = None
) -> RetentionReport:
    """Everything whose term has ended on `as_of` (default today), one transaction each.

    With `limit`, at most that many records are anonymised or removed, oldest first
    by kind, and the report says it did not finish: the worker's tick runs the job a
    piece at a time, so a backlog (a first run, years of records) never holds up the
    outbox for minutes (issue 15); the next tick goes on where this one stopped.
    """
    as_of = as_of or clock.today()
    organisation = Organisation.current()
    report = RetentionReport(as_of=as_of, dry_run=dry_run)
    left = [limit]

    def take(queryset):
        """`queryset` cut to what is left of the limit; marks the report unfinished when
        something is left over."""
        if left[0] is None or dry_run:
            return list(queryset)
        rows = list(queryset[: left[0] + 1])
        if len(rows) > left[0]:
            report.finished = False
            rows = rows[: left[0]]
        left[0] -= len(rows)
        return rows

    for complaint in take(
        complaints_due(as_of, organisation).only("id", "reference", "closed_on", "settled_on")
    ):
        words = _(
            "Anonymise complaint %(reference)s: settled on %(ended)s, kept %(months)s months."
        ) % {
            "reference": complaint.reference,
            "ended": complaint.ended_on.isoformat(),
            "months": organisation.complaint_retention_months,
        }
        report.actions.append(Action("complaint", complaint.reference, words))
        if not dry_run:
            try:
                complaint_anonymise(complaint_id=complaint.pk, because=Because.RETENTION)
            except RefusedError:
                # Put on hold or reopened since the list was made: skipped, in words.
                report.actions[-1].words += " " + _("Skipped: no longer due.")
    for submission in take(_submissions_due(as_of, organisation).order_by("pk")):
        words = _(
            "Remove the answers and files of rejected submission %(id)s (rejected on %(day)s)."
        ) % {"id": submission.pk, "day": submission.decided_at.date()}
        report.actions.append(Action("submission", str(submission.pk), words))
        if not dry_run:
            with transaction.atomic(durable=True):
                files = list(submission.uploads.values_list("file", flat=True))
                submission.uploads.all().delete()
                Submission.objects.filter(pk=submission.pk).update(
                    data={}, decision_note="", spam_reasons=[]
                )
                StatusLink.objects.filter(submission=submission).delete()
                AuditEntry.objects.filter(
                    target_type="intake.submission", target_id=str(submission.pk)
                ).erase()
                audit(
                    actor=None,
                    action=AuditAction.PRIVACY_PURGE,
                    target=submission,
                    record="submission",
                )
                _delete_after_commit(files)
    for message in take(_unmatched_mail_due(as_of, organisation).order_by("pk")):
        words = _("Remove e-mail %(id)s that became no complaint (%(status)s).") % {
            "id": message.pk,
            "status": message.get_status_display(),
        }
        report.actions.append(Action("e-mail", str(message.pk), words))
        if not dry_run:
            with transaction.atomic(durable=True):
                _blank_inbound(message)
                audit(
                    actor=None,
                    action=AuditAction.PRIVACY_PURGE,
                    target=message,
                    record="inbound_message",
                )
    for message in take(_raw_mail_due(as_of, organisation).order_by("pk")):
        words = _("Delete the raw message (.eml) of e-mail %(id)s, processed on %(day)s.") % {
            "id": message.pk,
            "day": message.stored_at.date(),
        }
        report.actions.append(Action("raw e-mail", str(message.pk), words))
        if not dry_run:
            with transaction.atomic(durable=True):
                name = message.raw.name
                InboundMessage.objects.filter(pk=message.pk).update(raw="")
                audit(
                    actor=None,
                    action=AuditAction.PRIVACY_PURGE,
                    target=message,
                    record="raw_message",
                )
                _delete_after_commit([name])
    details = _access_details_due(as_of, organisation)
    count = details.count()
    if count:
        report.actions.append(
            Action(
                "access log",
                str(count),
                _("Erase the details of %(count)s list views older than %(months)s months.")
                % {"count": count, "months": organisation.access_log_retention_months},
            )
        )
        if not dry_run:
            with transaction.atomic(durable=True):
                details.erase()
    if not dry_run and report.finished:
        sweep_files()
    return report


def sweep_files() -> int:
    """Delete files of anonymised complaints left behind by a process that died
    between the commit and the deletion."""
    removed = 0
    for complaint_id in Complaint.objects.filter(anonymised_at__isnull=False).values_list(
        "id", flat=True
    ):
        for folder in (f"complaints/{complaint_id}", f"letters/{complaint_id}"):
            removed += _remove_tree(folder)
    return removed


def _remove_tree(folder: str) -> int:
    try:
        directories, files = default_storage.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return 0
    removed = 0
    for name in files:
        default_storage.delete(f"{folder}/{name}")
        removed += 1
    for name in directories:
        removed += _remove_tree(f"{folder}/{name}")
    return removed
