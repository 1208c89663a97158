"""The dashboard's and the report's figures from counts kept by the database (issue 15).

Grouping a million complaints on every view took seconds. Instead PostgreSQL keeps
`reporting_figure` (`models.FigureRow`) current itself: statement triggers on
`complaints_complaint` and its categories append, in the same transaction as the
step that changed a complaint, +n rows for the figures the complaint now counts in
and −n rows for those it no longer counts in. Only appends: no row is shared
between transactions, so intakes never wait for each other (no lock is held on a
shared row). Every write path is covered, the services, the admin, bulk updates
and the benchmark's COPY alike. The daily tick adds the rows of one key together
(`figures_compact`), so the table stays the size of the number of distinct keys.

What one complaint counts in (`kb_figure_rows`), by facet:

- `main`: its receipt day, district, handler, the manager it is about (the access
  rule, P3.2), state, verdict, type of complainant, extended, settled, and its two
  terms as far as they do not depend on today: met or missed once done, else
  *pending until* a date: missed once that date has passed, open before;
- `settled`: its settlement day (the "settled per month" series);
- `contact`, `settle`: the whole days from receipt to contact / settlement (the
  medians and 90th percentiles are worked out from these counts exactly as
  percentile_cont does);
- `category`: each of its categories, or none;
- `open`: its next term (`next_due_on`), for the open complaints by term status;
- `cpend/u`, `spend/u`: a pending term by the date it is missed after (as `day`), with
  the month of receipt in `*_until`: what the month rows of `cpend` and `spend`
  (which carry only the month of that date) cannot tell for today's month.

Every facet but the last two is also kept per month (`/m`: the first day of the
month as `day`), so far months are read as one row a key (`period_rows`, `open_rows`).

**One definition per rule.** The term rule lives in `complaints.terms`; the SQL
below restates it (contact met when contacted on or before the contact date,
P3.3; the settlement date that counts, P3.8), and
tests/reporting/test_aggregates.py holds it against the pure functions with
hypothesis, as tests/test_terms_property.py does for `selectors.with_terms`.
The states (what is open, what is not a complaint) stay in Python: every row
keeps its state and the reading side filters on `workflow`.

SQLite (development, the small test runs) has no triggers here: the figures are
counted from the complaints (`selectors.complaint_figures_counted`), which is
also the full count the tests compare the aggregates with.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict

from django.db import connection, transaction

from klachtbeheer.organisation.models import Role
from klachtbeheer.organisation.selectors import role_of

TABLE = "reporting_figure"
FACETS = ("main", "cpend", "spend", "settled", "contact", "settle", "category", "open")
PERIOD_FACETS = [facet for facet in FACETS if facet != "open"]  # each also per month: "/m"
# The key columns, in the order the SQL functions return them.
KEY = (
    "facet",
    "day",
    "district_id",
    "handler_id",
    "manager_concerned_id",
    "state",
    "verdict",
    "complainant_type",
    "extended",
    "settled",
    "contact",
    "contact_until",
    "settle",
    "settle_until",
    "days",
    "category_id",
)
_KEY_TYPES = (
    "text",
    "date",
    "bigint",
    "bigint",
    "bigint",
    "text",
    "text",
    "text",
    "boolean",
    "boolean",
    "text",
    "date",
    "text",
    "date",
    "integer",
    "bigint",
)
_COLUMNS = ", ".join(KEY)
_F_COLUMNS = ", ".join(f"f.{name}" for name in KEY)
_RETURNS = ", ".join(f"{name} {kind}" for name, kind in zip(KEY, _KEY_TYPES, strict=True))


def _row(facet: str, day: str, **values: str) -> str:
    """One SELECT list of the key, blank where a facet does not use a column."""
    blanks = {
        "state": "c.state",
        "verdict": "''",
        "complainant_type": "''",
        "extended": "false",
        "settled": "false",
        "contact": "''",
        "contact_until": "NULL::date",
        "settle": "''",
        "settle_until": "NULL::date",
        "days": "NULL::integer",
        "category_id": "NULL::bigint",
    }
    blanks.update(values)
    parts = [
        f"'{facet}'::text",
        day,
        "c.district_id",
        "c.handler_id",
        "c.manager_concerned_id",
    ]
    parts += [blanks[name] for name in KEY[5:]]
    return "SELECT " + ", ".join(parts)


# The settlement date that counts (complaints.terms.settlement_counted) for a settled
# complaint: as of the day it was settled.
_REPLACED = "COALESCE(c.extension_notice_due_on, c.settle_due_on)"
_COUNTED_WHEN_SETTLED = f"""CASE
    WHEN c.extended_until IS NULL THEN c.settle_due_on
    WHEN c.extension_notice_sent_on IS NOT NULL AND c.extension_notice_sent_on <= {_REPLACED}
      THEN c.extended_until
    WHEN c.extension_notice_sent_on IS NULL AND c.settled_on <= {_REPLACED}
      THEN c.extended_until
    ELSE {_REPLACED} END"""
# Not settled yet: the settlement term is missed once this date has passed. An extension
# whose notice is still owed counts until the replaced term passes, so the term is
# missed once either the replaced term or the extension has passed.
_SETTLE_PENDING_UNTIL = f"""CASE
    WHEN c.extended_until IS NULL THEN c.settle_due_on
    WHEN c.extension_notice_sent_on IS NOT NULL AND c.extension_notice_sent_on <= {_REPLACED}
      THEN c.extended_until
    WHEN c.extension_notice_sent_on IS NULL THEN LEAST({_REPLACED}, c.extended_until)
    ELSE {_REPLACED} END"""

_MAIN = _row(
    "{facet}",
    "{received}",
    verdict="c.verdict",
    complainant_type="c.complainant_type",
    extended="c.extended_until IS NOT NULL",
    settled="c.settled_on IS NOT NULL",
    contact="""CASE WHEN c.contacted_on IS NULL THEN 'later'
        WHEN c.contacted_on <= c.contact_due_on THEN 'met' ELSE 'missed' END""",
    settle=f"""CASE WHEN c.settled_on IS NULL THEN 'later'
        WHEN c.settled_on <= {_COUNTED_WHEN_SETTLED} THEN 'met' ELSE 'missed' END""",
)
# A term not done yet ("later" above) is counted apart with the date after which it is
# missed, so the main rows of a month are shared by many complaints. The day rows carry
# that date, the month rows only its month (all missed before today's month, all open
# after it); for the month of today the rows by that date (`/u`: the date as `day`, the
# month of receipt as `*_until`) tell them apart (`period_rows`).
_CONTACT_PENDING = (
    _row("{facet}", "{received}", contact="'pending'", contact_until="{contact_until}")
    + " WHERE c.contacted_on IS NULL"
)
_SETTLE_PENDING = (
    _row("{facet}", "{received}", settle="'pending'", settle_until="{settle_until}")
    + " WHERE c.settled_on IS NULL"
)
BY_UNTIL = "/u"
_MONTH_OF_RECEIPT = "date_trunc('month', c.received_on::timestamp)::date"
_CONTACT_BY_UNTIL = (
    _row(
        "cpend" + BY_UNTIL,
        "c.contact_due_on",
        contact="'pending'",
        contact_until=_MONTH_OF_RECEIPT,
    )
    + " WHERE c.contacted_on IS NULL"
)
_SETTLE_BY_UNTIL = (
    _row(
        "spend" + BY_UNTIL,
        f"({_SETTLE_PENDING_UNTIL})",
        settle="'pending'",
        settle_until=_MONTH_OF_RECEIPT,
    )
    + " WHERE c.settled_on IS NULL"
)
_SETTLED = _row("{facet}", "{settled}") + " WHERE c.settled_on IS NOT NULL"
_CONTACT_DAYS = (
    _row("{facet}", "{received}", days="c.contacted_on - c.received_on")
    + " WHERE c.contacted_on IS NOT NULL"
)
_SETTLE_DAYS = (
    _row("{facet}", "{received}", days="c.settled_on - c.received_on")
    + " WHERE c.settled_on IS NOT NULL"
)
_LINKS = "complaints_complaint_categories"
# Each category of the complaint, or one row without when it has none: from the links
# as they are (`_CATEGORY_NOW`), or as a given list (`_CATEGORY`, for the link trigger).
_CATEGORY = (
    _row("{facet}", "{received}", category_id="u.cat")
    + " FROM unnest(CASE WHEN cardinality(cats) = 0 THEN ARRAY[NULL::bigint] ELSE cats END)"
    + " AS u(cat)"
)
_CATEGORY_NOW = (
    _row("{facet}", "{received}", category_id="u.cat")  # noqa: S608 (constants)
    + " FROM (SELECT ARRAY(SELECT l.category_id"
    + " FROM complaints_complaint_categories l WHERE l.complaint_id = c.id)"
    + " AS cats) a, unnest(CASE WHEN cardinality(a.cats) = 0 THEN ARRAY[NULL::bigint]"
    + " ELSE a.cats END) AS u(cat)"
)
# Each counted per day (any period) and per month (whole months: a year reads 12 rows
# a key, not 365); the month rows carry the first day of their month.
_DAY = {
    "received": "c.received_on",
    "settled": "c.settled_on",
    "contact_until": "c.contact_due_on",
    "settle_until": f"({_SETTLE_PENDING_UNTIL})",
}
_MONTH = {
    "received": _MONTH_OF_RECEIPT,
    "contact_until": "date_trunc('month', c.contact_due_on::timestamp)::date",
    "settle_until": f"date_trunc('month', ({_SETTLE_PENDING_UNTIL})::timestamp)::date",
    "settled": "date_trunc('month', c.settled_on::timestamp)::date",
    "next": "date_trunc('month', c.next_due_on::timestamp)::date",
}
MONTHLY = "/m"
# The open complaints by their next term, by day and by month (the month's first day):
# the months before today's and after the last day at risk are read whole, a few rows
# each, and only the days of the months between one by one (`open_rows`).
OPEN, OPEN_MONTHLY = "open", "open" + MONTHLY
_OPEN = _row(OPEN, "c.next_due_on") + " UNION ALL " + _row(OPEN_MONTHLY, _MONTH["next"])
LATER = "later"  # a term not done yet: counted by its own facet (cpend, spend)


def _both(template: str, facet: str) -> str:
    return (
        template.format(facet=facet, **_DAY)
        + " UNION ALL "
        + template.format(facet=facet + MONTHLY, **_MONTH)
    )


# `OFFSET 0` keeps the function's rows a subquery of their own: grouped straight after
# inlining, PostgreSQL 15's planner fails ("variable not found in subplan target list").
_FENCED_ROWS = "(SELECT * FROM kb_figure_rows(c) OFFSET 0)"

FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION kb_figure_category_rows(c complaints_complaint, cats bigint[])
RETURNS TABLE ({_RETURNS}) LANGUAGE sql STABLE AS $$
  {_both(_CATEGORY, "category")}
$$;

CREATE OR REPLACE FUNCTION kb_figure_rows(c complaints_complaint)
RETURNS TABLE ({_RETURNS}) LANGUAGE sql STABLE AS $$
  {_both(_MAIN, "main")}
  UNION ALL {_both(_CONTACT_PENDING, "cpend")}
  UNION ALL {_both(_SETTLE_PENDING, "spend")}
  UNION ALL {_CONTACT_BY_UNTIL}
  UNION ALL {_SETTLE_BY_UNTIL}
  UNION ALL {_both(_SETTLED, "settled")}
  UNION ALL {_both(_CONTACT_DAYS, "contact")}
  UNION ALL {_both(_SETTLE_DAYS, "settle")}
  UNION ALL {_OPEN}
  UNION ALL {_both(_CATEGORY_NOW, "category")}
$$;

CREATE OR REPLACE FUNCTION kb_figures_complaint() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO {TABLE} ({_COLUMNS}, n)
    SELECT {_F_COLUMNS}, count(*) FROM new_rows c, LATERAL {_FENCED_ROWS} f
    GROUP BY {_F_COLUMNS};
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO {TABLE} ({_COLUMNS}, n)
    SELECT {_F_COLUMNS}, -count(*) FROM old_rows c, LATERAL {_FENCED_ROWS} f
    GROUP BY {_F_COLUMNS};
  ELSE
    INSERT INTO {TABLE} ({_COLUMNS}, n)
    SELECT {_COLUMNS}, sum(n) FROM (
      SELECT f.*, 1 AS n FROM new_rows c, LATERAL {_FENCED_ROWS} f
      UNION ALL
      SELECT f.*, -1 AS n FROM old_rows c, LATERAL {_FENCED_ROWS} f
    ) d GROUP BY {_COLUMNS} HAVING sum(n) <> 0;
  END IF;
  RETURN NULL;
END $$;

-- A complaint's categories changed: its category rows now, less those before the statement.
CREATE OR REPLACE FUNCTION kb_figures_categories() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO {TABLE} ({_COLUMNS}, n)
    SELECT {_COLUMNS}, sum(n) FROM (
      SELECT f.*, 1 AS n FROM complaints_complaint c,
      LATERAL (SELECT * FROM kb_figure_category_rows(c, ARRAY(
        SELECT l.category_id FROM {_LINKS} l WHERE l.complaint_id = c.id)) OFFSET 0) f
      WHERE c.id IN (SELECT complaint_id FROM new_links)
      UNION ALL
      SELECT f.*, -1 AS n FROM complaints_complaint c,
      LATERAL (SELECT * FROM kb_figure_category_rows(c, ARRAY(
        SELECT l.category_id FROM {_LINKS} l WHERE l.complaint_id = c.id
        EXCEPT ALL SELECT k.category_id FROM new_links k WHERE k.complaint_id = c.id
      )) OFFSET 0) f
      WHERE c.id IN (SELECT complaint_id FROM new_links)
    ) d GROUP BY {_COLUMNS} HAVING sum(n) <> 0;
  ELSE
    INSERT INTO {TABLE} ({_COLUMNS}, n)
    SELECT {_COLUMNS}, sum(n) FROM (
      SELECT f.*, 1 AS n FROM complaints_complaint c,
      LATERAL (SELECT * FROM kb_figure_category_rows(c, ARRAY(
        SELECT l.category_id FROM {_LINKS} l WHERE l.complaint_id = c.id)) OFFSET 0) f
      WHERE c.id IN (SELECT complaint_id FROM old_links)
      UNION ALL
      SELECT f.*, -1 AS n FROM complaints_complaint c,
      LATERAL (SELECT * FROM kb_figure_category_rows(c, ARRAY(
        SELECT l.category_id FROM {_LINKS} l WHERE l.complaint_id = c.id
        UNION ALL SELECT k.category_id FROM old_links k WHERE k.complaint_id = c.id
      )) OFFSET 0) f
      WHERE c.id IN (SELECT complaint_id FROM old_links)
    ) d GROUP BY {_COLUMNS} HAVING sum(n) <> 0;
  END IF;
  RETURN NULL;
END $$;
"""  # noqa: S608 (built from constants; values are parameters)

