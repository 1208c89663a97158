"""Template helpers for the staff pages: form widgets, term tags, timeline details."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms, template
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import filesizeformat
from django.urls import translate_url
from django.utils.translation import get_language, gettext, ngettext
from django.utils.translation import gettext_lazy as _

from klachtbeheer.complaints.models import Channel, ContactChannel, EventKind, LetterKind, Verdict
from klachtbeheer.complaints.workflow import State, Step

register = template.Library()


# --- Forms -----------------------------------------------------------------


def _kind(widget: forms.Widget) -> str:
    if isinstance(widget, forms.RadioSelect):
        return "radio"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, forms.ClearableFileInput | forms.FileInput):
        return "file"
    if isinstance(widget, forms.Select):
        return "select"
    if isinstance(widget, forms.Textarea):
        return "textarea"
    return "text"


@register.filter
def field_kind(bound_field: forms.BoundField) -> str:
    """radio, checkbox, file, select, textarea or text: how includes/field.html lays it out."""
    return _kind(bound_field.field.widget)


_CLASSES = {
    "text": "utrecht-textbox utrecht-textbox--html-input",
    "textarea": "utrecht-textarea utrecht-textarea--html-textarea",
    "select": "utrecht-select utrecht-select--html-select",
    "checkbox": "utrecht-checkbox utrecht-checkbox--html-input",
    "file": "kb-file-input",
}
_INVALID = {
    "text": "utrecht-textbox--invalid",
    "textarea": "utrecht-textarea--invalid",
    "select": "utrecht-select--invalid",
    "file": "kb-file-input--invalid",
}


@register.filter
def widget(bound_field: forms.BoundField, extra_class: str = "") -> str:
    """The field's input with the NL Design System classes (aria set by Django)."""
    kind = _kind(bound_field.field.widget)
    classes = [_CLASSES.get(kind, ""), extra_class]
    if bound_field.errors and kind in _INVALID:
        classes.append(_INVALID[kind])
    existing = bound_field.field.widget.attrs.get("class", "")
    attrs = {"class": " ".join(c for c in [existing, *classes] if c)}
    if kind == "text" and isinstance(bound_field.field, forms.EmailField):
        attrs.setdefault("autocomplete", "off")
    return bound_field.as_widget(attrs=attrs)


@register.filter
def first_input_id(bound_field: forms.BoundField) -> str:
    """The id an error-summary link should point at (the first radio of a group)."""
    if _kind(bound_field.field.widget) == "radio":
        return f"{bound_field.auto_id}_0"
    return bound_field.id_for_label or bound_field.auto_id


@register.filter
def short_date(value: dt.date | None) -> str:
    """ "za 12 dec" / "Sat 12 Dec": weekday, day and month, for tight table cells."""
    if not value:
        return ""
    text = date_filter(value, "D j M")
    return text.lower() if get_language() == "nl" else text


# --- Language --------------------------------------------------------------


@register.simple_tag(takes_context=True)
def url_in_language(context: template.Context, language: str) -> str:
    """This page's address in `language` (/en/... for English, no prefix for Dutch)."""
    request = context.get("request")
    if request is None:
        return "/" if language == "nl" else f"/{language}/"
    return translate_url(request.get_full_path(), language)


# --- Organisation ----------------------------------------------------------


@register.simple_tag
def organisation_name() -> str:
    from klachtbeheer.organisation.models import Organisation

    try:
        return Organisation.objects.values_list("name", flat=True).get(pk=1)
    except Organisation.DoesNotExist:
        return ""


# --- Terms -----------------------------------------------------------------

TERM_LABELS = {
    "met": _("Met"),
    "open": _("On schedule"),
    "at_risk": _("At risk"),
    "missed": _("Overdue"),
    "n/a": _("Not applicable"),
}
TERM_CLASSES = {
    "met": "kb-tag--met",
    "open": "kb-tag--open",
    "at_risk": "kb-tag--at-risk",
    "missed": "kb-tag--missed",
    "n/a": "kb-tag--neutral",
}


@register.filter
def term_label(status: str) -> str:
    return TERM_LABELS.get(str(status), str(status))


@register.filter
def term_class(status: str) -> str:
    return TERM_CLASSES.get(str(status), "kb-tag--neutral")


ENDED_STATES = {State.CLOSED, State.WITHDRAWN, State.NOT_A_COMPLAINT}


@register.filter
def state_class(state: str) -> str:
    if state in ENDED_STATES:
        return "kb-tag--ended"
    if state in (State.DECISION_SENT,):
        return "kb-tag--met"
    return "kb-tag--state"


# --- Steps -----------------------------------------------------------------

