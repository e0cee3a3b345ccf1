"""Compute the rollups (``DivisionRollup``, ``RollupCount``) set-based, fully or incrementally.

Every refresh works on a set of villages — a subtree, or the villages marked dirty — and
runs, per year, one ``INSERT … SELECT … GROUP BY`` per measure for those villages (counts by
status, persons by status, assessment results, households paired and with a measure, main
causes, failed rules, measures by category — ``MeasureRollup``), then rebuilds
every level above them as sums of the level below (township ← villages, county ← townships,
… national ← provinces), only for the ancestors of the set. Nothing loops over rows in Python.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from fupin.assessment.models import AssessmentResult, AssessmentRun
from fupin.divisions.models import CODE_LENGTH
from fupin.divisions.selectors import validate_code
from fupin.measures.models import Measure, Pairing
from fupin.policy import measures as pm
from fupin.policy.rules import RULE_SETS
from fupin.registry.models import Household, HouseholdIncome, LivingConditions, Member
from fupin.reports.models import (
    NATIONAL,
    NATIONAL_LEVEL,
    STATUS_COLUMNS,
    DirtyVillage,
    DivisionRollup,
    MeasureRollup,
    RollupCount,
)

#: Columns of ``DivisionRollup`` that hold counts (summed up the levels).
COUNT_COLUMNS = (
    "households",
    "persons",
    *(f"{s}_{what}" for s in STATUS_COLUMNS for what in ("households", "persons")),
    "assessed_households",
    "meets_standard_households",
    "paired_households",
    "measured_households",
)
ASSISTED = pm.ASSISTED
#: Postgres advisory-lock key serialising refreshes (SQLite serialises writers itself).
_LOCK_KEY = 0x46555049  # "FUPI"


def qn(name: str) -> str:
    return connection.ops.quote_name(name)


T_ROLLUP = qn(DivisionRollup._meta.db_table)
T_COUNT = qn(RollupCount._meta.db_table)
T_DIRTY = qn(DirtyVillage._meta.db_table)
T_HH = qn(Household._meta.db_table)
T_MEMBER = qn(Member._meta.db_table)
T_RESULT = qn(AssessmentResult._meta.db_table)
T_CONDITIONS = qn(LivingConditions._meta.db_table)
T_MEASURE = qn(Measure._meta.db_table)
T_PAIRING = qn(Pairing._meta.db_table)
T_MEASURE_ROLLUP = qn(MeasureRollup._meta.db_table)


@dataclass(frozen=True)
class RefreshReport:
    villages: int  # village rows written
    rows: int  # rollup rows written at all levels
    years: tuple[int, ...]
    seconds: float


# -- marking -----------------------------------------------------------------------------------


def rollups_mark_dirty(*, village_codes: Iterable[str]) -> int:
    """Record that these villages' registry facts changed; return how many were marked.

    Call it inside the transaction that made the change: the marks commit (or roll back)
    with the change itself, so no committed change is ever left out of the rollups.
    """
    codes = sorted({str(c) for c in village_codes if c})
    DirtyVillage.objects.bulk_create([DirtyVillage(village_code=c) for c in codes], batch_size=5000)
    return len(codes)


# -- the set of villages a refresh works on ------------------------------------------------------


class _Scope:
    """SQL filters for the villages of a refresh and for their ancestors at each level."""

    def village(self, column: str) -> tuple[str, list[Any]]:
        raise NotImplementedError

    def at_length(self, column: str, length: int) -> tuple[str, list[Any]]:
        """Filter rows whose code's first ``length`` characters are an affected division."""
        raise NotImplementedError


class _Subtree(_Scope):
    def __init__(self, code: str) -> None:
        self.code = code

    def village(self, column: str) -> tuple[str, list[Any]]:
        return _range(column, self.code)

    def at_length(self, column: str, length: int) -> tuple[str, list[Any]]:
        # Deeper than the subtree's root: everything under the root; at or above it: the
        # root's ancestor of that length (as a range over the codes that start with it).
        return _range(column, self.code if length > len(self.code) else self.code[:length])


class _Dirty(_Scope):
    def __init__(self, up_to_id: int) -> None:
        self.up_to_id = up_to_id

    def village(self, column: str) -> tuple[str, list[Any]]:
        return (
            f"{column} IN (SELECT {qn('village_code')} FROM {T_DIRTY} WHERE {qn('id')} <= %s)",
            [self.up_to_id],
        )

    def at_length(self, column: str, length: int) -> tuple[str, list[Any]]:
        return (
            f"SUBSTR({column}, 1, {length}) IN (SELECT SUBSTR({qn('village_code')}, 1, {length})"
            f" FROM {T_DIRTY} WHERE {qn('id')} <= %s)",
            [self.up_to_id],
        )


