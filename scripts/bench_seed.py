"""Seeding for `make bench`: complaints with Dutch text, in bulk with COPY (PostgreSQL).

Complaints are written straight into the tables (COPY, 50,000 rows a transaction),
not through the services: a million would take hours one by one. Each row follows
the rules the services keep: terms from the date of receipt, dates in procedure
order, a verdict for every decided complaint, the district manager of the
postcode as handler and the board for a complaint about a district manager
(P3.1, P3.2), and the stored next term from the one rule
(`Complaint.refresh_next_due`). Texts are drawn from a Dutch vocabulary with a
Zipf spread; two words are planted at known rates so the benchmark can search a
word in about half of the complaints (`afspraak`) and one in a fifth (`factuur`),
and one is rare (`kwijtschelding`, one in a thousand). One complaint in a hundred
has a long timeline (40 notes).

The timeline rows are links of the one hash chain (`core.chain`, issue 11.7): the
seeder hashes each row as `ChainedModel.prepare_for_chain` does and links it to the
one before (`link_hash`), holding the chain's head (`core_chainhead`, locked FOR
UPDATE for the batch), and COPYs the rows sealed; the database's seal trigger
leaves sealed rows as they are. So `klachtbeheer audit verify` passes on the
seeded database, and no row is sealed one by one at COMMIT (which is what made
seeding crawl at about 500 rows/s). The dashboard's aggregates
(`reporting.aggregates`) are kept by their statement triggers during the COPY,
one grouped insert per batch.
"""

# ruff: noqa: SIM905 (word lists read best as text)
from __future__ import annotations

import datetime as dt
import json
import random
import secrets
import time
from dataclasses import dataclass

COMMON_WORD, COMMON_SHARE = "afspraak", 0.5
FIFTH_WORD, FIFTH_SHARE = "factuur", 0.2
RARE_WORD, RARE_SHARE = "kwijtschelding", 0.001
BATCH = 25_000
WORKERS = 2  # processes making batches

VOCABULARY = (
    "coach jobcoach begeleiding gesprek traject werk werkgever uwv gemeente klant "
    "re-integratie planning medewerker telefoon email bericht brief verslag advies "
    "terugbellen week maand dag ochtend middag kantoor locatie adres reiskosten "
    "vergoeding rapport dossier intake sollicitatie vacature cursus training "
    "opleiding contract uren ziekte herstel arts bedrijfsarts verzekering "
    "behandeling wachttijd vertraging communicatie informatie uitleg antwoord "
    "vraag probleem fout klacht oplossing excuses teleurgesteld boos onvriendelijk "
    "onbeleefd respect privacy gegevens formulier handtekening document bijlage "
    "termijn datum tijd wachten beloofd toegezegd nagekomen vergeten gemist "
    "verplaatst afgezegd geannuleerd doorgegeven gebeld gemaild geschreven "
    "gesproken geholpen begeleid gestuurd ontvangen verstuurd betaald gerekend "
    "dubbel onjuist verkeerd laat vroeg nooit altijd steeds opnieuw weer helemaal "
    "duidelijk onduidelijk moeilijk lastig vervelend jammer zorgen stress druk "
    "situatie gezin kinderen partner buurt wijk stad dorp bus trein auto fiets "
    "parkeren gebouw ingang balie receptie wachtkamer computer systeem website "
    "portaal account wachtwoord inloggen storing melding contactpersoon leidinggevende "
    "manager directie team collega vervanger overdracht dossiernummer kenmerk "
    "beschikking besluit bezwaar beroep regeling afspraken verslaglegging evaluatie "
    "voortgang doelen plan stappen resultaat uitkomst kwaliteit ervaring mening "
    "tevreden ontevreden verwachting hoop vertrouwen twijfel"
).split()
FIRST = (
    "Jan Piet Kees Anna Sanne Fatima Mohamed Sophie Lucas Emma Daan Julia Noah Lotte "
    "Sem Eva Bram Anouk Ahmed Yara Thijs Fleur Ruben Iris Wouter Nina Jeroen Lisa"
).split()
LAST = (
    "de Vries|Jansen|de Jong|Bakker|Visser|Smit|Meijer|de Boer|Mulder|de Groot|Bos|Vos|"
    "Peters|Hendriks|van Leeuwen|Dekker|Brouwer|de Wit|Dijkstra|Smits|van Dijk|Yilmaz|"
    "El Amrani|Kaya|van den Berg|Willems|Kok|Jacobs|de Haan|Vermeulen"
).split("|")
ORGANISATIONS = (
    "Gemeente Utrecht|Gemeente Amersfoort|UWV Werkbedrijf|Bouwbedrijf Hoekstra BV|"
    "Schoonmaak Oost BV|Zorggroep Midden|Transport Zuid BV|Gemeente Zwolle|"
    "Bakkerij van Dam|Installatietechniek Noord BV"
).split("|")
SERVICES = ["Jobcoaching", "Re-integratie tweede spoor", "Loopbaanadvies", "Werkfit traject"]
STATES = [  # (state, share)
    ("received", 0.04),
    ("accepted", 0.08),
    ("contacted", 0.2),
    ("closed", 0.6),
    ("withdrawn", 0.05),
    ("not_a_complaint", 0.03),
]
VERDICTS = ["founded", "unfounded", "partly_founded"]

