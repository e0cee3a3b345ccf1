"""Deep-poverty rule sets of the provinces, designations and the areas they name.

The indicators themselves are computed (``fupin.policy.deep_poverty``), never stored; what is
stored is what a province decided: the rule set it applies, and each designation (a decision
with document number and date) with the figures and reasons the areas had when designated,
so a later change in the registry never rewrites why an area was named.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Kind(models.TextChoices):
    DEEP_POVERTY = "deep_poverty", "深度贫困地区"
    GUAPAI = "guapai", "挂牌督战"


class AreaLevel(models.TextChoices):
    COUNTY = "county", "县"
    VILLAGE = "village", "村"


class ProvincialRuleSet(models.Model):
    """A province's own rule set (thresholds, which marks must hold, score weights).

    ``definition`` is the plain form :func:`fupin.policy.deep_poverty.rule_set` checks; it is
    validated by the service before it is stored.
    """

    province = models.ForeignKey(
        "divisions.Division", on_delete=models.PROTECT, related_name="+", verbose_name="省"
    )
    code = models.CharField("规则集代码", max_length=40)
    version = models.CharField("版本", max_length=20)
    name = models.CharField("名称", max_length=100)
    level = models.CharField("级别", max_length=10, choices=AreaLevel.choices)
    kind = models.CharField("类别", max_length=20, choices=Kind.choices)
    definition = models.JSONField("定义")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="登记人",
    )

    class Meta:
        verbose_name = "深度贫困识别规则集"
        verbose_name_plural = "深度贫困识别规则集"
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="ruleset_code_version"),
        ]

    def __str__(self) -> str:
        return f"{self.code}@{self.version}"


class Designation(models.Model):
    """A province's decision naming deep-poverty (or 挂牌督战) counties or villages."""

    province = models.ForeignKey(
        "divisions.Division", on_delete=models.PROTECT, related_name="+", verbose_name="省"
    )
    kind = models.CharField("类别", max_length=20, choices=Kind.choices)
    level = models.CharField("级别", max_length=10, choices=AreaLevel.choices)
    year = models.PositiveSmallIntegerField("依据数据年度")
    title = models.CharField("决定名称", max_length=200)
    document_number = models.CharField("文号", max_length=100)
    decided_on = models.DateField("决定日期")
    rule_set = models.CharField("所用规则集", max_length=70)
    rule_set_definition = models.JSONField("规则集定义（认定时）")
    note = models.TextField("说明", blank=True)
    recorded_at = models.DateTimeField("录入时间", auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="录入人",
    )

    class Meta:
        verbose_name = "深度贫困地区认定"
        verbose_name_plural = "深度贫困地区认定"
        ordering = ["-decided_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["province", "document_number", "level"], name="designation_one_per_doc"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title}（{self.document_number}）"


class DesignatedArea(models.Model):
    """One county or village a designation names, with its figures when designated."""

    designation = models.ForeignKey(
        Designation, on_delete=models.CASCADE, related_name="areas", verbose_name="认定"
    )
    division = models.ForeignKey(
        "divisions.Division", on_delete=models.PROTECT, related_name="+", verbose_name="区划"
    )
    was_candidate = models.BooleanField("认定时是否为候选")
    score = models.FloatField("综合得分（认定时）", null=True, blank=True)
    reasons = models.TextField("理由（认定时）", blank=True)
    indicators = models.JSONField("指标（认定时）")

    class Meta:
        verbose_name = "认定的区划"
        verbose_name_plural = "认定的区划"
        constraints = [
            models.UniqueConstraint(
                fields=["designation", "division"], name="designated_area_once"
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0), name="designated_score_nonneg"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.designation_id} {self.division_id}"
