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

COMMON_WORD, COMMON_SHARE = "afspraak", 0.5
FIFTH_WORD, FIFTH_SHARE = "factuur", 0.2
RARE_WORD, RARE_SHARE = "kwijtschelding", 0.001
BATCH = 50_000

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


def chained(cursor, events):
    """The timeline rows hashed and linked onto the chain's head, as the application would.

    Takes the head's lock (FOR UPDATE) for the rest of the batch's transaction, so a
    transaction committing meanwhile links after this batch, never beside it.
    """
    from klachtbeheer.core.chain import GENESIS, content_hash, digest_of, link_hash

    table = "complaints_event"
    cursor.execute(
        "INSERT INTO core_chainhead (id, seq, hash) VALUES (1, 0, %s) ON CONFLICT (id) DO NOTHING",
        [GENESIS],
    )
    cursor.execute("SELECT seq, hash FROM core_chainhead WHERE id = 1 FOR UPDATE")
    seq, prev = cursor.fetchone()
    seq = int(seq)
    for complaint_id, kind, at, actor_id, body, data, internal in events:
        blank = not body and not data
        salt = "" if blank else secrets.token_hex(16)
        digest = digest_of(salt, {"text": body, "data": data})
        values = dict(
            zip(_EVENT_CONTENT, (complaint_id, kind, at, actor_id, internal), strict=True)
        )
        content = content_hash(table, values, digest)
        seq += 1
        link = link_hash(prev, content)
        yield (
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
            seq,
            prev,
            link,
        )
        prev = link
    cursor.execute("UPDATE core_chainhead SET seq = %s, hash = %s WHERE id = 1", [seq, prev])


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


BULK = 100_000  # from this many rows at once, the indexes are built after the load
INDEXED = ("complaints_complaint", "complaints_event")


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

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM complaints_complaint")
        (have,) = cursor.fetchone()
        indexes = _secondary_indexes(cursor) if target - have >= BULK else []
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    if indexes:
        log(f"  {len(indexes)} secondary indexes dropped for the load")
    try:
        return _seed(target, today=today, log=log)
    finally:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for _name, definition in indexes:
                cursor.execute(definition)
        if indexes:
            log(f"  {len(indexes)} indexes built again in {time.perf_counter() - started:.0f} s")
        vacuum()


