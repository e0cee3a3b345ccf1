"""Pre-computed rollups: one row of figures per (division, year), at every level.

The dashboards read these rows instead of counting the registry, so a page stays fast with
tens of millions of persons. Rows are rebuilt set-based by ``fupin.reports.services``: the
villages from the registry (one GROUP BY per measure), every level above them as sums of
the level below. The whole country is the row with ``division_code = ""`` (level 0).
"""

from __future__ import annotations

from django.db import models

#: The division code of the national row (all provinces together).
NATIONAL = ""
#: Level of the national row (the division levels are 1 province … 5 village).
NATIONAL_LEVEL = 0

#: Registry statuses with their own count columns: ``<status>_households``/``_persons``.
STATUS_COLUMNS = ("poor", "exited_with_policy", "returned", "exited", "removed")


def _count(label: str) -> models.PositiveIntegerField[int, int]:
    return models.PositiveIntegerField(label, default=0)


class DivisionRollup(models.Model):
    """Figures of one division (or the country) for one year.

    A household counts in year Y when it was first identified in Y or before; its status is
    the registry's current status. The assessment columns count the stored results for Y.
    """

    division_code = models.CharField("区划代码（空为全国）", max_length=12, blank=True)
    level = models.PositiveSmallIntegerField("级别（0 为全国）")
    year = models.PositiveSmallIntegerField("年度")
    households = _count("登记户数")
    persons = _count("登记人数")
    poor_households = _count("未脱贫户数")
    poor_persons = _count("未脱贫人数")
    exited_with_policy_households = _count("已脱贫(享受政策)户数")
    exited_with_policy_persons = _count("已脱贫(享受政策)人数")
    returned_households = _count("返贫户数")
    returned_persons = _count("返贫人数")
    exited_households = _count("已脱贫(不再享受政策)户数")
    exited_persons = _count("已脱贫(不再享受政策)人数")
    removed_households = _count("已清退户数")
    removed_persons = _count("已清退人数")
    assessed_households = _count("已评估户数")
    meets_standard_households = _count("达到脱贫标准户数")
    #: 未脱贫 or 返贫 households (``ASSISTED``) with a current 帮扶责任人 (a pairing not ended).
    paired_households = _count("已结对帮扶户数")
    #: 未脱贫 or 返贫 households with a measure of the year carried out (in progress or done).
    measured_households = _count("已落实帮扶措施户数")
    rule_set = models.CharField("评估规则集", max_length=60, blank=True)
    updated_at = models.DateTimeField("汇总时间")

    class Meta:
        verbose_name = "区划年度汇总"
        verbose_name_plural = "区划年度汇总"
        constraints = [
            models.UniqueConstraint(fields=["division_code", "year"], name="rollup_one_per_year"),
            models.CheckConstraint(
                condition=models.Q(level__gte=0, level__lte=5), name="rollup_level_range"
            ),
        ]
        indexes = [models.Index(fields=["level", "year", "division_code"], name="rollup_level")]

    def __str__(self) -> str:
        return f"{self.division_code or '全国'} {self.year}"


class RollupCount(models.Model):
    """A breakdown count of one (division, year): households per main cause, per failed rule.

    ``kind`` is ``cause`` (``key`` a code of ``codes.CAUSE``), ``failed`` (``key`` a rule
    code of the assessment's rule set), ``attribute`` (``key`` a code of
    ``codes.HOUSEHOLD_ATTRIBUTE``; removed households left out), ``attr_poor`` (the same,
    only households 未脱贫) or ``dp`` (the counts behind the deep-poverty shares, ``key`` one of
    ``fupin.policy.deep_poverty.COUNTS``; persons or households as the key says).
    """

    class Kind(models.TextChoices):
        CAUSE = "cause", "主要致贫原因"
        FAILED = "failed", "未通过规则"
        ATTRIBUTE = "attribute", "贫困户属性"
        ATTRIBUTE_POOR = "attr_poor", "贫困户属性（未脱贫）"
        DEEP_POVERTY = "dp", "深度贫困指标计数"

    division_code = models.CharField("区划代码（空为全国）", max_length=12, blank=True)
    level = models.PositiveSmallIntegerField("级别（0 为全国）")
    year = models.PositiveSmallIntegerField("年度")
    kind = models.CharField("类别", max_length=10, choices=Kind.choices)
    key = models.CharField("代码", max_length=40)
    households = _count("户数")

    class Meta:
        verbose_name = "汇总分项"
        verbose_name_plural = "汇总分项"
        constraints = [
            models.UniqueConstraint(
                fields=["division_code", "year", "kind", "key"], name="rollup_count_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["level", "year", "division_code"], name="rollup_count_level")
        ]

    def __str__(self) -> str:
        return f"{self.division_code or '全国'} {self.year} {self.kind}:{self.key}"


class MeasureRollup(models.Model):
    """Measures carried out (in progress or done) of one (division, year) in one category.

    ``households`` counts the households with such a measure in the category: a household
    lies in one village, so the sums up the levels stay exact per category (not across them).
    """

    division_code = models.CharField("区划代码（空为全国）", max_length=12, blank=True)
    level = models.PositiveSmallIntegerField("级别（0 为全国）")
    year = models.PositiveSmallIntegerField("年度")
    category = models.CharField("措施类别", max_length=16)
    measures = _count("措施条数")
    households = _count("户数")
    amount = models.DecimalField("金额（元）", max_digits=16, decimal_places=2, default=0)

    class Meta:
        verbose_name = "帮扶措施汇总"
        verbose_name_plural = "帮扶措施汇总"
        constraints = [
            models.UniqueConstraint(
                fields=["division_code", "year", "category"], name="measure_rollup_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["level", "year", "division_code"], name="measure_rollup_level")
        ]

    def __str__(self) -> str:
        return f"{self.division_code or '全国'} {self.year} {self.category}"


class DirtyVillage(models.Model):
    """A village whose registry facts changed since its rollups were last computed.

    Written in the same transaction as the change (so a committed change is never left
    unmarked); ``rollups_refresh_dirty`` recomputes the marked villages and their ancestors
    and deletes the marks it processed. Duplicates are harmless.
    """

    village_code = models.CharField("村代码", max_length=12)
    marked_at = models.DateTimeField("标记时间", auto_now_add=True)

    class Meta:
        verbose_name = "待汇总村"
        verbose_name_plural = "待汇总村"

    def __str__(self) -> str:
        return self.village_code
