"""Any bytes in (issue 12): the parser never raises but for Python's recursion limit, and the
intake never raises at all: every message is stored and becomes a complaint, a reply, an
ignored automatic message, or waits for review with a reason in words.

Bounded in `make test`; `make fuzz` runs 10,000 generated e-mails through the intake.
"""

from __future__ import annotations

import collections
import os

import pytest
from django.core.validators import validate_email
from hypothesis import example, given

from klachtbeheer.core.text import unsafe_in_one_line
from klachtbeheer.mailintake.constants import PROBLEM_TEXTS, InboundSource, InboundStatus
from klachtbeheer.mailintake.models import InboundMessage
from klachtbeheer.mailintake.parsing import Limits, parse_message
from klachtbeheer.mailintake.services import inbound_message_ingest
from tests.fuzzing import fuzz_settings
from tests.mailintake.strategies import emails

LIMITS = Limits(max_message_bytes=15 * 2**20, max_body_chars=100_000, max_attachment_bytes=2**20)
OUTCOMES = {
    InboundStatus.COMPLAINT,
    InboundStatus.REPLY,
    InboundStatus.IGNORED_AUTO,
    InboundStatus.NEEDS_REVIEW,
}
# Found by the fuzzer or by hand, kept so they are tried on every run.
FOUND = [
    b"From: =?utf-8?q?x=0D=0AFrom:_derde@partij.example?= <jan@example.nl>\r\n\r\nhoi",
    b"From: Jan <jan@example.nl>\r\nSubject: =?utf-8?b?\xed\xa0\x80?=\r\n\r\nx",
    b"From: \xed\xa0\x80 <jan@example.nl>\r\n\r\n\xff\xfe",
    b'Content-Type: multipart/mixed; boundary=""\r\n\r\n--\r\n\r\n',
    b"From: x\r\nContent-Disposition: attachment; filename*=utf-8''%ED%A0%80\r\n\r\nx",
    b"",
]


OUTCOME_COUNTS: collections.Counter = collections.Counter()
PARSED = collections.Counter()


@pytest.fixture(scope="module", autouse=True)
def _report():
    yield
    report = os.environ.get("FUZZ_REPORT")
    if report:
        with open(report, "a", encoding="utf-8") as handle:
            handle.write(f"emails_parsed {PARSED['parsed']} (recursion {PARSED['recursion']})\n")
            handle.write(f"emails_ingested {sum(OUTCOME_COUNTS.values())}\n")
            for status, count in sorted(OUTCOME_COUNTS.items()):
                handle.write(f"emails_{status} {count}\n")


def _check_parsed(parsed) -> None:
    assert not unsafe_in_one_line(parsed.sender_name)
    assert not unsafe_in_one_line(parsed.subject)
    if parsed.sender_email:
        validate_email(parsed.sender_email)
    for attachment in parsed.attachments:
        assert not unsafe_in_one_line(attachment.filename), attachment.filename
        assert "/" not in attachment.filename and "\\" not in attachment.filename
        assert len(attachment.filename) <= 200
    for entry in parsed.problems + parsed.automatic:
        assert entry["code"] in PROBLEM_TEXTS


@fuzz_settings(bounded=150, long=20_000)
@given(raw=emails)
def test_the_parser_describes_whatever_arrives(raw):
    for found in FOUND:
        _check_parsed(parse_message(found, limits=LIMITS))
    PARSED["parsed"] += 1
    try:
        parsed = parse_message(raw, limits=LIMITS)
    except RecursionError:
        PARSED["recursion"] += 1
        return  # the intake keeps such a message for review (test_hostile.py)
    _check_parsed(parsed)


@pytest.mark.django_db
@fuzz_settings(bounded=25, long=10_000)
@given(raw=emails)
@example(raw=FOUND[0])
@example(raw=FOUND[2])
def test_the_intake_stores_every_message_with_what_became_of_it(world, raw):
    if not raw.strip():
        return  # ingest-email refuses empty input before the intake (exit 65)
    result = inbound_message_ingest(raw=raw, source=InboundSource.PIPE)
    message = InboundMessage.objects.get(pk=result.message.pk)
    assert message.status in OUTCOMES
    OUTCOME_COUNTS[message.status if result.created else "repeated"] += 1
    if message.status == InboundStatus.NEEDS_REVIEW:
        assert message.problems and all(reason for reason in message.reasons)
    if message.status in (InboundStatus.COMPLAINT, InboundStatus.REPLY):
        assert message.complaint_id
        assert not unsafe_in_one_line(message.complaint.complainant_name)
        validate_email(message.complaint.complainant_email)
    with message.raw.open("rb") as handle:
        assert handle.read() == raw
