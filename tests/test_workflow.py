"""The workflow table (P3.3-P3.8): every allowed and every refused move, through the services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.forms.models import model_to_dict
from django.utils import timezone

from klachtbeheer.complaints.models import (
    Attachment,
    Complaint,
    Event,
    EventKind,
    LetterKind,
    Measure,
    Verdict,
)
from klachtbeheer.complaints.workflow import (
    ENDED_STATES,
    OPEN_STATES,
    TRANSITIONS,
    State,
    Step,
    next_state,
    steps_from,
)
from klachtbeheer.core.errors import NotAllowed, NotFoundOrNoAccess, ProcedureError
from klachtbeheer.core.models import AuditEntry
from klachtbeheer.letters.models import LetterDue
from tests.conftest import PC_NOWHERE
from tests.factories import PATH_TO, ComplaintFactory, send_extension_notice, take_step, today

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

EVENT_OF_STEP = {
    Step.ACCEPT: EventKind.ACCEPTED,
    Step.REJECT: EventKind.REJECTED,
    Step.LOG_CONTACT_ATTEMPT: EventKind.CONTACT_ATTEMPT,
    Step.RECORD_CONTACT: EventKind.CONTACTED,
    Step.WITHDRAW: EventKind.WITHDRAWN,
    Step.PLAN_MEETING: EventKind.MEETING_PLANNED,
    Step.HOLD_MEETING: EventKind.MEETING_HELD,
    Step.WAIVE_MEETING: EventKind.MEETING_WAIVED,
    Step.RECORD_VERDICT: EventKind.VERDICT,
    Step.SEND_DECISION: EventKind.DECISION_SENT,
    Step.CLOSE: EventKind.CLOSED,
    Step.REOPEN: EventKind.REOPENED,
    Step.EXTEND: EventKind.EXTENDED,
    Step.REASSIGN: EventKind.REASSIGNED,
    Step.SET_PERSON_CONCERNED: EventKind.PERSON_CONCERNED,
    Step.ADD_NOTE: EventKind.NOTE,
    Step.ADD_ATTACHMENT: EventKind.ATTACHMENT,
    Step.RECTIFY: EventKind.RECTIFIED,
}

# Letters the procedure owes the complainant after a step (P3.4, P3.5, P3.7, P3.8, P1.2).
LETTER_OF_STEP = {
    Step.REJECT: LetterKind.NOT_A_COMPLAINT,
    Step.WITHDRAW: LetterKind.WITHDRAWAL,
    Step.PLAN_MEETING: LetterKind.MEETING_INVITATION,
    Step.RECORD_VERDICT: LetterKind.DECISION,
    Step.EXTEND: LetterKind.EXTENSION,
}

ALLOWED = [(step, state) for step in Step for state in State if state in TRANSITIONS[step]]
REFUSED = [(step, state) for step in Step for state in State if state not in TRANSITIONS[step]]


def _pair_id(pair) -> str:
    step, state = pair
    return f"{step.value}@{state.value}"


def _snapshot(complaint: Complaint) -> dict:
    """Everything a step could change, to prove a refused step changed nothing."""
    fresh = Complaint.objects.get(pk=complaint.pk)
    return {
        "complaint": model_to_dict(fresh) | {"updated_at": fresh.updated_at},
        "events": list(Event.objects.filter(complaint=fresh).values_list("pk", flat=True)),
        "audit": AuditEntry.objects.count(),
        "letters": list(LetterDue.objects.filter(complaint=fresh).values_list("pk", "sent_on")),
        "measures": list(Measure.objects.filter(complaint=fresh).values_list("pk", flat=True)),
        "attachments": Attachment.objects.filter(complaint=fresh).count(),
    }


def test_the_table_covers_every_step_and_every_state_is_reachable():
    assert set(TRANSITIONS) == set(Step)
    assert set(PATH_TO) == set(State)
    # Every target is a state, and every state but "received" is the target of some move.
    targets = {target for moves in TRANSITIONS.values() for target in moves.values()}
    assert targets <= set(State)
    assert targets >= set(State) - {State.RECEIVED}
    assert len(ALLOWED) + len(REFUSED) == len(Step) * len(State)


def test_ended_states_offer_only_reopen_note_attachment_and_rectification():
    for state in ENDED_STATES:
        assert set(steps_from(state)) == {
            Step.REOPEN,
            Step.ADD_NOTE,
            Step.ADD_ATTACHMENT,
            Step.RECTIFY,
        }
    for state in OPEN_STATES:
        assert Step.REOPEN not in steps_from(state)


@pytest.mark.parametrize(("step", "state"), ALLOWED, ids=[_pair_id(p) for p in ALLOWED])
def test_allowed_move(world, step, state):
    complaint = ComplaintFactory(state=state)
    before = _snapshot(complaint)
    audit_ids = set(AuditEntry.objects.values_list("pk", flat=True))
    letters_before = set(LetterDue.objects.values_list("pk", flat=True))

    after = take_step(step, complaint, actor=world.qm)

    assert after.state == TRANSITIONS[step][state]
    assert after.state == next_state(state, step)

    new_events = Event.objects.filter(complaint=after).exclude(pk__in=before["events"])
    kinds = list(new_events.values_list("kind", flat=True))
    assert kinds.count(EVENT_OF_STEP[step]) == 1, kinds
    new_letters = LetterDue.objects.exclude(pk__in=letters_before)
    # Besides the step's own event, only "letter owed" entries, one per letter owed.
    others = [kind for kind in kinds if kind != EVENT_OF_STEP[step]]
    assert others == [EventKind.LETTER_OWED] * new_letters.count()
    expected_letter = LETTER_OF_STEP.get(step)
    if expected_letter and not (step == Step.RECORD_VERDICT and state == State.DECIDED):
        assert list(new_letters.values_list("kind", flat=True)) == [expected_letter]
    else:
        assert not new_letters.exists()

    new_audit = AuditEntry.objects.exclude(pk__in=audit_ids)
    assert new_audit.count() == 1
    entry = new_audit.get()
    assert entry.action == f"complaint.{step.value}"
    assert entry.target_type == "complaints.complaint"
    assert entry.target_id == str(after.pk)
    assert entry.actor == world.qm
    if after.state != state:
        assert entry.data["from"] == state
        assert entry.data["to"] == after.state


@pytest.mark.parametrize(("step", "state"), REFUSED, ids=[_pair_id(p) for p in REFUSED])
def test_refused_move(world, step, state):
    complaint = ComplaintFactory(state=state)
    before = _snapshot(complaint)

    with pytest.raises(ProcedureError) as refused:
        take_step(step, complaint, actor=world.qm)

    assert refused.value.code == "step_not_allowed"
    assert type(refused.value) is ProcedureError
    assert str(refused.value)  # a message for people
    assert _snapshot(complaint) == before


def test_next_state_refuses_what_the_table_does_not_have():
    with pytest.raises(ProcedureError) as refused:
        next_state(State.CLOSED, Step.ACCEPT)
    assert refused.value.code == "step_not_allowed"
    assert "Closed" in str(refused.value)


def test_the_handler_walks_the_whole_procedure(world):
    """The district manager who handles it can take every step but reassign."""
    complaint = ComplaintFactory(walker=world.dm_north, state=State.CLOSED)
    assert complaint.handler == world.dm_north
    assert complaint.settled_on == today()
    assert complaint.closed_on == today()
    assert complaint.next_due_on is None
    kinds = set(Event.objects.filter(complaint=complaint).values_list("kind", flat=True))
    assert {EventKind.RECEIVED, EventKind.ROUTED, EventKind.CLOSED} <= kinds
    assert all(
        entry.actor in (None, world.dm_north)
        for entry in AuditEntry.objects.filter(target_id=str(complaint.pk))
    )


def test_reopen_after_closing_clears_the_settlement(world):
    complaint = ComplaintFactory(closed=True)
    complaint = take_step(Step.REOPEN, complaint, actor=world.qm)
    assert complaint.state == State.ASSESSING
    assert complaint.settled_on is None
    assert complaint.closed_on is None
    assert complaint.next_due_on == complaint.settle_due_effective
    # A new verdict owes a new decision letter; the old one stays sent.
    complaint = take_step(Step.RECORD_VERDICT, complaint, actor=world.qm)
    decision_letters = LetterDue.objects.filter(complaint=complaint, kind=LetterKind.DECISION)
    assert decision_letters.count() == 2
    assert decision_letters.filter(sent_on__isnull=True).count() == 1


def test_next_term_follows_the_procedure(world):
    complaint = ComplaintFactory()
    assert complaint.next_due_on == complaint.contact_due_on
    complaint = take_step(Step.ACCEPT, complaint, actor=world.qm)
    assert complaint.next_due_on == complaint.contact_due_on
    complaint = take_step(Step.RECORD_CONTACT, complaint, actor=world.qm)
    assert complaint.next_due_on == complaint.settle_due_on
    complaint = take_step(Step.EXTEND, complaint, actor=world.qm)
    # First due now: the written notice of the extension, by the term it replaces (P3.8).
    assert complaint.next_due_on == complaint.settle_due_on
    complaint = send_extension_notice(complaint, actor=world.qm)
    assert complaint.next_due_on == complaint.extended_until
    rejected = ComplaintFactory(not_a_complaint=True)
    assert rejected.next_due_on is None


# --- preconditions --------------------------------------------------------------


def _refused(code: str, step: Step, complaint: Complaint, *, actor, **kwargs) -> ProcedureError:
    before = _snapshot(complaint)
    with pytest.raises(ProcedureError) as refused:
        take_step(step, complaint, actor=actor, **kwargs)
    assert refused.value.code == code, refused.value
    assert _snapshot(complaint) == before
    return refused.value


def test_accept_needs_a_handler(world):
    triage = ComplaintFactory(postcode=PC_NOWHERE)
    assert triage.handler is None
    _refused("no_handler", Step.ACCEPT, triage, actor=world.qm)
    # After the quality manager assigns it, it can be accepted.
    triage = take_step(Step.REASSIGN, triage, actor=world.qm, handler_id=world.dm_south.pk)
    assert take_step(Step.ACCEPT, triage, actor=world.qm).state == State.ACCEPTED


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"reasons": ""}, "reasons_required"),
        ({"reasons": "   "}, "reasons_required"),
        ({"measures": []}, "measures_required"),
        ({"measures": ["", "  "]}, "measures_required"),
        ({"measures": ["Excuses"], "no_measures": True}, "measures_conflict"),
        ({"verdict": ""}, "verdict_required"),
        ({"verdict": "maybe"}, "verdict_required"),
    ],
)
def test_verdict_needs_reasons_and_measures(world, kwargs, code):
    complaint = ComplaintFactory(assessing=True)
    _refused(code, Step.RECORD_VERDICT, complaint, actor=world.qm, **kwargs)


def test_verdict_without_measures_when_ticked(world):
    complaint = ComplaintFactory(assessing=True)
    complaint = take_step(
        Step.RECORD_VERDICT,
        complaint,
        actor=world.qm,
        verdict=Verdict.UNFOUNDED,
        measures=[],
        no_measures=True,
    )
    assert complaint.state == State.DECIDED
    assert complaint.verdict == Verdict.UNFOUNDED
    assert not complaint.measures.exists()


def test_verdict_replaces_the_measures(world):
    complaint = ComplaintFactory(decided=True)
    complaint = take_step(
        Step.RECORD_VERDICT, complaint, actor=world.qm, measures=["Training", "Excuses"]
    )
    assert list(complaint.measures.values_list("description", flat=True)) == [
        "Training",
        "Excuses",
    ]


def test_extension_after_the_term_is_refused(world):
    old = today() - dt.timedelta(days=40)
    complaint = ComplaintFactory(received_on=old, walker=world.qm)
    complaint = take_step(Step.ACCEPT, complaint, actor=world.qm)
    complaint = take_step(Step.RECORD_CONTACT, complaint, actor=world.qm, on=old)
    assert complaint.settle_due_effective < today()
    _refused("term_expired", Step.EXTEND, complaint, actor=world.qm)


def test_extension_on_the_last_day_is_allowed(world):
    complaint = ComplaintFactory(received_on=today() - dt.timedelta(days=28), contacted=True)
    assert complaint.settle_due_effective == today()
    until = today() + dt.timedelta(days=10)
    complaint = take_step(Step.EXTEND, complaint, actor=world.qm, until=until)
    assert complaint.extended_until == until
    assert complaint.settle_due_effective == until
    letter = LetterDue.objects.get(complaint=complaint, kind=LetterKind.EXTENSION)
    assert letter.sent_on is None
    assert letter.data["until"] == until.isoformat()


@pytest.mark.parametrize("offset", [0, -1, -20])
def test_extension_must_be_later_than_the_current_term(world, offset):
    complaint = ComplaintFactory(contacted=True)
    until = complaint.settle_due_effective + dt.timedelta(days=offset)
    _refused("extension_not_later", Step.EXTEND, complaint, actor=world.qm, until=until)


def test_a_second_extension_runs_from_the_first(world):
    complaint = ComplaintFactory(contacted=True)
    first = complaint.settle_due_on + dt.timedelta(days=14)
    complaint = take_step(Step.EXTEND, complaint, actor=world.qm, until=first)
    _refused(
        "extension_not_later",
        Step.EXTEND,
        complaint,
        actor=world.qm,
        until=first - dt.timedelta(days=1),
    )
    complaint = take_step(Step.EXTEND, complaint, actor=world.qm, until=first + dt.timedelta(7))
    assert complaint.settle_due_effective == first + dt.timedelta(7)
    assert complaint.settle_due_on == complaint.received_on + dt.timedelta(days=28)


def test_extension_needs_a_reason(world):
    complaint = ComplaintFactory(contacted=True)
    _refused("reason_required", Step.EXTEND, complaint, actor=world.qm, reason=" ")


@pytest.mark.parametrize("who", ["dm_north", "board", "staff"])
def test_reassign_only_by_the_quality_manager(world, who):
    complaint = ComplaintFactory(accepted=True)
    actor = getattr(world, who)
    before = _snapshot(complaint)
    expected = NotFoundOrNoAccess if who == "staff" else NotAllowed
    with pytest.raises(expected) as refused:
        take_step(Step.REASSIGN, complaint, actor=actor, handler_id=world.dm_south.pk)
    if expected is NotAllowed:
        assert refused.value.code == "quality_manager_only"
    assert _snapshot(complaint) == before


def test_reassign_by_the_quality_manager(world):
    complaint = ComplaintFactory(accepted=True)
    complaint = take_step(Step.REASSIGN, complaint, actor=world.qm, handler_id=world.dm_south.pk)
    assert complaint.handler == world.dm_south
    event = Event.objects.get(complaint=complaint, kind=EventKind.REASSIGNED)
    assert event.data == {"previous": world.dm_north.pk, "handler": world.dm_south.pk}
    assert event.text == "Werkverdeling."


def test_reassign_to_the_person_concerned_is_refused(world):
    complaint = ComplaintFactory(manager_concerned=world.dm_north)
    assert complaint.handler == world.board
    _refused(
        "handler_concerned", Step.REASSIGN, complaint, actor=world.qm, handler_id=world.dm_north.pk
    )


def test_reassign_needs_an_assignable_handler_and_a_reason(world, user_without_profile):
    complaint = ComplaintFactory(accepted=True)
    for handler in (world.staff, user_without_profile):
        _refused("bad_handler", Step.REASSIGN, complaint, actor=world.qm, handler_id=handler.pk)
    _refused("same_handler", Step.REASSIGN, complaint, actor=world.qm, handler_id=world.dm_north.pk)
    _refused(
        "reason_required",
        Step.REASSIGN,
        complaint,
        actor=world.qm,
        handler_id=world.dm_south.pk,
        reason="",
    )


def test_reassign_to_an_inactive_user_is_refused(world):
    complaint = ComplaintFactory(accepted=True)
    world.dm_south.is_active = False
    world.dm_south.save()
    _refused("bad_handler", Step.REASSIGN, complaint, actor=world.qm, handler_id=world.dm_south.pk)


TOMORROW = object()
BEFORE_RECEIPT = object()


def _day(which) -> dt.date:
    received = today() - dt.timedelta(days=3)
    return today() + dt.timedelta(days=1) if which is TOMORROW else received - dt.timedelta(1)


def _moment(which) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(_day(which), dt.time(10, 0)))


@pytest.mark.parametrize(
    ("state", "step", "field", "as_moment"),
    [
        (State.ACCEPTED, Step.RECORD_CONTACT, "on", False),
        (State.ACCEPTED, Step.LOG_CONTACT_ATTEMPT, "at", True),
        (State.MEETING_PLANNED, Step.HOLD_MEETING, "held_on", False),
        (State.DECIDED, Step.SEND_DECISION, "sent_on", False),
        (State.ASSESSING, Step.RECORD_VERDICT, "decided_on", False),
    ],
)
@pytest.mark.parametrize(
    ("which", "code"),
    [(TOMORROW, "date_in_future"), (BEFORE_RECEIPT, "date_before_receipt")],
    ids=["future", "before-receipt"],
)
def test_dates_must_lie_between_receipt_and_today(
    world, state, step, field, as_moment, which, code
):
    complaint = ComplaintFactory(state=state)
    value = _moment(which) if as_moment else _day(which)
    _refused(code, step, complaint, actor=world.qm, **{field: value})


def test_meeting_cannot_be_planned_before_receipt(world):
    complaint = ComplaintFactory(contacted=True)
    _refused(
        "date_before_receipt",
        Step.PLAN_MEETING,
        complaint,
        actor=world.qm,
        at=_moment(BEFORE_RECEIPT),
    )


def test_decision_cannot_be_sent_before_the_verdict(world):
    complaint = ComplaintFactory(assessing=True)
    complaint = take_step(Step.RECORD_VERDICT, complaint, actor=world.qm, decided_on=today())
    _refused(
        "sent_before_verdict",
        Step.SEND_DECISION,
        complaint,
        actor=world.qm,
        sent_on=today() - dt.timedelta(days=1),
    )


def test_receipt_cannot_be_in_the_future(world):
    from klachtbeheer.complaints.models import Complaint as ComplaintModel

    with pytest.raises(ProcedureError) as refused:
        ComplaintFactory(received_on=today() + dt.timedelta(days=1))
    assert refused.value.code == "received_in_future"
    assert not ComplaintModel.objects.exists()
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"postcode": "1234"}, "bad_postcode"),
        ({"postcode": "0123 AB"}, "bad_postcode"),
        ({"postcode": "1234 SS"}, "bad_postcode"),
        ({"name": "  "}, "name_required"),
        ({"substantiation": ""}, "substantiation_required"),
        ({"channel": "fax"}, "bad_channel"),
    ],
)
def test_registration_is_checked(world, kwargs, code):
    with pytest.raises(ProcedureError) as refused:
        ComplaintFactory(**kwargs)
    assert refused.value.code == code
    assert not Complaint.objects.exists()


def test_registration_writes_timeline_audit_and_acknowledgement(world):
    complaint = ComplaintFactory(actor=world.qm, postcode="3741ab")
    assert complaint.postcode == "3741 AB"
    assert complaint.state == State.RECEIVED
    assert complaint.contact_due_on == complaint.received_on + dt.timedelta(days=7)
    assert complaint.settle_due_on == complaint.received_on + dt.timedelta(days=28)
    kinds = list(
        Event.objects.filter(complaint=complaint).order_by("pk").values_list("kind", flat=True)
    )
    assert kinds == [EventKind.RECEIVED, EventKind.ROUTED, EventKind.LETTER_OWED]
    assert LetterDue.objects.get(complaint=complaint).kind == LetterKind.ACKNOWLEDGEMENT
    entry = AuditEntry.objects.get(target_id=str(complaint.pk))
    assert entry.action == "complaint.register"
    assert entry.actor == world.qm
    assert entry.data["reference"] == complaint.reference


def test_terms_come_from_the_organisation(world):
    world.organisation.contact_term_days = 5
    world.organisation.settle_term_days = 42
    world.organisation.save()
    complaint = ComplaintFactory()
    assert complaint.contact_due_on == complaint.received_on + dt.timedelta(days=5)
    assert complaint.settle_due_on == complaint.received_on + dt.timedelta(days=42)


def test_steps_on_a_complaint_one_cannot_see_are_not_found(world):
    complaint = ComplaintFactory(accepted=True)  # district North
    before = _snapshot(complaint)
    for actor in (world.dm_south, world.staff):
        with pytest.raises(NotFoundOrNoAccess):
            take_step(Step.RECORD_CONTACT, complaint, actor=actor)
    assert _snapshot(complaint) == before


@pytest.mark.parametrize(
    ("received", "instant", "code"),
    [
        # 00:30 on the day summer time starts (CET, UTC+1): the day of receipt itself.
        (dt.date(2026, 3, 29), dt.datetime(2026, 3, 28, 23, 30, tzinfo=dt.UTC), None),
        # 23:30 local the evening before: before receipt, although the same UTC date.
        (
            dt.date(2026, 3, 29),
            dt.datetime(2026, 3, 28, 22, 30, tzinfo=dt.UTC),
            "date_before_receipt",
        ),
        # 00:30 on the day summer time ends (CEST, UTC+2).
        (dt.date(2026, 10, 25), dt.datetime(2026, 10, 24, 22, 30, tzinfo=dt.UTC), None),
        (
            dt.date(2026, 10, 25),
            dt.datetime(2026, 10, 24, 21, 30, tzinfo=dt.UTC),
            "date_before_receipt",
        ),
    ],
)
def test_moments_are_judged_by_their_local_date(world, received, instant, code):
    complaint = ComplaintFactory(received_on=received, accepted=True)
    if code is None:
        complaint = take_step(Step.LOG_CONTACT_ATTEMPT, complaint, actor=world.qm, at=instant)
        assert complaint.state == State.ACCEPTED
    else:
        _refused(code, Step.LOG_CONTACT_ATTEMPT, complaint, actor=world.qm, at=instant)
    meeting = ComplaintFactory(received_on=received, contacted=True)
    if code is None:
        meeting = take_step(Step.PLAN_MEETING, meeting, actor=world.qm, at=instant)
        assert meeting.meeting_at == instant
    else:
        _refused(code, Step.PLAN_MEETING, meeting, actor=world.qm, at=instant)


@pytest.mark.parametrize(
    ("ended", "letter"),
    [("not_a_complaint", LetterKind.NOT_A_COMPLAINT), ("withdrawn", LetterKind.WITHDRAWAL)],
)
def test_reopening_cancels_the_answer_that_ended_it(world, ended, letter):
    complaint = ComplaintFactory(state=State(ended))
    owed = LetterDue.objects.get(complaint=complaint, kind=letter)
    assert owed.sent_on is None and owed.cancelled_on is None
    take_step(Step.REOPEN, complaint, actor=world.qm)
    owed.refresh_from_db()
    assert owed.cancelled_on == today()
    assert owed.sent_on is None


def test_register_refuses_a_person_concerned_who_is_not_a_manager(world):
    with pytest.raises(ProcedureError) as error:
        ComplaintFactory(manager_concerned=world.staff)
    assert error.value.code == "bad_manager"


def test_a_meeting_cannot_be_recorded_before_its_planned_date_without_a_word(world):
    """Issue 14.5: planned for a later day, held earlier only when it was moved earlier."""
    complaint = ComplaintFactory(state=State.MEETING_PLANNED)
    _refused("held_before_planned", Step.HOLD_MEETING, complaint, actor=world.qm,
             held_on=today(), moved_earlier=False)  # fmt: skip
    complaint = take_step(Step.HOLD_MEETING, complaint, actor=world.qm, moved_earlier=True)
    event = complaint.events.get(kind="meeting_held")
    assert event.data["planned_for"] > event.data["on"]
