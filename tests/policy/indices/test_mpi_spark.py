"""The MPI definition on Spark (pyspark, local[2]) gives DuckDB's figures on the same data."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import ibis
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fupin.policy.indices import mpi

#: A mixed set (flags: no M1/M2) and a cardinal one (M1, M2), each with its k.
SETS = (
    (("income=2@2300", "schooling=1@9", "water=1", "housing=1"), 0.4),
    (("income=1@2300", "schooling=1@9"), 0.5),
)

#: Runs in a fresh process: pyspark starts its JVM with a ``preexec_fn`` after ``fork()``, which
#: can crash in a test worker that already runs DuckDB's threads (tests/sharing/test_spark.py).
SPARK_SCRIPT = """
import json, sys
import ibis
from fupin.policy.indices import mpi
from fupin.sharing.spark import spark_session

path, sets = sys.argv[1], json.loads(sys.argv[2])
spark = spark_session("local[2]")
spark.read.parquet(path).createOrReplaceTempView("units")
con = ibis.pyspark.connect(spark)
results = []
for indicators, k in sets:
    spec = mpi.MpiSpec(tuple(map(mpi.parse_indicator, indicators)), k=k)
    results.append(mpi.compute(con.table("units"), spec, weight="w", by="village").as_dict())
sys.stdout.write("RESULT " + json.dumps(results) + "\\n")
spark.stop()
"""


def units(n: int = 400, seed: int = 11) -> pa.Table:
    rng = np.random.default_rng(seed)
    water = rng.integers(0, 2, n).astype(float).tolist()
    water[::37] = [None] * len(water[::37])  # not recorded: excluded on both engines
    return pa.table(
        {
            "income": rng.uniform(0, 6000, n).round(2),
            "schooling": rng.integers(0, 13, n).astype(float),
            "water": pa.array(water, pa.float64()),
            # Text, as files give it: exercises the numeric reading on Spark too.
            "housing": [str(int(x)) for x in rng.integers(0, 2, n)],
            "w": rng.integers(1, 7, n).astype(float),
            "village": [f"51343110{v:04d}" for v in rng.integers(0, 5, n)],
        }
    )


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning:pyspark.*")
def test_spark_equals_duckdb(tmp_path: Path) -> None:
    path = tmp_path / "units.parquet"
    data = units()
    pq.write_table(data, path)
    done = subprocess.run(
        [sys.executable, "-c", SPARK_SCRIPT, str(path), json.dumps(SETS)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("RESULT "))
    on_spark = json.loads(line.removeprefix("RESULT "))
    for (indicators, k), spark in zip(SETS, on_spark, strict=True):
        spec = mpi.MpiSpec(tuple(map(mpi.parse_indicator, indicators)), k=k)
        duck = mpi.compute(ibis.memtable(data), spec, weight="w", by="village").as_dict()
        assert set(spark["by"]) == set(duck["by"]) and len(duck["by"]) == 5
        assert duck["M0"] > 0 and duck["q"] > 0
        pairs = [(spark, duck)] + [(spark["by"][g], duck["by"][g]) for g in duck["by"]]
        for got, want in pairs:
            for key in ("n", "q", "H", "A", "M0", "M1", "M2"):
                if want[key] is None:  # M1, M2 of a set with flags
                    assert got[key] is None and not spec.cardinal, key
                else:
                    assert got[key] == pytest.approx(want[key], rel=1e-9), key
            assert got["censored_headcount"] == pytest.approx(want["censored_headcount"])
            assert got["contribution"] == pytest.approx(want["contribution"])
    assert on_spark[1]["M1"] > 0  # the cardinal set really has M1/M2
