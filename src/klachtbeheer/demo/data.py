"""A demo organisation and a month of complaints in every state of the procedure."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import transaction
from django.utils import timezone

from klachtbeheer.complaints import services
from klachtbeheer.complaints.models import Channel, ComplainantType, ContactChannel, Verdict
from klachtbeheer.core import clock
from klachtbeheer.letters.models import LetterSettings
from klachtbeheer.organisation.models import (
    ClosureDay,
    District,
    Organisation,
    PostcodeRange,
    Role,
    StaffProfile,
)

DEMO_PASSWORD = "demo-klacht-2026"


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    role: str
    job_title: str


USERS = [
    DemoUser("kwaliteit", "Karin", "Visser", Role.QUALITY_MANAGER, "Kwaliteitsmanager"),
    DemoUser("directie", "Hendrik", "Smit", Role.BOARD, "Directeur"),
    DemoUser("noordwest", "Sanne", "de Vries", Role.DISTRICT_MANAGER, "Districtsmanager"),
    DemoUser("midden", "Pieter", "Jansen", Role.DISTRICT_MANAGER, "Districtsmanager"),
    DemoUser("zuid", "Fatima", "El Amrani", Role.DISTRICT_MANAGER, "Districtsmanager"),
    DemoUser("oost", "Joost", "Bakker", Role.DISTRICT_MANAGER, "Districtsmanager"),
    DemoUser("noord", "Ingrid", "Mulder", Role.DISTRICT_MANAGER, "Districtsmanager"),
    DemoUser("medewerker", "Tom", "de Boer", Role.STAFF, "Jobcoach"),
]

# District → manager's username and PC4 ranges; together 1000-9999.
DISTRICTS = [
    ("Noordwest", "noordwest", [(1000, 2999)]),
    ("Midden", "midden", [(3000, 3999)]),
    ("Zuid", "zuid", [(4000, 6599)]),
    ("Oost", "oost", [(6600, 8299)]),
    ("Noord", "noord", [(8300, 9999)]),
]

PEOPLE = [
    ("A. Jansen", "1012 AB", "Amsterdam", "Damstraat 4"),
    ("M. de Groot", "3741 BC", "Baarn", "Laanstraat 12"),
    ("R. Bos", "3511 AA", "Utrecht", "Oudegracht 100"),
    ("S. Yilmaz", "5611 CD", "Eindhoven", "Stratumseind 3"),
    ("P. Hendriks", "6811 KL", "Arnhem", "Rijnkade 8"),
    ("L. Meijer", "9711 LM", "Groningen", "Grote Markt 1"),
    ("K. van Dijk", "2511 EE", "Den Haag", "Lange Voorhout 2"),
    ("H. Peters", "7511 JJ", "Enschede", "Oude Markt 5"),
    ("N. Visser", "8911 BB", "Leeuwarden", "Nieuwestad 20"),
    ("D. Smits", "4811 XX", "Breda", "Grote Markt 9"),
]

COMPLAINTS = [
    (
        "Re-integratietraject tweede spoor",
        "Mijn jobcoach is drie afspraken niet komen opdagen zonder bericht. Daardoor liep "
        "mijn traject vertraging op en kreeg ik een brief van UWV.",
        "Een nieuwe jobcoach en excuses.",
    ),
    (
        "Loopbaanadvies",
        "Het adviesrapport bevatte onjuiste gegevens over mijn werkervaring. Ik heb dit twee "
        "keer gemeld maar het is niet aangepast.",
        "Een gecorrigeerd rapport.",
    ),
    (
        "Coaching ondernemers (gemeente)",
        "De gemeente heeft ons een traject van tien sessies toegezegd; na vier sessies kregen "
        "wij te horen dat het budget op was.",
        "Afronden van het traject zoals afgesproken.",
    ),
    (
        "Werkfit-traject",
        "De coach maakte in het bijzijn van anderen opmerkingen over mijn gezondheid. Dat vond "
        "ik ongepast en kwetsend.",
        "Een gesprek en de toezegging dat dit niet meer gebeurt.",
    ),
    (
        "Factuur opdrachtgever",
        "Wij zijn als bedrijf twee keer gefactureerd voor hetzelfde adviestraject en krijgen "
        "geen reactie op onze e-mails.",
        "Creditering van de dubbele factuur.",
    ),
]


def _users() -> dict[str, object]:
    User = get_user_model()
    created = {}
    view_complaint = Permission.objects.filter(codename__in=["view_complaint", "view_accesslog"])
    manage_org = Permission.objects.filter(
        content_type__app_label="organisation",
    )
    for demo in USERS:
        user, _ = User.objects.get_or_create(
            username=demo.username,
            defaults={
                "first_name": demo.first_name,
                "last_name": demo.last_name,
                "email": f"{demo.username}@example.nl",
            },
        )
        user.set_password(DEMO_PASSWORD)
        user.is_staff = demo.role == Role.QUALITY_MANAGER
        user.save()
        StaffProfile.objects.update_or_create(
            user=user, defaults={"role": demo.role, "job_title": demo.job_title}
        )
        if demo.role == Role.QUALITY_MANAGER:
            user.user_permissions.add(*view_complaint, *manage_org)
        created[demo.username] = user
    return created


def load_demo(*, seed: int = 2026, today: dt.date | None = None) -> int:
    """Create the demo organisation and complaints; returns how many complaints."""
    today = today or clock.today()
    rng = random.Random(seed)
    with transaction.atomic():
        users = _users()
        organisation = Organisation.current()
        organisation.board_handler = users["directie"]
        organisation.save()
        # Whom a complainant can ask: in the letterhead and at the foot of every letter.
        letter_settings = LetterSettings.current()
        letter_settings.phone = letter_settings.phone or "035 548 12 00"
        letter_settings.email = letter_settings.email or "klachten@imk.example"
        letter_settings.save()
        for name, manager, ranges in DISTRICTS:
            district, _ = District.objects.update_or_create(
                name=name, defaults={"manager": users[manager]}
            )
            for first, last in ranges:
                PostcodeRange.objects.get_or_create(district=district, first=first, last=last)
        for day, text in [
            (dt.date(today.year, 12, 24), "Kerstavond (kantoor dicht)"),
            (dt.date(today.year, 12, 31), "Oudejaarsdag (kantoor dicht)"),
        ]:
            ClosureDay.objects.get_or_create(date=day, defaults={"description": text})

    qm = users["kwaliteit"]
    count = 0
    # (days ago received, how far along, about a district manager?)
    plan = [
        (1, "received", None),
        (2, "received", None),
        (3, "accepted", None),
        (5, "accepted", None),
        (6, "attempt", None),
        (8, "accepted", None),  # contact term missed
        (9, "contacted", None),
        (12, "meeting_planned", None),
        (14, "assessing", None),
        (16, "decided", None),
        (18, "decision_sent", None),
        (20, "closed", None),
        (22, "withdrawn", None),
        (24, "assessing", None),  # settlement at risk
        (26, "extended", None),
        (30, "meeting_planned", None),  # settlement missed
        (4, "received", "zuid"),  # about a district manager: the board handles it (P3.2)
        (10, "contacted", "midden"),
        (2, "not_a_complaint", None),
        (7, "triage", None),
        (35, "closed", None),
        (40, "closed", None),
    ]
    for index, (days_ago, stage, about) in enumerate(plan):
        name, postcode, city, street = PEOPLE[index % len(PEOPLE)]
        service, text, outcome = COMPLAINTS[index % len(COMPLAINTS)]
        received_on = today - dt.timedelta(days=days_ago)
        ctype = rng.choice(list(ComplainantType.values))
        complaint = services.complaint_register(
            actor=qm,
            channel=rng.choice(list(Channel.values)),
            received_on=received_on,
            complainant=services.ComplainantData(
                complainant_type=ctype,
                name=name,
                organisation="Gemeente " + city if ctype == ComplainantType.MUNICIPALITY else "",
                email=f"{name.split()[-1].lower()}{index}@example.nl",
                phone="035 548 1234" if index % 3 else "",
                street_address=street,
                postcode="" if stage == "triage" else postcode,
                city=city,
                is_uwv_client=ctype == ComplainantType.CLIENT and index % 2 == 0,
            ),
            substantiation=text,
            desired_outcome=outcome,
            service=service,
            manager_concerned=users[about] if about else None,
        )
        _advance(complaint.reference, stage, received_on, today, qm, complaint.handler)
        count += 1
    return count


def _advance(reference, stage, received_on, today, qm, handler) -> None:
    actor = handler or qm
    step = received_on + dt.timedelta(days=1)

    def day(offset: int) -> dt.date:
        return min(received_on + dt.timedelta(days=offset), today)

    if stage in ("received", "triage"):
        return
    if stage == "not_a_complaint":
        services.complaint_reject(
            actor=qm, reference=reference, reason="Een vraag over openingstijden, geen klacht."
        )
        return
    services.complaint_accept(actor=actor, reference=reference)
    if stage == "accepted":
        return
    at = timezone.make_aware(dt.datetime.combine(step, dt.time(10, 15)))
    services.complaint_log_contact_attempt(
        actor=actor,
        reference=reference,
        at=at,
        channel=ContactChannel.PHONE,
        note="Geen gehoor, voicemail ingesproken.",
    )
    if stage == "attempt":
        return
    services.complaint_record_contact(
        actor=actor,
        reference=reference,
        on=day(3),
        channel=ContactChannel.PHONE,
        summary="Telefonisch gesproken; klager wil de klacht doorzetten.",
    )
    if stage == "contacted":
        return
    if stage == "withdrawn":
        services.complaint_withdraw(
            actor=actor,
            reference=reference,
            summary="Misverstand over de planning; klager ziet af van de klacht.",
        )
        return
    meeting = timezone.make_aware(
        dt.datetime.combine(received_on + dt.timedelta(days=10), dt.time(14, 0))
    )
    services.complaint_plan_meeting(
        actor=actor, reference=reference, at=meeting, location="Kantoor Baarn"
    )
    if stage == "meeting_planned":
        return
    if stage == "extended":
        services.complaint_extend(
            actor=actor,
            reference=reference,
            until=received_on + dt.timedelta(days=42),
            reason="Wachten op de reactie van de opdrachtgever.",
        )
        return
    services.complaint_hold_meeting(
        actor=actor,
        reference=reference,
        held_on=day(10),
        report="Gesprek gevoerd met klager; beide kanten gehoord.",
    )
    if stage == "assessing":
        return
    services.complaint_record_verdict(
        actor=actor,
        reference=reference,
        verdict=Verdict.PARTLY_FOUNDED,
        reasons="De afspraken zijn deels niet nagekomen.",
        measures=["Afsprakenplanning wordt wekelijks gecontroleerd."],
        decided_on=day(15),
    )
    if stage == "decided":
        return
    if day(20) < today:  # history: a letter is only sent today, an earlier one is recorded
        services.complaint_send_decision(
            actor=actor,
            reference=reference,
            sent_on=day(20),
            sent_earlier=True,
            note="Met de post verstuurd door het secretariaat.",
        )
    else:
        services.complaint_send_decision(actor=actor, reference=reference)
    if stage == "decision_sent":
        return
    services.complaint_close(actor=actor, reference=reference)
