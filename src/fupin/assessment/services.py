"""Assess households against a rule set: in bulk in the database, over a Parquet snapshot with
DuckDB, or one household with its explanation.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ibis
from django.db import connection, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from fupin.assessment import adapters
from fupin.assessment.models import AssessmentResult, AssessmentRun
from fupin.common.deferred_indexes import indexes_deferred, should_defer
from fupin.common.errors import FupinError
from fupin.divisions.models import Division
from fupin.divisions.selectors import subtree_q
from fupin.policy.parameters import DEFAULT_PARAMETERS, ParameterError, ParameterSet
from fupin.policy.rules import Context, Explanation, RuleSet, explain, get_rule_set
from fupin.registry.models import Household, HouseholdIncome, Member

RESULT_COLUMNS = (
    "run_id",
    "household_id",
    "year",
    "rule_set",
    "rule_set_version",
    "meets_standard",
    "income_above_line",
    "per_capita_net_income",
    "poverty_line",
    "failed_codes",
)


def _context(year: int, parameters: ParameterSet | None) -> Context:
    ctx = Context(year=year, parameters=parameters or DEFAULT_PARAMETERS)
    try:
        ctx.parameters.national_line(year)  # fail early when the year has no line
    except ParameterError as exc:
        raise FupinError(exc.code, exc.message) from exc
    return ctx


def _rule_set(key: str | None) -> RuleSet:
    try:
        return get_rule_set(key)
    except KeyError as exc:
        raise FupinError("RULE_SET_UNKNOWN", f"没有名为 {key} 的规则集") from exc


def default_year(division_code: str | None = None) -> int:
    """The latest year with recorded income under the division (2020 when there is none)."""
    qs = HouseholdIncome.objects.all()
    if division_code:
        qs = qs.filter(subtree_q(division_code, field="household__village__code"))
    year = qs.aggregate(y=Max("year"))["y"]
    return int(year) if year else 2020


def _result_select(rule_set: RuleSet, ctx: Context, run_id: int, inputs: Any) -> Any:
    ev = rule_set.evaluate(inputs, ctx)
    return ev.select(
        run_id=ibis.literal(run_id, "int64"),
        household_id=ev.household_id,
        year=ibis.literal(ctx.year, "int64"),
        rule_set=ibis.literal(rule_set.code),
        rule_set_version=ibis.literal(rule_set.version),
        meets_standard=ev.meets_standard,
        income_above_line=ev.ok_INCOME_ABOVE_LINE,
        per_capita_net_income=ev.per_capita_net_income,
        poverty_line=ev.poverty_line,
        # Empty exactly when every rule passes; skipping the string building for the
        # households that meet the standard (about half) saves ~10 % of the run.
        failed_codes=ibis.ifelse(ev.meets_standard, ibis.literal(""), ev.failed_codes),
    )


def assessment_run(
    *,
    division_code: str | None = None,
    year: int | None = None,
    rule_set_key: str | None = None,
    parameters: ParameterSet | None = None,
) -> AssessmentRun:
    """Assess every live household under a division in one set-based statement.

    The rule set's expressions are compiled to the database's SQL and run as
    ``INSERT … SELECT``; the previous results of these households for the year and rule set
    are replaced in the same transaction. On PostgreSQL, a run that writes at least half as
    many rows as the result table holds drops the table's secondary indexes and constraints
    first and re-creates (and validates) them after, in the same transaction (ADR 5).
    """
    if division_code is not None and not Division.objects.filter(code=division_code).exists():
        raise FupinError("DIVISION_UNKNOWN", f"未找到区划代码 {division_code}，请先加载区划")
    rule_set = _rule_set(rule_set_key)
    year = year or default_year(division_code)
    ctx = _context(year, parameters)
    table = AssessmentResult._meta.db_table
    qn = connection.ops.quote_name
    with transaction.atomic():
        run = AssessmentRun.objects.create(
            division_id=division_code or _top_division(),
            year=year,
            rule_set=rule_set.code,
            rule_set_version=rule_set.version,
            parameters=ctx.parameters.as_dict(year),
            engine=connection.vendor,
        )
        scope = adapters.division_scope(division_code)
        inputs = adapters.registry_inputs(division_code, restrict_facts=scope.restrict_facts)
        select_sql = adapters.to_sql(_result_select(rule_set, ctx, run.pk, inputs))
        cols = ", ".join(qn(c) for c in RESULT_COLUMNS)
        with connection.cursor() as cursor:
            _delete_previous(cursor, table, year, rule_set.code, division_code)
        # The helper first runs the deferred checks pending in this transaction (the run row
        # just inserted, rows the caller wrote): PostgreSQL cannot drop a foreign key before.
        defer = should_defer({table: scope.households})
        with indexes_deferred([table], enabled=defer), connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {qn(table)} ({cols}) {select_sql}")
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT COUNT(*), COALESCE(SUM(CASE WHEN {qn('meets_standard')} THEN 1 "
                f"ELSE 0 END), 0) FROM {qn(table)} WHERE {qn('run_id')} = %s",
                [run.pk],
            )
            total, meets = cursor.fetchone()
        run.household_count = int(total)
        run.meets_count = int(meets)
        run.finished_at = timezone.now()
        run.save(update_fields=["household_count", "meets_count", "finished_at"])
    return run


def _delete_previous(
    cursor: Any, table: str, year: int, rule_set: str, division_code: str | None
) -> None:
    """Delete the division's results for the year and rule set in one statement.

    Both engines plan the ``IN`` as a set operation here: PostgreSQL as a hash semi-join,
    SQLite as a list probed through the result table's unique index.
    """
    qn = connection.ops.quote_name
    sql = f"DELETE FROM {qn(table)} WHERE {qn('year')} = %s AND {qn('rule_set')} = %s"
    params: list[Any] = [year, rule_set]
    if division_code:
        village = qn("village_id")
        # The range beside LIKE lets SQLite use the village index (its LIKE cannot).
        sql += (
            f" AND {qn('household_id')} IN (SELECT {qn('id')} FROM "
            f"{qn(Household._meta.db_table)} WHERE {village} LIKE %s "
            f"AND {village} BETWEEN %s AND %s)"
        )
        params += list(adapters.village_range(division_code))
    cursor.execute(sql, params)


def _top_division() -> str:
    """The division a whole-registry run is filed under: the first province loaded."""
    first = Division.objects.filter(level=1).order_by("code").values_list("code", flat=True)
    code = first.first()
    if code is None:
        raise FupinError("DIVISION_UNKNOWN", "尚未加载任何区划，请先运行 fupin divisions load")
    return code


@dataclass(frozen=True)
class RuleFailureCount:
    code: str
    title: str
    failed: int


@dataclass(frozen=True)
class RunSummary:
    households: int
    meets_standard: int
    failures: tuple[RuleFailureCount, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "households": self.households,
            "meets_standard": self.meets_standard,
            "failures": [f.__dict__ for f in self.failures],
        }


def run_summary(run: AssessmentRun) -> RunSummary:
    """Count, for each rule of the run's rule set, how many households failed it."""
    rule_set = _rule_set(f"{run.rule_set}@{run.rule_set_version}")
    qs = AssessmentResult.objects.filter(run=run)
    agg = qs.aggregate(
        **{r.code: Count("pk", filter=Q(failed_codes__contains=r.code)) for r in rule_set.rules}
    )
    failures = tuple(RuleFailureCount(r.code, r.title, int(agg[r.code])) for r in rule_set.rules)
    return RunSummary(run.household_count, run.meets_count, failures)


