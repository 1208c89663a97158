"""The complainant's details as form fields, defined once (issue 14).

Three forms ask for them: the public form (`intake.forms.IntakeForm`) asks the
complainant ("Your name"), the staff registration and the rectification
(`complaints.forms`) ask about them ("Name of the complainant"). The fields, their
lengths, autocomplete tokens, normalisation and messages are written here once, in
the two voices; a form takes a fresh field with `complainant_field(name, voice)` and a
check with `complainant_clean(name, voice)`, so its own order of questions stays.

It lives in `complaints`, the lowest app that both `intake` and `complaints.forms` may
import (pyproject [tool.importlinter]) and the home of `FormOfAddress`.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from django import forms
from django.core.validators import EmailValidator
from django.utils.translation import gettext_lazy as _

from klachtbeheer.complaints.models import FormOfAddress
from klachtbeheer.organisation.selectors import normalise_phone, normalise_postcode


class Voice(StrEnum):
    PUBLIC = "public"  # the complainant fills it in: "your"
    STAFF = "staff"  # a colleague registers or corrects it: "the complainant's"


PUBLIC_EMAIL_FORMAT = _("Enter an e-mail address in the right format, like name@example.nl")
PUBLIC_POSTCODE_FORMAT = _("Enter a postcode, like 3741 AB")
PUBLIC_PHONE_FORMAT = _("Enter a phone number, like 06 12345678")
STAFF_POSTCODE_FORMAT = _("Enter a Dutch postcode such as 3741 AB.")
STAFF_PHONE_FORMAT = _("Enter a phone number such as 035 123 4567.")

NAMES = ("name", "form_of_address", "email", "phone", "street_address", "postcode", "city")


def _text(
    voice: Voice,
    *,
    label,
    max_length: int,
    autocomplete: str = "",
    public_help=None,
    staff_help=None,
    public_errors: dict | None = None,
    staff_errors: dict | None = None,
    required: bool = False,
    input_type: str = "",
) -> forms.CharField:
    public = voice == Voice.PUBLIC
    attrs = {}
    if public and autocomplete:
        attrs["autocomplete"] = autocomplete
    if public and input_type:
        attrs["type"] = input_type
    help_text = public_help if public else staff_help
    field = forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        help_text=help_text if help_text is not None else "",
        widget=forms.TextInput(attrs=attrs) if attrs else None,
    )
    errors = public_errors if public else staff_errors
    if errors is not None:
        field.error_messages.update(errors)
    return field


def complainant_field(name: str, voice: Voice) -> forms.Field:
    """A new form field for one of the complainant's details, in the form's voice."""
    public = voice == Voice.PUBLIC
    if name == "name":
        return _text(
            voice,
            label=_("Your name") if public else _("Name of the complainant"),
            max_length=200,
            autocomplete="name",
            required=True,
            public_errors={
                "required": _("Enter your name"),
                "max_length": _("Your name must be 200 characters or fewer"),
            },
            staff_errors={"required": _("Enter the name of the complainant.")},
        )
    if name == "form_of_address":
        if public:
            label = _("How shall we address you in letters?")
            choices = [
                (FormOfAddress.MRS, _("Dear Mrs … (Geachte mevrouw …)")),
                (FormOfAddress.MR, _("Dear Mr … (Geachte heer …)")),
                (FormOfAddress.NEUTRAL, _("With my full name, without mrs or mr")),
            ]
        else:
            label = _("Form of address in letters")
            choices = [
                (FormOfAddress.MRS, _("Geachte mevrouw …")),
                (FormOfAddress.MR, _("Geachte heer …")),
                (FormOfAddress.NEUTRAL, _("Neutral: the full name")),
            ]
        return forms.ChoiceField(
            label=label, choices=choices, widget=forms.RadioSelect, required=False
        )
    if name == "email":
        if not public:
            field = forms.EmailField(label=_("E-mail address"), max_length=254, required=False)
            field.error_messages["invalid"] = _("Enter an e-mail address like name@example.nl.")
            return field
        # A CharField with the e-mail validator: the shared widget filter would switch
        # autocomplete off on an EmailField (right for staff typing someone else's
        # address), and WCAG 1.3.5 wants it on for the complainant's own.
        field = forms.CharField(
            label=_("E-mail address"),
            help_text=_("We send the confirmation and our answers here."),
            max_length=254,
            required=False,
            validators=[EmailValidator(message=PUBLIC_EMAIL_FORMAT)],
            widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        )
        field.error_messages.update(
            {
                "invalid": PUBLIC_EMAIL_FORMAT,
                "max_length": _("Your e-mail address must be 254 characters or fewer"),
            }
        )
        return field
    if name == "phone":
        return _text(
            voice,
            label=_("Phone number"),
            max_length=30,
            autocomplete="tel",
            input_type="tel",
            public_help=_("We will try to call you within a week to talk about your complaint."),
            public_errors={"max_length": PUBLIC_PHONE_FORMAT},
        )
    if name == "street_address":
        return _text(
            voice,
            label=_("Street and number"),
            max_length=200,
            autocomplete="street-address",
            public_errors={"max_length": _("Street and number must be 200 characters or fewer")},
        )
    if name == "postcode":
        return _text(
            voice,
            label=_("Postcode"),
            max_length=8,
            autocomplete="postal-code",
            public_help=_("It tells us which district handles your complaint."),
            staff_help=_("Decides the district and so the handler."),
            public_errors={"max_length": PUBLIC_POSTCODE_FORMAT},
        )
    if name == "city":
        return _text(
            voice,
            label=_("Town"),
            max_length=100,
            autocomplete="address-level2",
            public_errors={"max_length": _("The town must be 100 characters or fewer")},
        )
    raise KeyError(name)


def complainant_clean(name: str, voice: Voice) -> Callable[[forms.Form], str]:
    """A form's `clean_<name>` for one of the complainant's details, in the form's voice.

    Postcodes and phone numbers come back in one written form (organisation.selectors),
    so the district (P3.1) is found the same way whoever typed them.
    """
    public = voice == Voice.PUBLIC

    def clean_name(form: forms.Form) -> str:
        value = form.cleaned_data["name"].strip()
        if not value:
            raise forms.ValidationError(form.fields["name"].error_messages["required"])
        return value

    def clean_postcode(form: forms.Form) -> str:
        value = form.cleaned_data["postcode"].strip()
        if not value:
            return ""
        normalised = normalise_postcode(value)
        if not normalised:
            raise forms.ValidationError(PUBLIC_POSTCODE_FORMAT if public else STAFF_POSTCODE_FORMAT)
        return normalised

    def clean_phone(form: forms.Form) -> str:
        value = form.cleaned_data["phone"].strip()
        if not value:
            return ""
        normalised = normalise_phone(value)
        if not normalised:
            raise forms.ValidationError(PUBLIC_PHONE_FORMAT if public else STAFF_PHONE_FORMAT)
        return normalised

    cleaners = {"name": clean_name, "postcode": clean_postcode, "phone": clean_phone}
    return cleaners[name]
