"""Public intake and the staff's registration in the JSON API.

A ninja Router, mounted by the project API (`klachtbeheer.api`), which also
authenticates and turns every exception into JSON: `public` (POST
/complaints) takes the key of an integrating site, the rest of `router` a
handler's personal token. Input is checked by the same Django forms the pages
use (the JSON schema derived from them by `core.form_schema`), and both
operations are idempotent: with an `Idempotency-Key` the answer is kept in the
transaction that registers the complaint (`core.api.answer`).
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import ClassVar, Literal

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy
from ninja import Field, Router, Schema
from pydantic import StrictFloat, StrictInt

from klachtbeheer.complaints.api import ComplaintOut, complaint_detail_out, handler_of
from klachtbeheer.complaints.forms import RegisterComplaintForm
from klachtbeheer.complaints.models import Complaint
from klachtbeheer.complaints.services import (
    ComplainantData,
    complaint_register_within_transaction,
)
from klachtbeheer.core.api import (
    ERRORS,
    IDEMPOTENT_RESPONSES,
    FileIn,
    FormInvalid,
    IdempotencyKey,
    answer,
    decode_file,
    valid,
)
from klachtbeheer.core.form_schema import FormSchema, form_schema
from klachtbeheer.intake import files, ratelimit, services, spam
from klachtbeheer.intake.forms import IntakeForm
from klachtbeheer.intake.models import Source
from klachtbeheer.organisation.selectors import POSTCODE_PATTERN

router = Router()
# The public intake: the project API gives it the site key when it mounts `router`.
public = Router()
router.add_router("", public)


# --- public intake (P2.1, P2.2) -------------------------------------------------------------


class IntakeFields(FormSchema):
    """The public form's fields, and what an integrating site adds to them."""

    pattern_messages: ClassVar[dict] = {"postcode": gettext_lazy("Enter a postcode, like 3741 AB")}

    postcode: str = Field("", max_length=8, pattern=POSTCODE_PATTERN, description="Postcode.")
    attachments: list[FileIn] = Field(
        [], max_length=files.MAX_FILES, description="PDF, JPEG, PNG, DOCX or ODT, typed by content."
    )
    website: str = Field(
        "", description="Your form's honeypot field, passed on as it came: must be empty."
    )
    seconds_to_fill: StrictFloat | StrictInt | None = Field(
        None, description="How long the visitor took to fill in your form, when you measure it."
    )
    client_address: str = Field(
        "", max_length=64, description="The visitor's IP address, for the per-address limit."
    )


IntakeIn = form_schema(IntakeForm, name="IntakeIn", base=IntakeFields)


class IntakeOut(Schema):
    status: Literal["registered", "held_for_review"]
    reference: str | None
    received_on: dt.date
    status_url: str


@public.post(
    "/complaints",
    response={201: IntakeOut, **ERRORS},
    url_name="intake",
    operation_id="klachtbeheer_intake_api_intake",
    summary="File a complaint (public intake for an integrating site)",
    description=(
        "The public form's questions and its messages. Beyond the schema the form checks "
        "that there is an e-mail address or a full postal address, that a phone number is "
        "real, and what each file really is; a submission that looks like spam is held "
        "for review (`held_for_review`), never dropped."
    ),
    tags=["intake"],
    openapi_extra=IDEMPOTENT_RESPONSES,
)
def intake(request, payload: IntakeIn, idempotency_key: IdempotencyKey = None):
    data, _files = payload.form_input()
    form = IntakeForm(data=data)
    valid(form)
    uploads = []
    draft = secrets.token_urlsafe(24)
    try:
        for index, item in enumerate(payload.attachments):
            upload = decode_file(item, f"attachments.{index}")
            uploads.append(services.upload_store(draft=draft, upload=upload))
    except files.FileRefused as error:
        _remove(draft, uploads)
        raise FormInvalid(form, [{"field": "attachments", "message": str(error)}]) from None
    address = payload.client_address.strip() or ratelimit.client_address(request)

    def receive(*, limits_at_the_end: bool):
        # The spam checks' writes commit with the registration (issue 15).
        with transaction.atomic(durable=True):
            check = spam.api_check(
                honeypot=payload.website,
                api_key_id=request.auth.pk,
                address=address,
                limits_at_the_end=limits_at_the_end,
            )
            reasons = check.reasons
            if (
                payload.seconds_to_fill is not None
                and payload.seconds_to_fill < settings.INTAKE_MIN_FILL_SECONDS
            ):
                reasons.append("too_fast")
            received = services.submission_receive_within_transaction(
                data=form.intake_data(),
                draft=draft,
                spam_reasons=reasons,
                source=Source.API,
                api_key=request.auth,
                uploads=uploads,
                record_hits=check.record,
            )
            return answer(
                request,
                201,
                IntakeOut,
                {
                    "status": "held_for_review" if received.held else "registered",
                    "reference": received.complaint.reference if received.complaint else None,
                    "received_on": received.submission.received_on,
                    "status_url": request.build_absolute_uri(
                        reverse("intake:status", kwargs={"token": received.status_token})
                    ),
                },
            )

    try:
        try:
            # Under every limit (the normal case) the site key's bucket is written and
            # checked last, so it is locked only to the commit and costs one statement.
            return receive(limits_at_the_end=True)
        except ratelimit.OverLimit:
            # Over a limit: nothing was kept; counted first this time, and held for review.
            return receive(limits_at_the_end=False)
    except BaseException:
        _remove(draft, uploads)
        raise


def _remove(draft: str, uploads) -> None:
    for upload in uploads:
        services.upload_remove(draft=draft, upload_id=upload.pk)


# --- staff: registering post and e-mail (P2.1, P2.3) ----------------------------------------


class RegistrationFields(FormSchema):
    pattern_messages: ClassVar[dict] = {
        "postcode": gettext_lazy("Enter a Dutch postcode such as 3741 AB.")
    }

    postcode: str = Field(
        "",
        max_length=8,
        pattern=POSTCODE_PATTERN,
        description="Postcode. Decides the district and so the handler.",
    )


RegistrationIn = form_schema(
    RegisterComplaintForm,
    name="RegistrationIn",
    exclude=("kept_attachment",),  # the page's way to keep a scan between two tries
    base=RegistrationFields,
)


@router.post(
    "/registrations",
    response={201: ComplaintOut, **ERRORS},
    url_name="registrations",
    operation_id="klachtbeheer_intake_api_register",
    summary="Register a complaint that arrived by post or e-mail",
    description=(
        "The staff's registration form and its messages. Beyond the schema the form checks "
        "that the date of receipt is not in the future, that there is an e-mail address, a "
        "postal address or a phone number, that the manager concerned is a district "
        "manager, and that post comes with its scan as a PDF (P2.1)."
    ),
    tags=["staff"],
    openapi_extra=IDEMPOTENT_RESPONSES,
)
def register(request, payload: RegistrationIn, idempotency_key: IdempotencyKey = None):
    user = handler_of(request)
    data, form_files = payload.form_input()
    form = RegisterComplaintForm(data=data, files=form_files or None)
    data = valid(form)
    with transaction.atomic(durable=True):
        complaint = complaint_register_within_transaction(
            actor=user,
            channel=data["channel"],
            received_on=data["received_on"],
            complainant=ComplainantData(
                complainant_type=data["complainant_type"],
                name=data["name"],
                form_of_address=data.get("form_of_address") or "",
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
        complaint = (
            Complaint.objects.filter(pk=complaint.pk)
            .select_related("district", "handler", "manager_concerned")
            .get()
        )
        response = answer(request, 201, ComplaintOut, complaint_detail_out(user, complaint))
    return response
