"""Department datasets, the runs that match them to the registry, and the flags they raise.

A flag is a verification task for its village: the cadre confirms or dismisses it with a note;
a confirmed fact update is written into the registry with "department" as its source.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from fupin.policy import feeds

FEED_CHOICES = [(f.code, f"{f.department}：{f.label}") for f in feeds.FEEDS.values()]
FLAG_TYPE_CHOICES = [(d.code.value, d.label) for d in feeds.FLAG_TYPES.values()]


class Dataset(models.Model):
    class Status(models.TextChoices):
        LOADED = "loaded", "已载入"
        MATCHED = "matched", "已比对"
        FAILED = "failed", "比对失败"

    feed = models.CharField("数据类型", max_length=32, choices=FEED_CHOICES)
    provider = models.CharField("提供部门", max_length=100)
    period = models.CharField("数据期别", max_length=20)
    legal_basis = models.TextField("法律依据/授权说明")
    division_code = models.CharField("覆盖区划", max_length=12, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上传人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField("上传时间", default=timezone.now)
    original_name = models.CharField("原文件名", max_length=255)
    file = models.CharField("规范化文件（Parquet）", max_length=500)
    row_count = models.PositiveIntegerField("行数", default=0)
    invalid_ids = models.PositiveIntegerField("身份号码无效行数", default=0)
    column_mapping = models.JSONField("列对应关系", default=dict)
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.LOADED)

    class Meta:
        verbose_name = "部门数据集"
        verbose_name_plural = "部门数据集"
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return f"{self.get_feed_display()} {self.period}"


class MatchRun(models.Model):
    dataset = models.ForeignKey(
        Dataset,
        verbose_name="数据集",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="runs",
    )
    started_at = models.DateTimeField("开始时间", default=timezone.now)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    engine = models.CharField("比对引擎", max_length=20, default="duckdb")
    rows = models.PositiveIntegerField("比对行数", default=0)
    matched_by_id = models.PositiveIntegerField("按身份号码匹配", default=0)
    matched_by_name_birth = models.PositiveIntegerField("按姓名+出生日期匹配", default=0)
    counts = models.JSONField("各类提示数", default=dict)
    note = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        verbose_name = "比对批次"
        verbose_name_plural = "比对批次"
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.pk} {self.started_at:%Y-%m-%d %H:%M}"


class Flag(models.Model):
    class Method(models.TextChoices):
        ID = "id", "身份号码"
        NAME_BIRTH = "name_birth", "姓名+出生日期"
        NONE = "none", "未匹配（名单外人员）"
        REGISTRY = "registry", "登记数据"

    class Status(models.TextChoices):
        OPEN = "open", "待核实"
        CONFIRMED = "confirmed", "已确认"
        DISMISSED = "dismissed", "已排除"

    run = models.ForeignKey(MatchRun, verbose_name="比对批次", on_delete=models.CASCADE)
    flag_type = models.CharField("提示类型", max_length=32, choices=FLAG_TYPE_CHOICES)
    household = models.ForeignKey(
        "registry.Household",
        verbose_name="户",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    member = models.ForeignKey(
        "registry.Member",
        verbose_name="成员",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    id_number = models.CharField("身份号码（部门数据）", max_length=32, blank=True)
    name = models.CharField("姓名（部门数据）", max_length=50, blank=True)
    village_code = models.CharField("所在区划", max_length=12)
    evidence = models.JSONField("部门数据", default=dict)
    match_method = models.CharField("匹配方式", max_length=12, choices=Method.choices)
    status = models.CharField(
        "核实结果", max_length=12, choices=Status.choices, default=Status.OPEN
    )
    outcome_note = models.CharField("核实说明", max_length=500, blank=True)
    applied = models.JSONField("已写入登记信息", default=dict, blank=True)
    case = models.ForeignKey(
        "workflows.Case",
        verbose_name="关联程序案件",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="核实人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolved_at = models.DateTimeField("核实时间", null=True, blank=True)
    created_at = models.DateTimeField("生成时间", default=timezone.now)

    class Meta:
        verbose_name = "比对提示"
        verbose_name_plural = "比对提示"
        indexes = [
            models.Index(fields=["village_code", "status"], name="flag_village_status"),
            models.Index(fields=["run", "flag_type"], name="flag_run_type"),
        ]

    def __str__(self) -> str:
        return f"{self.flag_type} {self.name}"

    @property
    def kind(self) -> str:
        return feeds.flag_kind(self.flag_type)
