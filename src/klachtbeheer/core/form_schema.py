"""One function that turns a Django form class into the input schema of an API operation.

The API takes exactly what the page's form takes: each field with the type,
choices, length and required-ness the form declares, and nothing else. The
JSON schema in the OpenAPI document and the check of a request's shape come
from one pydantic model, so a body the document allows is never refused for
its shape and one it forbids never gets through. The form then checks the
content as on the page (what JSON Schema cannot say: a row that must exist, a
date against today, fields that depend on each other), and every message,
for the shape too, is the form's own, in the language of the request.
"""

from __future__ import annotations

import functools
from typing import Annotated, Any, ClassVar, Literal

from django import forms
from django.core import validators
from django.utils import translation
from django.utils.translation import gettext as _
from pydantic import (
    BaseModel,
    ConfigDict,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    create_model,
    model_validator,
)
from pydantic import Field as PydanticField
from pydantic.fields import FieldInfo
from pydantic_core import InitErrorDetails, PydanticCustomError

from klachtbeheer.core.api import MAX_ID, FileIn, decode_file, text
from klachtbeheer.core.text import (
    MULTILINE_UNSAFE,
    MULTILINE_UNSAFE_SCHEMA,
    ONE_LINE_UNSAFE,
    ONE_LINE_UNSAFE_SCHEMA,
    UNSAFE_MESSAGE,
    is_multiline,
)

# The error type of a message already in words for people (the handler keeps it as it is).
WORDED = "klachtbeheer_worded"

DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
# RFC 3339 with two limits: years 1000-8999 (converting a moment at the ends of year 1 or
# 9999 to UTC or to local time leaves the calendar) and offsets up to ±14:59 (the widest
# in use is +14:00; PostgreSQL refuses more than ±15:59).
DATETIME_PATTERN = (
    r"^[1-8][0-9]{3}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?"
    r"(Z|[+-](0[0-9]|1[0-4]):[0-5][0-9])$"
)

Id = Annotated[StrictInt, PydanticField(ge=1, le=MAX_ID)]


# --- messages ------------------------------------------------------------------------------


def _django_message(message, code: str, params: dict[str, Any] | None = None) -> str:
    return forms.ValidationError(message, code=code, params=params or {}).messages[0]


def generic_message(error: dict[str, Any]) -> str:
    """Words for a pydantic error on a value that no form field stands behind.

    Django's own messages where it has one (so its translations), ours otherwise.
    """
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    value = error.get("input")
    if kind == WORDED:
        return str(error.get("msg", ""))
    if kind == "missing":
        return _django_message(forms.Field.default_error_messages["required"], "required")
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return _django_message(forms.IntegerField.default_error_messages["invalid"], "invalid")
    if kind in ("float_type", "float_parsing"):
        return _django_message(forms.FloatField.default_error_messages["invalid"], "invalid")
    if kind in ("bool_type", "bool_parsing"):
        return _("Send true or false.")
    if kind == "string_type":
        return _("Send text.")
    if kind in ("model_type", "model_attributes_type", "dict_type", "object_expected"):
        return _("Send a JSON object.")
    if kind == "list_type":
        return _django_message(
            forms.MultipleChoiceField.default_error_messages["invalid_list"], "invalid_list"
        )
    if kind == "string_too_long":
        limit = ctx.get("max_length", 0)
        return _django_message(
            validators.MaxLengthValidator.message,
            "max_length",
            {"limit_value": limit, "show_value": len(value or ""), "value": value},
        )
    if kind == "string_too_short":
        limit = ctx.get("min_length", 0)
        return _django_message(
            validators.MinLengthValidator.message,
            "min_length",
            {"limit_value": limit, "show_value": len(value or ""), "value": value},
        )
    if kind == "too_long":
        return _("Send at most %(n)s items.") % {"n": ctx.get("max_length", 0)}
    if kind == "too_short":
        return _("Send at least %(n)s items.") % {"n": ctx.get("min_length", 0)}
    if kind in ("literal_error", "enum"):
        return _django_message(
            forms.ChoiceField.default_error_messages["invalid_choice"],
            "invalid_choice",
            {"value": value},
        )
    if kind in ("greater_than_equal", "greater_than"):
        return _django_message(
            validators.MinValueValidator.message,
            "min_value",
            {"limit_value": ctx.get("ge", ctx.get("gt"))},
        )
    if kind in ("less_than_equal", "less_than"):
        return _django_message(
            validators.MaxValueValidator.message,
            "max_value",
            {"limit_value": ctx.get("le", ctx.get("lt"))},
        )
    if kind == "null_character":
        return _django_message(
            validators.ProhibitNullCharactersValidator.message, "null_characters_not_allowed"
        )
    if kind == "blank":
        return _django_message(forms.Field.default_error_messages["required"], "required")
    if kind == "line_break":
        return _("Use one line, without line breaks.")
    if kind == "unsafe_characters":
        return str(UNSAFE_MESSAGE) % {"characters": ctx.get("characters", "")}
    return _django_message(validators.RegexValidator.message, "invalid")


