"""Taking a step, the same way for the pages and the API.

Both build the step's form (`STEPS[step].form`, the step's one input
definition) from what they received, ask `refusal` why a step is not offered,
and call `run_step` with the form's `service_arguments()`; so the pages and
the API allow and refuse exactly the same things. Importing this module binds
every step's service and form to its registry entry.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from klachtbeheer.complaints import forms, services
from klachtbeheer.complaints.models import Complaint
from klachtbeheer.complaints.registry import STEPS, StepSpec
from klachtbeheer.complaints.selectors import available_steps
from klachtbeheer.complaints.workflow import Step, next_state
from klachtbeheer.core.errors import NotAllowed, ProcedureError

# The modules that bind services and forms to the registry (see complaints.registry).
BINDINGS = (services, forms)


def step_spec(step: Step) -> StepSpec:
    """The registry entry of `step`, with its service and form bound."""
    return STEPS[step]


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
    service = STEPS[step].service
    assert service is not None, f"no service bound to {step}"
    return service(actor=actor, reference=reference, **arguments)
