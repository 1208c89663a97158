from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from klachtbeheer.accounts.models import ServiceScope
from klachtbeheer.organisation.models import District, Role


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        help_text=_("The six digits your authenticator app shows now, or a recovery code."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        error_messages={"required": _("Enter the code.")},
    )


class SetupForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the app"),
        max_length=10,
        help_text=_("The six digits the app shows after you scanned the code."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        error_messages={"required": _("Enter the code from the app.")},
    )


def _districts_field():
    return forms.ModelMultipleChoiceField(
        label=_("Districts managed"),
        queryset=District.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only for a district manager: complaints from these districts go to them."),
    )


class InviteForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    email = forms.EmailField(
        label=_("E-mail address"),
        help_text=_("The invitation with a link to set a password goes here."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.STAFF)
    districts = _districts_field()

    def clean_email(self):
        email = self.cleaned_data["email"]
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("A colleague with this e-mail address exists."))
        return email

    def clean(self):
        data = super().clean()
        if data.get("districts") and data.get("role") != Role.DISTRICT_MANAGER:
            self.add_error("districts", _("Only a district manager manages districts."))
        return data


class UserForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    job_title = forms.CharField(label=_("Job title"), max_length=100, required=False)
    districts = _districts_field()

    def clean(self):
        data = super().clean()
        if data.get("districts") and data.get("role") != Role.DISTRICT_MANAGER:
            self.add_error("districts", _("Only a district manager manages districts."))
        return data


class ServiceAccountForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("The system that uses it, such as the website or the CRM."),
    )
    scope = forms.ChoiceField(label=_("Scope"), choices=ServiceScope.choices)
    role = forms.ChoiceField(
        label=_("Reads as"),
        choices=[
            (Role.BOARD, Role.BOARD.label),
            (Role.QUALITY_MANAGER, Role.QUALITY_MANAGER.label),
        ],
        initial=Role.BOARD,
        help_text=_("Read and steps: the complaints it sees are those this role sees."),
    )
    days = forms.IntegerField(label=_("Valid for (days)"), min_value=1, max_value=730, initial=365)


class PasswordResetRequestForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
