"""Text from outside, made safe to store, show and put in a header, a file name or a letter.

One definition of which characters never belong in a one-line value (a name, an
address line, a header, a file name): control characters (C0 and C1, so also a
CR or LF typed into a street address), the Unicode line and paragraph
separators, the byte-order mark, lone surrogates (no database stores them) and
the bidirectional controls that make `passwd\u202egpj.pdf` look like a
picture's name (U+061C, U+200E/F, U+202A-U+202E, U+2066-U+2069).

What people type in a form is refused with a message when it holds one of them
(`refuse_unsafe`, used by the intake form, the staff forms and so the API);
what arrives by e-mail cannot be refused, so it is cleaned (`one_line`,
`clean_filename`, `clean_multiline`). Letters clean every address line again,
so data stored before these rules cannot break an address block either.
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Written as escapes, so that the same classes serve Python and the API's JSON schema.
BIDI_CONTROLS = r"\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_SURROGATES = r"\ud800-\udfff"
# Never in a one-line value.
ONE_LINE_UNSAFE = rf"[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff{BIDI_CONTROLS}{_SURROGATES}]"
# Never in a longer text either: controls other than tab and line breaks, lone surrogates.
MULTILINE_UNSAFE = rf"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f{_SURROGATES}]"
# The same for the API's JSON schema, without the surrogates: a JSON schema's string is
# Unicode text, which cannot hold them (generators would give up on the class), and the
# API's check refuses them all the same.
ONE_LINE_UNSAFE_SCHEMA = rf"[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff{BIDI_CONTROLS}]"
MULTILINE_UNSAFE_SCHEMA = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
_UNSAFE_ONE_LINE = re.compile(ONE_LINE_UNSAFE)
_UNSAFE_MULTILINE = re.compile(MULTILINE_UNSAFE)
_SURROGATE = re.compile(f"[{_SURROGATES}]")
_OTHER_SURROGATE = re.compile(r"[\ud800-\udc7f\udd00-\udfff]")

UNSAFE_MESSAGE = _(
    "Remove the invisible characters (line breaks, control characters or text-direction "
    "marks) from this field: %(characters)s."
)


def _code_points(characters) -> str:
    return ", ".join(f"U+{ord(ch):04X}" for ch in dict.fromkeys(characters))


def unsafe_in_one_line(value: str) -> list[str]:
    """The characters of `value` that have no place in a one-line value, in order."""
    return _UNSAFE_ONE_LINE.findall(value or "")


def unsafe_in_text(value: str) -> list[str]:
    return _UNSAFE_MULTILINE.findall(value or "")


def refuse_unsafe(value: str, *, multiline: bool = False) -> None:
    """ValidationError with a message naming the characters; nothing when `value` is fine."""
    found = unsafe_in_text(value) if multiline else unsafe_in_one_line(value)
    if found:
        raise ValidationError(
            UNSAFE_MESSAGE, code="unsafe_characters", params={"characters": _code_points(found)}
        )


def is_multiline(field: forms.Field) -> bool:
    return isinstance(field.widget, forms.Textarea)


def guard_text_fields(form: forms.BaseForm) -> None:
    """Give every text field of `form` the check above: one-line fields (names, addresses,
    postcodes, phone numbers) refuse every unsafe character, text areas only controls."""
    for form_field in form.fields.values():
        if isinstance(form_field, forms.CharField):
            multiline = is_multiline(form_field)
            form_field.validators.append(functools.partial(refuse_unsafe, multiline=multiline))


def _no_surrogates(value: str) -> str:
    """Lone surrogates out: those of 8-bit mail headers (surrogateescape, U+DC80-U+DCFF) back
    to text, UTF-8 if it is, else cp1252; any other becomes U+FFFD."""
    if not _SURROGATE.search(value):
        return value
    value = _OTHER_SURROGATE.sub("\ufffd", value)
    raw = value.encode("utf-8", "surrogateescape")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", "replace")


def one_line(value: str, limit: int | None = None) -> str:
    """A header value, a name from an e-mail, an address line: unsafe characters and runs of
    white space become one space."""
    value = _no_surrogates(str(value or ""))
    value = _UNSAFE_ONE_LINE.sub(" ", value)
    value = re.sub(r"\s+", " ", value).strip()
    return value[:limit] if limit is not None else value


def clean_multiline(value: str) -> str:
    """A longer text (an e-mail's body): line breaks and tabs kept, other controls out."""
    value = _no_surrogates(str(value or ""))
    return _UNSAFE_MULTILINE.sub("", value)


def clean_filename(value: str, *, default: str = "bijlage", limit: int = 200) -> str:
    """A file name to show and to offer for download: the last path part, without unsafe
    characters, leading dots or surrounding space, its extension kept when shortened."""
    name = unicodedata.normalize("NFC", _no_surrogates(str(value or "")))
    name = _UNSAFE_ONE_LINE.sub("", name).replace("\\", "/").split("/")[-1]
    name = re.sub(r"\s+", " ", name).strip().strip(".").strip()
    if not name:
        return default
    if len(name) > limit:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            name = stem[: limit - len(extension) - 1].rstrip() + "." + extension
        else:
            name = name[:limit]
    return name


def escaped(value: Any) -> str:
    """`django.utils.html.conditional_escape` without its wrapper for lazy text: the same
    HTML (text marked safe, anything with `__html__`, as it is; the rest escaped), for
    the code that writes HTML in Python and calls it hundreds of times a page (the work
    list's rows, `core.form_renderer`)."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))
