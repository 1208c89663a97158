"""Writes: one function per step of the procedure.

Each is one durable transaction that locks the complaint, asks the workflow
table whether the step is allowed, checks its preconditions, changes the
complaint, and appends its timeline event and audit row, all or nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from klachtbeheer.complaints.models import (
    Attachment,
    Category,
    Channel,
    ComplainantType,
    Complaint,
    ContactChannel,
    Event,
    EventKind,
    FormOfAddress,
    Measure,
    Verdict,
)
from klachtbeheer.complaints.registry import STEPS, implements
from klachtbeheer.complaints.routing import route
from klachtbeheer.complaints.selectors import complaint_for, may_see
from klachtbeheer.complaints.signals import complaint_registered, step_taken
from klachtbeheer.complaints.terms import settlement_counted, settlement_in_writing
from klachtbeheer.complaints.workflow import State, Step, next_state
from klachtbeheer.core import clock
from klachtbeheer.core.audit import AuditAction, audit, audit_entry, audit_together
from klachtbeheer.core.errors import NotAllowed, NotFoundOrNoAccess, ProcedureError
from klachtbeheer.core.models import AuditEntry
from klachtbeheer.core.text import clean_filename
from klachtbeheer.organisation.models import Organisation, Role
from klachtbeheer.organisation.selectors import (
    assignable_handlers,
    normalise_phone,
    normalise_postcode,
    role_of,
)

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
# Removing the manager concerned (P3.2): the same words on the page and from the service.
PERSON_CONCERNED_CONFLICT = _(
    "Choose the district manager concerned or tick “no longer about a district manager”, not both."
)
PERSON_CONCERNED_CHOICE_REQUIRED = _(
    "The complaint is about a district manager. To record that it no longer is, tick "
    "“no longer about a district manager” and give the reason (P3.2)."
)
PERSON_CONCERNED_REASON_REQUIRED = _(
    "Give the reason why the complaint is no longer about the district manager: they can "
    "see it again (P3.2)."
)
# Measures recorded at the verdict are due this many days later unless a date is given.
MEASURE_DAYS = 42


# --- helpers ---------------------------------------------------------------


def _require_text(value: str, field: str, message) -> str:
    value = (value or "").strip()
    if not value:
        raise ProcedureError(f"{field}_required", message)
    return value


def _require_date_in_procedure(complaint: Complaint, day: dt.date, what: str) -> None:
    if day > clock.today():
        raise ProcedureError(
            "date_in_future", _("The date of %(what)s cannot be in the future."), what=what
        )
    if day < complaint.received_on:
        raise ProcedureError(
            "date_before_receipt",
            _("The date of %(what)s cannot be before the date of receipt (%(received)s)."),
            what=what,
            received=f"{complaint.received_on:%d-%m-%Y}",
        )


def _lock(actor, reference: str, step: Step) -> Complaint:
    """The complaint, locked, when `actor` may see it and take `step` now."""
    complaint = complaint_for(actor, reference=reference, via="", for_update=True)
    if STEPS[step].quality_manager_only and role_of(actor) != Role.QUALITY_MANAGER:
        raise NotAllowed("quality_manager_only", _("Only the quality manager can take this step."))
    next_state(complaint.state, step)  # raises when the table has no such move
    return complaint


def _commit_step(
    complaint: Complaint,
    *,
    actor,
    step: Step,
    text: str = "",
    data: dict[str, Any] | None = None,
    internal: bool = True,
    letter_data: dict[str, Any] | None = None,
) -> Complaint:
    """Move to the state the table gives, save, tell the apps above, append event and audit row.

    The event kind comes from the step's registry entry; `letter_data` goes with
    the announcement to the letters app, for the letter the entry says is owed.
    """
    before = complaint.state
    complaint.state = next_state(before, step)
    complaint.refresh_next_due()
    complaint.save()
    data = dict(data or {})
    for _receiver, extra in step_taken.send(
        sender=Step,
        step=step,
        complaint=complaint,
        actor=actor,
        data=data,
        letter_data=dict(letter_data or {}),
    ):
        data.update(extra or {})
    if before != complaint.state:
        data.update({"from": before, "to": complaint.state})
    Event.objects.create(
        complaint=complaint,
        kind=STEPS[step].event,
        actor=actor,
        text=text,
        data=data,
        internal=internal,
    )
    audit(actor=actor, action=AuditAction(f"complaint.{step.value}"), target=complaint, **data)
    return complaint


def _manager_concerned(user_id: int):
    """A manager a complaint can be about (P3.2): anyone who could otherwise handle it."""
    manager = assignable_handlers().filter(pk=user_id).first()
    if manager is None:
        raise ProcedureError(
            "bad_manager",
            _("The person concerned must be a district manager, board member or quality manager."),
        )
    return manager


def require_measure_owner(complaint: Complaint, owner) -> None:
    """Who carries out a measure may see its complaint; the person concerned never (P3.2).

    The owner is reminded of the measure by e-mail, with the complaint's
    reference and the measure's text: so only someone who may see the complaint
    (P5.3), and never the manager the complaint is about.
    """
    if owner.pk == complaint.manager_concerned_id:
        raise ProcedureError(
            "measure_owner_concerned",
            _("The complaint is about this person; they cannot carry out its measures (P3.2)."),
        )
    if not may_see(owner, complaint):
        raise ProcedureError(
            "measure_owner_no_access",
            _("This person may not see the complaint, so cannot carry out its measures (P5.3)."),
        )


def _provisional_reference() -> str:
    """A unique stand-in until the complaint is numbered at the end of its transaction."""
    return PROVISIONAL_PREFIX + secrets.token_hex(9)


PROVISIONAL_PREFIX = "~"


def _number(complaint: Complaint, year: int) -> str:
    """Give `complaint` its reference KL-YYYY-NNNNN, from one atomic upsert of the year's counter.

    Concurrent intakes never share a number and numbers have no gaps (a rolled
    back intake rolls its number back). Called as the last write but the audit
    rows of the registration, so the counter's row is locked only from here to
    the commit and intakes of all processes overlap (issue 15). On PostgreSQL
    counter and complaint are one statement.
    """
    table = connection.ops.quote_name("complaints_referencecounter")
    upsert = (
        f"INSERT INTO {table} (year, last_number) VALUES (%s, 1) "  # noqa: S608
        f"ON CONFLICT (year) DO UPDATE SET last_number = {table}.last_number + 1 "
        "RETURNING last_number"
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH n AS ({upsert}) UPDATE complaints_complaint "  # noqa: S608
                "SET reference = 'KL-' || %s || '-' || lpad(n.last_number::text, 5, '0') "
                "FROM n WHERE id = %s AND n.last_number < 100000 RETURNING reference",
                [year, str(year), complaint.pk],
            )
            row = cursor.fetchone()
            if row is None:  # beyond 99,999 in a year: the number just gets longer
                cursor.execute(
                    "UPDATE complaints_complaint SET reference = 'KL-' || %s || '-' || "
                    "(SELECT last_number FROM complaints_referencecounter WHERE year = %s)::text "
                    "WHERE id = %s RETURNING reference",
                    [str(year), year, complaint.pk],
                )
                row = cursor.fetchone()
            complaint.reference = row[0]
        else:
            cursor.execute(upsert, [year])
            (number,) = cursor.fetchone()
            complaint.reference = f"KL-{year}-{number:05d}"
            Complaint.objects.filter(pk=complaint.pk).update(reference=complaint.reference)
    return complaint.reference


def _store_attachment(
    complaint: Complaint, upload: UploadedFile, *, actor, description: str = ""
) -> Attachment:
    if upload.size is None or upload.size > MAX_ATTACHMENT_BYTES:
        raise ProcedureError(
            "attachment_too_large",
            _("“%(name)s” is larger than 10 MB."),
            name=upload.name,
        )
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    attachment = Attachment(
        complaint=complaint,
        # Shown to staff and offered for download: no controls, no bidi marks (issue 12).
        filename=clean_filename(upload.name or ""),
        content_type=(upload.content_type or "application/octet-stream")[:100],
        size=upload.size,
        sha256=digest.hexdigest(),
        description=description[:200],
        uploaded_by=actor if getattr(actor, "pk", None) else None,
    )
    attachment.file.save(attachment.sha256, upload, save=False)
    attachment.save()
    Event.objects.create(
        complaint=complaint,
        kind=EventKind.ATTACHMENT,
        actor=attachment.uploaded_by,
        text=attachment.filename,
        data={"attachment": attachment.pk, "size": attachment.size},
    )
    return attachment


# --- intake ----------------------------------------------------------------


def _form_of_address(value: str) -> str:
    """A form of address the letters know, else the neutral form (issue 14)."""
    return value if value in FormOfAddress.values else FormOfAddress.NEUTRAL


@dataclass(frozen=True)
class ComplainantData:
    complainant_type: str
    name: str
    form_of_address: str = ""
    organisation: str = ""
    email: str = ""
    phone: str = ""
    street_address: str = ""
    postcode: str = ""
    city: str = ""
    is_uwv_client: bool = False


@transaction.atomic(durable=True)
def complaint_register(
    *,
    actor,
    channel: str,
    received_on: dt.date,
    complainant: ComplainantData,
    substantiation: str,
    desired_outcome: str = "",
    service: str = "",
    employee_concerned: str = "",
    manager_concerned=None,
    attachments: Sequence[UploadedFile] = (),
    acknowledge: bool = True,
    before_number: Callable[[Complaint], None] | None = None,
    audit_also: Callable[[Complaint], list[AuditEntry]] | None = None,
) -> Complaint:
    """Store a complaint, route it (P3.1, P3.2), set its terms, and owe the acknowledgement.

    `acknowledge=False` owes none: for a message a person judged automatic, which
    must never be answered (no mail loops). `before_number(complaint)` is for a
    caller that owns the transaction (intake): its writes go before the complaint
    is numbered, which is the last write but the audit rows (`_number`);
    `audit_also(complaint)` gives the caller's own audit rows, written with the
    complaint's in one statement.
    """
    if channel not in Channel.values:
        raise ProcedureError("bad_channel", _("Unknown channel."))
    if complainant.complainant_type not in ComplainantType.values:
        raise ProcedureError("bad_complainant_type", _("Choose the type of complainant."))
    name = _require_text(complainant.name, "name", _("Enter the complainant’s name."))
    substantiation = _require_text(
        substantiation, "substantiation", _("Describe what the complaint is about (P1.2).")
    )
    if received_on > clock.today():
        raise ProcedureError(
            "received_in_future", _("The date of receipt cannot be in the future.")
        )
    postcode = ""
    if complainant.postcode.strip():
        postcode = normalise_postcode(complainant.postcode) or ""
        if not postcode:
            raise ProcedureError("bad_postcode", _("Enter a Dutch postcode such as 3741 AB."))
    if manager_concerned is not None:
        manager_concerned = _manager_concerned(manager_concerned.pk)
    # The terms of the procedure, as this process last read them (issue 15).
    organisation = Organisation.cached()
    the_route = route(
        postcode=postcode, manager_concerned=manager_concerned, organisation=organisation
    )
    complaint = Complaint(
        reference=_provisional_reference(),
        received_on=received_on,
        channel=channel,
        complainant_type=complainant.complainant_type,
        complainant_name=name,
        form_of_address=_form_of_address(complainant.form_of_address),
        complainant_organisation=complainant.organisation.strip(),
        complainant_email=complainant.email.strip().lower(),
        complainant_phone=complainant.phone.strip(),
        street_address=complainant.street_address.strip(),
        postcode=postcode,
        city=complainant.city.strip(),
        is_uwv_client=complainant.is_uwv_client,
        service=service.strip(),
        employee_concerned=employee_concerned.strip(),
        manager_concerned=manager_concerned,
        substantiation=substantiation,
        desired_outcome=desired_outcome.strip(),
        district=the_route.district,
        handler=the_route.handler,
        state=State.RECEIVED,
        contact_due_on=received_on + dt.timedelta(days=organisation.contact_term_days),
        settle_due_on=received_on + dt.timedelta(days=organisation.settle_term_days),
    )
    complaint.refresh_next_due()
    complaint.save(force_insert=True)
    events = [
        Event(
            complaint=complaint,
            kind=EventKind.RECEIVED,
            actor=actor if getattr(actor, "pk", None) else None,
            data={"channel": channel, "received_on": received_on.isoformat()},
        ),
        Event(
            complaint=complaint,
            kind=EventKind.ROUTED,
            text=the_route.reason,
            data={
                "district": the_route.district.name if the_route.district else None,
                "handler": the_route.handler.pk if the_route.handler else None,
            },
        ),
    ]
    complaint_registered.send(
        sender=Complaint,
        complaint=complaint,
        actor=actor,
        acknowledge=acknowledge and bool(complaint.complainant_email or complaint.street_address),
        events=events,
    )
    Event.objects.bulk_create(events)  # received, routed, letter owed: one statement
    for upload in attachments:
        _store_attachment(complaint, upload, actor=actor)
    if before_number is not None:
        before_number(complaint)
    _number(complaint, received_on.year)
    entry = audit_entry(
        actor=actor,
        action=AuditAction.COMPLAINT_REGISTER,
        target=complaint,
        reference=complaint.reference,
        channel=channel,
        handler=complaint.handler_id,
    )
    audit_together([entry, *(audit_also(complaint) if audit_also else [])])
    return complaint


def complaint_register_within_transaction(**kwargs: Any) -> Complaint:
    """`complaint_register` for a caller that owns the durable transaction.

    Public intake writes the complaint, its status link and the submission
    record together, all or nothing; it calls this inside its own
    `transaction.atomic(durable=True)`.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("complaint_register_within_transaction needs an open transaction")
    return complaint_register.__wrapped__(**kwargs)


