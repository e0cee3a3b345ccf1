"""Deep-poverty indicators (两高、一低、一差、三重) and the provincial rule sets that find
candidate deep-poverty counties and villages.

The 2017 speech names the marks of a deep-poverty area: 两高 (many poor people, high
incidence), 一低 (low per-capita income), 一差 (poor infrastructure and housing) and 三重 (a
heavy burden of 低保/五保 households, of illness-caused poverty, of poor elderly people).
中办 国办 《关于支持深度贫困地区脱贫攻坚的实施意见》 (2017) targets counties with incidence
above 18 % and villages above 20 % (domain.md §8); the 2020 挂牌督战 list took counties with
more than 10,000 poor or incidence above 5 % and villages with more than 1,000 poor or above
10 % (domain-next.md §5). Everything else is set by each province, so every threshold here is
a parameter of a rule set, never a constant in the code.

:func:`indicators` is one Ibis definition over six logical input tables (the registry's
households, members, incomes and living conditions, the village facts 村情 and the county
statistics). Bound to the registry tables it compiles to SQL for SQLite or PostgreSQL; bound
to a flat registry file it runs in DuckDB or on Spark: one definition, the same figures.

Conventions (stated in ``docs/indices.md``):

* a household counts in year Y when it was first identified in Y or before and is not
  removed; it is *poor* when its status is 未脱贫 or 返贫 — the rollups' definition, so the
  tables and the indicators agree;
* persons are member rows; age is the age reached in year Y (Y − birth year); 60 岁以上
  includes 60;
* a blank fact is "not recorded": it is left out of the share's denominator and counted in
  the matching ``*_unrecorded`` column, never taken as a pass;
* a share whose denominator is zero is null; incidence is null without a recorded rural
  population (村情 for a village, 县统计数据 for a county).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal, cast

import ibis
import ibis.expr.types as ir

# -- input tables --------------------------------------------------------------------------------

SCHEMAS: dict[str, dict[str, str]] = {
    "household": {
        "id": "int64",
        "village_id": "string",
        "status": "string",
        "attribute": "string",
        "main_cause": "string",
        "first_identified_year": "int64",
    },
    "member": {"household_id": "int64", "birth_date": "date"},
    "income": {
        "household_id": "int64",
        "year": "int64",
        "household_size": "int64",
        "net_income": "float64",
    },
    "conditions": {
        "household_id": "int64",
        "house_grade": "string",
        "water_safe": "boolean",
        "road_type": "string",
    },
    "village": {
        "village_id": "string",
        "year": "int64",
        "population": "int64",
        "road_hardened": "boolean",
        "natural_villages": "int64",
        "natural_villages_road": "int64",
        "power_grid": "boolean",
        "broadband": "boolean",
        "mobile_signal": "boolean",
        "clinic_qualified_doctor": "boolean",
        "cultural_room": "boolean",
        "safe_water_share": "float64",
        "collective_income": "float64",
    },
    "county": {
        "county_id": "string",
        "year": "int64",
        "rural_disposable_income": "float64",
        "rural_population": "int64",
    },
}


@dataclass(frozen=True)
class Inputs:
    """The six input tables, bound to any Ibis backend (or unbound, for SQL)."""

    household: ir.Table
    member: ir.Table
    income: ir.Table
    conditions: ir.Table
    village: ir.Table
    county: ir.Table

    @classmethod
    def unbound(cls, names: Mapping[str, str]) -> Inputs:
        return cls(**{key: ibis.table(SCHEMAS[key], name=names[key]) for key in SCHEMAS})


# -- errors ---------------------------------------------------------------------------------------


class DeepPovertyErrorCode(StrEnum):
    UNKNOWN_INDICATOR = "DEEP_POVERTY_UNKNOWN_INDICATOR"
    BAD_LEVEL = "DEEP_POVERTY_BAD_LEVEL"
    BAD_RULE = "DEEP_POVERTY_BAD_RULE"
    BAD_THRESHOLD = "DEEP_POVERTY_BAD_THRESHOLD"
    BAD_WEIGHT = "DEEP_POVERTY_BAD_WEIGHT"
    UNKNOWN_RULE_SET = "DEEP_POVERTY_UNKNOWN_RULE_SET"


class DeepPovertyError(ValueError):
    """A rule set or request the indicators cannot serve; ``message`` is Chinese."""

    def __init__(self, code: DeepPovertyErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# -- the indicators -------------------------------------------------------------------------------

Level = Literal["county", "township", "village"]
#: Digits of the division code per level (the area key is that prefix of the village code).
LEVEL_DIGITS: dict[str, int] = {"county": 6, "township": 9, "village": 12}
Mark = Literal["两高", "一低", "一差", "三重", ""]
Unit = Literal["persons", "share", "yuan", "count"]


@dataclass(frozen=True)
class Indicator:
    key: str
    label: str
    mark: Mark
    unit: Unit
    #: How the figure is defined (shown under the tables and in the docs).
    definition: str
    #: A column heading short enough for a phone (the label when empty).
    short: str = ""

    @property
    def heading(self) -> str:
        return self.short or self.label


INDICATORS: tuple[Indicator, ...] = (
    Indicator("households", "建档立卡户数", "", "count", "首次识别年度不晚于该年、未清退的户"),
    Indicator("persons", "建档立卡人数", "", "persons", "上述户的家庭成员人数"),
    Indicator("poor_households", "贫困户数", "两高", "count", "脱贫状态为未脱贫或返贫的户"),
    Indicator("poor_persons", "贫困人口", "两高", "persons", "贫困户的家庭成员人数"),
    Indicator("population", "农村户籍人口", "", "persons", "村情（村）或县统计数据（县）"),
    Indicator("incidence", "贫困发生率", "两高", "share", "贫困人口 ÷ 农村户籍人口"),
    Indicator(
        "income_mean",
        "人均纯收入（均值）",
        "一低",
        "yuan",
        "建档立卡户纯收入之和 ÷ 家庭人口数之和（按人加权）",
        short="人均纯收入",
    ),
    Indicator(
        "income_median",
        "人均纯收入（中位数）",
        "一低",
        "yuan",
        "已登记收入的建档立卡户人均纯收入的中位数（按户）",
        short="收入中位数",
    ),
    Indicator(
        "rural_disposable_income",
        "县农村常住居民人均可支配收入",
        "一低",
        "yuan",
        "县统计数据（村取所在县的数）",
        short="县农村人均可支配收入",
    ),
    Indicator(
        "income_ratio",
        "人均纯收入占县农村人均可支配收入比例",
        "一低",
        "share",
        "人均纯收入（均值）÷ 县农村常住居民人均可支配收入",
        short="收入比（对县）",
    ),
    Indicator(
        "unsafe_housing_share",
        "危房户比例",
        "一差",
        "share",
        "C、D 级危房户 ÷ 已记录户",
        short="危房户",
    ),
    Indicator(
        "no_safe_water_share",
        "饮水不安全户比例",
        "一差",
        "share",
        "饮水不安全户 ÷ 已记录户",
        short="饮水不安全户",
    ),
    Indicator(
        "no_hardened_road_share",
        "入户路未硬化户比例",
        "一差",
        "share",
        "入户路为泥土路或砂石路的户 ÷ 已记录户",
        short="入户路未硬化户",
    ),
    Indicator(
        "villages_no_road",
        "未通硬化路的行政村比例",
        "一差",
        "share",
        "村情中未通硬化路的村 ÷ 已记录的村（村级为 0 或 100%）",
        short="村未通硬化路",
    ),
    Indicator(
        "natural_villages_no_road",
        "未通硬化路的自然村比例",
        "一差",
        "share",
        "1 − 通硬化路的自然村数 ÷ 自然村数",
    ),
    Indicator("villages_no_power", "未通动力电的村比例", "一差", "share", "村情，同上"),
    Indicator("villages_no_broadband", "未通宽带的村比例", "一差", "share", "村情，同上"),
    Indicator("villages_no_mobile", "无手机信号覆盖的村比例", "一差", "share", "村情，同上"),
    Indicator(
        "villages_no_clinic",
        "无标准化卫生室或合格村医的村比例",
        "一差",
        "share",
        "村情，同上",
    ),
    Indicator(
        "villages_no_cultural_room", "无综合性文化服务中心的村比例", "一差", "share", "村情，同上"
    ),
    Indicator(
        "safe_water_coverage",
        "安全饮水覆盖率",
        "一差",
        "share",
        "村情安全饮水覆盖率（县为各村的平均）",
    ),
    Indicator(
        "collective_income",
        "村集体经济年收入（村均）",
        "一差",
        "yuan",
        "村情村集体经济年收入（县为各村的平均）",
    ),
    Indicator(
        "dibao_tekun_share",
        "低保、五保贫困人口占贫困人口比例",
        "三重",
        "share",
        "属性为低保贫困户或特困供养贫困户的贫困户人口 ÷ 贫困人口",
        short="低保五保占比",
    ),
    Indicator(
        "illness_disability_share",
        "因病、因残致贫人口占贫困人口比例",
        "三重",
        "share",
        "主要致贫原因为因病或因残的贫困户人口 ÷ 贫困人口",
        short="因病因残占比",
    ),
    Indicator(
        "elderly_share",
        "60 岁以上贫困人口占贫困人口比例",
        "三重",
        "share",
        "当年年满 60 周岁（含）的贫困人口 ÷ 贫困人口",
        short="60岁以上占比",
    ),
)
INDICATOR_BY_KEY: dict[str, Indicator] = {i.key: i for i in INDICATORS}
#: The counts behind the shares (summable over areas).
COUNTS = (
    "unsafe_housing_households",
    "housing_recorded",
    "no_safe_water_households",
    "water_recorded",
    "no_hardened_road_households",
    "road_recorded",
    "dibao_tekun_persons",
    "illness_disability_persons",
    "elderly_poor_persons",
)
#: Columns counting blank facts (not recorded), beside the shares they are left out of.
UNRECORDED = (
    "income_unrecorded",
    "housing_unrecorded",
    "water_unrecorded",
    "road_unrecorded",
    "villages_unrecorded",
)


def _share(numerator: ir.NumericValue, denominator: ir.NumericValue) -> ir.FloatingValue:
    d = denominator.cast("float64")
    return ibis.ifelse(d > 0, numerator.cast("float64") / d, ibis.null("float64"))


def _int(b: ir.BooleanValue) -> ir.IntegerValue:
    """1 where true, 0 where false or null (PostgreSQL cannot cast a boolean to bigint)."""
    return ibis.ifelse(b, 1, 0)


def _flag(true_when: ir.BooleanValue, recorded: ir.BooleanValue) -> ir.IntegerValue:
    """1 / 0 where the fact is recorded, null where it is not."""
    return ibis.ifelse(recorded, _int(true_when), ibis.null("int64"))


def _lacking(value: ir.BooleanValue) -> ir.IntegerValue:
    return _flag(~value, value.notnull())


def households_frame(inputs: Inputs, year: int, level: Level) -> ir.Table:
    """One row per household counted in ``year``: its area key, poor flag, persons, elderly
    persons, per-capita income (null when not recorded) and the 一差 flags (null when blank)."""
    h = inputs.household
    h = h.filter(h.status != "removed", h.first_identified_year <= year)
    m = inputs.member
    members = m.group_by(hid=m.household_id).aggregate(
        persons=m.count(),
        elderly=_int((ibis.literal(year) - m.birth_date.year()) >= 60).sum(),
    )
    i = inputs.income.filter(inputs.income.year == year)
    i = i.select(iid=i.household_id, size=i.household_size, net=i.net_income)
    c = inputs.conditions
    c = c.select(
        cid=c.household_id,
        grade=c.house_grade.strip().nullif(""),
        water_safe=c.water_safe,
        road=c.road_type.strip().nullif(""),
    )
    j = (
        h.left_join(members, h.id == members.hid)
        .left_join(i, h.id == i.iid)
        .left_join(c, h.id == c.cid)
    )
    poor = j.status.isin(["poor", "returned"])
    return j.select(
        area=j.village_id.substr(0, LEVEL_DIGITS[level]),
        village=j.village_id,
        poor=_int(poor),
        persons=j.persons.fill_null(0),
        elderly=j.elderly.fill_null(0),
        net=j.net.cast("float64"),
        size=j.size.cast("float64"),
        pc_income=ibis.ifelse(j.size > 0, j.net.cast("float64") / j.size, ibis.null("float64")),
        welfare=_int(j.attribute.isin(["dibao", "tekun"])),
        illness=_int(j.main_cause.isin(["illness", "disability"])),
        unsafe_house=_flag(j.grade.isin(["C", "D"]), j.grade.notnull()),
        unsafe_water=_lacking(j.water_safe),
        unhardened=_flag(j.road.isin(["dirt", "gravel"]), j.road.notnull()),
    )


def _median(f: ir.Table) -> ir.Table:
    """The median per-capita income per area, exact on every engine (no MEDIAN in SQLite):
    the middle value, or the mean of the two middle values, of the ordered incomes."""
    r = f.filter(f.pc_income.notnull())
    w = ibis.window(group_by=r.area, order_by=r.pc_income)
    ranked = r.select(
        marea=r.area,
        v=r.pc_income,
        k=ibis.row_number().over(w) + 1,
        n=r.pc_income.count().over(ibis.window(group_by=r.area)),
    )
    # k is 1-based; the middle ranks are floor((n+1)/2) and floor(n/2)+1.
    lo = ((ranked.n + 1) / 2).floor().cast("int64")
    hi = (ranked.n / 2).floor().cast("int64") + 1
    middle = ranked.filter((ranked.k == lo) | (ranked.k == hi))
    return middle.group_by("marea").aggregate(income_median=middle.v.mean())


def _village_facts(inputs: Inputs, year: int, level: Level) -> ir.Table:
    v = inputs.village.filter(inputs.village.year == year)
    v = v.select(
        varea=v.village_id.substr(0, LEVEL_DIGITS[level]),
        population=v.population,
        no_road=_lacking(v.road_hardened),
        no_power=_lacking(v.power_grid),
        no_broadband=_lacking(v.broadband),
        no_mobile=_lacking(v.mobile_signal),
        no_clinic=_lacking(v.clinic_qualified_doctor),
        no_cultural=_lacking(v.cultural_room),
        natural=v.natural_villages,
        natural_road=ibis.ifelse(
            v.natural_villages.notnull(), v.natural_villages_road, ibis.null("int64")
        ),
        water=v.safe_water_share.cast("float64") / 100,
        collective=v.collective_income.cast("float64"),
        facts=ibis.literal(1),
    )
    return v.group_by("varea").aggregate(
        village_population=v.population.sum(),
        population_missing=_int(v.population.isnull()).sum(),
        villages_no_road=v.no_road.mean(),
        villages_no_power=v.no_power.mean(),
        villages_no_broadband=v.no_broadband.mean(),
        villages_no_mobile=v.no_mobile.mean(),
        villages_no_clinic=v.no_clinic.mean(),
        villages_no_cultural_room=v.no_cultural.mean(),
        natural_villages_no_road=1
        - _share(
            ibis.ifelse(v.natural_road.notnull(), v.natural_road, 0).sum(),
            ibis.ifelse(v.natural_road.notnull(), v.natural, 0).sum(),
        ),
        safe_water_coverage=v.water.mean(),
        collective_income=v.collective.mean(),
        villages_recorded=v.facts.sum(),
    )


def indicators(inputs: Inputs, year: int, level: Level) -> ir.Table:
    """Every indicator of :data:`INDICATORS` per area of ``level`` (column ``area``: the
    county's 6, the township's 9 or the village's 12 digits), with the ``UNRECORDED`` counts.

    Areas are those with registered households in ``year``.
    """
    if level not in LEVEL_DIGITS:
        raise DeepPovertyError(
            DeepPovertyErrorCode.BAD_LEVEL, f"级别须为 county、township 或 village，而非 {level}"
        )
    f = households_frame(inputs, year, level)
    pp = f.persons * f.poor
    agg = f.group_by("area").aggregate(
        households=f.count(),
        persons=f.persons.sum(),
        poor_households=f.poor.sum(),
        poor_persons=pp.sum(),
        income_sum=f.net.sum(),
        income_size=ibis.ifelse(f.net.notnull(), f.size, 0.0).sum(),
        income_unrecorded=_int(f.pc_income.isnull()).sum(),
        unsafe_housing_share=f.unsafe_house.mean(),
        unsafe_housing_households=f.unsafe_house.sum().fill_null(0),
        housing_recorded=f.unsafe_house.count(),
        no_safe_water_households=f.unsafe_water.sum().fill_null(0),
        water_recorded=f.unsafe_water.count(),
        no_hardened_road_households=f.unhardened.sum().fill_null(0),
        road_recorded=f.unhardened.count(),
        housing_unrecorded=_int(f.unsafe_house.isnull()).sum(),
        no_safe_water_share=f.unsafe_water.mean(),
        water_unrecorded=_int(f.unsafe_water.isnull()).sum(),
        no_hardened_road_share=f.unhardened.mean(),
        road_unrecorded=_int(f.unhardened.isnull()).sum(),
        welfare_persons=(pp * f.welfare).sum(),
        illness_persons=(pp * f.illness).sum(),
        elderly_persons=(f.elderly * f.poor).sum(),
    )
    med = _median(f)
    vf = _village_facts(inputs, year, level)
    # Villages with registered households but no 村情 row for the year.
    seen = f.select(vid=f.village, uarea=f.area).distinct()
    has = inputs.village.filter(inputs.village.year == year)
    has = has.select(fv=has.village_id).distinct()
    gaps = seen.anti_join(has, seen.vid == has.fv)
    gaps = gaps.group_by("uarea").aggregate(villages_unrecorded=gaps.count())
    cs = inputs.county.filter(inputs.county.year == year)
    cs = cs.select(
        carea=cs.county_id.substr(0, 6),
        rural_disposable_income=cs.rural_disposable_income.cast("float64"),
        rural_population=cs.rural_population,
    )
    j = (
        agg.left_join(med, agg.area == med.marea)
        .left_join(vf, agg.area == vf.varea)
        .left_join(gaps, agg.area == gaps.uarea)
    )
    j = j.left_join(cs, j.area.substr(0, 6) == cs.carea)
    if level == "county":
        population = j.rural_population
    elif level == "village":
        population = j.village_population
    else:
        # A township's population is its villages' sum, known only when every village has it.
        known = (j.population_missing.fill_null(1) == 0) & (j.villages_unrecorded.fill_null(0) == 0)
        population = ibis.ifelse(known, j.village_population, ibis.null("int64"))
    income_mean = _share(j.income_sum, j.income_size)
    return j.select(
        area=j.area,
        households=j.households,
        persons=j.persons,
        poor_households=j.poor_households,
        poor_persons=j.poor_persons,
        population=population.cast("int64"),
        incidence=_share(j.poor_persons, population),
        income_mean=income_mean,
        income_median=j.income_median,
        rural_disposable_income=j.rural_disposable_income,
        income_ratio=_share(income_mean, j.rural_disposable_income),
        unsafe_housing_share=j.unsafe_housing_share.cast("float64"),
        no_safe_water_share=j.no_safe_water_share.cast("float64"),
        no_hardened_road_share=j.no_hardened_road_share.cast("float64"),
        villages_no_road=j.villages_no_road.cast("float64"),
        natural_villages_no_road=j.natural_villages_no_road.cast("float64"),
        villages_no_power=j.villages_no_power.cast("float64"),
        villages_no_broadband=j.villages_no_broadband.cast("float64"),
        villages_no_mobile=j.villages_no_mobile.cast("float64"),
        villages_no_clinic=j.villages_no_clinic.cast("float64"),
        villages_no_cultural_room=j.villages_no_cultural_room.cast("float64"),
        safe_water_coverage=j.safe_water_coverage.cast("float64"),
        collective_income=j.collective_income.cast("float64"),
        dibao_tekun_share=_share(j.welfare_persons, j.poor_persons),
        illness_disability_share=_share(j.illness_persons, j.poor_persons),
        elderly_share=_share(j.elderly_persons, j.poor_persons),
        # The counts behind the shares, so a table can sum areas and divide once.
        unsafe_housing_households=j.unsafe_housing_households,
        housing_recorded=j.housing_recorded,
        no_safe_water_households=j.no_safe_water_households,
        water_recorded=j.water_recorded,
        no_hardened_road_households=j.no_hardened_road_households,
        road_recorded=j.road_recorded,
        dibao_tekun_persons=j.welfare_persons,
        illness_disability_persons=j.illness_persons,
        elderly_poor_persons=j.elderly_persons,
        income_unrecorded=j.income_unrecorded,
        housing_unrecorded=j.housing_unrecorded,
        water_unrecorded=j.water_unrecorded,
        road_unrecorded=j.road_unrecorded,
        villages_unrecorded=j.villages_unrecorded.fill_null(0),
    ).order_by("area")


# -- rule sets ------------------------------------------------------------------------------------

Op = Literal["gt", "ge", "lt", "le"]
#: How a comparison reads in a reason (以上/以下 include the number, 高于/低于 exclude it:
#: "18% 以上" is stated as 不低于 18%, "60% 以下" as 不高于 60%).
OP_WORDS: dict[str, str] = {"gt": "高于", "ge": "不低于", "lt": "低于", "le": "不高于"}
#: A normalised part of the composite score is capped here, so one extreme figure cannot
#: outweigh every other mark.
SCORE_CAP = 3.0


@dataclass(frozen=True)
class Criterion:
    """``indicator op threshold``; a share's threshold is a fraction (0.18 for 18 %)."""

    indicator: str
    op: Op
    threshold: float

    @property
    def info(self) -> Indicator:
        return INDICATOR_BY_KEY[self.indicator]

    def test(self, value: ir.NumericValue) -> ir.BooleanValue:
        t = ibis.literal(self.threshold)
        tests: dict[str, ir.BooleanValue] = {
            "gt": value > t,
            "ge": value >= t,
            "lt": value < t,
            "le": value <= t,
        }
        return tests[self.op]

    def holds(self, value: float | None) -> bool | None:
        if value is None:
            return None
        t = self.threshold
        return {"gt": value > t, "ge": value >= t, "lt": value < t, "le": value <= t}[self.op]


@dataclass(frozen=True)
class ScorePart:
    """One part of the composite score: the figure relative to ``reference`` (1.0 at the
    reference), oriented so that higher is deeper, capped at :data:`SCORE_CAP`."""

    indicator: str
    weight: float
    reference: float
    higher_is_deeper: bool = True

    def ratio(self, value: ir.NumericValue) -> ir.FloatingValue:
        v = value.cast("float64")
        ref = ibis.literal(float(self.reference))
        if self.higher_is_deeper:
            r = v / ref
        else:
            r = ibis.ifelse(v > 0, ref / v, ibis.literal(SCORE_CAP))
        # LEAST skips NULLs on DuckDB and PostgreSQL (not on SQLite): not recorded stays null.
        return ibis.ifelse(v.isnull(), ibis.null("float64"), ibis.least(r, SCORE_CAP))

    def ratio_of(self, value: float | None) -> float | None:
        """The same in Python (for tests and explanations)."""
        if value is None:
            return None
        r = (
            value / self.reference
            if self.higher_is_deeper
            else (self.reference / value if value > 0 else SCORE_CAP)
        )
        return min(r, SCORE_CAP)


@dataclass(frozen=True)
class RuleSet:
    """A provincial (or national) rule set for one level.

    An area is a candidate when ``all`` (or ``any``) of the criteria hold; a criterion whose
    figure is not recorded does not hold. The composite score (for the ranking) is the
    weighted mean of the parts' ratios, weights normalised to sum 1; it is null when one of
    its figures is not recorded.
    """

    code: str
    version: str
    name: str
    level: Level
    combine: Literal["all", "any"]
    criteria: tuple[Criterion, ...]
    score: tuple[ScorePart, ...] = ()
    region: str = ""
    clause: str = ""
    kind: Literal["deep_poverty", "guapai"] = "deep_poverty"

    @property
    def key(self) -> str:
        return f"{self.code}@{self.version}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "version": self.version,
            "name": self.name,
            "level": self.level,
            "combine": self.combine,
            "kind": self.kind,
            "region": self.region,
            "clause": self.clause,
            "criteria": [
                {"indicator": c.indicator, "op": c.op, "threshold": c.threshold}
                for c in self.criteria
            ],
            "score": [
                {
                    "indicator": p.indicator,
                    "weight": p.weight,
                    "reference": p.reference,
                    "higher_is_deeper": p.higher_is_deeper,
                }
                for p in self.score
            ],
        }


