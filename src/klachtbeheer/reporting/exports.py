"""The register as CSV and XLSX, for auditors (P5.1).

Same rows as the page (the same selector, so P3.2 holds), every row, oldest
first. No names or contact details of complainants: the reference leads to the
file for whoever may open it (P5.3, data minimisation).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from klachtbeheer.complaints.models import Complaint

TERM_WORDS = {"met": "met", "missed": "missed", "open": "open", "n/a": "n/a"}


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


def _term(value: str) -> str:
    return {
        "met": _("met"),
        "missed": _("missed"),
        "open": _("open"),
        "n/a": _("not applicable"),
    }.get(value, value)


def row(complaint: Complaint) -> list:
    """One register row; dates stay dates (the XLSX keeps them as dates)."""
    measures = list(complaint.measures.all())
    handler = complaint.handler
    return [
        complaint.reference,
        complaint.received_on,
        complaint.get_channel_display(),
        complaint.get_complainant_type_display(),
        _("yes") if complaint.is_uwv_client else _("no"),
        complaint.district.name if complaint.district else "",
        (handler.get_full_name() or handler.get_username()) if handler else "",
        _("yes") if complaint.manager_concerned_id else _("no"),
        complaint.get_state_display(),
        ", ".join(c.name for c in complaint.categories.all()),
        complaint.get_verdict_display() if complaint.verdict else "",
        complaint.decided_on,
        complaint.contact_due_on,
        complaint.contacted_on,
        complaint.days_to_contact,
        _term(complaint.contact_term),
        complaint.settle_due_on,
        complaint.extended_until,
        complaint.extension_notice_sent_on,
        complaint.settle_due_counted,
        complaint.settled_on,
        complaint.days_to_settle,
        _term(complaint.settle_term),
        complaint.closed_on,
        " | ".join(m.description for m in measures),
        sum(1 for m in measures if m.done_on is None),
    ]


def _rows(queryset: QuerySet[Complaint]) -> Iterator[list]:
    # Chunks keep memory flat on a large register; prefetches run per chunk.
    for complaint in queryset.iterator(chunk_size=2000):
        yield row(complaint)


def _text(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(queryset: QuerySet[Complaint]) -> Iterable[str]:
    """The register as CSV lines (semicolons, UTF-8 with BOM: what Excel in Dutch opens)."""
    writer = csv.writer(_Echo(), delimiter=";")
    yield "\ufeff" + writer.writerow(columns())
    for values in _rows(queryset):
        yield writer.writerow([_text(v) for v in values])


def xlsx_bytes(queryset: QuerySet[Complaint]) -> bytes:
    """The register as an XLSX workbook (openpyxl, write-only: constant memory per row)."""
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
    for values in _rows(queryset):
        cells = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=value)
            if hasattr(value, "isoformat"):
                cell.number_format = "yyyy-mm-dd"
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
