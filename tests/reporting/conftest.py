"""A year and a half of complaints whose figures were counted by hand.

Everything is made through the real services, on the dates given: a clock
replaces the services' "today" while each step is taken. The letters app (issue
4) marks letters sent; here that is one update of `LetterDue.sent_on` and, for
the extension notice, the complaints service the letters app calls with it
(`complaint_extension_notice_sent`, P3.8).

The hand counts are in `tests/reporting/test_figures.py`; the table below is
what they were counted from. Today is Wednesday 1 July 2026. Terms: contact 7
and settlement 28 days. North = postcode 3741 (dm_north), South = 5611 (dm_south).

ref  received    district  type          channel  what happened
P1   2025-03-03  North     client        email    contact 03-05; founded (A) 03-20;
                                                  sent 03-25; closed
P2   2025-06-02  South     company       post     contact 06-12 (late); unfounded (B)
                                                  07-01; sent 07-07 (late)
P3   2025-12-15  North     municipality  web      contact 12-18; partly (A, C) 2026-01-05;
                                                  sent 2026-01-09; closed (received in
                                                  2025, settled in 2026: crosses the year)
P4   2025-12-22  North     client        email    not a complaint (12-23)
C1   2026-01-05  North     client        email    contact 01-07; founded (A) 01-20;
                                                  sent 01-26; closed; survey 5
C2   2026-01-12  South     company       post     contact 01-20 (late); withdrawn 01-22
C3   2026-02-02  North     municipality  web      contact 02-04; extended 02-20 to 03-16,
                                                  notice sent 02-21 (in time); partly
                                                  (A, B) 03-10; sent 03-12; closed; survey 1
C4   2026-02-16  South     client        email    contact 02-18; extended 03-10 to 03-30,
                                                  notice sent 03-20 (after the four weeks:
                                                  does not count); unfounded (C) 03-25;
                                                  sent 03-27
C5   2026-03-02  North     company       email    ABOUT dm_north (the board handles it);
                                                  contact 03-04; founded (B) 03-20; sent 03-25
C6   2026-04-01  South     client        email    not a complaint (04-02)
C7   2026-05-04  North     client        post     accepted, never contacted
C8   2026-06-22  South     client        email    contact 06-24
C9   2026-06-29  North     municipality  web      accepted
C10  2026-06-26  South     company       web      received (not accepted yet)
C11  2026-05-11  North     client        email    contact 05-12; meeting planned; extended
                                                  06-01 to 07-15, notice sent 06-02 (in time)

Measures: P1 due 2025-05-01 done 04-20 effective (checked 08-01); P3 due 2026-02-15
done 02-20 not effective (checked 06-01); C1 due 03-01 done 02-25 effective (checked
06-15); C3 due 05-01 not done (overdue); C5 due 08-01 not done.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.db import transaction
from django.utils import timezone

from klachtbeheer.complaints import services as complaint_services
from klachtbeheer.complaints.models import (
    Category,
    Channel,
    ComplainantType,
    Complaint,
    ContactChannel,
    LetterKind,
    Verdict,
)
from klachtbeheer.letters.models import LetterDue
from klachtbeheer.reporting import services as reporting_services
from klachtbeheer.reporting.models import SatisfactionResponse
from tests.conftest import PC_NORTH, PC_SOUTH, Clock
from tests.factories import ComplainantDataFactory

TODAY = dt.date(2026, 7, 1)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """The project's clock, set to TODAY unless a test moves it."""
    return Clock(monkeypatch, TODAY)


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


@dataclass
class Year:
    world: object
    qm: object
    board: object
    dm_north: object
    dm_south: object
    categories: dict[str, Category]
    c: dict[str, Complaint]

    def ref(self, key: str) -> str:
        return self.c[key].reference


