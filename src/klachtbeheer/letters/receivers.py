"""The letters app's part in each step: what the step registry says a step owes (P3.4-P3.8).

Connected in `LettersConfig.ready`; the complaints app sends its signals inside
the step's transaction, so a letter owed, made or cancelled here commits or
rolls back with the step.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.dispatch import receiver

from klachtbeheer.complaints.models import Complaint, LetterKind
from klachtbeheer.complaints.registry import STEPS
from klachtbeheer.complaints.signals import complaint_registered, step_taken
from klachtbeheer.complaints.workflow import Step
from klachtbeheer.letters.services import (
    decision_letter_issue,
    decision_letter_record,
    letter_owe,
    letters_cancel_answers,
)


@receiver(complaint_registered)
def acknowledgement_owed(
    sender, *, complaint: Complaint, acknowledge: bool, events=None, **kwargs
) -> None:
    if acknowledge:
        letter_owe(complaint, LetterKind.ACKNOWLEDGEMENT, events=events)


@receiver(step_taken)
def letters_for_step(
    sender,
    *,
    step: Step,
    complaint: Complaint,
    actor,
    data: dict[str, Any],
    letter_data: dict[str, Any],
    **kwargs,
) -> dict[str, Any]:
    """Owe, make or cancel the letter of `step`; returns what the step's event adds."""
    if step == Step.REOPEN:
        return {"letters_cancelled": letters_cancel_answers(complaint)}
    if step == Step.SEND_DECISION:
        sent_on = dt.date.fromisoformat(data["sent_on"])
        if data.get("sent_earlier"):
            decision_letter_record(complaint=complaint, sent_on=sent_on)
        else:
            decision_letter_issue(complaint=complaint, actor=actor, sent_on=sent_on)
        return {}
    letter = STEPS[step].letter
    if letter is None:
        return {}
    if (
        letter == LetterKind.DECISION
        and complaint.letters_due.filter(kind=LetterKind.DECISION, sent_on__isnull=True).exists()
    ):
        return {}  # a revised verdict still owes the one decision letter
    letter_owe(complaint, letter, **letter_data)
    return {}
