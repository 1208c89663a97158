"""The daily tick: reminders before each term, the overdue digest, overdue measures (P3.3, P3.8).

`tick_run` is idempotent (each message has a dedupe key) and runs from the worker
every LETTERS_TICK_SECONDS (`reminders.tasks.periodic_tick`) or as `klachtbeheer tick`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from klachtbeheer.complaints.models import Complaint
from klachtbeheer.complaints.selectors import complaint_terms, work_calendar
from klachtbeheer.complaints.terms import TermStatus
from klachtbeheer.core import clock
from klachtbeheer.letters.constants import MessageKind, MessageStatus
from klachtbeheer.letters.content import LETTER_LANGUAGE, dutch_date
from klachtbeheer.letters.models import LetterSettings, OutgoingMessage
from klachtbeheer.letters.services import (
    outbox_queue,
    outbox_wake,
    site_url,
    staff_complaint_url,
)
from klachtbeheer.organisation.models import Organisation, Role
from klachtbeheer.reporting.services import measures_remind_overdue


def _quality_managers() -> list:
    return list(
        get_user_model()
        .objects.filter(is_active=True, staff_profile__role=Role.QUALITY_MANAGER)
        .exclude(email="")
        .order_by("pk")
    )


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


@dataclass
class TickReport:
    reminders: int = 0
    digests: int = 0
    skipped_without_address: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "reminders": self.reminders,
            "digests": self.digests,
            "skipped_without_address": self.skipped_without_address,
        }


def _open_terms(complaint, *, calendar, organisation, today):
    """The terms still to be met, by the one rule the complaint page shows (`complaint_terms`)."""
    terms = complaint_terms(complaint, calendar=calendar, organisation=organisation, today=today)
    return terms.open_terms


TERM_NAMES = {
    "contact": gettext_lazy("contact with the complainant (P3.3)"),
    "settle": gettext_lazy("settlement (P3.8)"),
    "notice": gettext_lazy("written notice of the extension (P3.8)"),
}


def tick_run(*, now: dt.datetime | None = None) -> TickReport:
    """Reminders before each term and the daily overdue digest; run twice, sends once."""
    now = now or clock.now()
    today = timezone.localdate(now)
    report = TickReport()
    letter_settings = LetterSettings.current()
    organisation = Organisation.current()
    calendar = work_calendar()
    open_complaints = list(
        Complaint.objects.filter(next_due_on__isnull=False)
        .select_related("handler")
        .order_by("next_due_on", "id")
    )
    overdue: list[tuple[Complaint, str, Any]] = []
    with translation.override(LETTER_LANGUAGE):
        for complaint in open_complaints:
            for name, term in _open_terms(
                complaint, calendar=calendar, organisation=organisation, today=today
            ):
                if term.status == TermStatus.MISSED:
                    # A notice not sent in time makes the settlement term count from the
                    # term it replaced, which the digest lists; the notice is not listed twice.
                    if name != "notice":
                        overdue.append((complaint, name, term))
                    continue
                act_by = term.deadline.act_by
                if today > act_by:
                    continue
                left = calendar.working_days_between(today, act_by)
                if left > letter_settings.reminder_working_days:
                    continue
                recipients = [complaint.handler] if complaint.handler else _quality_managers()
                for user in recipients:
                    if not user.email:
                        report.skipped_without_address += 1
                        continue
                    due = term.deadline.due.isoformat()
                    key = f"reminder:{complaint.pk}:{name}:{due}:{user.pk}"
                    with transaction.atomic():
                        queued = outbox_queue(
                            kind=MessageKind.REMINDER,
                            to=user.email,
                            subject=_("Reminder: %(term)s for %(reference)s is due on %(date)s")
                            % {
                                "term": TERM_NAMES[name],
                                "reference": complaint.reference,
                                "date": dutch_date(act_by, "l j F"),
                            },
                            body=_reminder_body(complaint, user, name, term),
                            complaint=complaint,
                            dedupe_key=key,
                        )
                    report.reminders += queued is not None
        local = timezone.localtime(now)
        failed = OutgoingMessage.objects.filter(status=MessageStatus.FAILED).count()
        if (overdue or failed) and local.hour >= letter_settings.digest_hour:
            for user in _quality_managers():
                with transaction.atomic():
                    queued = outbox_queue(
                        kind=MessageKind.DIGEST,
                        to=user.email,
                        subject=_("Overdue terms on %(date)s: %(count)d")
                        % {"date": dutch_date(today), "count": len(overdue)},
                        body=_digest_body(user, overdue, failed=failed),
                        dedupe_key=f"digest:{today.isoformat()}:{user.pk}",
                    )
                report.digests += queued is not None
        # Overdue measures (ISO 9001 10.2): a weekly reminder to whoever carries them out.
        report.reminders += measures_remind_overdue(
            today=today,
            send=lambda owner, subject, body, measures: (
                outbox_queue(
                    kind=MessageKind.REMINDER,
                    to=owner.email,
                    subject=subject,
                    body=body,
                    complaint=measures[0].complaint,
                    dedupe_key=f"measures:{owner.pk}:{today.isoformat()}",
                )
                if owner is not None and owner.email
                else None
            ),
        )
    if report.reminders or report.digests or OutgoingMessage.objects.due(clock.now()).exists():
        outbox_wake()
    return report


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
                "complainant before the term runs out (P3.8)."
            ),
        ]
    if name == "notice":
        lines += [
            "",
            _(
                "The term was extended to %(until)s. That date counts only when the written "
                "notice goes out by %(due)s; otherwise the complaint is late (P3.8)."
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


def _digest_body(user, overdue, *, failed: int) -> str:
    lines = [_("Dear %(name)s,") % {"name": _name(user)}, ""]
    if failed:
        with translation.override(LETTER_LANGUAGE):
            outbox = site_url() + reverse("letters:outbox")
        lines += [
            _("E-mails that could not be sent, even after every retry: %(count)d.")
            % {"count": failed},
            outbox,
            "",
        ]
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
