"""Very large register exports, made by the worker into a file (issue 15.5).

An export of more rows than `EXPORT_WORKER_ROWS` (CSV) or
`EXPORT_WORKER_ROWS_XLSX` (a workbook is built whole, so sooner) is not made in
the request: `job_request` records an `ExportJob` and queues `make_export`; the
worker runs `job_make`, which applies the stored filters with the requester's
access at that moment (the same selector as the page, so P3.2 holds in the
query) and writes the file under the data directory's `exports/`. Only the
requester downloads it (`job_for`), until the tick removes it after
`EXPORT_KEEP_HOURS` (`jobs_prune`). Every request, file and download is in the
audit log (`register.export`).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.http import QueryDict
from django.tasks import task

from klachtbeheer.complaints.models import Complaint
from klachtbeheer.core import clock
from klachtbeheer.core.audit import AuditAction, audit
from klachtbeheer.organisation.models import Organisation
from klachtbeheer.reporting import exports
from klachtbeheer.reporting.forms import RegisterFilterForm
from klachtbeheer.reporting.models import ExportJob
from klachtbeheer.reporting.selectors import register

logger = logging.getLogger(__name__)

FORMATS = tuple(ExportJob.Format.values)


def threshold(fmt: str) -> int:
    """Rows above which an export of `fmt` is made by the worker."""
    if fmt == ExportJob.Format.XLSX:
        return int(getattr(settings, "EXPORT_WORKER_ROWS_XLSX", 20_000))
    return int(getattr(settings, "EXPORT_WORKER_ROWS", 200_000))


def keep_for() -> dt.timedelta:
    return dt.timedelta(hours=float(getattr(settings, "EXPORT_KEEP_HOURS", 24)))


def directory() -> Path:
    return Path(settings.DATA_DIR) / "exports"


def too_large_for_request(fmt: str, queryset: QuerySet[Complaint]) -> bool:
    """Whether `queryset` has more rows than `fmt` makes in a request (counted up to the limit)."""
    limit = threshold(fmt)
    return queryset.order_by().values("pk")[: limit + 1].count() > limit


def audit_streamed(*, actor, fmt: str, query: str) -> None:
    """The audit row of an export made in the request."""
    with transaction.atomic(durable=True):
        audit(
            actor=actor,
            action=AuditAction.REGISTER_EXPORT,
            target=Organisation.current(),
            format=fmt,
            filtered=bool(query),
            made="request",
        )


def job_request(*, actor, fmt: str, query: str) -> ExportJob:
    """Record an export for the worker to make, and queue it (one transaction)."""
    with transaction.atomic(durable=True):
        job = ExportJob.objects.create(requester=actor, format=fmt, query=query)
        audit(
            actor=actor,
            action=AuditAction.REGISTER_EXPORT,
            target=job,
            format=fmt,
            filtered=bool(query),
            made="worker",
        )
        make_export.enqueue(job.pk)
    return job


def _queryset(job: ExportJob) -> QuerySet[Complaint]:
    form = RegisterFilterForm(QueryDict(job.query) if job.query else None)
    if form.is_bound and not form.is_valid():
        # The filters were valid when asked for; a category removed since makes them
        # invalid now. Never fall back to everything (issue 14).
        raise ValueError("the export's filters are no longer valid")
    return register(job.requester, filters=form.filters(), today=clock.today())


def job_make(job_id: int) -> str:
    """Make the file of export `job_id` (the worker's task); returns its new state."""
    with transaction.atomic():
        job = (
            ExportJob.objects.select_for_update()
            .select_related("requester")
            .filter(pk=job_id, state=ExportJob.State.QUEUED)
            .first()
        )
        if job is None:
            return "gone"
        job.state = ExportJob.State.RUNNING
        job.save(update_fields=["state"])
    folder = directory()
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.{job.format}"
    partial = folder / f".{name}.part"
    try:
        queryset = _queryset(job)
        if job.format == ExportJob.Format.XLSX:
            with partial.open("wb") as out:
                count = exports.xlsx_write(queryset, out)
        else:
            counter = exports.Counter()
            with partial.open("w", encoding="utf-8", newline="") as out:
                for piece in exports.csv_lines(queryset, counter=counter):
                    out.write(piece)
            count = counter.rows
        os.replace(partial, folder / name)
    except Exception:
        logger.exception("Register export %s failed", job_id)
        partial.unlink(missing_ok=True)
        ExportJob.objects.filter(pk=job_id).update(
            state=ExportJob.State.FAILED, finished_at=clock.now()
        )
        return ExportJob.State.FAILED
    now = clock.now()
    with transaction.atomic():
        ExportJob.objects.filter(pk=job_id).update(
            state=ExportJob.State.READY,
            finished_at=now,
            expires_at=now + keep_for(),
            rows=count,
            file_name=name,
        )
        audit(
            actor=None,
            action=AuditAction.REGISTER_EXPORT,
            target=job,
            format=job.format,
            rows=count,
            made="worker",
            requester=job.requester_id,
        )
    return ExportJob.State.READY


# Someone is waiting for it on the export page: before the background mail and the
# tick (priority 0), which a few seconds' wait does not harm.
EXPORT_PRIORITY = 10


@task(priority=EXPORT_PRIORITY)
def make_export(job_id: int) -> str:
    """The worker's task: make export `job_id` (`job_make`)."""
    return job_make(job_id)


def jobs_of(user) -> QuerySet[ExportJob]:
    """The exports `user` asked for that still have something to show."""
    return ExportJob.objects.filter(requester=user).exclude(state=ExportJob.State.EXPIRED)


def job_for(user, pk: int) -> ExportJob | None:
    """Export `pk` if `user` asked for it; nobody else's (not even the quality manager's)."""
    return ExportJob.objects.filter(pk=pk, requester=user).first()


def file_of(job: ExportJob) -> Path | None:
    """The ready file of `job`, or None (not ready, expired or removed)."""
    if job.state != ExportJob.State.READY or not job.file_name:
        return None
    if job.expires_at is None or job.expires_at <= clock.now():
        return None
    path = directory() / job.file_name
    return path if path.is_file() else None


def audit_download(*, actor, job: ExportJob) -> None:
    with transaction.atomic(durable=True):
        audit(
            actor=actor,
            action=AuditAction.REGISTER_EXPORT,
            target=job,
            format=job.format,
            rows=job.rows,
            made="download",
        )


def jobs_prune() -> int:
    """Remove the files past their term (the tick); returns how many were removed."""
    now = clock.now()
    removed = 0
    expired = ExportJob.objects.filter(state=ExportJob.State.READY, expires_at__lte=now)
    for pk, name in expired.values_list("pk", "file_name"):
        if name:
            (directory() / name).unlink(missing_ok=True)
        removed += ExportJob.objects.filter(pk=pk).update(
            state=ExportJob.State.EXPIRED, file_name=""
        )
    # Left-overs of a worker killed mid-export.
    folder = directory()
    if folder.is_dir():
        stale = now.timestamp() - keep_for().total_seconds()
        for path in folder.glob(".*.part"):
            if path.stat().st_mtime < stale:
                path.unlink(missing_ok=True)
    return removed
