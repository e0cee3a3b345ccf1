"""The matching job on Spark (pyspark, local[2]) gives exactly the flags of the DuckDB run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fupin.cli import main
from fupin.policy import feeds as fd
from fupin.sharing import engine
from fupin.synth.departments import DepartmentFiles

COUNTY = "513431"
#: One feed with damaged ID numbers (the name + birth date fallback), checked through the
#: API; one without, checked through the command.
FEEDS = ("civil_dibao", "vehicle")
# pyspark 4.0 passes pandas 3 a deprecated keyword; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pyspark.*")


FUPIN = str(Path(sys.executable).with_name("fupin"))


def match_spark(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``fupin sharing match-spark`` in a fresh process.

    pyspark starts its JVM with a ``preexec_fn`` after ``fork()``; in a test worker that
    already runs other threads (DuckDB's, the browser tests' servers) that child can crash
    before ``exec``. A fresh process, as on a real machine, has no such threads.
    """
    return subprocess.run(
        [FUPIN, "sharing", "match-spark", "--master", "local[2]", *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def rows(table: pa.Table) -> list[tuple[Any, ...]]:
    """The flags as sorted tuples of (column, value): order and nullability set aside."""
    return sorted(tuple(sorted(r.items())) for r in table.to_pylist())


@pytest.fixture(scope="module")
def normalised(
    departments: DepartmentFiles, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("normalised")
    paths = {}
    for code in FEEDS:
        paths[code] = out / f"{code}.parquet"
        engine.normalise_file(departments.files[code], None, fd.feed(code), paths[code])
    return paths


@pytest.mark.slow
def test_spark_and_duckdb_raise_identical_flags(
    registry_file: Path, normalised: dict[str, Path], tmp_path: Path
) -> None:
    code = FEEDS[0]
    feed = fd.feed(code)
    duck = tmp_path / f"{code}.duckdb.parquet"
    engine.match_parquet(
        registry=registry_file, department=normalised[code], feed=feed, out=duck, county=COUNTY
    )
    out = tmp_path / "spark"
    done = match_spark(
        "--registry", str(registry_file),
        "--department", str(normalised[code]),
        "--feed", code,
        "--county", COUNTY,
        "--out", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    on_spark = pq.read_table(out)
    expected = pq.read_table(duck)
    assert rows(on_spark.select(expected.column_names)) == rows(expected), code
    assert expected.num_rows > 10  # the synthetic files plant cases
    # The fallback really ran: some dibao flags were matched by name and birth date.
    assert "name_birth" in set(expected["match_method"].to_pylist())


@pytest.mark.slow
def test_cli_match_spark_writes_the_flags(
    registry_file: Path,
    departments: DepartmentFiles,
    normalised: dict[str, Path],
    tmp_path: Path,
) -> None:
    out = tmp_path / "flags"
    done = match_spark(
        "--registry", str(registry_file),
        "--department", str(departments.files["vehicle"]),
        "--normalise",
        "--feed", "vehicle",
        "--county", COUNTY,
        "--out", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    written = pq.read_table(out)
    duck = tmp_path / "duck.parquet"
    engine.match_parquet(
        registry=registry_file,
        department=normalised["vehicle"],
        feed=fd.feed("vehicle"),
        out=duck,
        county=COUNTY,
    )
    expected = pq.read_table(duck)
    assert expected.num_rows > 0
    assert rows(written.select(expected.column_names)) == rows(expected)
    assert f"提示 {written.num_rows} 条" in done.stdout


def test_cli_refuses_an_unknown_feed(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["sharing", "match-spark", "--registry", "r", "--department", "d", "--feed", "nope",
         "--out", "o"]
    )  # fmt: skip
    assert code == 1
    assert "FEED_UNKNOWN" in capsys.readouterr().err
