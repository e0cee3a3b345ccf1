"""Village facts (村情) and county statistics: one row per (village, year) / (county, year).

Every fact is nullable: null means "not recorded" and never counts as a pass (domain.md §5).
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import F, Q

from fupin.common.models import SourcedFact

POVERTY_STATUS = [("poor", "贫困村"), ("deep_poor", "深度贫困村"), ("non_poor", "非贫困村")]


class VillageFacts(SourcedFact):
    village = models.ForeignKey(
        "divisions.Division",
        on_delete=models.PROTECT,
        related_name="village_facts",
        verbose_name="村",
    )
    year = models.PositiveSmallIntegerField("年度")
    poverty_status = models.CharField(
        "贫困村属性", max_length=10, choices=POVERTY_STATUS, blank=True, default=""
    )
    poverty_status_since = models.PositiveSmallIntegerField("自哪年起", null=True, blank=True)
    population = models.PositiveIntegerField("农村户籍人口（人）", null=True, blank=True)
    households_total = models.PositiveIntegerField("总户数", null=True, blank=True)
    road_hardened = models.BooleanField("通硬化路（到村）", null=True, blank=True)
    natural_villages = models.PositiveSmallIntegerField("自然村（组）数", null=True, blank=True)
    natural_villages_road = models.PositiveSmallIntegerField(
        "其中通硬化路的自然村数", null=True, blank=True
    )
    power_grid = models.BooleanField("通动力电", null=True, blank=True)
    broadband = models.BooleanField("通宽带", null=True, blank=True)
    mobile_signal = models.BooleanField("手机信号覆盖", null=True, blank=True)
    clinic_qualified_doctor = models.BooleanField(
        "有标准化卫生室且有合格村医", null=True, blank=True
    )
    cultural_room = models.BooleanField("有综合性文化服务中心", null=True, blank=True)
    safe_water_share = models.DecimalField(
        "安全饮水覆盖率（%）", max_digits=5, decimal_places=2, null=True, blank=True
    )
    collective_income = models.DecimalField(
        "村集体经济年收入（元）", max_digits=14, decimal_places=2, null=True, blank=True
    )
    township_distance_km = models.DecimalField(
        "到乡镇距离（公里）", max_digits=6, decimal_places=1, null=True, blank=True
    )
    industry = models.BooleanField("有增收产业", null=True, blank=True)

    class Meta:
        verbose_name = "村情"
        verbose_name_plural = "村情"
        constraints = [
            models.UniqueConstraint(fields=["village", "year"], name="villagefacts_one_per_year"),
            models.CheckConstraint(
                condition=Q(natural_villages_road__lte=F("natural_villages"))
                | Q(natural_villages_road__isnull=True)
                | Q(natural_villages__isnull=True),
                name="villagefacts_road_le_natural",
            ),
            models.CheckConstraint(
                condition=Q(safe_water_share__isnull=True)
                | Q(safe_water_share__gte=Decimal(0), safe_water_share__lte=Decimal(100)),
                name="villagefacts_water_share_range",
            ),
            models.CheckConstraint(
                condition=Q(collective_income__isnull=True) | Q(collective_income__gte=Decimal(0)),
                name="villagefacts_income_nonneg",
            ),
            models.CheckConstraint(
                condition=Q(township_distance_km__isnull=True)
                | Q(township_distance_km__gte=Decimal(0)),
                name="villagefacts_distance_nonneg",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.village_id} {self.year}"


class CountyStatistics(SourcedFact):
    county = models.ForeignKey(
        "divisions.Division",
        on_delete=models.PROTECT,
        related_name="county_statistics",
        verbose_name="县",
    )
    year = models.PositiveSmallIntegerField("年度")
    rural_disposable_income = models.DecimalField(
        "农村常住居民人均可支配收入（元）", max_digits=12, decimal_places=2, null=True, blank=True
    )
    rural_population = models.PositiveIntegerField("乡村人口（人）", null=True, blank=True)

    class Meta:
        verbose_name = "县统计数据"
        verbose_name_plural = "县统计数据"
        constraints = [
            models.UniqueConstraint(
                fields=["county", "year"], name="countystatistics_one_per_year"
            ),
            models.CheckConstraint(
                condition=Q(rural_disposable_income__isnull=True)
                | Q(rural_disposable_income__gte=Decimal(0)),
                name="countystatistics_income_nonneg",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.county_id} {self.year}"
