from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from klachtbeheer.core import clock
from klachtbeheer.organisation.models import Organisation


class RetentionForm(forms.ModelForm):
    template_name = "includes/form.html"

    class Meta:
        model = Organisation
        fields = [
            "complaint_retention_months",
            "submission_retention_days",
            "raw_message_retention_days",
            "access_log_retention_months",
        ]


class SubjectLookupForm(forms.Form):
    template_name = "includes/form.html"

    email = forms.CharField(label=_("E-mail address"), max_length=254, required=False)
    phone = forms.CharField(label=_("Phone number"), max_length=30, required=False)
    name = forms.CharField(label=_("Name"), max_length=200, required=False)

    def clean(self):
        data = super().clean()
        if not any((data.get(k) or "").strip() for k in ("email", "phone", "name")):
            raise forms.ValidationError(_("Enter an e-mail address, a phone number or a name."))
        return data


class ReasonForm(forms.Form):
    template_name = "includes/form.html"

    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class AuditExportForm(forms.Form):
    template_name = "includes/form.html"

    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To (included)"), widget=forms.DateInput(attrs={"type": "date"}))
    format = forms.ChoiceField(label=_("Format"), choices=[("csv", "CSV"), ("json", "JSON")])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = clock.today()
        self.initial.setdefault("start", today.replace(day=1))
        self.initial.setdefault("end", today)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("The end of the period lies before its start."))
        return data
