"""Precise measures (精准施策): plans, measures carried out, paired cadres and their visits,
village work teams and first secretaries with their attendance (domain.md §3.5, §7;
domain-next.md §2).

Coded fields store the codes of ``fupin.policy.measures``; every fact row records its source
like the registry (``SourcedFact``). Constraints live in the database.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from fupin.common.models import SourcedFact, choices
from fupin.policy import measures as pm

if TYPE_CHECKING:
    from fupin.registry.models import Member


def _money(label: str) -> models.DecimalField[Decimal | None, Decimal | None]:
    """A yuan amount, null when not recorded."""
    return models.DecimalField(label, max_digits=12, decimal_places=2, null=True, blank=True)


class Cadre(SourcedFact):
    """帮扶责任人: a cadre of a county's units paired with households. The phone is private."""

    county = models.ForeignKey(
        "divisions.Division",
        verbose_name="所在县",
        on_delete=models.PROTECT,
        related_name="+",
    )
    name = models.CharField("姓名", max_length=50)
    unit = models.CharField("工作单位", max_length=100)
    post = models.CharField("职务", max_length=50, blank=True)
    phone = models.CharField("联系电话", max_length=20, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="登录账号",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cadre",
    )
    #: The most households this cadre should help (null = the county's default).
    max_households = models.PositiveSmallIntegerField("最多帮扶户数", null=True, blank=True)
    active = models.BooleanField("在岗", default=True)

    class Meta:
        verbose_name = "帮扶责任人"
        verbose_name_plural = "帮扶责任人"
        indexes = [models.Index(fields=["county", "name"], name="cadre_county_name")]

    def __str__(self) -> str:
        return f"{self.name}（{self.unit}）"


class Pairing(SourcedFact):
    """结对: a cadre helps a household from ``start`` until ``end`` (null = still paired)."""

    household = models.ForeignKey(
        "registry.Household", verbose_name="户", on_delete=models.CASCADE, related_name="pairings"
    )
    cadre = models.ForeignKey(
        Cadre, verbose_name="帮扶责任人", on_delete=models.PROTECT, related_name="pairings"
    )
    order = models.CharField(
        "帮扶序位", max_length=8, choices=choices(pm.PAIRING_ORDER), default="first"
    )
    start = models.DateField("结对日期")
    end = models.DateField("解除日期", null=True, blank=True)
    end_reason = models.CharField("调整原因", max_length=200, blank=True)
    #: The latest visit of this cadre to this household (kept by every path that writes
    #: visits or pairings: ``services.pairing_last_visits_refresh``), so the overdue lists
    #: read one column instead of the visits.
    last_visit = models.DateField("最近走访日期", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "结对帮扶"
        verbose_name_plural = "结对帮扶"
        indexes = [
            models.Index(fields=["cadre", "end"], name="pairing_cadre_end"),
            # the overdue lists and "without a 帮扶责任人": current pairings, from the index alone
            models.Index(
                fields=["household", "end", "start", "cadre"], name="pairing_household_current"
            ),
            models.Index(fields=["end", "last_visit"], name="pairing_current_last_visit"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "order"],
                condition=Q(end__isnull=True),
                name="pairing_one_current_per_order",
            ),
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=F("start")), name="pairing_end_after"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cadre_id} → {self.household_id}"


