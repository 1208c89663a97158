"""Issue 14.2 and 14.6, through the test client: what the complainant and the quality
manager see around the public form (held submissions, the survey's pages, a closed
complaint's status page, the procedure page naming every way in)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import formats

from klachtbeheer.complaints.selectors import work_calendar
from klachtbeheer.complaints.terms import deadline
from klachtbeheer.complaints.workflow import State
from klachtbeheer.intake import services as intake_services
from klachtbeheer.intake.models import Submission, SubmissionState, Upload
from klachtbeheer.organisation.models import Organisation
from klachtbeheer.reporting.models import SatisfactionResponse
from tests.factories import ComplaintFactory
from tests.intake.conftest import PDF_BYTES, form_data, upload

pytestmark = pytest.mark.django_db


def _held(client, day: dt.date, clock) -> Submission:
    clock(day)
    response = client.post(reverse("intake:form"), form_data(website="http://spam.example"))
    assert response.status_code == 302
    return Submission.objects.order_by("-id").first()


def test_held_submissions_are_counted_on_the_quality_managers_work_list_with_their_term(
    client, world, clock
):
    first = _held(client, dt.date(2026, 11, 23), clock)
    _held(client, dt.date(2026, 11, 25), clock)
    assert set(Submission.objects.values_list("state", flat=True)) == {SubmissionState.PENDING}
    clock(dt.date(2026, 11, 26))
    # The terms run from the day it was sent (P2.3), held or not.
    due = deadline(first.received_on, Organisation.current().contact_term_days, work_calendar()).due

    client.force_login(world.qm)
    html = client.get(reverse("complaints:work_list")).content.decode()
    assert "2 formulieren wachten op uw controle" in html
    assert f'href="{reverse("intake:review_list")}"' in html
    assert f"het oudste kwam binnen op {formats.date_format(first.received_on, 'j F')}" in html
    assert f"contact moet uiterlijk {formats.date_format(due, 'l j F')}" in html

    client.force_login(world.dm_north)  # only the quality manager reviews them
    html = client.get(reverse("complaints:work_list")).content.decode()
    assert "wacht op uw controle" not in html

    Submission.objects.exclude(pk=first.pk).delete()
    client.force_login(world.qm)
    html = client.get(reverse("complaints:work_list")).content.decode()
    assert "1 formulier wacht op uw controle" in html


def _status_session(client, world, *, state=State.CLOSED):
    complaint = ComplaintFactory(state=state)
    token = intake_services.status_link_create(actor=world.qm, complaint=complaint)
    assert client.get(reverse("intake:status", kwargs={"token": token})).status_code == 302
    return complaint


def test_the_surveys_pages_keep_the_public_layout(client, world):
    complaint = _status_session(client, world)
    url = reverse("intake:status_survey")
    page = client.get(url)
    assert page.status_code == 200
    for response in (
        page,
        client.post(url, {"score": ""}),  # the error page
    ):
        html = response.content.decode()
        assert "kb-public" in html, response.status_code  # intake/public_base.html
        assert reverse("intake:status_link_again") in html  # the public footer
        assert reverse("complaints:work_list") not in html  # nothing of the staff layout
    assert client.post(url, {"score": ""}).status_code == 400

    done = client.post(url, {"score": "4", "felt_heard": "yes"}, follow=True)
    html = done.content.decode()
    assert "Bedankt voor uw antwoord" in html
    assert "kb-public" in html and reverse("complaints:work_list") not in html
    assert SatisfactionResponse.objects.get(complaint=complaint).score == 4


def test_a_closed_complaints_status_page_says_who_reads_a_message(client, world):
    complaint = _status_session(client, world)
    html = client.get(reverse("intake:status_home")).content.decode()
    assert "Stuur ons een bericht" in html
    assert "Informatie aanvullen" not in html
    handler = complaint.handler.get_full_name() if complaint.handler else "de kwaliteitsmanager"
    assert f"{handler} leest het en antwoordt u als dat nodig is" in html
    assert "Uw klacht wordt daardoor niet vanzelf heropend" in html


def test_an_open_complaints_status_page_still_offers_to_add_information(client, world):
    _status_session(client, world, state=State.RECEIVED)
    html = client.get(reverse("intake:status_home")).content.decode()
    assert "Informatie aanvullen" in html
    assert "Stuur ons een bericht" not in html


def test_the_procedure_page_and_the_form_say_complaints_can_be_sent_by_e_mail(
    client, world, settings
):
    settings.MAILINTAKE_ADDRESS = "klachten@imk.example"
    html = client.get(reverse("intake:procedure")).content.decode()
    assert 'href="mailto:klachten@imk.example"' in html
    assert "Per e-mail, aan" in html
    form = client.get(reverse("intake:form")).content.decode()
    assert 'href="mailto:klachten@imk.example"' in form

    settings.MAILINTAKE_ADDRESS = ""  # no mailbox read: the page promises none
    assert "mailto:" not in client.get(reverse("intake:procedure")).content.decode()
    assert "mailto:" not in client.get(reverse("intake:form")).content.decode()


def test_adding_a_file_on_the_status_page_says_so_where_the_files_are(client, world):
    _status_session(client, world, state=State.RECEIVED)
    url = reverse("intake:status_home")
    page = client.get(url).content.decode()
    assert f'formaction="{url}#bijlagen"' in page  # "Bestand toevoegen" comes back here
    draft = "s" * 32
    response = client.post(
        url,
        {
            "draft": draft,
            "text": "Nog iets.",
            "action": "upload",
            "attachments": upload("verslag.pdf", PDF_BYTES, "application/pdf"),
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="bijlagen" role="status" tabindex="-1"' in html
    assert "“verslag.pdf” is toegevoegd." in html
    assert "Er is een probleem" not in html  # not sending: no error summary
    assert "Nog iets." in html  # the text typed is kept
    removed = client.post(
        url, {"draft": draft, "remove": str(Upload.objects.get().pk)}
    ).content.decode()
    assert "“verslag.pdf” is verwijderd." in removed
    assert not Upload.objects.exists()
