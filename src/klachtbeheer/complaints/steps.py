"""Each workflow step and the service that takes it: one table for the pages and the API.

`arguments_from_form` turns a step form's cleaned data into the service's
keyword arguments; the API builds the same arguments from its JSON. Both then
call `run_step`, and both ask `refusal` why a step is not offered, so the
pages and the API allow and refuse exactly the same things.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext_lazy as _

from klachtbeheer.complaints import services
from klachtbeheer.complaints.models import Complaint
from klachtbeheer.complaints.selectors import available_steps
from klachtbeheer.complaints.workflow import Step, next_state
from klachtbeheer.core.errors import NotAllowed, ProcedureError

SERVICES: dict[Step, Callable[..., object]] = {
    Step.ACCEPT: services.complaint_accept,
    Step.REJECT: services.complaint_reject,
    Step.LOG_CONTACT_ATTEMPT: services.complaint_log_contact_attempt,
    Step.RECORD_CONTACT: services.complaint_record_contact,
    Step.WITHDRAW: services.complaint_withdraw,
    Step.PLAN_MEETING: services.complaint_plan_meeting,
    Step.HOLD_MEETING: services.complaint_hold_meeting,
    Step.WAIVE_MEETING: services.complaint_waive_meeting,
    Step.RECORD_VERDICT: services.complaint_record_verdict,
    Step.SEND_DECISION: services.complaint_send_decision,
    Step.CLOSE: services.complaint_close,
    Step.REOPEN: services.complaint_reopen,
    Step.EXTEND: services.complaint_extend,
    Step.REASSIGN: services.complaint_reassign,
    Step.SET_PERSON_CONCERNED: services.complaint_set_person_concerned,
    Step.ADD_NOTE: services.complaint_add_note,
    Step.ADD_ATTACHMENT: services.complaint_add_attachment,
}


def _pk(value: Any) -> int | None:
    return value.pk if value is not None else None


# step → cleaned form data → the service's arguments (besides actor and reference)
_FROM_FORM: dict[Step, Callable[[dict[str, Any]], dict[str, Any]]] = {
    Step.ACCEPT: lambda d: {},
    Step.REJECT: lambda d: {"reason": d["reason"]},
    Step.LOG_CONTACT_ATTEMPT: lambda d: {"at": d["at"], "channel": d["channel"], "note": d["note"]},
    Step.RECORD_CONTACT: lambda d: {
        "on": d["on"],
        "channel": d["channel"],
        "summary": d["summary"],
    },
    Step.WITHDRAW: lambda d: {"summary": d["summary"]},
    Step.PLAN_MEETING: lambda d: {"at": d["at"], "location": d["location"]},
    Step.HOLD_MEETING: lambda d: {"held_on": d["held_on"], "report": d["report"]},
    Step.WAIVE_MEETING: lambda d: {"reason": d["reason"]},
    Step.RECORD_VERDICT: lambda d: {
        "verdict": d["verdict"],
        "reasons": d["reasons"],
        "measures": d["measure_list"],
        "no_measures": d["no_measures"],
        "category_ids": [category.pk for category in d.get("categories") or ()],
        "measure_owner_id": _pk(d.get("measure_owner")),
        "measures_due_on": d.get("measures_due_on"),
    },
    Step.SEND_DECISION: lambda d: {"sent_on": d["sent_on"]},
    Step.CLOSE: lambda d: {},
    Step.REOPEN: lambda d: {"reason": d["reason"]},
    Step.EXTEND: lambda d: {"until": d["until"], "reason": d["reason"]},
    Step.REASSIGN: lambda d: {"handler_id": d["handler"].pk, "reason": d["reason"]},
    Step.SET_PERSON_CONCERNED: lambda d: {
        "manager_concerned_id": _pk(d["manager_concerned"]),
        "employee_concerned": d["employee_concerned"],
        "clear_manager_concerned": bool(d.get("clear_manager_concerned")),
        "reason": d.get("reason") or "",
    },
    Step.ADD_NOTE: lambda d: {"text": d["text"]},
    Step.ADD_ATTACHMENT: lambda d: {"upload": d["upload"], "description": d["description"]},
}


def arguments_from_form(step: Step, cleaned_data: dict[str, Any]) -> dict[str, Any]:
    """The service arguments for `step` from its step form's cleaned data."""
    return _FROM_FORM[step](cleaned_data)


def refusal(user, complaint: Complaint, step: Step) -> ProcedureError | None:
    """Why `user` cannot take `step` on `complaint` now, or None when they can."""
    if step in available_steps(user, complaint):
        return None
    try:
        next_state(complaint.state, step)
    except ProcedureError as error:
        return error
    return NotAllowed("quality_manager_only", _("Only the quality manager can take this step."))


def run_step(step: Step, *, actor, reference: str, arguments: dict[str, Any]) -> object:
    """Take `step` through its service (one durable transaction; raises ProcedureError)."""
    return SERVICES[step](actor=actor, reference=reference, **arguments)