TRIGGERS = [
    "DROP TRIGGER IF EXISTS kb_figures_insert ON complaints_complaint",
    "CREATE TRIGGER kb_figures_insert AFTER INSERT ON complaints_complaint "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kb_figures_complaint()",
    "DROP TRIGGER IF EXISTS kb_figures_update ON complaints_complaint",
    "CREATE TRIGGER kb_figures_update AFTER UPDATE ON complaints_complaint "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION kb_figures_complaint()",
    "DROP TRIGGER IF EXISTS kb_figures_delete ON complaints_complaint",
    "CREATE TRIGGER kb_figures_delete AFTER DELETE ON complaints_complaint "
    "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION kb_figures_complaint()",
    f"DROP TRIGGER IF EXISTS kb_figures_link_insert ON {_LINKS}",
    f"CREATE TRIGGER kb_figures_link_insert AFTER INSERT ON {_LINKS} "
    "REFERENCING NEW TABLE AS new_links FOR EACH STATEMENT "
    "EXECUTE FUNCTION kb_figures_categories()",
    f"DROP TRIGGER IF EXISTS kb_figures_link_delete ON {_LINKS}",
    f"CREATE TRIGGER kb_figures_link_delete AFTER DELETE ON {_LINKS} "
    "REFERENCING OLD TABLE AS old_links FOR EACH STATEMENT "
    "EXECUTE FUNCTION kb_figures_categories()",
]

