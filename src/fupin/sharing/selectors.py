"""Reads of department data sharing: verification tasks, the home summary, the form burden."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Count, Q, QuerySet

from fupin.divisions.models import Division
from fupin.divisions.selectors import subtree_q
from fupin.policy import codes
from fupin.registry.models import Household, HouseholdIncome, LivingConditions, Member
from fupin.sharing.models import Dataset, Flag, MatchRun

SOURCES = codes.FACT_SOURCE.codes  # manual, import, department
CHILD_LENGTH = {0: 2, 2: 4, 4: 6, 6: 9, 9: 12}


def _in_scope(qs: QuerySet[Any], scope: str | None, field: str) -> QuerySet[Any]:
    if scope is None:
        return qs.none()
    return qs if scope == "" else qs.filter(subtree_q(scope, field=field))


def flag_tasks(
    *, scope: str | None, division: str = "", status: str = "open", flag_type: str = ""
) -> QuerySet[Flag]:
    """Flags under the user's scope (and ``division`` inside it), oldest village first."""
    qs = _in_scope(Flag.objects.all(), scope, "village_code")
    if division:
        if scope and not division.startswith(scope):
            return qs.none()
        qs = qs.filter(subtree_q(division, field="village_code"))
    if status:
        qs = qs.filter(status=status)
    if flag_type:
        qs = qs.filter(flag_type=flag_type)
    return qs.select_related("household", "member", "run__dataset").order_by(
        "village_code", "flag_type", "pk"
    )


def flag_visible(*, scope: str | None, pk: int) -> Flag | None:
    return _in_scope(Flag.objects.filter(pk=pk), scope, "village_code").first()


@dataclass(frozen=True)
class SharingSummary:
    datasets: list[Dataset]
    runs: list[MatchRun]
    by_type: list[dict[str, Any]]
    open_flags: int


def sharing_summary(*, scope: str | None, limit: int = 20) -> SharingSummary:
    """Recent datasets and runs, and the flags under the scope counted by type and status."""
    flags = _in_scope(Flag.objects.all(), scope, "village_code")
    by_type = list(
        flags.values("flag_type")
        .annotate(
            open=Count("pk", filter=Q(status="open")),
            confirmed=Count("pk", filter=Q(status="confirmed")),
            dismissed=Count("pk", filter=Q(status="dismissed")),
        )
        .order_by("flag_type")
    )
    return SharingSummary(
        datasets=list(Dataset.objects.select_related("uploaded_by")[:limit]),
        runs=list(MatchRun.objects.select_related("dataset")[:limit]),
        by_type=by_type,
        open_flags=sum(r["open"] for r in by_type),
    )


# -- form burden ----------------------------------------------------------------------------

_BOOKKEEPING = frozenset(
    {
        "id",
        "source",
        "field_sources",
        "confirmed_at",
        "created_at",
        "updated_at",
        "household",
        "net_income",
        "id_key",
        "status_changed_at",
    }
)


def fact_fields(model: type[Any]) -> list[str]:
    """The facts of a registry row: its concrete fields less keys and bookkeeping."""
    return [
        f.name
        for f in model._meta.concrete_fields
        if f.name not in _BOOKKEEPING and not f.primary_key
    ]


def _over(alias: str, value: str | None) -> str:
    """SQL counting the row's per-field sources equal to ``value`` (else differing from the
    row's own source)."""
    cond = f"= '{value}'" if value else f"<> {alias}.source"
    if connection.vendor == "postgresql":
        return (
            f"(SELECT COUNT(*) FROM jsonb_each_text({alias}.field_sources) e WHERE e.value {cond})"
        )
    return f"(SELECT COUNT(*) FROM json_each({alias}.field_sources) e WHERE e.value {cond})"


def _facts_sql(model: type[Any], household_col: str, households: str) -> str:
    qn = connection.ops.quote_name
    n = len(fact_fields(model))
    cols = ", ".join(
        f"(CASE WHEN t.source = '{s}' THEN {n} - {_over('t', None)} ELSE 0 END) "
        f"+ (CASE WHEN t.source <> '{s}' THEN {_over('t', s)} ELSE 0 END) AS {s}_n"
        for s in SOURCES
    )
    return (
        f"SELECT t.{household_col} AS hid, {cols} FROM {qn(model._meta.db_table)} t "
        f"WHERE t.{household_col} IN ({households})"
    )


@dataclass(frozen=True)
class BurdenRow:
    key: str
    name: str
    households: int
    manual: int
    imported: int
    department: int

    @property
    def total(self) -> int:
        return self.manual + self.imported + self.department

    @property
    def department_share(self) -> float:
        return self.department / self.total if self.total else 0.0

    @property
    def department_percent(self) -> float:
        """The department share in per cent (one decimal is shown: 90 of 85,680 is 0.1%)."""
        return 100 * self.department_share

    @property
    def manual_share(self) -> float:
        return self.manual / self.total if self.total else 0.0


def form_burden(*, scope: str | None, division: str) -> list[BurdenRow]:
    """For the households under ``division``: facts by source (hand entry, import, department),
    rolled up by child division (by household inside a village). Set-based, one statement.

    A division outside the scope yields no rows.
    """
    if scope is None or not division.startswith(scope):
        return []
    qn = connection.ops.quote_name
    h = qn(Household._meta.db_table)
    upper = division.ljust(12, "9")
    households = f"SELECT id FROM {h} WHERE village_id >= %s AND village_id <= %s"
    parts = [
        _facts_sql(Household, "id", households),
        _facts_sql(Member, "household_id", households),
        _facts_sql(HouseholdIncome, "household_id", households),
        _facts_sql(LivingConditions, "household_id", households),
    ]
    params: list[Any] = [division, upper] * len(parts)
    if len(division) == 12:
        key = "hh.code"
    else:
        key = f"substr(hh.village_id, 1, {CHILD_LENGTH[len(division)]})"
    sql = (
        f"SELECT {key} AS k, COUNT(DISTINCT hh.id), SUM(f.manual_n), SUM(f.import_n), "
        f"SUM(f.department_n) FROM ({' UNION ALL '.join(parts)}) f "
        f"JOIN {h} hh ON hh.id = f.hid GROUP BY {key} ORDER BY {key}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    names: dict[str, str] = {}
    if len(division) != 12:
        names = dict(
            Division.objects.filter(code__in=[r[0] for r in rows]).values_list("code", "name")
        )
    return [
        BurdenRow(
            key=str(k),
            name=names.get(str(k), str(k)),
            households=int(n),
            manual=int(a or 0),
            imported=int(b or 0),
            department=int(c or 0),
        )
        for k, n, a, b, c in rows
    ]


def burden_total(rows: list[BurdenRow], key: str = "", name: str = "合计") -> BurdenRow:
    return BurdenRow(
        key,
        name,
        sum(r.households for r in rows),
        sum(r.manual for r in rows),
        sum(r.imported for r in rows),
        sum(r.department for r in rows),
    )
