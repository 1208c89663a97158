from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from klachtbeheer.complaints.forms import DateInput, StaffForm, UserChoiceField
from klachtbeheer.complaints.models import (
    Category,
    Channel,
    ComplainantType,
    Effectiveness,
    Verdict,
)
from klachtbeheer.complaints.selectors import who_may_see
from klachtbeheer.complaints.workflow import State
from klachtbeheer.core import clock
from klachtbeheer.organisation.models import District
from klachtbeheer.reporting.models import Satisfaction
from klachtbeheer.reporting.selectors import NO_VALUE, Period, RegisterFilters
from klachtbeheer.reporting.services import measure_owner_candidates

ALL = ("", _("All"))


class RegisterFilterForm(forms.Form):
    """The register's filters; every one lives in the URL so a view can be bookmarked."""

    received_from = forms.DateField(label=_("Received from"), required=False, widget=DateInput())
    received_until = forms.DateField(label=_("Received until"), required=False, widget=DateInput())
    district = forms.ModelChoiceField(
        label=_("District"), queryset=District.objects.all(), required=False, empty_label=_("All")
    )
    complainant_type = forms.ChoiceField(
        label=_("Complainant"), choices=[ALL, *ComplainantType.choices], required=False
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=[ALL, *Channel.choices], required=False)
    category = forms.ChoiceField(label=_("Category"), required=False)
    verdict = forms.ChoiceField(
        label=_("Verdict"),
        choices=[ALL, *Verdict.choices, (NO_VALUE, _("No verdict yet"))],
        required=False,
    )
    state = forms.ChoiceField(label=_("State"), choices=[ALL, *State.choices], required=False)
    terms = forms.ChoiceField(
        label=_("Terms"),
        choices=[
            ALL,
            ("met", _("Every term met")),
            ("missed", _("A term missed")),
            ("open", _("A term still running")),
        ],
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [
            ALL,
            *((str(c.pk), c.name) for c in Category.objects.all()),
            (NO_VALUE, _("No category")),
        ]

    def clean(self):
        data = super().clean()
        start, end = data.get("received_from"), data.get("received_until")
        if start and end and start > end:
            self.add_error("received_until", _("The end of the period is before its start."))
        return data

    def filters(self) -> RegisterFilters:
        if not self.is_bound or not self.is_valid():
            return RegisterFilters()
        data = self.cleaned_data
        category = data["category"]
        return RegisterFilters(
            received_from=data["received_from"],
            received_until=data["received_until"],
            district=data["district"].pk if data["district"] else None,
            complainant_type=data["complainant_type"],
            channel=data["channel"],
            category=NO_VALUE if category == NO_VALUE else (int(category) if category else None),
            verdict=data["verdict"],
            state=data["state"],
            terms=data["terms"],
        )


class PeriodForm(forms.Form):
    """A calendar year, or a period of its own (from/until)."""

    year = forms.TypedChoiceField(label=_("Year"), coerce=int, required=False, empty_value=None)
    start = forms.DateField(label=_("From"), required=False, widget=DateInput())
    end = forms.DateField(label=_("Until"), required=False, widget=DateInput())

    def __init__(self, *args, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [*((y, str(y)) for y in years), ("", _("Own period"))]
        if years:
            self.initial.setdefault("year", years[0])

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if data.get("year") is None and (start or end):
            if not (start and end):
                self.add_error("end", _("Enter both the start and the end of the period."))
            elif start > end:
                self.add_error("end", _("The end of the period is before its start."))
        return data

    def period(self, today: dt.date) -> Period:
        if self.is_bound and self.is_valid():
            data = self.cleaned_data
            if data.get("year"):
                return Period.year(data["year"])
            if data.get("start") and data.get("end"):
                return Period(data["start"], data["end"])
        return Period.year(today.year)


class CategoryForm(StaffForm):
    error_texts = {"name": {"required": _("Enter the name of the category.")}}

    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(
        label=_("Description"),
        max_length=300,
        required=False,
        help_text=_("What belongs in this category; shown to handlers at the verdict."),
    )
    active = forms.BooleanField(
        label=_("Active: handlers can pick it"), required=False, initial=True
    )


class MeasureForm(StaffForm):
    error_texts = {
        "owner": {
            "required": _("Choose who carries out the measure."),
            "invalid_choice": _(
                "Choose who carries out the measure from the list: someone who may see the "
                "complaint and whom it is not about."
            ),
        },
        "due_on": {
            "required": _("Enter the date by which the measure is done."),
            "invalid": _("Enter the date by which the measure is done as a real date."),
        },
        "done_on": {"invalid": _("Enter the date done as a real date.")},
        "checked_on": {"invalid": _("Enter the date of the check as a real date.")},
    }

    owner = UserChoiceField(label=_("Carried out by"), queryset=measure_owner_candidates().none())
    due_on = forms.DateField(label=_("To be done by"), widget=DateInput())
    done_on = forms.DateField(
        label=_("Done on"),
        required=False,
        widget=DateInput(),
        help_text=_("Leave empty while the measure is not done."),
    )
    done_note = forms.CharField(
        label=_("What was done"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    checked_on = forms.DateField(
        label=_("Effectiveness checked on"),
        required=False,
        widget=DateInput(),
        help_text=_("Some time after the measure was done: did it prevent the problem?"),
    )
    effectiveness = forms.ChoiceField(
        label=_("Did it work?"),
        choices=[
            ("", _("Not checked yet")),
            (Effectiveness.EFFECTIVE, _("Worked")),
            (Effectiveness.PARTLY_EFFECTIVE, _("Worked partly")),
            (Effectiveness.NOT_EFFECTIVE, _("Did not work")),
        ],
        required=False,
    )
    check_note = forms.CharField(
        label=_("How it was checked"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        owners = measure_owner_candidates()
        if self.complaint is not None:
            # Never the person concerned, nor anyone else who may not see it (P3.2, P5.3).
            owners = who_may_see(self.complaint, owners)
        self.fields["owner"].queryset = owners


class SatisfactionForm(forms.Form):
    """The complainant's short survey: one question, one optional yes/no, one optional comment."""

    template_name = "includes/form.html"

    score = forms.TypedChoiceField(
        label=_("How satisfied are you with the way your complaint was handled?"),
        choices=[(s.value, s.label) for s in reversed(Satisfaction)],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how satisfied you are.")},
    )
    felt_heard = forms.TypedChoiceField(
        label=_("Did you feel heard?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda value: value == "yes",
        empty_value=None,
        widget=forms.RadioSelect,
        required=False,
    )
    comment = forms.CharField(
        label=_("What could we have done better?"),
        help_text=_("At most 2000 characters. Please do not include personal details."),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"max_length": _("Use at most 2000 characters.")},
    )


class FollowUpForm(StaffForm):
    error_texts = {"note": {"required": _("Say what was done with this answer.")}}

    note = forms.CharField(
        label=_("What was done"),
        help_text=_("For example: called the complainant, discussed in the team meeting."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def available_years(today: dt.date, first: int | None) -> list[int]:
    start = min(first or today.year, today.year)
    return list(range(today.year, start - 1, -1))


def today() -> dt.date:
    return clock.today()
