"""The worker's task for very large register exports (issue 15.5; `exportjobs`)."""

from __future__ import annotations

from django.tasks import task


@task()
def make_export(job_id: int) -> str:
    from klachtbeheer.reporting.exportjobs import job_make

    return job_make(job_id)
