"""Django's form renderer with its plainest widgets written in Python (issue 15).

Django renders every widget through its templates, and a <select> once more per
option (`select_option.html` and `attrs.html` included for each): the work list's
four filters, 31 options, cost more than its 50 rows of complaints, and the public
form's inputs are a good part of its page. `FormRenderer` writes the same HTML as
Django's own `input.html`, `select.html`, `select_option.html` and `textarea.html`
(and the templates that only include `input.html`) in Python; any other widget, or one
of these templates overridden by an app, goes through the templates as before.
`tests/test_form_renderer.py` holds the two to the same output.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import django.forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import SafeString, mark_safe

from klachtbeheer.core.text import escaped

_WIDGETS = "django/forms/widgets/"
_DJANGO_TEMPLATES = Path(django.forms.__file__).parent / "templates"
_OPTION = _WIDGETS + "select_option.html"


def _attrs(attrs: Mapping[str, Any]) -> str:
    """`attrs.html`: ` name="value"` each, ` name` for True, nothing for False."""
    return "".join(
        f" {escaped(name)}" if value is True else f' {escaped(name)}="{escaped(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input(widget: Mapping[str, Any]) -> str:
    value = widget["value"]
    shown = f' value="{escaped(value)}"' if value != None else ""  # noqa: E711 (as the template)
    return (
        f'<input type="{escaped(widget["type"])}" '
        f'name="{escaped(widget["name"])}"{shown}{_attrs(widget["attrs"])}>'
    )


def _option(option: Mapping[str, Any]) -> str:
    return (
        f'<option value="{escaped(option["value"])}"{_attrs(option["attrs"])}>'
        f"{escaped(option['label'])}</option>"
    )


def _select(widget: Mapping[str, Any]) -> str | None:
    parts = [f'<select name="{escaped(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{escaped(group_name)}">')
        for option in group_choices:
            if option["template_name"] != _OPTION:
                return None  # an option of its own kind: the templates
            parts.append(f"\n  {_option(option)}\n")  # the included template's newline
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _textarea(widget: Mapping[str, Any]) -> str:
    value = widget["value"]
    return (
        f'<textarea name="{escaped(widget["name"])}"{_attrs(widget["attrs"])}>\n'
        f"{escaped(value) if value else ''}</textarea>"
    )


_INPUTS = [
    "input",
    "checkbox",
    "color",
    "date",
    "datetime",
    "email",
    "file",
    "hidden",
    "number",
    "password",
    "search",
    "tel",
    "text",
    "time",
    "url",
]
WRITTEN: dict[str, Callable[[Mapping[str, Any]], str | None]] = {
    **{f"{_WIDGETS}{name}.html": _input for name in _INPUTS},
    _WIDGETS + "select.html": _select,
    _WIDGETS + "textarea.html": _textarea,
}


class FormRenderer(DjangoTemplates):
    """`FORM_RENDERER`: Django's, but for the widgets in `WRITTEN`."""

    @functools.cached_property
    def _own(self) -> frozenset[str]:
        """Those of `WRITTEN` that are still Django's own templates (no app overrides one)."""
        own = set()
        for name in WRITTEN:
            origin = Path(self.engine.get_template(name).origin.name)
            if origin.is_relative_to(_DJANGO_TEMPLATES):
                own.add(name)
        return frozenset(own)

    def render(self, template_name: str, context: dict, request=None) -> SafeString | str:
        if template_name in self._own:
            written = WRITTEN[template_name](context["widget"])
            if written is not None:
                return mark_safe(written)  # noqa: S308 (every value escaped above)
        return super().render(template_name, context, request)
