"""Template helpers for complaint pages: term tags, states, the steps offered, the timeline."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from klachtbeheer.complaints.models import Channel, ContactChannel, EventKind, LetterKind, Verdict
from klachtbeheer.complaints.registry import STEPS, primary_step
from klachtbeheer.complaints.workflow import ENDED_STATES, State, Step

register = template.Library()


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


@register.filter
def state_class(state: str) -> str:
    if state in ENDED_STATES:
        return "kb-tag--ended"
    if state in (State.DECISION_SENT,):
        return "kb-tag--met"
    return "kb-tag--state"


# --- Steps -----------------------------------------------------------------


@register.simple_tag
def split_steps(steps: list[Step], state: str) -> dict[str, Any]:
    """{"primary": step or None, "main": [...], "other": [...]}: how the page groups actions.

    From the step registry: the step that moves the complaint on from this state
    is the main button, other steps that move it on are buttons, side steps links.
    """
    wanted = primary_step(state)
    primary = wanted if wanted in steps else None
    main = [s for s in steps if s != primary and STEPS[s].moves_on]
    other = [s for s in steps if not STEPS[s].moves_on]
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
    "previous_manager_concerned": _("Previous district manager concerned"),
    "employee_concerned": _("Employee concerned"),
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
        "previous_manager_concerned",
        "employee_concerned",
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
                text = date_filter(moment, "DATETIME_FORMAT")
            elif moment is not None:
                text = date_filter(moment, "l j F Y")
            else:
                text = str(value)
        elif key == "verdict":
            text = _choice(value, Verdict)
        elif key == "letter":
            text = _choice(value, LetterKind)
        elif key in ("handler", "previous", "manager_concerned", "previous_manager_concerned"):
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
