"""Statistical tables computed, never typed (统计报表): a catalogue of table definitions.

Each table is ONE ``TableDef``: its slug, Chinese title, unit, the definition of which
households count, its column groups (the two-row merged header of the national layout) and
one function computing its figures. ``table_compute`` turns a definition into a ``Table`` for
a division and year: one row per division one level below (the provinces for the country;
for a village the village itself) and a total row (合计) that is the sum of the rows.

The catalogue is a registry (``TABLES``, filled by ``register_table``): the pages, the
exports, the CLI and the API list and render whatever is registered, so the assistance-
measure (帮扶措施) and fund (资金) tables join later by registering their own ``TableDef``
from their app — no new machinery. A figures function receives a ``TableQuery`` (the row
level, the division prefix, the year) and returns ``{row code: {column key: count}}`` with
a constant number of set-based queries: the rollup tables read ``fupin.reports`` rows (one
query each, the failed-rule table two), never the registry.

Every figure cell carries a ``Drill``: the household list filters that show the households
behind it (division plus status / attribute / cause / failed rule), or None where the list
cannot express the column (two statuses at once, shares). The page turns it into a link to
the (paginated) household list; whether a division code can be filtered there is the
interface's concern.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from django.db.models import Q

from fupin.common.errors import FupinError
from fupin.divisions.models import CODE_LENGTH, Division
from fupin.divisions.selectors import division_get
from fupin.policy import codes
from fupin.policy.rules import DEFAULT_RULE_SET, RULE_SETS
from fupin.reports.models import NATIONAL, DivisionRollup, RollupCount
from fupin.reports.selectors import rollup_latest_year, rollup_years

NATIONAL_NAME = "全国"
TOTAL_NAME = "合计"
TABLE_UNKNOWN = "TABLE_UNKNOWN"
TABLE_NO_YEAR = "TABLE_NO_YEAR"

#: The name of the rows' level, by the length of the shown division's code.
ROW_LEVEL_LABEL = {0: "省", 2: "市（州）", 4: "县（区）", 6: "乡（镇）", 9: "村", 12: "村"}


# --- definitions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Drill:
    """The household list behind a figure: a division and the list's filters."""

    division: str
    filters: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Column:
    """One figure column. ``key`` names the count in the figures; a share column
    (``kind="percent"``) is ``100 × numerator ÷ denominator`` of two keys, rounded to 0.1."""

    key: str
    title: str
    kind: Literal["count", "percent"] = "count"
    ratio: tuple[str, str] | None = None
    #: Household-list filters (beside the division) that list exactly the counted households.
    drill: tuple[tuple[str, str], ...] | None = None


@dataclass(frozen=True)
class ColumnGroup:
    """Columns under one merged upper header; an empty title lets each column span both rows."""

    title: str
    columns: tuple[Column, ...]


@dataclass(frozen=True)
class TableQuery:
    """What a figures function computes: rows at ``row_level`` under ``prefix`` for ``year``."""

    division_code: str
    year: int
    row_level: int

    @property
    def row_length(self) -> int:
        return CODE_LENGTH[self.row_level]


Figures = dict[str, dict[str, int]]


@dataclass(frozen=True)
class TableDef:
    name: str
    title: str
    unit: str
    definition: str
    groups: tuple[ColumnGroup, ...]
    figures: Callable[[TableQuery], Figures]
    #: Where the figures come from: "rollups" (pre-computed) or "registry" (one GROUP BY).
    source: Literal["rollups", "registry"] = "rollups"
    #: What the drill-down links show, when that differs from the figure's definition.
    drill_note: str = ""

    @property
    def columns(self) -> tuple[Column, ...]:
        return tuple(c for g in self.groups for c in g.columns)


#: The catalogue: table name → definition, in registration order.
TABLES: dict[str, TableDef] = {}


def register_table(table: TableDef) -> TableDef:
    """Add a table to the catalogue (the pages, exports, CLI and API pick it up)."""
    if not table.name.replace("_", "").isalnum() or not table.name.isascii():
        raise ValueError(f"table name must be an ASCII slug: {table.name!r}")
    if table.name in TABLES:
        raise ValueError(f"table {table.name!r} is already registered")
    keys = [c.key for c in table.columns]
    if len(set(keys)) != len(keys):
        raise ValueError(f"table {table.name!r} repeats a column key")
    TABLES[table.name] = table
    return table


def table_get(name: str) -> TableDef:
    """Return the registered table; refuse an unknown name with ``TABLE_UNKNOWN``."""
    try:
        return TABLES[name]
    except KeyError:
        known = "、".join(TABLES)
        raise FupinError(
            TABLE_UNKNOWN, f"没有名为“{name}”的统计表（可用：{known}）", {"name": name}
        ) from None


