"""The JSON API under /api/v1/ (django-ninja): public intake and the staff's work.

Thin like the pages, and through the same doors: input is validated by the
same Django forms the pages use (so the same messages), access goes through
`complaints_visible_to` and `available_steps`, every step through
`complaints.steps.run_step`, and every refusal is a ProcedureError turned into
JSON `{code, message}`. Public intake is `POST /complaints` with the key of an
integrating site; everything else needs a staff member's personal token.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
import secrets
from typing import Any, Literal

from django import forms
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, NinjaAPI, Query, Schema, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.docs import Swagger
from ninja.security import APIKeyHeader, HttpBearer

from klachtbeheer.complaints import steps as step_table
from klachtbeheer.complaints.forms import RegisterComplaintForm, WorkListFilterForm
from klachtbeheer.complaints.models import Complaint, Event
from klachtbeheer.complaints.selectors import (
    WorkListFilters,
    available_steps,
    complaint_for,
    complaint_terms,
    work_calendar,
    work_list,
)
from klachtbeheer.complaints.services import ComplainantData, complaint_register
from klachtbeheer.complaints.terms import TermState
from klachtbeheer.complaints.workflow import State, Step
from klachtbeheer.core.errors import NotAllowed, NotFoundOrNoAccess, ProcedureError
from klachtbeheer.intake import files, ratelimit, services, spam
from klachtbeheer.intake.forms import IntakeForm
from klachtbeheer.intake.models import Source
from klachtbeheer.organisation.models import Organisation, Role
from klachtbeheer.organisation.selectors import role_of

REFERENCE_RE = re.compile(r"^KL-\d{4}-\d{5,}$")
MAX_PAGE_SIZE = 100
MAX_ID = 2**31 - 1  # larger ids cannot exist; SQLite would overflow on them


# --- authentication ------------------------------------------------------------


class SiteKey(APIKeyHeader):
    """The key of an integrating site (public intake only)."""

    param_name = "X-API-Key"

    def authenticate(self, request: HttpRequest, key: str | None):
        return services.api_key_for(key or "")


class StaffBearer(HttpBearer):
    """A staff member's personal token; the API acts as that person."""

    def authenticate(self, request: HttpRequest, token: str):
        user = services.staff_user_for(token or "")
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
    title="Klachtbeheer API",
    version="1",
    description=(
        "Public intake for integrating sites (`X-API-Key`) and the complaints procedure for "
        "staff with a personal token (`Authorization: Bearer …`, made on the page "
        "/api-tokens/). Errors are JSON `{code, message}`; validation errors add `errors`."
    ),
    urls_namespace="api",
    docs=Swagger(settings={"validatorUrl": None, "tryItOutEnabled": False}),
    docs_url="/docs",
)


# --- errors: always {code, message} ----------------------------------------------------


class FieldErrorOut(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    code: str
    message: str
    errors: list[FieldErrorOut] = []


ERRORS: dict[int, Any] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
}


def _error(request, status: int, code: str, message: str, errors=()):
    body = {"code": code, "message": message, "errors": list(errors)}
    return api.create_response(request, body, status=status)


@api.exception_handler(ProcedureError)
def _procedure_error(request, exc: ProcedureError):
    return _error(request, exc.status, exc.code, str(exc))


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return _error(request, 401, "unauthorized", _("Send a valid API key or personal token."))


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    code = "bad_request" if exc.status_code == 400 else "error"
    return _error(request, exc.status_code, code, str(exc))


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _error(request, 404, "not_found", _("Not found."))


@api.exception_handler(SuspiciousOperation)
def _bad_request(request, exc):
    return _error(request, 400, "bad_request", _("The request could not be read."))


@api.exception_handler(ValidationError)
def _invalid(request, exc: ValidationError):
    errors = []
    for item in exc.errors:
        location = [str(part) for part in item.get("loc", ()) if part not in ("body", "payload")]
        errors.append({"field": ".".join(location) or "body", "message": str(item.get("msg", ""))})
    return _error(request, 422, "invalid", _("The request is not valid."), errors)


class FormInvalid(Exception):
    def __init__(self, form: forms.Form, extra: list[dict[str, str]] | None = None):
        self.form = form
        self.extra = extra or []


