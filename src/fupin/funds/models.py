"""Projects and funds (项目安排精准、资金使用精准): allocations from a level to the next, the
project library, funds assigned to projects and payments down to units, village collectives
and households (issue 10; domain-next.md §1).

Coded fields store the codes of ``fupin.policy.funds``. Money is ``Decimal`` yuan with two
places, never a float; the ledger reads it as integer fen. Every row records its source like
the registry (``SourcedFact``); constraints live in the database.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import F, Q

from fupin.common.models import SourcedFact, choices
from fupin.policy import funds as pf


def _amount(label: str) -> models.DecimalField[Decimal, Decimal]:
    return models.DecimalField(label, max_digits=14, decimal_places=2)


class FundAllocation(SourcedFact):
    """资金下达: ``amount`` of a source and year passed from a holder to the next level.

    ``from_division`` null is an appropriation: the central budget, or a level's own budget
    line (县级财政), or money from outside the tree (东西部协作, 定点帮扶, 企业; the giver is in
    ``note``), received by ``to_division``.
    """

    source_fund = models.CharField("资金来源", max_length=24, choices=choices(pf.FUND_SOURCE))
    from_division = models.ForeignKey(
        "divisions.Division",
        verbose_name="下达单位（空=本级预算或上级以外）",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    to_division = models.ForeignKey(
        "divisions.Division",
        verbose_name="接收单位",
        on_delete=models.PROTECT,
        related_name="+",
    )
    year = models.PositiveSmallIntegerField("资金年度")
    amount = _amount("金额（元）")
    document_number = models.CharField("文号", max_length=100, blank=True)
    allocated_on = models.DateField("下达日期")
    note = models.CharField("说明", max_length=500, blank=True)

    class Meta:
        verbose_name = "资金下达"
        verbose_name_plural = "资金下达"
        indexes = [
            models.Index(fields=["to_division", "year"], name="fundalloc_to_year"),
            models.Index(fields=["from_division", "year"], name="fundalloc_from_year"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="fundalloc_amount_nonneg"),
            models.CheckConstraint(
                condition=Q(from_division__isnull=True) | ~Q(from_division=F("to_division")),
                name="fundalloc_not_to_itself",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.source_fund} → {self.to_division_id} {self.amount}"


class Project(SourcedFact):
    """扶贫项目 (县级脱贫攻坚项目库): proposed by a village or township, reviewed by the township,
    decided by the county; ``division`` is where it lies (a village, or the township of a
    project over several villages), ``villages`` every village it serves.

    The notice dates (公示) of the village and township steps are kept on the project for now;
    publishing them through ``fupin.notices`` is the next step.
    """

    code = models.CharField("项目编号", max_length=40, unique=True)
    name = models.CharField("项目名称", max_length=200)
    project_type = models.CharField("项目类别", max_length=24, choices=choices(pf.PROJECT_TYPE))
    division = models.ForeignKey(
        "divisions.Division",
        verbose_name="实施地点",
        on_delete=models.PROTECT,
        related_name="funds_projects",
    )
    villages = models.ManyToManyField(
        "divisions.Division", verbose_name="受益村", related_name="+", blank=True
    )
    proposer_level = models.CharField(
        "申报层级",
        max_length=12,
        choices=[(c, pf.FUND_LEVEL.label_of(c)) for c in pf.PROPOSING_LEVELS],
    )
    status = models.CharField(
        "状态", max_length=12, choices=choices(pf.PROJECT_STATUS), default="proposed"
    )
    proposed_on = models.DateField("申报日期")
    reviewed_on = models.DateField("乡镇审核日期", null=True, blank=True)
    approved_on = models.DateField("县级审定日期", null=True, blank=True)
    started_on = models.DateField("开工日期（实际）", null=True, blank=True)
    accepted_on = models.DateField("验收日期", null=True, blank=True)
    handed_over_on = models.DateField("资产移交日期", null=True, blank=True)
    closed_on = models.DateField("未通过或撤销日期", null=True, blank=True)
    village_notice_start = models.DateField("村级公示开始", null=True, blank=True)
    village_notice_end = models.DateField("村级公示结束", null=True, blank=True)
    township_notice_start = models.DateField("乡镇公示开始", null=True, blank=True)
    township_notice_end = models.DateField("乡镇公示结束", null=True, blank=True)
    budget = _amount("总投资（元）")
    #: 资金规模和筹资方式: {source code: "yuan"}; adds up to ``budget`` (checked on entry).
    budget_by_source = models.JSONField("分来源投资（元）", default=dict)
    #: BENEFIT_KIND codes (带贫减贫机制).
    benefit_kinds = models.JSONField("带贫减贫机制", default=list)
    benefit_link = models.TextField("利益联结机制", blank=True)
    performance_target = models.TextField("绩效目标", blank=True)
    implementing_unit = models.CharField("实施单位", max_length=200, blank=True)
    expected_households = models.PositiveIntegerField("预计受益户数", default=0)
    expected_poor_households = models.PositiveIntegerField("预计受益贫困户数", default=0)
    start = models.DateField("计划开工", null=True, blank=True)
    end = models.DateField("计划完工", null=True, blank=True)

    class Meta:
        verbose_name = "扶贫项目"
        verbose_name_plural = "扶贫项目"
        indexes = [models.Index(fields=["division", "status"], name="project_division_status")]
        constraints = [
            models.CheckConstraint(condition=Q(budget__gte=0), name="project_budget_nonneg"),
            models.CheckConstraint(
                condition=Q(start__isnull=True) | Q(end__isnull=True) | Q(end__gte=F("start")),
                name="project_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(status__in=pf.PROJECT_STATUS.codes), name="project_status_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ProjectFunding(SourcedFact):
    """资金安排到项目: a holder assigns ``amount`` of a source and year to a project."""

    project = models.ForeignKey(
        Project, verbose_name="项目", on_delete=models.PROTECT, related_name="fundings"
    )
    source_fund = models.CharField("资金来源", max_length=24, choices=choices(pf.FUND_SOURCE))
    holder = models.ForeignKey(
        "divisions.Division",
        verbose_name="安排单位",
        on_delete=models.PROTECT,
        related_name="+",
    )
    year = models.PositiveSmallIntegerField("资金年度")
    amount = _amount("金额（元）")
    assigned_on = models.DateField("安排日期")
    document_number = models.CharField("文号", max_length=100, blank=True)

    class Meta:
        verbose_name = "项目资金安排"
        verbose_name_plural = "项目资金安排"
        indexes = [
            models.Index(fields=["holder", "year"], name="projfund_holder_year"),
            models.Index(fields=["project"], name="projfund_project"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="projfund_amount_nonneg"),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.source_fund} {self.year} {self.amount}"


class Payment(SourcedFact):
    """资金支付: money of a project's source and year paid to its implementing unit, a village
    collective (``village``) or a household of the registry (``household``). ``item`` is what
    was paid for (the duplicate-payment rule compares it)."""

    project = models.ForeignKey(
        Project, verbose_name="项目", on_delete=models.PROTECT, related_name="payments"
    )
    source_fund = models.CharField("资金来源", max_length=24, choices=choices(pf.FUND_SOURCE))
    year = models.PositiveSmallIntegerField("资金年度")
    paid_on = models.DateField("支付日期")
    amount = _amount("金额（元）")
    payee_kind = models.CharField("收款方类型", max_length=12, choices=choices(pf.PAYEE_KIND))
    payee = models.CharField("收款单位或姓名", max_length=200, blank=True)
    village = models.ForeignKey(
        "divisions.Division",
        verbose_name="收款村",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    household = models.ForeignKey(
        "registry.Household",
        verbose_name="收款农户",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="fund_payments",
    )
    item = models.CharField("支付内容", max_length=200, blank=True)
    voucher_number = models.CharField("凭证号", max_length=60, blank=True)

    class Meta:
        verbose_name = "资金支付"
        verbose_name_plural = "资金支付"
        # No unique (project, household, item): records imported from elsewhere may repeat a
        # payment, and the monitor (FUNDS_DUPLICATE_PAYMENT) must be able to show them.
        indexes = [
            models.Index(fields=["project", "source_fund", "year"], name="payment_project"),
            models.Index(fields=["household", "project"], name="payment_household"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="payment_amount_nonneg"),
            models.CheckConstraint(
                condition=Q(payee_kind__in=pf.PAYEE_KIND.codes), name="payment_payee_kind_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.paid_on} {self.amount}"