# --- computed tables --------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    value: int | float | None
    drill: Drill | None = None


@dataclass(frozen=True)
class Row:
    code: str
    name: str
    cells: tuple[Cell, ...]
    is_total: bool = False

    @property
    def values(self) -> tuple[int | float | None, ...]:
        return tuple(c.value for c in self.cells)


@dataclass(frozen=True)
class Table:
    table: TableDef
    division_code: str
    division_name: str
    year: int
    row_level: int
    rows: tuple[Row, ...]
    #: The sum of the rows; None for a village (its one row is the whole).
    total: Row | None
    years: tuple[int, ...] = field(default=())

    @property
    def row_level_label(self) -> str:
        return ROW_LEVEL_LABEL.get(len(self.division_code), "")

    @property
    def all_rows(self) -> tuple[Row, ...]:
        """The total row first (the national layout), then the divisions in code order."""
        return ((self.total,) if self.total else ()) + self.rows


def _row_level(division_code: str) -> int:
    if division_code == NATIONAL:
        return 1
    level = {length: lvl for lvl, length in CODE_LENGTH.items()}[len(division_code)]
    return min(level + 1, 5)


def _range(qs_field: str, prefix: str) -> Q:
    """Codes under ``prefix`` (all for the country) as an index-friendly range."""
    if not prefix:
        return Q()
    return Q(**{f"{qs_field}__gte": prefix, f"{qs_field}__lte": prefix.ljust(CODE_LENGTH[5], "9")})


def division_name(division_code: str) -> str:
    """The division's name ("全国" for the country); refuse an unknown code."""
    if division_code == NATIONAL:
        return NATIONAL_NAME
    return division_get(division_code).name


def table_years(division_code: str) -> list[int]:
    """Years with rollups for the division, latest first."""
    return rollup_years(division_code)


def _cell(column: Column, values: Mapping[str, int], drill_division: str) -> Cell:
    if column.kind == "percent":
        assert column.ratio is not None
        num, den = (values.get(k, 0) for k in column.ratio)
        return Cell(round(100 * num / den, 1) if den else None)
    value = values.get(column.key, 0)
    drill = None
    if column.drill is not None:
        drill = Drill(drill_division, column.drill)
    return Cell(value, drill)


def table_compute(*, name: str, division_code: str, year: int | None = None) -> Table:
    """Compute a registered table for a division ("" for the country) and year.

    ``year`` defaults to the latest with rollups for the division (or anywhere). Refuse an
    unknown table (``TABLE_UNKNOWN``), division (``DIVISION_UNKNOWN``) or a database with no
    rollups at all (``TABLE_NO_YEAR``).
    """
    table = table_get(name)
    name_of_division = division_name(division_code)
    years = tuple(table_years(division_code))
    if year is None:
        year = years[0] if years else rollup_latest_year()
        if year is None:
            raise FupinError(
                TABLE_NO_YEAR, "还没有统计汇总数据（可运行 fupin rollups refresh）", {}
            )
    row_level = _row_level(division_code)
    query = TableQuery(division_code=division_code, year=year, row_level=row_level)
    figures = table.figures(query)
    if len(division_code) == CODE_LENGTH[5]:
        names = {division_code: name_of_division}
    else:
        names = dict(
            Division.objects.filter(_range("code", division_code), level=row_level)
            .order_by("code")
            .values_list("code", "name")
        )
    codes_ = sorted(set(names) | set(figures))
    rows = tuple(
        Row(
            code=code,
            name=names.get(code, code),
            cells=tuple(_cell(c, figures.get(code, {}), code) for c in table.columns),
        )
        for code in codes_
    )
    total: Row | None = None
    if len(division_code) != CODE_LENGTH[5]:
        sums: dict[str, int] = {}
        for values in figures.values():
            for key, n in values.items():
                sums[key] = sums.get(key, 0) + n
        total = Row(
            code=division_code,
            name=TOTAL_NAME,
            cells=tuple(_cell(c, sums, division_code) for c in table.columns),
            is_total=True,
        )
    return Table(
        table=table,
        division_code=division_code,
        division_name=name_of_division,
        year=year,
        row_level=row_level,
        rows=rows,
        total=total,
        years=years,
    )


# --- figures functions ------------------------------------------------------------------------

ROLLUP_FIELDS = (
    "households",
    "persons",
    "poor_households",
    "poor_persons",
    "exited_with_policy_households",
    "exited_with_policy_persons",
    "returned_households",
    "returned_persons",
    "exited_households",
    "exited_persons",
    "removed_households",
    "removed_persons",
    "assessed_households",
    "meets_standard_households",
)