COLUMNS = (
    "id reference received_on created_at updated_at channel complainant_type complainant_name "
    "complainant_organisation complainant_email complainant_phone street_address postcode city "
    "is_uwv_client service employee_concerned manager_concerned_id substantiation "
    "desired_outcome district_id handler_id state contact_due_on settle_due_on extended_until "
    "extension_notice_due_on extension_notice_sent_on contacted_on meeting_at meeting_location "
    "verdict verdict_reasons decided_on settled_on closed_on next_due_on "
    "form_of_address anonymised_because legal_hold_reason"
).split()


EVENT_COLUMNS = (
    "complaint_id kind at actor_id text data internal "
    "content_hash erasable_digest erasure_salt chain_seq prev_hash chain_hash"
).split()
_EVENT_CONTENT = ("complaint_id", "kind", "at", "actor_id", "internal")


def hashed(event: tuple) -> tuple:
    """A timeline row with its content hashed as `ChainedModel.prepare_for_chain` does."""
    from klachtbeheer.core.chain import content_hash, digest_of

    complaint_id, kind, at, actor_id, body, data, internal = event
    salt = "" if not body and not data else secrets.token_hex(16)
    digest = digest_of(salt, {"text": body, "data": data})
    values = dict(zip(_EVENT_CONTENT, (complaint_id, kind, at, actor_id, internal), strict=True))
    content = content_hash("complaints_event", values, digest)
    return (
        complaint_id,
        kind,
        at,
        actor_id,
        body,
        json.dumps(data),
        internal,
        content,
        digest,
        salt,
    )


def linked(cursor, events: list[tuple]) -> list[tuple]:
    """The hashed rows linked onto the chain's head, which stays locked (FOR UPDATE) to the
    end of the batch's transaction: a transaction committing meanwhile links after it."""
    from klachtbeheer.core.chain import GENESIS, link_hash

    cursor.execute(
        "INSERT INTO core_chainhead (id, seq, hash) VALUES (1, 0, %s) ON CONFLICT (id) DO NOTHING",
        [GENESIS],
    )
    cursor.execute("SELECT seq, hash FROM core_chainhead WHERE id = 1 FOR UPDATE")
    seq, prev = cursor.fetchone()
    seq = int(seq)
    rows = []
    for event in events:
        seq += 1
        link = link_hash(prev, event[7])
        rows.append((*event, seq, prev, link))
        prev = link
    cursor.execute("UPDATE core_chainhead SET seq = %s, hash = %s WHERE id = 1", [seq, prev])
    return rows


def _zipf_weights(n: int, s: float = 1.05) -> list[float]:
    total = 0.0
    cumulative = []
    for rank in range(1, n + 1):
        total += 1.0 / rank**s
        cumulative.append(total)
    return cumulative