UNINSTALL = [
    "DROP TRIGGER IF EXISTS kb_figures_insert ON complaints_complaint",
    "DROP TRIGGER IF EXISTS kb_figures_update ON complaints_complaint",
    "DROP TRIGGER IF EXISTS kb_figures_delete ON complaints_complaint",
    f"DROP TRIGGER IF EXISTS kb_figures_link_insert ON {_LINKS}",
    f"DROP TRIGGER IF EXISTS kb_figures_link_delete ON {_LINKS}",
    "DROP FUNCTION IF EXISTS kb_figures_categories()",
    "DROP FUNCTION IF EXISTS kb_figures_complaint()",
    "DROP FUNCTION IF EXISTS kb_figure_rows(complaints_complaint)",
    "DROP FUNCTION IF EXISTS kb_figure_category_rows(complaints_complaint, bigint[])",
]

# Everything counted again from the complaints, in one statement: one snapshot, so a
# step committed while it runs is counted once (its rows either deleted here and its
# complaint read as it is now, or left standing and its complaint read as before).
REBUILD = f"""
WITH gone AS (DELETE FROM {TABLE})
INSERT INTO {TABLE} ({_COLUMNS}, n)
SELECT {_F_COLUMNS}, count(*) FROM complaints_complaint c, LATERAL {_FENCED_ROWS} f
GROUP BY {_F_COLUMNS} ORDER BY f.facet, f.day
"""  # noqa: S608 (built from constants; values are parameters)
# The rows of one key added together; rows appended meanwhile stay as they are. Both
# write the rows in the order of the (facet, day) index, so a period reads a few
# neighbouring pages.
COMPACT = f"""
WITH gone AS (DELETE FROM {TABLE} RETURNING {_COLUMNS}, n)
INSERT INTO {TABLE} ({_COLUMNS}, n)
SELECT {_COLUMNS}, sum(n) FROM gone GROUP BY {_COLUMNS} HAVING sum(n) <> 0 ORDER BY facet, day
"""  # noqa: S608 (built from constants; values are parameters)


