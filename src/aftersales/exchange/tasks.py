"""Background jobs of imports: the dry run, the import, and the clean-up of old uploaded files."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from aftersales.core import context
from aftersales.core.context import Channel
from aftersales.exchange import services


@db_task()
def import_job_validate(job_id: int) -> None:
    """Validate an uploaded file (idempotent: a job already past validation is left alone)."""
    services.import_job_validate_run(job_id=job_id)


@db_task()
def import_job_commit(job_id: int) -> None:
    """Import a confirmed file (idempotent: only a job in state "importing" is written, in one transaction)."""
    services.import_job_commit_run(job_id=job_id)


@db_periodic_task(crontab(minute="43", hour="3"))
def import_files_purge() -> int:
    """Delete uploaded files 30 days after their job ended; the job and its report stay."""
    with context.acting(channel=Channel.JOB):
        return services.import_files_purge()
