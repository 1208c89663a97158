"""The complainant's details are defined once (complaints.complainant_fields) and the
three forms that ask for them (the public form, the staff registration, the
rectification) take them from there, with their messages as before (issue 14)."""

from __future__ import annotations

import pytest
from django import forms
from django.utils import translation

from klachtbeheer.complaints.complainant_fields import NAMES, Voice, complainant_field
from klachtbeheer.complaints.forms import RectifyForm, RegisterComplaintForm
from klachtbeheer.core import clock
from klachtbeheer.intake.forms import IntakeForm

FORMS = [
    (IntakeForm, Voice.PUBLIC),
    (RegisterComplaintForm, Voice.STAFF),
    (RectifyForm, Voice.STAFF),
]


def _shape(field: forms.Field) -> tuple:
    return (
        type(field),
        type(field.widget),
        field.required,
        getattr(field, "max_length", None),
        str(field.label),
        str(field.help_text),
        dict(field.widget.attrs),
        [(value, str(label)) for value, label in getattr(field, "choices", [])],
        {code: str(text) for code, text in field.error_messages.items()},
    )


@pytest.mark.parametrize(("form_class", "voice"), FORMS, ids=lambda x: getattr(x, "__name__", x))
def test_each_form_takes_every_detail_from_the_one_definition(form_class, voice):
    with translation.override("en"):
        form = form_class()
        for name in NAMES:
            assert _shape(form.fields[name]) == _shape(complainant_field(name, voice)), name
            # The form's own texts add nothing on top of the definition's for these.
            assert name not in getattr(form_class, "error_texts", {}), name


def test_the_two_voices_differ_only_in_words_and_in_the_public_autocomplete():
    for name in NAMES:
        public, staff = complainant_field(name, Voice.PUBLIC), complainant_field(name, Voice.STAFF)
        assert public.required == staff.required, name
        assert getattr(public, "max_length", None) == getattr(staff, "max_length", None), name
        assert [v for v, _label in getattr(public, "choices", [])] == [
            v for v, _label in getattr(staff, "choices", [])
        ], name
    assert complainant_field("email", Voice.PUBLIC).widget.attrs["autocomplete"] == "email"
    assert "autocomplete" not in complainant_field("email", Voice.STAFF).widget.attrs


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("form_class", "data", "field", "message"),
    [
        (IntakeForm, {"name": "  "}, "name", "Enter your name"),
        (IntakeForm, {"postcode": "12"}, "postcode", "Enter a postcode, like 3741 AB"),
        (IntakeForm, {"phone": "12"}, "phone", "Enter a phone number, like 06 12345678"),
        (IntakeForm, {"email": "anna@"}, "email", "Enter an e-mail address in the right format"),
        (IntakeForm, {"city": "x" * 101}, "city", "The town must be 100 characters or fewer"),
        (RegisterComplaintForm, {"name": ""}, "name", "Enter the name of the complainant."),
        (RegisterComplaintForm, {"postcode": "12"}, "postcode", "Enter a Dutch postcode such"),
        (RegisterComplaintForm, {"phone": "12"}, "phone", "Enter a phone number such as 035"),
        (RegisterComplaintForm, {"email": "anna@"}, "email", "Enter an e-mail address like"),
        (RectifyForm, {"name": ""}, "name", "Enter the name of the complainant."),
        (RectifyForm, {"postcode": "12"}, "postcode", "Enter a Dutch postcode such as 3741 AB."),
    ],
)
def test_the_messages_stay_as_they_were(form_class, data, field, message):
    with translation.override("en"):
        form = form_class(data={"name": "Anna de Vries", **data})
        assert not form.is_valid()
        assert any(error.startswith(message) for error in form.errors[field]), form.errors


@pytest.mark.django_db
def test_postcodes_and_phone_numbers_come_back_in_one_form_from_every_form(world):
    common = {
        "name": "Anna de Vries",
        "complainant_type": "client",
        "postcode": "3741ab",
        "phone": "0612345678",
        "email": "anna@example.nl",
        "substantiation": "De coach kwam niet.",
    }
    public = IntakeForm(data=common)
    staff = RegisterComplaintForm(
        data={**common, "channel": "email", "received_on": clock.today().isoformat()}
    )
    rectify = RectifyForm(data={**common, "reason": "Postcode was fout."})
    for form in (public, staff, rectify):
        assert form.is_valid(), form.errors
    assert {form.cleaned_data["postcode"] for form in (public, staff, rectify)} == {"3741 AB"}
    assert public.cleaned_data["phone"] == staff.cleaned_data["phone"]
    assert rectify.cleaned_data["phone"] == public.cleaned_data["phone"]
    # The rectification lets the service refuse a number that is none (409, as in the API).
    assert RectifyForm(data={**common, "phone": "12", "reason": "x"}).is_valid()