def _err(code: DeepPovertyErrorCode, message: str) -> DeepPovertyError:
    return DeepPovertyError(code, message)


def _indicator(raw: Mapping[str, Any], where: str) -> str:
    key = str(raw.get("indicator", ""))
    if key not in INDICATOR_BY_KEY:
        raise _err(
            DeepPovertyErrorCode.UNKNOWN_INDICATOR,
            f"{where}引用了未知指标“{key}”；可用指标：{'、'.join(INDICATOR_BY_KEY)}",
        )
    return key


def _number(raw: Mapping[str, Any], name: str, where: str, default: float | None = None) -> float:
    value = raw.get(name, default)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise _err(
            DeepPovertyErrorCode.BAD_THRESHOLD, f"{where}的 {name} 不是数字：{value!r}"
        ) from None
    if not math.isfinite(number) or number < 0:
        raise _err(DeepPovertyErrorCode.BAD_THRESHOLD, f"{where}的 {name} 须为非负数，而非 {value}")
    return number


def rule_set(
    *,
    code: str,
    version: str,
    name: str,
    level: str,
    criteria: Sequence[Mapping[str, Any]],
    combine: str = "all",
    score: Sequence[Mapping[str, Any]] = (),
    region: str = "",
    clause: str = "",
    kind: str = "deep_poverty",
) -> RuleSet:
    """Build and check a rule set from plain data (a province's JSON file, the admin)."""
    if level not in ("county", "township", "village"):
        raise _err(
            DeepPovertyErrorCode.BAD_LEVEL,
            f"规则集级别须为 county、township 或 village，而非 {level}",
        )
    if combine not in ("all", "any"):
        raise _err(DeepPovertyErrorCode.BAD_RULE, f"combine 须为 all 或 any，而非 {combine}")
    if kind not in ("deep_poverty", "guapai"):
        raise _err(DeepPovertyErrorCode.BAD_RULE, f"kind 须为 deep_poverty 或 guapai，而非 {kind}")
    if not code or not version:
        raise _err(DeepPovertyErrorCode.BAD_RULE, "规则集须有代码（code）和版本（version）")
    if not criteria:
        raise _err(DeepPovertyErrorCode.BAD_RULE, "规则集至少要有一条判定条件")
    crits = []
    for n, raw in enumerate(criteria, start=1):
        where = f"第 {n} 条判定条件"
        key = _indicator(raw, where)
        op = str(raw.get("op", ""))
        if op not in OP_WORDS:
            raise _err(
                DeepPovertyErrorCode.BAD_RULE, f"{where}的比较符须为 gt/ge/lt/le，而非“{op}”"
            )
        threshold = _number(raw, "threshold", where)
        if INDICATOR_BY_KEY[key].unit == "share" and threshold > 1:
            raise _err(
                DeepPovertyErrorCode.BAD_THRESHOLD,
                f"{where}：比例指标的阈值以小数表示（18% 写作 0.18），而非 {threshold:g}",
            )
        crits.append(Criterion(key, cast(Op, op), threshold))  # op checked above
    parts = []
    for n, raw in enumerate(score, start=1):
        where = f"综合得分第 {n} 项"
        key = _indicator(raw, where)
        weight = _number(raw, "weight", where)
        reference = _number(raw, "reference", where)
        if weight <= 0:
            raise _err(DeepPovertyErrorCode.BAD_WEIGHT, f"{where}的权重须大于 0")
        if reference <= 0:
            raise _err(DeepPovertyErrorCode.BAD_THRESHOLD, f"{where}的参照值须大于 0")
        parts.append(ScorePart(key, weight, reference, bool(raw.get("higher_is_deeper", True))))
    total = sum(p.weight for p in parts)
    parts = [
        ScorePart(p.indicator, p.weight / total, p.reference, p.higher_is_deeper) for p in parts
    ]
    return RuleSet(
        code=code,
        version=version,
        name=name,
        # level, combine and kind were checked against their literals above.
        level=cast(Level, level),
        combine=cast(Literal["all", "any"], combine),
        criteria=tuple(crits),
        score=tuple(parts),
        region=region,
        clause=clause,
        kind=cast(Literal["deep_poverty", "guapai"], kind),
    )


