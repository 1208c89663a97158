"""Any name renders exactly as typed (issue 12): as is in the letter's text and e-mail,
escaped exactly once in the HTML its PDF is made from. Bounded in `make test`."""

from __future__ import annotations

import pytest
from django.utils.html import escape
from hypothesis import example, given
from hypothesis import strategies as st

from klachtbeheer.complaints.models import LetterKind
from klachtbeheer.core.text import unsafe_in_one_line
from klachtbeheer.letters.content import render_text, text_to_html
from klachtbeheer.letters.models import Letter, OutgoingMessage
from tests.factories import ComplainantDataFactory, ComplaintFactory
from tests.fuzzing import fuzz_settings

# What the forms accept as a name: one line, trimmed, none of the unsafe characters.
names = (
    st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=80)
    .map(lambda text: " ".join(text.split()))
    .filter(lambda name: name and not unsafe_in_one_line(name))
)
TRICKY = ["J. van 't Hoff & Zn.", "<b>Jan</b>", "&amp; Co", '"Piet" {{ naam }}', "{% if %}"]


@fuzz_settings(bounded=300, long=20_000)
@given(name=st.one_of(names, st.sampled_from(TRICKY)))
@example(name="J. van 't Hoff & Zn.")
def test_a_name_renders_as_typed_and_escapes_once(name):
    text = render_text("Geachte {{ aanhef }},", {"aanhef": name})
    assert text == f"Geachte {name},"
    assert text_to_html(text) == f"<p>Geachte {escape(name)},</p>"


@pytest.mark.django_db
@fuzz_settings(bounded=8, long=300)
@given(name=st.one_of(names, st.sampled_from(TRICKY)))
@example(name="J. van 't Hoff & Zn.")
def test_the_acknowledgement_carries_the_name_as_typed(world, name):
    complaint = ComplaintFactory(complainant=ComplainantDataFactory(name=name))
    letter = Letter.objects.get(complaint=complaint, kind=LetterKind.ACKNOWLEDGEMENT)
    assert name in letter.text.splitlines()  # the first line of the address block
    assert escape(name) in letter.html
    body = OutgoingMessage.objects.get(letter=letter).body
    assert name in body
    if escape(name) != name and escape(name) not in name:
        assert escape(name) not in body and escape(name) not in letter.text
