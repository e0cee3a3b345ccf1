"""The ledger run in the database (SQLite or PostgreSQL) gives the same flags as the policy's
one Ibis definition run in DuckDB on the same rows, for the whole tree and for one county."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import ibis
import pyarrow as pa
import pytest

from fupin.divisions.models import Division
from fupin.funds import ledger, selectors
from fupin.funds.models import FundAllocation, Payment, Project, ProjectFunding
from fupin.policy import funds as pf
from fupin.registry.models import Household
from tests.funds.conftest import COUNTY, PREFECTURE, PROVINCE, SOURCE, YEAR

AS_OF = date(2020, 6, 1)
FC = pf.FundCode


def _project(code: str, village: Division, status: str, approved_on: date | None) -> Project:
    return Project.objects.create(
        code=code,
        name=code,
        project_type="industry",
        division=village,
        proposer_level="village",
        status=status,
        proposed_on=date(2019, 3, 1),
        approved_on=approved_on,
        budget=Decimal("1000"),
        source="import",
    )


@pytest.fixture
def messy(registry: Any) -> dict[str, Any]:
    """Rows as an import from an older system might leave them (no service checks): every kind
    of flag at least once."""
    village = Division.objects.filter(level=5, code__startswith=COUNTY).order_by("code").first()
    assert village is not None
    township = village.code[:9]
    a: dict[str, Any] = {"source_fund": SOURCE, "year": YEAR, "source": "import"}
    rows = [
        (None, PROVINCE, "1000.00", date(2019, 1, 10)),
        (PROVINCE, PREFECTURE, "600.00", date(2019, 2, 1)),
        (PREFECTURE, COUNTY, "500.00", date(2019, 3, 1)),
        (COUNTY, township, "700.00", date(2019, 3, 2)),  # more than the county holds
    ]
    FundAllocation.objects.bulk_create(
        FundAllocation(
            from_division_id=f, to_division_id=t, amount=Decimal(x), allocated_on=on, **a
        )
        for f, t, x, on in rows
    )
    p1 = _project("P1", village, "approved", date(2019, 4, 5))
    p2 = _project("P2", village, "proposed", None)
    ProjectFunding.objects.create(
        project=p1,
        holder_id=COUNTY,
        amount=Decimal("200.00"),
        assigned_on=date(2019, 4, 10),
        **a,
    )
    poor = list(Household.objects.filter(status="poor").order_by("code")[:2])
    Household.objects.filter(pk=poor[1].pk).update(status="removed")
    pay = [
        (p1, "unit", None, "施工", "150.00", date(2019, 5, 1)),
        (p1, "household", poor[0], "补助A", "30.00", date(2019, 5, 2)),
        (p1, "household", poor[0], "补助A", "30.00", date(2019, 6, 2)),  # twice
        (p1, "household", poor[1], "补助A", "10.00", date(2019, 5, 2)),  # removed
        (p1, "household", None, "补助A", "5.00", date(2019, 5, 2)),  # nobody
        (p1, "unit", None, "设计", "1.00", date(2019, 4, 1)),  # before approval
        (p2, "unit", None, "施工", "20.00", date(2019, 5, 1)),  # not approved
    ]
    Payment.objects.bulk_create(
        Payment(project=p, payee_kind=k, household=h, item=i, amount=Decimal(x), paid_on=on, **a)
        for p, k, h, i, x, on in pay
    )
    return {"village": village, "p1": p1, "p2": p2}


def duckdb_inputs() -> pf.LedgerInputs:
    """The same rows read through the ORM, loaded into DuckDB in the ledger's schema."""
    fen = pf.to_fen
    data: dict[str, list[tuple[Any, ...]]] = {
        "allocation": [
            (i, s, y, f, t, ledger.LEVEL_OF_LENGTH[len(t)], on, fen(x))
            for i, s, y, f, t, on, x in FundAllocation.objects.values_list(
                "id",
                "source_fund",
                "year",
                "from_division_id",
                "to_division_id",
                "allocated_on",
                "amount",
            )
        ],
        "assignment": [
            (i, p, h, s, y, on, fen(x))
            for i, p, h, s, y, on, x in ProjectFunding.objects.values_list(
                "id", "project_id", "holder_id", "source_fund", "year", "assigned_on", "amount"
            )
        ],
        "project": [
            (i, d, st, ap, fen(b), ve, te)
            for i, d, st, ap, b, ve, te in Project.objects.values_list(
                "id",
                "division_id",
                "status",
                "approved_on",
                "budget",
                "village_notice_end",
                "township_notice_end",
            )
        ],
        "payment": [
            (i, p, it, s, y, k, h, on, fen(x))
            for i, p, it, s, y, k, h, on, x in Payment.objects.values_list(
                "id",
                "project_id",
                "item",
                "source_fund",
                "year",
                "payee_kind",
                "household_id",
                "paid_on",
                "amount",
            )
        ],
        "household": list(Household.objects.values_list("id", "status")),
    }
    con = ibis.duckdb.connect()

    def table(k: str) -> Any:
        sch = ibis.schema(pf.LEDGER_SCHEMAS[k])
        cols = {c: [r[i] for r in data[k]] for i, c in enumerate(sch.names)}
        return con.create_table(k, pa.table(cols, schema=sch.to_pyarrow()))

    return pf.LedgerInputs(**{k: table(k) for k in pf.LEDGER_SCHEMAS})


