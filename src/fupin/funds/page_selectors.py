"""Reads of the funds pages (issue 10, item 7): the division's balance by source with what was
paid, project counts by status, the project library with its funds, the breakdown by
deep-poverty status, the factor inputs of the divisions below for the factor method (因素法)
and a village's projects with what they bring to whom.

Each read is one or a few statements whatever the number of rows (no loop over ORM rows); the
ledger figures come from :mod:`fupin.funds.selectors`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    DecimalField,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Substr

from fupin.analysis.models import DesignatedArea
from fupin.divisions.models import LEVEL_OF_LENGTH, Division
from fupin.divisions.selectors import subtree_q
from fupin.funds import selectors
from fupin.funds.models import FundAllocation, Payment, Project, ProjectFunding
from fupin.policy import funds as pf
from fupin.registry.models import HouseholdIncome, Member
from fupin.reports.models import DivisionRollup

ZERO = Decimal("0.00")
FEN = Decimal("0.01")


def _q(amount: Decimal | None) -> Decimal:
    """A sum read from the database as yuan with two places (SQLite drops them)."""
    return (amount or ZERO).quantize(FEN)


MONEY = DecimalField(max_digits=16, decimal_places=2)


def _under(code: str, field: str = "code") -> Q:
    """Rows whose division in ``field`` lies under ``code`` ("" is the whole country)."""
    return subtree_q(code, field=field) if code else Q()


#: Division code length → the length of the level one below.
CHILD_LENGTH = {0: 2, 2: 4, 4: 6, 6: 9, 9: 12}


# -- the division's balance by source ------------------------------------------------------------


@dataclass(frozen=True)
class SourceRow:
    """One (source, year) of a holder: received, passed down, assigned to projects, paid by
    the projects under it and the balance left with the holder."""

    source: str
    year: int
    received: Decimal
    allocated: Decimal
    assigned: Decimal
    paid: Decimal
    balance: Decimal

    @property
    def label(self) -> str:
        return pf.FUND_SOURCE.label_of(self.source)


def paid_by_source(division_code: str) -> dict[tuple[str, int], Decimal]:
    """What the projects under a division paid, by source and year (one statement)."""
    rows = (
        Payment.objects.filter(_under(division_code, field="project__division__code"))
        .values("source_fund", "year")
        .annotate(total=Sum("amount"))
    )
    return {(r["source_fund"], int(r["year"])): _q(r["total"]) for r in rows}


def division_sources(division_code: str, year: int | None = None) -> list[SourceRow]:
    """The division's own balance rows by source and year, with the payments under it."""
    paid = paid_by_source(division_code)
    rows = [b for b in selectors.balances(division_code, year) if b.division == division_code]
    keys = {(b.source, b.year) for b in rows}
    out = [
        SourceRow(
            b.source,
            b.year,
            b.received,
            b.allocated,
            b.assigned,
            paid.get((b.source, b.year), ZERO),
            b.balance,
        )
        for b in rows
    ]
    # Payments of sources the division never held itself (money assigned below it).
    out += [
        SourceRow(s, y, ZERO, ZERO, ZERO, amount, ZERO)
        for (s, y), amount in paid.items()
        if (s, y) not in keys and (year is None or y == year)
    ]
    return sorted(out, key=lambda r: (-r.year, pf.FUND_SOURCE.codes.index(r.source)))


def status_counts(division_code: str) -> dict[str, int]:
    """Projects under a division by status (every status, zero included)."""
    rows = (
        Project.objects.filter(_under(division_code, field="division__code"))
        .values("status")
        .annotate(n=Count("id"))
    )
    found = {r["status"]: r["n"] for r in rows}
    return {code: found.get(code, 0) for code in pf.PROJECT_STATUS.codes}


# -- deep-poverty status --------------------------------------------------------------------------


def _deep_exists(field: str) -> Exists:
    """Whether the division in ``field`` (a village or township code) lies in a designated
    deep-poverty county or is a designated deep-poverty village."""
    return Exists(
        DesignatedArea.objects.filter(designation__kind="deep_poverty").filter(
            Q(division_id=OuterRef(field)) | Q(division_id=Substr(OuterRef(field), 1, 6))
        )
    )


@dataclass(frozen=True)
class DeepRow:
    deep: bool
    projects: int
    budget: Decimal
    paid: Decimal


def deep_poverty_breakdown(division_code: str) -> list[DeepRow]:
    """Projects, their budgets and what was paid to them, in and outside deep-poverty areas
    (a project counts as deep when its location or its county is designated)."""
    under = _under(division_code, field="division__code")
    projects = (
        Project.objects.filter(under)
        .annotate(deep=_deep_exists("division_id"))
        .values("deep")
        .annotate(n=Count("id"), budget=Sum("budget"))
    )
    paid = (
        Payment.objects.filter(_under(division_code, field="project__division__code"))
        .annotate(deep=_deep_exists("project__division_id"))
        .values("deep")
        .annotate(total=Sum("amount"))
    )
    paid_by = {bool(r["deep"]): _q(r["total"]) for r in paid}
    by = {bool(r["deep"]): r for r in projects}
    return [
        DeepRow(
            deep,
            by[deep]["n"] if deep in by else 0,
            _q(by[deep]["budget"]) if deep in by else ZERO,
            paid_by.get(deep, ZERO),
        )
        for deep in (True, False)
    ]


