"""Post (P2.1, issue point 4): the scan as PDF, the date stamped on receipt, the terms from it;
and the same record whatever the channel."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from klachtbeheer.complaints.models import Channel, Complaint, EventKind, LetterKind
from klachtbeheer.complaints.services import ComplainantData, complaint_register
from klachtbeheer.mailintake.constants import InboundSource
from klachtbeheer.mailintake.services import inbound_message_ingest
from tests.mailintake.conftest import corpus

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _dutch():
    with translation.override("nl"):
        yield


def letter(**overrides) -> dict:
    stamped = timezone.localdate() - dt.timedelta(days=5)
    data = {
        "channel": "post",
        "received_on": stamped.isoformat(),
        "complainant_type": "client",
        "name": "J. Post",
        "street_address": "Brink 1",
        "postcode": "3741 AB",
        "city": "Baarn",
        "substantiation": "Mijn coach kwam niet opdagen.",
        "attachment": SimpleUploadedFile("scan.pdf", PDF, content_type="application/pdf"),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_a_letter_is_registered_with_its_scan_and_the_terms_run_from_the_stamp(client, world):
    client.force_login(world.qm)
    response = client.post(reverse("complaints:register"), letter())
    assert response.status_code == 302
    complaint = Complaint.objects.get(complainant_name="J. Post")
    stamped = timezone.localdate() - dt.timedelta(days=5)
    assert complaint.channel == Channel.POST
    assert complaint.received_on == stamped
    assert complaint.contact_due_on == stamped + dt.timedelta(days=7)
    assert complaint.settle_due_on == stamped + dt.timedelta(days=28)
    scan = complaint.attachments.get()
    assert (scan.filename, scan.size) == ("scan.pdf", len(PDF))


def test_a_letter_needs_its_scan(client, world):
    client.force_login(world.qm)
    response = client.post(reverse("complaints:register"), letter(attachment=None))
    assert response.status_code == 400
    assert "attachment" in response.context["form"].errors
    assert not Complaint.objects.exists()


def test_the_scan_must_be_a_pdf_whatever_it_is_called(client, world):
    client.force_login(world.qm)
    fake = SimpleUploadedFile("scan.pdf", b"\x89PNG\r\n\x1a\n", content_type="application/pdf")
    response = client.post(reverse("complaints:register"), letter(attachment=fake))
    assert response.status_code == 400
    assert "attachment" in response.context["form"].errors
    # Other channels may carry another kind of file (a printed e-mail, a photo).
    photo = SimpleUploadedFile("foto.png", b"\x89PNG\r\n\x1a\n", content_type="image/png")
    response = client.post(
        reverse("complaints:register"),
        letter(channel="email", email="x@example.nl", attachment=photo),
    )
    assert response.status_code == 302


def test_the_scan_is_kept_when_the_form_has_errors(client, world):
    client.force_login(world.qm)
    first = client.post(reverse("complaints:register"), letter(postcode="12345"))
    assert first.status_code == 400
    form = first.context["form"]
    assert "postcode" in form.errors and "attachment" not in form.errors
    token = form.data["kept_attachment"]
    assert token and "scan.pdf" in first.content.decode()
    # The second try has no file: browsers never refill a file input.
    second = client.post(
        reverse("complaints:register"),
        letter(postcode="3741 AB", attachment=None, kept_attachment=token),
    )
    assert second.status_code == 302
    complaint = Complaint.objects.get(complainant_name="J. Post")
    with complaint.attachments.get().file.open("rb") as handle:
        assert handle.read() == PDF


def test_a_kept_scan_is_only_for_who_kept_it(client, world):
    client.force_login(world.qm)
    token = (
        client.post(reverse("complaints:register"), letter(postcode="12345"))
        .context["form"]
        .data["kept_attachment"]
    )
    client.force_login(world.dm_north)
    response = client.post(
        reverse("complaints:register"), letter(attachment=None, kept_attachment=token)
    )
    assert response.status_code == 400
    assert "attachment" in response.context["form"].errors
    forged = client.post(
        reverse("complaints:register"), letter(attachment=None, kept_attachment=token + "x")
    )
    assert forged.status_code == 400


def test_the_same_record_whatever_the_channel(world):
    """Post, web form and e-mail: the same routing, terms, timeline and acknowledgement (P2.1)."""
    received = timezone.localdate() - dt.timedelta(days=1)
    complainant = ComplainantData(
        complainant_type="client", name="Anna de Vries", email="anna.devries@example.nl"
    )
    by_post = complaint_register(
        actor=world.qm,
        channel=Channel.POST,
        received_on=received,
        complainant=complainant,
        substantiation="Per brief.",
        attachments=[SimpleUploadedFile("scan.pdf", PDF, content_type="application/pdf")],
    )
    by_form = complaint_register(
        actor=None,
        channel=Channel.WEB_FORM,
        received_on=received,
        complainant=complainant,
        substantiation="Via het formulier.",
    )
    by_mail = inbound_message_ingest(
        raw=corpus("multipart-attachments.eml")
        .replace(b"f.elamrani@example.org", b"anna.devries@example.nl")
        .replace(b"Fatima El Amrani <", b"Anna de Vries <"),
        source=InboundSource.PIPE,
        received_at=timezone.now() - dt.timedelta(days=1),
    ).message.complaint

    def shape(complaint: Complaint):
        kinds = sorted(set(complaint.events.values_list("kind", flat=True)))
        return {
            "state": complaint.state,
            "handler": complaint.handler_id,
            "district": complaint.district_id,
            "received_on": complaint.received_on,
            "contact_due_on": complaint.contact_due_on,
            "settle_due_on": complaint.settle_due_on,
            "letters": list(complaint.letters_due.values_list("kind", flat=True)),
            "events": [k for k in kinds if k != EventKind.ATTACHMENT],
        }

    assert shape(by_post) == shape(by_form) == shape(by_mail)
    assert shape(by_mail)["letters"] == [LetterKind.ACKNOWLEDGEMENT]
    assert by_mail.attachments.count() == 3 and by_post.attachments.count() == 1
