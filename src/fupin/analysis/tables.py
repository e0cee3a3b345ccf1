"""The deep-poverty indicators as a statistical table of the catalogue (fupin.reports.tables).

Rows are the divisions one level down, like every table. The figures are the counts behind
the indicators of ``fupin.policy.deep_poverty``, read from the rollups (kind ``dp``, and the
poor persons of ``DivisionRollup``), so the page costs the same on any registry size; the
rural population comes from the village facts (村情) and the county statistics, which are one
row per village or county. Every share is computed from summed counts, so the total row is
the division's own figure, not a mean of means. ``tests/analysis/test_tables.py`` checks that
the table equals the registry's indicators (``registry_indicators``) at every level.

Population, as the indicators define it: a village's is its 村情; a township's is its
villages' sum, known only when every village with registered households has one; a county's
is its statistics' rural population; above the county, the counties whose population is
known are summed, and so are their poor persons (``poor_counted``), so the incidence of a
prefecture is that of its counties with a population.
"""

from __future__ import annotations

from fupin.policy.deep_poverty import COUNTS
from fupin.registry.village import CountyStatistics, VillageFacts
from fupin.reports.models import DivisionRollup, RollupCount
from fupin.reports.tables import (
    Column,
    ColumnGroup,
    Figures,
    TableDef,
    TableQuery,
    register_table,
)


def _poor_by(level: int, prefix: str, year: int) -> dict[str, int]:
    """Poor persons (未脱贫 and 返贫) per division of ``level`` under ``prefix``."""
    rows = DivisionRollup.objects.filter(
        level=level, year=year, division_code__startswith=prefix
    ).values_list("division_code", "poor_persons", "returned_persons")
    return {code: p + r for code, p, r in rows}


def _population(query: TableQuery, poor: dict[str, int]) -> tuple[dict[str, int], dict[str, int]]:
    """Population and poor persons counted under it, per row (absent: not known)."""
    prefix, year, length = query.division_code, query.year, query.row_length
    population: dict[str, int] = {}
    counted: dict[str, int] = {}
    if query.row_level >= 4:
        villages = _poor_by(5, prefix, year)
        facts = dict(
            VillageFacts.objects.filter(
                year=year, village__code__startswith=prefix, population__isnull=False
            ).values_list("village_id", "population")
        )
        missing = {v[:length] for v in villages if v not in facts}
        for village, n in facts.items():
            if village in villages:
                population[village[:length]] = population.get(village[:length], 0) + int(n or 0)
        for code in missing:
            population.pop(code, None)
        counted = {code: poor.get(code, 0) for code in population}
        return population, counted
    counties = _poor_by(3, prefix, year)
    stats = dict(
        CountyStatistics.objects.filter(
            year=year, county__code__startswith=prefix, rural_population__isnull=False
        ).values_list("county_id", "rural_population")
    )
    for county, n in stats.items():
        if county in counties:
            code = county[:length]
            population[code] = population.get(code, 0) + int(n or 0)
            counted[code] = counted.get(code, 0) + counties[county]
    return population, counted


def _figures(query: TableQuery) -> Figures:
    poor = _poor_by(query.row_level, query.division_code, query.year)
    out: Figures = {code: {"poor_or_returned_persons": n} for code, n in poor.items()}
    counts = RollupCount.objects.filter(
        level=query.row_level,
        year=query.year,
        kind=RollupCount.Kind.DEEP_POVERTY,
        division_code__startswith=query.division_code,
    ).values_list("division_code", "key", "households")
    for code, key, n in counts:
        if key in COUNTS:
            out.setdefault(code, {})[key] = n
    population, counted = _population(query, poor)
    for code, values in out.items():
        values["population"] = population.get(code, 0)
        values["poor_counted"] = counted.get(code, 0)
    return out


def _share(key: str, title: str, num: str, den: str) -> Column:
    return Column(key, title, kind="percent", ratio=(num, den))


DEEP_POVERTY_TABLE = register_table(
    TableDef(
        name="deep_poverty",
        title="深度贫困指标（两高一低一差三重）",
        unit="人、户、%",
        definition=(
            "贫困人口：脱贫状态为未脱贫或返贫的建档立卡户的家庭成员；贫困发生率 = 贫困人口 ÷ "
            "农村户籍人口（村情或县统计数据；未录入人口的区划不计入发生率）；各比例的分母只含"
            "已记录该项的户，空白为未录入，不视为达标；"
            "低保五保、因病因残、60 岁以上占比以贫困人口为分母。"
        ),
        groups=(
            ColumnGroup(
                "两高",
                (
                    Column("poor_or_returned_persons", "贫困人口"),
                    Column("population", "农村户籍人口"),
                    _share("incidence", "贫困发生率", "poor_counted", "population"),
                ),
            ),
            ColumnGroup(
                "一差",
                (
                    _share(
                        "unsafe_housing",
                        "危房户比例",
                        "unsafe_housing_households",
                        "housing_recorded",
                    ),
                    _share(
                        "no_water", "饮水不安全户比例", "no_safe_water_households", "water_recorded"
                    ),
                    _share(
                        "no_road",
                        "入户路未硬化户比例",
                        "no_hardened_road_households",
                        "road_recorded",
                    ),
                ),
            ),
            ColumnGroup(
                "三重",
                (
                    _share(
                        "welfare",
                        "低保五保人口占比",
                        "dibao_tekun_persons",
                        "poor_or_returned_persons",
                    ),
                    _share(
                        "illness",
                        "因病因残人口占比",
                        "illness_disability_persons",
                        "poor_or_returned_persons",
                    ),
                    _share(
                        "elderly",
                        "60岁以上人口占比",
                        "elderly_poor_persons",
                        "poor_or_returned_persons",
                    ),
                ),
            ),
        ),
        figures=_figures,
    )
)
