"""The verdict with categories and measures, reminders of overdue measures, and the survey."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone, translation

from klachtbeheer.complaints import services as complaint_services
from klachtbeheer.complaints.forms import VerdictForm
from klachtbeheer.complaints.models import Category, EventKind, Measure, Verdict
from klachtbeheer.complaints.workflow import State
from klachtbeheer.core.errors import ProcedureError
from klachtbeheer.core.models import AuditEntry
from klachtbeheer.reporting import services
from klachtbeheer.reporting.forms import MeasureForm
from klachtbeheer.reporting.models import SatisfactionResponse
from klachtbeheer.reporting.views import satisfaction_survey
from tests.factories import ComplaintFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def assessing(world):
    return ComplaintFactory(assessing=True)


def test_founded_needs_a_measure_unfounded_may_have_none(world, assessing):
    with pytest.raises(ProcedureError) as error:
        complaint_services.complaint_record_verdict(
            actor=world.qm,
            reference=assessing.reference,
            verdict=Verdict.PARTLY_FOUNDED,
            reasons="Deels waar.",
            no_measures=True,
        )
    assert error.value.code == "measures_required_founded"
    complaint_services.complaint_record_verdict(
        actor=world.qm,
        reference=assessing.reference,
        verdict=Verdict.UNFOUNDED,
        reasons="Niet waar.",
        no_measures=True,
    )


def test_categories_are_required_once_the_list_exists(world, assessing):
    wanted = Category.objects.create(name="Bejegening")
    Category.objects.create(name="Oud", active=False)
    with pytest.raises(ProcedureError) as error:
        complaint_services.complaint_record_verdict(
            actor=world.qm,
            reference=assessing.reference,
            verdict=Verdict.FOUNDED,
            reasons="Waar.",
            measures=["Excuses"],
        )
    assert error.value.code == "category_required"
    inactive = Category.objects.get(name="Oud")
    with pytest.raises(ProcedureError):
        complaint_services.complaint_record_verdict(
            actor=world.qm,
            reference=assessing.reference,
            verdict=Verdict.FOUNDED,
            reasons="Waar.",
            measures=["Excuses"],
            category_ids=[inactive.pk],
        )
    complaint = complaint_services.complaint_record_verdict(
        actor=world.qm,
        reference=assessing.reference,
        verdict=Verdict.FOUNDED,
        reasons="Waar.",
        measures=["Excuses", "Training"],
        category_ids=[wanted.pk],
        measure_owner_id=world.board.pk,
        measures_due_on=dt.date.today() + dt.timedelta(days=10),
    )
    assert list(complaint.categories.all()) == [wanted]
    assert [(m.description, m.owner) for m in complaint.measures.all()] == [
        ("Excuses", world.board),
        ("Training", world.board),
    ]


def test_a_revised_verdict_keeps_the_measures_already_done(world, assessing):
    complaint = complaint_services.complaint_record_verdict(
        actor=world.qm,
        reference=assessing.reference,
        verdict=Verdict.FOUNDED,
        reasons="Waar.",
        measures=["Excuses", "Training"],
    )
    done = complaint.measures.get(description="Excuses")
    Measure.objects.filter(pk=done.pk).update(done_on=dt.date.today())
    complaint_services.complaint_record_verdict(
        actor=world.qm,
        reference=assessing.reference,
        verdict=Verdict.PARTLY_FOUNDED,
        reasons="Deels waar.",
        measures=["Werkinstructie"],
    )
    assert sorted(complaint.measures.values_list("description", flat=True)) == [
        "Excuses",
        "Werkinstructie",
    ]


def test_the_verdict_step_page_shows_and_saves_the_categories(client, world, assessing):
    category = Category.objects.create(name="Communicatie")
    client.force_login(world.qm)
    with translation.override("nl"):
        page = reverse("complaints:step", args=[assessing.reference, "record_verdict"])
    html = client.get(page).content.decode()
    assert 'type="checkbox"' in html and "Communicatie" in html
    response = client.post(page, {"verdict": "founded", "reasons": "Waar.", "measures": "Excuses"})
    assert response.status_code == 400
    assert "Kies ten minste één categorie." in response.content.decode() or (
        "Choose at least one category." in response.content.decode()
    )
    response = client.post(
        page,
        {
            "verdict": "founded",
            "reasons": "Waar.",
            "measures": "Excuses",
            "categories": [category.pk],
        },
    )
    assert response.status_code == 302
    assessing.refresh_from_db()
    assert assessing.state == State.DECIDED
    assert list(assessing.categories.all()) == [category]


def test_overdue_measures_are_reminded_once_a_week(world, assessing):
    complaint = complaint_services.complaint_record_verdict(
        actor=world.qm,
        reference=assessing.reference,
        verdict=Verdict.FOUNDED,
        reasons="Waar.",
        measures=["Excuses"],
        measure_owner_id=world.dm_north.pk,
        measures_due_on=dt.date.today(),
    )
    sent = []

    def send(owner, subject, body, measures, unowned):
        sent.append((owner, subject, body, measures))
        return True

    later = dt.date.today() + dt.timedelta(days=3)
    assert services.measures_remind_overdue(today=later, send=send) == 1
    owner, subject, body, measures = sent[0]
    assert owner == world.dm_north
    assert [m.description for m in measures] == ["Excuses"]
    assert "1" in subject
    assert "Excuses" in body and "3" in body
    assert complaint.measures.get().last_reminded_on == later
    # Not again within the week; again after it.
    assert services.measures_remind_overdue(today=later + dt.timedelta(days=6), send=send) == 0
    assert services.measures_remind_overdue(today=later + dt.timedelta(days=7), send=send) == 1
    assert AuditEntry.objects.filter(action="measure.reminder").count() == 2
    # A reminder that could not be written (no address) is tried again the next day.
    assert (
        services.measures_remind_overdue(
            today=later + dt.timedelta(days=20), send=lambda *a, **k: None
        )
        == 0
    )
    assert complaint.measures.get().last_reminded_on == later + dt.timedelta(days=7)


def test_the_survey_for_the_status_page(world, clock):
    clock(dt.date.today())
    closed = ComplaintFactory(closed=True)
    factory = RequestFactory()
    clock(closed.closed_on + dt.timedelta(days=1))
    request = factory.get("/status/x/tevredenheid/")
    response = satisfaction_survey(request, closed, action_url="/status/x/tevredenheid/")
    assert response.status_code == 200
    assert 'name="score"' in response.content.decode()
    # A missing answer is an error on the page, not a 500.
    request = factory.post("/status/x/tevredenheid/", {"comment": "Geen idee."})
    request._dont_enforce_csrf_checks = True
    response = satisfaction_survey(request, closed, action_url="/status/x/tevredenheid/")
    assert response.status_code == 400
    request = factory.post(
        "/status/x/tevredenheid/", {"score": "1", "felt_heard": "no", "comment": "Slecht."}
    )
    response = satisfaction_survey(request, closed, action_url="/status/x/tevredenheid/")
    assert response.status_code == 302
    answer = SatisfactionResponse.objects.get(complaint=closed)
    assert (answer.score, answer.felt_heard, answer.flagged) == (1, False, True)
    assert closed.events.filter(kind=EventKind.SATISFACTION).exists()
    assert AuditEntry.objects.filter(action="satisfaction.very_unhappy").exists()
    # One answer per complaint; the page then thanks.
    response = satisfaction_survey(factory.get("/"), closed, action_url="/")
    assert 'name="score"' not in response.content.decode()
    with pytest.raises(ProcedureError):
        services.satisfaction_record(complaint_id=closed.pk, score=5)


def test_the_survey_is_only_open_after_closing_and_for_a_while(world, clock):
    clock(dt.date.today())
    open_complaint = ComplaintFactory(contacted=True)
    assert not services.survey_open_for(open_complaint)
    with pytest.raises(ProcedureError):
        services.satisfaction_record(complaint_id=open_complaint.pk, score=4)
    closed = ComplaintFactory(closed=True)
    assert services.survey_open_for(closed, today=closed.closed_on + dt.timedelta(days=90))
    assert not services.survey_open_for(closed, today=closed.closed_on + dt.timedelta(days=91))


def test_the_daily_tick_queues_the_reminder_for_an_overdue_measure(world, assessing):
    from klachtbeheer.letters.models import OutgoingMessage
    from klachtbeheer.reminders.services import tick_run

    complaint_services.complaint_record_verdict(
        actor=world.qm,
        reference=assessing.reference,
        verdict=Verdict.FOUNDED,
        reasons="Waar.",
        measures=["Excuses aanbieden"],
        measure_owner_id=world.dm_north.pk,
        measures_due_on=dt.date.today(),
    )
    later = timezone.now() + dt.timedelta(days=2)
    tick_run(now=later)
    tick_run(now=later)  # idempotent: the second run queues nothing new
    reminders = OutgoingMessage.objects.filter(
        to=world.dm_north.email, body__contains="Excuses aanbieden"
    )
    assert reminders.count() == 1
    assert "Excuses aanbieden" in reminders.get().body


# --- nobody concerned by a complaint carries out its measures (P3.2, P5.3) ------------------


@pytest.fixture
def about_north(world):
    complaint = ComplaintFactory(assessing=True, manager_concerned=world.dm_north)
    assert complaint.handler == world.board
    return complaint


@pytest.mark.parametrize(
    ("who", "code"),
    [
        ("dm_north", "measure_owner_concerned"),  # the manager the complaint is about
        ("dm_south", "measure_owner_no_access"),  # another district, not the handler
        ("staff", "measure_owner_no_access"),  # sees no complaints at all
    ],
)
def test_the_verdict_refuses_an_owner_who_may_not_see_the_complaint(world, about_north, who, code):
    with pytest.raises(ProcedureError) as refused:
        complaint_services.complaint_record_verdict(
            actor=world.board,
            reference=about_north.reference,
            verdict=Verdict.FOUNDED,
            reasons="Waar.",
            measures=["Gesprek met de districtsmanager"],
            measure_owner_id=getattr(world, who).pk,
        )
    assert refused.value.code == code
    assert not about_north.measures.exists()


def test_the_verdict_accepts_an_owner_who_may_see_it(world, about_north):
    complaint = complaint_services.complaint_record_verdict(
        actor=world.board,
        reference=about_north.reference,
        verdict=Verdict.FOUNDED,
        reasons="Waar.",
        measures=["Gesprek met de districtsmanager"],
        measure_owner_id=world.qm.pk,
    )
    assert complaint.measures.get().owner == world.qm


def test_the_verdict_form_never_offers_the_manager_concerned(world, about_north):
    form = VerdictForm(complaint=about_north)
    offered = set(form.fields["measure_owner"].queryset)
    assert offered == {world.qm, world.board}
    form = VerdictForm(
        data={
            "verdict": Verdict.FOUNDED,
            "reasons": "Waar.",
            "measures": "Gesprek",
            "measure_owner": world.dm_north.pk,
        },
        complaint=about_north,
    )
    assert not form.is_valid()
    assert list(form.errors) == ["measure_owner"]


def test_the_verdict_page_never_offers_the_manager_concerned(client, world, about_north):
    client.force_login(world.board)
    with translation.override("nl"):
        page = reverse("complaints:step", args=[about_north.reference, "record_verdict"])
    response = client.get(page)
    field = str(response.context["form"]["measure_owner"])
    assert f'value="{world.dm_north.pk}"' not in field
    assert world.dm_north.get_full_name() not in field
    assert world.qm.get_full_name() in field


def test_a_measure_cannot_be_given_to_the_manager_concerned(client, world, about_north):
    complaint_services.complaint_record_verdict(
        actor=world.board,
        reference=about_north.reference,
        verdict=Verdict.FOUNDED,
        reasons="Waar.",
        measures=["Gesprek met de districtsmanager"],
    )
    measure = about_north.measures.get()
    assert measure.owner == world.board  # the handler
    progress = services.MeasureProgress(owner_id=world.dm_north.pk, due_on=measure.due_on)
    with pytest.raises(ProcedureError) as refused:
        services.measure_update(actor=world.qm, measure_id=measure.pk, progress=progress)
    assert refused.value.code == "measure_owner_concerned"
    form = MeasureForm(complaint=about_north)
    assert world.dm_north not in form.fields["owner"].queryset
    assert world.qm in form.fields["owner"].queryset
    # The page: not offered, and refused when sent anyway.
    client.force_login(world.qm)
    with translation.override("nl"):
        page = reverse("reporting:measure", args=[measure.pk])
    response = client.get(page)
    assert world.dm_north.get_full_name() not in str(response.context["form"]["owner"])
    response = client.post(page, {"owner": world.dm_north.pk, "due_on": measure.due_on.isoformat()})
    assert response.status_code == 400
    measure.refresh_from_db()
    assert measure.owner == world.board
