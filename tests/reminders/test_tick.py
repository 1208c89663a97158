"""Reminders before each term and the daily overdue digest (P3.3, P3.8): run twice, sent once."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from klachtbeheer.complaints.models import Measure
from klachtbeheer.letters.constants import MessageKind
from klachtbeheer.letters.models import LetterSettings, OutgoingMessage
from klachtbeheer.reminders.services import tick_run
from tests.factories import ComplaintFactory, StaffFactory

pytestmark = pytest.mark.django_db
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
# Received Monday 2 March 2026: contact due Monday 9 March, settlement Monday 30 March.
RECEIVED = dt.date(2026, 3, 2)


def tick_at(year, month, day, hour=10):
    return tick_run(now=dt.datetime(year, month, day, hour, tzinfo=AMSTERDAM))


def overdue_complaint(world):
    return ComplaintFactory(received_on=RECEIVED)


def reminders():
    return OutgoingMessage.objects.filter(kind=MessageKind.REMINDER)


def test_the_handler_is_warned_two_working_days_before_the_contact_term(world):
    complaint = ComplaintFactory(received_on=RECEIVED)
    assert tick_at(2026, 3, 4).reminders == 0  # Wednesday: 3 working days left
    assert tick_at(2026, 3, 5).reminders == 1  # Thursday: Friday and Monday left
    [reminder] = reminders()
    assert reminder.to == world.dm_north.email
    assert complaint.reference in reminder.subject
    assert "maandag 9 maart" in reminder.subject
    assert f"/klachten/{complaint.reference}/" in reminder.body
    assert "contact met de klager" in reminder.body or "contact" in reminder.body


def test_run_twice_sends_once(world):
    ComplaintFactory(received_on=RECEIVED)
    tick_at(2026, 3, 5)
    tick_at(2026, 3, 5)
    tick_at(2026, 3, 6)  # still in the window: the same term is not repeated
    call_command("tick")
    assert reminders().count() == 1


def test_how_many_working_days_before_is_configurable(world):
    settings = LetterSettings.current()
    settings.reminder_working_days = 3
    settings.save()
    ComplaintFactory(received_on=RECEIVED)
    assert tick_at(2026, 3, 4).reminders == 1


def test_each_term_gets_its_own_reminder(world):
    from klachtbeheer.complaints.workflow import Step
    from tests.factories import take_step

    complaint = ComplaintFactory(received_on=RECEIVED)
    tick_at(2026, 3, 5)
    take_step(Step.ACCEPT, complaint, actor=world.qm)
    take_step(Step.RECORD_CONTACT, complaint, actor=world.qm, on=dt.date(2026, 3, 6))
    assert tick_at(2026, 3, 25).reminders == 0  # Wednesday: Thu, Fri, Mon left
    assert tick_at(2026, 3, 26).reminders == 1  # settlement (P3.8)
    assert sorted(r.dedupe_key.split(":")[2] for r in reminders()) == ["contact", "settle"]


def test_without_a_handler_the_quality_manager_is_warned(world):
    ComplaintFactory(received_on=RECEIVED, postcode="9876 ZZ")  # no district: triage
    tick_at(2026, 3, 5)
    assert [r.to for r in reminders()] == [world.qm.email]


def test_the_daily_digest_lists_overdue_terms_once_a_day(world):
    complaint = overdue_complaint(world)
    assert tick_at(2026, 3, 11, 6).digests == 0  # before 7:00
    assert tick_at(2026, 3, 11, 8).digests == 1
    assert tick_at(2026, 3, 11, 15).digests == 0  # once a day
    [digest] = OutgoingMessage.objects.filter(kind=MessageKind.DIGEST)
    assert digest.to == world.qm.email
    assert complaint.reference in digest.body
    assert "te laat" in digest.body
    assert tick_at(2026, 3, 12, 8).digests == 1  # and again the next day


def test_no_digest_when_nothing_is_overdue(world):
    ComplaintFactory(received_on=RECEIVED)
    assert tick_at(2026, 3, 3, 9).digests == 0


def test_the_tick_prunes_old_finished_task_rows(world):
    from django.tasks import TaskResultStatus
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from klachtbeheer.letters.services import process_outbox
    from klachtbeheer.letters.tasks import prune_finished_tasks

    old, recent, waiting = (process_outbox.enqueue() for _ in range(3))
    DBTaskResult.objects.filter(id=old.id).update(
        status=TaskResultStatus.SUCCESSFUL, finished_at=timezone.now() - dt.timedelta(days=8)
    )
    DBTaskResult.objects.filter(id=recent.id).update(
        status=TaskResultStatus.SUCCESSFUL, finished_at=timezone.now() - dt.timedelta(days=1)
    )
    assert prune_finished_tasks() == 1
    assert set(DBTaskResult.objects.values_list("id", flat=True)) == {
        DBTaskResult.objects.get(id=recent.id).id,
        DBTaskResult.objects.get(id=waiting.id).id,
    }


def test_the_digest_reports_e_mail_that_failed_for_good(world):
    from klachtbeheer.letters.constants import MessageStatus

    ComplaintFactory()  # its acknowledgement will not get through
    OutgoingMessage.objects.update(status=MessageStatus.FAILED, last_error="550 no such user")
    assert tick_at(2026, 3, 3, 9).digests == 1
    digest = OutgoingMessage.objects.get(kind=MessageKind.DIGEST)
    assert "definitief" in digest.body or "could not be sent" in digest.body
    assert "/brieven/uitgaand/" in digest.body


# --- every message built from what its recipient may see (P3.2) -----------------------------


def digests():
    return OutgoingMessage.objects.filter(kind=MessageKind.DIGEST)


def test_the_quality_manager_s_digest_leaves_out_a_complaint_about_them(world):
    """The defect: the digest was built from every complaint. The board is told instead."""
    plain = ComplaintFactory(received_on=RECEIVED)
    about_qm = ComplaintFactory(received_on=RECEIVED, manager_concerned=world.qm)
    assert tick_at(2026, 3, 11, 8).digests == 2
    qm_digest = digests().get(to=world.qm.email)
    assert plain.reference in qm_digest.body
    assert about_qm.reference not in qm_digest.body + qm_digest.subject
    assert qm_digest.subject.endswith(": 1")
    board_digest = digests().get(to=world.board.email)
    assert about_qm.reference in board_digest.body
    assert plain.reference not in board_digest.body  # the quality manager has that one
    assert "geen kwaliteitsmanager deze klachten mag zien" in board_digest.body


def test_with_two_quality_managers_the_other_one_is_told(world):
    other_qm = StaffFactory(quality_manager=True, username="kwaliteit2")
    about_qm = ComplaintFactory(received_on=RECEIVED, manager_concerned=world.qm)
    tick_at(2026, 3, 11, 8)
    assert [d.to for d in digests()] == [other_qm.email]
    assert about_qm.reference in digests().get().body


def test_a_term_reminder_without_handler_skips_the_quality_manager_concerned(world):
    """Triage goes to the quality managers, but not to the one it is about."""
    world.organisation.board_handler = None
    world.organisation.save()
    about_qm = ComplaintFactory(received_on=RECEIVED, manager_concerned=world.qm)
    assert about_qm.handler is None
    tick_at(2026, 3, 5)
    assert [r.to for r in reminders()] == [world.board.email]


def test_a_measure_reminder_never_goes_to_the_manager_concerned(world):
    """The defect: the verdict page offered dm_north as owner on the complaint about them,
    and the tick mailed them its reference and measure every week."""
    complaint = ComplaintFactory(manager_concerned=world.dm_north, received_on=RECEIVED)
    measure = Measure.objects.create(
        complaint=complaint,
        description="Gesprek van de directie met de districtsmanager",
        owner=world.dm_north,  # as the old verdict page allowed
        due_on=dt.date(2026, 3, 20),
    )
    tick_at(2026, 3, 23)
    assert not OutgoingMessage.objects.filter(to=world.dm_north.email).exists()
    [reminder] = reminders().filter(dedupe_key__startswith="measures")
    assert reminder.to == world.qm.email  # nobody who may be reminded carries it out
    assert measure.description in reminder.body and complaint.reference in reminder.body
    assert "Kies op de pagina van de maatregel wie" in reminder.body
    measure.refresh_from_db()
    assert measure.last_reminded_on == dt.date(2026, 3, 23)


def test_a_measure_without_an_owner_is_not_dropped(world):
    complaint = ComplaintFactory(received_on=RECEIVED)
    Measure.objects.create(complaint=complaint, description="Excuses", due_on=dt.date(2026, 3, 20))
    tick_at(2026, 3, 23)
    [reminder] = reminders().filter(dedupe_key__startswith="measures")
    assert reminder.to == world.qm.email
