"""The register as CSV and XLSX, for auditors (P5.1).

Same rows as the page (the same selector, so P3.2 holds), every row, oldest
first. No names or contact details of complainants: the reference leads to the
file for whoever may open it (P5.3, data minimisation).

Built for a register of a million rows (issue 15): plain values read through a
server-side cursor (`values_list(...).iterator()`), labels of choices, districts
and handlers looked up in maps built once per export, categories and measures
fetched per chunk of rows (two queries per chunk). Text that a spreadsheet would
take for a formula is neutralised (`neutral`): readable as typed, never run.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator

from django.contrib.auth import get_user_model
from django.db import connection, connections
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from klachtbeheer.complaints.models import Category, Complaint, Measure
from klachtbeheer.organisation.models import District

CHUNK = 5000

# What makes a spreadsheet read a cell as a formula (or, after a tab or carriage
# return, as the start of one): OWASP's list for CSV injection.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_like(value: object) -> bool:
    """Whether `value` is text a spreadsheet would evaluate."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def neutral(value: object) -> object:
    """`value` as CSV may carry it: formula-like text gets a leading apostrophe (shown, not run)."""
    return "'" + value if formula_like(value) else value


def columns() -> list[str]:
    return [
        _("Reference"),
        _("Received on"),
        _("Channel"),
        _("Complainant"),
        _("UWV client"),
        _("District"),
        _("Handler"),
        _("About a district manager"),
        _("State"),
        _("Categories"),
        _("Verdict"),
        _("Verdict on"),
        _("Contact due"),
        _("Contacted on"),
        _("Days to contact"),
        _("Contact term"),
        _("Settlement due"),
        _("Extended until"),
        _("Extension notice sent on"),
        _("Settlement date that counts"),
        _("Settled on"),
        _("Days to settlement"),
        _("Settlement term"),
        _("Closed on"),
        _("Measures"),
        _("Measures open"),
    ]


# The values read per complaint, in the order `_Labels.row` uses them.
FIELDS = (
    "id",
    "reference",
    "received_on",
    "channel",
    "complainant_type",
    "is_uwv_client",
    "district_id",
    "handler_id",
    "manager_concerned_id",
    "state",
    "verdict",
    "decided_on",
    "contact_due_on",
    "contacted_on",
    "days_to_contact",
    "contact_term",
    "settle_due_on",
    "extended_until",
    "extension_notice_sent_on",
    "settle_due_counted",
    "settled_on",
    "days_to_settle",
    "settle_term",
    "closed_on",
)


def _same(value):
    return value


def _choices(field: str) -> dict[str, str]:
    return {key: str(label) for key, label in Complaint._meta.get_field(field).choices}


class _Labels:
    """Every label an export needs, translated and looked up once."""

    def __init__(self, *, for_csv: bool = False) -> None:
        # For CSV every text is neutralised here, once per label or name, instead of
        # once per cell; the XLSX keeps the text as typed and marks it as text.
        self.text = neutral if for_csv else _same
        self.channel = _choices("channel")
        self.complainant_type = _choices("complainant_type")
        self.state = _choices("state")
        self.verdict = _choices("verdict")
        self.yes, self.no = _("yes"), _("no")
        self.term = {
            "met": _("met"),
            "missed": _("missed"),
            "open": _("open"),
            "n/a": _("not applicable"),
        }
        self.district = {
            pk: self.text(name) for pk, name in District.objects.values_list("pk", "name")
        }
        self.handler = {
            user.pk: self.text(user.get_full_name() or user.get_username())
            for user in get_user_model().objects.only("pk", "username", "first_name", "last_name")
        }
        if for_csv:
            for labels in (
                self.channel,
                self.complainant_type,
                self.state,
                self.verdict,
                self.term,
            ):
                for key, label in labels.items():
                    labels[key] = neutral(label)
            self.yes, self.no = neutral(self.yes), neutral(self.no)

    def row(self, values: tuple, categories: list[str], measures: list[tuple[str, bool]]) -> list:
        (
            _pk,
            reference,
            received_on,
            channel,
            complainant_type,
            is_uwv_client,
            district_id,
            handler_id,
            manager_concerned_id,
            state,
            verdict,
            decided_on,
            contact_due_on,
            contacted_on,
            days_to_contact,
            contact_term,
            settle_due_on,
            extended_until,
            extension_notice_sent_on,
            settle_due_counted,
            settled_on,
            days_to_settle,
            settle_term,
            closed_on,
        ) = values
        return [
            reference,
            received_on,
            self.channel.get(channel, channel),
            self.complainant_type.get(complainant_type, complainant_type),
            self.yes if is_uwv_client else self.no,
            self.district.get(district_id, ""),
            self.handler.get(handler_id, ""),
            self.yes if manager_concerned_id else self.no,
            self.state.get(state, state),
            self.text(", ".join(categories)) if categories else "",
            self.verdict.get(verdict, verdict) if verdict else "",
            decided_on,
            contact_due_on,
            contacted_on,
            days_to_contact,
            self.term.get(contact_term, contact_term),
            settle_due_on,
            extended_until,
            extension_notice_sent_on,
            settle_due_counted,
            settled_on,
            days_to_settle,
            self.term.get(settle_term, settle_term),
            closed_on,
            self.text(" | ".join(text for text, _done in measures)) if measures else "",
            sum(1 for _text, done in measures if not done),
        ]