def complaint_receive_message(
    *,
    actor,
    reference: str,
    channel: str,
    sender: str,
    subject: str,
    text: str,
    received_at: dt.datetime,
    attachments: Sequence[UploadedFile] = (),
) -> Complaint:
    """A message from the complainant about their complaint, added to its timeline.

    Used for a reply by e-mail that found its case (the system acts: `actor`
    None) and by the quality manager attaching a message to a case (access
    checked). It runs in the caller's durable transaction, so the caller's record
    of the message (the inbound e-mail) commits with it or not at all. The
    complaint keeps its state: like a note, a message is possible in every state.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("complaint_receive_message needs an open transaction")
    if actor is not None:
        complaint = complaint_for(actor, reference=reference, via="", for_update=True)
    else:
        complaint = Complaint.objects.select_for_update().filter(reference=reference).first()
        if complaint is None:
            raise NotFoundOrNoAccess(
                "not_found",
                _("There is no complaint %(reference)s, or you may not see it."),
                reference=reference,
            )
    next_state(complaint.state, Step.ADD_NOTE)
    if channel not in Channel.values:
        raise ProcedureError("bad_channel", _("Unknown channel."))
    text = (text or "").strip()
    if not text and not attachments:
        raise ProcedureError("message_empty", _("The message has no text and no attachments."))
    by = actor if getattr(actor, "pk", None) else None
    Event.objects.create(
        complaint=complaint,
        kind=EventKind.COMPLAINANT_MESSAGE,
        actor=by,
        text=text,
        data={
            "channel": channel,
            "sender": sender[:254],
            "subject": subject[:500],
            "at": timezone.localtime(received_at).isoformat(),
        },
    )
    for upload in attachments:
        _store_attachment(complaint, upload, actor=by)
    complaint.save(update_fields=["updated_at"])
    audit(
        actor=by,
        action=AuditAction.COMPLAINT_MESSAGE_RECEIVED,
        target=complaint,
        channel=channel,
        attachments=len(attachments),
    )
    return complaint


# --- triage (P1.2) ---------------------------------------------------------


@implements(Step.ACCEPT)
@transaction.atomic(durable=True)
def complaint_accept(*, actor, reference: str) -> Complaint:
    complaint = _lock(actor, reference, Step.ACCEPT)
    if complaint.handler_id is None:
        raise ProcedureError("no_handler", _("Assign a handler before accepting the complaint."))
    return _commit_step(complaint, actor=actor, step=Step.ACCEPT)


@implements(Step.REJECT)
@transaction.atomic(durable=True)
def complaint_reject(*, actor, reference: str, reason: str) -> Complaint:
    complaint = _lock(actor, reference, Step.REJECT)
    reason = _require_text(reason, "reason", _("Say why this is not a complaint."))
    complaint.settled_on = clock.today()
    complaint.closed_on = clock.today()
    # The answer to the complainant says why (P1.2): the reason goes into the letter.
    return _commit_step(
        complaint, actor=actor, step=Step.REJECT, text=reason, letter_data={"reason": reason}
    )


# --- contact (P3.3, P3.4) --------------------------------------------------


@implements(Step.LOG_CONTACT_ATTEMPT)
@transaction.atomic(durable=True)
def complaint_log_contact_attempt(
    *, actor, reference: str, at: dt.datetime, channel: str, note: str = ""
) -> Complaint:
    complaint = _lock(actor, reference, Step.LOG_CONTACT_ATTEMPT)
    if channel not in ContactChannel.values:
        raise ProcedureError("bad_contact_channel", _("Choose how you tried to make contact."))
    _require_date_in_procedure(complaint, timezone.localtime(at).date(), _("the attempt"))
    return _commit_step(
        complaint,
        actor=actor,
        step=Step.LOG_CONTACT_ATTEMPT,
        text=note.strip(),
        data={"at": at.isoformat(), "channel": channel},
    )


@implements(Step.RECORD_CONTACT)
@transaction.atomic(durable=True)
def complaint_record_contact(
    *, actor, reference: str, on: dt.date, channel: str, summary: str
) -> Complaint:
    complaint = _lock(actor, reference, Step.RECORD_CONTACT)
    if channel not in ContactChannel.values:
        raise ProcedureError("bad_contact_channel", _("Choose how the contact took place."))
    summary = _require_text(summary, "summary", _("Summarise the conversation."))
    _require_date_in_procedure(complaint, on, _("the contact"))
    complaint.contacted_on = on
    return _commit_step(
        complaint,
        actor=actor,
        step=Step.RECORD_CONTACT,
        text=summary,
        data={"on": on.isoformat(), "channel": channel},
    )


@implements(Step.WITHDRAW)
@transaction.atomic(durable=True)
def complaint_withdraw(*, actor, reference: str, summary: str) -> Complaint:
    """P3.4: a misunderstanding, and the complainant drops the complaint."""
    complaint = _lock(actor, reference, Step.WITHDRAW)
    summary = _require_text(
        summary, "summary", _("Describe the misunderstanding and that the complainant withdrew.")
    )
    complaint.settled_on = clock.today()
    complaint.closed_on = clock.today()
    return _commit_step(complaint, actor=actor, step=Step.WITHDRAW, text=summary)


# --- the meeting (P3.5) ----------------------------------------------------


@implements(Step.PLAN_MEETING)
@transaction.atomic(durable=True)
def complaint_plan_meeting(*, actor, reference: str, at: dt.datetime, location: str) -> Complaint:
    complaint = _lock(actor, reference, Step.PLAN_MEETING)
    location = _require_text(location, "location", _("Say where the meeting takes place."))
    if timezone.localtime(at).date() < complaint.received_on:
        raise ProcedureError(
            "date_before_receipt", _("The meeting cannot be before the date of receipt.")
        )
    complaint.meeting_at = at
    complaint.meeting_location = location
    return _commit_step(
        complaint,
        actor=actor,
        step=Step.PLAN_MEETING,
        letter_data={"at": at.isoformat(), "location": location},
        data={"at": at.isoformat(), "location": location},
    )


@implements(Step.HOLD_MEETING)
@transaction.atomic(durable=True)
def complaint_hold_meeting(
    *, actor, reference: str, held_on: dt.date, report: str, moved_earlier: bool = False
) -> Complaint:
    complaint = _lock(actor, reference, Step.HOLD_MEETING)
    report = _require_text(report, "report", _("Write the report of the meeting."))
    _require_date_in_procedure(complaint, held_on, _("the meeting"))
    planned = complaint.meeting_at and timezone.localtime(complaint.meeting_at).date()
    data = {"on": held_on.isoformat()}
    if planned and held_on < planned:
        if not moved_earlier:
            raise ProcedureError(
                "held_before_planned",
                _(
                    "The meeting was planned for %(planned)s, after this date. If it was "
                    "moved earlier, tick “The meeting was moved earlier”."
                ),
                planned=f"{planned:%d-%m-%Y}",
            )
        data["planned_for"] = planned.isoformat()  # the timeline says it was moved
    return _commit_step(complaint, actor=actor, step=Step.HOLD_MEETING, text=report, data=data)


@implements(Step.WAIVE_MEETING)
@transaction.atomic(durable=True)
def complaint_waive_meeting(*, actor, reference: str, reason: str) -> Complaint:
    complaint = _lock(actor, reference, Step.WAIVE_MEETING)
    reason = _require_text(reason, "reason", _("Say why there is no meeting."))
    return _commit_step(complaint, actor=actor, step=Step.WAIVE_MEETING, text=reason)


# --- verdict and decision (P3.6, P3.7) -------------------------------------


@implements(Step.RECORD_VERDICT)
@transaction.atomic(durable=True)
def complaint_record_verdict(
    *,
    actor,
    reference: str,
    verdict: str,
    reasons: str,
    measures: Iterable[str] = (),
    no_measures: bool = False,
    decided_on: dt.date | None = None,
    category_ids: Iterable[int] = (),
    measure_owner_id: int | None = None,
    measures_due_on: dt.date | None = None,
) -> Complaint:
    """The verdict (P3.6), its categories (P5.2) and its measures (P3.7, ISO 9001 10.2).

    A founded or partly founded complaint is a nonconformity: ISO 9001 10.2 asks
    for a reaction to it, so it needs at least one measure (a correction counts).
    "No measures" is only possible for an unfounded complaint. New measures get an
    owner (default: the handler; never the person concerned, nor anyone who may not
    see the complaint: `require_measure_owner`) and a date (default: MEASURE_DAYS after the
    verdict); measures already under way (done or checked) are kept on a revision.
    When the quality manager keeps a list of categories, at least one is picked.
    """
    complaint = _lock(actor, reference, Step.RECORD_VERDICT)
    decided_on = decided_on or clock.today()
    _require_date_in_procedure(complaint, decided_on, _("the verdict"))
    if verdict not in Verdict.values:
        raise ProcedureError("verdict_required", _("Choose founded, partly founded or unfounded."))
    reasons = _require_text(reasons, "reasons", _("Give the reasons for the verdict."))
    measure_texts = [m.strip() for m in measures if m and m.strip()]
    if measure_texts and no_measures:
        raise ProcedureError(
            "measures_conflict", _("List measures or tick “no measures”, not both.")
        )
    if not measure_texts and not no_measures:
        raise ProcedureError(
            "measures_required", _("List the measures taken, or tick “no measures”.")
        )
    if no_measures and verdict != Verdict.UNFOUNDED:
        raise ProcedureError(
            "measures_required_founded",
            _("A founded or partly founded complaint needs at least one measure (ISO 9001 10.2)."),
        )
    wanted_categories = {int(pk) for pk in category_ids}
    categories = list(Category.objects.filter(pk__in=wanted_categories, active=True))
    if len(categories) != len(wanted_categories):
        raise ProcedureError("bad_category", _("Choose the categories from the list."))
    if not categories and Category.objects.filter(active=True).exists():
        raise ProcedureError("category_required", _("Choose at least one category."))
    owner = actor
    if complaint.handler is not None and may_see(complaint.handler, complaint):
        owner = complaint.handler
    if measure_owner_id is not None:
        owner = get_user_model().objects.filter(pk=measure_owner_id, is_active=True).first()
        if owner is None:
            raise ProcedureError("bad_owner", _("Choose who carries out the measures."))
    require_measure_owner(complaint, owner)
    due_on = measures_due_on or decided_on + dt.timedelta(days=MEASURE_DAYS)
    if due_on < decided_on:
        raise ProcedureError(
            "measures_due_before_verdict", _("The measures cannot be due before the verdict.")
        )
    complaint.verdict = verdict
    complaint.verdict_reasons = reasons
    complaint.decided_on = decided_on
    complaint.categories.set(categories)
    # A revised verdict replaces the measures, except those already under way:
    # what was done stays on record (ISO 9001 10.2).
    under_way = complaint.measures.filter(Q(done_on__isnull=False) | Q(checked_on__isnull=False))
    kept = set(under_way.values_list("description", flat=True))
    complaint.measures.exclude(pk__in=under_way.values("pk")).delete()
    Measure.objects.bulk_create(
        Measure(complaint=complaint, description=text, owner=owner, due_on=due_on)
        for text in measure_texts
        if text not in kept
    )
    return _commit_step(
        complaint,
        actor=actor,
        step=Step.RECORD_VERDICT,
        text=reasons,
        data={
            "verdict": verdict,
            "measures": measure_texts,
            "categories": [category.name for category in categories],
        },
    )


@implements(Step.SEND_DECISION)
@transaction.atomic(durable=True)
def complaint_send_decision(
    *,
    actor,
    reference: str,
    sent_on: dt.date | None = None,
    sent_earlier: bool = False,
    note: str = "",
) -> Complaint:
    """Send the decision letter now, or record one that already went out (P3.7).

    Two actions, never mixed: sending makes the letter and sends it today (its
    date is the clock's, not typed in); recording a letter sent earlier, outside
    the system, needs its date and how it was sent, and makes no letter. Either
    date lies between the verdict and today, so a back-dated record can never
    place the settlement before the verdict.
    """
    complaint = _lock(actor, reference, Step.SEND_DECISION)
    today = clock.today()
    if sent_earlier and sent_on is None:
        raise ProcedureError("sent_on_required", _("Enter the date the decision letter was sent."))
    sent_on = sent_on or today
    _require_date_in_procedure(complaint, sent_on, _("sending"))
    if complaint.decided_on and sent_on < complaint.decided_on:
        raise ProcedureError(
            "sent_before_verdict", _("The decision cannot be sent before the verdict.")
        )
    if not sent_earlier and sent_on != today:
        raise ProcedureError(
            "sent_now_is_today",
            _("A letter sent now is dated today. To record a letter sent earlier, choose that."),
        )
    note = (note or "").strip()
    if sent_earlier and not note:
        raise ProcedureError(
            "how_sent_required", _("Say how and by whom the decision letter was sent.")
        )
    complaint.settled_on = sent_on
    data: dict[str, Any] = {"sent_on": sent_on.isoformat()}
    if sent_earlier:
        data["sent_earlier"] = True
    # P3.7, P4: the letters app makes the letter, with its outbox row, in this
    # transaction (it refuses without verdict, reasons, measures or "none"); for a
    # letter sent earlier it records the owed letter as sent on that date.
    return _commit_step(
        complaint,
        actor=actor,
        step=Step.SEND_DECISION,
        text=note,
        data=data,
        internal=False,
    )


@implements(Step.CLOSE)
@transaction.atomic(durable=True)
def complaint_close(*, actor, reference: str) -> Complaint:
    complaint = _lock(actor, reference, Step.CLOSE)
    complaint.closed_on = clock.today()
    return _commit_step(complaint, actor=actor, step=Step.CLOSE)


@implements(Step.REOPEN)
@transaction.atomic(durable=True)
def complaint_reopen(*, actor, reference: str, reason: str) -> Complaint:
    complaint = _lock(actor, reference, Step.REOPEN)
    reason = _require_text(reason, "reason", _("Say why the complaint is reopened."))
    complaint.settled_on = None
    complaint.closed_on = None
    # The letters app cancels the answer that ended it (withdrawal confirmation,
    # "not a complaint") and says so in the event (`letters_cancelled`).
    return _commit_step(complaint, actor=actor, step=Step.REOPEN, text=reason)


# --- actions that keep the state -------------------------------------------


@implements(Step.EXTEND)
@transaction.atomic(durable=True)
def complaint_extend(*, actor, reference: str, until: dt.date, reason: str) -> Complaint:
    """P3.8: a longer term, agreed before the current one runs out, told in writing.

    The new date counts once its written notice goes out by the term it
    replaces (the four weeks, or an extension already told in time); until then
    provisionally (`terms.settlement_counted`). A new extension owes a new notice.
    """
    complaint = _lock(actor, reference, Step.EXTEND)
    reason = _require_text(reason, "reason", _("Say why more time is needed."))
    facts = complaint.term_facts
    current = settlement_counted(facts, today=clock.today()).due
    if clock.today() > current:
        raise ProcedureError(
            "term_expired",
            _("The term ended on %(due)s; an extension must be made before the term runs out."),
            due=f"{current:%d-%m-%Y}",
        )
    if until <= current:
        raise ProcedureError(
            "extension_not_later",
            _("The new date must be after the current term (%(due)s)."),
            due=f"{current:%d-%m-%Y}",
        )
    notice_by = settlement_in_writing(facts)
    complaint.extended_until = until
    complaint.extension_notice_due_on = notice_by
    complaint.extension_notice_sent_on = None
    return _commit_step(
        complaint,
        actor=actor,
        step=Step.EXTEND,
        letter_data={"until": until.isoformat(), "reason": reason},
        text=reason,
        data={
            "from": current.isoformat(),
            "until": until.isoformat(),
            "notice_by": notice_by.isoformat(),
        },
    )


def complaint_extension_notice_sent(
    *, complaint_id: int, until: dt.date, sent_on: dt.date, actor=None
) -> None:
    """The written notice of an extension to `until` went out on `sent_on` (P3.8).

    Called by the letters app inside the transaction that records the letter as
    sent (the e-mail taken by the server, or the paper letter posted). The
    notice of the current extension sets `extension_notice_sent_on`; the notice
    of an earlier extension that went out in time still puts that date in
    writing, so it becomes the term the current extension replaces. The stored
    next term follows.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("complaint_extension_notice_sent needs an open transaction")
    complaint = Complaint.objects.select_for_update().filter(pk=complaint_id).first()
    if complaint is None or complaint.extended_until is None:
        return
    replaced = complaint.term_facts.replaced_term
    if until == complaint.extended_until:
        if complaint.extension_notice_sent_on is not None:
            return  # the first notice counts
        complaint.extension_notice_sent_on = sent_on
    elif replaced < until < complaint.extended_until and sent_on <= replaced:
        complaint.extension_notice_due_on = until
    else:
        return
    complaint.refresh_next_due()
    complaint.save(
        update_fields=[
            "extension_notice_sent_on",
            "extension_notice_due_on",
            "next_due_on",
            "updated_at",
        ]
    )
    audit(
        actor=actor,
        action=AuditAction.COMPLAINT_EXTENSION_NOTICE_SENT,
        target=complaint,
        until=until.isoformat(),
        sent_on=sent_on.isoformat(),
        in_time=sent_on <= replaced,
    )


@implements(Step.REASSIGN)
@transaction.atomic(durable=True)
def complaint_reassign(*, actor, reference: str, handler_id: int, reason: str) -> Complaint:
    complaint = _lock(actor, reference, Step.REASSIGN)
    reason = _require_text(reason, "reason", _("Say why the complaint is reassigned."))
    handler = assignable_handlers().filter(pk=handler_id).first()
    if handler is None:
        raise ProcedureError("bad_handler", _("Choose a handler from the list."))
    if handler.pk == complaint.manager_concerned_id:
        raise ProcedureError(
            "handler_concerned",
            _("The complaint is about this person; they cannot handle it (P3.2)."),
        )
    if handler.pk == complaint.handler_id:
        raise ProcedureError("same_handler", _("This person already handles the complaint."))
    previous = complaint.handler_id
    complaint.handler = handler
    return _commit_step(
        complaint,
        actor=actor,
        step=Step.REASSIGN,
        text=reason,
        data={"previous": previous, "handler": handler.pk},
    )


@implements(Step.SET_PERSON_CONCERNED)
@transaction.atomic(durable=True)
def complaint_set_person_concerned(
    *,
    actor,
    reference: str,
    manager_concerned_id: int | None,
    employee_concerned: str,
    clear_manager_concerned: bool = False,
    reason: str = "",
) -> Complaint:
    """Record whom the complaint is about; one about a district manager goes to the board.

    Removing the manager concerned lets that manager see the complaint again
    (P3.2), so it is never what an omitted field means: it takes the explicit
    choice `clear_manager_concerned` and a `reason`, both on the timeline. The
    staff page and the API give the same arguments, so both refuse the same.
    """
    complaint = _lock(actor, reference, Step.SET_PERSON_CONCERNED)
    previous = complaint.manager_concerned
    reason = (reason or "").strip()
    if manager_concerned_id and clear_manager_concerned:
        raise ProcedureError("person_concerned_conflict", PERSON_CONCERNED_CONFLICT)
    data: dict[str, Any] = {}
    manager = None
    if manager_concerned_id and manager_concerned_id == complaint.manager_concerned_id:
        manager = previous  # kept as it is, also when that person has left since
    elif manager_concerned_id:
        manager = _manager_concerned(manager_concerned_id)
    elif previous is not None:
        if not clear_manager_concerned:
            raise ProcedureError(
                "person_concerned_cleared_without_choice", PERSON_CONCERNED_CHOICE_REQUIRED
            )
        if not reason:
            raise ProcedureError(
                "person_concerned_cleared_without_reason", PERSON_CONCERNED_REASON_REQUIRED
            )
        data.update({"cleared": True, "reason": reason})
        if employee_concerned.strip():
            data["employee_concerned"] = employee_concerned.strip()[:200]
    if previous is not None and (manager is None or manager.pk != previous.pk):
        data["previous_manager_concerned"] = previous.pk
    complaint.manager_concerned = manager
    complaint.employee_concerned = employee_concerned.strip()[:200]
    data["manager_concerned"] = manager.pk if manager else None
    # A district manager handling it, or the person concerned, hands it on (P3.2).
    if manager is not None and (
        role_of(complaint.handler) in (None, Role.DISTRICT_MANAGER)
        or complaint.handler_id == manager.pk
    ):
        the_route = route(
            postcode=complaint.postcode,
            manager_concerned=manager,
            organisation=Organisation.current(),
        )
        complaint.handler = the_route.handler
        data.update({"handler": complaint.handler_id, "route": the_route.reason})
    if manager is not None:
        # Nor does the person concerned carry out its measures (P3.2): the open ones go
        # to the handler, or to nobody (the quality manager is reminded of them).
        open_measures = complaint.measures.filter(owner=manager, done_on__isnull=True)
        moved = sorted(open_measures.values_list("pk", flat=True))
        if moved:
            open_measures.update(owner=complaint.handler)
            data["measures_reassigned"] = moved
    return _commit_step(
        complaint,
        actor=actor,
        step=Step.SET_PERSON_CONCERNED,
        text=reason if data.get("cleared") else complaint.employee_concerned,
        data=data,
    )


# The complainant's details a rectification can correct (AVG art. 16), as on the timeline.
RECTIFIABLE = (
    "complainant_type",
    "complainant_name",
    "form_of_address",
    "complainant_organisation",
    "complainant_email",
    "complainant_phone",
    "street_address",
    "postcode",
    "city",
    "is_uwv_client",
)
REROUTE_QUESTION = _(
    "With the new postcode the complaint's district changes from %(old)s to %(new)s. Say "
    "whether the complaint goes to the new district's handler or stays where it is."
)


@implements(Step.RECTIFY)
@transaction.atomic(durable=True)
def complaint_rectify(
    *,
    actor,
    reference: str,
    complainant: ComplainantData,
    reason: str,
    reroute: bool | None = None,
) -> Complaint:
    """Correct the complainant's details (AVG art. 16, issue 14).

    When the new postcode lies in another district, `reroute` must answer the
    question: True routes the complaint afresh (P3.1, P3.2), False keeps district
    and handler. The timeline names the fields corrected, never the old values.
    """
    complaint = _lock(actor, reference, Step.RECTIFY)
    if complaint.anonymised_at is not None:
        raise ProcedureError("anonymised", _("The complaint was anonymised; nothing to correct."))
    reason = _require_text(reason, "reason", _("Say what was wrong."))
    if complainant.complainant_type not in ComplainantType.values:
        raise ProcedureError("bad_complainant_type", _("Choose the type of complainant."))
    name = _require_text(complainant.name, "name", _("Enter the complainant’s name."))
    postcode = ""
    if complainant.postcode.strip():
        postcode = normalise_postcode(complainant.postcode) or ""
        if not postcode:
            raise ProcedureError("bad_postcode", _("Enter a Dutch postcode such as 3741 AB."))
    phone = complainant.phone.strip()
    if phone:
        phone = normalise_phone(phone) or ""
        if not phone:
            raise ProcedureError("bad_phone", _("Enter a phone number such as 035 123 4567."))
    new = {
        "complainant_type": complainant.complainant_type,
        "complainant_name": name,
        "form_of_address": _form_of_address(complainant.form_of_address),
        "complainant_organisation": complainant.organisation.strip(),
        "complainant_email": complainant.email.strip().lower(),
        "complainant_phone": phone,
        "street_address": complainant.street_address.strip(),
        "postcode": postcode,
        "city": complainant.city.strip(),
        "is_uwv_client": complainant.is_uwv_client,
    }
    changed = [name_ for name_ in RECTIFIABLE if getattr(complaint, name_) != new[name_]]
    if not changed:
        raise ProcedureError("nothing_changed", _("Nothing was changed."))
    data: dict[str, Any] = {"corrected": changed}
    if "postcode" in changed:
        organisation = Organisation.current()
        the_route = route(
            postcode=postcode,
            manager_concerned=complaint.manager_concerned,
            organisation=organisation,
        )
        if the_route.district != complaint.district:
            if reroute is None:
                raise ProcedureError(
                    "reroute_question",
                    REROUTE_QUESTION,
                    new=the_route.district.name if the_route.district else _("no district"),
                    old=complaint.district.name if complaint.district else _("no district"),
                )
            data["rerouted"] = bool(reroute)
            if reroute:
                data.update(
                    {
                        "previous_district": complaint.district_id,
                        "district": the_route.district.pk if the_route.district else None,
                        "previous": complaint.handler_id,
                        "handler": the_route.handler.pk if the_route.handler else None,
                        "route": the_route.reason,
                    }
                )
                complaint.district = the_route.district
                complaint.handler = the_route.handler
    for name_, value in new.items():
        setattr(complaint, name_, value)
    return _commit_step(complaint, actor=actor, step=Step.RECTIFY, text=reason, data=data)


@implements(Step.ADD_NOTE)
@transaction.atomic(durable=True)
def complaint_add_note(*, actor, reference: str, text: str) -> Complaint:
    complaint = _lock(actor, reference, Step.ADD_NOTE)
    text = _require_text(text, "text", _("Write the note."))
    return _commit_step(complaint, actor=actor, step=Step.ADD_NOTE, text=text)


@implements(Step.ADD_ATTACHMENT)
@transaction.atomic(durable=True)
def complaint_add_attachment(
    *, actor, reference: str, upload: UploadedFile, description: str = ""
) -> Attachment:
    complaint = _lock(actor, reference, Step.ADD_ATTACHMENT)
    attachment = _store_attachment(complaint, upload, actor=actor, description=description)
    complaint.save(update_fields=["updated_at"])
    audit(
        actor=actor,
        action=AuditAction.COMPLAINT_ATTACHMENT,
        target=complaint,
        attachment=attachment.pk,
        sha256=attachment.sha256,
    )
    return attachment
