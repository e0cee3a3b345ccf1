"""Background tasks (django-tasks): thin wrappers that call one service each."""

from __future__ import annotations

from django_tasks import task

from fupin.jobs import services


@task()
def import_validate(job_id: int) -> str:
    return str(services.import_job_validate(job_id=job_id).status)


@task()
def import_commit(job_id: int) -> str:
    return str(services.import_job_commit(job_id=job_id).status)
