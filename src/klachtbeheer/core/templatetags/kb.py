"""Template helpers for every page: form widgets, dates, language, durations."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms, template
from django.template.defaultfilters import date as date_filter
from django.urls import translate_url
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _

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


# "(P3.2)", or ", P3.2" at the end of a parenthesis: the requirement numbers of the procedure
# belong in code and docs, not on a handler's screen (issue 14).
_REQUIREMENT_CODE = re.compile(r"\s?\(P[1-5]\.\d+(?:, P[1-5]\.\d+)*\)|, P[1-5]\.\d+(?=\))")


@register.filter(is_safe=True)
def without_requirement_codes(text: Any) -> str:
    """A form's help text or message without the procedure's requirement numbers."""
    if not text:
        return text
    return _REQUIREMENT_CODE.sub("", str(text))


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
