"""The public form's questions and their messages, shared by the form and the intake API.

Messages say what to do ("Beschrijf uw klacht"), never "ongeldig" (UX.md 4).
"""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from klachtbeheer.complaints.complainant_fields import Voice, complainant_clean, complainant_field
from klachtbeheer.complaints.models import ComplainantType
from klachtbeheer.core.text import guard_text_fields
from klachtbeheer.intake.services import IntakeData

SUBSTANTIATION_MAX = 10000
OUTCOME_MAX = 3000
COUNTER_TEXT = _("You have %(n)s characters left")

# P1.1, in the words of the person filling in the form.
COMPLAINANT_CHOICES = [
    (ComplainantType.CLIENT, _("I am a client: I am being advised or coached")),
    (ComplainantType.MUNICIPALITY, _("I write on behalf of a municipality")),
    (ComplainantType.UWV, _("I write on behalf of UWV")),
    (ComplainantType.COMPANY, _("I write on behalf of a company")),
    (ComplainantType.PRIVATE_COMMISSIONER, _("I commissioned the work as a private person")),
]


class PublicForm(forms.Form):
    """Fields rendered by core's includes/field.html, with specific error texts."""

    error_texts: dict[str, dict[str, str]] = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, texts in self.error_texts.items():
            if name in self.fields:
                self.fields[name].error_messages.update(texts)
        guard_text_fields(self)


class IntakeForm(PublicForm):
    error_texts = {
        "complainant_type": {
            "required": _("Choose who you are"),
            "invalid_choice": _("Choose who you are"),
        },
        "organisation": {
            "max_length": _("The name of the organisation must be 200 characters or fewer")
        },
        "service": {"max_length": _("The service must be 200 characters or fewer")},
        "employee_concerned": {"max_length": _("The name must be 200 characters or fewer")},
        "substantiation": {
            "required": _("Describe your complaint"),
            "max_length": _("Your complaint must be 10,000 characters or fewer"),
        },
        "desired_outcome": {
            "max_length": _("The outcome you want must be 3,000 characters or fewer")
        },
    }

    complainant_type = forms.ChoiceField(
        label=_("Who are you?"), choices=COMPLAINANT_CHOICES, widget=forms.RadioSelect
    )
    # The complainant's details: one definition for this form and the staff forms.
    name = complainant_field("name", Voice.PUBLIC)
    form_of_address = complainant_field("form_of_address", Voice.PUBLIC)
    organisation = forms.CharField(
        label=_("Name of your organisation"),
        help_text=_("When you write on behalf of a municipality, UWV or a company."),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    is_uwv_client = forms.BooleanField(
        label=_("I am a UWV client"),
        help_text=_("For example because UWV pays for your coaching."),
        required=False,
    )
    email = complainant_field("email", Voice.PUBLIC)
    phone = complainant_field("phone", Voice.PUBLIC)
    street_address = complainant_field("street_address", Voice.PUBLIC)
    postcode = complainant_field("postcode", Voice.PUBLIC)
    city = complainant_field("city", Voice.PUBLIC)
    service = forms.CharField(
        label=_("Which service or programme is it about?"),
        help_text=_("For example a coaching programme, an advice report or a training."),
        max_length=200,
        required=False,
    )
    employee_concerned = forms.CharField(
        label=_("Which employee is it about?"),
        help_text=_("Only when your complaint is about someone’s conduct."),
        max_length=200,
        required=False,
    )
    substantiation = forms.CharField(
        label=_("What happened?"),
        help_text=_(
            "Describe what went wrong, when, and who was involved. "
            "You can use up to 10,000 characters."
        ),
        max_length=SUBSTANTIATION_MAX,
        widget=forms.Textarea(attrs={"rows": 10, "data-counter-text": COUNTER_TEXT}),
    )
    desired_outcome = forms.CharField(
        label=_("What would you like us to do?"),
        help_text=_("For example an apology, a new coach or a correction of a report."),
        max_length=OUTCOME_MAX,
        widget=forms.Textarea(attrs={"rows": 4, "data-counter-text": COUNTER_TEXT}),
        required=False,
    )

    clean_name = complainant_clean("name", Voice.PUBLIC)
    clean_postcode = complainant_clean("postcode", Voice.PUBLIC)
    clean_phone = complainant_clean("phone", Voice.PUBLIC)

    def clean_substantiation(self):
        value = self.cleaned_data["substantiation"].strip()
        if not value:
            raise forms.ValidationError(self.fields["substantiation"].error_messages["required"])
        return value

    def clean(self):
        data = super().clean()
        has_email = bool(data.get("email"))
        address_parts = [data.get(k) for k in ("street_address", "postcode", "city")]
        if not has_email:
            if not any(address_parts) and "email" not in self.errors:
                self.add_error("email", _("Enter your e-mail address or your postal address"))
            elif any(address_parts):
                missing = {
                    "street_address": _("Enter your street and number"),
                    "postcode": _("Enter your postcode"),
                    "city": _("Enter your town"),
                }
                for key, message in missing.items():
                    if not data.get(key) and key not in self.errors:
                        self.add_error(key, message)
        return data

    def intake_data(self) -> IntakeData:
        data = self.cleaned_data
        return IntakeData(
            complainant_type=data["complainant_type"],
            name=data["name"],
            form_of_address=data.get("form_of_address") or "",
            organisation=data["organisation"].strip(),
            email=data["email"].strip(),
            phone=data["phone"],
            street_address=data["street_address"].strip(),
            postcode=data["postcode"],
            city=data["city"].strip(),
            is_uwv_client=bool(data["is_uwv_client"]),
            service=data["service"].strip(),
            employee_concerned=data["employee_concerned"].strip(),
            substantiation=data["substantiation"],
            desired_outcome=data["desired_outcome"].strip(),
        )


class AddInformationForm(PublicForm):
    error_texts = {
        "text": {"max_length": _("Your addition must be 10,000 characters or fewer")},
    }

    text = forms.CharField(
        label=_("What would you like to add?"),
        help_text=_("You can use up to 10,000 characters."),
        max_length=SUBSTANTIATION_MAX,
        widget=forms.Textarea(attrs={"rows": 6, "data-counter-text": COUNTER_TEXT}),
        required=False,
    )


class LinkAgainForm(PublicForm):
    """ "Send me my link again": the e-mail address we have, and the reference if known."""

    error_texts = {
        "email": {
            "required": _("Enter the e-mail address you gave with your complaint"),
            "invalid": _("Enter an e-mail address in the right format, like name@example.nl"),
        },
    }

    email = forms.EmailField(
        label=_("Your e-mail address"),
        help_text=_("The address you gave with your complaint."),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
    reference = forms.CharField(
        label=_("Reference of your complaint"),
        help_text=_("For example KL-2026-00042. Without it we send a link for each complaint."),
        max_length=20,
        required=False,
    )

    def clean_reference(self):
        value = self.cleaned_data["reference"].strip().upper()
        if value and not re.fullmatch(r"KL-\d{4}-\d{1,6}", value):
            raise forms.ValidationError(
                _("Enter the reference as it is in our letter, like KL-2026-00042")
            )
        return value


class ReviewForm(forms.Form):
    template_name = "includes/form.html"

    note = forms.CharField(
        label=_("Note"),
        help_text=_("Required when you reject: why this is not a complaint."),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
    )


class TokenForm(forms.Form):
    template_name = "includes/form.html"

    name = forms.CharField(
        label=_("Name of the token"),
        help_text=_("What will use it, for example “Case system link”."),
        max_length=100,
        error_messages={"required": _("Give the token a name")},
    )
