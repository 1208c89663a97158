"""Django's `{# … #}` comment ends on its own line: one spread over two lines is printed
on the page (the public form once showed a developer's note this way)."""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "klachtbeheer"


def test_no_template_comment_spans_lines():
    unclosed = []
    for path in sorted(SRC.rglob("*.html")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"\{#(?!.*#\})", line):
                unclosed.append(f"{path.relative_to(SRC)}:{number}")
    assert unclosed == []


def test_the_public_form_shows_no_template_comment(client, db):
    page = client.get("/klacht/")
    assert page.status_code == 200
    assert "{#" not in page.content.decode()
