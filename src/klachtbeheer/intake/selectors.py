"""Reads for the public pages: what the complainant may see, in plain language."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from klachtbeheer.complaints.models import Complaint, Event, EventKind, StatusLink
from klachtbeheer.complaints.selectors import ComplaintTerms, complaint_terms, work_calendar
from klachtbeheer.complaints.status_links import status_link_hash
from klachtbeheer.complaints.workflow import State
from klachtbeheer.core import clock
from klachtbeheer.intake.models import Submission, SubmissionState
from klachtbeheer.letters.selectors import letters_sent_for
from klachtbeheer.organisation.models import Organisation

# How the staff timeline (complaints/detail.html) names the author of a message from the
# complainant; kept here so this app's catalogue carries its Dutch.
COMPLAINANT_ACTOR = pgettext_lazy("timeline actor", "the complainant")

# After the complaint is settled the link keeps working this long, then it expires.
VALID_AFTER_SETTLEMENT = dt.timedelta(days=90)

# What each state means for the complainant (P3), in words they use.
PLAIN_STATE = {
    State.RECEIVED: (
        _("Received"),
        _("We have received your complaint. We are checking who will handle it."),
    ),
    State.ACCEPTED: (
        _("Being handled"),
        _("Your complaint is being handled. The handler will contact you, by phone if possible."),
    ),
    State.CONTACTED: (
        _("Being handled"),
        _("The handler has spoken to you. Next is usually a personal meeting."),
    ),
    State.MEETING_PLANNED: (
        _("Meeting planned"),
        _("A personal meeting about your complaint has been planned."),
    ),
    State.ASSESSING: (
        _("Being assessed"),
        _("The handler is assessing your complaint using all the information."),
    ),
    State.DECIDED: (
        _("Decision being written"),
        _("A decision has been made. You will receive it in a letter."),
    ),
    State.DECISION_SENT: (
        _("Decision sent"),
        _("We have sent you our decision in a letter."),
    ),
    State.CLOSED: (_("Closed"), _("The handling of your complaint has been completed.")),
    State.WITHDRAWN: (
        _("Withdrawn"),
        _("After talking to the handler you withdrew your complaint. The procedure has ended."),
    ),
    State.NOT_A_COMPLAINT: (
        _("Not handled as a complaint"),
        _("We did not handle your message as a complaint. We have written to you why."),
    ),
}


@dataclass(frozen=True)
class StatusView:
    link: StatusLink
    submission: Submission | None
    complaint: Complaint | None
    terms: ComplaintTerms | None
    letters: list
    additions: list[Event]
    valid_until: dt.datetime

    @property
    def held(self) -> bool:
        return (
            self.complaint is None
            and self.submission is not None
            and (self.submission.state == SubmissionState.PENDING)
        )

    @property
    def rejected(self) -> bool:
        return (
            self.complaint is None
            and self.submission is not None
            and (self.submission.state == SubmissionState.REJECTED)
        )

    @property
    def state_title(self) -> str:
        if self.complaint is None:
            return str(_("Being checked") if self.held else _("Not handled as a complaint"))
        return str(PLAIN_STATE[State(self.complaint.state)][0])

    @property
    def state_text(self) -> str:
        if self.complaint is None:
            if self.held:
                return str(
                    _(
                        "We have received your message. Before we register it as a complaint, "
                        "a colleague checks that it was sent by a person and not by a computer "
                        "program. The date of receipt stays the day you sent it."
                    )
                )
            return str(
                _(
                    "We did not register your message as a complaint. If you did send a "
                    "complaint, please send it again or write to us by post."
                )
            )
        return str(PLAIN_STATE[State(self.complaint.state)][1])


def letters_sent(complaint: Complaint) -> list:
    """The letters that went to the complainant, oldest first (the letters app's own read)."""
    return list(letters_sent_for(complaint))


def complainant_additions(complaint: Complaint) -> QuerySet[Event]:
    """What the complainant sent about the complaint (status page or e-mail), oldest first."""
    return complaint.events.filter(kind=EventKind.COMPLAINANT_MESSAGE).order_by("at", "id")


def _valid_until(link: StatusLink, complaint: Complaint | None) -> dt.datetime:
    until = link.expires_at
    if complaint is not None and complaint.settled_on is not None:
        settled_end = dt.datetime.combine(
            complaint.settled_on + VALID_AFTER_SETTLEMENT,
            dt.time.max,
            tzinfo=timezone.get_current_timezone(),
        )
        until = min(until, settled_end)
    return until


def status_for(token: str) -> StatusView | None:
    """What the status page shows for `token`; None when unknown or expired."""
    if not token or len(token) > 100:
        return None
    return status_for_hash(status_link_hash(token))


def status_for_hash(token_hash: str) -> StatusView | None:
    """`status_for` by the token's hash, as the status page keeps it in the session."""
    if not token_hash:
        return None
    link = (
        StatusLink.objects.select_related("submission", "complaint")
        .filter(token_hash=token_hash)
        .first()
    )
    if link is None:
        return None
    submission = getattr(link, "submission", None)
    complaint = link.complaint
    if complaint is None and submission is not None and submission.complaint_id:
        complaint = submission.complaint
    valid_until = _valid_until(link, complaint)
    if valid_until <= clock.now():
        return None
    terms = None
    letters: list = []
    additions: list[Event] = []
    if complaint is not None:
        terms = complaint_terms(
            complaint, calendar=work_calendar(), organisation=Organisation.current()
        )
        letters = letters_sent(complaint)
        additions = list(complainant_additions(complaint))
    return StatusView(
        link=link,
        submission=submission,
        complaint=complaint,
        terms=terms,
        letters=letters,
        additions=additions,
        valid_until=valid_until,
    )


def pending_submissions() -> QuerySet[Submission]:
    return Submission.objects.filter(state=SubmissionState.PENDING).order_by("received_at", "id")


def reviewed_submissions() -> QuerySet[Submission]:
    return (
        Submission.objects.filter(state__in=[SubmissionState.ACCEPTED, SubmissionState.REJECTED])
        .select_related("decided_by", "complaint")
        .order_by("-decided_at", "-id")
    )
