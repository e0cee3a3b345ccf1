"""Public notices (公示 / 公告), their frozen household lists and the objections to them.

A notice's list is a snapshot taken from the registry when it is published and never read
again, so later edits of a household do not change what was posted. The snapshot holds only
what may be public: the head's name, the village group, the member count and the decision.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from fupin.policy import notices as policy


class NoticeKind(models.TextChoices):
    IDENTIFICATION_FIRST = "identification_first", "贫困户识别第一次公示"
    IDENTIFICATION_SECOND = "identification_second", "贫困户识别第二次公示"
    ANNOUNCEMENT = "announcement", "贫困户识别公告"
    EXIT = "exit", "贫困户退出公示"
    MONITORING = "monitoring", "防返贫监测对象公示"
    OTHER = "other", "其他公示"
    PROJECT_VILLAGE = "project_village", "扶贫项目村级公示"
    PROJECT_TOWNSHIP = "project_township", "扶贫项目乡镇公示"
    PROJECT_LIBRARY = "project_library", "县级脱贫攻坚项目库入库公告"
    PROJECT_COMPLETION = "project_completion", "扶贫项目竣工公告"
    FUND_ALLOCATION = "fund_allocation", "财政专项扶贫资金分配结果公告"


class NoticeStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    POSTED = "posted", "公示中"
    ENDED = "ended", "公示期满"
    WITHDRAWN = "withdrawn", "已撤回"


class Notice(models.Model):
    kind = models.CharField("类别", max_length=24, choices=NoticeKind.choices)
    division = models.ForeignKey(
        "divisions.Division",
        verbose_name="张贴区划",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # the (division, status) index leads with it
    )
    title = models.CharField("标题", max_length=200)
    status = models.CharField(
        "状态", max_length=12, choices=NoticeStatus.choices, default=NoticeStatus.DRAFT
    )
    period_days = models.PositiveSmallIntegerField("公示天数")
    starts_at = models.DateTimeField("公示开始", null=True, blank=True)
    ends_at = models.DateTimeField("公示截止", null=True, blank=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="发布人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    posted_at = models.DateTimeField("发布时间", null=True, blank=True)
    ended_at = models.DateTimeField("期满时间", null=True, blank=True)
    withdrawn_at = models.DateTimeField("撤回时间", null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="撤回人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    withdrawn_reason = models.CharField("撤回原因", max_length=500, blank=True)
    case_ids = models.JSONField("关联业务编号", default=list, blank=True)
    #: The column headings of a list of projects or allocations (``NoticeItem.cells``).
    columns = models.JSONField("名单栏目", default=list, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "公示公告"
        verbose_name_plural = "公示公告"
        indexes = [
            models.Index(fields=["division", "status"], name="notice_division_status"),
            # notice_end_due and the public list read posted notices by their end.
            models.Index(fields=["status", "ends_at"], name="notice_status_ends"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_days__gte=policy.PERIOD_MIN_DAYS)
                & Q(period_days__lte=policy.PERIOD_MAX_DAYS),
                name="notice_period_range",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(starts_at__isnull=False, ends_at__isnull=False),
                name="notice_posted_has_period",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def has_items(self) -> bool:
        """Whether the list is of projects or allocations (``items``), not of households."""
        return self.kind in policy.ITEM_KINDS

    @property
    def is_open(self) -> bool:
        """Whether the notice is posted and its period not yet marked as over."""
        return self.status == NoticeStatus.POSTED


class NoticeEntry(models.Model):
    """One household on a notice: public fields only, frozen at publication."""

    notice = models.ForeignKey(
        Notice, verbose_name="公示", on_delete=models.CASCADE, related_name="entries"
    )
    position = models.PositiveIntegerField("序号")
    household_code = models.CharField("户编号", max_length=32)  # internal: never shown publicly
    head_name = models.CharField("户主姓名", max_length=50)
    group_name = models.CharField("村民小组", max_length=50, blank=True)
    member_count = models.PositiveSmallIntegerField("家庭人口数")
    decision = models.CharField("决定事项", max_length=200)

    class Meta:
        verbose_name = "公示名单"
        verbose_name_plural = "公示名单"
        ordering = ["notice", "position"]
        constraints = [
            models.UniqueConstraint(fields=["notice", "position"], name="entry_position_unique"),
            models.UniqueConstraint(
                fields=["notice", "household_code"], name="entry_household_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.head_name}"


class NoticeItem(models.Model):
    """One project or allocation on a notice: its public cells, frozen at publication.

    ``subject_type`` and ``subject_key`` name the record it shows (internal: never shown
    publicly), so that the record's procedure can find its notices and their objections.
    """

    notice = models.ForeignKey(
        Notice, verbose_name="公示", on_delete=models.CASCADE, related_name="items"
    )
    position = models.PositiveIntegerField("序号")
    subject_type = models.CharField("对象类型", max_length=20)
    subject_key = models.CharField("对象编号", max_length=60)
    cells = models.JSONField("公示内容", default=list)

    class Meta:
        verbose_name = "公示项目"
        verbose_name_plural = "公示项目"
        ordering = ["notice", "position"]
        constraints = [
            models.UniqueConstraint(fields=["notice", "position"], name="item_position_unique"),
        ]
        indexes = [models.Index(fields=["subject_type", "subject_key"], name="item_subject")]

    def __str__(self) -> str:
        return f"{self.position}. {self.subject_key}"


class ObjectionStatus(models.TextChoices):
    OPEN = "open", "待处理"
    UPHELD = "upheld", "异议成立"
    DISMISSED = "dismissed", "异议不成立"


class NoticeObjection(models.Model):
    """An objection from the public. The contact is private: shown to the cadres only."""

    notice = models.ForeignKey(
        Notice, verbose_name="公示", on_delete=models.CASCADE, related_name="objections"
    )
    entry = models.ForeignKey(
        NoticeEntry,
        verbose_name="针对的户",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="objections",
    )
    text = models.TextField("异议内容", max_length=2000)
    submitter_name = models.CharField("反映人", max_length=50, blank=True)
    submitter_contact = models.CharField("联系方式（不公开）", max_length=100, blank=True)
    # A keyed digest of the sender's address, for throttling: the address itself is not kept.
    address_digest = models.CharField("来源摘要", max_length=64, editable=False)
    submitted_at = models.DateTimeField("提交时间")
    status = models.CharField(
        "处理状态", max_length=12, choices=ObjectionStatus.choices, default=ObjectionStatus.OPEN
    )
    outcome_note = models.TextField("处理结果说明", blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="处理人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    resolved_at = models.DateTimeField("处理时间", null=True, blank=True)

    class Meta:
        verbose_name = "异议"
        verbose_name_plural = "异议"
        ordering = ["notice", "submitted_at"]
        indexes = [
            models.Index(fields=["address_digest", "submitted_at"], name="objection_throttle"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open") | Q(resolved_at__isnull=False),
                name="objection_resolved_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.notice_id} {self.get_status_display()}"
