"""`klachtbeheer worker` as a real process against a real SMTP server (P3.7, P3.8).

The worker runs on the test database (PostgreSQL as is; SQLite copied to a
file and back), sends through aiosmtpd on a loopback port, and is killed or
starved of its server on purpose.
"""

from __future__ import annotations

import datetime as dt
import time

from django.utils import timezone

from klachtbeheer.complaints.selectors import work_calendar
from klachtbeheer.complaints.terms import deadline_on
from klachtbeheer.letters.constants import MessageStatus
from klachtbeheer.letters.models import Letter, OutgoingMessage
from tests.factories import ComplaintFactory


def _outbox_ids() -> set[str]:
    return set(OutgoingMessage.objects.values_list("message_id", flat=True))


def _letters_arrived(server) -> list[str]:
    """Message-IDs of the letters that arrived (the worker's tick may add reminders)."""
    ids = server.recorder.message_ids()
    assert len(ids) == len(set(ids)), f"a message arrived twice: {ids}"
    return [m["Message-ID"] for m in server.recorder.messages() if not m["Auto-Submitted"]]


def _wait_for_letters(server, count: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while len(_letters_arrived(server)) < count:
        assert time.monotonic() < deadline, f"only {len(_letters_arrived(server))} arrived"
        time.sleep(0.05)


def test_smtp_down_while_the_worker_sends_then_back_every_message_arrives_once(
    world, shared_database, worker_factory, smtp_server
):
    for _ in range(3):
        ComplaintFactory()
    expected = _outbox_ids()
    assert len(expected) == 3
    shared_database.push()
    server = smtp_server  # not started: the server is down
    worker = worker_factory()
    worker.start()
    try:
        worker.wait_for_output("will retry")
        time.sleep(1)  # a few more failed rounds with back-off
        server.start()
        _wait_for_letters(server, 3)
        time.sleep(1.5)  # would a message come twice, it comes now
        worker.stop()
    finally:
        worker.stop()
        server.stop()
    assert sorted(_letters_arrived(server)) == sorted(expected)
    shared_database.pull()
    assert set(OutgoingMessage.objects.values_list("status", flat=True)) == {MessageStatus.SENT}
    assert all(m.attempts >= 2 for m in OutgoingMessage.objects.filter(message_id__in=expected))
    assert not Letter.objects.filter(sent_on__isnull=True).exists()


def test_a_worker_killed_mid_batch_loses_nothing_and_duplicates_nothing(
    world, shared_database, worker_factory, smtp_server
):
    for _ in range(5):
        ComplaintFactory()
    expected = _outbox_ids()
    shared_database.push()
    server = smtp_server
    server.recorder.hold_data_number = 3  # the third message hangs in DATA
    server.start()
    first, second = worker_factory(), worker_factory()
    try:
        first.start()
        assert server.recorder.holding.wait(timeout=60), first.output()
        first.kill()  # SIGKILL while the third message is on the wire
        # The server notices the lost connection before the reply, so it does not take it.
        assert server.recorder.dropped.wait(timeout=30)
        server.recorder.release.set()
        assert len(_letters_arrived(server)) == 2
        second.start()
        _wait_for_letters(server, 5)
        time.sleep(1.5)
        second.stop()
    finally:
        first.stop()
        second.stop()
        server.stop()
    ids = _letters_arrived(server)
    assert len(ids) == len(set(ids)) == 5, ids
    assert set(ids) == expected
    assert "sending again with the same Message-ID" in second.output()
    shared_database.pull()
    assert set(OutgoingMessage.objects.values_list("status", flat=True)) == {MessageStatus.SENT}


def test_the_worker_runs_the_tick(world, shared_database, worker_factory, smtp_server):
    """A reminder queued by the worker's own periodic tick reaches the handler."""
    calendar = work_calendar()
    today = timezone.localdate()
    # Received so that the contact term (7 days) ends within two working days from today.
    received = today - dt.timedelta(days=7)
    while received < today and calendar.working_days_between(
        today, deadline_on(received + dt.timedelta(days=7), calendar).act_by
    ) not in (0, 1, 2):
        received += dt.timedelta(days=1)
    complaint = ComplaintFactory(received_on=received)
    OutgoingMessage.objects.all().delete()  # only the reminder is of interest here
    shared_database.push()
    server = smtp_server
    server.start()
    worker = worker_factory()
    try:
        worker.start()
        deadline = time.monotonic() + 30
        while not any(complaint.reference in m["Subject"] for m in server.recorder.messages()):
            assert time.monotonic() < deadline, worker.output()
            time.sleep(0.1)
    finally:
        worker.stop()
        server.stop()
    reminder = next(m for m in server.recorder.messages() if complaint.reference in m["Subject"])
    assert reminder["To"] == world.dm_north.email
    assert reminder["Auto-Submitted"] == "auto-generated"