def _range(column: str, prefix: str) -> tuple[str, list[Any]]:
    # A range rather than LIKE: both engines use the index; for digit codes it is exact.
    return f"{column} BETWEEN %s AND %s", [prefix, prefix.ljust(CODE_LENGTH[5], "9")]


# -- refresh -----------------------------------------------------------------------------------


def rollups_refresh(*, division_code: str | None = None, year: int | None = None) -> RefreshReport:
    """Recompute the rollups of the villages under ``division_code`` (all when None) and of
    every division above them, for ``year`` (every year with data when None)."""
    code = validate_code(division_code) if division_code else NATIONAL
    return _refresh(_Subtree(code), year)


def rollups_refresh_dirty() -> RefreshReport:
    """Recompute the villages marked dirty and their ancestors; cheap when none is marked."""
    if not DirtyVillage.objects.exists():
        return RefreshReport(0, 0, (), 0.0)
    return _refresh(None, None)


def _refresh(scope: _Scope | None, year: int | None) -> RefreshReport:
    started = time.perf_counter()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        # Under the lock: another refresh may have processed the marks meanwhile.
        up_to = DirtyVillage.objects.order_by("-id").values_list("id", flat=True).first()
        if scope is None:
            if up_to is None:
                return RefreshReport(0, 0, (), 0.0)
            scope = _Dirty(up_to)
        years = (year,) if year is not None else _years()
        now = timezone.now()
        with connection.cursor() as cursor:
            _delete(cursor, scope, year)
            villages = 0
            for y in years:
                villages += _villages(cursor, scope, y, now)
            rows = villages + _levels_up(cursor, scope, years, now)
            if up_to is not None and year is None:
                # The marks this refresh covered (every year of their villages) are done.
                where, params = scope.village(qn("village_code"))
                cursor.execute(
                    f"DELETE FROM {T_DIRTY} WHERE {qn('id')} <= %s AND {where}", [up_to, *params]
                )
    return RefreshReport(villages, rows, tuple(years), time.perf_counter() - started)


def _years() -> tuple[int, ...]:
    """Every year with recorded income, stored results or measures; this year when none."""
    incomes = set(HouseholdIncome.objects.values_list("year", flat=True).distinct())
    results = set(AssessmentResult.objects.values_list("year", flat=True).distinct())
    measures = set(Measure.objects.values_list("year", flat=True).distinct())
    years = incomes | results | measures
    return tuple(sorted(years)) if years else (timezone.localdate().year,)


def _delete(cursor: Any, scope: _Scope, year: int | None) -> None:
    """Delete the rows about to be rebuilt: the scope's villages and all their ancestors."""
    for table in (T_ROLLUP, T_COUNT, T_MEASURE_ROLLUP):
        for level, length in [*CODE_LENGTH.items(), (NATIONAL_LEVEL, 0)]:
            params: list[Any]
            if length == 0:
                where, params = f"{qn('division_code')} = %s", [NATIONAL]
            elif level == 5:
                where, params = scope.village(qn("division_code"))
            else:
                where, params = scope.at_length(qn("division_code"), length)
            sql = f"DELETE FROM {table} WHERE {qn('level')} = %s AND {where}"
            params = [level, *params]
            if year is not None:
                sql += f" AND {qn('year')} = %s"
                params.append(year)
            cursor.execute(sql, params)


def _rule_set_of(year: int) -> str | None:
    """The rule set (``code@version``) of the latest assessment run for the year, if any."""
    run = (
        AssessmentRun.objects.filter(year=year)
        .order_by("-started_at", "-id")
        .values_list("rule_set", "rule_set_version")
        .first()
    )
    return f"{run[0]}@{run[1]}" if run else None


def _rule_codes(rule_set_key: str | None) -> list[str]:
    rule_set = RULE_SETS.get(rule_set_key or "")
    return [r.code for r in rule_set.rules] if rule_set else []


