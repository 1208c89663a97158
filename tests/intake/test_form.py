"""The public form through the test client: validation, files, spam review, status page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from klachtbeheer.complaints.models import Attachment, Complaint, EventKind, StatusLink
from klachtbeheer.complaints.workflow import State
from klachtbeheer.core.models import AuditEntry
from klachtbeheer.intake.models import Submission, SubmissionState, Upload
from klachtbeheer.letters.models import LetterDue
from klachtbeheer.letters.services import letters_draft_owed
from tests.intake.conftest import PDF_BYTES, form_data, upload

pytestmark = pytest.mark.django_db


def test_form_page_has_the_privacy_promise_and_no_outside_resources(client, world):
    response = client.get(reverse("intake:form"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Uw gegevens zijn veilig" in html
    assert reverse("intake:privacy") in html
    assert "https://" not in html and "http://" not in html.replace("http://testserver", "")
    assert "novalidate" in html


def test_a_clean_submission_is_registered_routed_and_owes_an_acknowledgement(client, world):
    data = form_data(attachments=upload("brief.pdf", PDF_BYTES, "application/pdf"))
    response = client.post(reverse("intake:form"), data)
    assert response.status_code == 302
    assert response["Location"] == reverse("intake:received")
    complaint = Complaint.objects.get()
    assert complaint.channel == "web_form"
    assert complaint.state == State.RECEIVED
    assert complaint.handler == world.dm_north  # routed by postcode (P3.1)
    assert LetterDue.objects.filter(complaint=complaint, kind="acknowledgement").exists()
    assert complaint.events.filter(kind=EventKind.LETTER_OWED).exists()
    attachment = Attachment.objects.get(complaint=complaint)
    assert attachment.filename == "brief.pdf"
    assert attachment.content_type == "application/pdf"
    assert not Upload.objects.exists()  # moved onto the complaint
    submission = Submission.objects.get()
    assert submission.state == SubmissionState.REGISTERED and submission.data == {}
    assert AuditEntry.objects.filter(action="intake.registered").exists()

    page = client.get(response["Location"])
    html = page.content.decode()
    assert complaint.reference in html
    token = page.context["received"]["token"]
    assert len(token) >= 22  # at least 128 bits
    # One for the confirmation page; the worker mints one more for the acknowledgement.
    assert StatusLink.objects.filter(complaint=complaint).count() == 1
    assert letters_draft_owed() == 1
    assert StatusLink.objects.filter(complaint=complaint).count() == 2
    assert not StatusLink.objects.filter(token_hash=token).exists()  # only the hash is stored
    status = client.get(reverse("intake:status", kwargs={"token": token}), follow=True)
    assert status.status_code == 200
    assert complaint.reference in status.content.decode()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"complainant_type": ""}, "complainant_type", "Kies wie u bent"),
        ({"name": "  "}, "name", "Vul uw naam in"),
        ({"substantiation": ""}, "substantiation", "Beschrijf uw klacht"),
        ({"email": "", "postcode": ""}, "email", "Vul uw e-mailadres of uw postadres in"),
        ({"email": "anna@", "postcode": ""}, "email", "Vul een e-mailadres in"),
        ({"postcode": "12"}, "postcode", "Vul een postcode in"),
        ({"phone": "12"}, "phone", "Vul een telefoonnummer in"),
        (
            {"email": "", "street_address": "Laan 1", "postcode": ""},
            "postcode",
            "Vul uw postcode in",
        ),
        ({"email": "", "street_address": "Laan 1"}, "city", "Vul uw woonplaats in"),
    ],
)
def test_each_validation_message(client, world, overrides, field, message):
    response = client.post(reverse("intake:form"), form_data(**overrides))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Er is een probleem" in html
    assert message in html
    assert f'href="#id_{field}' in html
    assert response.context["form"].errors[field]
    assert "<title>Fout:" in html
    assert not Complaint.objects.exists()


def test_files_are_kept_when_the_rest_has_errors_and_can_be_removed(client, world):
    data = form_data(substantiation="", attachments=upload("a.pdf", PDF_BYTES))
    response = client.post(reverse("intake:form"), data)
    assert response.status_code == 400
    stored = Upload.objects.get()
    assert "a.pdf" in response.content.decode()
    assert "Verwijder" in response.content.decode()
    # Sending again without choosing the file again: it is still there.
    response = client.post(reverse("intake:form"), form_data(draft=data["draft"]))
    assert response.status_code == 302
    assert Attachment.objects.get().sha256 == stored.sha256

    client.post(
        reverse("intake:form"),
        form_data(draft="e" * 32, substantiation="", attachments=upload("b.pdf", PDF_BYTES)),
    )
    second = Upload.objects.get()
    response = client.post(reverse("intake:form"), form_data(draft="e" * 32, remove=second.pk))
    assert response.status_code == 200
    assert not Upload.objects.exists()


def test_a_refused_file_says_why_and_links_to_the_file_field(client, world):
    data = form_data(attachments=upload("virus.pdf", b"MZ\x90\x00" + b"\x00" * 50))
    response = client.post(reverse("intake:form"), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "is een programma" in html
    assert 'href="#id_attachments"' in html
    assert not Complaint.objects.exists()


def test_spam_goes_to_review_and_accepting_keeps_the_date_of_receipt(client, world):
    import datetime as dt

    from django.utils import timezone

    response = client.post(reverse("intake:form"), form_data(website="http://spam.example"))
    assert response.status_code == 302
    assert not Complaint.objects.exists()
    submission = Submission.objects.get()
    assert submission.state == SubmissionState.PENDING
    assert submission.spam_reasons == ["honeypot"]
    received = client.get(reverse("intake:received"))
    token = received.context["received"]["token"]
    assert "eerst door een collega" in received.content.decode() or received.status_code == 200
    status = client.get(reverse("intake:status", kwargs={"token": token}), follow=True)
    assert status.status_code == 200
    assert "Wordt gecontroleerd" in status.content.decode()

    # The quality manager accepts it two days later: the terms still run from receipt (P2.3).
    Submission.objects.filter(pk=submission.pk).update(
        received_on=timezone.localdate() - dt.timedelta(days=2)
    )
    client.force_login(world.qm)
    assert client.get(reverse("intake:review_list")).status_code == 200
    response = client.post(
        reverse("intake:review_detail", kwargs={"pk": submission.pk}), {"decision": "accept"}
    )
    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert complaint.received_on == timezone.localdate() - dt.timedelta(days=2)
    assert complaint.channel == "web_form"
    submission.refresh_from_db()
    assert submission.state == SubmissionState.ACCEPTED and submission.data == {}
    client.logout()
    status = client.get(reverse("intake:status", kwargs={"token": token}), follow=True)
    assert complaint.reference in status.content.decode()


def test_rejecting_needs_a_reason_and_is_recorded(client, world):
    client.post(reverse("intake:form"), form_data(altcha=""))
    submission = Submission.objects.get()
    assert submission.spam_reasons == ["pow_missing"]
    client.force_login(world.qm)
    url = reverse("intake:review_detail", kwargs={"pk": submission.pk})
    assert client.post(url, {"decision": "reject"}).status_code == 400
    assert client.post(url, {"decision": "reject", "note": "Reclame"}).status_code == 302
    submission.refresh_from_db()
    assert submission.state == SubmissionState.REJECTED
    assert submission.decided_by == world.qm and submission.data == {}
    assert AuditEntry.objects.filter(action="intake.rejected", actor=world.qm).exists()


@pytest.mark.parametrize("who", ["board", "dm_north", "staff"])
def test_only_the_quality_manager_reviews(client, world, who):
    client.post(reverse("intake:form"), form_data(altcha=""))
    client.force_login(getattr(world, who))
    assert client.get(reverse("intake:review_list")).status_code == 404
    submission = Submission.objects.get()
    url = reverse("intake:review_detail", kwargs={"pk": submission.pk})
    assert client.post(url, {"decision": "accept"}).status_code == 404
