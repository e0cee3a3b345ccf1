"""Assessment runs and their per-household results with reason codes."""

from __future__ import annotations

from django.db import models


class AssessmentRun(models.Model):
    division = models.ForeignKey(
        "divisions.Division", verbose_name="区划", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年度")
    rule_set = models.CharField("规则集", max_length=40)
    rule_set_version = models.CharField("规则集版本", max_length=20)
    parameters = models.JSONField("所用参数", default=dict)
    engine = models.CharField("执行引擎", max_length=20)
    started_at = models.DateTimeField("开始时间", auto_now_add=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    household_count = models.PositiveIntegerField("评估户数", default=0)
    meets_count = models.PositiveIntegerField("达标户数", default=0)

    class Meta:
        verbose_name = "评估批次"
        verbose_name_plural = "评估批次"

    def __str__(self) -> str:
        return f"{self.division_id} {self.year} {self.rule_set}@{self.rule_set_version}"


class AssessmentResult(models.Model):
    """The latest result of one household for one year under one rule set."""

    # Neither foreign key has an index of its own: the run's is ``assessment_result_run``
    # below and the household's is the leading column of the unique constraint (ADR 5).
    run = models.ForeignKey(
        AssessmentRun,
        verbose_name="评估批次",
        on_delete=models.CASCADE,
        related_name="results",
        db_index=False,
    )
    household = models.ForeignKey(
        "registry.Household",
        verbose_name="户",
        on_delete=models.CASCADE,
        related_name="assessments",
        db_index=False,
    )
    year = models.PositiveSmallIntegerField("年度")
    rule_set = models.CharField("规则集", max_length=40)
    rule_set_version = models.CharField("规则集版本", max_length=20)
    meets_standard = models.BooleanField("达到脱贫标准")
    income_above_line = models.BooleanField("收入超过标准")
    per_capita_net_income = models.DecimalField(
        "人均纯收入", max_digits=14, decimal_places=2, null=True
    )
    poverty_line = models.DecimalField("适用标准", max_digits=10, decimal_places=2)
    # Codes of the failed rules joined by "|" in rule order; empty when all pass.
    failed_codes = models.CharField("未通过规则", max_length=200, blank=True)

    class Meta:
        verbose_name = "评估结果"
        verbose_name_plural = "评估结果"
        constraints = [
            models.UniqueConstraint(
                fields=["household", "year", "rule_set"], name="assessment_one_per_household_year"
            )
        ]
        indexes = [models.Index(fields=["run"], name="assessment_result_run")]

    def __str__(self) -> str:
        return f"{self.household_id} {self.year}: {self.failed_codes or 'OK'}"
