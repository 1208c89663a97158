"""The step registry: every step of the procedure, one entry each.

An entry says what the step is: the timeline event it writes, the letter it
owes the complainant, whether it moves the procedure on (and from which state
it is the obvious next step), and who may take it. `workflow.TRANSITIONS`
stays the one table of moves. Two things are bound to the entry where they are
written: the service that takes the step (`@implements(step)` in
`services.py`) and the form that is its input (`@input_for(step)` in
`forms.py`). The staff pages, the API and its OpenAPI schema, the template
tags, the letters app and the documentation table (`docs/steps.md`) all read
this registry; nothing else lists the steps.

Adding a step: its `Step` member and row in `TRANSITIONS`, one entry here,
its service and its form, and its row in `tests/test_workflow.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils import translation

from klachtbeheer.complaints.models import EventKind, LetterKind
from klachtbeheer.complaints.workflow import TRANSITIONS, State, Step


@dataclass
class StepSpec:
    step: Step
    event: EventKind  # the timeline entry the step writes
    letter: LetterKind | None = None  # what the step owes the complainant in writing
    primary_in: frozenset[State] = frozenset()  # the states where it is the next step
    moves_on: bool = True  # False: a side step (a note, an extension), offered as a link
    quality_manager_only: bool = False
    # Bound by the modules that define them (see the module docstring).
    service: Callable[..., Any] | None = field(default=None, repr=False)
    form: type | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        """The step's name in addresses and in the API: `contact-attempt`."""
        return self.step.value.replace("_", "-")

    @property
    def label(self) -> str:
        return str(self.step.label)


S = State
STEPS: dict[Step, StepSpec] = {
    spec.step: spec
    for spec in (
        StepSpec(Step.ACCEPT, EventKind.ACCEPTED, primary_in=frozenset({S.RECEIVED})),
        StepSpec(Step.REJECT, EventKind.REJECTED, letter=LetterKind.NOT_A_COMPLAINT),
        StepSpec(Step.LOG_CONTACT_ATTEMPT, EventKind.CONTACT_ATTEMPT),
        StepSpec(Step.RECORD_CONTACT, EventKind.CONTACTED, primary_in=frozenset({S.ACCEPTED})),
        StepSpec(Step.WITHDRAW, EventKind.WITHDRAWN, letter=LetterKind.WITHDRAWAL),
        StepSpec(
            Step.PLAN_MEETING,
            EventKind.MEETING_PLANNED,
            letter=LetterKind.MEETING_INVITATION,
            primary_in=frozenset({S.CONTACTED}),
        ),
        StepSpec(
            Step.HOLD_MEETING, EventKind.MEETING_HELD, primary_in=frozenset({S.MEETING_PLANNED})
        ),
        StepSpec(Step.WAIVE_MEETING, EventKind.MEETING_WAIVED),
        StepSpec(
            Step.RECORD_VERDICT,
            EventKind.VERDICT,
            letter=LetterKind.DECISION,
            primary_in=frozenset({S.ASSESSING}),
        ),
        StepSpec(
            Step.SEND_DECISION,
            EventKind.DECISION_SENT,
            letter=LetterKind.DECISION,
            primary_in=frozenset({S.DECIDED}),
        ),
        StepSpec(Step.CLOSE, EventKind.CLOSED, primary_in=frozenset({S.DECISION_SENT})),
        StepSpec(Step.REOPEN, EventKind.REOPENED),
        StepSpec(Step.EXTEND, EventKind.EXTENDED, letter=LetterKind.EXTENSION, moves_on=False),
        StepSpec(Step.REASSIGN, EventKind.REASSIGNED, moves_on=False, quality_manager_only=True),
        StepSpec(Step.SET_PERSON_CONCERNED, EventKind.PERSON_CONCERNED, moves_on=False),
        StepSpec(Step.ADD_NOTE, EventKind.NOTE, moves_on=False),
        StepSpec(Step.ADD_ATTACHMENT, EventKind.ATTACHMENT, moves_on=False),
        StepSpec(Step.RECTIFY, EventKind.RECTIFIED, moves_on=False),
    )
}
BY_NAME: dict[str, StepSpec] = {spec.name: spec for spec in STEPS.values()}


def implements(step: Step) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Bind the service that takes `step` to its entry (used in `services.py`)."""

    def bind(service: Callable[..., Any]) -> Callable[..., Any]:
        STEPS[step].service = service
        return service

    return bind


def input_for(step: Step) -> Callable[[type], type]:
    """Bind a form class as the input of `step` (used in `forms.py`; one form may serve two)."""

    def bind(form_class: type) -> type:
        STEPS[step].form = form_class
        return form_class

    return bind


def primary_step(state: str) -> Step | None:
    """The step that moves a complaint on from `state`, shown as the main button."""
    for spec in STEPS.values():
        if State(state) in spec.primary_in:
            return spec.step
    return None


def registry_table() -> str:
    """The registry as a Markdown table (`docs/steps.md`; a test keeps that file current)."""
    rows = [
        "| step | Dutch | API name | from → to | event | letter owed | kind | who | form "
        "| service |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for spec in STEPS.values():
        with translation.override("nl"):
            dutch = str(spec.step.label)
        with translation.override("en"):
            table = TRANSITIONS[spec.step]
            moves = ", ".join(
                f"{before.value} → {table[before].value}"
                if before != table[before]
                else before.value
                for before in State
                if before in table
            )
            if all(before == after for before, after in TRANSITIONS[spec.step].items()):
                moves = "keeps the state: " + moves
            kind = (
                "next step" if spec.primary_in else ("moves on" if spec.moves_on else "side step")
            )
            rows.append(
                f"| {spec.step.label} | {dutch} | `{spec.name}` | {moves} | `{spec.event.value}` "
                f"| {spec.letter.label if spec.letter else '—'} | {kind} "
                f"| {'quality manager' if spec.quality_manager_only else 'handler'} "
                f"| `{spec.form.__name__ if spec.form else '?'}` "
                f"| `{spec.service.__name__ if spec.service else '?'}` |"
            )
    return "\n".join(rows) + "\n"
