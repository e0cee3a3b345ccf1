"""Import jobs: create one from an upload, validate it (dry run), commit it.

The validate and commit steps run in a background task (``tasks.py``); each re-reads the
uploaded file and checks every row, so a commit stores exactly what passes the checks at
that moment, all or nothing. Progress goes to the job row, which the page polls.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import connection
from django.utils import timezone

from fupin.common.errors import FupinError
from fupin.jobs.models import ImportJob, ImportStatus
from fupin.registry.imports.errors import ImportReport
from fupin.registry.imports.reader import SUFFIXES
from fupin.registry.imports.services import registry_import_file
from fupin.registry.imports.workbook import error_workbook

#: What the upload form takes (Parquet is for the command line).
UPLOAD_SUFFIXES = frozenset({".xlsx", ".xls", ".csv"})
MAX_UPLOAD_BYTES = 200 << 20
#: Seconds between two progress writes.
PROGRESS_EVERY = 0.5
#: Errors marked in the returned workbook (all are counted).
MAX_MARKED_ERRORS = 20_000


def import_job_create(
    *, user: AbstractBaseUser, upload: UploadedFile[Any], scope: str
) -> ImportJob:
    """Keep an uploaded file as a new job and queue its validation."""
    name = Path(upload.name or "").name
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise FupinError(
            "FILE_UNSUPPORTED",
            f"不支持的文件类型“{suffix or name}”：请上传 Excel（xlsx、xls）或 CSV 文件",
        )
    assert suffix in SUFFIXES
    if upload.size and upload.size > MAX_UPLOAD_BYTES:
        raise FupinError("FILE_TOO_LARGE", "文件超过 200 MB：请分成几个文件上传，或使用命令行导入")
    job = ImportJob(user=user, scope=scope, original_name=name[:255])  # type: ignore[misc]
    job.file.save(f"upload{suffix}", upload, save=False)
    job.save()
    from fupin.jobs.tasks import import_validate

    import_validate.enqueue(job.pk)
    return job


def import_job_commit_request(*, job: ImportJob) -> ImportJob:
    """Queue the commit of a job whose preview the user accepted."""
    updated = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.READY).update(
        status=ImportStatus.COMMITTING, stage="排队中", done=0, total=0
    )
    if not updated:
        raise FupinError("JOB_NOT_READY", "该导入任务不在“待确认”状态，不能写入")
    from fupin.jobs.tasks import import_commit

    import_commit.enqueue(job.pk)
    job.refresh_from_db()
    return job


def _progress(job_id: int) -> Any:
    last = [0.0]

    def report(stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        # Inside the write transaction the job row is not visible to others anyway, and on
        # SQLite a second connection would wait for the lock.
        if connection.in_atomic_block or (now - last[0] < PROGRESS_EVERY and done < total):
            return
        last[0] = now
        ImportJob.objects.filter(pk=job_id).update(stage=stage, done=done, total=total)

    return report


def _counts(report: ImportReport) -> dict[str, int]:
    return {
        "rows": report.rows,
        "households": report.households,
        "members": report.members,
        "households_created": report.households_created,
        "households_updated": report.households_updated,
        "households_unchanged": report.households_unchanged,
        "members_created": report.members_created,
        "members_updated": report.members_updated,
        "members_unchanged": report.members_unchanged,
    }


def _finish_with_errors(job: ImportJob, report: ImportReport) -> None:
    source = Path(job.file.path)
    out = source.with_name(f"{source.stem}-errors-{job.pk}.xlsx")
    error_workbook(source, report.errors[:MAX_MARKED_ERRORS], out)
    job.errors_file.name = str(out.relative_to(Path(job.file.storage.location)))  # type: ignore[attr-defined]
    job.status = ImportStatus.INVALID
    job.error_count = report.error_count
    job.counts = _counts(report)
    job.message = "；".join(e.message for e in report.errors[:3])
    job.finished_at = timezone.now()
    job.save()


def _run(job_id: int, *, dry_run: bool) -> ImportJob:
    job = ImportJob.objects.get(pk=job_id)
    try:
        report = registry_import_file(
            path=Path(job.file.path),
            dry_run=dry_run,
            mode="upsert",
            scope=job.scope or None,
            progress=_progress(job.pk),
            source="import",
        )
    except FupinError as exc:
        job.status = ImportStatus.FAILED
        job.message = exc.message
        job.finished_at = timezone.now()
        job.save()
        return job
    job.refresh_from_db()
    if not report.ok:
        _finish_with_errors(job, report)
        return job
    job.counts = _counts(report)
    job.error_count = 0
    if dry_run:
        job.status = ImportStatus.READY
        job.preview = report.preview
    else:
        job.status = ImportStatus.DONE
        job.finished_at = timezone.now()
    job.stage = ""
    job.done = job.total = report.rows
    job.save()
    return job


def import_job_validate(*, job_id: int) -> ImportJob:
    """Check every row of the job's file and plan the changes; store nothing."""
    ImportJob.objects.filter(pk=job_id).update(status=ImportStatus.VALIDATING, stage="读取校验")
    return _guarded(job_id, dry_run=True)


def import_job_commit(*, job_id: int) -> ImportJob:
    """Check the job's file again and store it all or nothing."""
    ImportJob.objects.filter(pk=job_id).update(status=ImportStatus.COMMITTING, stage="读取校验")
    return _guarded(job_id, dry_run=False)


def _guarded(job_id: int, *, dry_run: bool) -> ImportJob:
    try:
        return _run(job_id, dry_run=dry_run)
    except Exception as exc:
        # A bug or a lost database must not leave the page polling forever.
        if not connection.in_atomic_block:
            ImportJob.objects.filter(pk=job_id).update(
                status=ImportStatus.FAILED,
                message=f"内部错误，未写入任何数据：{type(exc).__name__}",
                finished_at=timezone.now(),
            )
        raise


__all__ = [
    "import_job_commit",
    "import_job_commit_request",
    "import_job_create",
    "import_job_validate",
]
