"""The procedure as a table: which step may be taken in which state, and where it leads.

Read it next to PROCEDURE.md. Every service looks its step up here before it
changes anything; nothing else decides whether a move is allowed.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from klachtbeheer.core.errors import ProcedureError


class State(models.TextChoices):
    RECEIVED = "received", _("Received")  # P2.3, waiting for triage (P1.2)
    ACCEPTED = "accepted", _("Awaiting contact")  # a complaint; contact within a week (P3.3)
    CONTACTED = "contacted", _("Contacted")  # P3.3 done; withdraw (P3.4) or meet (P3.5)
    MEETING_PLANNED = "meeting_planned", _("Meeting planned")  # P3.5
    ASSESSING = "assessing", _("Being assessed")  # P3.6
    DECIDED = "decided", _("Verdict recorded")  # P3.6, letter to be sent (P3.7)
    DECISION_SENT = "decision_sent", _("Decision sent")  # P3.7: settled
    CLOSED = "closed", _("Closed")
    WITHDRAWN = "withdrawn", _("Withdrawn")  # P3.4: ended after a misunderstanding
    NOT_A_COMPLAINT = "not_a_complaint", _("Not a complaint")  # P1.2


class Step(models.TextChoices):
    ACCEPT = "accept", _("Accept as a complaint")
    REJECT = "reject", _("Not a complaint")
    LOG_CONTACT_ATTEMPT = "contact_attempt", _("Log a contact attempt")
    RECORD_CONTACT = "record_contact", _("Record the contact")
    WITHDRAW = "withdraw", _("Withdrawn after a misunderstanding")
    PLAN_MEETING = "plan_meeting", _("Plan the meeting")
    HOLD_MEETING = "hold_meeting", _("Report on the meeting")
    WAIVE_MEETING = "waive_meeting", _("No meeting")
    RECORD_VERDICT = "record_verdict", _("Record the verdict")
    SEND_DECISION = "send_decision", _("Send the decision")
    CLOSE = "close", _("Close")
    REOPEN = "reopen", _("Reopen")
    EXTEND = "extend", _("Extend the term")
    REASSIGN = "reassign", _("Reassign")
    SET_PERSON_CONCERNED = "person_concerned", _("Person concerned")
    ADD_NOTE = "note", _("Add a note")
    ADD_ATTACHMENT = "attachment", _("Add an attachment")
    RECTIFY = "rectify", _("Correct the complainant's details")


S = State
OPEN_STATES = frozenset(
    {S.RECEIVED, S.ACCEPTED, S.CONTACTED, S.MEETING_PLANNED, S.ASSESSING, S.DECIDED}
)
ENDED_STATES = frozenset({S.CLOSED, S.WITHDRAWN, S.NOT_A_COMPLAINT})
# Settled in the sense of P3.8: the complainant has the outcome.
SETTLED_STATES = frozenset({S.DECISION_SENT, S.CLOSED, S.WITHDRAWN, S.NOT_A_COMPLAINT})

# step → {state it may be taken in: state it leads to}
TRANSITIONS: dict[Step, dict[State, State]] = {
    Step.ACCEPT: {S.RECEIVED: S.ACCEPTED},
    Step.REJECT: {S.RECEIVED: S.NOT_A_COMPLAINT},
    Step.LOG_CONTACT_ATTEMPT: {S.ACCEPTED: S.ACCEPTED},
    Step.RECORD_CONTACT: {S.ACCEPTED: S.CONTACTED},
    Step.WITHDRAW: {S.CONTACTED: S.WITHDRAWN},
    Step.PLAN_MEETING: {S.CONTACTED: S.MEETING_PLANNED, S.MEETING_PLANNED: S.MEETING_PLANNED},
    Step.HOLD_MEETING: {S.MEETING_PLANNED: S.ASSESSING},
    Step.WAIVE_MEETING: {S.CONTACTED: S.ASSESSING, S.MEETING_PLANNED: S.ASSESSING},
    Step.RECORD_VERDICT: {S.ASSESSING: S.DECIDED, S.DECIDED: S.DECIDED},
    Step.SEND_DECISION: {S.DECIDED: S.DECISION_SENT},
    Step.CLOSE: {S.DECISION_SENT: S.CLOSED},
    Step.REOPEN: {
        S.CLOSED: S.ASSESSING,
        S.WITHDRAWN: S.CONTACTED,
        S.NOT_A_COMPLAINT: S.RECEIVED,
    },
    Step.EXTEND: {s: s for s in OPEN_STATES},
    Step.REASSIGN: {s: s for s in OPEN_STATES | {S.DECISION_SENT}},
    Step.SET_PERSON_CONCERNED: {s: s for s in OPEN_STATES},
    Step.ADD_NOTE: {s: s for s in State},
    Step.ADD_ATTACHMENT: {s: s for s in State},
    # AVG art. 16: wrong details are corrected in every state (until anonymised).
    Step.RECTIFY: {s: s for s in State},
}

# The order in which the complaint page offers the steps.
STEP_ORDER: tuple[Step, ...] = tuple(Step)


def next_state(state: str, step: Step) -> State:
    """The state `step` leads to from `state`; ProcedureError when the table has no such move."""
    try:
        return TRANSITIONS[step][State(state)]
    except KeyError:
        raise ProcedureError(
            "step_not_allowed",
            _("“%(step)s” is not possible while the complaint is “%(state)s”."),
            step=Step(step).label,
            state=State(state).label,
        ) from None


def steps_from(state: str) -> list[Step]:
    return [step for step in STEP_ORDER if State(state) in TRANSITIONS[step]]
