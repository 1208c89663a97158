"""One poller and one tick across all workers (issue #13, several processes)."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from klachtbeheer.core.locks import exclusive
from klachtbeheer.mailintake import tasks as mail_tasks
from klachtbeheer.reminders import tasks as tick_tasks


def _held_elsewhere(name: str) -> bool:
    """Whether another thread (its own database connection) gets the lock now."""
    result = []

    def attempt():
        try:
            with exclusive(name) as held:
                result.append(held)
        finally:
            connections.close_all()

    thread = threading.Thread(target=attempt)
    thread.start()
    thread.join(timeout=30)
    return result == [True]


@pytest.mark.django_db(transaction=True)
def test_a_lock_is_held_by_one_holder_at_a_time():
    with exclusive("test.lock") as held:
        assert held
        assert not _held_elsewhere("test.lock")
        assert _held_elsewhere("another.lock")
    assert _held_elsewhere("test.lock")


@pytest.mark.django_db(transaction=True)
def test_a_tick_that_finds_the_lock_taken_ends_without_a_successor(world):
    with exclusive(tick_tasks.TICK_LOCK):
        outcome = []
        thread = threading.Thread(
            target=lambda: (
                outcome.append(tick_tasks.periodic_tick.call()),
                connections.close_all(),
            )
        )
        thread.start()
        thread.join(timeout=60)
    assert outcome == [{"skipped": "another worker runs the tick"}]
    assert not tick_tasks.waiting(tick_tasks.periodic_tick, due_by=None).exists()
    assert tick_tasks.schedule_tick()
    assert not tick_tasks.schedule_tick()  # one waits: no second chain


@pytest.mark.django_db(transaction=True)
def test_while_one_process_polls_no_other_schedules_or_polls(world, settings):
    settings.MAILINTAKE_IMAP_HOST = "127.0.0.1"
    with exclusive(mail_tasks.POLL_LOCK):
        outcome = []

        def other_worker():
            try:
                outcome.append(mail_tasks.schedule_poll(now=True))
                outcome.append(mail_tasks.periodic_poll.call())
            finally:
                connections.close_all()

        thread = threading.Thread(target=other_worker)
        thread.start()
        thread.join(timeout=60)
    assert outcome == [False, {"skipped": "another process polls the mailbox"}]
    assert mail_tasks.schedule_poll(now=True)
