"""Benchmark the fund monitoring (动态监控, issue 10): the policy's one Ibis definition of the
flags (``fupin.policy.funds.ledger_flags``) on DuckDB against a hand-written DuckDB query of
the same joins over the same rows, side by side in one process.

    .venv/bin/python bench/bench_funds_monitor.py --payments 10000000 --households 10000000
        [--repeat 3] [--out bench/results-funds.md]

The ledger is synthetic and made in memory with numpy (no database): ``--households``
registered households (1 % removed, 5 % no longer eligible), one project per 1,000 payments
(10 % paid before approval, a few overspent), two assignments per project, and
``--payments`` payments, 70 % to households, 0.5 % paid twice for the same item, 0.5 % to a
household not in the registry.

* **system**: every flag of ``ledger_flags`` (the nine rules, including the first-in first-out
  idle balances) computed and materialised as Arrow;
* **raw**: one hand-written SQL statement of the same keys — payments joined to households
  (not registered, not eligible), grouped by (project, item, household) (paid twice), joined
  to projects (paid before approval), and the payments and assignments summed per project,
  source and year (overspent) — materialised the same way. It leaves out what has no join of
  its own (idle money first in, first out, over-allocation up the levels, notices, budgets),
  so the ratio is an upper bound of the definition's overhead.

The counts of the flags both compute are asserted equal. Minimum of ``--repeat`` runs, the two
measured alternately.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

import ibis
import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _util import emit, peak_rss_mb
from fupin.policy import funds as pf

AS_OF = dt.date(2020, 6, 30)
EPOCH = np.datetime64("2017-01-01")


def ledger(payments: int, households: int, seed: int = 7) -> dict[str, pa.Table]:
    rng = np.random.default_rng(seed)
    projects = max(1, payments // 1000)
    statuses = np.array(["poor", "exited_with_policy", "returned", "exited", "removed"])
    h_status = statuses[rng.choice(5, households, p=[0.5, 0.34, 0.1, 0.05, 0.01])]
    approved = EPOCH + rng.integers(0, 700, projects).astype("timedelta64[D]")
    budget = rng.integers(5_000_000, 50_000_000, projects)
    project = pa.table(
        {
            "id": np.arange(1, projects + 1, dtype=np.int64),
            "division": pa.array(
                [f"513431{100 + i % 40:03d}{1 + i % 12:03d}" for i in range(projects)]
            ),
            "status": np.full(projects, "in_progress"),
            "approved_on": approved,
            "budget_fen": budget,
            "village_notice_end": approved - np.timedelta64(20, "D"),
            "township_notice_end": approved - np.timedelta64(5, "D"),
        }
    )
    a_project = np.repeat(np.arange(1, projects + 1, dtype=np.int64), 2)
    assignment = pa.table(
        {
            "id": np.arange(1, 2 * projects + 1, dtype=np.int64),
            "project_id": a_project,
            "division": np.full(2 * projects, "513431"),
            "source": np.tile(np.array(["central.development", "county"]), projects),
            "year": np.full(2 * projects, 2018, dtype=np.int64),
            "assigned_on": np.repeat(approved, 2),
            "amount_fen": np.repeat(budget // 2, 2),
        }
    )
    pid = rng.integers(1, projects + 1, payments).astype(np.int64)
    to_household = rng.random(payments) < 0.7
    hid = rng.integers(1, households + 1, payments).astype(np.int64)
    stranger = rng.random(payments) < 0.005
    hid[stranger] = households + 1 + np.arange(int(stranger.sum()))
    item = np.array(["分红", "务工补助", "奖补", "培训补贴"])[rng.integers(0, 4, payments)]
    # make 0.5 % pay a household twice for one item: copy the previous payment's keys
    twice = np.flatnonzero(rng.random(payments) < 0.005)
    twice = twice[twice > 0]
    pid[twice], hid[twice], item[twice] = pid[twice - 1], hid[twice - 1], item[twice - 1]
    to_household[twice] = to_household[twice - 1]
    early = rng.random(payments) < 0.001
    paid_on = approved[pid - 1] + rng.integers(0, 400, payments).astype("timedelta64[D]")
    paid_on[early] = approved[pid[early] - 1] - np.timedelta64(3, "D")
    payment = pa.table(
        {
            "id": np.arange(1, payments + 1, dtype=np.int64),
            "project_id": pid,
            "item": item,
            "source": np.array(["central.development", "county"])[rng.integers(0, 2, payments)],
            "year": np.full(payments, 2018, dtype=np.int64),
            "payee_kind": np.where(to_household, "household", "unit"),
            "household_id": pa.array(hid, mask=~to_household),
            "paid_on": paid_on,
            "amount_fen": rng.integers(10_000, 400_000, payments),
        }
    )
    household = pa.table({"id": np.arange(1, households + 1, dtype=np.int64), "status": h_status})
    allocation = pa.table(
        {
            "id": np.array([1], dtype=np.int64),
            "source": ["central.development"],
            "year": np.array([2018], dtype=np.int64),
            "from_division": pa.array([None], pa.string()),
            "to_division": ["513431"],
            "to_level": ["county"],
            "allocated_on": [dt.date(2018, 1, 5)],
            "amount_fen": np.array([int(budget.sum())], dtype=np.int64),
        }
    )
    out = {}
    for name, t in {
        "allocation": allocation,
        "assignment": assignment,
        "project": project,
        "payment": payment,
        "household": household,
    }.items():
        out[name] = t.cast(ibis.schema(pf.LEDGER_SCHEMAS[name]).to_pyarrow())
    return out


RAW = """
WITH hp AS (
  SELECT p.*, h.status AS hstatus, h.id IS NOT NULL AS known
  FROM payment p LEFT JOIN household h ON h.id = p.household_id
  WHERE p.payee_kind = 'household'
),
flags AS (
  SELECT 'FUNDS_PAYEE_NOT_REGISTERED' AS code, count(*) AS n FROM hp
  WHERE NOT known OR hstatus = 'removed'
  UNION ALL
  SELECT 'FUNDS_PAYEE_NOT_ELIGIBLE', count(*) FROM hp
  WHERE known AND hstatus <> 'removed' AND hstatus NOT IN ('poor', 'exited_with_policy', 'returned')
  UNION ALL
  SELECT 'FUNDS_DUPLICATE_PAYMENT', count(*) FROM (
    SELECT project_id, item, household_id FROM hp WHERE household_id IS NOT NULL
    GROUP BY ALL HAVING count(*) > 1)
  UNION ALL
  SELECT 'FUNDS_PAID_BEFORE_APPROVAL', count(*) FROM payment p
  LEFT JOIN project j ON j.id = p.project_id
  WHERE j.approved_on IS NULL OR p.paid_on < j.approved_on
  UNION ALL
  SELECT 'FUNDS_PROJECT_OVERSPENT', count(*) FROM (
    SELECT coalesce(a.project_id, b.project_id) AS pid
    FROM (SELECT project_id, source, year, sum(amount_fen) s FROM assignment GROUP BY ALL) a
    FULL JOIN (SELECT project_id, source, year, sum(amount_fen) s FROM payment GROUP BY ALL) b
      USING (project_id, source, year)
    WHERE coalesce(b.s, 0) > coalesce(a.s, 0))
)
SELECT * FROM flags
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--payments", type=int, default=1_000_000)
    ap.add_argument("--households", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    t0 = time.perf_counter()
    tables = ledger(args.payments, args.households)
    made = time.perf_counter() - t0
    con = ibis.duckdb.connect()
    for name, t in tables.items():
        con.create_table(name, t)
    inputs = pf.LedgerInputs(**{k: con.table(k) for k in tables})
    expr = pf.ledger_flags(inputs, AS_OF)
    system, raw = [], []
    flags = raw_counts = None
    for _ in range(args.repeat):
        t = time.perf_counter()
        flags = expr.to_pyarrow()
        system.append(time.perf_counter() - t)
        t = time.perf_counter()
        raw_counts = con.con.sql(RAW).to_arrow_table()
        raw.append(time.perf_counter() - t)
    assert flags is not None and raw_counts is not None
    codes = flags.column("code").to_pylist()
    ours = {c: codes.count(c) for c in set(codes)}
    theirs = dict(zip(*(raw_counts.column(i).to_pylist() for i in (0, 1)), strict=True))
    for code, n in theirs.items():
        assert ours.get(code, 0) == n, (code, ours.get(code, 0), n)
    figures = {
        "payments": args.payments,
        "households": args.households,
        "ledger made (s)": round(made, 2),
        "ledger_flags, DuckDB (s, min)": round(min(system), 3),
        "hand-written DuckDB join (s, min)": round(min(raw), 3),
        "ratio": round(min(system) / min(raw), 2),
        "flags": dict(sorted(ours.items())),
        "peak RSS (MiB)": round(peak_rss_mb()),
    }
    emit(figures)
    if args.out:
        with args.out.open("a", encoding="utf-8") as f:
            f.write(f"\n{dt.date.today()} `{' '.join(sys.argv)}`: {figures}\n")


if __name__ == "__main__":
    main()
