from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from klachtbeheer.complaints.forms import DateInput, StaffForm
from klachtbeheer.complaints.models import ComplainantType
from klachtbeheer.core import clock
from klachtbeheer.organisation.selectors import normalise_postcode

REFERENCE = re.compile(r"^\s*KL-\d{4}-\d{5}\s*$", re.IGNORECASE)


class MakeComplaintForm(StaffForm):
    """A message that waited becomes a complaint; the details as the quality manager reads them."""

    error_texts = {
        "complainant_type": {"required": _("Choose who is complaining.")},
        "name": {"required": _("Enter the name of the complainant.")},
        "email": {"invalid": _("Enter an e-mail address like name@example.nl.")},
        "received_on": {
            "required": _("Enter the date of receipt."),
            "invalid": _("Enter the date of receipt as a real date, for example 27-3-2026."),
        },
        "substantiation": {"required": _("Describe what happened.")},
    }

    complainant_type = forms.ChoiceField(
        label=_("Who is complaining?"), choices=ComplainantType.choices, widget=forms.RadioSelect
    )
    name = forms.CharField(label=_("Name of the complainant"), max_length=200)
    email = forms.EmailField(label=_("E-mail address"), required=False)
    postcode = forms.CharField(
        label=_("Postcode"),
        max_length=8,
        required=False,
        help_text=_("Decides the district and so the handler; without it, triage."),
    )
    received_on = forms.DateField(
        label=_("Date of receipt"),
        help_text=_("The day the e-mail reached the mailbox. The terms run from it."),
        widget=DateInput(),
    )
    substantiation = forms.CharField(
        label=_("What happened"), widget=forms.Textarea(attrs={"rows": 12})
    )
    acknowledge = forms.BooleanField(
        label=_("Owe the acknowledgement of receipt"),
        required=False,
        initial=True,
        help_text=_("Untick for a message sent by a machine: it must never be answered."),
    )

    def clean_received_on(self):
        value = self.cleaned_data["received_on"]
        if value > clock.today():
            raise forms.ValidationError(_("The date of receipt cannot be in the future."))
        return value

    def clean_postcode(self):
        value = self.cleaned_data["postcode"].strip()
        if not value:
            return ""
        normalised = normalise_postcode(value)
        if not normalised:
            raise forms.ValidationError(_("Enter a Dutch postcode such as 3741 AB."))
        return normalised


class AttachToCaseForm(StaffForm):
    error_texts = {"reference": {"required": _("Enter the reference of the complaint.")}}

    reference = forms.CharField(
        label=_("Reference of the complaint"),
        max_length=20,
        help_text=_("For example KL-2026-00042. The message goes on that complaint's timeline."),
    )

    def clean_reference(self):
        value = self.cleaned_data["reference"]
        if not REFERENCE.match(value):
            raise forms.ValidationError(_("Enter a reference such as KL-2026-00042."))
        return value.strip().upper()


class IgnoreForm(StaffForm):
    error_texts = {"reason": {"required": _("Say why this message is ignored.")}}

    reason = forms.CharField(
        label=_("Why is this message ignored?"),
        help_text=_("For example spam, a newsletter, or a message already dealt with."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