def _seed(target: int, *, today: dt.date, log=print) -> int:
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from klachtbeheer.complaints.models import Category, Complaint
    from klachtbeheer.organisation.models import District, Organisation, PostcodeRange

    have = Complaint.objects.count()
    if have >= target:
        return 0
    rng = random.Random(target + have)  # noqa: S311 (test data, not secrets)
    cumulative = _zipf_weights(len(VOCABULARY))
    organisation = Organisation.current()
    board = organisation.board_handler
    districts = [
        (d, list(PostcodeRange.objects.filter(district=d).values_list("first", "last")))
        for d in District.objects.select_related("manager")
    ]
    districts = [(d, ranges) for d, ranges in districts if ranges]
    categories = list(Category.objects.values_list("pk", flat=True))
    staff = list(get_user_model().objects.values_list("pk", flat=True))
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM complaints_complaint")
        (next_id,) = cursor.fetchone()
        cursor.execute("SELECT year, last_number FROM complaints_referencecounter")
        numbers = dict(cursor.fetchall())
    next_id += 1
    first_day = dt.date(today.year - 3, 1, 1)
    span = (today - first_day).days - 1
    started = time.perf_counter()
    added = 0
    while have + added < target:
        n = min(BATCH, target - have - added)
        batch_started = time.perf_counter()
        complaints, events, links = [], [], []
        for _ in range(n):
            pk = next_id
            next_id += 1
            received = first_day + dt.timedelta(days=rng.randrange(span))
            year = received.year
            numbers[year] = numbers.get(year, 0) + 1
            district, ranges = rng.choice(districts)
            low, high = rng.choice(ranges)
            pc4 = rng.randint(low, high)
            about_manager = district.manager_id is not None and rng.random() < 0.01
            handler = (board.pk if board else None) if about_manager else district.manager_id
            state = rng.choices([s for s, _ in STATES], weights=[w for _, w in STATES])[0]
            c = Complaint(
                received_on=received,
                contact_due_on=received + dt.timedelta(days=organisation.contact_term_days),
                settle_due_on=received + dt.timedelta(days=organisation.settle_term_days),
                state=state,
            )
            c.contacted_on = c.decided_on = c.settled_on = c.closed_on = None
            verdict = ""
            if state in ("contacted", "closed", "withdrawn"):
                c.contacted_on = min(received + dt.timedelta(days=rng.randint(1, 9)), today)
            if state == "closed":
                decided = received + dt.timedelta(days=rng.randint(10, 35))
                if decided + dt.timedelta(days=5) >= today:
                    state = c.state = "contacted"
                else:
                    verdict = rng.choice(VERDICTS)
                    c.decided_on = decided
                    c.settled_on = decided + dt.timedelta(days=2)
                    c.closed_on = decided + dt.timedelta(days=5)
            if state == "withdrawn":
                c.settled_on = c.contacted_on
                c.closed_on = c.contacted_on
            if state == "not_a_complaint":
                c.closed_on = received + dt.timedelta(days=1)
            c.verdict = verdict
            c.refresh_next_due()
            first, last = rng.choice(FIRST), rng.choice(LAST)
            organisation_name = rng.choice(ORGANISATIONS) if rng.random() < 0.3 else ""
            at = dt.datetime.combine(received, dt.time(10), tzinfo=dt.UTC)
            complaints.append(
                (
                    pk,
                    f"KL-{year}-{numbers[year]:05d}",
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
                    f"{pc4} AB",
                    "",
                    rng.random() < 0.3,
                    rng.choice(SERVICES),
                    "",
                    district.manager_id if about_manager else None,
                    text(rng, cumulative),
                    "",
                    district.pk,
                    handler,
                    state,
                    c.contact_due_on,
                    c.settle_due_on,
                    None,
                    None,
                    None,
                    c.contacted_on,
                    None,
                    "",
                    verdict,
                    "Toelichting op het oordeel." if verdict else "",
                    c.decided_on,
                    c.settled_on,
                    c.closed_on,
                    c.next_due_on,
                    rng.choice(["", "", "mevrouw", "heer"]),
                    "",
                    "",
                )
            )
            events.append((pk, "received", at, None, "", {"channel": "post"}, True))
            events.append((pk, "routed", at, None, "", {"handler": handler}, True))
            if rng.random() < 0.01:
                for i in range(40):
                    events.append(
                        (
                            pk,
                            "note",
                            at + dt.timedelta(hours=i),
                            rng.choice(staff),
                            text(rng, cumulative),
                            {},
                            True,
                        )
                    )
            if verdict and categories:
                for category in rng.sample(categories, k=min(len(categories), rng.randint(1, 2))):
                    links.append((pk, category))
        made = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            raw = cursor.cursor
            with raw.copy(f"COPY complaints_complaint ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for row in complaints:
                    copy.write_row(row)
            phases = {"made": made - batch_started, "complaints": time.perf_counter() - made}
            mark = time.perf_counter()
            linked = list(chained(cursor, events))  # the head's statements, before the COPY
            phases["chain"] = time.perf_counter() - mark
            mark = time.perf_counter()
            with raw.copy(f"COPY complaints_event ({', '.join(EVENT_COLUMNS)}) FROM STDIN") as copy:
                for row in linked:
                    copy.write_row(row)
            phases["events"] = time.perf_counter() - mark
            mark = time.perf_counter()
            with raw.copy(
                "COPY complaints_complaint_categories (complaint_id, category_id) FROM STDIN"
            ) as copy:
                for row in links:
                    copy.write_row(row)
            phases["categories"] = time.perf_counter() - mark
            mark = time.perf_counter()
            for year, number in numbers.items():
                cursor.execute(
                    "INSERT INTO complaints_referencecounter (year, last_number) VALUES (%s, %s) "
                    "ON CONFLICT (year) DO UPDATE SET last_number = EXCLUDED.last_number",
                    [year, number],
                )
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('complaints_complaint', 'id'), %s)",
                [next_id - 1],
            )
        phases["commit"] = time.perf_counter() - mark
        added += n
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