# The step that moves a complaint on from each state: shown as the primary button.
PRIMARY_STEP = {
    State.RECEIVED: Step.ACCEPT,
    State.ACCEPTED: Step.RECORD_CONTACT,
    State.CONTACTED: Step.PLAN_MEETING,
    State.MEETING_PLANNED: Step.HOLD_MEETING,
    State.ASSESSING: Step.RECORD_VERDICT,
    State.DECIDED: Step.SEND_DECISION,
    State.DECISION_SENT: Step.CLOSE,
}
# Steps that do not move the procedure on: offered as plain links under the buttons.
SIDE_STEPS = {
    Step.ADD_NOTE,
    Step.ADD_ATTACHMENT,
    Step.EXTEND,
    Step.REASSIGN,
    Step.SET_PERSON_CONCERNED,
}


@register.simple_tag
def split_steps(steps: list[Step], state: str) -> dict[str, Any]:
    """{"primary": step or None, "main": [...], "other": [...]}: how the page groups actions."""
    wanted = PRIMARY_STEP.get(State(state))
    primary = wanted if wanted in steps else None
    main = [s for s in steps if s != primary and s not in SIDE_STEPS]
    other = [s for s in steps if s in SIDE_STEPS]
    return {"primary": primary, "main": main, "other": other}


@register.filter
def has_step(steps: list[Step], value: str) -> bool:
    return any(step.value == value for step in steps)


# --- Timeline --------------------------------------------------------------

DETAIL_LABELS = {
    "state": _("State"),
    "channel": _("Channel"),
    "received_on": _("Received on"),
    "at": _("When"),
    "on": _("Date"),
    "sent_on": _("Sent on"),
    "from": _("Previous date"),
    "until": _("New date"),
    "location": _("Place"),
    "verdict": _("Verdict"),
    "measures": _("Measures"),
    "letter": _("Letter"),
    "district": _("District"),
    "handler": _("Handler"),
    "previous": _("Previous handler"),
    "manager_concerned": _("District manager concerned"),
    "size": _("Size"),
    "route": _("Routing"),
}


def _as_date(value: Any) -> dt.date | dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        if "T" in value:
            return dt.datetime.fromisoformat(value)
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def _choice(value: Any, *choice_classes) -> str:
    for choices in choice_classes:
        try:
            return str(choices(value).label)
        except ValueError:
            continue
    return str(value)


@register.filter
def event_text(event) -> str:
    """The entry's text; the system's own texts (routing) in the page's language."""
    if event.kind == EventKind.ROUTED and event.text:
        return gettext(event.text)
    return event.text


@register.simple_tag
def event_details(event, names: dict[int, str]) -> list[tuple[str, Any]]:
    """What an event's data says, as (label, text) pairs for people (no ids)."""
    data: dict[str, Any] = dict(event.data or {})
    rows: list[tuple[str, Any]] = []
    if "to" in data and data.get("from") and _choice(data["from"], State) != str(data["from"]):
        rows.append(
            (
                DETAIL_LABELS["state"],
                f"{_choice(data['from'], State)} → {_choice(data['to'], State)}",
            )
        )
        data.pop("from")
    for key in (
        "channel",
        "received_on",
        "at",
        "on",
        "sent_on",
        "from",
        "until",
        "location",
        "verdict",
        "measures",
        "letter",
        "district",
        "previous",
        "handler",
        "manager_concerned",
        "size",
        "route",
    ):
        if key not in data or data[key] in (None, "", []):
            continue
        value = data[key]
        if key == "channel":
            text = _choice(value, Channel, ContactChannel)
        elif key in ("received_on", "on", "sent_on", "from", "until", "at"):
            moment = _as_date(value)
            if isinstance(moment, dt.datetime):
                text = date_filter(moment, "j F Y, H:i")
            elif moment is not None:
                text = date_filter(moment, "l j F Y")
            else:
                text = str(value)
        elif key == "verdict":
            text = _choice(value, Verdict)
        elif key == "letter":
            text = _choice(value, LetterKind)
        elif key in ("handler", "previous", "manager_concerned"):
            text = names.get(value, "—")
        elif key == "size":
            text = filesizeformat(value)
        elif key == "measures":
            text = list(value)
        elif key == "route":
            text = gettext(str(value))
        else:
            text = str(value)
        rows.append((str(DETAIL_LABELS[key]), text))
    return rows


@register.filter
def is_list(value: Any) -> bool:
    return isinstance(value, list | tuple)


@register.filter
def duration_words(delta: dt.timedelta | None) -> str:
    """A waiting time in plain words: "1 hour", "30 minutes", "1 hour and 30 minutes"."""
    if not delta:
        return ""
    minutes = max(1, round(delta.total_seconds() / 60))
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours})
    if minutes:
        parts.append(ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes})
    return str(_(" and ")).join(parts)
