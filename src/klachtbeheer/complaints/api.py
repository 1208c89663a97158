"""The staff's complaints in the JSON API: the work list, one complaint, its timeline, its steps.

A ninja Router, mounted by the project API (`klachtbeheer.api`), which also
authenticates (a handler's personal token) and turns every exception into
JSON. Through the same doors as the pages: `complaints_visible_to` (via the
selectors) decides what a token sees, `steps.refusal` what it may do, each
step's input is the step's page form (its JSON schema derived from the form
by `core.form_schema`), and `steps.run_step` takes it.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, ClassVar, Literal

from django import forms
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Path, Query, Router, Schema, Status
from ninja.errors import ValidationError
from pydantic import BeforeValidator, StrictBool, StrictInt, WithJsonSchema

from klachtbeheer.complaints import steps as step_table
from klachtbeheer.complaints.models import (
    Channel,
    ComplainantType,
    Complaint,
    Event,
    EventKind,
    LetterKind,
    Verdict,
)
from klachtbeheer.complaints.registry import STEPS
from klachtbeheer.complaints.selectors import (
    WORK_LIST_ORDER_FEW,
    CappedPaginator,
    SearchTooSlow,
    WorkListFilters,
    available_steps,
    bounded_search,
    complaint_for,
    complaint_terms,
    log_list_view,
    work_calendar,
    work_list,
)
from klachtbeheer.complaints.terms import TermState, TermStatus
from klachtbeheer.complaints.workflow import State, Step
from klachtbeheer.core.api import ERRORS, MAX_ID, REFERENCE_PATTERN, text, valid
from klachtbeheer.core.errors import NotAllowed, NotFoundOrNoAccess, ProcedureError
from klachtbeheer.core.form_schema import FormSchema, form_schema
from klachtbeheer.organisation.models import Organisation, Role
from klachtbeheer.organisation.selectors import POSTCODE_PATTERN, role_of

router = Router()

MAX_PAGE_SIZE = 100


# --- steps: one name, the path segment ------------------------------------------------------


def step_name(step: Step) -> str:
    """The step as the API names it everywhere: its path segment (`contact-attempt`)."""
    return STEPS[step].name


StepName = Literal[tuple(step_name(step) for step in Step)]


def step_form(step: Step) -> type[forms.Form]:
    """The page form of `step` (its registry entry's input), whose fields are its API input."""
    return step_table.step_spec(step).form


class VerdictFields(FormSchema):
    """The verdict form, with its measures as a list (on the page: one per line)."""

    measures: list[text(line=True)] = Field(
        [],
        description=(
            "The measures, one per item. A founded or partly founded complaint needs at "
            "least one; only an unfounded one may have `no_measures`."
        ),
    )

    def form_input(self):
        data, files = super().form_input()
        data["measures"] = "\n".join(self.measures)
        return data, files


# How a step's JSON differs from its form, where it does.
class ComplainantPostcodeFields(FormSchema):
    """The complainant's postcode as the staff's forms take it (registering, P2.1, and
    rectifying the details): the district's pattern, so the schema states what routing
    needs (P3.1). The one definition; `intake.api` builds its registration on it."""

    pattern_messages: ClassVar[dict] = {
        "postcode": gettext_lazy("Enter a Dutch postcode such as 3741 AB.")
    }

    postcode: str = Field(
        "",
        max_length=8,
        pattern=POSTCODE_PATTERN,
        description="Postcode. Decides the district and so the handler.",
    )


_STEP_BASES: dict[Step, type[FormSchema]] = {
    Step.RECORD_VERDICT: VerdictFields,
    Step.RECTIFY: ComplainantPostcodeFields,
}
# Fields that must be sent even when they may be empty: leaving them out would clear them
# (the person concerned decides who handles the complaint, P3.2).
_STEP_PRESENT: dict[Step, tuple[str, ...]] = {
    Step.SET_PERSON_CONCERNED: ("manager_concerned", "employee_concerned"),
}


# What the step's form checks beyond the schema (the operation's description says it).
_STEP_RULES: dict[Step, str] = {
    Step.RECORD_VERDICT: (
        "Beyond the schema the form checks that the categories are ones the quality manager "
        "keeps (at least one when there are any), that the measure owner is a staff member, "
        "and that a founded or partly founded complaint has measures, while only an "
        "unfounded one may have `no_measures`."
    ),
    Step.REASSIGN: "Beyond the schema the form checks that the new handler handles complaints.",
    Step.RECTIFY: (
        "Send every detail as it should be (the fields not sent are blanked). When the new "
        "`postcode` lies in another district, `reroute` must say where the complaint goes "
        "(`yes`: the new district's handler, `no`: it stays); without it the step is refused "
        "with 409 `reroute_question`. A `phone` that is no phone number is refused with 409 "
        "`bad_phone`, an anonymised complaint with 409."
    ),
    Step.SET_PERSON_CONCERNED: (
        "Send both fields. Removing the district manager concerned takes "
        "`manager_concerned` null with `clear_manager_concerned` true and a `reason` (P3.2). "
        "Beyond the schema the form checks that the manager concerned is a district manager."
    ),
}


def step_input(step: Step) -> type[FormSchema]:
    return form_schema(
        step_form(step),
        present=_STEP_PRESENT.get(step, ()),
        base=_STEP_BASES.get(step, FormSchema),
    )


# --- access ---------------------------------------------------------------------------------


def handler_of(request) -> Any:
    """The token's user, when they handle complaints (as the pages: others get nothing)."""
    user = request.auth
    if role_of(user) in (None, Role.STAFF):
        raise NotAllowed("not_a_handler", gettext_lazy("This API is for complaint handlers."))
    return user


def _complaint(request, reference: str, *, via: str = "") -> Complaint:
    if not _REFERENCE.fullmatch(reference or ""):
        raise NotFoundOrNoAccess(
            "not_found",
            gettext_lazy("There is no complaint %(reference)s, or you may not see it."),
            reference=(reference or "")[:40].replace("\x00", ""),
        )
    return complaint_for(handler_of(request), reference=reference, via=via)


_REFERENCE = re.compile(REFERENCE_PATTERN)
# The pattern is documented, not enforced by the schema: any other text is a 404, as for a
# reference that does not exist.
ReferencePath = Annotated[
    str,
    WithJsonSchema({"type": "string", "pattern": REFERENCE_PATTERN}),
    Path(..., description="The complaint's reference.", example="KL-2026-00042"),
]


# --- output ---------------------------------------------------------------------------------


class PersonOut(Schema):
    id: int
    name: str


class TermOut(Schema):
    status: TermStatus
    due: dt.date | None
    act_by: dt.date | None
    done_on: dt.date | None
    days_left: int | None
    words: str


class ComplaintSummaryOut(Schema):
    reference: str
    state: State
    state_label: str
    received_on: dt.date
    channel: Channel
    complainant_name: str
    district: str | None
    handler: PersonOut | None
    next_due_on: dt.date | None
    url: str


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int
    uploaded_at: dt.datetime


class LetterOut(Schema):
    kind: LetterKind
    label: str
    owed_since: dt.datetime
    sent_on: dt.date | None
    cancelled_on: dt.date | None


class ComplaintOut(ComplaintSummaryOut):
    complainant_type: ComplainantType
    complainant_organisation: str
    complainant_email: str
    complainant_phone: str
    street_address: str
    postcode: str
    city: str
    is_uwv_client: bool
    service: str
    employee_concerned: str
    manager_concerned: PersonOut | None
    substantiation: str
    desired_outcome: str
    contact_due_on: dt.date
    settle_due_on: dt.date
    extended_until: dt.date | None
    contacted_on: dt.date | None
    meeting_at: dt.datetime | None
    meeting_location: str
    verdict: Verdict | Literal[""] = Field(..., description="Empty until the verdict.")
    verdict_reasons: str
    decided_on: dt.date | None
    settled_on: dt.date | None
    closed_on: dt.date | None
    terms: dict[Literal["contact", "settle"], TermOut]
    available_steps: list[StepName] = Field(
        ..., description="The steps you can take now, by name (the path segment)."
    )
    measures: list[str]
    attachments: list[AttachmentOut]
    letters_due: list[LetterOut]


class ComplaintPageOut(Schema):
    count: int = Field(..., description="How many match, counted up to 1,000.")
    count_capped: bool = Field(
        ..., description="More than `count` match (the count stops at 1,000); narrow the search."
    )
    page: int
    page_size: int
    pages: int
    results: list[ComplaintSummaryOut]


class EventOut(Schema):
    id: int
    kind: EventKind
    label: str
    at: dt.datetime
    actor: PersonOut | None
    text: str
    data: dict[str, Any]
    internal: bool


class StepOut(Schema):
    name: StepName = Field(..., description="The step's path: POST …/steps/{name}.")
    step: Step = Field(..., description="The step in the workflow table.")
    label: str
    allowed: bool
    refusal: str | None


def _person(user) -> dict | None:
    if user is None:
        return None
    return {"id": user.pk, "name": user.get_full_name() or user.get_username()}


def _summary(complaint: Complaint) -> dict[str, Any]:
    return {
        "reference": complaint.reference,
        "state": complaint.state,
        "state_label": str(State(complaint.state).label),
        "received_on": complaint.received_on,
        "channel": complaint.channel,
        "complainant_name": complaint.complainant_name,
        "district": complaint.district.name if complaint.district_id else None,
        "handler": _person(complaint.handler),
        "next_due_on": complaint.next_due_on,
        "url": reverse("api:complaint_detail", kwargs={"reference": complaint.reference}),
    }


def _term(term: TermState) -> dict[str, Any]:
    return {
        "status": term.status,
        "due": term.deadline.due if term.deadline else None,
        "act_by": term.deadline.act_by if term.deadline else None,
        "done_on": term.done_on,
        "days_left": term.days_left,
        "words": term.words,
    }


_DETAIL_FIELDS = (
    "complainant_type",
    "complainant_organisation",
    "complainant_email",
    "complainant_phone",
    "street_address",
    "postcode",
    "city",
    "is_uwv_client",
    "service",
    "employee_concerned",
    "substantiation",
    "desired_outcome",
    "contact_due_on",
    "settle_due_on",
    "extended_until",
    "contacted_on",
    "meeting_at",
    "meeting_location",
    "verdict",
    "verdict_reasons",
    "decided_on",
    "settled_on",
    "closed_on",
)


def complaint_detail_out(user, complaint: Complaint) -> dict[str, Any]:
    """One complaint, for `ComplaintOut`."""
    terms = complaint_terms(
        complaint, calendar=work_calendar(), organisation=Organisation.current()
    )
    detail = {
        **_summary(complaint),
        **{name: getattr(complaint, name) for name in _DETAIL_FIELDS},
        "manager_concerned": _person(complaint.manager_concerned),
        "terms": {"contact": _term(terms.contact), "settle": _term(terms.settle)},
        "available_steps": [step_name(step) for step in available_steps(user, complaint)],
        "measures": [m.description for m in complaint.measures.all()],
        "attachments": list(complaint.attachments.all()),
        "letters_due": [
            {
                "kind": letter.kind,
                "label": letter.get_kind_display(),
                "owed_since": letter.owed_since,
                "sent_on": letter.sent_on,
                "cancelled_on": letter.cancelled_on,
            }
            for letter in complaint.letters_due.all()
        ],
    }
    return detail


# --- reading --------------------------------------------------------------------------------


def _query_bool(value: Any) -> Any:
    """Query parameters are text: only `true` and `false` are booleans, as in the schema."""
    if isinstance(value, str) and value in ("true", "false"):
        return value == "true"
    return value


# What the schema's `type: integer` means in a query string: digits, with a minus, and a
# fraction of only zeros, since JSON Schema counts 300.0 as the integer 300 and a client's
# serialiser may write it so (the long fuzz run found `?district=300.0` refused). Not `1.5`,
# not ` 1`, not `0x1`; exponents only spell numbers beyond every maximum here.
_WHOLE_NUMBER = re.compile(r"(-?[0-9]{1,10})(?:\.0+)?")


def _whole_number(value: Any) -> Any:
    """An integer from a query parameter, as the schema describes it; anything else is left
    for StrictInt to refuse with the form's message."""
    whole = _WHOLE_NUMBER.fullmatch(value) if isinstance(value, str) else None
    return int(whole.group(1)) if whole else value


def _query_int(low: int, high: int) -> Any:
    return Annotated[StrictInt, Field(ge=low, le=high), BeforeValidator(_whole_number)]


QueryBool = Annotated[StrictBool, BeforeValidator(_query_bool)]


class ListFilters(Schema):
    state: Literal[("", *State.values)] = ""
    district: _query_int(1, MAX_ID) | None = Field(None, description="District id.")
    handler: _query_int(-1, MAX_ID) | None = Field(
        None, description="User id of the handler; -1 for the triage queue."
    )
    term: Literal["", "missed", "at_risk", "open", "none"] = ""
    q: text(max_length=200) = Field(
        "", description="Reference, name, e-mail address or organisation."
    )
    mine: QueryBool = False
    page: _query_int(1, 100000) = 1
    page_size: _query_int(1, MAX_PAGE_SIZE) = 50


@router.get(
    "/complaints",
    response={200: ComplaintPageOut, **ERRORS},
    url_name="complaint_list",
    operation_id="klachtbeheer_intake_api_complaint_list",
    summary="The work list: the complaints you may see, sorted by the next term",
    description=(
        "Filters as on the work list page; a district or handler id that matches nothing "
        "gives an empty list, and a parameter not named here is refused with 422."
    ),
    tags=["staff"],
)
def complaint_list(request, filters: Query[ListFilters]):
    # A parameter the schema does not name (`?=`, a misspelt filter) is refused, not ignored:
    # the list would look filtered while it is not (the long fuzz run found `?=` taken).
    unknown = sorted(set(request.GET) - set(ListFilters.model_fields))
    if unknown:
        raise ValidationError(
            [{"loc": ["query", name], "msg": _("This parameter is unknown.")} for name in unknown]
        )
    user = handler_of(request)
    organisation = Organisation.current()
    queryset = work_list(
        user,
        filters=WorkListFilters(
            district=filters.district,
            state=filters.state or None,
            handler=filters.handler,
            term=filters.term or None,
            q=filters.q.strip(),
            mine=filters.mine,
        ),
        calendar=work_calendar(),
        organisation=organisation,
    )
    try:
        # As on the work list page: a bounded search, a count that stops at COUNT_CAP.
        with bounded_search(enabled=bool(filters.q.strip())):
            paginator = CappedPaginator(
                queryset,
                filters.page_size,
                order_when_few=WORK_LIST_ORDER_FEW if filters.q.strip() else None,
            )
            page = paginator.get_page(filters.page)
            results = [_summary(c) for c in page.object_list]
    except SearchTooSlow:
        raise ProcedureError(
            "search_too_slow",
            gettext_lazy(
                "This search took too long. Narrow it down: a longer word, a whole reference "
                "or e-mail address, or a filter such as district or state."
            ),
        ) from None
    log_list_view(
        user,
        via="api-list",
        references=[row["reference"] for row in results],
        filters=filters.model_dump(),
    )
    return Status(
        200,
        {
            "count": min(paginator.count, paginator.cap),
            "count_capped": paginator.capped,
            "page": page.number,
            "page_size": filters.page_size,
            "pages": paginator.num_pages,
            "results": results,
        },
    )


@router.get(
    "/complaints/{reference}",
    response={200: ComplaintOut, **ERRORS},
    url_name="complaint_detail",
    operation_id="klachtbeheer_intake_api_complaint_detail",
    summary="One complaint (the opening is logged)",
    tags=["staff"],
)
def complaint_detail(request, reference: ReferencePath):
    complaint = _complaint(request, reference, via="api")
    return Status(200, complaint_detail_out(request.auth, complaint))


@router.get(
    "/complaints/{reference}/timeline",
    response={200: list[EventOut], **ERRORS},
    url_name="complaint_timeline",
    operation_id="klachtbeheer_intake_api_complaint_timeline",
    summary="The complaint's timeline, newest first",
    tags=["staff"],
)
def complaint_timeline(request, reference: ReferencePath):
    complaint = _complaint(request, reference, via="api")
    events = Event.objects.filter(complaint=complaint).select_related("actor")
    return Status(
        200,
        [
            {
                "id": event.pk,
                "kind": event.kind,
                "label": event.get_kind_display(),
                "at": event.at,
                "actor": _person(event.actor),
                "text": event.text,
                "data": event.data or {},
                "internal": event.internal,
            }
            for event in events
        ],
    )


@router.get(
    "/complaints/{reference}/steps",
    response={200: list[StepOut], **ERRORS},
    url_name="complaint_steps",
    operation_id="klachtbeheer_intake_api_complaint_steps",
    summary="Every step of the procedure and whether you can take it now",
    tags=["staff"],
)
def complaint_steps(request, reference: ReferencePath):
    complaint = _complaint(request, reference)
    rows = []
    for step in Step:
        refused = step_table.refusal(request.auth, complaint, step)
        rows.append(
            {
                "name": step_name(step),
                "step": step,
                "label": str(step.label),
                "allowed": refused is None,
                "refusal": str(refused) if refused else None,
            }
        )
    return Status(200, rows)


# --- one endpoint per workflow step ---------------------------------------------------------


def _take_step(request, reference: str, step: Step, payload: FormSchema):
    complaint = _complaint(request, reference)
    refused = step_table.refusal(request.auth, complaint, step)
    if refused is not None:
        raise refused
    data, files = payload.form_input()
    form = step_form(step)(data=data, files=files or None, complaint=complaint)
    valid(form)
    step_table.run_step(
        step,
        actor=request.auth,
        reference=complaint.reference,
        arguments=form.service_arguments(),
    )
    fresh = complaint_for(request.auth, reference=complaint.reference, via="")
    return Status(200, complaint_detail_out(request.auth, fresh))


def _add_step_endpoint(step: Step) -> None:
    schema = step_input(step)

    def endpoint(request, reference, payload):
        return _take_step(request, reference, step, payload)

    # Real types, not strings: ninja reads them to build the body schema.
    endpoint.__annotations__ = {"reference": ReferencePath, "payload": schema}
    endpoint.__name__ = f"step_{step.value}"
    router.post(
        f"/complaints/{{reference}}/steps/{step_name(step)}",
        response={200: ComplaintOut, **ERRORS},
        url_name=f"step_{step.value}",
        summary=f"Step: {step.value.replace('_', ' ')}",
        description=" ".join(
            [
                f"The fields of the step's page form ({step_form(step).__name__}), checked by "
                "that form with its messages.",
                _STEP_RULES.get(step, ""),
                "409 when the step is not possible in the complaint's state or the procedure "
                "does not allow the values, 403 when only the quality manager may take it.",
            ]
        ).replace("  ", " "),
        operation_id=f"step_{step.value}",
        tags=["steps"],
    )(endpoint)


for _step in Step:
    _add_step_endpoint(_step)