def text(rng: random.Random, cumulative: list[float]) -> str:
    words = rng.choices(VOCABULARY, cum_weights=cumulative, k=rng.randint(25, 70))
    for word, share in ((COMMON_WORD, COMMON_SHARE), (FIFTH_WORD, FIFTH_SHARE)):
        if rng.random() < share:
            words.insert(rng.randrange(len(words) + 1), word)
    if rng.random() < RARE_SHARE:
        words.insert(rng.randrange(len(words) + 1), RARE_WORD)
    words[0] = words[0].capitalize()
    return " ".join(words) + "."


BULK = 50_000  # from this many rows at once, the indexes are built after the load
INDEXED = ("complaints_complaint", "complaints_event")
# Tables whose triggers keep the dashboard's aggregates (reporting.aggregates); a bulk
# load switches them off (nothing else writes while the benchmark seeds) and counts
# everything once at the end, a statement instead of a trigger per batch.
FIGURE_TRIGGERS = (
    ("complaints_complaint", "kb_figures_insert"),
    ("complaints_complaint_categories", "kb_figures_link_insert"),
)


def _secondary_indexes(cursor) -> list[tuple[str, str]]:
    """(name, definition) of the indexes no constraint needs, on the tables loaded in bulk."""
    cursor.execute(
        "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x"
        " JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid"
        " WHERE t.relname = ANY(%s) AND NOT x.indisunique AND NOT x.indisprimary"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
        [list(INDEXED)],
    )
    return cursor.fetchall()


def seed(target: int, *, today: dt.date, log=print) -> int:
    """Add complaints until there are `target`; returns how many were added.

    A large load drops the secondary indexes of the complaints and their timelines
    first and builds them again at the end (one sort each instead of a million
    insertions into trigram and full-text GIN indexes), as a restore does.
    """
    from django.db import connection

    from klachtbeheer.reporting import aggregates

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM complaints_complaint")
        (have,) = cursor.fetchone()
        bulk = target - have >= BULK
        indexes = _secondary_indexes(cursor) if bulk else []
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        if bulk:  # the dashboard's counts: made once from everything at the end
            for table, trigger in FIGURE_TRIGGERS:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
    if indexes:
        log(f"  {len(indexes)} secondary indexes dropped for the load")
    try:
        return _seed(target, today=today, log=log)
    finally:
        # Before the indexes come back: updating a third of a million rows through
        # them (trigram and full-text GIN among them) takes minutes.
        retention_caught_up(today, log=log)
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for _name, definition in indexes:
                cursor.execute(definition)
        if indexes:
            log(f"  {len(indexes)} indexes built again in {time.perf_counter() - started:.0f} s")
        if bulk:
            started = time.perf_counter()
            with connection.cursor() as cursor:
                for table, trigger in FIGURE_TRIGGERS:
                    cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")
            rows = aggregates.figures_rebuild()
            took = time.perf_counter() - started
            log(f"  dashboard aggregates counted: {rows:,} rows in {took:.0f} s")
        vacuum()


def retention_caught_up(today: dt.date, *, log=print) -> int:
    """Mark the complaints past their retention term as anonymised, as years of daily
    retention runs would have (the steady state of an organisation with this history).

    Without it the worker's tick anonymises 100 of them a minute through the whole
    benchmark (more than 300,000 at a million; 3.7 s of every minute). Only the mark:
    their text stays, so the search figures keep the seeded word frequencies.
    """
    from django.utils import timezone

    from klachtbeheer.complaints.models import Complaint
    from klachtbeheer.privacy.services import complaints_due

    marked = Complaint.objects.filter(pk__in=complaints_due(today).values("pk")).update(
        anonymised_at=timezone.now(), anonymised_because="benchmark: retention term ended"
    )
    if marked:
        log(f"  {marked:,} complaints past their retention term marked anonymised")
    return marked


@dataclass(frozen=True)
class Plan:
    """What a batch is made from: plain data, so batches are made in other processes."""

    today: dt.date
    first_day: dt.date
    contact_days: int
    settle_days: int
    districts: list[tuple[int, int | None, list[tuple[int, int]]]]  # pk, manager, postcodes
    board: int | None
    categories: list[int]
    staff: list[int]


