"""The matching job on Spark (pyspark, local[2]) gives exactly the flags of the DuckDB run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fupin.cli import main
from fupin.policy import feeds as fd
from fupin.sharing import engine
from fupin.sharing import spark as sp
from fupin.synth.departments import DepartmentFiles

COUNTY = "513431"
#: One feed with damaged ID numbers (the name + birth date fallback), checked through the
#: API; one without, checked through the command.
FEEDS = ("civil_dibao", "vehicle")
# pyspark 4.0 passes pandas 3 a deprecated keyword; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pyspark.*")


@pytest.fixture(scope="module")
def session() -> Any:
    spark = sp.spark_session("local[2]")
    spark.sparkContext.setLogLevel("ERROR")
    yield spark
    spark.stop()


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
    session: Any, registry_file: Path, normalised: dict[str, Path], tmp_path: Path
) -> None:
    total = 0
    for code in FEEDS[:1]:
        feed = fd.feed(code)
        duck = tmp_path / f"{code}.duckdb.parquet"
        engine.match_parquet(
            registry=registry_file, department=normalised[code], feed=feed, out=duck, county=COUNTY
        )
        job = sp.match_spark(
            session, registry=registry_file, department=normalised[code], feed=feed, county=COUNTY
        )
        on_spark = job.con.to_pyarrow(job.flags)
        expected = pq.read_table(duck)
        assert on_spark.column_names == expected.column_names
        assert rows(on_spark) == rows(expected), code
        total += expected.num_rows
    assert total > 10  # the synthetic files plant cases
    # The fallback really ran: some dibao flags were matched by name and birth date.
    methods = set(
        pq.read_table(tmp_path / "civil_dibao.duckdb.parquet")["match_method"].to_pylist()
    )
    assert "name_birth" in methods


@pytest.mark.slow
def test_cli_match_spark_writes_the_flags(
    session: Any,
    registry_file: Path,
    departments: DepartmentFiles,
    normalised: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "flags"
    code = main(
        [
            "sharing", "match-spark",
            "--registry", str(registry_file),
            "--department", str(departments.files["vehicle"]),
            "--normalise",
            "--feed", "vehicle",
            "--county", COUNTY,
            "--out", str(out),
            "--master", "local[2]",
        ]
    )  # fmt: skip
    assert code == 0
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
    assert f"提示 {written.num_rows} 条" in capsys.readouterr().out


def test_cli_refuses_an_unknown_feed(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["sharing", "match-spark", "--registry", "r", "--department", "d", "--feed", "nope",
         "--out", "o"]
    )  # fmt: skip
    assert code == 1
    assert "FEED_UNKNOWN" in capsys.readouterr().err