def normal(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return sorted(
        (tuple(r[c] for c in pf.FLAG_SCHEMA) for r in rows),
        key=lambda x: tuple((v is None, str(v)) for v in x),
    )


def in_duckdb(division: str = "") -> list[tuple[Any, ...]]:
    flags = pf.ledger_flags(duckdb_inputs(), AS_OF, pf.DEFAULT_PARAMETERS)
    rows = flags.to_pyarrow().to_pylist()
    return normal([r for r in rows if (r["division"] or "").startswith(division)])


def test_database_flags_equal_duckdb_flags_for_the_whole_tree(messy: dict[str, Any]) -> None:
    in_db = normal(ledger.fetch(ledger.flags_under("", AS_OF, pf.DEFAULT_PARAMETERS)))
    assert in_db == in_duckdb()
    assert {r[0] for r in in_db} == {
        FC.OVER_ALLOCATED,
        FC.PROJECT_OVERSPENT,
        FC.PAYEE_NOT_REGISTERED,
        FC.DUPLICATE_PAYMENT,
        FC.IDLE,
        FC.PAID_BEFORE_APPROVAL,
        FC.NO_NOTICE,  # P1 was made approved here, without going through the notices
    }


def test_a_county_ledger_in_the_database_equals_duckdb_under_the_county(
    messy: dict[str, Any],
) -> None:
    in_db = normal(ledger.fetch(ledger.flags_under(COUNTY, AS_OF, pf.DEFAULT_PARAMETERS)))
    assert in_db == in_duckdb(COUNTY)
    assert all(r[1].startswith(COUNTY) for r in in_db)
    # the prefecture's idle 100 yuan is the prefecture's business, not the county's
    assert not any(r[1] in (PROVINCE, PREFECTURE) for r in in_db)


def test_the_flags_name_what_is_wrong(messy: dict[str, Any]) -> None:
    flags = selectors.ledger_flags(COUNTY, AS_OF)
    by = {(f.code, f.project_id, f.household_id): f for f in flags}
    p1, p2 = messy["p1"].pk, messy["p2"].pk
    over = [f for f in flags if f.code == FC.OVER_ALLOCATED]
    assert [(f.division, f.amount) for f in over] == [(COUNTY, Decimal("400.00"))]
    assert by[(FC.PROJECT_OVERSPENT, p1, None)].amount == Decimal("26.00")
    assert by[(FC.PROJECT_OVERSPENT, p2, None)].amount == Decimal("20.00")
    dup = [f for f in flags if f.code == FC.DUPLICATE_PAYMENT]
    assert [(f.project_id, f.amount, f.since) for f in dup] == [
        (p1, Decimal("60.00"), date(2019, 5, 2))
    ]
    unknown = sorted((f.amount for f in flags if f.code == FC.PAYEE_NOT_REGISTERED), reverse=True)
    assert unknown == [Decimal("10.00"), Decimal("5.00")]
    early = sorted(f.amount for f in flags if f.code == FC.PAID_BEFORE_APPROVAL)
    assert early == [Decimal("1.00"), Decimal("20.00")]
    assert flags[0].label  # every flag has a Chinese name
    assert all(f.label != f.code for f in flags)


def test_balances_by_source_level_and_year_for_a_province(messy: dict[str, Any]) -> None:
    rows = {(b.division, b.level): b for b in selectors.balances(PROVINCE, YEAR)}
    assert rows[(PROVINCE, "province")].balance == Decimal("400.00")
    assert rows[(PREFECTURE, "prefecture")].balance == Decimal("100.00")
    county = rows[(COUNTY, "county")]
    assert (county.received, county.allocated, county.assigned, county.balance) == (
        Decimal("500.00"),
        Decimal("700.00"),
        Decimal("200.00"),
        Decimal("-400.00"),
    )
    assert selectors.balances(PROVINCE, YEAR + 1) == []
