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
from collections import defaultdict
from collections.abc import Iterable, Iterator

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from klachtbeheer.complaints.models import Complaint, Measure
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


def _choices(field: str) -> dict[str, str]:
    return {key: str(label) for key, label in Complaint._meta.get_field(field).choices}


class _Labels:
    """Every label an export needs, translated and looked up once."""

    def __init__(self) -> None:
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
        self.district = dict(District.objects.values_list("pk", "name"))
        self.handler = {
            user.pk: user.get_full_name() or user.get_username()
            for user in get_user_model().objects.only("pk", "username", "first_name", "last_name")
        }

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
            ", ".join(categories),
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
            " | ".join(text for text, _done in measures),
            sum(1 for _text, done in measures if not done),
        ]


def _chunk_details(ids: list[int]) -> tuple[dict[int, list[str]], dict[int, list]]:
    categories: dict[int, list[str]] = defaultdict(list)
    through = Complaint.categories.through.objects.filter(complaint_id__in=ids)
    for complaint_id, name in through.order_by("category__name").values_list(
        "complaint_id", "category__name"
    ):
        categories[complaint_id].append(name)
    measures: dict[int, list] = defaultdict(list)
    for complaint_id, text, done_on in (
        Measure.objects.filter(complaint_id__in=ids)
        .order_by("id")
        .values_list("complaint_id", "description", "done_on")
    ):
        measures[complaint_id].append((text, done_on is not None))
    return categories, measures


def rows(queryset: QuerySet[Complaint]) -> Iterator[list]:
    """Register rows of `queryset` (from `reporting.selectors.register`), streamed.

    Dates stay dates (the XLSX keeps them as dates).
    """
    labels = _Labels()
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


def _text(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(neutral(value))


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(queryset: QuerySet[Complaint], *, lines_per_piece: int = 500) -> Iterable[str]:
    """The register as CSV (semicolons, UTF-8 with BOM: what Excel in Dutch opens).

    Yields pieces of `lines_per_piece` lines: the first comes before the query's
    first chunk is read, so the download starts at once.
    """
    writer = csv.writer(_Echo(), delimiter=";")
    yield "\ufeff" + writer.writerow(columns())
    piece: list[str] = []
    for values in rows(queryset):
        piece.append(writer.writerow([_text(v) for v in values]))
        if len(piece) >= lines_per_piece:
            yield "".join(piece)
            piece = []
    if piece:
        yield "".join(piece)


def xlsx_write(queryset: QuerySet[Complaint], out) -> None:
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
    for values in rows(queryset):
        cells = []
        for value in values:
            if formula_like(value):
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"
                cell.quotePrefix = True
                cells.append(cell)
            elif hasattr(value, "isoformat"):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "yyyy-mm-dd"
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
    workbook.save(out)


def xlsx_bytes(queryset: QuerySet[Complaint]) -> bytes:
    out = io.BytesIO()
    xlsx_write(queryset, out)
    return out.getvalue()