def _steps(clock: Clock, world, complaint: Complaint, plan: list[tuple]) -> Complaint:
    ref = complaint.reference
    actor = world.qm
    for step, day, *args in plan:
        clock(d(day))
        if step == "accept":
            complaint_services.complaint_accept(actor=actor, reference=ref)
        elif step == "reject":
            complaint_services.complaint_reject(actor=actor, reference=ref, reason="Een vraag.")
        elif step == "contact":
            complaint_services.complaint_record_contact(
                actor=actor,
                reference=ref,
                on=d(day),
                channel=ContactChannel.PHONE,
                summary="Gebeld.",
            )
        elif step == "withdraw":
            complaint_services.complaint_withdraw(
                actor=actor, reference=ref, summary="Misverstand."
            )
        elif step == "plan":
            at = timezone.make_aware(dt.datetime.combine(d(args[0]), dt.time(10)))
            complaint_services.complaint_plan_meeting(
                actor=actor, reference=ref, at=at, location="Baarn"
            )
        elif step == "waive":
            complaint_services.complaint_waive_meeting(
                actor=actor, reference=ref, reason="Niet nodig."
            )
        elif step == "extend":
            complaint_services.complaint_extend(
                actor=actor, reference=ref, until=d(args[0]), reason="Meer tijd nodig."
            )
        elif step == "notice_sent":  # the letters app sends the extension notice
            with transaction.atomic():
                notice = LetterDue.objects.filter(
                    complaint__reference=ref, kind=LetterKind.EXTENSION
                ).get()
                LetterDue.objects.filter(pk=notice.pk).update(sent_on=d(day))
                complaint_services.complaint_extension_notice_sent(
                    complaint_id=notice.complaint_id,
                    until=d(notice.data["until"]),
                    sent_on=d(day),
                )
        elif step == "verdict":
            verdict, category_keys, measure_due = args
            complaint_services.complaint_record_verdict(
                actor=actor,
                reference=ref,
                verdict=verdict,
                reasons="Beoordeeld.",
                measures=[f"Maatregel bij {ref}"] if measure_due else [],
                no_measures=not measure_due,
                decided_on=d(day),
                category_ids=[clock.categories[k].pk for k in category_keys],
                measures_due_on=d(measure_due) if measure_due else None,
            )
        elif step == "send":
            complaint_services.complaint_send_decision(actor=actor, reference=ref, sent_on=d(day))
        elif step == "close":
            complaint_services.complaint_close(actor=actor, reference=ref)
        else:  # pragma: no cover
            raise AssertionError(step)
    return Complaint.objects.get(pk=complaint.pk)


def _register(clock, received: str, postcode: str, ctype: str, channel: str, about=None):
    clock(d(received))
    return complaint_services.complaint_register(
        actor=None,
        channel=channel,
        received_on=d(received),
        complainant=ComplainantDataFactory(complainant_type=ctype, postcode=postcode),
        substantiation="Het ging mis.",
        manager_concerned=about,
    )


