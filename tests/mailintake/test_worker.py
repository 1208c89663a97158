"""The worker polls the mailbox on an interval, and picks polling up again after any task."""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.core.management import call_command
from django.tasks import task
from django.tasks.signals import task_finished
from django.utils import timezone

from klachtbeheer.complaints.models import Complaint
from klachtbeheer.mailintake import tasks
from tests.mailintake.conftest import corpus

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not apps.is_installed("django_tasks_db")
        or "django_tasks_db" not in str(django_settings.TASKS),
        reason="the worker's task backend (django-tasks-db) is not configured",
    ),
]


def waiting_polls():
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path=tasks.periodic_poll.module_path, status="READY")


@pytest.mark.django_db(transaction=True)  # the worker manages its own connection
def test_the_worker_polls_and_schedules_the_next_poll(imap, world, settings):
    settings.MAILINTAKE_POLL_SECONDS = 300
    with imap.mailbox() as mailbox:
        mailbox.append(corpus("plain.eml"), "INBOX")
    assert tasks.schedule_poll(now=True)
    assert not tasks.schedule_poll(now=True)  # one is waiting: no pile-up

    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0", verbosity=0)

    assert Complaint.objects.count() == 1
    (next_poll,) = waiting_polls()
    assert next_poll.run_after > timezone.now() + dt.timedelta(seconds=240)


@task()
def other_work() -> None:
    return None


def test_any_finished_task_restarts_a_broken_poll_chain(imap, world):
    assert not waiting_polls().exists()  # e.g. the worker was killed mid-poll
    result = other_work.enqueue()
    task_finished.send(sender=type(result.task.get_backend()), task_result=result)
    assert waiting_polls().count() == 1


def test_no_mailbox_configured_no_polling(world, settings):
    settings.MAILINTAKE_IMAP_HOST = ""
    assert not tasks.schedule_poll(now=True)
    assert not waiting_polls().exists()
