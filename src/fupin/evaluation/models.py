"""Village exit assessments and the county's third-party evaluation (domain.md §4, §5).

The registry holds registered households only; the county evaluation also samples households
that were never registered (to find the missed poor, 漏评). Those come from a *frame*: the list
of the county's other rural households, imported by the evaluator from a file or, for the demo
and tests, generated with a seed (``FrameHousehold.Source``): households per village in
proportion to its registered ones, a planted share of them poor but never registered.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class FrameHousehold(models.Model):
    """A non-registered rural household of a county: the sampling frame of 漏评."""

    class Source(models.TextChoices):
        SYNTHETIC = "synthetic", "模拟生成"
        IMPORTED = "imported", "评估方导入"

    county = models.ForeignKey(
        "divisions.Division", verbose_name="县", on_delete=models.PROTECT, related_name="+"
    )
    village = models.ForeignKey(
        "divisions.Division", verbose_name="村", on_delete=models.PROTECT, related_name="+"
    )
    code = models.CharField("户编号", max_length=32)
    head_name = models.CharField("户主姓名", max_length=50, blank=True)
    persons = models.PositiveSmallIntegerField("人口数")
    source = models.CharField("来源", max_length=10, choices=Source.choices)
    #: The generator's planted truth (meets the poverty standard but not registered); used
    #: only to simulate verification in the demo. None for imported households.
    planted_poor = models.BooleanField("模拟：应识别为贫困户", null=True)

    class Meta:
        verbose_name = "非建档立卡户（抽样框）"
        verbose_name_plural = "非建档立卡户（抽样框）"
        constraints = [
            models.UniqueConstraint(fields=["county", "code"], name="frame_code_unique"),
            models.CheckConstraint(condition=Q(persons__gte=1), name="frame_persons_positive"),
        ]
        indexes = [models.Index(fields=["village"], name="frame_village")]

    def __str__(self) -> str:
        return self.code


class VillageExitAssessment(models.Model):
    """Whether one village meets the exit standard in one year, and why."""

    class Decision(models.TextChoices):
        EXIT = "exit", "达到退出标准"
        NO_EXIT = "no_exit", "不予退出"
        PENDING = "pending", "待核实"

    village = models.ForeignKey(
        "divisions.Division", verbose_name="村", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年度")
    poor_persons = models.PositiveIntegerField("未脱贫人数", default=0)
    registered_persons = models.PositiveIntegerField("建档立卡人数", default=0)
    frame_persons = models.PositiveIntegerField("非建档立卡人数", default=0)
    #: The rural population (denominator of the incidence): an input when recorded, else the
    #: registered plus the non-registered (frame) persons; None when neither is known.
    population = models.PositiveIntegerField("农村人口数", null=True)
    incidence = models.FloatField("贫困发生率", null=True)
    #: {condition code: {"value": true/false/null, "source": "registry"|"input"|"unknown",
    #: "detail": text}}.
    conditions = models.JSONField("退出条件", default=dict)
    #: What the registry cannot know, recorded by the county office: {"road": true,
    #: "collective_income": 30000, "population": 1200, "note": ...}; kept across re-runs.
    inputs = models.JSONField("录入条件", default=dict)
    decision = models.CharField("结论", max_length=10, choices=Decision.choices)
    explanation = models.JSONField("判定说明", default=dict)
    computed_at = models.DateTimeField("计算时间")

    class Meta:
        verbose_name = "贫困村退出评估"
        verbose_name_plural = "贫困村退出评估"
        constraints = [
            models.UniqueConstraint(fields=["village", "year"], name="village_exit_one_per_year"),
        ]

    def __str__(self) -> str:
        return f"{self.village_id} {self.year} {self.decision}"


class CountyEvaluation(models.Model):
    """A county's exit evaluation (专项评估检查) by stratified sample, for one year."""

    class Status(models.TextChoices):
        SAMPLING = "sampling", "抽样中"
        VERIFYING = "verifying", "入户核查中"
        DECIDED = "decided", "已判定"

    county = models.ForeignKey(
        "divisions.Division", verbose_name="县", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年度")
    seed = models.BigIntegerField("随机种子")
    #: {"size": 1000, "method": "proportional", "minimum": 100, "allocation": {stratum: n}}.
    sample_config = models.JSONField("抽样设置", default=dict)
    #: Stratum populations when sampled: {stratum: {"households": N, "persons": P}}.
    population = models.JSONField("各层总体", default=dict)
    status = models.CharField(
        "状态", max_length=10, choices=Status.choices, default=Status.SAMPLING
    )
    decision = models.JSONField("判定结果", default=dict)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="发起人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    started_at = models.DateTimeField("发起时间", auto_now_add=True)
    decided_at = models.DateTimeField("判定时间", null=True, blank=True)

    class Meta:
        verbose_name = "贫困县退出评估"
        verbose_name_plural = "贫困县退出评估"
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.county_id} {self.year} #{self.pk}"


class Stratum(models.TextChoices):
    POOR = "poor", "未脱贫建档立卡户"
    EXITED = "exited", "已脱贫户"
    NON_REGISTERED = "non_registered", "非建档立卡户"


class EvaluationSample(models.Model):
    """One sampled household and what the verification visit found."""

    evaluation = models.ForeignKey(
        CountyEvaluation,
        verbose_name="评估",
        on_delete=models.CASCADE,
        related_name="samples",
    )
    stratum = models.CharField("抽样层", max_length=16, choices=Stratum.choices)
    household = models.ForeignKey(
        "registry.Household",
        verbose_name="建档立卡户",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    frame_household = models.ForeignKey(
        FrameHousehold,
        verbose_name="非建档立卡户",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    village = models.ForeignKey(
        "divisions.Division", verbose_name="村", on_delete=models.PROTECT, related_name="+"
    )
    persons = models.PositiveSmallIntegerField("人口数", default=1)
    #: The verifier's finding: the household meets the poverty standard (should be poor).
    should_be_poor = models.BooleanField("核查：应为贫困户", null=True)
    satisfied = models.BooleanField("群众认可", null=True)
    notes = models.CharField("核查说明", max_length=500, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="核查人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    verified_at = models.DateTimeField("核查时间", null=True, blank=True)
    simulated = models.BooleanField("模拟核查", default=False)

    class Meta:
        verbose_name = "评估样本户"
        verbose_name_plural = "评估样本户"
        ordering = ["stratum", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(household__isnull=False, frame_household__isnull=True)
                    & ~Q(stratum="non_registered")
                )
                | (
                    Q(household__isnull=True, frame_household__isnull=False)
                    & Q(stratum="non_registered")
                ),
                name="sample_one_household_of_its_stratum",
            ),
            models.UniqueConstraint(
                fields=["evaluation", "household"], name="sample_household_once"
            ),
            models.UniqueConstraint(
                fields=["evaluation", "frame_household"], name="sample_frame_once"
            ),
        ]
        indexes = [models.Index(fields=["evaluation", "stratum"], name="sample_stratum")]

    def __str__(self) -> str:
        return f"{self.evaluation_id}:{self.stratum}:{self.household_id or self.frame_household_id}"

    @property
    def verified(self) -> bool:
        return self.should_be_poor is not None and self.satisfied is not None