_STATE_NAMES = [name for name, _share in STATES]
_STATE_WEIGHTS = [share for _name, share in STATES]


def make_batch(plan: Plan, seed: int, first_pk: int, n: int):
    """`n` complaints from id `first_pk`, their timelines (hashed) and categories.

    The reference is left to the caller (its number counts on across batches): the
    rows come back as lists with the year in place of the reference.
    """
    from klachtbeheer.complaints.terms import TermFacts, next_due_on

    rng = random.Random(seed)  # noqa: S311 (test data, not secrets)
    cumulative = _zipf_weights(len(VOCABULARY))
    span = (plan.today - plan.first_day).days - 1
    contact_term = dt.timedelta(days=plan.contact_days)
    settle_term = dt.timedelta(days=plan.settle_days)
    complaints, events, links = [], [], []
    for pk in range(first_pk, first_pk + n):
        received = plan.first_day + dt.timedelta(days=rng.randrange(span))
        district, manager, ranges = rng.choice(plan.districts)
        low, high = rng.choice(ranges)
        about_manager = manager is not None and rng.random() < 0.01
        handler = plan.board if about_manager else manager
        state = rng.choices(_STATE_NAMES, weights=_STATE_WEIGHTS)[0]
        contact_due, settle_due = received + contact_term, received + settle_term
        contacted = decided = settled = closed = None
        verdict = ""
        if state in ("contacted", "closed", "withdrawn"):
            contacted = min(received + dt.timedelta(days=rng.randint(1, 9)), plan.today)
        if state == "closed":
            decided = received + dt.timedelta(days=rng.randint(10, 35))
            if decided + dt.timedelta(days=5) >= plan.today:
                state, decided = "contacted", None
            else:
                verdict = rng.choice(VERDICTS)
                settled = decided + dt.timedelta(days=2)
                closed = decided + dt.timedelta(days=5)
        if state == "withdrawn":
            settled = closed = contacted
        if state == "not_a_complaint":
            closed = received + dt.timedelta(days=1)
        # The stored next term from the one rule (complaints.terms).
        next_due = next_due_on(
            TermFacts(
                applies=state != "not_a_complaint",
                contact_due_on=contact_due,
                contacted_on=contacted,
                settle_due_on=settle_due,
                settled_on=settled,
            )
        )
        first, last = rng.choice(FIRST), rng.choice(LAST)
        organisation_name = rng.choice(ORGANISATIONS) if rng.random() < 0.3 else ""
        at = dt.datetime.combine(received, dt.time(10), tzinfo=dt.UTC)
        complaints.append(
            [
                pk,
                received.year,  # the reference, numbered by the caller
                received,
                at,
                at,
                rng.choice(["post", "email", "web_form"]),
                "company" if organisation_name else "client",
                f"{first} {last}",
                organisation_name,
                f"{first.lower()}.{last.lower().replace(' ', '')}{pk}@example.nl",
                "",
                "",
                f"{rng.randint(low, high)} AB",
                "",
                rng.random() < 0.3,
                rng.choice(SERVICES),
                "",
                manager if about_manager else None,
                text(rng, cumulative),
                "",
                district,
                handler,
                state,
                contact_due,
                settle_due,
                None,
                None,
                None,
                contacted,
                None,
                "",
                verdict,
                "Toelichting op het oordeel." if verdict else "",
                decided,
                settled,
                closed,
                next_due,
                rng.choice(["", "", "mevrouw", "heer"]),
                "",
                "",
            ]
        )
        events.append(hashed((pk, "received", at, None, "", {"channel": "post"}, True)))
        events.append(hashed((pk, "routed", at, None, "", {"handler": handler}, True)))
        if rng.random() < 0.01:  # a long timeline
            for i in range(40):
                note = text(rng, cumulative)
                when = at + dt.timedelta(hours=i)
                events.append(hashed((pk, "note", when, rng.choice(plan.staff), note, {}, True)))
        if verdict and plan.categories:
            k = min(len(plan.categories), rng.randint(1, 2))
            links.extend((pk, category) for category in rng.sample(plan.categories, k=k))
    return complaints, events, links


