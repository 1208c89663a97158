"""Writes of the register and its analysis: measures followed up, categories, the survey.

Each is one durable transaction that checks access through the same selectors
as the pages, changes the row, and writes its audit row (and, where a complaint
is concerned, its timeline event) in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from klachtbeheer.complaints.models import (
    Category,
    Complaint,
    Effectiveness,
    Event,
    EventKind,
    Measure,
)
from klachtbeheer.complaints.selectors import share_out
from klachtbeheer.complaints.services import require_measure_owner
from klachtbeheer.complaints.workflow import State
from klachtbeheer.core import clock
from klachtbeheer.core.audit import AuditAction, audit
from klachtbeheer.core.errors import NotAllowed, NotFoundOrNoAccess, ProcedureError
from klachtbeheer.organisation.models import Role
from klachtbeheer.organisation.selectors import people, role_of
from klachtbeheer.reporting.models import VERY_UNHAPPY, Satisfaction, SatisfactionResponse
from klachtbeheer.reporting.selectors import (
    measures_overdue,
    measures_visible_to,
    satisfaction_visible_to,
)

logger = logging.getLogger(__name__)

# --- measures (ISO 9001 10.2) ---------------------------------------------------------


@dataclass(frozen=True)
class MeasureProgress:
    """What the measure page records; None/"" leaves nothing recorded."""

    owner_id: int | None
    due_on: dt.date | None
    done_on: dt.date | None = None
    done_note: str = ""
    checked_on: dt.date | None = None
    effectiveness: str = ""
    check_note: str = ""


def measure_owner_candidates():
    """Who can carry out a measure: an active member of staff who may see its complaint.

    The last part is the complaint's (`complaints.services.require_measure_owner`,
    and `complaints.selectors.who_may_see` for the choices a form offers).
    """
    return (
        people().filter(staff_profile__isnull=False).order_by("first_name", "last_name", "username")
    )


@transaction.atomic(durable=True)
def measure_update(*, actor, measure_id: int, progress: MeasureProgress) -> Measure:
    """Record who, by when, done when, and whether it worked; audited and on the timeline."""
    measure = (
        measures_visible_to(actor)
        .select_for_update(of=("self",))
        .select_related("complaint")
        .filter(pk=measure_id)
        .first()
    )
    if measure is None:
        raise NotFoundOrNoAccess("not_found", _("There is no such measure, or you may not see it."))
    today = clock.today()
    if progress.owner_id is None:
        raise ProcedureError("owner_required", _("Choose who carries out the measure."))
    owner = measure_owner_candidates().filter(pk=progress.owner_id).first()
    if owner is None:
        raise ProcedureError("bad_owner", _("Choose who carries out the measure from the list."))
    # Never the person concerned, nor anyone else who may not see the complaint (P3.2, P5.3).
    require_measure_owner(measure.complaint, owner)
    if progress.due_on is None:
        raise ProcedureError("due_required", _("Enter the date by which the measure is done."))
    if progress.done_on is not None:
        if progress.done_on > today:
            raise ProcedureError("done_in_future", _("The date done cannot be in the future."))
        if progress.done_on < measure.complaint.received_on:
            raise ProcedureError(
                "done_before_receipt",
                _("The date done cannot be before the complaint was received."),
            )
    has_check = progress.checked_on is not None or bool(progress.effectiveness)
    if has_check:
        if progress.done_on is None:
            raise ProcedureError(
                "check_before_done",
                _("Record when the measure was done before judging whether it worked."),
            )
        if progress.checked_on is None:
            raise ProcedureError("check_date_required", _("Enter the date of the check."))
        if progress.effectiveness not in Effectiveness.values:
            raise ProcedureError("effectiveness_required", _("Choose whether the measure worked."))
        if progress.checked_on < progress.done_on:
            raise ProcedureError(
                "check_before_done_date",
                _("The check cannot be before the measure was done."),
            )
        if progress.checked_on > today:
            raise ProcedureError(
                "check_in_future", _("The date of the check cannot be in the future.")
            )
        if not progress.check_note.strip():
            raise ProcedureError("check_note_required", _("Say how you checked whether it worked."))

    before = _measure_state(measure)
    measure.owner = owner
    measure.due_on = progress.due_on
    measure.done_on = progress.done_on
    measure.done_note = progress.done_note.strip()
    measure.checked_on = progress.checked_on if has_check else None
    measure.effectiveness = progress.effectiveness if has_check else ""
    measure.check_note = progress.check_note.strip() if has_check else ""
    measure.save()
    after = _measure_state(measure)
    changed = {key: value for key, value in after.items() if before.get(key) != value}
    Event.objects.create(
        complaint=measure.complaint,
        kind=EventKind.MEASURE,
        actor=actor,
        text=measure.description,
        data={"measure": measure.pk, **changed},
    )
    audit(actor=actor, action=AuditAction.MEASURE_UPDATE, target=measure, **changed)
    return measure


def _measure_state(measure: Measure) -> dict[str, object]:
    def iso(day):
        return day.isoformat() if day else None

    return {
        "owner": measure.owner_id,
        "due_on": iso(measure.due_on),
        "done_on": iso(measure.done_on),
        "done_note": measure.done_note,
        "checked_on": iso(measure.checked_on),
        "effectiveness": measure.effectiveness,
        "check_note": measure.check_note,
    }


# A reminder for the same overdue measure is repeated after this many days.
REMIND_EVERY = dt.timedelta(days=7)


def measure_reminder_text(
    owner, measures: list[Measure], *, today: dt.date, unowned: bool = False
) -> tuple[str, str]:
    """Subject and body of the reminder to `owner` about their overdue measures.

    `unowned`: the reminder goes to the quality manager (or the board) because
    nobody who may be reminded carries these measures out.
    """
    name = (owner.get_full_name() or owner.get_username()) if owner else ""
    subject = ngettext(
        "Measure overdue: %(count)d measure from a complaint",
        "Measures overdue: %(count)d measures from complaints",
        len(measures),
    ) % {"count": len(measures)}
    if unowned:
        intro = _(
            "These measures, taken because of a complaint, should have been done by now "
            "(ISO 9001 10.2), and nobody who can be reminded carries them out: nobody was "
            "chosen, or that person may not see the complaint or has no e-mail "
            "address. Choose on the measure page who carries each one out."
        )
    else:
        intro = _(
            "These measures, taken because of a complaint, should have been done by now "
            "(ISO 9001 10.2). Record on the measure page when a measure is done, or agree a "
            "new date with the quality manager."
        )
    lines = [_("Dear %(name)s,") % {"name": name}, "", intro, ""]
    for measure in measures:
        lines.append(
            _("- %(reference)s: %(measure)s (due %(date)s, %(late)s days late)")
            % {
                "reference": measure.complaint.reference,
                "measure": measure.description,
                "date": f"{measure.due_on:%d-%m-%Y}",
                "late": (today - measure.due_on).days,
            }
        )
    return str(subject), "\n".join(str(line) for line in lines)


def measures_remind_overdue(*, today: dt.date, send, fallback: Sequence[Sequence] = ()) -> int:
    """Remind whoever carries out overdue measures, at most once a week per measure.

    Each owner is reminded only of the measures of complaints they may see
    (`measures_visible_to(owner)` in the query): never of a complaint about
    them (P3.2). An overdue measure whose owner cannot be reminded (none chosen,
    inactive, no e-mail address, or not allowed to see the complaint) goes to
    the `fallback` tiers (the daily tick passes the quality managers, then the
    board): to each member who may see it, in the first tier where someone may
    (`complaints.selectors.share_out`), so none is dropped.

    `send(recipient, subject, body, measures, unowned=...)` writes one reminder; the
    daily tick passes its outbox, which stores the message in this same
    transaction, so a reminder is recorded and queued together or not at all.
    Returns how many reminders were written (one per recipient).
    """
    with transaction.atomic():
        due = list(
            measures_overdue(today)
            .select_for_update(of=("self",))
            .exclude(last_reminded_on__gt=today - REMIND_EVERY)
            .values_list("pk", flat=True)
        )
        if not due:
            return 0
        owners = people().filter(measures__pk__in=due).exclude(email="").distinct().order_by("pk")
        reached: set[int] = set()
        written = 0
        for owner in owners:
            mine = measures_visible_to(owner).filter(owner=owner, pk__in=due)
            group = list(mine.select_related("complaint", "owner").order_by("due_on", "id"))
            reached |= {measure.pk for measure in group}
            written += _remind(owner, group, today=today, send=send, unowned=False)
        pairs, nobody = share_out(
            Measure.objects.filter(pk__in=due).exclude(pk__in=reached),
            measures_visible_to,
            fallback,
        )
        for user, rows in pairs:
            group = list(rows.select_related("complaint", "owner").order_by("due_on", "id"))
            written += _remind(user, group, today=today, send=send, unowned=True)
        if fallback and nobody.exists():
            logger.warning(
                "Overdue measures that nobody may be reminded of: %s",
                list(nobody.values_list("pk", flat=True)),
            )
        return written


def _remind(recipient, group: list[Measure], *, today: dt.date, send, unowned: bool) -> int:
    if not group:
        return 0
    subject, body = measure_reminder_text(recipient, group, today=today, unowned=unowned)
    if send(recipient, subject, body, group, unowned=unowned) is None:
        return 0  # already queued today; or no address: tried again the next day
    for measure in group:
        measure.last_reminded_on = today
        audit(
            actor=None,
            action=AuditAction.MEASURE_REMINDER,
            target=measure,
            owner=measure.owner_id,
            to=recipient.pk,
            due_on=measure.due_on.isoformat(),
        )
    Measure.objects.bulk_update(group, ["last_reminded_on"])
    return 1


# --- categories ---------------------------------------------------------------------------


def _require_quality_manager(actor) -> None:
    if role_of(actor) != Role.QUALITY_MANAGER:
        raise NotAllowed(
            "quality_manager_only", _("Only the quality manager keeps the list of categories.")
        )


@transaction.atomic(durable=True)
def category_save(
    *, actor, category_id: int | None, name: str, description: str = "", active: bool = True
) -> Category:
    """Add a category to the list or change one (quality manager only)."""
    _require_quality_manager(actor)
    name = (name or "").strip()
    if not name:
        raise ProcedureError("name_required", _("Enter the name of the category."))
    clash = Category.objects.filter(name__iexact=name)
    if category_id:
        clash = clash.exclude(pk=category_id)
    if clash.exists():
        raise ProcedureError("name_taken", _("There is already a category with this name."))
    if category_id:
        category = Category.objects.select_for_update().filter(pk=category_id).first()
        if category is None:
            raise NotFoundOrNoAccess("not_found", _("There is no such category."))
    else:
        category = Category()
    category.name = name
    category.description = (description or "").strip()
    category.active = active
    category.save()
    audit(
        actor=actor,
        action=AuditAction.CATEGORY_SAVE,
        target=category,
        name=category.name,
        active=category.active,
    )
    return category


# --- satisfaction -------------------------------------------------------------------------

# The complainant may answer after the complaint ended (closed, or withdrawn after
# the conversation), for this long.
SURVEY_STATES = frozenset({State.CLOSED, State.WITHDRAWN})
SURVEY_WINDOW = dt.timedelta(days=90)


def survey_open_for(complaint: Complaint, *, today: dt.date | None = None) -> bool:
    """Whether the complainant may still answer the survey for this complaint."""
    today = today or clock.today()
    if complaint.state not in SURVEY_STATES or complaint.closed_on is None:
        return False
    if today > complaint.closed_on + SURVEY_WINDOW:
        return False
    return not SatisfactionResponse.objects.filter(complaint=complaint).exists()


@transaction.atomic(durable=True)
def satisfaction_record(
    *, complaint_id: int, score: int, felt_heard: bool | None = None, comment: str = ""
) -> SatisfactionResponse:
    """The complainant's answer. A very unhappy one is flagged to the quality manager.

    The caller (the status page) has established that the visitor is the
    complainant; there is no staff actor.
    """
    complaint = Complaint.objects.select_for_update().filter(pk=complaint_id).first()
    if complaint is None:
        raise NotFoundOrNoAccess("not_found", _("There is no such complaint."))
    if SatisfactionResponse.objects.filter(complaint=complaint).exists():
        raise ProcedureError("already_answered", _("You have already answered these questions."))
    if not survey_open_for(complaint):
        raise ProcedureError(
            "survey_closed", _("These questions can no longer be answered for this complaint.")
        )
    if score not in Satisfaction.values:
        raise ProcedureError("score_required", _("Choose how satisfied you are."))
    comment = (comment or "").strip()[:2000]
    flagged = score <= VERY_UNHAPPY
    response = SatisfactionResponse.objects.create(
        complaint=complaint, score=score, felt_heard=felt_heard, comment=comment, flagged=flagged
    )
    Event.objects.create(
        complaint=complaint,
        kind=EventKind.SATISFACTION,
        text=comment,
        data={"score": score, "felt_heard": felt_heard, "flagged": flagged},
    )
    audit(
        actor=None,
        action=(
            AuditAction.SATISFACTION_VERY_UNHAPPY if flagged else AuditAction.SATISFACTION_ANSWER
        ),
        target=complaint,
        score=score,
    )
    return response


@transaction.atomic(durable=True)
def satisfaction_follow_up(*, actor, response_id: int, note: str) -> SatisfactionResponse:
    """The quality manager records what was done about a very unhappy answer."""
    if role_of(actor) != Role.QUALITY_MANAGER:
        raise NotAllowed(
            "quality_manager_only", _("Only the quality manager follows up these answers.")
        )
    response = (
        satisfaction_visible_to(actor)
        .select_for_update(of=("self",))
        .filter(pk=response_id, flagged=True)
        .first()
    )
    if response is None:
        raise NotFoundOrNoAccess("not_found", _("There is no such answer."))
    note = (note or "").strip()
    if not note:
        raise ProcedureError("note_required", _("Say what was done with this answer."))
    response.followed_up_on = clock.today()
    response.followed_up_by = actor
    response.follow_up_note = note
    response.save()
    Event.objects.create(
        complaint=response.complaint,
        kind=EventKind.NOTE,
        actor=actor,
        text=note,
        data={"satisfaction": response.pk},
    )
    audit(actor=actor, action=AuditAction.SATISFACTION_FOLLOW_UP, target=response.complaint)
    return response