def assess_flat_file(
    *,
    path: Path,
    year: int,
    division_code: str | None = None,
    out: Path | None = None,
    rule_set_key: str | None = None,
    parameters: ParameterSet | None = None,
    threads: int | None = None,
) -> RunSummary:
    """Assess a flat registry file (Parquet/CSV) with DuckDB — the national batch path.

    Results (household code, verdict, failed codes) go to ``out`` as Parquet when given.
    """
    if not Path(path).exists():
        raise FupinError("FILE_NOT_FOUND", f"找不到文件 {path}")
    rule_set = _rule_set(rule_set_key)
    ctx = _context(year, parameters)
    con = ibis.duckdb.connect()
    # DuckDB 2.0's partitioned execution rescans the whole file once per key range for the
    # 28M-household GROUP BY (11 scans of 89.7M rows): the national run takes 51 s with it
    # and 26 s without, peak RSS 10.7 GiB (bench/RESULTS.md).
    con.raw_sql("SET disabled_optimizers = 'partitioned_execution'")
    if threads:
        con.raw_sql(f"SET threads = {int(threads)}")
    inputs = adapters.flat_inputs(adapters.read_flat(con, path), division_code)
    ev = rule_set.evaluate(inputs, ctx)
    results = ev.select(
        household_code=ev.household_id,
        village_code=ev.village_id,
        meets_standard=ev.meets_standard,
        per_capita_net_income=ev.per_capita_net_income,
        poverty_line=ev.poverty_line,
        failed_codes=ev.failed_codes,
        **{f"ok_{r.code}": ev[f"ok_{r.code}"] for r in rule_set.rules},
    )
    if out is not None:
        con.create_table("_results", results, overwrite=True)
        stored = con.table("_results")
        con.to_parquet(stored.drop(*[f"ok_{r.code}" for r in rule_set.rules]), str(out))
        results = stored
    agg = results.aggregate(
        households=results.count(),
        meets=results.meets_standard.sum(),
        **{r.code: (~results[f"ok_{r.code}"]).sum() for r in rule_set.rules},
    )
    row = con.to_pyarrow(agg).to_pylist()[0]
    failures = tuple(
        RuleFailureCount(r.code, r.title, int(row[r.code] or 0)) for r in rule_set.rules
    )
    return RunSummary(int(row["households"]), int(row["meets"] or 0), failures)


def household_find(key: str) -> Household:
    """Find a household by its code (户编号) or any member's ID number."""
    key = key.strip()
    household = Household.objects.filter(code=key).first()
    if household is None:
        from fupin.policy import idnumber

        check = idnumber.check(key)
        if check.valid and check.normalized:
            id_key = idnumber.id_key(check.normalized)
            member = Member.objects.filter(id_key=id_key).select_related("household")
            found = member.first()
            household = found.household if found else None
    if household is None:
        raise FupinError("HOUSEHOLD_NOT_FOUND", f"未找到户编号或身份证号为 {key} 的户")
    return household


def household_explain(
    *,
    household: Household,
    year: int | None = None,
    rule_set_key: str | None = None,
    parameters: ParameterSet | None = None,
) -> Explanation:
    """Explain one household: each rule of the standard, passed or not, in plain Chinese."""
    rule_set = _rule_set(rule_set_key)
    if year is None:
        latest = household.incomes.aggregate(y=Max("year"))["y"]
        year = int(latest) if latest else default_year()
    ctx = _context(year, parameters)
    facts = adapters.household_facts(household, year)
    return explain(rule_set, ctx, **facts)
