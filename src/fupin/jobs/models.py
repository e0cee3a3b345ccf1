"""Background jobs of the web app: an Excel/CSV import, from upload to commit.

An import is a stateful job (ARCHITECTURE.md, house style 10): the uploaded file is kept,
a task validates every row (a dry run that also plans what storing changes), the user looks
at the preview and commits, and a second task stores it all or nothing. The job row holds
the progress the page polls and the counts it shows.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage
from django.db import models


def upload_storage() -> Storage:
    """Uploaded files and error reports live under ``$FUPIN_HOME/uploads``."""
    return FileSystemStorage(location=Path(settings.FUPIN_HOME) / "uploads")


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", "已上传"
    VALIDATING = "validating", "校验中"
    INVALID = "invalid", "有错误"
    READY = "ready", "待确认"
    COMMITTING = "committing", "写入中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"


#: Statuses in which a task is working on the job (the page keeps polling).
RUNNING = frozenset({ImportStatus.UPLOADED, ImportStatus.VALIDATING, ImportStatus.COMMITTING})


class ImportJob(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上传人",
        on_delete=models.PROTECT,
        related_name="import_jobs",
    )
    #: The uploader's division prefix when uploading: every row must lie under it.
    scope = models.CharField("管辖范围", max_length=12, blank=True)
    file = models.FileField("上传文件", upload_to="%Y/%m/", storage=upload_storage)
    original_name = models.CharField("原文件名", max_length=255)
    status = models.CharField(
        "状态", max_length=12, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    stage = models.CharField("当前步骤", max_length=20, blank=True)
    done = models.PositiveBigIntegerField("已处理", default=0)
    total = models.PositiveBigIntegerField("总数", default=0)
    #: The report's counts: rows, households, members, created/updated/unchanged …
    counts = models.JSONField("统计", default=dict, blank=True)
    preview = models.JSONField("预览", default=list, blank=True)
    error_count = models.PositiveIntegerField("错误数", default=0)
    errors_file = models.FileField(
        "错误报告", upload_to="%Y/%m/", storage=upload_storage, blank=True
    )
    message = models.TextField("说明", blank=True)
    created_at = models.DateTimeField("上传时间", auto_now_add=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = "导入任务"
        verbose_name_plural = "导入任务"
        indexes = [models.Index(fields=["user", "-created_at"], name="import_job_user_created")]

    def __str__(self) -> str:
        return f"{self.original_name}（{self.get_status_display()}）"

    @property
    def running(self) -> bool:
        return self.status in RUNNING

    @property
    def percent(self) -> int:
        if not self.total:
            return 0
        return min(100, int(100 * self.done / self.total))
