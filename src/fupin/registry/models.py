"""Registry of households (建档立卡贫困户), their members, income and living conditions.

Fields follow the national household registration form (《贫困户登记表》, domain.md §3). Coded
fields store the stable codes of ``fupin.policy.codes``; labels are shown in Chinese.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import F, Q

from fupin.common.models import SourcedFact, choices
from fupin.policy import codes


def money(label: str) -> models.DecimalField[Decimal, Decimal]:
    """A yuan amount (two decimals), zero when not declared."""
    return models.DecimalField(label, max_digits=12, decimal_places=2, default=Decimal("0"))


class Household(SourcedFact):
    code = models.CharField("户编号", max_length=32)
    village = models.ForeignKey(
        "divisions.Division",
        verbose_name="所在村",
        on_delete=models.PROTECT,
        related_name="households",
        db_index=False,  # the (village, status) index leads with the village
    )
    group_name = models.CharField("村民小组", max_length=50, blank=True)
    attribute = models.CharField(
        "贫困户属性", max_length=12, choices=choices(codes.HOUSEHOLD_ATTRIBUTE), default="general"
    )
    standard = models.CharField(
        "识别标准",
        max_length=12,
        choices=choices(codes.IDENTIFICATION_STANDARD),
        default="national",
    )
    main_cause = models.CharField("主要致贫原因", max_length=20, choices=choices(codes.CAUSE))
    other_cause_1 = models.CharField(
        "其他致贫原因一", max_length=20, choices=choices(codes.CAUSE), blank=True
    )
    other_cause_2 = models.CharField(
        "其他致贫原因二", max_length=20, choices=choices(codes.CAUSE), blank=True
    )
    cause_note = models.CharField("致贫原因说明", max_length=200, blank=True)
    status = models.CharField(
        "脱贫状态", max_length=20, choices=choices(codes.POVERTY_STATUS), default="poor"
    )
    first_identified_year = models.PositiveSmallIntegerField("首次识别年度")
    exit_year = models.PositiveSmallIntegerField("脱贫年度", null=True, blank=True)
    status_changed_at = models.DateTimeField("状态变更时间", null=True, blank=True)
    military_family = models.BooleanField("是否军烈属", default=False)
    one_child = models.BooleanField("是否独生子女户", default=False)
    two_daughters = models.BooleanField("是否双女户", default=False)
    relocated = models.BooleanField("是否易地扶贫搬迁户", default=False)
    phone = models.CharField("联系电话", max_length=20, blank=True)
    bank_name = models.CharField("开户银行", max_length=50, blank=True)
    bank_account = models.CharField("银行账号", max_length=32, blank=True)

    class Meta:
        verbose_name = "贫困户"
        verbose_name_plural = "贫困户"
        indexes = [
            models.Index(fields=["village", "status"], name="household_village_status"),
            models.Index(fields=["status"], name="household_status"),
        ]
        constraints = [
            # A constraint rather than unique=True: no extra pattern-ops index on PostgreSQL.
            models.UniqueConstraint(fields=["code"], name="household_code_unique"),
            models.CheckConstraint(
                condition=~Q(other_cause_1=F("main_cause")) & ~Q(other_cause_2=F("main_cause")),
                name="household_other_cause_not_main",
            ),
            models.CheckConstraint(
                condition=Q(other_cause_2="") | ~Q(other_cause_2=F("other_cause_1")),
                name="household_other_causes_distinct",
            ),
            models.CheckConstraint(
                condition=Q(first_identified_year__gte=2013, first_identified_year__lte=2100),
                name="household_first_year_range",
            ),
            models.CheckConstraint(
                condition=Q(exit_year__isnull=True) | Q(exit_year__gte=F("first_identified_year")),
                name="household_exit_after_identification",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def other_causes(self) -> list[str]:
        return [c for c in (self.other_cause_1, self.other_cause_2) if c]


class Member(SourcedFact):
    household = models.ForeignKey(
        Household, verbose_name="户", on_delete=models.CASCADE, related_name="members"
    )
    id_number = models.CharField("公民身份号码", max_length=18)
    # The ID as an integer (first 17 digits × 11 + check value, X = 10): one-to-one with the
    # ID number, so its unique index refuses duplicates and serves every lookup by ID, and
    # ``id_number`` itself needs no index (two string indexes tripled the cost of a bulk load).
    id_key = models.BigIntegerField("身份号码整数键", unique=True)
    name = models.CharField("姓名", max_length=50)
    sex = models.CharField("性别", max_length=6, choices=choices(codes.SEX))
    birth_date = models.DateField("出生日期")
    relation = models.CharField("与户主关系", max_length=24, choices=choices(codes.RELATION))
    ethnicity = models.CharField("民族", max_length=2, choices=choices(codes.ETHNICITY))
    education = models.CharField(
        "文化程度", max_length=16, choices=choices(codes.EDUCATION), blank=True
    )
    school_status = models.CharField(
        "在校生状况",
        max_length=24,
        choices=choices(codes.SCHOOL_STATUS),
        blank=True,
        default="",  # blank = not recorded (issue 14), never "not in school" by default
    )
    school_exempt_physical = models.BooleanField("因身体原因不能上学（送教上门等）", default=False)
    health = models.CharField(
        "健康状况", max_length=10, choices=choices(codes.HEALTH), default="healthy"
    )
    labour_capacity = models.CharField(
        "劳动能力", max_length=10, choices=choices(codes.LABOUR_CAPACITY), blank=True
    )
    migrant_work = models.CharField(
        "务工状况", max_length=16, choices=choices(codes.MIGRANT_WORK), default="none"
    )
    migrant_months = models.PositiveSmallIntegerField("务工时间（月）", default=0)
    basic_medical = models.BooleanField("是否参加城乡居民基本医疗保险", default=False)
    serious_illness_insurance = models.BooleanField("是否参加大病保险", default=False)
    pension = models.BooleanField("是否参加城乡居民基本养老保险", default=False)
    dibao = models.BooleanField("是否享受低保", default=False)
    tekun = models.BooleanField("是否特困供养", default=False)

    class Meta:
        verbose_name = "家庭成员"
        verbose_name_plural = "家庭成员"
        constraints = [
            models.UniqueConstraint(
                fields=["household"], condition=Q(relation="head"), name="member_one_head"
            ),
            models.CheckConstraint(
                condition=Q(migrant_months__gte=0, migrant_months__lte=12),
                name="member_migrant_months_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class HouseholdIncome(SourcedFact):
    """One year of itemised income and operating costs (domain.md §3.4, §4)."""

    household = models.ForeignKey(
        Household, verbose_name="户", on_delete=models.CASCADE, related_name="incomes"
    )
    year = models.PositiveSmallIntegerField("年度")
    period_start = models.DateField("收入统计起始日")
    period_end = models.DateField("收入统计截止日")
    household_size = models.PositiveSmallIntegerField("家庭人口数（共同生活、共享开支）")
    wage = money("工资性收入")
    operating_income = money("生产经营性收入")
    property_dividend = money("资产收益扶贫分红收入")
    property_other = money("其他财产性收入")
    transfer_family_planning = money("计划生育金")
    transfer_dibao = money("低保金")
    transfer_tekun = money("特困供养金")
    transfer_pension = money("养老保险金")
    transfer_ecological = money("生态补偿金")
    transfer_other = money("其他转移性收入")
    operating_cost = money("生产经营性支出")
    net_income = models.GeneratedField(
        verbose_name="纯收入",
        expression=(
            F("wage")
            + F("operating_income")
            + F("property_dividend")
            + F("property_other")
            + F("transfer_family_planning")
            + F("transfer_dibao")
            + F("transfer_tekun")
            + F("transfer_pension")
            + F("transfer_ecological")
            + F("transfer_other")
            - F("operating_cost")
        ),
        output_field=models.DecimalField(max_digits=14, decimal_places=2),
        db_persist=True,
    )

    class Meta:
        verbose_name = "家庭收支"
        verbose_name_plural = "家庭收支"
        constraints = [
            models.UniqueConstraint(fields=["household", "year"], name="income_one_per_year"),
            models.CheckConstraint(condition=Q(household_size__gte=1), name="income_size_positive"),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="income_period_order"
            ),
            models.CheckConstraint(
                condition=Q(
                    wage__gte=0,
                    operating_income__gte=0,
                    property_dividend__gte=0,
                    property_other__gte=0,
                    transfer_family_planning__gte=0,
                    transfer_dibao__gte=0,
                    transfer_tekun__gte=0,
                    transfer_pension__gte=0,
                    transfer_ecological__gte=0,
                    transfer_other__gte=0,
                    operating_cost__gte=0,
                ),
                name="income_items_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household_id} {self.year}"

    @property
    def per_capita_net_income(self) -> Decimal:
        """人均纯收入 = 纯收入 / 家庭人口数, rounded to the fen."""
        return (Decimal(self.net_income) / self.household_size).quantize(Decimal("0.01"))


class LivingConditions(SourcedFact):
    """Production and living conditions (生产生活条件, domain.md §3.3) and 两不愁."""

    household = models.OneToOneField(
        Household,
        verbose_name="户",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="conditions",
    )
    cultivated_land_mu = models.DecimalField(
        "耕地面积（亩）", max_digits=8, decimal_places=2, null=True, blank=True
    )
    housing_area_m2 = models.DecimalField(
        "住房面积（平方米）", max_digits=8, decimal_places=2, null=True, blank=True
    )
    house_grade = models.CharField(
        # blank = not recorded (issue 14): it never passes 住房安全有保障 by default
        "危房级别",
        max_length=6,
        choices=choices(codes.HOUSE_GRADE),
        blank=True,
        default="",
    )
    food_secure = models.BooleanField("不愁吃", null=True)
    clothing_secure = models.BooleanField("不愁穿", null=True)
    water_difficult = models.BooleanField("饮水是否困难", null=True)
    water_safe = models.BooleanField("饮水是否安全", null=True)
    electricity_household = models.BooleanField("是否通生活用电", null=True)
    electricity_production = models.BooleanField("是否通生产用电", null=True)
    road_distance_km = models.DecimalField(
        "与村主干路距离（公里）", max_digits=6, decimal_places=2, null=True, blank=True
    )
    road_type = models.CharField(
        "入户路类型", max_length=10, choices=choices(codes.ROAD_TYPE), blank=True
    )
    sanitary_toilet = models.BooleanField("有无卫生厕所", null=True)
    fuel = models.CharField("主要燃料类型", max_length=16, choices=choices(codes.FUEL), blank=True)
    coop_member = models.BooleanField("是否加入农民专业合作社", null=True)

    class Meta:
        verbose_name = "生产生活条件"
        verbose_name_plural = "生产生活条件"

    def __str__(self) -> str:
        return str(self.household_id)


# The village facts live in their own module; importing them here registers them with the app.
from fupin.registry.village import CountyStatistics, VillageFacts  # noqa: E402, F401
