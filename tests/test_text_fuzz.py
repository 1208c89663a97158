"""Names, addresses, postcodes, phone numbers and file names from people (issue 12).

Any Unicode in: a field is stored as typed (trimmed; postcodes and phone numbers in their
standard form) or refused with a message, never a 500; nothing stored holds a control or
bidirectional character. The same through the API. Bounded in `make test`, long in
`make fuzz`. Also the defects found on main: a U+202E kept in a file name on the staff
path, and a CR/LF in the street address accepted into the letter's address block.
"""

from __future__ import annotations

import unicodedata

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import example, given
from hypothesis import strategies as st

from klachtbeheer.complaints import services as complaint_services
from klachtbeheer.complaints.forms import RegisterComplaintForm
from klachtbeheer.core.text import clean_filename, unsafe_in_one_line
from klachtbeheer.intake.files import PDF, safe_filename
from klachtbeheer.intake.forms import IntakeForm
from tests.api.conftest import api
from tests.factories import ComplaintFactory
from tests.fuzzing import fuzz_settings

UNSAFE = ["\r\n", "\n", "\r", "\x00", "\x1b", "\x85", "\u202e", "\u2066", "\u200f", "\u2028",
          "\ufeff", "\x7f"]  # fmt: skip
# Any text, with the characters that do harm mixed in often.
any_text = st.one_of(
    st.text(max_size=60),
    st.lists(st.one_of(st.sampled_from(UNSAFE), st.text(max_size=8)), max_size=8).map("".join),
)
LINE_FIELDS = ["name", "organisation", "street_address", "city", "service", "employee_concerned"]


def intake_form(**values) -> IntakeForm:
    data = {
        "complainant_type": "client",
        "name": "Anna de Vries",
        "email": "anna@example.nl",
        "substantiation": "Mijn coach kwam niet.",
    }
    data.update(values)
    return IntakeForm(data)


@fuzz_settings(bounded=120, long=3_000)
@given(field=st.sampled_from(LINE_FIELDS), value=any_text)
@example(field="name", value="J. van 't Hoff & Zn.")
@example(field="street_address", value="Dorpsstraat 1\r\nBcc: x@example.nl")
@example(field="name", value="passwd\u202egpj")
def test_a_one_line_field_is_stored_as_typed_or_refused_with_a_message(field, value):
    form = intake_form(**{field: value})
    if unsafe_in_one_line(value.strip()):  # the form trims white space (also CR/LF) first
        assert not form.is_valid()
        assert form.errors[field] and all(message for message in form.errors[field])
        return
    if form.is_valid():
        assert form.cleaned_data[field] == value.strip()
    else:
        assert form.errors.get(field) or field not in form.cleaned_data


@fuzz_settings(bounded=80, long=3_000)
@given(postcode=any_text, phone=any_text)
@example(postcode="3741\u202eAB", phone="06\r\n12345678")
def test_postcodes_and_phone_numbers_are_standard_or_refused(postcode, phone):
    form = intake_form(postcode=postcode, phone=phone)
    form.is_valid()
    for field in ("postcode", "phone"):
        if field in form.cleaned_data:
            assert not unsafe_in_one_line(form.cleaned_data[field])
        else:
            assert form.errors[field]


@fuzz_settings(bounded=300, long=20_000)
@given(name=any_text)
@example(name="passwd\u202egpj.pdf")
@example(name="..\\..\\etc/passwd")
@example(name="a" * 300 + ".pdf")
@example(name="\u200b.0")  # found by make fuzz: safe_filename made it ".0.pdf"
def test_a_file_name_is_safe_to_show(name):
    for cleaned in (clean_filename(name), safe_filename(name, PDF)):
        assert cleaned and not unsafe_in_one_line(cleaned)
        assert "/" not in cleaned and "\\" not in cleaned and not cleaned.startswith(".")
        assert len(cleaned) <= 200
    plain = not unsafe_in_one_line(name) and not set(name) & set("/\\.") and len(name) < 150
    if plain and name == " ".join(name.split()) and name:
        assert clean_filename(name) == unicodedata.normalize("NFC", name)  # kept as it was


def test_the_staff_form_refuses_a_line_break_in_the_street_address(world):
    form = RegisterComplaintForm(
        {"street_address": "Dorpsstraat 1\r\nBcc: x@example.nl", "name": "A"}
    )
    form.is_valid()
    assert "U+000D" in str(form.errors["street_address"])


@pytest.mark.django_db
def test_a_bidi_control_is_never_kept_in_a_file_name_on_the_staff_path(world):
    complaint = ComplaintFactory()
    attachment = complaint_services.complaint_add_attachment(
        actor=world.qm,
        reference=complaint.reference,
        upload=SimpleUploadedFile("passwd\u202egpj.pdf", b"%PDF-1.4 x"),
    )
    assert attachment.filename == "passwdgpj.pdf"


@pytest.mark.django_db
def test_the_api_refuses_what_the_form_refuses_with_the_same_message(client, world):
    from klachtbeheer.intake import services

    _key, secret = services.api_key_create(actor=world.qm, name="site")
    response = client.post(
        api("/complaints"),
        {
            "complainant_type": "client",
            "name": "Anna\u202e de Vries",
            "email": "anna@example.nl",
            "street_address": "Dorpsstraat 1\r\nBcc: x@example.nl",
            "substantiation": "Mijn coach kwam niet.",
        },
        "application/json",
        HTTP_X_API_KEY=secret,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 422
    errors = {error["field"]: error["message"] for error in response.json()["errors"]}
    assert "U+202E" in errors["name"] and "U+000D" in errors["street_address"]
    assert "invisible characters" in errors["name"]