def has_deep_poverty_designations() -> bool:
    return DesignatedArea.objects.filter(designation__kind="deep_poverty").exists()


# -- the project library --------------------------------------------------------------------------


def _sum_of(model: type[Any]) -> Subquery:
    return Subquery(
        model.objects.filter(project=OuterRef("pk"))
        .values("project")
        .annotate(t=Sum("amount"))
        .values("t"),
        output_field=MONEY,
    )


def project_library(
    division_code: str,
    *,
    status: str = "",
    project_type: str = "",
    year: int | None = None,
    village: str = "",
) -> QuerySet[Project]:
    """The projects under a division, filtered, newest first, with ``assigned_total`` and
    ``paid_total`` annotated and their villages prefetched (a constant number of queries)."""
    qs = (
        Project.objects.filter(_under(division_code, "division__code"))
        .select_related("division")
        .order_by("-proposed_on", "code")
    )
    if status:
        qs = qs.filter(status=status)
    if project_type:
        qs = qs.filter(project_type=project_type)
    if year:
        qs = qs.filter(proposed_on__year=year)
    if village:
        qs = qs.filter(Q(villages__code=village) | Q(division_id=village)).distinct()
    return qs.annotate(
        assigned_total=Coalesce(_sum_of(ProjectFunding), Value(ZERO), output_field=MONEY),
        paid_total=Coalesce(_sum_of(Payment), Value(ZERO), output_field=MONEY),
    ).prefetch_related("villages")


def project_years(division_code: str) -> list[int]:
    dates = Project.objects.filter(_under(division_code, field="division__code")).dates(
        "proposed_on", "year", order="DESC"
    )
    return [d.year for d in dates]


def villages_below(division_code: str) -> QuerySet[Division]:
    """The villages under a division (or the village itself), by code."""
    return Division.objects.filter(_under(division_code), level=5).order_by("code")


# -- allocations ----------------------------------------------------------------------------------


def allocations_of(division_code: str) -> tuple[QuerySet[FundAllocation], QuerySet[FundAllocation]]:
    """The allocations a division received and those it made, newest first."""
    base = FundAllocation.objects.select_related("from_division", "to_division").order_by(
        "-allocated_on", "-pk"
    )
    return base.filter(to_division_id=division_code), base.filter(from_division_id=division_code)


def children_of(division_code: str) -> QuerySet[Division]:
    """The divisions one level below (none below a village)."""
    length = CHILD_LENGTH.get(len(division_code))
    if length is None:
        return Division.objects.none()
    return Division.objects.filter(_under(division_code), level=LEVEL_OF_LENGTH[length]).order_by(
        "code"
    )


# -- the factor method's inputs -------------------------------------------------------------------


def latest_rollup_year(division_code: str) -> int | None:
    """The latest year rolled up for the divisions one level below (None: none yet)."""
    codes = children_of(division_code).values("code")
    found = DivisionRollup.objects.filter(division_code__in=codes).order_by("-year").first()
    return found.year if found else None


@dataclass(frozen=True)
class FactorUnit:
    """A division one level below with its factor values (None: not recorded)."""

    code: str
    name: str
    values: dict[str, Decimal | None]

    def inputs(self) -> pf.FactorInputs:
        return pf.FactorInputs(self.code, dict(self.values), self.name)


