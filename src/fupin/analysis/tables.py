"""The deep-poverty indicators as a statistical table of the catalogue (fupin.reports.tables).

Rows are the divisions one level down, like every table; the figures are the counts behind
the indicators (one statement over the registry: ``registry_indicators``), and every share is
computed from the summed counts, so the total row is the division's own figure, not a mean
of means.
"""

from __future__ import annotations

from fupin.analysis.deep_poverty import registry_indicators
from fupin.reports.tables import (
    Column,
    ColumnGroup,
    Figures,
    TableDef,
    TableQuery,
    register_table,
)

#: Row level → the indicators' level (only these three carry the deep-poverty marks).
LEVELS = {3: "county", 4: "township", 5: "village"}


def _figures(query: TableQuery) -> Figures:
    level = LEVELS.get(query.row_level)
    if level is None:
        # Provinces and prefectures as rows: sum their counties.
        level = "county"
    rows = registry_indicators(division_code=query.division_code, year=query.year, level=level)
    out: Figures = {}
    for r in rows:
        code = str(r["area"])[: query.row_length]
        known = r["population"] is not None
        values = out.setdefault(code, {})
        for key, value in (
            ("poor_or_returned_persons", r["poor_persons"]),
            ("population", r["population"] if known else 0),
            ("poor_counted", r["poor_persons"] if known else 0),
            ("households", r["households"]),
            *(
                (k, r[k])
                for k in (
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
            ),
        ):
            values[key] = values.get(key, 0) + int(value or 0)
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
        source="registry",
    )
)
