"""Many complaints at once, for the benchmark and the dashboard screenshots.

Not through the per-step services (100,000 complaints would take hours): rows are
built with the same rules the services follow (terms from the date of receipt,
dates in procedure order, a verdict and categories for every judged complaint, a
measure for every founded one, the handler routed as P3.1 and P3.2 say) and
written with bulk inserts. Never used by the application itself.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from klachtbeheer.complaints.models import (
    Category,
    Channel,
    ComplainantType,
    Complaint,
    Effectiveness,
    LetterKind,
    Measure,
    Verdict,
)
from klachtbeheer.complaints.workflow import State
from klachtbeheer.core import clock
from klachtbeheer.letters.models import LetterDue
from klachtbeheer.organisation.models import District, Organisation, Role
from klachtbeheer.reporting.models import SatisfactionResponse

CATEGORIES = [
    ("Afspraken niet nagekomen", "Afspraak vergeten, te laat, of niet doorgegaan."),
    ("Bejegening", "Hoe de medewerker met de klant omging."),
    ("Kwaliteit van advies of coaching", "Het advies of de begeleiding schoot tekort."),
    ("Communicatie en bereikbaarheid", "Niet teruggebeld, geen antwoord op e-mail."),
    ("Facturen en administratie", "Dubbele of onjuiste facturen, fouten in gegevens."),
    ("Privacy", "Gegevens gedeeld of verkeerd bewaard."),
]
MEASURES = [
    "Afsprakenplanning wekelijks gecontroleerd",
    "Werkinstructie aangepast en besproken in het team",
    "Gesprek met de medewerker over bejegening",
    "Terugbelnorm ingevoerd: binnen één werkdag",
    "Factuurcontrole door een tweede medewerker",
    "Extra training voor de coaches",
]


def categories() -> list[Category]:
    made = []
    for name, description in CATEGORIES:
        category, _ = Category.objects.get_or_create(
            name=name, defaults={"description": description}
        )
        made.append(category)
    return made


def _weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights, k=1)[0]


def _days(rng: random.Random, low: int, mode: int, high: int) -> int:
    return round(rng.triangular(low, high, mode))


def load(
    count: int,
    *,
    start: dt.date,
    today: dt.date | None = None,
    seed: int = 6,
    batch: int = 5000,
    prefix: str = "B",
) -> int:
    """Insert `count` complaints received between `start` and yesterday; returns how many."""
    today = today or clock.today()
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    organisation = Organisation.current()
    board = organisation.board_handler
    districts = list(District.objects.select_related("manager").filter(manager__isnull=False))
    if not districts or board is None:
        raise RuntimeError("load the demo organisation first (klachtbeheer demo)")
    staff = list(get_user_model().objects.filter(staff_profile__role__in=[Role.DISTRICT_MANAGER]))
    cats = categories()
    span = (today - start).days
    made = 0
    number = Complaint.objects.filter(reference__startswith=f"KL-{prefix}").count()
    for chunk_start in range(0, count, batch):
        size = min(batch, count - chunk_start)
        with transaction.atomic():
            rows = list(
                _complaints(rng, size, number, start, span, today, districts, board, prefix)
            )
            number += size
            Complaint.objects.bulk_create([c for c, _extra in rows], batch_size=batch)
            through = Complaint.categories.through
            links, measures, letters, answers = [], [], [], []
            for complaint, extra in rows:
                if complaint.verdict:
                    for category in rng.sample(cats, k=_weighted(rng, [(1, 75), (2, 25)])):
                        links.append(through(complaint_id=complaint.pk, category_id=category.pk))
                if complaint.verdict in (Verdict.FOUNDED, Verdict.PARTLY_FOUNDED):
                    measures.append(_measure(rng, complaint, staff, today))
                if extra.get("notice_on"):
                    letters.append(
                        LetterDue(
                            complaint=complaint,
                            kind=LetterKind.EXTENSION,
                            sent_on=extra["notice_on"],
                            data={"until": complaint.extended_until.isoformat()},
                        )
                    )
                if complaint.state == State.CLOSED and rng.random() < 0.2:
                    score = _weighted(rng, [(1, 6), (2, 9), (3, 20), (4, 40), (5, 25)])
                    answers.append(
                        SatisfactionResponse(
                            complaint=complaint,
                            score=score,
                            felt_heard=score >= 3,
                            flagged=score == 1,
                            followed_up_on=complaint.closed_on + dt.timedelta(days=10)
                            if score == 1 and complaint.closed_on < today - dt.timedelta(days=30)
                            else None,
                        )
                    )
            through.objects.bulk_create(links, batch_size=batch)
            Measure.objects.bulk_create(measures, batch_size=batch)
            LetterDue.objects.bulk_create(letters, batch_size=batch)
            SatisfactionResponse.objects.bulk_create(answers, batch_size=batch)
            # answered_at is set on insert; give each answer its real date.
            for answer in answers:
                answer.answered_at = timezone.make_aware(
                    dt.datetime.combine(
                        min(answer.complaint.closed_on + dt.timedelta(days=3), today),
                        dt.time(11),
                    )
                )
            SatisfactionResponse.objects.bulk_update(answers, ["answered_at"], batch_size=batch)
        made += size
    return made


def _complaints(
    rng, size, number, start, span, today, districts, board, prefix
) -> Iterator[tuple[Complaint, dict]]:
    for offset in range(size):
        received = start + dt.timedelta(days=rng.randrange(span))
        district = rng.choice(districts)
        about_manager = rng.random() < 0.03
        ctype = _weighted(
            rng,
            [
                (ComplainantType.CLIENT, 55),
                (ComplainantType.MUNICIPALITY, 15),
                (ComplainantType.UWV, 10),
                (ComplainantType.COMPANY, 15),
                (ComplainantType.PRIVATE_COMMISSIONER, 5),
            ],
        )
        complaint = Complaint(
            reference=f"KL-{prefix}{number + offset + 1:07d}",
            received_on=received,
            channel=_weighted(
                rng, [(Channel.EMAIL, 50), (Channel.WEB_FORM, 35), (Channel.POST, 15)]
            ),
            complainant_type=ctype,
            complainant_name=f"Klager {number + offset + 1}",
            complainant_email=f"klager{number + offset + 1}@example.nl",
            postcode="3741 AB",
            is_uwv_client=ctype == ComplainantType.CLIENT and rng.random() < 0.4,
            service="Re-integratietraject",
            substantiation="Mijn jobcoach kwam afspraken niet na.",
            district=district,
            handler=board if about_manager else district.manager,
            manager_concerned=district.manager if about_manager else None,
            contact_due_on=received + dt.timedelta(days=7),
            settle_due_on=received + dt.timedelta(days=28),
        )
        extra: dict = {}
        age = (today - received).days
        roll = rng.random()
        if roll < 0.05 and age >= 1:
            complaint.state = State.NOT_A_COMPLAINT
            complaint.settled_on = complaint.closed_on = min(received + dt.timedelta(days=1), today)
        else:
            _walk(rng, complaint, age, today, extra)
        complaint.refresh_next_due()
        yield complaint, extra


def _walk(rng, complaint: Complaint, age: int, today: dt.date, extra: dict) -> None:
    """Take a complaint as far as its age allows, with dates in procedure order."""
    received = complaint.received_on

    def day(offset: int) -> dt.date:
        return min(received + dt.timedelta(days=offset), today)

    contact_after = _days(rng, 0, 2, 12)
    if age < contact_after or rng.random() < 0.004:
        complaint.state = State.ACCEPTED if age > 0 or rng.random() < 0.5 else State.RECEIVED
        return
    complaint.contacted_on = day(contact_after)
    if rng.random() < 0.06:
        complaint.state = State.WITHDRAWN
        complaint.settled_on = complaint.closed_on = day(contact_after + _days(rng, 0, 1, 5))
        return
    settle_after = _days(rng, contact_after + 5, 21, 60)
    if settle_after > 26 and rng.random() < 0.35:
        complaint.extended_until = complaint.settle_due_on + dt.timedelta(days=21)
        complaint.extension_notice_due_on = complaint.settle_due_on
        if rng.random() < 0.85:  # the notice usually goes out in time
            extra["notice_on"] = day(_days(rng, 14, 20, 27))
            complaint.extension_notice_sent_on = extra["notice_on"]
    if age < settle_after or rng.random() < 0.005:
        complaint.state = rng.choice(
            [State.CONTACTED, State.MEETING_PLANNED, State.ASSESSING, State.DECIDED]
        )
        if complaint.state == State.DECIDED:
            _judge(rng, complaint, day(min(age, settle_after - 1)))
        return
    _judge(rng, complaint, day(settle_after - _days(rng, 1, 3, 5)))
    complaint.settled_on = day(settle_after)
    if complaint.settled_on < complaint.decided_on:
        complaint.settled_on = complaint.decided_on
    closed_after = settle_after + _days(rng, 0, 2, 10)
    if age >= closed_after:
        complaint.state = State.CLOSED
        complaint.closed_on = day(closed_after)
    else:
        complaint.state = State.DECISION_SENT


def _judge(rng, complaint: Complaint, on: dt.date) -> None:
    complaint.verdict = _weighted(
        rng, [(Verdict.FOUNDED, 30), (Verdict.PARTLY_FOUNDED, 25), (Verdict.UNFOUNDED, 45)]
    )
    complaint.verdict_reasons = "Beoordeeld op alle beschikbare informatie."
    complaint.decided_on = max(on, complaint.contacted_on or complaint.received_on)


def _measure(rng, complaint: Complaint, staff, today: dt.date) -> Measure:
    due = complaint.decided_on + dt.timedelta(days=42)
    measure = Measure(
        complaint=complaint,
        description=rng.choice(MEASURES),
        owner=rng.choice(staff) if staff else complaint.handler,
        due_on=due,
    )
    done = complaint.decided_on + dt.timedelta(days=_days(rng, 3, 30, 70))
    if done <= today and rng.random() < 0.9:
        measure.done_on = done
        measure.done_note = "Uitgevoerd."
        checked = done + dt.timedelta(days=_days(rng, 60, 90, 150))
        if checked <= today and rng.random() < 0.8:
            measure.checked_on = checked
            measure.effectiveness = _weighted(
                rng,
                [
                    (Effectiveness.EFFECTIVE, 65),
                    (Effectiveness.PARTLY_EFFECTIVE, 25),
                    (Effectiveness.NOT_EFFECTIVE, 10),
                ],
            )
            measure.check_note = "Geen nieuwe klachten van deze soort in drie maanden."
    return measure