def _chunk_details(ids: list[int]) -> tuple[dict[int, list[str]], dict[int, list]]:
    """Categories and measures of the complaints `ids`: two queries, the ids one array.

    `= ANY(%s)` with one array parameter, not `IN (%s, %s, ...)`: thousands of
    placeholders cost more to build and parse than the rows cost to read.
    """
    through = Complaint.categories.through._meta
    category = Category._meta
    measure = Measure._meta
    categories: dict[int, list[str]] = defaultdict(list)
    measures: dict[int, list] = defaultdict(list)
    if connection.vendor != "postgresql":
        for complaint_id, name in (
            Complaint.categories.through.objects.filter(complaint_id__in=ids)
            .order_by("category__name", "category_id")
            .values_list("complaint_id", "category__name")
        ):
            categories[complaint_id].append(name)
        for complaint_id, text, done_on in (
            Measure.objects.filter(complaint_id__in=ids)
            .order_by("id")
            .values_list("complaint_id", "description", "done_on")
        ):
            measures[complaint_id].append((text, done_on is not None))
        return categories, measures
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT t.complaint_id, c.name FROM {through.db_table} t "  # noqa: S608 (table names)
            f"JOIN {category.db_table} c ON c.id = t.category_id "
            "WHERE t.complaint_id = ANY(%s) ORDER BY c.name, c.id",
            [ids],
        )
        for complaint_id, name in cursor.fetchall():
            categories[complaint_id].append(name)
        cursor.execute(
            f"SELECT complaint_id, description, done_on IS NOT NULL FROM {measure.db_table} "  # noqa: S608
            "WHERE complaint_id = ANY(%s) ORDER BY id",
            [ids],
        )
        for complaint_id, text, done in cursor.fetchall():
            measures[complaint_id].append((text, done))
    return categories, measures


def rows(queryset: QuerySet[Complaint], *, for_csv: bool = False) -> Iterator[list]:
    """Register rows of `queryset` (from `reporting.selectors.register`), streamed.

    Dates stay dates (the XLSX keeps them as dates). `for_csv`: every text
    already neutralised (`neutral`).
    """
    labels = _Labels(for_csv=for_csv)
    values = queryset.select_related(None).prefetch_related(None).values_list(*FIELDS)
    chunk: list[tuple] = []
    for item in values.iterator(chunk_size=CHUNK):
        chunk.append(item)
        if len(chunk) == CHUNK:
            yield from _chunk_rows(labels, chunk)
            chunk = []
    if chunk:
        yield from _chunk_rows(labels, chunk)


def _chunk_rows(labels: _Labels, chunk: list[tuple]) -> Iterator[list]:
    categories, measures = _chunk_details([item[0] for item in chunk])
    for item in chunk:
        yield labels.row(item, categories.get(item[0], []), measures.get(item[0], []))


