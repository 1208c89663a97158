"""The staff pages through the test client, on the demo organisation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from klachtbeheer.complaints.models import AccessLog, Complaint, EventKind
from klachtbeheer.complaints.workflow import State, Step
from klachtbeheer.core.models import AuditEntry
from klachtbeheer.demo.data import DEMO_PASSWORD, load_demo

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _dutch():
    """A request to /en/ leaves English active in this thread; reverse() would follow it."""
    with translation.override("nl"):
        yield


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo(db):
    load_demo(today=dt.date.today())
    return {u.username: u for u in get_user_model().objects.all()}


def login(client, username: str):
    client.force_login(get_user_model().objects.get(username=username))
    return client


def test_password_login_works_and_locks_out_after_repeated_failures(client, demo, settings):
    """Per user name across addresses, and per address across user names (issue 11)."""
    url = reverse("login")
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(
            url, {"username": "zuid", "password": "wrong"}, REMOTE_ADDR=f"198.51.100.{attempt}"
        )
        assert response.status_code in (200, 429)
    # Each address failed once only, yet the user name is blocked from a new address too.
    locked = client.post(
        url, {"username": "zuid", "password": DEMO_PASSWORD}, REMOTE_ADDR="203.0.113.9"
    )
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    other = client.post(
        url, {"username": "oost", "password": DEMO_PASSWORD}, REMOTE_ADDR="203.0.113.9"
    )
    assert other.status_code == 302


def test_one_address_guessing_across_user_names_is_blocked(client, demo, settings):
    url = reverse("login")
    for name in ["zuid", "oost", "noord", "midden", "noordwest"][: settings.AXES_FAILURE_LIMIT]:
        client.post(url, {"username": name, "password": "wrong"}, REMOTE_ADDR="198.51.100.50")
    blocked = client.post(
        url, {"username": "directie", "password": DEMO_PASSWORD}, REMOTE_ADDR="198.51.100.50"
    )
    assert blocked.status_code == 429
    elsewhere = client.post(
        url, {"username": "directie", "password": DEMO_PASSWORD}, REMOTE_ADDR="198.51.100.51"
    )
    assert elsewhere.status_code == 302


def test_anonymous_is_sent_to_login(client, demo):
    response = client.get(reverse("complaints:work_list"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.parametrize("username", ["medewerker"])
def test_other_staff_get_no_work_list(client, demo, username):
    """No complaints, but no 404 either: their landing page says why (issue 14.5)."""
    login(client, username)
    response = client.get(reverse("complaints:work_list"))
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert "KL-2026-" not in client.get(reverse("home")).content.decode()


def test_work_list_query_count_does_not_grow_with_rows(client, demo, settings):
    login(client, "kwaliteit")
    url = reverse("complaints:work_list")
    client.get(url)  # warm caches (sessions, content types)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url + "?state=received").status_code == 200
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.status_code == 200
    assert len(response.context["rows"]) > 10
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_work_list_sorted_by_next_term_and_filters_in_url(client, demo):
    login(client, "kwaliteit")
    response = client.get(reverse("complaints:work_list"))
    dues = [c.next_due_on for c, _terms in response.context["rows"] if c.next_due_on]
    assert dues == sorted(dues)
    missed = client.get(reverse("complaints:work_list") + "?term=missed")
    today = dt.date.today()
    assert missed.context["rows"]
    assert all(c.next_due_on < today for c, _t in missed.context["rows"])


def test_district_manager_sees_only_own_district_and_never_about_self(client, demo):
    zuid = demo["zuid"]
    login(client, "zuid")
    response = client.get(reverse("complaints:work_list"))
    shown = {c.pk for c, _t in response.context["rows"]}
    about_zuid = Complaint.objects.get(manager_concerned=zuid)
    assert about_zuid.pk not in shown
    assert shown
    for complaint in Complaint.objects.filter(pk__in=shown):
        assert complaint.district.manager_id == zuid.pk or complaint.handler_id == zuid.pk
    # Not through search, not by URL.
    search = client.get(reverse("complaints:work_list"), {"q": about_zuid.reference})
    assert not search.context["rows"]
    assert client.get(about_zuid.get_absolute_url()).status_code == 404


def test_opening_a_complaint_is_logged(client, demo):
    login(client, "kwaliteit")
    complaint = Complaint.objects.filter(manager_concerned__isnull=True).first()
    before = AccessLog.objects.filter(complaint=complaint).count()
    response = client.get(complaint.get_absolute_url())
    assert response.status_code == 200
    assert AccessLog.objects.filter(complaint=complaint).count() == before + 1


def test_detail_offers_exactly_the_steps_of_the_state(client, demo):
    login(client, "kwaliteit")
    complaint = Complaint.objects.filter(state=State.ACCEPTED).first()
    response = client.get(complaint.get_absolute_url())
    steps = set(response.context["steps"])
    assert Step.RECORD_CONTACT in steps
    assert Step.RECORD_VERDICT not in steps
    assert Step.REASSIGN in steps  # the quality manager reassigns


def test_step_form_walks_a_complaint_to_closed(client, demo):
    complaint = Complaint.objects.filter(
        state=State.ACCEPTED, handler__staff_profile__role="district_manager"
    ).first()
    assert complaint is not None
    login(client, complaint.handler.username)
    ref = complaint.reference
    today = dt.date.today().isoformat()

    def post(step, data):
        url = reverse("complaints:step", args=[ref, step])
        response = client.post(url, data)
        assert response.status_code == 302, (step, response.context["form"].errors)

    post("record_contact", {"on": today, "channel": "phone", "summary": "Gebeld."})
    post("plan_meeting", {"at": f"{today}T14:00", "location": "Baarn"})
    post("hold_meeting", {"held_on": today, "report": "Besproken."})
    post(
        "record_verdict",
        {"verdict": "founded", "reasons": "Klopt.", "measures": "Nieuwe planning\nExcuses"},
    )
    post("send_decision", {"how": "now"})
    post("close", {})
    complaint.refresh_from_db()
    assert complaint.state == State.CLOSED
    assert complaint.measures.count() == 2
    assert AuditEntry.objects.filter(target_id=str(complaint.pk)).count() >= 7


def test_refused_step_answers_409_and_changes_nothing(client, demo):
    login(client, "kwaliteit")
    complaint = Complaint.objects.filter(state=State.RECEIVED, handler__isnull=False).first()
    url = reverse("complaints:step", args=[complaint.reference, "close"])
    response = client.post(url, {})
    assert response.status_code == 409
    assert response.context["refusal"]
    complaint.refresh_from_db()
    assert complaint.state == State.RECEIVED


def test_invalid_step_input_is_a_form_error_not_a_500(client, demo):
    login(client, "kwaliteit")
    complaint = Complaint.objects.filter(state=State.ASSESSING).first()
    url = reverse("complaints:step", args=[complaint.reference, "record_verdict"])
    response = client.post(url, {"verdict": "founded", "reasons": ""})
    assert response.status_code == 400
    assert response.context["form"].errors
    complaint.refresh_from_db()
    assert complaint.state == State.ASSESSING


def test_reassign_is_for_the_quality_manager_only(client, demo):
    complaint = Complaint.objects.filter(
        state=State.ACCEPTED, handler__staff_profile__role="district_manager"
    ).first()
    handler = complaint.handler
    login(client, handler.username)
    url = reverse("complaints:step", args=[complaint.reference, "reassign"])
    response = client.post(url, {"handler": demo["directie"].pk, "reason": "x"})
    assert response.status_code == 409
    complaint.refresh_from_db()
    assert complaint.handler == handler


def test_register_a_postal_complaint_routes_by_postcode(client, demo):
    login(client, "kwaliteit")
    received = (dt.date.today() - dt.timedelta(days=2)).isoformat()
    scan = SimpleUploadedFile("scan.pdf", b"%PDF-1.4 scan", content_type="application/pdf")
    response = client.post(
        reverse("complaints:register"),
        {
            "channel": "post",
            "received_on": received,
            "complainant_type": "client",
            "name": "J. Post",
            "street_address": "Brink 1",
            "postcode": "7411bt",
            "city": "Deventer",
            "substantiation": "Mijn coach kwam niet opdagen.",
            "attachment": scan,
        },
    )
    assert response.status_code == 302
    complaint = Complaint.objects.get(complainant_name="J. Post")
    assert complaint.postcode == "7411 BT"
    assert complaint.district.name == "Oost"
    assert complaint.handler == demo["oost"]
    assert complaint.received_on.isoformat() == received
    assert complaint.contact_due_on == complaint.received_on + dt.timedelta(days=7)
    assert complaint.attachments.count() == 1
    download = client.get(
        reverse("complaints:attachment", args=[complaint.reference, complaint.attachments.get().pk])
    )
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 scan"
    assert complaint.events.filter(kind=EventKind.ROUTED).exists()


def test_register_rejects_bad_input_with_messages(client, demo):
    login(client, "kwaliteit")
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    response = client.post(
        reverse("complaints:register"),
        {
            "channel": "post",
            "received_on": tomorrow,
            "complainant_type": "client",
            "name": "X",
            "postcode": "12345",
            "phone": "abc",
            "substantiation": "",
        },
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert {"received_on", "postcode", "phone", "substantiation"} <= set(errors)


def test_attachment_of_invisible_complaint_is_404(client, demo):
    login(client, "noord")
    other = Complaint.objects.exclude(district__manager=demo["noord"]).exclude(
        handler=demo["noord"]
    )
    complaint = other.first()
    response = client.get(reverse("complaints:attachment", args=[complaint.reference, 1]))
    assert response.status_code == 404


def test_english_pages_exist(client, demo):
    login(client, "kwaliteit")
    response = client.get("/en/klachten/")
    assert response.status_code == 200
    assert response.context["LANGUAGE_CODE"] == "en"


def test_search_finds_words_in_the_substantiation(client, demo):
    login(client, "kwaliteit")
    response = client.get(reverse("complaints:work_list"), {"q": "gefactureerd"})
    rows = response.context["rows"]
    assert rows
    assert all("gefactureerd" in c.substantiation for c, _t in rows)


def test_complaint_page_query_count_does_not_grow_with_the_timeline(client, demo):
    login(client, "kwaliteit")
    short = Complaint.objects.filter(state=State.RECEIVED, handler__isnull=False).first()
    long = Complaint.objects.filter(state=State.CLOSED).first()
    client.get(short.get_absolute_url())  # warm caches
    with CaptureQueriesContext(connection) as few:
        client.get(short.get_absolute_url())
    with CaptureQueriesContext(connection) as many:
        response = client.get(long.get_absolute_url())
    assert len(response.context["events"]) >= 10
    assert len(many) <= len(few) + 1, [q["sql"] for q in many.captured_queries]


def test_routing_reason_is_shown_in_the_page_language(client, demo):
    login(client, "kwaliteit")
    complaint = Complaint.objects.filter(district__isnull=False, manager_concerned=None).first()
    dutch = client.get(complaint.get_absolute_url()).content.decode()
    assert "De districtsmanager van de klager" in dutch or "districtsmanager" in dutch
    assert "The district manager of the complainant." not in dutch


def test_work_list_rows_escape_what_complainants_wrote(client, demo):
    """The rows are written in Python (`casework.views.work_list_rows`, issue 15): every
    value escaped, each cell labelled for the phone layout, the term's words in Dutch."""
    complaint = Complaint.objects.filter(state=State.RECEIVED).first()
    Complaint.objects.filter(pk=complaint.pk).update(
        complainant_name='<script>alert("naam")</script>',
        complainant_organisation="Bakker & Zn <b>",
    )
    login(client, "kwaliteit")
    page = client.get(reverse("complaints:work_list"), {"q": complaint.reference})
    body = page.content.decode()
    assert "<script>alert" not in body and "<b>" not in body
    assert "&lt;script&gt;alert(&quot;naam&quot;)&lt;/script&gt;" in body
    assert '<span class="kb-muted kb-block">Bakker &amp; Zn &lt;b&gt;</span>' in body
    row = body[body.index('<tr class="utrecht-table__row', body.index("<tbody")) :]
    row = row[: row.index("</tr>")]
    assert f'href="{complaint.get_absolute_url()}">{complaint.reference}</a>' in row
    for label in ("Volgende termijn", "Klager", "Status", "Klachtbehandelaar", "District"):
        assert f'data-label="{label}"' in row, label
    assert '<span class="kb-term-words">Nog ' in row
    assert '<span class="kb-term-date">contact ' in row