def _villages(cursor: Any, scope: _Scope, year: int, now: Any) -> int:
    """Insert the village rows of the scope for one year; return how many were written."""
    vill = f"hh.{qn('village_id')}"
    where, wp = scope.village(vill)
    base = f"hh.{qn('first_identified_year')} <= %s AND {where}"
    bp = [year, *wp]
    status = f"hh.{qn('status')}"

    def by_status(what: str) -> str:
        return ", ".join(
            f"SUM(CASE WHEN {status} = '{s}' THEN 1 ELSE 0 END) AS {s}_{what}"
            for s in STATUS_COLUMNS
        )

    rule_set_key = _rule_set_of(year)
    rule_set_code = rule_set_key.split("@")[0] if rule_set_key else ""
    status_cols = [f"{s}_{w}" for s in STATUS_COLUMNS for w in ("households", "persons")]
    columns = ["division_code", "level", "year", *COUNT_COLUMNS, "rule_set", "updated_at"]
    values = [
        "h.village_id",
        "5",
        "%s",
        "h.households",
        "COALESCE(p.persons, 0)",
        *(f"h.{c}" if c.endswith("households") else f"COALESCE(p.{c}, 0)" for c in status_cols),
        "COALESCE(a.assessed, 0)",
        "COALESCE(a.meets, 0)",
        "COALESCE(x.paired, 0)",
        "COALESCE(x.measured, 0)",
        "%s",
        "%s",
    ]
    meets = f"r.{qn('meets_standard')}"
    assisted_sql, assisted_params = _assisted_counts(year, base, bp)
    sql = (
        f"INSERT INTO {T_ROLLUP} ({', '.join(qn(c) for c in columns)}) "
        f"SELECT {', '.join(values)} FROM "
        f"(SELECT {vill} AS village_id, COUNT(*) AS households, {by_status('households')} "
        f" FROM {T_HH} hh WHERE {base} GROUP BY {vill}) h "
        f"LEFT JOIN (SELECT {vill} AS village_id, COUNT(*) AS persons, {by_status('persons')} "
        f" FROM {T_MEMBER} m JOIN {T_HH} hh ON hh.{qn('id')} = m.{qn('household_id')} "
        f" WHERE {base} GROUP BY {vill}) p ON p.village_id = h.village_id "
        f"LEFT JOIN (SELECT {vill} AS village_id, COUNT(*) AS assessed, "
        f" SUM(CASE WHEN {meets} THEN 1 ELSE 0 END) AS meets "
        f" FROM {T_RESULT} r JOIN {T_HH} hh ON hh.{qn('id')} = r.{qn('household_id')} "
        f" WHERE r.{qn('year')} = %s AND r.{qn('rule_set')} = %s AND {base} GROUP BY {vill}) a "
        f" ON a.village_id = h.village_id "
        f"LEFT JOIN ({assisted_sql}) x ON x.village_id = h.village_id"
    )
    cursor.execute(
        sql, [year, rule_set_key or "", now, *bp, *bp, year, rule_set_code, *bp, *assisted_params]
    )
    villages = int(cursor.rowcount)

    count_cols = ", ".join(
        qn(c) for c in ("division_code", "level", "year", "kind", "key", "households")
    )
    cause = f"hh.{qn('main_cause')}"
    cursor.execute(
        f"INSERT INTO {T_COUNT} ({count_cols}) "
        f"SELECT {vill}, 5, %s, %s, {cause}, COUNT(*) FROM {T_HH} hh WHERE {base} "
        f"GROUP BY {vill}, {cause}",
        [year, RollupCount.Kind.CAUSE.value, *bp],
    )
    attribute = f"hh.{qn('attribute')}"
    for kind, only_poor in (
        (RollupCount.Kind.ATTRIBUTE.value, ""),
        (RollupCount.Kind.ATTRIBUTE_POOR.value, f" AND {status} = 'poor'"),
    ):
        cursor.execute(
            f"INSERT INTO {T_COUNT} ({count_cols}) "
            f"SELECT {vill}, 5, %s, %s, {attribute}, COUNT(*) FROM {T_HH} hh WHERE {base} "
            f"AND {status} <> 'removed'{only_poor} GROUP BY {vill}, {attribute}",
            [year, kind, *bp],
        )
    _deep_poverty_counts(cursor, year, base, bp, count_cols)
    _measure_counts(cursor, scope, year)
    rules = _rule_codes(rule_set_key)
    if rules:
        # The rule codes as a little table; failed_codes joins them with "|" in rule order.
        # (No rule code is another's substring, and "_" matching any character in LIKE
        # cannot confuse two of them either.)
        rule_table = " UNION ALL ".join(["SELECT CAST(%s AS VARCHAR(40)) AS code"] * len(rules))
        failed = f"r.{qn('failed_codes')}"
        cursor.execute(
            f"INSERT INTO {T_COUNT} ({count_cols}) "
            f"SELECT {vill}, 5, %s, %s, rc.code, COUNT(*) "
            f"FROM {T_RESULT} r JOIN {T_HH} hh ON hh.{qn('id')} = r.{qn('household_id')} "
            f"JOIN ({rule_table}) rc ON ('|' || {failed} || '|') LIKE ('%%|' || rc.code || '|%%') "
            f"WHERE r.{qn('year')} = %s AND r.{qn('rule_set')} = %s AND {base} "
            f"GROUP BY {vill}, rc.code",
            [year, RollupCount.Kind.FAILED.value, *rules, year, rule_set_code, *bp],
        )
    return villages


