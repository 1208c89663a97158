"""The tamper-evident record read as a whole: verify the chain, export the audit log.

The chain itself lives in `core.chain`; this layer knows which erased rows were
erased rightly (their complaint was anonymised, or their record's term ran out).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from typing import Any

from klachtbeheer.complaints.models import Complaint
from klachtbeheer.core import chain
from klachtbeheer.core.models import AuditEntry


def _anonymised_ids() -> set[int]:
    return set(Complaint.objects.filter(anonymised_at__isnull=False).values_list("id", flat=True))


def verify() -> chain.Result:
    """The whole chain; an erased row fits when its complaint was anonymised, or when it
    belongs to no complaint (a held submission, an e-mail or a list view whose term ran
    out: those are erased only by the retention job, which records it)."""
    anonymised = _anonymised_ids()

    def erased_ok(table: str, row: dict[str, Any]) -> bool:
        complaint = (
            row.get("complaint_ref") if table == "core_auditentry" else row.get("complaint_id")
        )
        return complaint is None or complaint in anonymised

    return chain.verify(erased_ok=erased_ok)


EXPORT_FIELDS = [
    "seq",
    "at",
    "actor",
    "action",
    "target_type",
    "target_id",
    "complaint",
    "data",
    "content_hash",
    "chain_hash",
]


def audit_rows(start: dt.date, end: dt.date) -> Iterator[dict[str, Any]]:
    """The audit log of a period (both days included), in the order of the chain."""
    rows = (
        AuditEntry.objects.filter(at__date__gte=start, at__date__lte=end)
        .select_related("actor")
        .order_by("chain_seq", "id")
    )
    for entry in rows.iterator(chunk_size=1000):
        yield {
            "seq": entry.chain_seq,
            "at": entry.at.isoformat(),
            "actor": entry.actor.get_username() if entry.actor else "",
            "action": entry.action,
            "target_type": entry.target_type,
            "target_id": entry.target_id,
            "complaint": entry.complaint_ref,
            "data": entry.data,
            "content_hash": entry.content_hash,
            "chain_hash": entry.chain_hash,
        }


def audit_csv(start: dt.date, end: dt.date) -> str:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS, delimiter=";")
    writer.writeheader()
    for row in audit_rows(start, end):
        writer.writerow({**row, "data": json.dumps(row["data"], ensure_ascii=False)})
    return out.getvalue()


def audit_json(start: dt.date, end: dt.date) -> str:
    return json.dumps(
        {"from": start.isoformat(), "to": end.isoformat(), "entries": list(audit_rows(start, end))},
        ensure_ascii=False,
        indent=1,
    )
