"""The deep-poverty benchmark's hand-written SQL (bench/raw_deep_poverty.sql) gives the
system's figures (deep_poverty.indicators, poverty_profile, the MPI) for every area of a small
flat file, and its comparison catches a difference."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

from fupin.synth.generator import generate, write_file

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture(scope="module")
def bench() -> Any:
    sys.path.insert(0, str(BENCH))
    import bench_deep_poverty

    return bench_deep_poverty


@pytest.fixture(scope="module")
def run(bench: Any, tmp_path_factory: pytest.TempPathFactory) -> argparse.Namespace:
    work = tmp_path_factory.mktemp("dp-bench")
    flat = work / "sichuan.parquet"
    write_file(generate(division="51", persons=6000, seed=11, year=2016), flat)
    a = bench.parse(["--persons", "6000", "--work", str(work), "--flat", str(flat)])
    bench.phase_facts(a)
    for _label, system, raw, levels in bench.RUNS:
        for level in levels:
            a.level = level
            assert bench.PHASES[system](a)["rows"] > 1
            assert bench.PHASES[raw](a)["rows"] > 1
    for level in ("county", "village"):
        a.level = level
        assert bench.phase_dp_fused(a)["rows"] > 1
    assert isinstance(a, argparse.Namespace)
    return a


@pytest.mark.django_db
def test_raw_sql_equals_system_for_every_area(bench: Any, run: argparse.Namespace) -> None:
    cmp = bench.phase_compare(run)
    pairs = bench.pairs(cmp)
    assert set(pairs) == {f"{w}-{lv}" for w, lv, _k in bench.PAIRS}
    for name, c in pairs.items():
        assert c["missing"] == 0, name
        assert c["bad"] == {}, (name, c["bad"])
    assert pairs["dp-village"]["areas"] > pairs["dp-county"]["areas"] > 1
    # Every household with a head row counts once (this generator removes none).
    heads = bench.one(
        duckdb.connect().execute(
            f"SELECT count(*) FROM '{run.flat}' WHERE relation = 'head' AND status <> 'removed'"
        )
    )
    assert cmp["summary"]["households"] == heads[0]


@pytest.mark.django_db
def test_joins_are_exercised(bench: Any, run: argparse.Namespace) -> None:
    path = bench.out_path(run, "dp", "system", "village")
    row = bench.one(
        duckdb.connect().execute(
            f"SELECT count(*) FILTER (WHERE villages_unrecorded > 0), "
            f"count(*) FILTER (WHERE villages_no_road IS NULL), count(incidence), "
            f"count(rural_disposable_income), count(income_median) FROM '{path}'"
        )
    )
    unrecorded, no_road_null, incidence, rural, median = row
    assert unrecorded > 0 and no_road_null >= unrecorded
    assert incidence > 0 and rural > 0 and median > 0


def test_compare_catches_a_difference(bench: Any, run: argparse.Namespace, tmp_path: Path) -> None:
    system = bench.out_path(run, "dp", "system", "county")
    changed = tmp_path / "changed.parquet"
    duckdb.connect().execute(
        f"COPY (SELECT * REPLACE (CASE WHEN area = (SELECT min(area) FROM '{system}') "
        f"THEN income_mean * (1 + 1e-7) ELSE income_mean END AS income_mean) "
        f"FROM '{system}') TO '{changed}' (FORMAT parquet)"
    )
    c = bench.compare_pair(duckdb.connect(), system, changed, "area")
    assert c["bad"] == {"income_mean": 1}
    assert c["missing"] == 0
    village = bench.out_path(run, "dp", "system", "village")
    sub = tmp_path / "fewer.parquet"
    con = duckdb.connect()
    con.execute(f"COPY (SELECT * FROM '{village}' LIMIT 3) TO '{sub}' (FORMAT parquet)")
    assert bench.compare_pair(duckdb.connect(), village, sub, "area")["missing"] > 0
