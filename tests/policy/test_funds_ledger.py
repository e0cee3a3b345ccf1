"""Fund ledger checks (动态监控): the one Ibis definition gives, on DuckDB and on SQLite, the same
flags as a plain-Python reference on generated ledgers; idle money exactly at the threshold is
flagged (闲置 1 年以上 includes 365 days), a payment on the day of approval is not."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import ibis
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fupin.policy import funds as f

AS_OF = dt.date(2018, 6, 30)
DIVS = ("51", "5134", "513431", "513431100", "513432")
LEVEL = {2: "province", 4: "prefecture", 6: "county", 9: "township"}
SOURCES = ("central.development", "county", "integrated")
day = st.integers(-900, 0).map(lambda n: AS_OF + dt.timedelta(days=n))
# amounts in fen; near the threshold the dates cluster around AS_OF − 365
edge_day = st.sampled_from([-366, -365, -364]).map(lambda n: AS_OF + dt.timedelta(days=n))
when = st.one_of(day, edge_day)

allocation = st.tuples(
    st.sampled_from(SOURCES),
    st.sampled_from([2017, 2018]),
    st.sampled_from((None, *DIVS)),
    st.sampled_from(DIVS),
    when,
    st.integers(1, 5000),
)
assignment = st.tuples(
    st.integers(1, 4),
    st.sampled_from(DIVS),
    st.sampled_from(SOURCES),
    st.sampled_from([2017, 2018]),
    when,
    st.integers(1, 5000),
)
project = st.tuples(
    st.sampled_from(["approved", "proposed", "in_progress"]),
    st.none() | when,
    st.integers(0, 8000),  # budget in fen
    st.none() | when,  # last day of the village notice
    st.none() | when,  # last day of the township notice
)
payment = st.tuples(
    st.integers(1, 5),  # project 5 may not exist
    st.sampled_from(["a", "b", ""]),
    st.sampled_from(SOURCES),
    st.sampled_from([2017, 2018]),
    st.sampled_from(["household", "household", "unit", "collective"]),
    st.none() | st.integers(1, 6),
    when,
    st.integers(1, 3000),
)
ledger = st.fixed_dictionaries(
    {
        "allocation": st.lists(allocation, max_size=14),
        "assignment": st.lists(assignment, max_size=8),
        "project": st.lists(project, min_size=4, max_size=4),
        "payment": st.lists(payment, max_size=14),
        "household": st.lists(
            st.sampled_from(["poor", "exited", "exited_with_policy", "removed", None]),
            min_size=4,
            max_size=4,
        ),
    }
)


def rows(g: dict[str, list[Any]]) -> dict[str, list[tuple[Any, ...]]]:
    """Add ids and levels; households 1..4 exist (5 and 6 do not)."""
    return {
        "allocation": [
            (i, s, y, fr, to, LEVEL[len(to)], on, amt)
            for i, (s, y, fr, to, on, amt) in enumerate(g["allocation"], 1)
        ],
        "assignment": [(i, *a) for i, a in enumerate(g["assignment"], 1)],
        "project": [(i, "51343110000" + str(i), *p) for i, p in enumerate(g["project"], 1)],
        "payment": [(i, *p) for i, p in enumerate(g["payment"], 1)],
        "household": [(i, s) for i, s in enumerate(g["household"], 1)],
    }


def arrow(k: str, data: list[tuple[Any, ...]]) -> pa.Table:
    sch = ibis.schema(f.LEDGER_SCHEMAS[k])
    return pa.table(
        {c: [r[i] for r in data] for i, c in enumerate(sch.names)}, schema=sch.to_pyarrow()
    )


Flag = tuple[Any, ...]


def normal(t: pa.Table) -> list[Flag]:
    return sorted(
        (tuple(r[c] for c in f.FLAG_SCHEMA) for r in t.to_pylist()),
        key=lambda x: tuple((v is None, str(v)) for v in x),
    )


def run_duckdb(data: dict[str, list[tuple[Any, ...]]], as_of: dt.date = AS_OF) -> list[Flag]:
    con = ibis.duckdb.connect()
    inputs = f.LedgerInputs(**{k: con.create_table(k, arrow(k, v)) for k, v in data.items()})
    return normal(f.ledger_flags(inputs, as_of).to_pyarrow())


def run_sqlite(data: dict[str, list[tuple[Any, ...]]], as_of: dt.date = AS_OF) -> list[Flag]:
    con = ibis.sqlite.connect()
    for k, v in data.items():
        con.create_table(k, arrow(k, v))
    inputs = f.LedgerInputs(**{k: con.table(k) for k in data})
    out = f.ledger_flags(inputs, as_of).to_pyarrow()
    # SQLite hands dates back as text
    return normal(
        out.set_column(
            8,
            "since",
            pa.array(
                [
                    None if v is None else dt.date.fromisoformat(str(v)[:10])
                    for v in out.column("since").to_pylist()
                ],
                pa.date32(),
            ),
        )
    )


def reference(data: dict[str, list[tuple[Any, ...]]], as_of: dt.date = AS_OF) -> list[Flag]:
    """Plain Python, written from the docstring of ``ledger_flags``."""
    idle_cut = as_of - dt.timedelta(days=f.DEFAULT_PARAMETERS.idle_days)
    out: list[Flag] = []
    project_div = {p[0]: p[1] for p in data["project"]}
    received: dict[tuple[str, str, int], list[tuple[dt.date, int, int]]] = defaultdict(list)
    spent: dict[tuple[str, str, int], int] = defaultdict(int)
    for i, s, y, fr, to, _lv, on, amt in data["allocation"]:
        received[(to, s, y)].append((on, i, amt))
        if fr is not None:
            spent[(fr, s, y)] += amt
    assigned: dict[tuple[int, str, int], list[tuple[dt.date, int, int]]] = defaultdict(list)
    for i, pid, div, s, y, on, amt in data["assignment"]:
        spent[(div, s, y)] += amt
        assigned[(pid, s, y)].append((on, i, amt))
    paid: dict[tuple[int, str, int], int] = defaultdict(int)
    for _i, pid, _item, s, y, _kind, _h, _on, amt in data["payment"]:
        paid[(pid, s, y)] += amt

    def oldest(items: list[tuple[dt.date, int, int]], used: int) -> dt.date | None:
        run = 0
        for on, _i, amt in sorted(items):
            run += amt
            if run > used:
                return on
        return None

    for key in set(received) | set(spent):
        div, s, y = key
        bal = sum(a for *_, a in received[key]) - spent[key]
        if bal < 0:
            out.append(("FUNDS_OVER_ALLOCATED", div, None, None, None, s, y, -bal, None))
        elif bal > 0:
            since = oldest(received[key], spent[key])
            if since is not None and since <= idle_cut:
                out.append(("FUNDS_IDLE", div, None, None, None, s, y, bal, since))
    for pkey in set(assigned) | set(paid):
        pid, s, y = pkey
        left = sum(a for *_, a in assigned[pkey]) - paid[pkey]
        if left < 0:
            out.append(
                (
                    "FUNDS_PROJECT_OVERSPENT",
                    project_div.get(pid),
                    pid,
                    None,
                    None,
                    s,
                    y,
                    -left,
                    None,
                )
            )
        elif left > 0:
            since = oldest(assigned[pkey], paid[pkey])
            if since is not None and since <= idle_cut:
                out.append(("FUNDS_IDLE", project_div.get(pid), pid, None, None, s, y, left, since))
    registered = {h for h, s in data["household"] if s != "removed"}
    approved = {p[0]: p[3] for p in data["project"]}
    groups: dict[tuple[int, str, int], list[tuple[dt.date, int]]] = defaultdict(list)
    for i, pid, item, s, y, kind, h, on, amt in data["payment"]:
        div = project_div.get(pid)
        if kind == "household":
            if h is None or h not in registered:
                out.append(("FUNDS_PAYEE_NOT_REGISTERED", div, pid, i, h, s, y, amt, on))
            if h is not None:
                groups[(pid, item, h)].append((on, amt))
        ap = approved.get(pid)
        if ap is None or on < ap:
            out.append(("FUNDS_PAID_BEFORE_APPROVAL", div, pid, i, h, s, y, amt, on))
    # household payments to a household in the registry that no longer receives them
    off = {
        h
        for h, st_ in data["household"]
        if st_ != "removed" and (st_ or "") not in f.DEFAULT_PARAMETERS.eligible_statuses
    }
    for i, pid, _item, s, y, kind, h, on, amt in data["payment"]:
        if kind == "household" and h in off:
            out.append(("FUNDS_PAYEE_NOT_ELIGIBLE", project_div.get(pid), pid, i, h, s, y, amt, on))
    given: dict[int, int] = defaultdict(int)
    for _i, pid, _div, _s, _y, _on, amt in data["assignment"]:
        given[pid] += amt
    for pid, div, status, ap, budget, village_end, township_end in data["project"]:
        if status in f.PAYABLE and (village_end is None or township_end is None):
            out.append(("FUNDS_NO_NOTICE", div, pid, None, None, None, None, None, ap))
        if pid in given and given[pid] > budget:
            out.append(
                ("FUNDS_OVER_BUDGET", div, pid, None, None, None, None, given[pid] - budget, ap)
            )
    for (pid, _item, h), ps in groups.items():
        if len(ps) > 1:
            out.append(
                (
                    "FUNDS_DUPLICATE_PAYMENT",
                    project_div.get(pid),
                    pid,
                    None,
                    h,
                    None,
                    None,
                    sum(a for _, a in ps),
                    min(d for d, _ in ps),
                )
            )
    return sorted(out, key=lambda x: tuple((v is None, str(v)) for v in x))


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(ledger)
def test_duckdb_flags_equal_the_reference(g: dict[str, list[Any]]) -> None:
    data = rows(g)
    assert run_duckdb(data) == reference(data)


@SETTINGS
@given(ledger)
def test_sqlite_flags_equal_the_reference(g: dict[str, list[Any]]) -> None:
    data = rows(g)
    assert run_sqlite(data) == reference(data)


def one_project(
    received_on: dt.date, paid_on: dt.date, approved_on: dt.date | None
) -> dict[str, list[tuple[Any, ...]]]:
    return {
        "allocation": [
            (1, "county", 2017, None, "513431", "county", received_on, 10_000),
        ],
        "assignment": [(1, 1, "513431", "county", 2017, received_on, 10_000)],
        "project": [(1, "513431100001", "approved", approved_on, 10_000, approved_on, approved_on)],
        "payment": [(1, 1, "a", "county", 2017, "household", 1, paid_on, 4_000)],
        "household": [(1, "poor")],
    }


@pytest.mark.parametrize("run", [run_duckdb, run_sqlite])
@pytest.mark.parametrize(("days", "idle"), [(365, True), (364, False), (366, True)])
def test_idle_at_the_threshold_is_flagged(run: Any, days: int, idle: bool) -> None:
    on = AS_OF - dt.timedelta(days=days)
    flags = run(one_project(on, on, on))
    got = [x for x in flags if x[0] == "FUNDS_IDLE"]
    assert bool(got) is idle
    if idle:
        assert got == [("FUNDS_IDLE", "513431100001", 1, None, None, "county", 2017, 6_000, on)]
    assert flags == reference(one_project(on, on, on))


@pytest.mark.parametrize("run", [run_duckdb, run_sqlite])
def test_payment_on_the_day_of_approval_is_allowed_the_day_before_is_not(run: Any) -> None:
    on = dt.date(2018, 3, 1)
    assert not [x for x in run(one_project(on, on, on)) if x[0] == "FUNDS_PAID_BEFORE_APPROVAL"]
    early = run(one_project(on, on - dt.timedelta(days=1), on))
    assert [x[0] for x in early if x[0] == "FUNDS_PAID_BEFORE_APPROVAL"] == [
        "FUNDS_PAID_BEFORE_APPROVAL"
    ]
    unapproved = run(one_project(on, on, None))
    assert "FUNDS_PAID_BEFORE_APPROVAL" in [x[0] for x in unapproved]


def test_one_project_is_served_by_filtering_the_inputs() -> None:
    on = dt.date(2018, 3, 1)
    data = one_project(on, on, on)
    data["payment"].append((2, 9, "a", "county", 2017, "household", 77, on, 50))
    con = ibis.duckdb.connect()
    t = {k: con.create_table(k, arrow(k, v)) for k, v in data.items()}
    only = f.LedgerInputs(
        allocation=t["allocation"].filter(ibis._.to_division == "513431"),
        assignment=t["assignment"].filter(ibis._.project_id == 1),
        project=t["project"].filter(ibis._.id == 1),
        payment=t["payment"].filter(ibis._.project_id == 1),
        household=t["household"],
    )
    assert normal(f.ledger_flags(only, AS_OF).to_pyarrow()) == []
    everything = normal(f.ledger_flags(f.LedgerInputs(**t), AS_OF).to_pyarrow())
    # project 9 does not exist: never approved, nothing assigned, a payee not in the registry
    assert {x[0] for x in everything} == {
        "FUNDS_PAYEE_NOT_REGISTERED",
        "FUNDS_PAID_BEFORE_APPROVAL",
        "FUNDS_PROJECT_OVERSPENT",
    }


def test_balances_by_source_level_and_year() -> None:
    data: dict[str, list[tuple[Any, ...]]] = {
        "allocation": [
            (1, "central.development", 2017, None, "51", "province", dt.date(2017, 1, 5), 9_000),
            (2, "central.development", 2017, "51", "513431", "county", dt.date(2017, 2, 1), 6_000),
            (3, "county", 2017, None, "513431", "county", dt.date(2017, 3, 1), 1_000),
        ],
        "assignment": [
            (1, 1, "513431", "central.development", 2017, dt.date(2017, 3, 2), 2_500),
        ],
        "project": [],
        "payment": [],
        "household": [],
    }
    con = ibis.duckdb.connect()
    inputs = f.LedgerInputs(**{k: con.create_table(k, arrow(k, v)) for k, v in data.items()})
    got = {
        (r["division"], r["level"], r["source"], r["year"]): (
            r["received_fen"],
            r["allocated_fen"],
            r["assigned_fen"],
            r["balance_fen"],
        )
        for r in f.balances(inputs).to_pyarrow().to_pylist()
    }
    assert got == {
        ("51", "province", "central.development", 2017): (9_000, 6_000, 0, 3_000),
        ("513431", "county", "central.development", 2017): (6_000, 0, 2_500, 3_500),
        ("513431", "county", "county", 2017): (1_000, 0, 0, 1_000),
    }


def test_the_definition_compiles_to_sql_for_sqlite_and_postgres() -> None:
    expr = f.ledger_flags(f.LedgerInputs.unbound(), AS_OF)
    for dialect in ("sqlite", "postgres", "duckdb"):
        assert "FUNDS_IDLE" in str(ibis.to_sql(expr, dialect=dialect))