class Counter:
    """Counts the rows an export wrote (`csv_lines(..., counter=...)`)."""

    rows = 0


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(
    queryset: QuerySet[Complaint], *, lines_per_piece: int = 500, counter: Counter | None = None
) -> Iterable[str]:
    """The register as CSV (semicolons, UTF-8 with BOM: what Excel in Dutch opens).

    Yields pieces of text: the header comes before the query runs, so the
    download starts at once. On PostgreSQL the rows come from `COPY ... TO
    STDOUT` (`_copy_lines`, issue 15.5); elsewhere from `rows` through Python's
    csv writer, `lines_per_piece` lines at a time.
    """
    writer = csv.writer(_Echo(), delimiter=";")
    yield "\ufeff" + writer.writerow(columns())
    if connections[queryset.db].vendor == "postgresql":
        yield from _copy_lines(queryset, counter)
        return
    piece: list[str] = []
    # Dates print as ISO dates and None as an empty cell (csv's own str()); the text
    # is neutralised in `rows(for_csv=True)`.
    for values in rows(queryset, for_csv=True):
        piece.append(writer.writerow(values))
        if len(piece) >= lines_per_piece:
            if counter is not None:
                counter.rows += len(piece)
            yield "".join(piece)
            piece = []
    if piece:
        if counter is not None:
            counter.rows += len(piece)
        yield "".join(piece)


def neutral_sql(expression: str) -> str:
    """`neutral` in SQL for the text `expression`; takes one parameter, `FORMULA_STARTS`.

    The same rule as `neutral`: tests/reporting/test_export_jobs.py holds the
    two together with generated text.
    """
    return (
        f"CASE WHEN left({expression}, 1) = ANY(%s::text[]) "
        f"THEN chr(39) || {expression} ELSE {expression} END"
    )


def _label(mapping: dict, params: list, column: str, *, fallback: str) -> str:
    """The label of `column` from `mapping`, passed once as a JSON object (one parameter).

    A JSON object is looked up per row in the database (`->>`, a binary search)
    without a join, so the plan needs no hash of the labels and no extra sort.
    """
    params.append(json.dumps({str(key): value for key, value in mapping.items()}))
    return f'coalesce(%s::jsonb ->> r."{column}"::text, {fallback})'


def _copy_sql(queryset: QuerySet[Complaint], labels: _Labels) -> tuple[str, list]:
    """One statement that writes the register's CSV rows (PostgreSQL's COPY).

    The register's own query (access by P3.2 and the filters in its WHERE) is the
    inner select, read once into `r` (unsorted); labels and names come from the
    maps in `labels`, built once and already neutral, passed as JSON objects;
    categories and measures are aggregated for the complaints of `r` only and
    joined by hash; one sort at the end puts the rows in the register's order.
    Dates are written by PostgreSQL's own date output (ISO, `_copy_lines` sets
    DateStyle), as Python's csv writer writes them.
    """
    inner = queryset.select_related(None).prefetch_related(None).order_by().values_list(*FIELDS)
    sql, inner_params = inner.query.get_compiler(using=queryset.db).as_sql()
    # Every column of the inner select carries its name (`AS "received_on"`).
    through = Complaint.categories.through._meta.db_table
    category = Category._meta.db_table
    measure = Measure._meta.db_table
    params: list = []

    def label(mapping: dict, column: str, fallback: str | None = None) -> str:
        return _label(mapping, params, column, fallback=fallback or f'r."{column}"')

    def yes_no(condition: str) -> str:
        params.extend([labels.yes, labels.no])
        return f"CASE WHEN {condition} THEN %s ELSE %s END"

    def neutral_text(expression: str) -> str:
        params.append(list(FORMULA_STARTS))
        return f"coalesce({neutral_sql(expression)}, '')"

    select = [
        'r."reference"',
        'r."received_on"',
        label(labels.channel, "channel"),
        label(labels.complainant_type, "complainant_type"),
        yes_no('r."is_uwv_client"'),
        label(labels.district, "district_id", "''"),
        label(labels.handler, "handler_id", "''"),
        yes_no('r."manager_concerned_id" IS NOT NULL'),
        label(labels.state, "state"),
        neutral_text("a.cats"),
        "CASE WHEN r.\"verdict\" = '' THEN '' ELSE " + label(labels.verdict, "verdict") + " END",
        'r."decided_on"',
        'r."contact_due_on"',
        'r."contacted_on"',
        'r."days_to_contact"',
        label(labels.term, "contact_term"),
        'r."settle_due_on"',
        'r."extended_until"',
        'r."extension_notice_sent_on"',
        'r."settle_due_counted"',
        'r."settled_on"',
        'r."days_to_settle"',
        label(labels.term, "settle_term"),
        'r."closed_on"',
        neutral_text("b.meas"),
        "coalesce(b.meas_open, 0)",
    ]
    # Table names and column names from the models only; every value is a parameter.
    details = (
        "LEFT JOIN (SELECT t.complaint_id, "  # noqa: S608
        "string_agg(c.name, ', ' ORDER BY c.name, c.id) AS cats "
        f"FROM {through} t JOIN {category} c ON c.id = t.category_id "
        'WHERE t.complaint_id IN (SELECT "id" FROM r) GROUP BY t.complaint_id) AS a '
        'ON a.complaint_id = r."id" '
        "LEFT JOIN (SELECT m.complaint_id, string_agg(m.description, ' | ' ORDER BY m.id) AS meas, "
        "count(*) FILTER (WHERE m.done_on IS NULL) AS meas_open "
        f'FROM {measure} m WHERE m.complaint_id IN (SELECT "id" FROM r) '
        'GROUP BY m.complaint_id) AS b ON b.complaint_id = r."id" '
    )
    statement = (
        f"COPY (WITH r AS MATERIALIZED ({sql}) "  # noqa: S608
        f"SELECT {', '.join(select)} FROM r {details}"
        'ORDER BY r."received_on", r."id") TO STDOUT WITH (FORMAT csv, DELIMITER \';\')'
    )
    # Parameters in the order they appear: inner query, then the select list.
    return statement, [*inner_params, *params]


