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
from fupin.policy import funds_assets as pfa
from fupin.policy import funds_pairing as pfp


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


# -- assets and asset income (资产收益) --
# Appended by the "assets" helper; the rules are in fupin.policy.funds_assets, the writes in
# fupin.funds.asset_services.


class Asset(SourcedFact):
    """扶贫项目资产: formed by an accepted project (验收 → 确权 → 移交, 国办函〔2021〕51号), in a
    village, owned by the village collective, quantified as shares to households (折股量化到户)
    or by the unit. ``shares_total`` is the number of shares quantified to households."""

    project = models.ForeignKey(
        "funds.Project", verbose_name="形成项目", on_delete=models.PROTECT, related_name="assets"
    )
    code = models.CharField("资产编号", max_length=40, unique=True)
    name = models.CharField("资产名称", max_length=200)
    asset_type = models.CharField("资产类型", max_length=16, choices=choices(pfa.ASSET_TYPE))
    asset_class = models.CharField(
        "资产类别", max_length=12, choices=choices(pf.ASSET_CLASS), default="operating"
    )
    value = _amount("资产原值（元）")
    owner_kind = models.CharField("所有权人", max_length=12, choices=choices(pfa.ASSET_OWNER))
    village = models.ForeignKey(
        "divisions.Division",
        verbose_name="所在村",
        on_delete=models.PROTECT,
        related_name="funds_assets",
    )
    formed_on = models.DateField("形成日期")
    handed_over_on = models.DateField("移交日期", null=True, blank=True)
    shares_total = models.DecimalField(
        "量化到户总股数", max_digits=14, decimal_places=4, null=True, blank=True
    )

    class Meta:
        verbose_name = "扶贫资产"
        verbose_name_plural = "扶贫资产"
        indexes = [models.Index(fields=["village", "asset_type"], name="asset_village_type")]
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="asset_value_nonneg"),
            models.CheckConstraint(
                condition=Q(shares_total__isnull=True) | Q(shares_total__gte=0),
                name="asset_shares_total_nonneg",
            ),
            models.CheckConstraint(
                condition=Q(handed_over_on__isnull=True) | Q(handed_over_on__gte=F("formed_on")),
                name="asset_handover_after_formed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class AssetShare(SourcedFact):
    """折股量化到户: ``shares`` of an asset held by a household from ``from_year`` to ``to_year``
    (open-ended when null); "谁贫困谁享受" — withdrawn by ending it."""

    asset = models.ForeignKey(
        Asset, verbose_name="资产", on_delete=models.CASCADE, related_name="shares"
    )
    household = models.ForeignKey(
        "registry.Household",
        verbose_name="持股农户",
        on_delete=models.PROTECT,
        related_name="asset_shares",
    )
    shares = models.DecimalField("股数", max_digits=14, decimal_places=4)
    from_year = models.PositiveSmallIntegerField("持股起始年度")
    to_year = models.PositiveSmallIntegerField("持股截止年度", null=True, blank=True)

    class Meta:
        verbose_name = "资产股份（折股量化到户）"
        verbose_name_plural = "资产股份（折股量化到户）"
        indexes = [models.Index(fields=["household"], name="assetshare_household")]
        constraints = [
            models.UniqueConstraint(fields=["asset", "household"], name="assetshare_one_per_hh"),
            models.CheckConstraint(condition=Q(shares__gte=0), name="assetshare_nonneg"),
            models.CheckConstraint(
                condition=Q(to_year__isnull=True) | Q(to_year__gte=F("from_year")),
                name="assetshare_years_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.asset_id} {self.household_id} {self.shares}"


class AssetIncome(SourcedFact):
    """资产年度收益: an asset's income of a year (for a PV station the net income after rents,
    taxes, insurance and upkeep, domain-next.md §1.5)."""

    asset = models.ForeignKey(
        Asset, verbose_name="资产", on_delete=models.PROTECT, related_name="incomes"
    )
    year = models.PositiveSmallIntegerField("收益年度")
    amount = _amount("收益金额（元）")
    received_on = models.DateField("到账日期")

    class Meta:
        verbose_name = "资产收益"
        verbose_name_plural = "资产收益"
        constraints = [
            models.UniqueConstraint(fields=["asset", "year"], name="assetincome_one_per_year"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="assetincome_nonneg"),
        ]

    def __str__(self) -> str:
        return f"{self.asset_id} {self.year} {self.amount}"


class Distribution(SourcedFact):
    """收益分配: a part of a year's asset income by kind (分红, 公益岗位工资, 村集体公益事业,
    留存); a dividend has one row per household (``household``), the other kinds none.
    ``year`` repeats the income's year for the household's (household, year) reads."""

    income = models.ForeignKey(
        AssetIncome, verbose_name="收益", on_delete=models.PROTECT, related_name="distributions"
    )
    year = models.PositiveSmallIntegerField("收益年度")
    kind = models.CharField("分配方式", max_length=24, choices=choices(pfa.DISTRIBUTION_KIND))
    amount = _amount("金额（元）")
    household = models.ForeignKey(
        "registry.Household",
        verbose_name="分红农户",
        on_delete=models.PROTECT,
        related_name="asset_distributions",
        null=True,
        blank=True,
    )
    note = models.CharField("说明", max_length=500, blank=True)

    class Meta:
        verbose_name = "资产收益分配"
        verbose_name_plural = "资产收益分配"
        indexes = [
            models.Index(fields=["household", "year"], name="distribution_household_year"),
            models.Index(fields=["income", "kind"], name="distribution_income_kind"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="distribution_nonneg"),
            models.CheckConstraint(
                condition=(Q(kind="dividend") & Q(household__isnull=False))
                | (~Q(kind="dividend") & Q(household__isnull=True)),
                name="distribution_household_iff_dividend",
            ),
            models.UniqueConstraint(
                fields=["income", "household"],
                condition=Q(household__isnull=False),
                name="distribution_one_dividend_per_hh",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.income_id} {self.kind} {self.amount}"


# -- pairing between regions and units (东西部协作、定点帮扶、万企帮万村) --
# Appended by the "pairing" helper; the rules are in fupin.policy.funds_pairing, the writes in
# fupin.funds.pairing_services, the reads in fupin.funds.pairing_selectors.


class Partnership(SourcedFact):
    """结对帮扶关系: a helper helps a helped division from ``from_year`` (to ``to_year``, open
    when null). East–west pairs are between divisions (``helper`` set, ``helper_name`` its name);
    a central unit (定点扶贫) or an enterprise (万企帮万村) is a name only (``helper`` null)."""

    kind = models.CharField("帮扶类型", max_length=16, choices=choices(pf.PAIRING_KIND))
    helper = models.ForeignKey(
        "divisions.Division",
        verbose_name="帮扶方（行政区划）",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    helper_name = models.CharField("帮扶方", max_length=200)
    helped = models.ForeignKey(
        "divisions.Division",
        verbose_name="受援方",
        on_delete=models.PROTECT,
        related_name="+",
    )
    from_year = models.PositiveSmallIntegerField("起始年度")
    to_year = models.PositiveSmallIntegerField("截止年度", null=True, blank=True)
    agreement = models.CharField("协议文件", max_length=200, blank=True)
    note = models.CharField("说明", max_length=500, blank=True)

    class Meta:
        verbose_name = "结对帮扶"
        verbose_name_plural = "结对帮扶"
        indexes = [
            models.Index(fields=["helped", "kind"], name="partnership_helped"),
            models.Index(fields=["helper"], name="partnership_helper"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=pf.PAIRING_KIND.codes), name="partnership_kind_known"
            ),
            models.CheckConstraint(
                condition=Q(to_year__isnull=True) | Q(to_year__gte=F("from_year")),
                name="partnership_years_order",
            ),
            models.CheckConstraint(
                condition=Q(helper__isnull=True) | ~Q(helper=F("helped")),
                name="partnership_not_itself",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.helper_name} → {self.helped_id}（{self.kind}）"


class PartnershipTarget(SourcedFact):
    """协议年度指标: the target of an indicator in a year; ``target`` null is "not set" (a row
    kept for an indicator with achievements but no target), never 0."""

    partnership = models.ForeignKey(
        Partnership, verbose_name="结对", on_delete=models.CASCADE, related_name="targets"
    )
    year = models.PositiveSmallIntegerField("年度")
    indicator = models.CharField("指标", max_length=24, choices=choices(pfp.PAIRING_INDICATOR))
    target = models.DecimalField("目标值", max_digits=14, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = "协议年度指标"
        verbose_name_plural = "协议年度指标"
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "year", "indicator"], name="partnershiptarget_one"
            ),
            models.CheckConstraint(
                condition=Q(target__isnull=True) | Q(target__gte=0),
                name="partnershiptarget_nonneg",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partnership_id} {self.year} {self.indicator} {self.target}"


class PartnershipAchievement(SourcedFact):
    """完成情况: a figure achieved for an indicator in a year, with its evidence; several a
    year are allowed and summed."""

    partnership = models.ForeignKey(
        Partnership, verbose_name="结对", on_delete=models.CASCADE, related_name="achievements"
    )
    year = models.PositiveSmallIntegerField("年度")
    indicator = models.CharField("指标", max_length=24, choices=choices(pfp.PAIRING_INDICATOR))
    value = models.DecimalField("完成数", max_digits=14, decimal_places=2)
    recorded_on = models.DateField("记录日期")
    evidence = models.TextField("佐证材料", blank=True)

    class Meta:
        verbose_name = "协议指标完成情况"
        verbose_name_plural = "协议指标完成情况"
        indexes = [
            models.Index(fields=["partnership", "year", "indicator"], name="partnershipach_key")
        ]
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="partnershipach_nonneg"),
        ]

    def __str__(self) -> str:
        return f"{self.partnership_id} {self.year} {self.indicator} {self.value}"


class PartnershipFund(SourcedFact):
    """资金到位: an allocation (资金下达 of 东西部协作/定点帮扶/社会帮扶 funds) that came from the
    pairing; an allocation counts for one pairing at most."""

    partnership = models.ForeignKey(
        Partnership, verbose_name="结对", on_delete=models.PROTECT, related_name="funds"
    )
    allocation = models.OneToOneField(
        FundAllocation,
        verbose_name="资金下达",
        on_delete=models.PROTECT,
        related_name="partnership_link",
    )

    class Meta:
        verbose_name = "结对帮扶资金"
        verbose_name_plural = "结对帮扶资金"

    def __str__(self) -> str:
        return f"{self.partnership_id} ← {self.allocation_id}"