def _rollups(query: TableQuery) -> Figures:
    """One query: the rollup rows of the table's rows, with the derived counts added."""
    rows = DivisionRollup.objects.filter(
        _range("division_code", query.division_code), level=query.row_level, year=query.year
    ).values_list("division_code", *ROLLUP_FIELDS)
    out: Figures = {}
    for code, *counts in rows:
        v = dict(zip(ROLLUP_FIELDS, counts, strict=True))
        v["registered_households"] = v["households"] - v["removed_households"]
        v["registered_persons"] = v["persons"] - v["removed_persons"]
        v["all_exited_households"] = v["exited_with_policy_households"] + v["exited_households"]
        v["all_exited_persons"] = v["exited_with_policy_persons"] + v["exited_persons"]
        v["not_meeting_households"] = v["assessed_households"] - v["meets_standard_households"]
        out[code] = v
    return out


def _counts(query: TableQuery, kind: str, into: Figures | None = None) -> Figures:
    """One query: the breakdown counts of one kind, as ``{code: {kind:key: households}}``."""
    out: Figures = into if into is not None else {}
    rows = RollupCount.objects.filter(
        _range("division_code", query.division_code),
        level=query.row_level,
        year=query.year,
        kind=kind,
    ).values_list("division_code", "key", "households")
    for code, key, n in rows:
        out.setdefault(code, {})[f"{kind}:{key}"] = n
    return out


STATUS_GROUPS = (
    ("poor", "未脱贫"),
    ("exited_with_policy", "已脱贫(享受政策)"),
    ("returned", "返贫"),
    ("exited", "已脱贫(不再享受政策)"),
)


def _status_group(status: str, title: str) -> ColumnGroup:
    drill = (("status", status),)
    return ColumnGroup(
        title,
        (
            Column(f"{status}_households", "户数", drill=drill),
            Column(f"{status}_persons", "人数", drill=drill),
        ),
    )


register_table(
    TableDef(
        name="scale",
        title="贫困人口规模与分布",
        unit="户、人",
        definition=(
            "建档立卡户：首次识别年度不晚于本年度、且未被清退（已清退）的贫困户及其家庭成员；"
            "按当前脱贫状态分列未脱贫、已脱贫(享受政策)、返贫、已脱贫(不再享受政策)。"
            "各分列之和等于建档立卡户数、人数。"
        ),
        groups=(
            ColumnGroup(
                "建档立卡",
                (Column("registered_households", "户数"), Column("registered_persons", "人数")),
            ),
            *(_status_group(s, t) for s, t in STATUS_GROUPS),
        ),
        figures=_rollups,
        drill_note="点击数字查看该区划按脱贫状态筛选的户列表（列表为当前登记情况）。",
    )
)


def _with_total(figures: Figures, key: str, prefix: str) -> Figures:
    for values in figures.values():
        values[key] = sum(n for k, n in values.items() if k.startswith(prefix))
    return figures


def _causes(query: TableQuery) -> Figures:
    return _with_total(_counts(query, RollupCount.Kind.CAUSE.value), "cause_total", "cause:")


register_table(
    TableDef(
        name="by_cause",
        title="按主要致贫原因分户数",
        unit="户",
        definition=(
            "首次识别年度不晚于本年度的贫困户（含已清退户），按登记的主要致贫原因（一户一项）"
            "分列；各原因之和等于合计。"
        ),
        groups=(
            ColumnGroup("", (Column("cause_total", "合计"),)),
            ColumnGroup(
                "主要致贫原因",
                tuple(
                    Column(f"cause:{code}", label, drill=(("cause", code),))
                    for code, label in codes.CAUSE.items
                ),
            ),
        ),
        figures=_causes,
        drill_note=(
            "点击原因列的数字查看按该致贫原因筛选的户列表；列表也含以该原因为其他致贫原因的户，"
            "户数可能多于表中数字。"
        ),
    )
)


def _all_rules() -> tuple[tuple[str, str], ...]:
    """The rule codes and titles of every rule set, the default's first, each once."""
    seen: dict[str, str] = {}
    for rule_set in (DEFAULT_RULE_SET, *RULE_SETS.values()):
        for rule in rule_set.rules:
            seen.setdefault(rule.code, rule.title)
    return tuple(seen.items())


def _failed(query: TableQuery) -> Figures:
    figures = _rollups(query)
    return _counts(query, RollupCount.Kind.FAILED.value, into=figures)