@api.exception_handler(FormInvalid)
def _form_invalid(request, exc: FormInvalid):
    errors = [
        {"field": field if field != "__all__" else "body", "message": str(message)}
        for field, messages in exc.form.errors.items()
        for message in messages
    ] + exc.extra
    first = errors[0]["message"] if errors else _("The request is not valid.")
    return _error(request, 422, "invalid", first, errors)


def _valid(form: forms.Form) -> dict[str, Any]:
    if not form.is_valid():
        raise FormInvalid(form)
    return form.cleaned_data


# --- shared pieces -------------------------------------------------------------------


class FileIn(Schema):
    filename: str = Field(..., max_length=200, examples=["brief.pdf"])
    content_base64: str = Field(..., description="The file's bytes, base64-encoded.")


def _decode_file(item: FileIn, index: int) -> SimpleUploadedFile:
    field = f"attachments.{index}"
    if len(item.content_base64) > (files.MAX_FILE_BYTES * 4) // 3 + 8:
        raise ProcedureError(
            "file_too_large", gettext_lazy("“%(name)s” is larger than 10 MB."), name=item.filename
        )
    try:
        content = base64.b64decode(item.content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError(
            [{"loc": [field], "msg": _("The file is not valid base64.")}]
        ) from None
    return SimpleUploadedFile(item.filename or "bijlage", content)


def _handler(request) -> Any:
    """The token's user, when they handle complaints (as the pages: others get nothing)."""
    user = request.auth
    if role_of(user) in (None, Role.STAFF):
        raise NotAllowed("not_a_handler", gettext_lazy("This API is for complaint handlers."))
    return user


def _complaint(request, reference: str, *, via: str = "") -> Complaint:
    if not REFERENCE_RE.match(reference or ""):
        raise NotFoundOrNoAccess(
            "not_found",
            gettext_lazy("There is no complaint %(reference)s, or you may not see it."),
            reference=(reference or "")[:40].replace("\x00", ""),
        )
    return complaint_for(_handler(request), reference=reference, via=via)


# --- output --------------------------------------------------------------------------


class PersonOut(Schema):
    id: int
    name: str


class TermOut(Schema):
    status: str
    due: dt.date | None
    act_by: dt.date | None
    done_on: dt.date | None
    days_left: int | None
    words: str


class ComplaintSummaryOut(Schema):
    reference: str
    state: str
    state_label: str
    received_on: dt.date
    channel: str
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
    kind: str
    label: str
    owed_since: dt.datetime
    sent_on: dt.date | None
    cancelled_on: dt.date | None


class ComplaintOut(ComplaintSummaryOut):
    complainant_type: str
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
    verdict: str
    verdict_reasons: str
    decided_on: dt.date | None
    settled_on: dt.date | None
    closed_on: dt.date | None
    terms: dict[str, TermOut]
    available_steps: list[str]
    measures: list[str]
    attachments: list[AttachmentOut]
    letters_due: list[LetterOut]


class ComplaintPageOut(Schema):
    count: int
    page: int
    page_size: int
    pages: int
    results: list[ComplaintSummaryOut]


class EventOut(Schema):
    id: int
    kind: str
    label: str
    at: dt.datetime
    actor: PersonOut | None
    text: str
    data: dict[str, Any]
    internal: bool


class StepOut(Schema):
    step: str
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
        "status": str(term.status),
        "due": term.deadline.due if term.deadline else None,
        "act_by": term.deadline.act_by if term.deadline else None,
        "done_on": term.done_on,
        "days_left": term.days_left,
        "words": term.words,
    }