def _assisted_counts(year: int, base: str, bp: list[Any]) -> tuple[str, list[Any]]:
    """The SELECT of ``paired`` and ``measured`` per village (joined into the village row):
    households of the ``ASSISTED`` statuses with a current pairing (``end`` null), and with
    a measure of ``year`` carried out (``pm.CARRIED_OUT``). Unpaired and without-measure
    households are then ``poor + returned − paired`` and ``poor + returned − measured``."""
    vill = f"hh.{qn('village_id')}"
    hid = f"hh.{qn('id')}"
    statuses = ", ".join(f"'{s}'" for s in ASSISTED)
    carried = ", ".join(f"'{s}'" for s in pm.CARRIED_OUT)
    paired = (
        f"EXISTS (SELECT 1 FROM {T_PAIRING} pa WHERE pa.{qn('household_id')} = {hid}"
        f" AND pa.{qn('end')} IS NULL)"
    )
    measured = (
        f"EXISTS (SELECT 1 FROM {T_MEASURE} me WHERE me.{qn('household_id')} = {hid}"
        f" AND me.{qn('year')} = %s AND me.{qn('status')} IN ({carried}))"
    )
    sql = (
        f"SELECT {vill} AS village_id, SUM(CASE WHEN {paired} THEN 1 ELSE 0 END) AS paired, "
        f"SUM(CASE WHEN {measured} THEN 1 ELSE 0 END) AS measured "
        f"FROM {T_HH} hh WHERE {base} AND hh.{qn('status')} IN ({statuses}) GROUP BY {vill}"
    )
    return sql, [year, *bp]


def _measure_counts(cursor: Any, scope: _Scope, year: int) -> None:
    """The village rows of ``MeasureRollup`` for one year: the measures of ``year`` carried
    out, per category — count, households, amount — as ``measure_counts`` counts them live
    (any household status, whatever year the household was identified)."""
    vill = f"hh.{qn('village_id')}"
    where, wp = scope.village(vill)
    category = f"me.{qn('category')}"
    carried = ", ".join(f"'{s}'" for s in pm.CARRIED_OUT)
    columns = ", ".join(
        qn(c)
        for c in ("division_code", "level", "year", "category", "measures", "households", "amount")
    )
    cursor.execute(
        f"INSERT INTO {T_MEASURE_ROLLUP} ({columns}) "
        f"SELECT {vill}, 5, %s, {category}, COUNT(*), COUNT(DISTINCT me.{qn('household_id')}), "
        f"COALESCE(SUM(me.{qn('amount')}), 0) "
        # Households first (CROSS JOIN keeps SQLite's join order): a dirty refresh reads the
        # marked villages' households and their measures by the (household, year) index.
        f"FROM {T_HH} hh CROSS JOIN {T_MEASURE} me "
        f"WHERE me.{qn('household_id')} = hh.{qn('id')} AND me.{qn('year')} = %s "
        f"AND me.{qn('status')} IN ({carried}) AND {where} "
        f"GROUP BY {vill}, {category}",
        [year, year, *wp],
    )