def factor_units(division_code: str, year: int) -> list[FactorUnit]:
    """The divisions one level below with their factors for the factor method, read from the
    rollups of ``year`` (贫困人口规模 = 未脱贫 + 返贫 persons; 贫困发生率 = those over the
    registered persons, in %), the registered households' incomes of the year (农民人均纯收入
    = net income over household size), the deep-poverty designations (1 or 0); 绩效评价得分 is
    not recorded here and is left blank (None). Four statements."""
    children = list(children_of(division_code).values_list("code", "name"))
    codes = [c for c, _ in children]
    length = CHILD_LENGTH.get(len(division_code), 12)
    rollups = {
        r.division_code: r
        for r in DivisionRollup.objects.filter(division_code__in=codes, year=year)
    }
    incomes = (
        HouseholdIncome.objects.filter(year=year)
        .filter(_under(division_code, field="household__village__code"))
        .annotate(unit=Substr("household__village_id", 1, length))
        .values("unit")
        .annotate(
            income=Sum("net_income"),
            size=Coalesce(Sum("household_size"), Value(0), output_field=IntegerField()),
        )
    )
    per_capita = {
        r["unit"]: (Decimal(r["income"]) / r["size"]).quantize(Decimal("0.01"))
        for r in incomes
        if r["size"] and r["income"] is not None
    }
    deep_codes = set(
        DesignatedArea.objects.filter(designation__kind="deep_poverty").values_list(
            "division_id", flat=True
        )
    )
    out = []
    for code, name in children:
        r = rollups.get(code)
        poor = (r.poor_persons + r.returned_persons) if r else None
        incidence = (
            (Decimal(poor * 100) / r.persons).quantize(Decimal("0.01"))
            if r and r.persons and poor is not None
            else None
        )
        deep = any(code.startswith(d) or d.startswith(code) for d in deep_codes if len(d) <= 6)
        deep = deep or code in deep_codes
        out.append(
            FactorUnit(
                code,
                name,
                {
                    "poor_population": Decimal(poor) if poor is not None else None,
                    "incidence": incidence,
                    "income": per_capita.get(code),
                    "deep_poverty": Decimal(1 if deep else 0),
                    "performance": None,
                },
            )
        )
    return out


# -- the village page -----------------------------------------------------------------------------


@dataclass(frozen=True)
class VillageProject:
    project: Project
    to_collective: Decimal
    to_households: Decimal
    households_paid: int

    @property
    def benefit_labels(self) -> list[str]:
        return [pf.BENEFIT_KIND.label_of(k) for k in self.project.benefit_kinds]


def village_projects(village_code: str) -> list[VillageProject]:
    """The projects serving a village (or lying in it) with what they paid to the village's
    collective and to its households (three statements)."""
    projects = list(
        Project.objects.filter(Q(villages__code=village_code) | Q(division_id=village_code))
        .distinct()
        .select_related("division")
        .order_by("-proposed_on", "code")
    )
    to_collective: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for r in (
        Payment.objects.filter(village_id=village_code, payee_kind="collective")
        .values("project_id")
        .annotate(t=Sum("amount"))
    ):
        to_collective[r["project_id"]] = _q(r["t"])
    to_households: dict[int, tuple[Decimal, int]] = {}
    for r in (
        Payment.objects.filter(household__village_id=village_code, payee_kind="household")
        .values("project_id")
        .annotate(t=Sum("amount"), n=Count("household_id", distinct=True))
    ):
        to_households[r["project_id"]] = (_q(r["t"]), r["n"])
    return [
        VillageProject(
            p,
            to_collective[p.pk],
            to_households.get(p.pk, (ZERO, 0))[0],
            to_households.get(p.pk, (ZERO, 0))[1],
        )
        for p in projects
    ]


def household_payments(village_code: str) -> QuerySet[Payment]:
    """Payments to households of the village, newest first, with the project and household
    loaded and ``head_name`` (the household head's name) annotated."""
    head = Member.objects.filter(household_id=OuterRef("household_id"), relation="head")
    return (
        Payment.objects.filter(household__village_id=village_code, payee_kind="household")
        .select_related("project", "household")
        .annotate(head_name=Subquery(head.values("name")[:1]))
        .order_by("-paid_on", "-pk")
    )


# -- the monitoring flags -------------------------------------------------------------------------


@dataclass(frozen=True)
class FlagRow:
    flag: selectors.Flag
    project: Project | None
    head_name: str
    household_code: str
    division_name: str


def flag_rows(division_code: str, as_of: date) -> list[FlagRow]:
    """The monitoring flags under a division with their project, household head and holder
    named (the ledger statement and three lookups)."""
    flags = selectors.ledger_flags(division_code, as_of)
    projects = Project.objects.in_bulk({f.project_id for f in flags if f.project_id})
    ids = {f.household_id for f in flags if f.household_id}
    heads = {
        r["household_id"]: (r["name"], r["household__code"])
        for r in Member.objects.filter(household_id__in=ids, relation="head").values(
            "household_id", "name", "household__code"
        )
    }
    names = dict(
        Division.objects.filter(code__in={f.division for f in flags if f.division}).values_list(
            "code", "name"
        )
    )
    return [
        FlagRow(
            f,
            projects.get(f.project_id) if f.project_id else None,
            heads.get(f.household_id, ("", ""))[0] if f.household_id else "",
            heads.get(f.household_id, ("", ""))[1] if f.household_id else "",
            names.get(f.division or "", f.division or ""),
        )
        for f in flags
    ]


def flag_counts(rows: list[FlagRow]) -> list[tuple[str, str, int]]:
    """(code, label, count) of the flags, in the order of the codes."""
    counts: dict[str, int] = defaultdict(int)
    for r in rows:
        counts[r.flag.code] += 1
    return [(c, pf.FLAG_LABELS.get(c, c), n) for c, n in sorted(counts.items())]
