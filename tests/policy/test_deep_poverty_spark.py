"""The deep-poverty definition on Spark (pyspark, local[2]) gives DuckDB's figures on the same
flat registry file (the generated 昭觉县 registry, with village facts and county statistics)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import ibis
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fupin.analysis.flat import flat_inputs
from fupin.policy import deep_poverty as dp

YEAR = 2016

#: Runs in a fresh process: pyspark starts its JVM with a ``preexec_fn`` after ``fork()``, which
#: can crash in a test worker that already runs DuckDB's threads (tests/sharing/test_spark.py).
SPARK_SCRIPT = """
import json, sys
import ibis
from fupin.analysis.flat import flat_inputs
from fupin.policy import deep_poverty as dp
from fupin.sharing.spark import spark_session

registry, villages, counties, year = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
spark = spark_session("local[2]")
for name, path in (("registry", registry), ("villages", villages), ("counties", counties)):
    spark.read.parquet(path).createOrReplaceTempView(name)
con = ibis.pyspark.connect(spark)
inputs = flat_inputs(
    con.table("registry"), villages=con.table("villages"), counties=con.table("counties")
)
out = {}
for level in ("county", "township", "village"):
    key = "village" if level == "village" else "county"
    rules = dp.DEFAULT_RULE_SETS["national-%s@2017" % key]
    t = dp.candidates(dp.indicators(inputs, year, level), rules)
    out[level] = [
        {
            k: (None if v != v else v) if isinstance(v, float) else v
            for k, v in r.items()
        }
        for r in t.to_pyarrow().to_pylist()
    ]
sys.stdout.write("RESULT " + json.dumps(out, default=str) + "\\n")
spark.stop()
"""


def facts(registry: Path) -> tuple[pa.Table, pa.Table]:
    codes = sorted(
        set(pq.read_table(registry, columns=["village_code"])["village_code"].to_pylist())
    )
    rng = np.random.default_rng(3)
    n = len(codes)

    def flags() -> pa.Array:
        v = rng.integers(0, 3, n)  # 0 no, 1 yes, 2 not recorded
        return pa.array([None if x == 2 else bool(x) for x in v], pa.bool_())

    natural = rng.integers(1, 12, n)
    villages = pa.table(
        {
            "village_id": pa.array(codes, pa.string()),
            "year": pa.array([YEAR] * n, pa.int64()),
            "population": pa.array(
                [None if i % 9 == 0 else int(x) for i, x in enumerate(rng.integers(20, 400, n))],
                pa.int64(),
            ),
            "road_hardened": flags(),
            "natural_villages": pa.array(natural, pa.int64()),
            "natural_villages_road": pa.array(rng.integers(0, natural + 1), pa.int64()),
            "power_grid": flags(),
            "broadband": flags(),
            "mobile_signal": flags(),
            "clinic_qualified_doctor": flags(),
            "cultural_room": flags(),
            "safe_water_share": pa.array(rng.uniform(40, 100, n), pa.float64()),
            "collective_income": pa.array(rng.uniform(0, 1e5, n), pa.float64()),
        }
    )
    counties = pa.table(
        {
            "county_id": pa.array(["513431"], pa.string()),
            "year": pa.array([YEAR], pa.int64()),
            "rural_disposable_income": pa.array([8611.0], pa.float64()),
            "rural_population": pa.array([9000], pa.int64()),
        }
    )
    return villages, counties


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning:pyspark.*")
def test_spark_equals_duckdb(registry_file: Path, tmp_path: Path) -> None:
    villages, counties = facts(registry_file)
    vpath, cpath = tmp_path / "villages.parquet", tmp_path / "counties.parquet"
    pq.write_table(villages, vpath)
    pq.write_table(counties, cpath)
    done = subprocess.run(
        [sys.executable, "-c", SPARK_SCRIPT, str(registry_file), str(vpath), str(cpath), str(YEAR)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("RESULT "))
    on_spark = json.loads(line.removeprefix("RESULT "))
    con = ibis.duckdb.connect()
    inputs = flat_inputs(
        con.read_parquet(str(registry_file)),
        villages=ibis.memtable(villages),
        counties=ibis.memtable(counties),
    )
    for level in ("county", "township", "village"):
        key = "national-village@2017" if level == "village" else "national-county@2017"
        expr = dp.candidates(dp.indicators(inputs, YEAR, level), dp.DEFAULT_RULE_SETS[key])
        duck = {r["area"]: r for r in con.execute(expr).to_dict("records")}
        spark = {r["area"]: r for r in on_spark[level]}
        assert sorted(spark) == sorted(duck) and duck
        for area, want in duck.items():
            for k, v in want.items():
                got = spark[area][k]
                if v is None or (isinstance(v, float) and math.isnan(v)):
                    assert got is None, (level, area, k, got)
                elif isinstance(v, (bool, np.bool_)) or k == "area":
                    assert got == v, (level, area, k)
                else:
                    assert got == pytest.approx(float(v), rel=1e-9, abs=1e-12), (level, area, k)
    assert any(r["candidate"] for r in on_spark["village"])
