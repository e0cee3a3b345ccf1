"""An import job runs through django-tasks' database backend and the real worker command."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from fupin.divisions.services import divisions_load
from fupin.jobs import tasks
from fupin.jobs.models import ImportJob, ImportStatus
from fupin.jobs.services import import_job_commit, import_job_create
from fupin.registry.models import Household
from tests.registry import flatfiles


@pytest.mark.django_db(transaction=True)
def test_db_worker_validates_a_queued_job(tmp_path: Path) -> None:
    divisions_load(prefix="513431")
    user = get_user_model().objects.create_user(username="u", password="x" * 12)
    path = flatfiles.write_xlsx(flatfiles.valid_rows(), tmp_path / "f.xlsx")
    job = ImportJob(user=user, scope="513431", original_name="f.xlsx")
    job.file.save("f.xlsx", SimpleUploadedFile("f.xlsx", path.read_bytes()))
    result = tasks.import_validate.using(backend="database").enqueue(job.pk)
    assert DBTaskResult.objects.filter(id=result.id, status="READY").exists()

    call_command("db_worker", "--batch", "--backend", "database", "--no-startup-delay", verbosity=0)

    job.refresh_from_db()
    assert job.status == ImportStatus.READY, job.message
    assert job.counts["households_created"] == 3
    assert DBTaskResult.objects.get(id=result.id).status == "SUCCESSFUL"
    assert Household.objects.count() == 0


@pytest.mark.django_db
def test_create_keeps_the_file_under_fupin_home_and_validates(tmp_path: Path, settings) -> None:  # type: ignore[no-untyped-def]
    divisions_load(prefix="513431")
    user = get_user_model().objects.create_user(username="u", password="x" * 12)
    path = flatfiles.write_xlsx(flatfiles.valid_rows(), tmp_path / "f.xlsx")

    job = import_job_create(
        user=user, upload=SimpleUploadedFile("我的表.xlsx", path.read_bytes()), scope="513431"
    )

    job.refresh_from_db()
    assert Path(job.file.path).is_relative_to(Path(settings.FUPIN_HOME) / "uploads")
    assert job.original_name == "我的表.xlsx" and job.status == ImportStatus.READY
    assert job.done == job.total == 9
    import_job_commit(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and Household.objects.count() == 3