@pytest.fixture
def year(world, clock) -> Year:
    categories = {
        "A": Category.objects.create(name="Afspraken niet nagekomen"),
        "B": Category.objects.create(name="Bejegening"),
        "C": Category.objects.create(name="Communicatie"),
    }
    clock.categories = categories
    T = ComplainantType
    plans = {
        "P1": (
            ("2025-03-03", PC_NORTH, T.CLIENT, Channel.EMAIL, None),
            [
                ("accept", "2025-03-03"),
                ("contact", "2025-03-05"),
                ("waive", "2025-03-06"),
                ("verdict", "2025-03-20", Verdict.FOUNDED, "A", "2025-05-01"),
                ("send", "2025-03-25"),
                ("close", "2025-03-26"),
            ],
        ),
        "P2": (
            ("2025-06-02", PC_SOUTH, T.COMPANY, Channel.POST, None),
            [
                ("accept", "2025-06-02"),
                ("contact", "2025-06-12"),
                ("waive", "2025-06-13"),
                ("verdict", "2025-07-01", Verdict.UNFOUNDED, "B", None),
                ("send", "2025-07-07"),
            ],
        ),
        "P3": (
            ("2025-12-15", PC_NORTH, T.MUNICIPALITY, Channel.WEB_FORM, None),
            [
                ("accept", "2025-12-15"),
                ("contact", "2025-12-18"),
                ("waive", "2025-12-19"),
                ("verdict", "2026-01-05", Verdict.PARTLY_FOUNDED, "AC", "2026-02-15"),
                ("send", "2026-01-09"),
                ("close", "2026-01-10"),
            ],
        ),
        "P4": (
            ("2025-12-22", PC_NORTH, T.CLIENT, Channel.EMAIL, None),
            [("reject", "2025-12-23")],
        ),
        "C1": (
            ("2026-01-05", PC_NORTH, T.CLIENT, Channel.EMAIL, None),
            [
                ("accept", "2026-01-05"),
                ("contact", "2026-01-07"),
                ("waive", "2026-01-08"),
                ("verdict", "2026-01-20", Verdict.FOUNDED, "A", "2026-03-01"),
                ("send", "2026-01-26"),
                ("close", "2026-01-27"),
            ],
        ),
        "C2": (
            ("2026-01-12", PC_SOUTH, T.COMPANY, Channel.POST, None),
            [("accept", "2026-01-12"), ("contact", "2026-01-20"), ("withdraw", "2026-01-22")],
        ),
        "C3": (
            ("2026-02-02", PC_NORTH, T.MUNICIPALITY, Channel.WEB_FORM, None),
            [
                ("accept", "2026-02-02"),
                ("contact", "2026-02-04"),
                ("extend", "2026-02-20", "2026-03-16"),
                ("notice_sent", "2026-02-21"),
                ("waive", "2026-03-02"),
                ("verdict", "2026-03-10", Verdict.PARTLY_FOUNDED, "AB", "2026-05-01"),
                ("send", "2026-03-12"),
                ("close", "2026-03-13"),
            ],
        ),
        "C4": (
            ("2026-02-16", PC_SOUTH, T.CLIENT, Channel.EMAIL, None),
            [
                ("accept", "2026-02-16"),
                ("contact", "2026-02-18"),
                ("extend", "2026-03-10", "2026-03-30"),
                ("notice_sent", "2026-03-20"),
                ("waive", "2026-03-21"),
                ("verdict", "2026-03-25", Verdict.UNFOUNDED, "C", None),
                ("send", "2026-03-27"),
            ],
        ),
        "C5": (
            ("2026-03-02", PC_NORTH, T.COMPANY, Channel.EMAIL, "dm_north"),
            [
                ("accept", "2026-03-02"),
                ("contact", "2026-03-04"),
                ("waive", "2026-03-05"),
                ("verdict", "2026-03-20", Verdict.FOUNDED, "B", "2026-08-01"),
                ("send", "2026-03-25"),
            ],
        ),
        "C6": (
            ("2026-04-01", PC_SOUTH, T.CLIENT, Channel.EMAIL, None),
            [("reject", "2026-04-02")],
        ),
        "C7": (
            ("2026-05-04", PC_NORTH, T.CLIENT, Channel.POST, None),
            [("accept", "2026-05-04")],
        ),
        "C8": (
            ("2026-06-22", PC_SOUTH, T.CLIENT, Channel.EMAIL, None),
            [("accept", "2026-06-22"), ("contact", "2026-06-24")],
        ),
        "C9": (
            ("2026-06-29", PC_NORTH, T.MUNICIPALITY, Channel.WEB_FORM, None),
            [("accept", "2026-06-29")],
        ),
        "C10": (("2026-06-26", PC_SOUTH, T.COMPANY, Channel.WEB_FORM, None), []),
        "C11": (
            ("2026-05-11", PC_NORTH, T.CLIENT, Channel.EMAIL, None),
            [
                ("accept", "2026-05-11"),
                ("contact", "2026-05-12"),
                ("plan", "2026-05-13", "2026-06-10"),
                ("extend", "2026-06-01", "2026-07-15"),
                ("notice_sent", "2026-06-02"),
            ],
        ),
    }
    managers = {"dm_north": world.dm_north}
    made: dict[str, Complaint] = {}
    for key, ((received, postcode, ctype, channel, about), plan) in plans.items():
        complaint = _register(clock, received, postcode, ctype, channel, managers.get(about))
        made[key] = _steps(clock, world, complaint, plan)

    progress = {
        "P1": ("2025-05-01", "2025-04-20", "2025-08-01", "effective"),
        "P3": ("2026-02-15", "2026-02-20", "2026-06-01", "not_effective"),
        "C1": ("2026-03-01", "2026-02-25", "2026-06-15", "effective"),
    }
    clock(TODAY)
    for key, (due, done, checked, result) in progress.items():
        measure = made[key].measures.get()
        reporting_services.measure_update(
            actor=world.qm,
            measure_id=measure.pk,
            progress=reporting_services.MeasureProgress(
                owner_id=world.qm.pk,
                due_on=d(due),
                done_on=d(done),
                done_note="Gedaan.",
                checked_on=d(checked),
                effectiveness=result,
                check_note="Geen nieuwe klachten hierover.",
            ),
        )

    for key, day, score in (
        ("P1", "2025-04-01", 4),
        ("C1", "2026-01-30", 5),
        ("C3", "2026-03-20", 1),
    ):
        clock(d(day))
        reporting_services.satisfaction_record(complaint_id=made[key].pk, score=score)
        SatisfactionResponse.objects.filter(complaint=made[key]).update(
            answered_at=timezone.make_aware(dt.datetime.combine(d(day), dt.time(12)))
        )
    clock(TODAY)
    return Year(
        world=world,
        qm=world.qm,
        board=world.board,
        dm_north=world.dm_north,
        dm_south=world.dm_south,
        categories=categories,
        c={k: Complaint.objects.get(pk=v.pk) for k, v in made.items()},
    )