_S41 = (
    "中办 国办《关于支持深度贫困地区脱贫攻坚的实施意见》（2017）："
    "贫困发生率超过 18% 的县、超过 20% 的村"
)
_D3 = (
    "国务院扶贫办 2020 年挂牌督战：贫困人口超过 1 万人或贫困发生率超过 5% 的县，"
    "超过 1000 人或 10% 的村"
)


def _score(incidence: float) -> list[dict[str, Any]]:
    """The default composite: 两高 0.4, 一低 0.2, 一差 0.2, 三重 0.2, each relative to a
    reference figure (the incidence threshold; 60 % of the county's rural income; …)."""
    return [
        {"indicator": "incidence", "weight": 0.4, "reference": incidence},
        {"indicator": "income_ratio", "weight": 0.2, "reference": 0.6, "higher_is_deeper": False},
        {"indicator": "unsafe_housing_share", "weight": 0.1, "reference": 0.1},
        {"indicator": "no_safe_water_share", "weight": 0.1, "reference": 0.1},
        {"indicator": "dibao_tekun_share", "weight": 0.1, "reference": 0.2},
        {"indicator": "illness_disability_share", "weight": 0.1, "reference": 0.3},
    ]


#: The national defaults; a province registers its own (``fupin.analysis`` keeps them).
DEFAULT_RULE_SETS: dict[str, RuleSet] = {
    r.key: r
    for r in (
        rule_set(
            code="national-county",
            version="2017",
            name="深度贫困县（全国口径）",
            level="county",
            criteria=[{"indicator": "incidence", "op": "gt", "threshold": 0.18}],
            score=_score(0.18),
            clause=_S41,
        ),
        rule_set(
            code="national-village",
            version="2017",
            name="深度贫困村（全国口径）",
            level="village",
            criteria=[{"indicator": "incidence", "op": "gt", "threshold": 0.20}],
            score=_score(0.20),
            clause=_S41,
        ),
        rule_set(
            code="guapai-county",
            version="2020",
            name="挂牌督战县（2020）",
            level="county",
            combine="any",
            kind="guapai",
            criteria=[
                {"indicator": "poor_persons", "op": "gt", "threshold": 10000},
                {"indicator": "incidence", "op": "gt", "threshold": 0.05},
            ],
            score=_score(0.05),
            clause=_D3,
        ),
        rule_set(
            code="guapai-village",
            version="2020",
            name="挂牌督战村（2020）",
            level="village",
            combine="any",
            kind="guapai",
            criteria=[
                {"indicator": "poor_persons", "op": "gt", "threshold": 1000},
                {"indicator": "incidence", "op": "gt", "threshold": 0.10},
            ],
            score=_score(0.10),
            clause=_D3,
        ),
    )
}


