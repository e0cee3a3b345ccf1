"""Bind the policy's ledger tables (``fupin.policy.funds.LedgerInputs``) to the funds tables
in the database, so ``balances``, ``project_balances`` and ``ledger_flags`` compile to one SQL
statement each and run in SQLite or PostgreSQL (never a loop over ORM rows).

Amounts are stored as ``Decimal`` yuan and read here as integer fen (``round(amount × 100)``),
which is exact for two-place decimals on PostgreSQL's numeric and on SQLite's stored values.
Used by the services (a holder's balance, a project's unspent funds) and the selectors.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import ibis
import ibis.expr.types as ir
from django.db import connection

from fupin.assessment.adapters import to_sql
from fupin.funds.models import FundAllocation, Payment, Project, ProjectFunding
from fupin.policy import funds as pf
from fupin.registry.models import Household

#: Division code length → fund level.
LEVEL_OF_LENGTH = {2: "province", 4: "prefecture", 6: "county", 9: "township", 12: "village"}


def _table(model: type[Any], schema: dict[str, str]) -> ir.Table:
    return ibis.table(schema, name=model._meta.db_table)


def _fen(amount: ir.NumericColumn) -> ir.IntegerValue:
    return (amount * 100).round(0).cast("int64")


def _under(column: ir.StringColumn, code: str) -> ir.BooleanValue:
    # The range beside startswith lets SQLite use the index (its LIKE cannot).
    return column.startswith(code) & (column >= code) & (column <= code.ljust(12, "9"))


Where = Callable[[ir.Table], ir.BooleanValue]


def raw_tables() -> dict[str, ir.Table]:
    """The funds tables as Ibis tables with their database column names."""
    money = "decimal(14, 2)"
    return {
        "allocation": _table(
            FundAllocation,
            {
                "id": "int64",
                "source_fund": "string",
                "year": "int64",
                "from_division_id": "string",
                "to_division_id": "string",
                "allocated_on": "date",
                "amount": money,
            },
        ),
        "assignment": _table(
            ProjectFunding,
            {
                "id": "int64",
                "project_id": "int64",
                "holder_id": "string",
                "source_fund": "string",
                "year": "int64",
                "assigned_on": "date",
                "amount": money,
            },
        ),
        "project": _table(
            Project,
            {
                "id": "int64",
                "division_id": "string",
                "status": "string",
                "approved_on": "date",
                "budget": money,
                "village_notice_end": "date",
                "township_notice_end": "date",
            },
        ),
        "payment": _table(
            Payment,
            {
                "id": "int64",
                "project_id": "int64",
                "item": "string",
                "source_fund": "string",
                "year": "int64",
                "payee_kind": "string",
                "household_id": "int64",
                "paid_on": "date",
                "amount": money,
            },
        ),
        "household": _table(Household, {"id": "int64", "status": "string"}),
    }


def ledger_inputs(
    division_code: str = "",
    *,
    holder: str | None = None,
    project_id: int | None = None,
) -> pf.LedgerInputs:
    """The ledger's inputs over the database, limited to what a division's ledger reads.

    ``division_code`` ("" = everything): allocations received or passed down by a holder under
    it, assignments by such a holder or to a project under it, its projects, their payments
    and the households paid. Holders outside the division (the prefecture that passed money
    down) then appear with a partial balance: filter the results by division (see
    ``flags_under``). ``holder`` limits to one holder's allocations and assignments (its
    balance); ``project_id`` to one project's assignments and payments.
    """
    t = raw_tables()
    a, s, p, pay, hh = (
        t[k] for k in ("allocation", "assignment", "project", "payment", "household")
    )
    if holder is not None:
        a = a.filter((a.to_division_id == holder) | (a.from_division_id == holder))
        s = s.filter(s.holder_id == holder)
        p = p.filter(p.id.isin(s.project_id))
        pay = pay.filter(ibis.literal(False))
    elif project_id is not None:
        a = a.filter(ibis.literal(False))
        s = s.filter(s.project_id == project_id)
        p = p.filter(p.id == project_id)
        pay = pay.filter(pay.project_id == project_id)
    elif division_code:
        p = p.filter(_under(p.division_id, division_code))
        a = a.filter(
            _under(a.to_division_id, division_code)
            | (a.from_division_id.notnull() & _under(a.from_division_id, division_code))
        )
        s = s.filter(_under(s.holder_id, division_code) | s.project_id.isin(p.id))
        pay = pay.filter(pay.project_id.isin(p.id))
    hh = hh.filter(hh.id.isin(pay.filter(pay.household_id.notnull()).household_id))
    level = a.to_division_id.length().cases(*LEVEL_OF_LENGTH.items())
    return pf.LedgerInputs(
        allocation=a.select(
            a.id,
            source=a.source_fund,
            year=a.year,
            from_division=a.from_division_id,
            to_division=a.to_division_id,
            to_level=level,
            allocated_on=a.allocated_on,
            amount_fen=_fen(a.amount),
        ),
        assignment=s.select(
            s.id,
            s.project_id,
            division=s.holder_id,
            source=s.source_fund,
            year=s.year,
            assigned_on=s.assigned_on,
            amount_fen=_fen(s.amount),
        ),
        project=p.select(
            p.id,
            division=p.division_id,
            status=p.status,
            approved_on=p.approved_on,
            budget_fen=_fen(p.budget),
            village_notice_end=p.village_notice_end,
            township_notice_end=p.township_notice_end,
        ),
        payment=pay.select(
            pay.id,
            pay.project_id,
            pay.item,
            source=pay.source_fund,
            year=pay.year,
            payee_kind=pay.payee_kind,
            household_id=pay.household_id,
            paid_on=pay.paid_on,
            amount_fen=_fen(pay.amount),
        ),
        household=hh.select(hh.id, hh.status),
    )


def fetch(expr: ir.Table) -> list[dict[str, Any]]:
    """Run an expression in the database Django is connected to; rows as dicts, dates as
    ``date`` (SQLite returns them as text)."""
    date_cols = [n for n, dt in expr.schema().items() if dt.is_date()]
    with connection.cursor() as cursor:
        cursor.execute(to_sql(expr))
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    for row in rows:
        for c in date_cols:
            if isinstance(row[c], str):
                row[c] = date.fromisoformat(row[c][:10])
    return rows


def holder_balance_fen(holder: str, source: str, year: int) -> int:
    """What ``holder`` has left of ``source`` for ``year`` (received − passed down − assigned),
    in fen; one statement."""
    b = pf.balances(ledger_inputs(holder=holder))
    b = b.filter((b.division == holder) & (b.source == source) & (b.year == year))
    rows = fetch(b.select(b.balance_fen))
    return int(rows[0]["balance_fen"]) if rows else 0


def project_unspent_fen(project_id: int, source: str, year: int) -> int:
    """A project's assigned, unpaid money of ``source`` and ``year``, in fen; one statement."""
    b = pf.project_balances(ledger_inputs(project_id=project_id))
    b = b.filter((b.project_id == project_id) & (b.source == source) & (b.year == year))
    rows = fetch(b.select(b.unspent_fen))
    return int(rows[0]["unspent_fen"]) if rows else 0


def flags_under(division_code: str, as_of: date, p: pf.FundParameters) -> ir.Table:
    """``ledger_flags`` of a division ("" = all), limited to flags about divisions under it."""
    flags = pf.ledger_flags(ledger_inputs(division_code), as_of, p)
    if division_code:
        flags = flags.filter(_under(flags.division, division_code))
    return flags