def _field_message(field: forms.Field, code: str, params: dict[str, Any]) -> str | None:
    message = field.error_messages.get(code)
    if message is None:
        for validator in field.validators:
            if getattr(validator, "code", None) == code:
                message = validator.message
    return None if message is None else _django_message(message, code, params)


def _form_code(field: forms.Field, error: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The code the form field would have given for this pydantic error, with its params."""
    kind, value, nested = error["type"], error.get("input"), len(error["loc"]) > 1
    if kind == "missing" and not nested:
        return "required", {}
    if isinstance(field, forms.FileField):
        if kind == "string_too_short":
            return "empty", {}
        return ("required", {}) if kind in ("model_type", "model_attributes_type") else None
    if isinstance(field, forms.ModelMultipleChoiceField):
        if kind == "list_type":
            return "invalid_list", {}
        if kind == "too_short":
            return "required", {}
        return ("invalid_pk_value", {"pk": value}) if nested else None
    if isinstance(field, forms.ModelChoiceField):
        return "invalid_choice", {"value": value}
    if isinstance(field, forms.ChoiceField) and kind in ("literal_error", "enum", "string_type"):
        return "invalid_choice", {"value": value}
    if isinstance(field, forms.DateField | forms.DateTimeField):
        return "invalid", {}
    if isinstance(field, forms.CharField):
        if kind == "string_too_long":
            limit = field.max_length or 0
            return "max_length", {"limit_value": limit, "show_value": len(value), "value": value}
        if kind == "null_character":
            return "null_characters_not_allowed", {}
        if kind in ("blank", "string_too_short"):
            return "required", {}
    return None


def _worded(error: dict[str, Any], message: str) -> InitErrorDetails:
    return InitErrorDetails(
        type=PydanticCustomError(WORDED, message.replace("{", "{{").replace("}", "}}")),
        loc=error["loc"],
        input=error.get("input"),
    )


class FormSchema(BaseModel):
    """The input of an operation whose values a Django form checks (see `form_schema`)."""

    model_config = ConfigDict(extra="ignore")
    form_class: ClassVar[type[forms.Form]]
    # The message for a field whose pattern says what the form checks in its clean_<field>.
    pattern_messages: ClassVar[dict[str, Any]] = {}

    @model_validator(mode="wrap")
    @classmethod
    def _in_the_forms_words(cls, data: Any, handler):
        if not isinstance(data, dict):
            raise PydanticCustomError(WORDED, _("Send a JSON object."))
        try:
            return handler(data)
        except ValidationError as error:
            form = cls.form_class()  # the instance carries the form's own error texts
            details = []
            for item in error.errors(include_url=False):
                name = str(item["loc"][0]) if item["loc"] else ""
                field = form.fields.get(name)
                code = _form_code(field, item) if field is not None else None
                message = _field_message(field, *code) if code else None
                if item["type"] == "string_pattern_mismatch" and name in cls.pattern_messages:
                    message = str(cls.pattern_messages[name])
                details.append(_worded(item, message or generic_message(item)))
            raise ValidationError.from_exception_data(error.title, details) from None

    def form_input(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The values as the form takes them, `(data, files)`; files decoded from base64."""
        data: dict[str, Any] = {}
        files: dict[str, Any] = {}
        for name, field in self.form_class.base_fields.items():
            if name not in type(self).model_fields:
                continue
            value = getattr(self, name)
            if isinstance(field, forms.FileField):
                if value is not None:
                    files[name] = decode_file(value, name)
            else:
                data[name] = value
        return data, files


# --- the one function ---------------------------------------------------------------------


def _choices(field: forms.ChoiceField) -> list[Any]:
    values: list[Any] = []
    for value, label in field.choices:
        if isinstance(label, list | tuple):  # an optgroup
            values.extend(v for v, _label in label)
        else:
            values.append(value)
    return [v for v in values if v not in field.empty_values]


def _description(field: forms.Field) -> str | None:
    with translation.override("en"):
        parts = [str(field.label or "").strip(), str(field.help_text or "").strip()]
    sentences = [part if part[-1] in ".?!" else f"{part}." for part in parts if part]
    return " ".join(sentences) or None


def _formatted(pattern: str, form: str) -> Any:
    return Annotated[StrictStr, PydanticField(pattern=pattern, json_schema_extra={"format": form})]


def field_schema(field: forms.Field, *, present: bool = False) -> tuple[Any, FieldInfo]:
    """The pydantic type and field for one form field.

    `present`: the field may be null or empty but must be sent (so that leaving
    it out cannot clear a value by accident).
    """
    annotation: Any
    if isinstance(field, forms.BooleanField):
        annotation, empty = (Literal[True] if field.required else StrictBool), False
    elif isinstance(field, forms.ModelMultipleChoiceField):
        limits = {"min_length": 1} if field.required else {}
        annotation = Annotated[list[Id], PydanticField(max_length=100, **limits)]
        empty = []
    elif isinstance(field, forms.ModelChoiceField):
        annotation, empty = Id, None
    elif isinstance(field, forms.ChoiceField):  # also TypedChoiceField
        values = _choices(field)
        if not values:
            raise TypeError(f"{field!r} has no choices before the form is made.")
        if not field.required:
            values.append("")
        annotation, empty = Literal[tuple(values)], ""
    elif isinstance(field, forms.DateTimeField):
        annotation, empty = _formatted(DATETIME_PATTERN, "date-time"), None
    elif isinstance(field, forms.DateField):
        annotation, empty = _formatted(DATE_PATTERN, "date"), None
    elif isinstance(field, forms.FileField):
        annotation, empty = FileIn, None
    elif isinstance(field, forms.CharField):  # also EmailField
        email = any(isinstance(v, validators.EmailValidator) for v in field.validators)
        annotation = text(
            filled=field.required and field.strip,
            unsafe=(MULTILINE_UNSAFE, MULTILINE_UNSAFE_SCHEMA)
            if is_multiline(field)
            else (ONE_LINE_UNSAFE, ONE_LINE_UNSAFE_SCHEMA),
            max_length=field.max_length,
            **({"format": "email"} if email else {}),
        )
        if field.required and not field.strip:
            annotation = Annotated[annotation, PydanticField(min_length=1)]
        empty = ""
    else:
        raise TypeError(f"No JSON type for {type(field).__name__}; add it to field_schema().")
    if empty is None and not field.required:
        annotation = annotation | None
    default = ... if field.required or present else empty
    return annotation, PydanticField(default, description=_description(field))


@functools.cache
def form_schema(
    form_class: type[forms.Form],
    *,
    name: str | None = None,
    exclude: tuple[str, ...] = (),
    present: tuple[str, ...] = (),
    base: type[FormSchema] = FormSchema,
) -> type[FormSchema]:
    """The input schema of an operation whose values `form_class` checks.

    Every field of the form becomes a property: CharField → string (its
    max_length, required ones must hold more than white space), DateField →
    `format: date`, DateTimeField → `format: date-time`, ChoiceField → an enum
    of its choices, ModelChoiceField → an id (null when not required),
    ModelMultipleChoiceField → a list of ids, BooleanField → boolean,
    FileField → FileIn. `exclude` leaves out page-only fields; `present` makes
    optional fields required-but-nullable; `base` adds fields of the API's own
    or replaces one whose JSON form differs (the verdict's measures as a list).
    """
    fields: dict[str, Any] = {}
    for field_name, field in form_class.base_fields.items():
        if field_name in exclude or field_name in base.model_fields:
            continue
        fields[field_name] = field_schema(field, present=field_name in present)
    model = create_model(
        name or form_class.__name__.removesuffix("Form") + "In",
        __base__=base,
        __module__=form_class.__module__,
        __doc__=(form_class.__doc__ or "").strip() or None,
        **fields,
    )
    model.form_class = form_class
    return model
