"""The interface is Dutch first: every text has its Dutch translation, compiled."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest

import klachtbeheer

PACKAGE = Path(klachtbeheer.__file__).parent
# The project catalogue and those of apps that keep their own (app/locale/nl/...).
CATALOGUES = sorted(PACKAGE.glob("**/locale/nl/LC_MESSAGES/django.po"))


def _entries(po: str) -> list[str]:
    return [block for block in po.split("\n\n") if re.search(r"^msgid ", block, re.M)]


def _field(block: str, name: str) -> str:
    match = re.search(rf'^{name} ((?:".*"\n?)+)', block, re.M)
    text = "".join(re.findall(r'"(.*)"', match.group(1))) if match else ""
    return text.replace('\\"', '"').replace("\\n", "\n")


def _msgid(block: str) -> str:
    return _field(block, "msgid")


def test_the_project_catalogue_is_there():
    assert PACKAGE / "locale" / "nl" / "LC_MESSAGES" / "django.po" in CATALOGUES


@pytest.mark.parametrize("po_path", CATALOGUES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_every_text_is_translated_and_none_is_fuzzy(po_path):
    po = po_path.read_text(encoding="utf-8")
    entries = [b for b in _entries(po) if _msgid(b)]
    assert entries
    untranslated = [
        _msgid(b)
        for b in entries
        if re.search(r'^msgstr(\[\d\])? ""\n?(?!")', b + "\n", re.M)
        and not re.search(r'^msgstr(\[\d\])? ""\n"', b, re.M)
    ]
    fuzzy = [_msgid(b) for b in entries if re.search(r"^#,.*\bfuzzy\b", b, re.M)]
    assert not untranslated
    assert not fuzzy


@pytest.mark.parametrize("po_path", CATALOGUES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_the_compiled_catalogue_matches_the_source(po_path):
    po = po_path.read_text(encoding="utf-8")
    with po_path.with_suffix(".mo").open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    checked = 0
    for block in _entries(po):
        msgid = _msgid(block)
        if not msgid or re.search(r"^msgid_plural", block, re.M) or "msgctxt" in block:
            continue
        assert catalogue.gettext(msgid) == _field(block, "msgstr"), msgid
        checked += 1
    assert checked