def candidates(table: ir.Table, rules: RuleSet) -> ir.Table:
    """The indicator table with ``c1 … cN`` (each criterion holds), ``candidate`` and
    ``score`` columns; a criterion on a figure that is not recorded does not hold."""
    held = {
        f"c{n}": c.test(table[c.indicator]).fill_null(False)
        for n, c in enumerate(rules.criteria, 1)
    }
    cols = list(held.values())
    combined = cols[0]
    for col in cols[1:]:
        combined = (combined & col) if rules.combine == "all" else (combined | col)
    score: ir.FloatingValue = ibis.null("float64")
    if rules.score:
        score = sum(
            (p.ratio(table[p.indicator]) * p.weight for p in rules.score), ibis.literal(0.0)
        )
    return table.mutate(**held, candidate=combined, score=score)


# -- explanations ---------------------------------------------------------------------------------


def format_value(indicator: Indicator, value: float | None) -> str:
    """A figure as a cadre reads it: 23.4%, 3,215 元, 12,004 人; 未录入 when not recorded."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "未录入"
    if indicator.unit == "share":
        return f"{value * 100:.1f}%"
    if indicator.unit == "yuan":
        return f"{value:,.0f} 元"
    unit = "人" if indicator.unit == "persons" else "户"
    return f"{value:,.0f} {unit}"


def _threshold_text(c: Criterion) -> str:
    info = c.info
    if info.unit == "share":
        return f"{c.threshold * 100:g}%"
    if info.unit == "yuan":
        return f"{c.threshold:,.0f} 元"
    return f"{c.threshold:,.0f} {'人' if info.unit == 'persons' else '户'}"


@dataclass(frozen=True)
class Reason:
    criterion: Criterion
    value: float | None
    holds: bool | None

    @property
    def text(self) -> str:
        """E.g. 贫困发生率 23.4%，高于 18%；不满足：…；未录入：…"""
        info = self.criterion.info
        c = self.criterion
        if self.holds is None:
            return f"{info.label}未录入，无法判定（条件：{OP_WORDS[c.op]} {_threshold_text(c)}）"
        word = OP_WORDS[c.op] if self.holds else _negated(c.op)
        return f"{info.label} {format_value(info, self.value)}，{word} {_threshold_text(c)}"


def _negated(op: str) -> str:
    return {"gt": "不高于", "ge": "低于", "lt": "不低于", "le": "高于"}[op]


@dataclass(frozen=True)
class Verdict:
    area: str
    candidate: bool
    score: float | None
    reasons: tuple[Reason, ...] = field(default_factory=tuple)

    @property
    def summary(self) -> str:
        """The reasons that decide, joined the way a notice would state them."""
        if self.candidate:
            shown = [r for r in self.reasons if r.holds]
        else:
            shown = [r for r in self.reasons if not r.holds]
        return "；".join(r.text for r in shown)


def verdict(row: Mapping[str, Any], rules: RuleSet) -> Verdict:
    """One area's verdict with its reasons, from a row of :func:`candidates` (or of
    :func:`indicators`: the criteria are evaluated again in Python, the same comparisons)."""
    reasons = []
    for c in rules.criteria:
        value = row.get(c.indicator)
        value = None if value is None else float(value)
        if value is not None and math.isnan(value):
            value = None
        reasons.append(Reason(c, value, c.holds(value)))
    held = [bool(r.holds) for r in reasons]
    candidate = all(held) if rules.combine == "all" else any(held)
    score = row.get("score")
    return Verdict(
        area=str(row["area"]),
        candidate=candidate,
        score=None if score is None or math.isnan(float(score)) else float(score),
        reasons=tuple(reasons),
    )
