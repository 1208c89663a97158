"""The status link: swapped for a session on the first visit, sent again on request.

Issue 14 point 1 (the link is never lost for good) and issue 10 point 6 (the
token leaves the address bar and the logs after one request).
"""

from __future__ import annotations

import logging
import re

import pytest
from django.urls import reverse

from klachtbeheer.complaints.models import Complaint, LetterKind, StatusLink
from klachtbeheer.complaints.status_links import status_link_hash
from klachtbeheer.core import clock
from klachtbeheer.core.models import AuditEntry
from klachtbeheer.intake.views import SESSION_STATUS
from klachtbeheer.letters.constants import MessageKind
from klachtbeheer.letters.content import STATUS_LINK_PLACEHOLDER, letter_draft
from klachtbeheer.letters.models import LetterDue, OutgoingMessage
from klachtbeheer.letters.services import letters_draft_owed
from tests.factories import ComplaintFactory
from tests.intake.conftest import form_data

pytestmark = pytest.mark.django_db

LINK_RE = re.compile(r"https?://\S+/klacht/status/([A-Za-z0-9_-]{43})/")


def file_complaint(client, **overrides) -> str:
    assert client.post(reverse("intake:form"), form_data(**overrides)).status_code == 302
    return client.get(reverse("intake:received")).context["received"]["token"]


def test_the_link_is_swapped_for_the_session_and_leaves_the_address(client, world, caplog):
    token = file_complaint(client)
    caplog.set_level(logging.INFO, logger="klachtbeheer.request")
    first = client.get(reverse("intake:status", kwargs={"token": token}))
    assert first.status_code == 302 and first["Location"] == "/klacht/status/"
    # The session keeps the hash, never the token itself.
    assert client.session[SESSION_STATUS] == status_link_hash(token)
    assert token not in str(client.session[SESSION_STATUS])
    page = client.get("/klacht/status/")
    assert page.status_code == 200
    html = page.content.decode()
    assert Complaint.objects.get().reference in html
    assert token not in html  # no link on the page carries it
    # The request log names the route, not the token.
    assert not any(token in record.getMessage() for record in caplog.records)


def test_without_the_session_the_page_says_to_open_the_link_again(client, world):
    response = client.get("/klacht/status/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Open uw persoonlijke link opnieuw" in html
    assert reverse("intake:status_link_again") in html


def test_the_acknowledgement_mints_its_own_working_link(client, world):
    file_complaint(client)
    complaint = Complaint.objects.get()
    assert letters_draft_owed() == 1  # the worker drafts the acknowledgement after the commit
    message = OutgoingMessage.objects.get(complaint=complaint, kind=MessageKind.LETTER)
    token = LINK_RE.search(message.body).group(1)
    assert StatusLink.objects.filter(token_hash=status_link_hash(token), complaint=complaint)
    assert "deel hem niet" in message.body
    assert message.letter.text.count(token) == 1  # the letter (PDF) carries it too
    client.cookies.clear()
    assert client.get(reverse("intake:status", kwargs={"token": token})).status_code == 302
    assert complaint.reference in client.get("/klacht/status/").content.decode()


def test_the_preview_shows_a_placeholder_and_mints_nothing(world):
    complaint = ComplaintFactory()
    before = StatusLink.objects.count()
    due = LetterDue.objects.create(complaint=complaint, kind=LetterKind.ACKNOWLEDGEMENT)
    draft = letter_draft(complaint, due, today=clock.today())
    assert STATUS_LINK_PLACEHOLDER in draft.body
    assert StatusLink.objects.count() == before


def test_send_me_my_link_again_mails_a_fresh_link_to_the_address_on_file(client, world):
    file_complaint(client, email="klager@example.nl")
    complaint = Complaint.objects.get()
    page = client.get(reverse("intake:status_link_again"))
    assert page.status_code == 200
    response = client.post(reverse("intake:status_link_again"), {"email": "Klager@Example.nl"})
    assert response.status_code == 302
    done = client.get(response["Location"]).content.decode()
    assert "Kijk in uw e-mail" in done
    message = OutgoingMessage.objects.get(kind=MessageKind.STATUS_LINK)
    assert message.to == "klager@example.nl" and message.complaint == complaint
    token = LINK_RE.search(message.body).group(1)
    client.cookies.clear()
    client.get(reverse("intake:status", kwargs={"token": token}))
    assert complaint.reference in client.get("/klacht/status/").content.decode()
    assert AuditEntry.objects.filter(action="complaint.status_link", data__again=True).exists()


def test_an_unknown_address_gets_the_same_answer_and_nothing_is_sent(client, world):
    file_complaint(client, email="klager@example.nl")
    known = client.post(reverse("intake:status_link_again"), {"email": "klager@example.nl"})
    unknown = client.post(reverse("intake:status_link_again"), {"email": "ander@example.nl"})
    other_reference = client.post(
        reverse("intake:status_link_again"),
        {"email": "klager@example.nl", "reference": "KL-2020-00001"},
    )
    assert known["Location"] == unknown["Location"] == other_reference["Location"]
    assert OutgoingMessage.objects.filter(kind=MessageKind.STATUS_LINK).count() == 1


def test_the_link_again_form_explains_its_errors(client, world):
    response = client.post(reverse("intake:status_link_again"), {"email": "", "reference": "x"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Er is een probleem" in html
    assert "Vul het e-mailadres in dat u bij uw klacht gaf" in html
    assert "Vul het kenmerk in zoals het in onze brief staat" in html


def test_link_again_is_rate_limited(client, world, settings):
    settings.INTAKE_LINK_AGAIN_PER_HOUR = 2
    for _ in range(2):
        client.post(reverse("intake:status_link_again"), {"email": "x@example.nl"})
    response = client.post(reverse("intake:status_link_again"), {"email": "x@example.nl"})
    assert response.status_code == 429