class Visit(SourcedFact):
    """走访记录: what a cadre did at a household on a day, and the next step."""

    household = models.ForeignKey(
        "registry.Household",
        verbose_name="户",
        on_delete=models.CASCADE,
        related_name="visits",
        db_index=False,  # the (household, date) index leads with the household
    )
    cadre = models.ForeignKey(
        Cadre, verbose_name="帮扶责任人", on_delete=models.PROTECT, related_name="visits"
    )
    date = models.DateField("走访日期")
    minutes = models.PositiveSmallIntegerField("时长（分钟）", null=True, blank=True)
    content = models.CharField("帮扶内容", max_length=500)
    next_step = models.CharField("下一步", max_length=300, blank=True)
    photo = models.FileField("照片", upload_to="visits/%Y/%m/", blank=True)
    #: Where the visit was recorded (a phone's or an ODK form's geopoint), WGS 84 degrees.
    latitude = models.DecimalField("纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)
    #: The submission id of an ODK / Kobo form, so a re-import does not repeat the visit.
    submission = models.CharField("表单提交编号", max_length=64, blank=True)

    class Meta:
        verbose_name = "走访记录"
        verbose_name_plural = "走访记录"
        indexes = [
            models.Index(fields=["household", "date"], name="visit_household_date"),
            # the overdue lists: a pairing's latest visit, read from the index alone
            models.Index(fields=["household", "cadre", "date"], name="visit_household_cadre_date"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["submission"], condition=~Q(submission=""), name="visit_submission_once"
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180),
                name="visit_location_pair_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household_id} {self.date}"


class Plan(SourcedFact):
    """帮扶计划: the measures planned for a household in a year."""

    household = models.ForeignKey(
        "registry.Household", verbose_name="户", on_delete=models.CASCADE, related_name="plans"
    )
    year = models.PositiveSmallIntegerField("年度")
    note = models.CharField("说明", max_length=300, blank=True)

    class Meta:
        verbose_name = "帮扶计划"
        verbose_name_plural = "帮扶计划"
        constraints = [
            models.UniqueConstraint(fields=["household", "year"], name="plan_one_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.household_id} {self.year}"


class PlanItem(models.Model):
    plan = models.ForeignKey(
        Plan, verbose_name="计划", on_delete=models.CASCADE, related_name="items"
    )
    category = models.CharField("措施类别", max_length=16, choices=choices(pm.MEASURE_CATEGORY))
    subtype = models.CharField(
        "措施子类", max_length=32, choices=choices(pm.MEASURE_SUBTYPE), blank=True
    )
    member = models.ForeignKey(
        "registry.Member",
        verbose_name="对象成员",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    amount = _money("计划金额（元）")
    cadre = models.ForeignKey(
        Cadre,
        verbose_name="责任人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    #: The suggestion this item came from (a ``fupin.policy.measures`` code; "" = by hand).
    suggestion = models.CharField("来自建议", max_length=24, blank=True)
    note = models.CharField("说明", max_length=300, blank=True)

    class Meta:
        verbose_name = "计划措施"
        verbose_name_plural = "计划措施"
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0), name="planitem_amount_ge0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id} {self.category}"


class Measure(SourcedFact):
    """帮扶措施: a measure carried out for a household (or one of its members)."""

    household = models.ForeignKey(
        "registry.Household",
        verbose_name="户",
        on_delete=models.CASCADE,
        related_name="measures",
        db_index=False,  # the (household, year) index leads with the household
    )
    year = models.PositiveSmallIntegerField("年度")
    category = models.CharField("措施类别", max_length=16, choices=choices(pm.MEASURE_CATEGORY))
    subtype = models.CharField(
        "措施子类", max_length=32, choices=choices(pm.MEASURE_SUBTYPE), blank=True
    )
    content = models.CharField("措施内容", max_length=300, blank=True)
    #: The project it belongs to (the project library of the funds app; a code until then).
    project = models.CharField("所属项目", max_length=64, blank=True)
    unit = models.CharField("实施单位", max_length=100, blank=True)
    amount = _money("金额（元）")
    start = models.DateField("开始日期")
    end = models.DateField("结束日期", null=True, blank=True)
    status = models.CharField(
        "状态", max_length=12, choices=choices(pm.MEASURE_STATUS), default="in_progress"
    )
    member = models.ForeignKey(
        "registry.Member",
        verbose_name="对象成员",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="借款人、岗位人员或受助对象；空 = 全户",
    )
    #: The members it benefits besides the target member (who always does); neither = the
    #: whole household.
    beneficiaries = models.ManyToManyField(
        "registry.Member",
        verbose_name="其他受益成员",
        blank=True,
        related_name="+",
        help_text="对象成员之外的受益成员；都为空 = 全户受益",
    )
    cadre = models.ForeignKey(
        Cadre,
        verbose_name="责任人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    term_months = models.PositiveSmallIntegerField("贷款期限（月）", null=True, blank=True)
    purpose = models.CharField(
        "贷款用途", max_length=16, choices=choices(pm.LOAN_PURPOSE), blank=True
    )
    reason = models.CharField("例外理由", max_length=300, blank=True)
    evidence = models.CharField("佐证材料", max_length=300, blank=True)
    #: The department match that confirmed the measure (e.g. a medical-assistance payment).
    confirmed_by = models.CharField("部门核实", max_length=64, blank=True)

    class Meta:
        verbose_name = "帮扶措施"
        verbose_name_plural = "帮扶措施"
        indexes = [
            models.Index(fields=["household", "year"], name="measure_household_year"),
            # "without a measure of the year" and the counts by category, from the index alone
            models.Index(
                fields=["household", "year", "status", "category", "amount"],
                name="measure_household_year_status",
            ),
            models.Index(fields=["year", "category"], name="measure_year_category"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0), name="measure_amount_ge0"
            ),
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=F("start")), name="measure_end_after"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household_id} {self.category} {self.start}"

    @property
    def benefiting(self) -> list[Member]:
        """Every member it benefits, the target first ([] = the whole household); reads the
        prefetched ``beneficiaries`` when there are (prefetch them for lists)."""
        others = [b for b in self.beneficiaries.all() if b.pk != self.member_id]
        return [self.member, *others] if self.member is not None else others

    @property
    def beneficiary_names(self) -> str:
        """The names of the members it benefits ("" = the whole household)."""
        return "、".join(m.name for m in self.benefiting)


class WorkTeam(SourcedFact):
    """驻村工作队: one team per village and round (一村一队)."""

    village = models.ForeignKey(
        "divisions.Division",
        verbose_name="驻村",
        on_delete=models.PROTECT,
        related_name="+",
    )
    sending_unit = models.CharField("派出单位", max_length=100)
    start = models.DateField("进驻日期")
    end = models.DateField("期满日期", null=True, blank=True)

    class Meta:
        verbose_name = "驻村工作队"
        verbose_name_plural = "驻村工作队"
        constraints = [
            models.UniqueConstraint(
                fields=["village"], condition=Q(end__isnull=True), name="team_one_current"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.village_id} {self.sending_unit}"


class TeamMember(SourcedFact):
    """驻村干部: a member of a work team (第一书记 / 队长 / 队员) with their term."""

    team = models.ForeignKey(
        WorkTeam, verbose_name="工作队", on_delete=models.CASCADE, related_name="members"
    )
    name = models.CharField("姓名", max_length=50)
    unit = models.CharField("派出单位", max_length=100)
    post = models.CharField("职务或级别", max_length=50, blank=True)
    role = models.CharField("驻村职务", max_length=16, choices=choices(pm.TEAM_ROLE))
    phone = models.CharField("联系电话", max_length=20, blank=True)
    start = models.DateField("驻村开始")
    end = models.DateField("驻村结束", null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登录账号",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "驻村干部"
        verbose_name_plural = "驻村干部"
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=F("start")), name="teammember_end_after"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Attendance(SourcedFact):
    """考勤: days present, on approved leave and on official business in one month."""

    member = models.ForeignKey(
        TeamMember, verbose_name="驻村干部", on_delete=models.CASCADE, related_name="attendance"
    )
    month = models.DateField("月份（每月 1 日）")
    days_present = models.PositiveSmallIntegerField("在村天数")
    days_leave = models.PositiveSmallIntegerField("请假天数", default=0)
    days_official = models.PositiveSmallIntegerField("公出天数", default=0)
    note = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        verbose_name = "驻村考勤"
        verbose_name_plural = "驻村考勤"
        constraints = [
            models.UniqueConstraint(fields=["member", "month"], name="attendance_one_per_month"),
            models.CheckConstraint(
                condition=Q(days_present__lte=31, days_leave__lte=31, days_official__lte=31),
                name="attendance_days_le_31",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.month:%Y-%m}"


class LeaveRequest(models.Model):
    """请假: approved by the township up to the parameter's days, by the county beyond."""

    member = models.ForeignKey(
        TeamMember, verbose_name="驻村干部", on_delete=models.CASCADE, related_name="leaves"
    )
    start = models.DateField("开始日期")
    end = models.DateField("结束日期")
    days = models.PositiveSmallIntegerField("天数")
    reason = models.CharField("事由", max_length=200)
    level = models.CharField(
        "审批层级", max_length=10, choices=[("township", "乡镇党委"), ("county", "县委组织部")]
    )
    status = models.CharField(
        "状态", max_length=10, choices=choices(pm.LEAVE_STATUS), default="pending"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审批人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    created_at = models.DateTimeField("申请时间", auto_now_add=True)

    class Meta:
        verbose_name = "请假"
        verbose_name_plural = "请假"
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=F("start")), name="leave_end_after"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.start}–{self.end}"
