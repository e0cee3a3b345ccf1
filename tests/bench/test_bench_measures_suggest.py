"""The plan-suggestion benchmark at tiny size: its hand-written SQL (bench/raw_measures_suggest.sql)
gives the system's 20 columns on SQLite and DuckDB for a division and the whole registry, its
per-household loop agrees with the system, and its comparison catches a difference."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

#: The benchmark compares the SQLite registry database with DuckDB (its hand-written SQL is
#: SQLite's dialect); under the PostgreSQL suite there is nothing of it to check.
pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the suggestion benchmark runs on SQLite and DuckDB"
)

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture(scope="module")
def bench() -> Any:
    sys.path.insert(0, str(BENCH))
    import bench_measures_suggest

    return bench_measures_suggest


@pytest.fixture
def args(bench: Any, registry: Path, tmp_path: Path) -> argparse.Namespace:
    from fupin.registry.models import Household

    # A township of the registry stands in for the county (the registry is one county).
    village = Household.objects.filter(status="poor").order_by("village_id").first()
    assert village is not None
    township = village.village_id[:9]
    return bench.parse(
        [
            *("--county", township, "--repeat", "1", "--sample", "15", "--sample-ibis", "3"),
            *("--work", str(tmp_path)),
        ]
    )


def assert_equal(level: dict[str, Any]) -> None:
    assert level["bad"] == {} and level["missing"] == 0
    assert level["rows"] == level["rows_other"] == level["poor_households"] > 0
    assert level["ratio"] > 0 and len(level["system_s"]) == 1


@pytest.mark.django_db
def test_raw_sql_equals_the_system_on_sqlite_and_duckdb(bench: Any, args: Any) -> None:
    sqlite = bench.sqlite_pairs(args)
    assert sqlite["registry"]["rows"] > sqlite["county"]["rows"]
    for level in ("county", "registry"):
        assert_equal(sqlite[level])
    # the data exercise most of the 20 suggestions
    assert sum(c > 0 for c in sqlite["registry"]["counts"][:-1]) >= 12
    assert bench.duckdb_copy(args)["rows"] > sqlite["registry"]["persons"]
    duck = bench.duckdb_pairs(args)
    for level in ("county", "registry"):
        assert_equal(duck[level])
        assert duck[level]["counts"] == sqlite[level]["counts"]


@pytest.mark.django_db
def test_loop_agrees_with_the_system(bench: Any, args: Any) -> None:
    lp = bench.loop(args)
    assert lp["households"] == lp["planned"] > 5
    assert lp["disagree"] == 0 and lp["ibis_disagree"] == 0, lp["ibis_disagree_first"]
    assert lp["ibis_households"] == 3
    assert lp["registry_poor_households"] > lp["county_poor_households"] > 0


@pytest.mark.django_db
def test_compare_catches_a_difference(bench: Any, args: Any) -> None:
    sql = bench.raw_query("", args.year, "sqlite")
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE t_left AS {sql}")
        cursor.execute(f"CREATE TEMP TABLE t_right AS {sql}")
        cursor.execute(
            "UPDATE t_right SET s_water = 1 - s_water "
            "WHERE household_id = (SELECT min(household_id) FROM t_right)"
        )
        cursor.execute(
            "DELETE FROM t_right WHERE household_id = (SELECT max(household_id) FROM t_right)"
        )

        def one(q: str) -> tuple[Any, ...]:
            cursor.execute(q)
            return tuple(cursor.fetchone())

        c = bench.compare_tables(one, "t_left", "t_right")
        cursor.execute("DROP TABLE t_left")
        cursor.execute("DROP TABLE t_right")
    assert c["bad"] == {"s_water": 1}
    assert c["missing"] == 1 and c["rows"] == c["rows_other"] + 1
