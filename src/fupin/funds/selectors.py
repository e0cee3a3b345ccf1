"""Reads of projects and funds: the ledger of a county or a province run in the database (the
policy's one Ibis definition compiled to SQL), balances by source, level and year, project
balances and the monitoring flags (动态监控). One statement each, whatever the number of rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import QuerySet

from fupin.divisions.selectors import subtree_q
from fupin.funds import ledger
from fupin.funds.models import Project
from fupin.funds.services import parameters
from fupin.policy import funds as pf

#: Re-exported: the ledger's inputs over the database tables.
ledger_inputs = ledger.ledger_inputs


@dataclass(frozen=True)
class Balance:
    division: str
    level: str
    source: str
    year: int
    received: Decimal
    allocated: Decimal
    assigned: Decimal
    balance: Decimal


@dataclass(frozen=True)
class ProjectBalance:
    project_id: int
    source: str
    year: int
    assigned: Decimal
    paid: Decimal
    unspent: Decimal


@dataclass(frozen=True)
class Flag:
    """One monitoring flag; ``label`` is the Chinese name of its code."""

    code: str
    division: str | None
    project_id: int | None
    payment_id: int | None
    household_id: int | None
    source: str | None
    year: int | None
    amount: Decimal
    since: date | None

    @property
    def label(self) -> str:
        return pf.FLAG_LABELS.get(self.code, self.code)

    @property
    def source_label(self) -> str:
        """The fund source's Chinese name ("" when the flag is about no one source)."""
        if not self.source:
            return ""
        return (
            pf.FUND_SOURCE.label_of(self.source) if self.source in pf.FUND_SOURCE else self.source
        )


def balances(division_code: str, year: int | None = None) -> list[Balance]:
    """The balance of every holder under a division by source, level and year."""
    b = pf.balances(ledger_inputs(division_code))
    if division_code:
        b = b.filter(ledger._under(b.division, division_code))
    if year is not None:
        b = b.filter(b.year == year)
    b = b.order_by(b.division, b.year, b.source)
    return [
        Balance(
            division=r["division"],
            level=r["level"] or "",
            source=r["source"],
            year=int(r["year"]),
            received=pf.from_fen(int(r["received_fen"])),
            allocated=pf.from_fen(int(r["allocated_fen"])),
            assigned=pf.from_fen(int(r["assigned_fen"])),
            balance=pf.from_fen(int(r["balance_fen"])),
        )
        for r in ledger.fetch(b)
    ]


def project_balances(division_code: str) -> list[ProjectBalance]:
    """Assigned, paid and unspent funds of every project under a division, by source and year."""
    inputs = ledger_inputs(division_code)
    b = pf.project_balances(inputs)
    b = b.filter(b.project_id.isin(inputs.project.id)).order_by("project_id", "year", "source")
    return [
        ProjectBalance(
            project_id=int(r["project_id"]),
            source=r["source"],
            year=int(r["year"]),
            assigned=pf.from_fen(int(r["assigned_fen"])),
            paid=pf.from_fen(int(r["paid_fen"])),
            unspent=pf.from_fen(int(r["unspent_fen"])),
        )
        for r in ledger.fetch(b)
    ]


def ledger_flags(division_code: str, as_of: date) -> list[Flag]:
    """The monitoring flags about a division's holders and projects, as of a day, run in the
    database (SQLite or PostgreSQL) as one statement."""
    flags = ledger.flags_under(division_code, as_of, parameters())
    flags = flags.order_by("code", "division", "project_id", "payment_id", "household_id")
    return [
        Flag(
            code=r["code"],
            division=r["division"],
            project_id=r["project_id"],
            payment_id=r["payment_id"],
            household_id=r["household_id"],
            source=r["source"],
            year=r["year"],
            amount=pf.from_fen(int(r["amount_fen"] or 0)),
            since=r["since"],
        )
        for r in ledger.fetch(flags)
    ]


def projects_under(division_code: str, status: str | None = None) -> QuerySet[Project]:
    """The projects that lie under a division (the project library), newest first."""
    qs = Project.objects.filter(subtree_q(division_code, field="division__code"))
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("division").order_by("-proposed_on", "code")