def _detail(user, complaint: Complaint) -> dict[str, Any]:
    terms = complaint_terms(
        complaint, calendar=work_calendar(), organisation=Organisation.current()
    )
    fields = {
        name: getattr(complaint, name)
        for name in (
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
    }
    return {
        **_summary(complaint),
        **fields,
        "manager_concerned": _person(complaint.manager_concerned),
        "terms": {"contact": _term(terms.contact), "settle": _term(terms.settle)},
        "available_steps": [step.value for step in available_steps(user, complaint)],
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


# --- public intake (P2.1, P2.2) -------------------------------------------------------


class ComplaintFieldsIn(Schema):
    """Who complains and about what: the same for public intake and staff registration."""

    complainant_type: str = Field(
        ..., description="client, municipality, uwv, company or private_commissioner"
    )
    name: str
    substantiation: str = Field(..., description="What happened (required, P1.2).")
    organisation: str = ""
    email: str = ""
    phone: str = ""
    street_address: str = ""
    postcode: str = ""
    city: str = ""
    is_uwv_client: bool = False
    service: str = ""
    employee_concerned: str = ""
    desired_outcome: str = ""


class IntakeIn(ComplaintFieldsIn):
    attachments: list[FileIn] = Field(default=[], max_length=files.MAX_FILES)
    website: str = Field(
        "", description="Your form's honeypot field, passed on as it came: must be empty."
    )
    seconds_to_fill: float | None = Field(
        None, description="How long the visitor took to fill in your form, when you measure it."
    )
    client_address: str = Field(
        "", max_length=64, description="The visitor's IP address, for the per-address limit."
    )


class IntakeOut(Schema):
    status: Literal["registered", "held_for_review"]
    reference: str | None
    received_on: dt.date
    status_url: str


@api.post(
    "/complaints",
    auth=SiteKey(),
    response={201: IntakeOut, **ERRORS},
    url_name="intake",
    summary="File a complaint (public intake for an integrating site)",
    tags=["intake"],
)
def intake(request, payload: IntakeIn):
    form = IntakeForm(data=payload.dict(exclude={"attachments", "website", "seconds_to_fill"}))
    _valid(form)
    uploads = []
    draft = secrets.token_urlsafe(24)
    try:
        for index, item in enumerate(payload.attachments):
            uploads.append(services.upload_store(draft=draft, upload=_decode_file(item, index)))
    except files.FileRefused as error:
        for upload in uploads:
            services.upload_remove(draft=draft, upload_id=upload.pk)
        raise FormInvalid(form, [{"field": "attachments", "message": str(error)}]) from None
    address = payload.client_address.strip() or ratelimit.client_address(request)
    reasons = spam.api_reasons(
        honeypot=payload.website, api_key_id=request.auth.pk, address=address
    )
    if (
        payload.seconds_to_fill is not None
        and payload.seconds_to_fill < settings.INTAKE_MIN_FILL_SECONDS
    ):
        reasons.append("too_fast")
    received = services.submission_receive(
        data=form.intake_data(),
        draft=draft,
        spam_reasons=reasons,
        source=Source.API,
        api_key=request.auth,
    )
    return Status(
        201,
        {
            "status": "held_for_review" if received.held else "registered",
            "reference": received.complaint.reference if received.complaint else None,
            "received_on": received.submission.received_on,
            "status_url": request.build_absolute_uri(
                reverse("intake:status", kwargs={"token": received.status_token})
            ),
        },
    )


# --- staff: registering post and e-mail (P2.1, P2.3) ------------------------------------


class RegistrationIn(ComplaintFieldsIn):
    channel: Literal["post", "email", "web_form"]
    received_on: str = Field(..., description="Date of receipt, YYYY-MM-DD; the terms run from it.")
    manager_concerned: int | None = Field(
        None, ge=1, le=MAX_ID, description="User id of the district manager."
    )
    attachment: FileIn | None = None


@api.post(
    "/registrations",
    auth=StaffBearer(),
    response={201: ComplaintOut, **ERRORS},
    url_name="registrations",
    summary="Register a complaint that arrived by post or e-mail",
    tags=["staff"],
)
def register(request, payload: RegistrationIn):
    user = _handler(request)
    values = payload.dict(exclude={"attachment"})
    values = {k: ("" if v is None else v) for k, v in values.items()}
    upload = _decode_file(payload.attachment, 0) if payload.attachment else None
    form = RegisterComplaintForm(data=values, files={"attachment": upload} if upload else None)
    data = _valid(form)
    complaint = complaint_register(
        actor=user,
        channel=data["channel"],
        received_on=data["received_on"],
        complainant=ComplainantData(
            complainant_type=data["complainant_type"],
            name=data["name"],
            organisation=data["organisation"],
            email=data["email"],
            phone=data["phone"],
            street_address=data["street_address"],
            postcode=data["postcode"],
            city=data["city"],
            is_uwv_client=data["is_uwv_client"],
        ),
        substantiation=data["substantiation"],
        desired_outcome=data["desired_outcome"],
        service=data["service"],
        employee_concerned=data["employee_concerned"],
        manager_concerned=data["manager_concerned"],
        attachments=[data["attachment"]] if data["attachment"] else [],
    )
    visible = Complaint.objects.filter(pk=complaint.pk)
    complaint = visible.select_related("district", "handler", "manager_concerned").get()
    return Status(201, _detail(user, complaint))


# --- staff: reading ---------------------------------------------------------------------


class ListFilters(Schema):
    state: str = ""
    district: int | None = Field(None, ge=1, le=MAX_ID)
    handler: int | None = Field(None, ge=-1, le=MAX_ID, description="User id; -1 for triage.")
    term: Literal["", "missed", "at_risk", "open", "none"] = ""
    q: str = Field("", max_length=200)
    mine: bool = False
    page: int = Field(1, ge=1, le=100000)
    page_size: int = Field(50, ge=1, le=MAX_PAGE_SIZE)


@api.get(
    "/complaints",
    auth=StaffBearer(),
    response={200: ComplaintPageOut, **ERRORS},
    url_name="complaint_list",
    summary="The work list: the complaints you may see, sorted by the next term",
    tags=["staff"],
)
def complaint_list(request, filters: Query[ListFilters]):
    user = _handler(request)
    raw = {
        key: value
        for key, value in filters.dict().items()
        if key not in ("page", "page_size") and value not in (None, "", False)
    }
    form = WorkListFilterForm(data=raw)
    data = _valid(form)
    work_filters = WorkListFilters(
        district=data["district"].pk if data["district"] else None,
        state=data["state"] or None,
        handler=data["handler"],
        term=data["term"] or None,
        q=data["q"] or "",
        mine=data["mine"],
    )
    organisation = Organisation.current()
    queryset = work_list(
        user, filters=work_filters, calendar=work_calendar(), organisation=organisation
    )
    paginator = Paginator(queryset, filters.page_size)
    page = paginator.get_page(filters.page)
    return Status(
        200,
        {
            "count": paginator.count,
            "page": page.number,
            "page_size": filters.page_size,
            "pages": paginator.num_pages,
            "results": [_summary(c) for c in page.object_list],
        },
    )


@api.get(
    "/complaints/{reference}",
    auth=StaffBearer(),
    response={200: ComplaintOut, **ERRORS},
    url_name="complaint_detail",
    summary="One complaint (the opening is logged)",
    tags=["staff"],
)
def complaint_detail(request, reference: str):
    complaint = _complaint(request, reference, via="api")
    return Status(200, _detail(request.auth, complaint))


@api.get(
    "/complaints/{reference}/timeline",
    auth=StaffBearer(),
    response={200: list[EventOut], **ERRORS},
    url_name="complaint_timeline",
    summary="The complaint's timeline, newest first",
    tags=["staff"],
)
def complaint_timeline(request, reference: str):
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


@api.get(
    "/complaints/{reference}/steps",
    auth=StaffBearer(),
    response={200: list[StepOut], **ERRORS},
    url_name="complaint_steps",
    summary="Every step of the procedure and whether you can take it now",
    tags=["staff"],
)
def complaint_steps(request, reference: str):
    complaint = _complaint(request, reference)
    rows = []
    for step in Step:
        refused = step_table.refusal(request.auth, complaint, step)
        rows.append(
            {
                "step": step.value,
                "label": str(step.label),
                "allowed": refused is None,
                "refusal": str(refused) if refused else None,
            }
        )
    return Status(200, rows)


# --- staff: one endpoint per workflow step ----------------------------------------------


class EmptyIn(Schema):
    pass


class ReasonIn(Schema):
    reason: str


class ContactAttemptIn(Schema):
    at: str = Field(..., description="Date and time, ISO 8601.")
    channel: str = Field(..., description="phone, in_person, video, email or letter")
    note: str = ""


class ContactIn(Schema):
    on: str = Field(..., description="Date, YYYY-MM-DD.")
    channel: str
    summary: str


class SummaryIn(Schema):
    summary: str


class PlanMeetingIn(Schema):
    at: str = Field(..., description="Date and time, ISO 8601.")
    location: str


class HoldMeetingIn(Schema):
    held_on: str = Field(..., description="Date, YYYY-MM-DD.")
    report: str


class VerdictIn(Schema):
    verdict: str = Field(..., description="founded, partly_founded or unfounded")
    reasons: str
    measures: list[str] = []
    no_measures: bool = False


class SendDecisionIn(Schema):
    sent_on: str = Field(..., description="Date, YYYY-MM-DD.")


class ExtendIn(Schema):
    until: str = Field(..., description="New date for settlement, YYYY-MM-DD.")
    reason: str


class ReassignIn(Schema):
    handler: int = Field(..., ge=1, le=MAX_ID, description="User id of the new handler.")
    reason: str


class PersonConcernedIn(Schema):
    manager_concerned: int | None = Field(None, ge=1, le=MAX_ID)
    employee_concerned: str = ""


class NoteIn(Schema):
    text: str


class AttachmentIn(Schema):
    upload: FileIn
    description: str = ""


STEP_INPUTS: dict[Step, type[Schema]] = {
    Step.ACCEPT: EmptyIn,
    Step.REJECT: ReasonIn,
    Step.LOG_CONTACT_ATTEMPT: ContactAttemptIn,
    Step.RECORD_CONTACT: ContactIn,
    Step.WITHDRAW: SummaryIn,
    Step.PLAN_MEETING: PlanMeetingIn,
    Step.HOLD_MEETING: HoldMeetingIn,
    Step.WAIVE_MEETING: ReasonIn,
    Step.RECORD_VERDICT: VerdictIn,
    Step.SEND_DECISION: SendDecisionIn,
    Step.CLOSE: EmptyIn,
    Step.REOPEN: ReasonIn,
    Step.EXTEND: ExtendIn,
    Step.REASSIGN: ReassignIn,
    Step.SET_PERSON_CONCERNED: PersonConcernedIn,
    Step.ADD_NOTE: NoteIn,
    Step.ADD_ATTACHMENT: AttachmentIn,
}


def _take_step(request, reference: str, step: Step, payload: Schema):
    complaint = _complaint(request, reference)
    refused = step_table.refusal(request.auth, complaint, step)
    if refused is not None:
        raise refused
    values = payload.dict()
    form_files = None
    if step == Step.ADD_ATTACHMENT:
        form_files = {"upload": _decode_file(payload.upload, 0)}
        values.pop("upload")
    if step == Step.RECORD_VERDICT:
        values["measures"] = "\n".join(values.get("measures") or [])
    values = {k: v for k, v in values.items() if v is not None and v is not False}
    form = step_table.step_spec(step).form(data=values, files=form_files)
    _valid(form)
    step_table.run_step(
        step,
        actor=request.auth,
        reference=complaint.reference,
        arguments=form.service_arguments(),
    )
    fresh = complaint_for(request.auth, reference=complaint.reference, via="")
    return Status(200, _detail(request.auth, fresh))


def _register_step(step: Step) -> None:
    schema = STEP_INPUTS[step]
    path = f"/complaints/{{reference}}/steps/{step.value.replace('_', '-')}"

    def endpoint(request, reference, payload):
        return _take_step(request, reference, step, payload)

    # Real types, not strings: ninja reads them to build the body schema.
    endpoint.__annotations__ = {"reference": str, "payload": schema}
    endpoint.__name__ = f"step_{step.value}"
    api.post(
        path,
        auth=StaffBearer(),
        response={200: ComplaintOut, **ERRORS},
        url_name=f"step_{step.value}",
        summary=f"Step: {step.value.replace('_', ' ')}",
        operation_id=f"step_{step.value}",
        tags=["steps"],
    )(endpoint)


for _step in Step:
    _register_step(_step)