# What COPY hands over is one row at a time; pieces of about this many bytes go out.
PIECE_BYTES = 256 * 1024


def _copy_lines(queryset: QuerySet[Complaint], counter: Counter | None) -> Iterator[str]:
    labels = _Labels(for_csv=True)
    statement, params = _copy_sql(queryset, labels)
    with connections[queryset.db].cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor: COPY streams row by row
        # JIT compiling this plan costs seconds and gains nothing on a plain scan;
        # dates as ISO (YYYY-MM-DD) whatever the server's default.
        raw.execute("SELECT set_config('jit', 'off', false), set_config('datestyle', 'ISO', false)")
        try:
            with raw.copy(statement, params) as copy:
                # One row per block: gathered into pieces, so that a download is a few
                # hundred writes per megabyte-sized stretch instead of one per row.
                piece = bytearray()
                for block in copy:
                    piece += block
                    if len(piece) >= PIECE_BYTES:
                        yield piece.decode("utf-8")
                        piece.clear()
                if piece:
                    yield piece.decode("utf-8")
            if counter is not None:
                counter.rows += max(raw.rowcount, 0)
        finally:
            raw.execute("RESET jit")
            raw.execute("RESET datestyle")


def xlsx_write(queryset: QuerySet[Complaint], out) -> int:
    """The register as an XLSX workbook into the binary file `out` (openpyxl, write-only).

    Text cells are always text: formula-like text is kept exactly as typed and
    marked as text (`quotePrefix`), so a spreadsheet shows it and never runs it.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Register"))
    sheet.freeze_panes = "B2"
    header = []
    for title in columns():
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    count = 0
    # Dates are appended as they are: openpyxl gives a date the format yyyy-mm-dd
    # itself. Only formula-like text needs a cell of its own (one in many thousands).
    for values in rows(queryset):
        count += 1
        sheet.append(
            [_text_cell(sheet, value) if formula_like(value) else value for value in values]
        )
    workbook.save(out)
    return count


def _text_cell(sheet, value: str):
    """A cell that shows `value` exactly as typed and never runs it (text, quote prefix)."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


def xlsx_bytes(queryset: QuerySet[Complaint]) -> bytes:
    out = io.BytesIO()
    xlsx_write(queryset, out)
    return out.getvalue()