def available() -> bool:
    """Whether the figures come from the aggregates (PostgreSQL) or are counted (elsewhere)."""
    return connection.vendor == "postgresql"


def install(schema_editor) -> None:
    """Migrations: the functions and triggers, then the counts of what is there (backfill)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTIONS, params=None)
    for statement in TRIGGERS:
        schema_editor.execute(statement, params=None)
    schema_editor.execute(REBUILD, params=None)


def uninstall(schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in UNINSTALL:
        schema_editor.execute(statement, params=None)


def figures_rebuild() -> int:
    """Count every complaint again (after a restore, or to repair); returns the rows kept."""
    if not available():
        return 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(REBUILD)
        return cursor.rowcount


def figures_compact() -> int:
    """Add the appended rows of each key together (the daily tick); returns the rows kept."""
    if not available():
        return 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(COMPACT)
        return cursor.rowcount


# --- reading ------------------------------------------------------------------------


# The columns every part of `period_rows` reads as they are.
_PART = (
    "district_id, handler_id, manager_concerned_id, state, verdict, complainant_type,"
    " extended, settled, days, category_id, n"
)


def percentiles_of(histogram: dict[int, int], fractions: tuple[float, ...] = (0.5, 0.9)):
    """How many, and the continuous percentiles (as percentile_cont) of counted values."""
    n = sum(histogram.values())
    if n == 0:
        return 0, dict.fromkeys(fractions)
    ordered = sorted((value, count) for value, count in histogram.items() if count)

    def at(position: int) -> int:
        seen = 0
        for value, count in ordered:
            seen += count
            if position < seen:
                return value
        return ordered[-1][0]

    values = {}
    for fraction in fractions:
        rank = fraction * (n - 1)
        low = math.floor(rank)
        share = rank - low
        first = at(low)
        values[fraction] = float(first) if share == 0 else first + share * (at(low + 1) - first)
    return n, values


def visible_sql(user) -> tuple[str, list]:
    """The access rule (P3.2) on the aggregates' columns, as `complaints_visible_to` has it.

    Quality manager and board: all; district manager: their districts' and those
    assigned to them, never one about themselves; anyone else: nothing. The
    access-matrix test (tests/reporting/test_aggregates.py) holds the two together.
    """
    role = role_of(user)
    if role in (Role.QUALITY_MANAGER, Role.BOARD):
        return "manager_concerned_id IS DISTINCT FROM %s", [user.pk]
    if role == Role.DISTRICT_MANAGER:
        return (
            "(district_id IN (SELECT id FROM organisation_district WHERE manager_id = %s)"
            " OR handler_id = %s) AND manager_concerned_id IS DISTINCT FROM %s",
            [user.pk, user.pk, user.pk],
        )
    return "false", []


def period_rows(user, *, start: dt.date, end: dt.date, today: dt.date) -> list[tuple]:
    """Every count of the complaints received (or, `settled`, settled) in the period.

    One query, a few hundred rows whatever the number of complaints: (facet, month,
    district, state, verdict, type, extended, settled, contact, settle, days,
    category, grouping, n), the terms already as met / missed / open on `today`.
    """
    where, params = visible_sql(user)
    # Whole months from the month rows, the days before and after them from the day rows:
    # each a range of the (facet, day) index.
    first = start if start.day == 1 else _next_month(start)
    last = _month_of(end + dt.timedelta(days=1))  # the month rows end before this
    monthly = [f"{facet}{MONTHLY}" for facet in PERIOD_FACETS]
    this_month = _month_of(today)
    if first < last:
        ranges = [(monthly, first, last), (PERIOD_FACETS, start, first)]
        ranges.append((PERIOD_FACETS, last, end + dt.timedelta(days=1)))
    else:
        ranges = [(PERIOD_FACETS, start, end + dt.timedelta(days=1))]
    spans = " OR ".join("(facet = ANY(%s) AND day >= %s AND day < %s)" for _ in ranges)
    span_params = [value for span in ranges for value in span]
    # A term pending until a day of today's month: not from the month rows (they have
    # only its month) but from the rows by that day, for the whole months of receipt.
    until = f"""
        UNION ALL
        SELECT %s::text, {{until}} AS day, {_PART}, {{rest}} FROM {TABLE}
        WHERE facet = %s AND day >= %s AND day < %s AND {{until}} >= %s AND {{until}} < %s
    """  # noqa: S608 (built from constants; values are parameters)
    parts = f"""
        SELECT facet, day, {_PART}, contact, contact_until, settle, settle_until FROM {TABLE}
        WHERE ({spans})
          AND (facet <> %s OR contact_until IS DISTINCT FROM %s)
          AND (facet <> %s OR settle_until IS DISTINCT FROM %s)
    """  # noqa: S608 (built from constants; values are parameters)
    parts_params = [
        *span_params,
        "cpend" + MONTHLY,
        this_month,
        "spend" + MONTHLY,
        this_month,
    ]
    if first < last:
        for facet, column, rest in (
            ("cpend", "contact_until", "contact, day, settle, settle_until"),
            ("spend", "settle_until", "contact, contact_until, settle, day"),
        ):
            parts += until.format(until=column, rest=rest)
            parts_params += [
                facet + MONTHLY,
                facet + BY_UNTIL,
                this_month,
                _next_month(this_month),
                first,
                last,
            ]
    # Added up by key first (the terms as missed or open today: a pending term's many
    # dates become two values), then grouped four ways at once, so a few hundred rows
    # come back, not one per key: by everything but month, district and type; and by
    # state with each of those three.
    sql = f"""
      SELECT facet, month, district, state, verdict, kind, extended, settled, contact, settle,
             days, category, GROUPING(month, district, kind), sum(n)::bigint
      FROM (
        SELECT split_part(facet, '/', 1) AS facet,
               date_trunc('month', day::timestamp)::date AS month, district_id AS district,
               state, verdict, complainant_type AS kind, extended, settled,
               CASE WHEN contact = 'pending' AND contact_until < %s THEN 'missed'
                    WHEN contact = 'pending' THEN 'open' ELSE contact END AS contact,
               CASE WHEN settle = 'pending' AND settle_until < %s THEN 'missed'
                    WHEN settle = 'pending' THEN 'open' ELSE settle END AS settle,
               days, category_id AS category, sum(n) AS n
        FROM ({parts}) f
        WHERE {where}
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12
      ) rows
      GROUP BY GROUPING SETS (
        (facet, state, verdict, extended, settled, contact, settle, days, category),
        (facet, state, month), (facet, state, district), (facet, state, kind)
      )
      HAVING sum(n) <> 0
    """  # noqa: S608 (built from constants; values are parameters)
    with connection.cursor() as cursor:
        cursor.execute(sql, [today, today, *parts_params, *params])
        return cursor.fetchall()


# GROUPING(month, district, kind): which of the four groupings a row is.
SPLITS = {0b111: "all", 0b011: "month", 0b101: "district", 0b110: "kind"}


def _month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def open_rows(user, *, first: dt.date, last: dt.date) -> list[tuple]:
    """(state, next term, n) of every complaint `user` may see, by state and next term.

    Exact for every next term from `first` to `last` (today and the last day at risk:
    what `open_by_term` tells apart) and for none; a term in a month wholly before or
    after those days comes as the first day of its month, so that the months far off
    are read as one row a key instead of one a day.
    """
    where, params = visible_sql(user)
    sql = f"""
      SELECT state, day, sum(n) FROM {TABLE}
      WHERE ((facet = %s AND (day < %s OR day >= %s))
             OR (facet = %s AND ((day >= %s AND day < %s) OR day IS NULL)))
        AND {where}
      GROUP BY 1, 2 HAVING sum(n) <> 0
    """  # noqa: S608 (built from constants; values are parameters)
    exact_from, exact_until = _month_of(first), _next_month(last)
    with connection.cursor() as cursor:
        cursor.execute(
            sql, [OPEN_MONTHLY, exact_from, exact_until, OPEN, exact_from, exact_until, *params]
        )
        return cursor.fetchall()


def by_facet(rows: list[tuple]) -> dict[tuple[str, str], list[tuple]]:
    """The rows of `period_rows` by (facet, grouping), without those two columns:
    (month, district, state, verdict, type, extended, settled, contact, settle, days,
    category, n)."""
    grouped: dict[tuple[str, str], list[tuple]] = defaultdict(list)
    for row in rows:
        grouped[row[0], SPLITS[row[12]]].append((*row[1:12], row[13]))
    return grouped
