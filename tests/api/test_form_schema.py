"""The step inputs are the step forms: one function turns a form class into its JSON schema."""

from __future__ import annotations

import math

import pytest
from django import forms
from django.contrib.auth import get_user_model
from pydantic import ValidationError

from klachtbeheer.complaints.api import step_form, step_input, step_name
from klachtbeheer.complaints.forms import PersonConcernedForm
from klachtbeheer.complaints.models import Category
from klachtbeheer.complaints.workflow import Step
from klachtbeheer.core.form_schema import form_schema
from tests.api.conftest import api


class EveryKindForm(forms.Form):
    text = forms.CharField(max_length=20)
    note = forms.CharField(required=False)
    email = forms.EmailField(required=False, max_length=254)
    on = forms.DateField()
    at = forms.DateTimeField(required=False)
    colour = forms.ChoiceField(choices=[("red", "Red"), ("blue", "Blue")])
    size = forms.ChoiceField(choices=[("s", "S"), ("m", "M")], required=False)
    person = forms.ModelChoiceField(queryset=get_user_model().objects.none(), required=False)
    owner = forms.ModelChoiceField(queryset=get_user_model().objects.none())
    tags = forms.ModelMultipleChoiceField(queryset=Category.objects.none(), required=False)
    urgent = forms.BooleanField(required=False)
    scan = forms.FileField(required=False)


def _schema(form_class) -> dict:
    return form_schema(form_class).model_json_schema()


def test_every_field_kind_has_its_json_type():
    schema = _schema(EveryKindForm)
    props = schema["properties"]
    assert set(schema["required"]) == {"text", "on", "colour", "owner"}
    assert props["text"]["type"] == "string" and props["text"]["maxLength"] == 20
    assert props["text"]["minLength"] == 1 and "not" in props["text"]  # more than white space
    assert props["note"]["default"] == ""
    assert props["email"]["format"] == "email" and props["email"]["maxLength"] == 254
    assert props["on"]["format"] == "date"
    assert {"format": "date-time"}.items() <= props["at"]["anyOf"][0].items()
    assert props["at"]["anyOf"][1] == {"type": "null"}
    assert props["colour"]["enum"] == ["red", "blue"]
    assert props["size"]["enum"] == ["s", "m", ""]
    assert props["person"]["anyOf"][0] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 2**31 - 1,
    }
    assert props["owner"]["type"] == "integer"
    assert props["tags"]["type"] == "array" and props["tags"]["items"]["type"] == "integer"
    assert props["urgent"] == {"type": "boolean", "default": False, "title": "Urgent"}
    assert props["scan"]["anyOf"][0] == {"$ref": "#/$defs/FileIn"}


def test_the_schema_refuses_what_it_forbids():
    schema = form_schema(EveryKindForm)
    good = {"text": "ja", "on": "2026-03-27", "colour": "red", "owner": 3}
    assert schema.model_validate(good).text == "ja"
    for wrong in (
        {"text": " "},
        {"text": "x" * 21},
        {"text": 12},
        {"on": "27-03-2026"},
        {"colour": "green"},
        {"owner": "3"},
        {"owner": True},
        {"owner": 0},
        {"urgent": "yes"},
        {"tags": [1, "2"]},
        {"note": "a\x00b"},
        {"at": "2026-03-27T10:00"},  # no offset: not RFC 3339
    ):
        with pytest.raises(ValidationError):
            schema.model_validate({**good, **wrong})


def test_an_unknown_field_kind_is_refused_not_guessed():
    class Odd(forms.Form):
        number = forms.DecimalField()

    with pytest.raises(TypeError, match="DecimalField"):
        form_schema(Odd)


@pytest.mark.parametrize("step", list(Step), ids=step_name)
def test_each_step_takes_exactly_its_forms_fields(step):
    assert set(step_input(step).model_fields) == set(step_form(step).base_fields)


def test_a_field_the_form_gains_is_in_the_schema_at_once():
    class WithReason(PersonConcernedForm):
        reason = forms.CharField(max_length=500)

    schema = _schema(WithReason)
    assert "reason" in schema["required"] and schema["properties"]["reason"]["maxLength"] == 500


@pytest.mark.django_db
def test_the_openapi_document_has_enums_dates_and_ids(client):
    schema = client.get(api("/openapi.json")).json()
    parts = schema["components"]["schemas"]
    assert parts["State"]["enum"][0] == "received"
    assert set(parts["Channel"]["enum"]) == {"post", "email", "web_form"}
    assert "client" in parts["ComplainantType"]["enum"]
    assert set(parts["ContactAttemptIn"]["properties"]["channel"]["enum"]) >= {"phone", "letter"}
    assert parts["VerdictIn"]["properties"]["verdict"]["enum"] == [
        "founded",
        "partly_founded",
        "unfounded",
    ]
    assert parts["ContactIn"]["properties"]["on"]["format"] == "date"
    assert parts["ContactAttemptIn"]["properties"]["at"]["format"] == "date-time"
    assert parts["ComplaintOut"]["properties"]["received_on"]["format"] == "date"
    assert parts["ReassignIn"]["properties"]["handler"]["maximum"] == 2**31 - 1
    verdict = parts["VerdictIn"]["properties"]
    assert {"categories", "measure_owner", "measures_due_on", "measures"} <= set(verdict)
    assert parts["StepOut"]["properties"]["name"]["enum"][2] == "contact-attempt"


def test_the_documented_file_limit_is_the_one_intake_and_the_steps_apply():
    from klachtbeheer.complaints.services import MAX_ATTACHMENT_BYTES
    from klachtbeheer.core.api import FILE_MAX_BYTES, FileIn
    from klachtbeheer.intake.files import MAX_FILE_BYTES

    assert FILE_MAX_BYTES == MAX_FILE_BYTES == MAX_ATTACHMENT_BYTES
    limit = FileIn.model_json_schema()["properties"]["content_base64"]["maxLength"]
    assert limit == 4 * math.ceil(FILE_MAX_BYTES / 3)  # base64: 4 characters per 3 bytes


def test_registering_and_rectifying_take_the_postcode_by_one_definition():
    """Both staff forms decide the district by the postcode (P3.1): one schema for it."""
    from klachtbeheer.complaints.api import ComplainantPostcodeFields
    from klachtbeheer.intake.api import RegistrationIn

    rectify = step_input(Step.RECTIFY)
    assert issubclass(rectify, ComplainantPostcodeFields)
    assert issubclass(RegistrationIn, ComplainantPostcodeFields)
    postcode = ComplainantPostcodeFields.model_json_schema()["properties"]["postcode"]
    for schema in (rectify, RegistrationIn):
        assert schema.model_json_schema()["properties"]["postcode"] == postcode
    assert postcode["pattern"] and postcode["maxLength"] == 8