def _make(job):
    return make_batch(*job)


def _seed(target: int, *, today: dt.date, log=print) -> int:
    import multiprocessing

    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from klachtbeheer.complaints.models import Category, Complaint
    from klachtbeheer.organisation.models import District, Organisation, PostcodeRange

    have = Complaint.objects.count()
    if have >= target:
        return 0
    organisation = Organisation.current()
    board = organisation.board_handler
    districts = []
    for district in District.objects.order_by("pk"):
        ranges = list(PostcodeRange.objects.filter(district=district).values_list("first", "last"))
        if ranges:
            districts.append((district.pk, district.manager_id, ranges))
    plan = Plan(
        today=today,
        first_day=dt.date(today.year - 3, 1, 1),
        contact_days=organisation.contact_term_days,
        settle_days=organisation.settle_term_days,
        districts=districts,
        board=board.pk if board else None,
        categories=list(Category.objects.order_by("pk").values_list("pk", flat=True)),
        staff=list(get_user_model().objects.order_by("pk").values_list("pk", flat=True)),
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM complaints_complaint")
        (last_id,) = cursor.fetchone()
        cursor.execute("SELECT year, last_number FROM complaints_referencecounter")
        numbers = dict(cursor.fetchall())
    jobs, first_pk, left = [], last_id + 1, target - have
    while left > 0:
        n = min(BATCH, left)
        jobs.append((plan, target + first_pk, first_pk, n))
        first_pk, left = first_pk + n, left - n
    started = time.perf_counter()
    added = 0
    # Batches are made by two other processes (text, dates, hashes: Python's work) while
    # this one numbers, links and COPYs the one before (PostgreSQL's work).
    context = multiprocessing.get_context("fork")
    connection.close()  # not shared with the children
    with context.Pool(WORKERS) as pool:
        for complaints, events, links in pool.imap(_make, jobs):
            mark = time.perf_counter()
            for row in complaints:
                year = row[1]
                numbers[year] = numbers.get(year, 0) + 1
                row[1] = f"KL-{year}-{numbers[year]:05d}"
            phases = {}
            with transaction.atomic(), connection.cursor() as cursor:
                raw = cursor.cursor
                columns = ", ".join(COLUMNS)
                with raw.copy(f"COPY complaints_complaint ({columns}) FROM STDIN") as copy:
                    for row in complaints:
                        copy.write_row(row)
                phases["complaints"] = time.perf_counter() - mark
                mark = time.perf_counter()
                chained = linked(cursor, events)  # the head's statements, before the COPY
                columns = ", ".join(EVENT_COLUMNS)
                with raw.copy(f"COPY complaints_event ({columns}) FROM STDIN") as copy:
                    for row in chained:
                        copy.write_row(row)
                phases["timelines"] = time.perf_counter() - mark
                mark = time.perf_counter()
                with raw.copy(
                    "COPY complaints_complaint_categories (complaint_id, category_id) FROM STDIN"
                ) as copy:
                    for row in links:
                        copy.write_row(row)
                for year, number in numbers.items():
                    cursor.execute(
                        "INSERT INTO complaints_referencecounter (year, last_number) "
                        "VALUES (%s, %s) ON CONFLICT (year) DO UPDATE SET "
                        "last_number = EXCLUDED.last_number",
                        [year, number],
                    )
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence('complaints_complaint', 'id'), %s)",
                    [complaints[-1][0]],
                )
            phases["categories and commit"] = time.perf_counter() - mark
            added += len(complaints)
            log(
                f"  seeded {have + added:,} complaints "
                f"({added / (time.perf_counter() - started):,.0f} rows/s; "
                + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in phases.items())
                + ")"
            )
    return added


def vacuum() -> None:
    """As autovacuum would soon: statistics, the visibility map, the GIN pending lists."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in (*INDEXED, "complaints_complaint_categories", "reporting_figure"):
            cursor.execute(f"VACUUM ANALYZE {table}")


__all__ = ["COMMON_WORD", "FIFTH_WORD", "RARE_WORD", "seed"]