def _deep_poverty_counts(cursor: Any, year: int, base: str, bp: list[Any], count_cols: str) -> None:
    """The counts behind the deep-poverty shares, per village (kind ``dp``; the ``households``
    column holds persons for the person keys): the definitions of
    ``fupin.policy.deep_poverty`` (poor = 未脱贫 or 返贫, not removed, identified by the year;
    a blank fact is not recorded), so the deep-poverty table reads the rollups."""
    vill = f"hh.{qn('village_id')}"
    status = f"hh.{qn('status')}"
    live = f"{base} AND {status} <> 'removed'"
    poor = f"{status} IN ('poor', 'returned')"
    # Aged 60 or more in the year: born in year − 60 or before (ISO dates compare as text
    # in SQLite and as dates in PostgreSQL).
    elderly_before = f"{year - 59:04d}-01-01"
    grade, water, road = (f"c.{qn(n)}" for n in ("house_grade", "water_safe", "road_type"))

    def case(condition: str) -> str:
        return f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"

    members = {
        "dibao_tekun_persons": case(f"{poor} AND hh.{qn('attribute')} IN ('dibao', 'tekun')"),
        "illness_disability_persons": case(
            f"{poor} AND hh.{qn('main_cause')} IN ('illness', 'disability')"
        ),
        "elderly_poor_persons": case(f"{poor} AND m.{qn('birth_date')} < %s"),
    }
    conditions = {
        "unsafe_housing_households": case(f"{grade} IN ('C', 'D')"),
        "housing_recorded": case(f"{grade} IS NOT NULL AND {grade} <> ''"),
        "no_safe_water_households": case(f"{water} = FALSE"),
        "water_recorded": case(f"{water} IS NOT NULL"),
        "no_hardened_road_households": case(f"{road} IN ('dirt', 'gravel')"),
        "road_recorded": case(f"{road} IS NOT NULL AND {road} <> ''"),
    }
    kind = RollupCount.Kind.DEEP_POVERTY.value
    for key, value in members.items():
        params = [elderly_before] if "%s" in value else []
        cursor.execute(
            f"INSERT INTO {T_COUNT} ({count_cols}) "
            f"SELECT {vill}, 5, %s, %s, %s, {value} "
            f"FROM {T_MEMBER} m JOIN {T_HH} hh ON hh.{qn('id')} = m.{qn('household_id')} "
            f"WHERE {live} GROUP BY {vill}",
            [year, kind, key, *params, *bp],
        )
    for key, value in conditions.items():
        cursor.execute(
            f"INSERT INTO {T_COUNT} ({count_cols}) "
            f"SELECT {vill}, 5, %s, %s, %s, {value} "
            f"FROM {T_CONDITIONS} c JOIN {T_HH} hh ON hh.{qn('id')} = c.{qn('household_id')} "
            f"WHERE {live} GROUP BY {vill}",
            [year, kind, key, *bp],
        )


def _levels_up(cursor: Any, scope: _Scope, years: Sequence[int], now: Any) -> int:
    """Rebuild the ancestors' rows of the scope, level by level, as sums of the level below."""
    if not years:
        return 0
    year_in = f"{qn('year')} IN ({', '.join(['%s'] * len(years))})"
    sums = ", ".join(f"SUM({qn(c)})" for c in COUNT_COLUMNS)
    columns = ", ".join(
        qn(c) for c in ("division_code", "level", "year", *COUNT_COLUMNS, "rule_set", "updated_at")
    )
    count_cols = ", ".join(
        qn(c) for c in ("division_code", "level", "year", "kind", "key", "households")
    )
    measure_cols = ", ".join(
        qn(c)
        for c in ("division_code", "level", "year", "category", "measures", "households", "amount")
    )
    code = qn("division_code")
    written = 0
    for level in (4, 3, 2, 1, NATIONAL_LEVEL):
        length = CODE_LENGTH.get(level, 0)
        if length:
            target = f"SUBSTR({code}, 1, {length})"
            where, wp = scope.at_length(code, length)
        else:
            target, where, wp = "%s", "1 = 1", []
        tp = [] if length else [NATIONAL]
        group = f"{target}, {qn('year')}" if length else qn("year")
        cursor.execute(
            f"INSERT INTO {T_ROLLUP} ({columns}) "
            f"SELECT {target}, %s, {qn('year')}, {sums}, MAX({qn('rule_set')}), %s "
            f"FROM {T_ROLLUP} WHERE {qn('level')} = %s AND {year_in} AND {where} "
            f"GROUP BY {group}",
            [*tp, level, now, level + 1, *years, *wp],
        )
        written += int(cursor.rowcount)
        cursor.execute(
            f"INSERT INTO {T_COUNT} ({count_cols}) "
            f"SELECT {target}, %s, {qn('year')}, {qn('kind')}, {qn('key')}, "
            f"SUM({qn('households')}) "
            f"FROM {T_COUNT} WHERE {qn('level')} = %s AND {year_in} AND {where} "
            f"GROUP BY {group}, {qn('kind')}, {qn('key')}",
            [*tp, level, level + 1, *years, *wp],
        )
        cursor.execute(
            f"INSERT INTO {T_MEASURE_ROLLUP} ({measure_cols}) "
            f"SELECT {target}, %s, {qn('year')}, {qn('category')}, SUM({qn('measures')}), "
            f"SUM({qn('households')}), SUM({qn('amount')}) "
            f"FROM {T_MEASURE_ROLLUP} WHERE {qn('level')} = %s AND {year_in} AND {where} "
            f"GROUP BY {group}, {qn('category')}",
            [*tp, level, level + 1, *years, *wp],
        )
    return written
