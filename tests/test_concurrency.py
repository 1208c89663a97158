"""Concurrent intake never yields a duplicate reference (issue 2, "Done when")."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from klachtbeheer.complaints.models import Complaint, ReferenceCounter
from tests.conftest import PC_NORTH
from tests.factories import (
    ComplainantDataFactory,
    DistrictFactory,
    OrganisationFactory,
    StaffFactory,
    today,
)

THREADS = 20


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL: concurrent writers are only meaningful on a server database "
            f"(running on {connection.vendor}; set DATABASE_URL=postgres://...)"
        )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_registrations_get_unique_consecutive_references(postgres_only):
    from klachtbeheer.complaints import services

    OrganisationFactory(board_handler=StaffFactory(board=True))
    DistrictFactory(name="North", postcodes=[(1000, 4999)])
    received = today()
    start = threading.Barrier(THREADS)
    references: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def register(i: int) -> None:
        try:
            start.wait(timeout=30)
            complaint = services.complaint_register(
                actor=None,
                channel="web_form",
                received_on=received,
                complainant=ComplainantDataFactory.build(postcode=PC_NORTH),
                substantiation=f"Klacht nummer {i}",
            )
            with lock:
                references.append(complaint.reference)
        except BaseException as error:
            with lock:
                errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=register, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert not errors, errors

    year = received.year
    assert sorted(references) == [f"KL-{year}-{n:05d}" for n in range(1, THREADS + 1)]
    assert Complaint.objects.count() == THREADS
    assert ReferenceCounter.objects.get(year=year).last_number == THREADS


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_step_taken_twice_at_once_happens_once(postgres_only):
    """The services lock the complaint: of ten simultaneous "accept"s one wins, nine are
    refused by the table, and the timeline shows one acceptance."""
    from klachtbeheer.complaints import services
    from klachtbeheer.complaints.models import Event, EventKind
    from klachtbeheer.core.errors import ProcedureError

    qm = StaffFactory(quality_manager=True)
    OrganisationFactory(board_handler=StaffFactory(board=True))
    DistrictFactory(name="North", postcodes=[(1000, 4999)])
    complaint = services.complaint_register(
        actor=qm,
        channel="post",
        received_on=today(),
        complainant=ComplainantDataFactory.build(postcode=PC_NORTH),
        substantiation="Klacht",
    )
    racers = 10
    start = threading.Barrier(racers)
    outcomes: list[str] = []
    lock = threading.Lock()

    def accept() -> None:
        try:
            start.wait(timeout=30)
            services.complaint_accept(actor=qm, reference=complaint.reference)
            outcome = "accepted"
        except ProcedureError as error:
            outcome = error.code
        except BaseException as error:
            outcome = repr(error)
        finally:
            connections.close_all()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=accept) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["accepted"] + ["step_not_allowed"] * (racers - 1)
    assert Event.objects.filter(complaint=complaint, kind=EventKind.ACCEPTED).count() == 1
