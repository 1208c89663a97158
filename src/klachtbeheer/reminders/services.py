"""The daily tick: reminders before each term, the overdue digest, overdue measures (P3.3, P3.8).

`tick_run` is idempotent (each message has a dedupe key) and runs from the worker
every LETTERS_TICK_SECONDS (`reminders.tasks.periodic_tick`) or as `klachtbeheer tick`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from klachtbeheer.complaints.models import Complaint
from klachtbeheer.complaints.selectors import (
    complaint_terms,
    complaints_visible_to,
    share_out,
    work_calendar,
)
from klachtbeheer.complaints.terms import (
    ComplaintTerms,
    TermState,
    TermStatus,
    WorkCalendar,
    at_risk_from,
)
from klachtbeheer.core import clock
from klachtbeheer.core.models import Beacon
from klachtbeheer.core.storage import sweep_orphans_daily
from klachtbeheer.letters.constants import MessageKind, MessageStatus
from klachtbeheer.letters.content import LETTER_LANGUAGE, dutch_date
from klachtbeheer.letters.models import LetterSettings, OutgoingMessage
from klachtbeheer.letters.selectors import messages_visible_to
from klachtbeheer.letters.services import (
    outbox_queue,
    outbox_wake,
    site_url,
    staff_complaint_url,
)
from klachtbeheer.organisation.models import Organisation, Role
from klachtbeheer.organisation.selectors import people
from klachtbeheer.privacy.services import retention_run
from klachtbeheer.reminders import housekeeping
from klachtbeheer.reporting.aggregates import figures_compact
from klachtbeheer.reporting.services import measures_remind_overdue

RETENTION_BEACON = "retention"
FIGURES_BEACON = "figures_compact"

logger = logging.getLogger(__name__)


def _staff_with(role: str) -> list:
    """Active members of staff in `role` who have an e-mail address, in a stable order."""
    return list(
        people()
        .filter(staff_profile__role=role)
        .exclude(email="")
        .select_related("staff_profile")
        .order_by("pk")
    )


def _quality_managers() -> list:
    return _staff_with(Role.QUALITY_MANAGER)


def recipient_tiers() -> list[list]:
    """Who is told what has no handler to tell: the quality managers, else the board.

    Each is told only what they may see; what no quality manager may see (a
    complaint about the quality manager, P3.2, or none has an address) goes to
    the board members who may (`complaints.selectors.share_out`).
    """
    return [_quality_managers(), _staff_with(Role.BOARD)]


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


@dataclass
class TickReport:
    reminders: int = 0
    digests: int = 0
    skipped_without_address: int = 0
    nobody_to_tell: int = 0  # complaints with a term due that nobody with an address may see
    retention_actions: int = 0  # what the daily retention run did (issue 10)
    cleaned_up: dict[str, int] = field(default_factory=dict)  # rows each clean-up removed

    def as_dict(self) -> dict[str, int]:
        return {
            **self.cleaned_up,
            "retention_actions": self.retention_actions,
            "reminders": self.reminders,
            "digests": self.digests,
            "skipped_without_address": self.skipped_without_address,
            "nobody_to_tell": self.nobody_to_tell,
        }


def _open_terms(complaint, *, calendar, organisation, today):
    """The terms still to be met, by the one rule the complaint page shows (`complaint_terms`)."""
    terms = complaint_terms(complaint, calendar=calendar, organisation=organisation, today=today)
    return terms.open_terms


TERM_NAMES = {
    "contact": gettext_lazy("contact with the complainant"),
    "settle": gettext_lazy("settlement"),
    "notice": gettext_lazy("written notice of the extension"),
}

OPEN = Q(next_due_on__isnull=False)


def reminder_terms(
    terms: ComplaintTerms, *, today: dt.date, calendar: WorkCalendar, working_days: int
) -> Iterator[tuple[str, TermState]]:
    """The terms whose reminder is due today: open, not missed, their last working day
    at most `working_days` working days away (the rule; `reminders_possible` is its
    shortcut in the database)."""
    for name, term in terms.open_terms:
        if term.status == TermStatus.MISSED or today > term.deadline.act_by:
            continue
        if calendar.working_days_between(today, term.deadline.act_by) <= working_days:
            yield name, term


def reminder_window(
    today: dt.date, calendar: WorkCalendar, working_days: int
) -> tuple[dt.date, dt.date]:
    """The dates a term can fall due on for `reminder_terms` to remind of it today.

    Its last working day is today or later and at most `working_days` working days
    away; a term that falls due on the working day after those has that day as its last
    working day, or a later one. So the window ends where the at-risk window does: the
    day before that working day (`terms.at_risk_from`).
    """
    return today, at_risk_from(today, working_days, calendar)


def reminders_possible(today: dt.date, calendar: WorkCalendar, working_days: int) -> Q:
    """The complaints that can have a reminder due today, for the database to find.

    Issue 15: the tick worked out the terms of every open complaint in Python every
    minute (50 s at a million complaints, holding up the acknowledgements). Every open
    term falls due on one of the four stored dates, and none before the stored next
    term, so a complaint with no date in `reminder_window` has nothing to remind of.
    A shortcut, not the rule: `reminder_terms` decides for those it finds, and
    tests/test_reminder_window.py holds the two together on generated complaints.
    """
    start, end = reminder_window(today, calendar, working_days)
    window = (start, end)
    return (
        OPEN
        & Q(next_due_on__lte=end)
        & (
            Q(contact_due_on__range=window)
            | Q(settle_due_on__range=window)
            | Q(extended_until__range=window)
            | Q(extension_notice_due_on__range=window)
        )
    )


@dataclass
class _Context:
    today: dt.date
    calendar: Any
    organisation: Organisation
    letter_settings: LetterSettings
    report: TickReport
    # The reminders already queued of the complaints that can have one: not written
    # out again on each tick only for `outbox_queue` to find them there (issue 15).
    queued: set[str] = field(default_factory=set)


def tick_run(*, now: dt.datetime | None = None) -> TickReport:
    """Reminders before each term, the daily digest, overdue measures: run twice, sent once.

    Every message is built from what its recipient may see: each list of
    complaints comes from `complaints_visible_to(recipient)` in the query.

    - Before a term: the handler, of the complaints they handle and may see; a
      complaint without a handler (triage), or whose handler may not see it
      (left, or lost their role), goes to the quality managers who may see it,
      else to the board members who may (`recipient_tiers`).
    - The daily digest of overdue terms (and e-mail that failed for good): each
      quality manager, of what they may see; what no quality manager may see (a
      complaint about the quality manager) goes to the board members who may.
    - Overdue measures: the owner, of the measures of complaints they may see;
      the rest to the quality managers, else the board, as above
      (`reporting.services.measures_remind_overdue`).
    """
    now = now or clock.now()
    today = timezone.localdate(now)
    context = _Context(
        today=today,
        calendar=work_calendar(),
        organisation=Organisation.current(),
        letter_settings=LetterSettings.current(),
        report=TickReport(),
    )
    report = context.report
    tiers = recipient_tiers()
    with translation.override(LETTER_LANGUAGE):
        _remind_handlers(context, tiers)
        if timezone.localtime(now).hour >= context.letter_settings.digest_hour:
            _send_digests(context, tiers)
        # Overdue measures (ISO 9001 10.2): a weekly reminder to whoever carries them out.
        report.reminders += measures_remind_overdue(
            today=today,
            fallback=tiers,
            send=lambda user, subject, body, measures, unowned: outbox_queue(
                kind=MessageKind.REMINDER,
                to=user.email,
                subject=subject,
                body=body,
                complaint=measures[0].complaint,
                mentions=[measure.complaint for measure in measures],
                dedupe_key=(
                    f"measures{'-unowned' if unowned else ''}:{user.pk}:{today.isoformat()}"
                ),
            ),
        )
    report.retention_actions = _retention_daily(today)
    _figures_compact_daily(today)
    # What other apps keep only for a while (kept API answers, 24 hours).
    report.cleaned_up = housekeeping.run(now)
    if report.reminders or report.digests or OutgoingMessage.objects.due(clock.now()).exists():
        outbox_wake()
    # What a killed process left in the file storage, once a day (core.storage).
    sweep_orphans_daily()
    return report


def _figures_compact_daily(today: dt.date) -> None:
    """The dashboard's aggregates (issue 15): the rows each step appended, added together
    once a day, so they stay the size of the number of distinct keys."""
    if Beacon.objects.filter(key=FIGURES_BEACON, data__day=today.isoformat()).exists():
        return
    rows = figures_compact()
    Beacon.objects.update_or_create(
        key=FIGURES_BEACON,
        defaults={"at": clock.now(), "data": {"day": today.isoformat(), "rows": rows}},
    )


# At most this many records anonymised or removed per tick: a backlog is worked off a
# piece at a time and the outbox (acknowledgements) never waits long behind it (issue 15).
RETENTION_PER_TICK = 100


def _retention_daily(today: dt.date) -> int:
    """The retention job once a day (issue 10): the first tick of each day runs it, and the
    next ticks go on until nothing that day is left (RETENTION_PER_TICK at a time)."""
    if Beacon.objects.filter(key=RETENTION_BEACON, data__day=today.isoformat()).exists():
        return 0
    report = retention_run(as_of=today, limit=RETENTION_PER_TICK)
    if not report.finished:
        return len(report.actions)
    Beacon.objects.update_or_create(
        key=RETENTION_BEACON,
        defaults={"at": clock.now(), "data": {"day": today.isoformat(), **report.counts()}},
    )
    return len(report.actions)


def _remind_handlers(context: _Context, tiers: list[list]) -> None:
    """Reminders before each term: to the handler, else the quality managers, else the board."""
    handlers = (
        get_user_model()
        .objects.filter(handled_complaints__next_due_on__isnull=False)
        .distinct()
        .select_related("staff_profile")
        .order_by("pk")
    )
    possible = reminders_possible(
        context.today, context.calendar, context.letter_settings.reminder_working_days
    )
    context.queued = set(
        OutgoingMessage.objects.filter(
            kind=MessageKind.REMINDER, complaint__in=Complaint.objects.filter(possible).values("pk")
        ).values_list("dedupe_key", flat=True)
    )
    lost: list[int] = []  # complaints whose handler may not see them (normally none)
    for handler in handlers:
        reminded = set()
        for complaint in _by_due(complaints_visible_to(handler).filter(possible, handler=handler)):
            _remind(context, complaint, handler)
            reminded.add(complaint.pk)
        # Theirs that they may not see: what the rule leaves out of the query above.
        theirs = Complaint.objects.filter(possible, handler=handler).values_list("pk", flat=True)
        lost += sorted(set(theirs) - reminded)
    unhandled = Complaint.objects.filter(possible).filter(Q(handler__isnull=True) | Q(pk__in=lost))
    pairs, nobody = share_out(unhandled, complaints_visible_to, tiers)
    for user, complaints in pairs:
        for complaint in _by_due(complaints):
            _remind(context, complaint, user)
    for complaint in _by_due(nobody):
        if any(_reminder_terms(context, complaint)):
            context.report.nobody_to_tell += 1
            logger.warning(
                "Complaint %s: a term is due and nobody with an e-mail address may see it",
                complaint.reference,
            )


def _by_due(complaints):
    return complaints.select_related("handler").order_by("next_due_on", "id")


def _reminder_terms(context: _Context, complaint: Complaint):
    """The terms of `complaint` whose reminder is due today (`reminder_terms`)."""
    terms = complaint_terms(
        complaint, calendar=context.calendar, organisation=context.organisation, today=context.today
    )
    yield from reminder_terms(
        terms,
        today=context.today,
        calendar=context.calendar,
        working_days=context.letter_settings.reminder_working_days,
    )


def _remind(context: _Context, complaint: Complaint, user) -> None:
    for name, term in _reminder_terms(context, complaint):
        if not user.email:
            context.report.skipped_without_address += 1
            continue
        due = term.deadline.due.isoformat()
        key = f"reminder:{complaint.pk}:{name}:{due}:{user.pk}"
        if key in context.queued:
            continue
        with transaction.atomic():
            queued = outbox_queue(
                kind=MessageKind.REMINDER,
                to=user.email,
                subject=_("Reminder: %(term)s for %(reference)s is due on %(date)s")
                % {
                    "term": TERM_NAMES[name],
                    "reference": complaint.reference,
                    "date": dutch_date(term.deadline.act_by, "l j F"),
                },
                body=_reminder_body(complaint, user, name, term),
                complaint=complaint,
                dedupe_key=key,
            )
        context.report.reminders += queued is not None


def _overdue_terms(context: _Context, complaints) -> list[tuple[Complaint, str, Any]]:
    overdue = []
    for complaint in _by_due(complaints):
        for name, term in _open_terms(
            complaint,
            calendar=context.calendar,
            organisation=context.organisation,
            today=context.today,
        ):
            # A notice not sent in time makes the settlement term count from the term it
            # replaced, which the digest lists; the notice is not listed twice (P3.8).
            if term.status == TermStatus.MISSED and name != "notice":
                overdue.append((complaint, name, term))
    return overdue


def _send_digests(context: _Context, tiers: list[list]) -> None:
    """The daily digest: overdue terms and failed e-mail, each recipient what they may see."""
    # A term can only have run out when the earliest open term has passed.
    late = Complaint.objects.filter(OPEN, next_due_on__lt=context.today)
    failed = OutgoingMessage.objects.filter(status=MessageStatus.FAILED)
    complaint_pairs, nobody = share_out(late, complaints_visible_to, tiers)
    message_pairs, _unseen = share_out(failed, messages_visible_to, tiers)
    first_tier = {user.pk for user in tiers[0]}
    for (user, complaints), (_same, messages) in zip(complaint_pairs, message_pairs, strict=True):
        key = f"digest:{context.today.isoformat()}:{user.pk}"
        if OutgoingMessage.objects.filter(dedupe_key=key).exists():
            # Sent today: not worked out again on every tick after the digest hour
            # (issue 15: the overdue terms of every late complaint, in Python).
            continue
        overdue = _overdue_terms(context, complaints)
        failed_messages = list(messages.select_related("complaint").order_by("created_at", "id"))
        if not overdue and not failed_messages:
            continue
        with transaction.atomic():
            queued = outbox_queue(
                kind=MessageKind.DIGEST,
                to=user.email,
                subject=_("Overdue terms on %(date)s: %(count)d")
                % {"date": dutch_date(context.today), "count": len(overdue)},
                body=_digest_body(
                    user, overdue, failed=failed_messages, as_board=user.pk not in first_tier
                ),
                mentions=[complaint for complaint, _name, _term in overdue],
                dedupe_key=key,
            )
        context.report.digests += queued is not None
    missed = _overdue_terms(context, nobody)
    if missed:
        context.report.nobody_to_tell += len({complaint.pk for complaint, *_rest in missed})
        logger.warning(
            "Overdue terms that nobody with an e-mail address may see: %s",
            sorted({complaint.reference for complaint, *_rest in missed}),
        )


def _reminder_body(complaint: Complaint, user, name: str, term) -> str:
    lines = [
        _("Dear %(name)s,") % {"name": _name(user)},
        "",
        _("The term for %(term)s of complaint %(reference)s (%(complainant)s) ends soon.")
        % {
            "term": TERM_NAMES[name],
            "reference": complaint.reference,
            "complainant": complaint.complainant_name,
        },
        "",
        _("Act by: %(date)s (%(words)s).")
        % {"date": dutch_date(term.deadline.act_by, "l j F Y"), "words": term.words},
    ]
    if term.deadline.explanation:
        lines.append(str(term.deadline.explanation))
    if name == "settle":
        lines += [
            "",
            _(
                "If more time is needed, extend the term and send the notice to the "
                "complainant before the term runs out."
            ),
        ]
    if name == "notice":
        lines += [
            "",
            _(
                "The term was extended to %(until)s. That date counts only when the written "
                "notice goes out by %(due)s; otherwise the complaint is late."
            )
            % {
                "until": dutch_date(complaint.extended_until, "l j F Y"),
                "due": dutch_date(term.deadline.due, "l j F Y"),
            },
        ]
    lines += [
        "",
        staff_complaint_url(complaint),
        "",
        _("This is an automatic message from Klachtbeheer."),
    ]
    return "\n".join(str(line) for line in lines) + "\n"


def _digest_body(user, overdue, *, failed: list, as_board: bool = False) -> str:
    lines = [_("Dear %(name)s,") % {"name": _name(user)}, ""]
    if as_board:
        lines += [
            _(
                "You receive this because no quality manager may see these complaints: "
                "they are about the quality manager, or no quality manager has an "
                "e-mail address."
            ),
            "",
        ]
    if failed:
        lines.append(
            _("E-mails that could not be sent, even after every retry: %(count)d.")
            % {"count": len(failed)}
        )
        if as_board:  # the outbox page is the quality manager's: the complaints instead
            lines += [
                f"- {message.complaint.reference}  {staff_complaint_url(message.complaint)}"
                for message in failed
                if message.complaint_id
            ]
        else:
            with translation.override(LETTER_LANGUAGE):
                lines.append(site_url() + reverse("letters:outbox"))
        lines.append("")
    if overdue:
        lines += [_("These terms have run out and the complaint is not settled:"), ""]
    for complaint, name, term in overdue:
        handler = _name(complaint.handler) if complaint.handler else _("nobody (triage)")
        lines.append(
            f"- {complaint.reference} · {TERM_NAMES[name]} · "
            f"{dutch_date(term.deadline.due)} ({term.words}) · {handler}"
        )
        lines.append(f"  {staff_complaint_url(complaint)}")
    lines += ["", _("This is an automatic message from Klachtbeheer.")]
    return "\n".join(str(line) for line in lines) + "\n"