register_table(
    TableDef(
        name="by_failed_rule",
        title="未达标准的户数按未通过规则",
        unit="户",
        definition=(
            "本年度最近一次脱贫标准评估（两不愁三保障及收入）的结果：已评估户中达到、未达到"
            "标准的户数，及未通过各项规则的户数。一户可未通过多项规则，各项之和可大于未达标户数。"
        ),
        groups=(
            ColumnGroup(
                "评估",
                (
                    Column("assessed_households", "已评估户数"),
                    Column("meets_standard_households", "达标户数"),
                    Column("not_meeting_households", "未达标户数"),
                ),
            ),
            ColumnGroup(
                "未通过的规则",
                tuple(
                    Column(f"failed:{code}", title, drill=(("failing", code),))
                    for code, title in _all_rules()
                ),
            ),
        ),
        figures=_failed,
        drill_note="点击规则列的数字查看未通过该项的户列表（列表含各年度的评估结果）。",
    )
)


register_table(
    TableDef(
        name="exit_progress",
        title="脱贫进度",
        unit="户",
        definition=(
            "建档立卡户（不含已清退）中已脱贫的户数（已脱贫(享受政策)与已脱贫(不再享受政策)"
            "之和）及其占比；本年度评估的户数及达到脱贫标准的户数。"
        ),
        groups=(
            ColumnGroup("", (Column("registered_households", "建档立卡户数"),)),
            ColumnGroup(
                "已脱贫",
                (
                    Column("all_exited_households", "户数"),
                    Column(
                        "exit_share",
                        "占比（%）",
                        kind="percent",
                        ratio=("all_exited_households", "registered_households"),
                    ),
                ),
            ),
            ColumnGroup(
                "脱贫标准评估",
                (
                    Column("assessed_households", "已评估户数"),
                    Column("meets_standard_households", "达标户数"),
                    Column(
                        "meets_share",
                        "达标率（%）",
                        kind="percent",
                        ratio=("meets_standard_households", "assessed_households"),
                    ),
                ),
            ),
        ),
        figures=_rollups,
    )
)


def _attributes(query: TableQuery) -> Figures:
    """Two kinds of rollup counts (one query): households per attribute, and those 未脱贫."""
    rows = RollupCount.objects.filter(
        _range("division_code", query.division_code),
        level=query.row_level,
        year=query.year,
        kind__in=[RollupCount.Kind.ATTRIBUTE, RollupCount.Kind.ATTRIBUTE_POOR],
    ).values_list("division_code", "kind", "key", "households")
    out: Figures = {}
    for code, kind, attribute, n in rows:
        values = out.setdefault(code, {})
        if kind == RollupCount.Kind.ATTRIBUTE:
            keys = [attribute, "attr_total"]
        else:
            keys = [f"{attribute}:poor", "attr_total:poor"]
        for key in keys:
            values[key] = values.get(key, 0) + n
    return out


def _attribute_group(code: str, label: str) -> ColumnGroup:
    return ColumnGroup(
        label,
        (
            Column(code, "户数"),
            Column(f"{code}:poor", "其中未脱贫", drill=(("attribute", code), ("status", "poor"))),
        ),
    )


register_table(
    TableDef(
        name="by_attribute",
        title="按贫困户属性分户数",
        unit="户",
        definition=(
            "建档立卡户（首次识别年度不晚于本年度、不含已清退）按贫困户属性"
            "（一般贫困户、低保贫困户、特困供养贫困户）分列，及其中未脱贫的户数。"
            "按登记库当前数据计算。"
        ),
        groups=(
            ColumnGroup(
                "合计",
                (
                    Column("attr_total", "户数"),
                    Column("attr_total:poor", "其中未脱贫", drill=(("status", "poor"),)),
                ),
            ),
            *(_attribute_group(c, lab) for c, lab in codes.HOUSEHOLD_ATTRIBUTE.items),
        ),
        figures=_attributes,
        source="rollups",
        drill_note="点击“其中未脱贫”的数字查看该属性未脱贫户的列表。",
    )
)


def table_list() -> list[TableDef]:
    """The registered tables in catalogue order."""
    return list(TABLES.values())


def flat_headers(table: TableDef) -> list[str]:
    """One header per column, the group's title prefixed (for CSV and JSON)."""
    return [f"{g.title}-{c.title}" if g.title else c.title for g in table.groups for c in g.columns]


__all__ = [
    "TABLES",
    "Cell",
    "Column",
    "ColumnGroup",
    "Drill",
    "Row",
    "Table",
    "TableDef",
    "TableQuery",
    "flat_headers",
    "register_table",
    "table_compute",
    "table_get",
    "table_list",
]
