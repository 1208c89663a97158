"""What the apps' API routers share: the error shape, files, form validation, idempotency.

Only Django, ninja, pydantic and core here. The routers (`intake.api`,
`complaints.api`) import this module; the project API (`klachtbeheer.api`, the
top layer) imports the routers and handles the exceptions raised here, never
the other way round.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from typing import Annotated, Any

from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Header, Schema
from ninja.errors import ValidationError
from ninja.responses import NinjaJSONEncoder
from pydantic import AfterValidator, BaseModel, StrictStr
from pydantic import Field as PydanticField
from pydantic_core import PydanticCustomError

JSON = "application/json; charset=utf-8"
MAX_ID = 2**31 - 1  # larger ids cannot exist; SQLite would overflow on them
FILE_MAX_BYTES = 10 * 1024 * 1024
# Base64 of FILE_MAX_BYTES: four characters for every three bytes, padded.
FILE_MAX_BASE64 = 4 * -(-FILE_MAX_BYTES // 3)
REFERENCE_PATTERN = r"^KL-[0-9]{4}-[0-9]{5,}$"


# --- text -------------------------------------------------------------------------------------

# What str.strip() removes: "not only white space" means the same to the schema (in any regex
# engine) as to a form, which strips before it checks.
SPACE = r"\t\n\x0b\x0c\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# What str.splitlines() splits on.
LINE_BREAK = r"\n\x0b\x0c\r\x1c-\x1e\x85\u2028\u2029"
_BLANK = re.compile(f"^[{SPACE}]*$")
_LINE_BREAK = re.compile(f"[{LINE_BREAK}]")


def _checked(value: str, *, filled: bool, line: bool, unsafe: str = "") -> str:
    if "\x00" in value:  # PostgreSQL cannot store it; the forms refuse it too
        raise PydanticCustomError("null_character", "Null characters are not allowed.")
    found = unsafe and re.findall(unsafe, value)
    if found:  # what the form's core.text check refuses
        raise PydanticCustomError(
            "unsafe_characters",
            "Invisible characters are not allowed.",
            {"characters": ", ".join(f"U+{ord(ch):04X}" for ch in dict.fromkeys(found))},
        )
    if filled and _BLANK.match(value):
        raise PydanticCustomError("blank", "Fill in more than white space.")
    if line and _LINE_BREAK.search(value):
        raise PydanticCustomError("line_break", "One line, without line breaks.")
    return value


def text(
    *,
    filled: bool = False,
    line: bool = False,
    unsafe: tuple[str, str] = ("", ""),
    max_length: int | None = None,
    **schema: Any,
) -> Any:
    """A JSON string without NUL; `filled`: more than white space; `line`: no line breaks;
    `unsafe`: a character class it may not hold, as checked and as the schema states it
    (core.text's, as the form checks).

    The rules are in the JSON schema as `not` (quick for generators, unlike a
    pattern with a long maxLength) and checked by a validator.
    """
    checked_class, schema_class = unsafe
    refused = [{"pattern": schema_class or "\\x00"}]
    if filled:
        refused.append({"pattern": f"^[{SPACE}]*$"})
    if line:
        refused.append({"pattern": f"[{LINE_BREAK}]"})
    limits: dict[str, Any] = {"min_length": 1} if filled else {}
    if max_length:
        limits["max_length"] = max_length
    return Annotated[
        StrictStr,
        PydanticField(
            **limits,
            json_schema_extra={
                **schema,
                "not": {"anyOf": refused} if len(refused) > 1 else refused[0],
            },
        ),
        AfterValidator(
            lambda value: _checked(value, filled=filled, line=line, unsafe=checked_class)
        ),
    ]


# --- errors: always {code, message, errors} ----------------------------------------------


class FieldErrorOut(Schema):
    field: str = Field(..., description="The field, dotted for nested ones; `body` for the whole.")
    message: str


class ErrorOut(Schema):
    code: str = Field(..., description="Stable, for programs: `not_found`, `invalid`, …")
    message: str = Field(..., description="For people, in the language of `Accept-Language`.")
    errors: list[FieldErrorOut] = []


ERRORS: dict[int, Any] = {status: ErrorOut for status in (400, 401, 403, 404, 409, 422, 500, 503)}


class FormInvalid(Exception):
    """The page's form refused the values: 422 with the form's own messages per field."""

    def __init__(self, form: forms.Form, extra: list[dict[str, str]] | None = None):
        self.form = form
        self.extra = extra or []
        super().__init__("form invalid")

    def field_errors(self) -> list[dict[str, str]]:
        return [
            {"field": field if field != "__all__" else "body", "message": str(message)}
            for field, messages in self.form.errors.items()
            for message in messages
        ] + self.extra


def valid(form: forms.Form) -> dict[str, Any]:
    """The form's cleaned data; FormInvalid when it refuses."""
    if not form.is_valid():
        raise FormInvalid(form)
    return form.cleaned_data


# --- files: JSON carries them base64-encoded ---------------------------------------------


class FileIn(Schema):
    filename: text(max_length=200) = Field(..., examples=["brief.pdf"])
    content_base64: str = Field(
        ...,
        min_length=4,
        max_length=FILE_MAX_BASE64,
        description="The file's bytes, base64-encoded (at most 10 MB, not empty).",
        json_schema_extra={"format": "byte", "contentEncoding": "base64"},
    )


def decode_file(item: FileIn, field: str) -> SimpleUploadedFile:
    """The uploaded file in `item`; a 422 on `field` when it is not base64."""
    try:
        content = base64.b64decode(item.content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError(
            [{"loc": [field, "content_base64"], "msg": _("The file is not valid base64.")}]
        ) from None
    return SimpleUploadedFile(item.filename or "bijlage", content)


# --- idempotency: the project API keeps the answer, the router says when ----------------

IdempotencyKey = Annotated[
    str,
    Header(
        None,
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description=(
            "Any unique string, e.g. a UUID. A retry with the same key and the same body "
            "gets the first answer again (header `Idempotent-Replayed: true`) instead of a "
            "second complaint; the same key with another body gets 422 "
            "`idempotency_key_reused`. Keys are kept for 24 hours, per site key or token owner."
        ),
    ),
]


# The 201 of an idempotent operation, as the OpenAPI document describes it.
IDEMPOTENT_RESPONSES: dict[str, Any] = {
    "responses": {
        201: {
            "headers": {
                "Idempotent-Replayed": {
                    "description": "`true` when this is the kept answer to an earlier request "
                    "with the same Idempotency-Key.",
                    "schema": {"type": "string", "enum": ["true"]},
                }
            }
        }
    }
}


def answer(request: HttpRequest, status: int, schema: type[BaseModel], data: Any) -> HttpResponse:
    """The operation's answer, rendered as ninja renders it, and kept for its Idempotency-Key.

    Call it inside the transaction that made the answer: the project API sets
    `request.idempotency` when the client sent a key, and the record then
    commits with the complaint, or neither does. A retry gets these bytes again.
    """
    content = json.dumps(schema.model_validate(data).model_dump(), cls=NinjaJSONEncoder)
    keep: Callable[[int, str], None] | None = getattr(request, "idempotency", None)
    if keep is not None:
        keep(status, content)
    return HttpResponse(content, status=status, content_type=JSON)
