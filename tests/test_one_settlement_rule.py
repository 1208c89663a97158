"""P3.8 has one answer (issue 9): every surface says the same about an extended complaint.

P3.8: settled within four weeks of receipt; where it may take longer, this is
confirmed to the complainant in writing (with the new date) before the term
runs out. The extension counts when its notice went out on or before the term
it replaces; provisionally while the notice is owed and that term has not
passed; otherwise the replaced term counts (`complaints.terms`).

Before, the complaint page, the work list, the tick and the API always counted
the extension, the register only with a notice sent in time, and the overdue
digest never listed such a complaint. Here one complaint is looked at through
every surface: the complaint page, the work list and its "missed" filter, the
register page, its CSV export, the dashboard, the daily tick's digest, the
complainant's status page and the API.

Received Monday 2 March 2026: contact by 9 March, settlement by Monday 30 March.
Contacted 4 March; on 20 March the term is extended to Monday 20 April.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils import translation

from klachtbeheer.complaints import services as complaint_services
from klachtbeheer.complaints.models import Complaint, LetterKind
from klachtbeheer.complaints.terms import ExtensionStatus, TermStatus
from klachtbeheer.complaints.workflow import Step
from klachtbeheer.intake import services as intake_services
from klachtbeheer.letters.constants import MessageKind
from klachtbeheer.letters.models import Letter, OutgoingMessage
from klachtbeheer.letters.services import letter_mark_posted, letter_send
from klachtbeheer.reminders.services import tick_run
from klachtbeheer.reporting.selectors import Period as ReportPeriod
from klachtbeheer.reporting.selectors import RegisterFilters, complaint_figures, register
from tests.api.conftest import token_for
from tests.factories import ComplaintFactory, send_extension_notice, take_step

pytestmark = pytest.mark.django_db

D = dt.date
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
RECEIVED = D(2026, 3, 2)
FOUR_WEEKS = D(2026, 3, 30)
EXTENDED_ON = D(2026, 3, 20)
UNTIL = D(2026, 4, 20)
TODAY = D(2026, 4, 7)  # after the four weeks, before the new date
NOTICE_IN_TIME = D(2026, 3, 25)
NOTICE_LATE = D(2026, 4, 1)


@pytest.fixture(autouse=True)
def _dutch():
    with translation.override("nl"):
        yield


def extended(world, clock, *, notice_on: D | None, **factory) -> Complaint:
    """The complaint of the module docstring, its notice sent on `notice_on` (or not yet).

    By e-mail (taken by the server that day) or, without an e-mail address, by
    post (printed and posted that day).
    """
    clock(RECEIVED)
    complaint = ComplaintFactory(received_on=RECEIVED, **factory)
    clock(D(2026, 3, 4))
    complaint = take_step(Step.ACCEPT, complaint, actor=world.qm)
    complaint = take_step(Step.RECORD_CONTACT, complaint, actor=world.qm, on=D(2026, 3, 4))
    clock(EXTENDED_ON)
    complaint = take_step(Step.EXTEND, complaint, actor=world.qm, until=UNTIL)
    if notice_on is not None:
        clock(notice_on)
        complaint = send_extension_notice(complaint, actor=world.qm)
    clock(TODAY)
    return complaint


# --- every surface, one at a time: (the settlement date it shows, met / open / missed) ---

AS_REGISTER = {
    TermStatus.MET: "met",
    TermStatus.OPEN: "open",
    TermStatus.AT_RISK: "open",
    TermStatus.MISSED: "missed",
}


def _page(client, world, complaint):
    settle = (
        client.get(reverse("complaints:detail", args=[complaint.reference])).context["terms"].settle
    )
    return settle.deadline.due, AS_REGISTER[settle.status]


def _work_list(client, world, complaint):
    """The term filter that lists it, and the date its row shows."""
    found = []
    for term in ("missed", "at_risk", "open", "none"):
        response = client.get(reverse("complaints:work_list") + f"?term={term}")
        for row, terms in response.context["rows"]:
            if row.pk == complaint.pk:
                found.append((terms.next.deadline.due if terms.next else None, term))
    [(due, term)] = found
    return due, {"at_risk": "open"}.get(term, term)


def _register_row(client, world, complaint):
    row = register(world.qm, filters=RegisterFilters(), today=TODAY).get(pk=complaint.pk)
    page = client.get(reverse("reporting:register") + f"?terms={row.settle_term}")
    assert complaint.reference in page.content.decode()  # the page's filter agrees
    return row.settle_due_counted, row.settle_term


def _register_csv(client, world, complaint):
    response = client.get(reverse("reporting:register_export", args=["csv"]))
    body = b"".join(response.streaming_content) if response.streaming else response.content
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    row = next(dict(zip(rows[0], r, strict=True)) for r in rows[1:] if r[0] == complaint.reference)
    words = {"gehaald": "met", "niet gehaald": "missed", "loopt": "open"}
    return D.fromisoformat(row["Geldende afhandeldatum"]), words[row["Afhandeltermijn"]]


def _dashboard_terms_met(client, world, complaint):
    figures = client.get(reverse("reporting:dashboard") + "?year=2026").context["analysis"].figures
    [status] = [status for status, n in figures.settle.items() if n]
    return None, status


def _dashboard_open_by_term(client, world, complaint):
    now = vars(client.get(reverse("reporting:dashboard")).context["analysis"].open_now)
    [bucket] = [bucket for bucket, n in now.items() if n]
    return None, {"on_schedule": "open", "at_risk": "open"}.get(bucket, bucket)


def _annual_report_figures(client, world, complaint):
    figures = complaint_figures(world.qm, period=ReportPeriod.year(2026), today=TODAY)
    [status] = [status for status, n in figures.settle.items() if n]
    return None, status


def _overdue_digest(client, world, complaint):
    tick_run(now=dt.datetime(2026, 4, 7, 8, tzinfo=AMSTERDAM))
    for digest in OutgoingMessage.objects.filter(kind=MessageKind.DIGEST):
        for line in digest.body.splitlines():
            if line.startswith(f"- {complaint.reference} · afwikkeling · "):
                shown = line.split(" · ")[2].split(" (")[0]
                assert shown == "30 maart 2026", line
                return FOUR_WEEKS, "missed"
    return None, "open"  # not overdue


def _status_page(client, world, complaint):
    token = intake_services.status_link_create(actor=world.qm, complaint=complaint)
    # The link is swapped for the session, then the token-less page (issue 10.6).
    response = client.get(reverse("intake:status", kwargs={"token": token}), follow=True)
    due = response.context["view"].terms.settle.deadline.due
    assert date_filter(due, "l j F Y") in response.content.decode()
    return due, None  # the complainant sees the date only


def _api(client, world, complaint):
    settle = client.get(
        f"/api/v1/complaints/{complaint.reference}",
        HTTP_AUTHORIZATION=f"Bearer {token_for(world.qm)}",
    ).json()["terms"]["settle"]
    return D.fromisoformat(settle["due"]), {"at_risk": "open"}.get(
        settle["status"], settle["status"]
    )


SURFACES = {
    "complaint page": _page,
    "work list": _work_list,
    "register row": _register_row,
    "register CSV": _register_csv,
    "dashboard, terms met": _dashboard_terms_met,
    "dashboard, open by term": _dashboard_open_by_term,
    "annual report figures": _annual_report_figures,
    "overdue digest": _overdue_digest,
    "status page": _status_page,
    "API": _api,
}


def _shows(surface, client, world, complaint, *, due, status):
    client.force_login(world.qm)
    shown_due, shown_status = SURFACES[surface](client, world, complaint)
    if shown_due is not None:
        assert shown_due == due
    if shown_status is not None:
        assert shown_status == status


def _late_or_never(world, clock, notice: str) -> Complaint:
    complaint = extended(world, clock, notice_on=None, complainant__email="")
    if notice == "late":
        # Printed before the four weeks ran out, posted after: posting is the day it went.
        clock(D(2026, 3, 27))
        due = complaint.letters_due.get(kind=LetterKind.EXTENSION)
        letter = letter_send(actor=world.qm, reference=complaint.reference, due_id=due.pk)
        clock(NOTICE_LATE)
        letter_mark_posted(actor=world.qm, reference=complaint.reference, uid=letter.uid)
        clock(TODAY)
    return Complaint.objects.get(pk=complaint.pk)


@pytest.mark.parametrize("surface", SURFACES)
@pytest.mark.parametrize("notice", ["late", "never"])
def test_an_extension_without_a_notice_in_time_is_missed_on_every_surface(
    client, world, clock, notice, surface
):
    complaint = _late_or_never(world, clock, notice)
    # The four weeks count, and they have passed.
    _shows(surface, client, world, complaint, due=FOUR_WEEKS, status="missed")


@pytest.mark.parametrize("surface", SURFACES)
def test_a_notice_in_time_counts_the_extension_on_every_surface(client, world, clock, surface):
    # By post, posted on 25 March (the e-mail path: test_the_complaint_page_says_...).
    complaint = extended(world, clock, notice_on=NOTICE_IN_TIME, complainant__email="")
    assert complaint.extension_notice_sent_on == NOTICE_IN_TIME
    _shows(surface, client, world, complaint, due=UNTIL, status="open")


def test_the_complaint_page_says_which_term_counts_and_why(client, world, clock):
    client.force_login(world.qm)
    late = _late_or_never(world, clock, "late")
    html = client.get(reverse("complaints:detail", args=[late.reference])).content.decode()
    assert "Het schriftelijke bericht ging op 1 april 2026 weg" in html
    assert "die termijn geldt." in html
    never = _late_or_never(world, clock, "never")
    html = client.get(reverse("complaints:detail", args=[never.reference])).content.decode()
    assert "Er ging geen schriftelijk bericht weg voordat de termijn van 30 maart 2026" in html
    in_time = extended(world, clock, notice_on=NOTICE_IN_TIME)
    assert in_time.extension_notice_sent_on == NOTICE_IN_TIME
    html = client.get(reverse("complaints:detail", args=[in_time.reference])).content.decode()
    assert "De klager heeft dit op 25 maart 2026 schriftelijk gehoord." in html
    assert Complaint.objects.get(pk=late.pk).extension_notice_sent_on == NOTICE_LATE


def test_while_the_notice_is_owed_the_new_date_counts_and_the_notice_is_due_first(
    client, world, clock
):
    complaint = extended(world, clock, notice_on=None)
    clock(D(2026, 3, 25))  # Wednesday; the four weeks end on Monday 30 March
    client.force_login(world.qm)
    page = client.get(reverse("complaints:detail", args=[complaint.reference]))
    terms = page.context["terms"]
    assert terms.extension == ExtensionStatus.PROVISIONAL
    assert (terms.settle.deadline.due, terms.settle.status) == (UNTIL, TermStatus.OPEN)
    assert terms.next_name == "notice" and terms.next.deadline.due == FOUR_WEEKS
    html = page.content.decode()
    assert "bericht van uitstel" in html
    assert "uiterlijk maandag 30 maart 2026 verstuurd is" in html
    row = register(world.qm, filters=RegisterFilters(), today=D(2026, 3, 25)).get(pk=complaint.pk)
    assert (row.settle_due_counted, row.settle_term) == (UNTIL, "open")
    assert complaint.next_due_on == FOUR_WEEKS  # the work list sorts by the notice
    # Two working days before the four weeks end, the handler is reminded of the notice.
    assert tick_run(now=dt.datetime(2026, 3, 25, 10, tzinfo=AMSTERDAM)).reminders == 0
    assert tick_run(now=dt.datetime(2026, 3, 26, 10, tzinfo=AMSTERDAM)).reminders == 1
    [reminder] = OutgoingMessage.objects.filter(kind=MessageKind.REMINDER)
    assert reminder.dedupe_key.split(":")[2] == "notice"
    assert "maandag 20 april 2026" in reminder.body
    assert "maandag 30 maart 2026" in reminder.body
    # The day after the four weeks, still no notice: missed on the page and in the register.
    clock(D(2026, 3, 31))
    page = client.get(reverse("complaints:detail", args=[complaint.reference]))
    assert page.context["terms"].settle.status == TermStatus.MISSED
    assert page.context["terms"].settle.deadline.due == FOUR_WEEKS
    row = register(world.qm, filters=RegisterFilters(), today=D(2026, 3, 31)).get(pk=complaint.pk)
    assert (row.settle_due_counted, row.settle_term) == (FOUR_WEEKS, "missed")
    # The stored next term did not need the tick to change it.
    assert Complaint.objects.get(pk=complaint.pk).next_due_on == FOUR_WEEKS


def test_a_second_extension_counts_only_with_its_own_notice(client, world, clock):
    """The register used to count any extension once some notice went out by the four weeks."""
    complaint = extended(world, clock, notice_on=NOTICE_IN_TIME)
    clock(D(2026, 4, 15))
    second = D(2026, 5, 11)
    complaint = take_step(Step.EXTEND, complaint, actor=world.qm, until=second)
    clock(D(2026, 4, 22))  # the first extension's date has passed without a second notice
    client.force_login(world.qm)
    page = client.get(reverse("complaints:detail", args=[complaint.reference]))
    assert (page.context["terms"].settle.deadline.due, page.context["terms"].settle.status) == (
        UNTIL,
        TermStatus.MISSED,
    )
    row = register(world.qm, filters=RegisterFilters(), today=D(2026, 4, 22)).get(pk=complaint.pk)
    assert (row.settle_due_counted, row.settle_term) == (UNTIL, "missed")
    missed = client.get(reverse("complaints:work_list") + "?term=missed")
    assert complaint.reference in [c.reference for c, _t in missed.context["rows"]]
    complaint = Complaint.objects.get(pk=complaint.pk)
    assert complaint.extension_notice_due_on == UNTIL  # the first extension, told in time
    assert complaint.extension_notice_sent_on is None  # a new extension owes a new notice


def test_a_second_notice_in_time_for_the_replaced_term_counts(world, clock):
    complaint = extended(world, clock, notice_on=NOTICE_IN_TIME)
    clock(D(2026, 4, 15))
    second = D(2026, 5, 11)
    complaint = take_step(Step.EXTEND, complaint, actor=world.qm, until=second)
    clock(D(2026, 4, 17))  # after the four weeks, before the first extension's date
    complaint = send_extension_notice(complaint, actor=world.qm)
    assert complaint.extension_notice_sent_on == D(2026, 4, 17)
    assert complaint.next_due_on == second
    row = register(world.qm, filters=RegisterFilters(), today=D(2026, 4, 22)).get(pk=complaint.pk)
    assert (row.settle_due_counted, row.settle_term) == (second, "open")


def test_a_posted_notice_is_recorded_on_the_day_it_is_posted(world, clock):
    # No e-mail address: the notice goes by post, and counts when it is posted.
    complaint = extended(world, clock, notice_on=None, complainant__email="")
    due = complaint.letters_due.get(kind=LetterKind.EXTENSION)
    clock(D(2026, 3, 26))
    letter = letter_send(actor=world.qm, reference=complaint.reference, due_id=due.pk)
    assert letter.channel == "post"
    assert Complaint.objects.get(pk=complaint.pk).extension_notice_sent_on is None  # printed
    clock(D(2026, 3, 27))
    letter_mark_posted(actor=world.qm, reference=complaint.reference, uid=letter.uid)
    complaint = Complaint.objects.get(pk=complaint.pk)
    assert complaint.extension_notice_sent_on == D(2026, 3, 27)
    assert complaint.next_due_on == UNTIL
    assert Letter.objects.get(pk=letter.pk).sent_on == D(2026, 3, 27)


def test_an_earlier_notice_posted_in_time_puts_its_date_in_writing(world, clock):
    """A notice printed for the first extension, posted after a second one: its date holds."""
    complaint = extended(world, clock, notice_on=None, complainant__email="")
    first_due = complaint.letters_due.get(kind=LetterKind.EXTENSION)
    clock(D(2026, 3, 23))
    first_letter = letter_send(actor=world.qm, reference=complaint.reference, due_id=first_due.pk)
    clock(D(2026, 3, 24))
    second = D(2026, 5, 11)
    complaint = take_step(Step.EXTEND, complaint, actor=world.qm, until=second)
    assert complaint.extension_notice_due_on == FOUR_WEEKS  # the first was not told yet
    clock(D(2026, 3, 25))
    letter_mark_posted(actor=world.qm, reference=complaint.reference, uid=first_letter.uid)
    complaint = Complaint.objects.get(pk=complaint.pk)
    # The complainant has 20 April in writing, in time; the second extension replaces it.
    assert complaint.extension_notice_due_on == UNTIL
    assert complaint.extension_notice_sent_on is None
    assert complaint.next_due_on == UNTIL


def test_a_notice_for_another_date_changes_nothing(world, clock):
    complaint = extended(world, clock, notice_on=None)
    with transaction.atomic():  # as the letters app calls it, in its own transaction
        complaint_services.complaint_extension_notice_sent(
            complaint_id=complaint.pk, until=D(2026, 6, 1), sent_on=D(2026, 3, 21)
        )
    assert Complaint.objects.get(pk=complaint.pk).term_facts == complaint.term_facts
