"""Names in letters (issue 12): exactly as typed in the text, escaped exactly once in HTML
and the PDF. On main `J. van 't Hoff & Zn.` became `J. van &#x27;t Hoff &amp; Zn.` in the
e-mail and the PDF, and a CR/LF in the street address made a line of the address block."""

from __future__ import annotations

import pytest
from django.utils.html import escape

from klachtbeheer.complaints.models import LetterKind
from klachtbeheer.letters import services
from klachtbeheer.letters.models import Letter, OutgoingMessage
from tests.factories import ComplainantDataFactory, ComplaintFactory
from tests.letters.helpers import pdf_text

pytestmark = pytest.mark.django_db

NAME = "J. van 't Hoff & Zn."


def acknowledgement(**complainant) -> Letter:
    complaint = ComplaintFactory(complainant=ComplainantDataFactory(**complainant))
    return Letter.objects.get(complaint=complaint, kind=LetterKind.ACKNOWLEDGEMENT)


def test_a_name_is_as_typed_in_the_text_and_the_e_mail(world):
    letter = acknowledgement(name=NAME)
    assert NAME in letter.text
    assert "&amp;" not in letter.text and "&#x27;" not in letter.text
    message = OutgoingMessage.objects.get(letter=letter)
    assert NAME in message.body
    assert "&amp;" not in message.body and "&#x27;" not in message.body


def test_a_name_is_escaped_once_in_the_html_and_reads_as_typed_in_the_pdf(world):
    letter = acknowledgement(name=NAME)
    assert escape(NAME) in letter.html
    assert "&amp;amp;" not in letter.html and "&amp;#x27;" not in letter.html
    text = pdf_text(services.letter_pdf_bytes(letter))
    assert NAME in text
    assert "&amp;" not in text and "&#x27;" not in text


def test_a_line_break_in_a_stored_street_address_stays_one_line(world):
    letter = acknowledgement(
        name="A. Jansen", street_address="Dorpsstraat 1\r\nBcc: iemand@example.nl", email=""
    )
    lines = letter.text.splitlines()
    assert "Dorpsstraat 1 Bcc: iemand@example.nl" in lines
    assert "Bcc: iemand@example.nl" not in lines
    assert "Dorpsstraat 1 Bcc: iemand@example.nl<br>" in letter.html or (
        "Dorpsstraat 1 Bcc: iemand@example.nl" in letter.html
    )
