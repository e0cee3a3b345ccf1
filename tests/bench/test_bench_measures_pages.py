"""The page benchmark of issue 9 at tiny size: set-up of the two databases (with and without
measures), the timed pages answering 200 on both, positive figures, and the write-up."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture(scope="module")
def bench() -> Any:
    sys.path.insert(0, str(BENCH))
    import bench_measures_pages

    return bench_measures_pages


@pytest.mark.slow
def test_pages_answer_on_both_databases(bench: Any, tmp_path: Path) -> None:
    a = bench.parse(
        [
            *("--persons", "3000", "--sample", "6", "--rounds", "2", "--years", "2"),
            *("--visit-days", "120", "--later", "2", "--repeat", "2"),
            *("--out", str(tmp_path / "out.md")),
        ]
    )
    r = bench.run(a, tmp_path / "work")
    reg, mea, pages = r["registry"], r["measures"], r["pages"]
    assert reg["persons"] == 3000 and reg["poor_households"] > 6
    assert mea["measures"] > 0 and mea["visits"] > mea["pairings"] > 0 and mea["teams"] > 0
    # every warm-up request answered 200 on both databases (the timed ones assert it too)
    for db in ("with", "without"):
        assert set(pages["statuses"][db]) == {"200"}, pages["statuses"]
    assert pages["sample"] == {"county": 6, "township": 6}
    kinds = {(row["user"], row["page"]) for row in pages["rows"]}
    assert kinds == {
        (u, p) for u in ("county", "township") for p in ("household", "overdue p1", "overdue p2")
    }
    for row in pages["rows"]:
        for db in ("with", "without"):
            fig = row[db]
            assert fig["n"] == (12 if row["page"] == "household" else 4)
            assert 0 < fig["p50_ms"] <= fig["p95_ms"] <= fig["max_ms"]
            assert fig["queries_min"] > 0
        assert row["ratio_p95"] > 0
    # the measures show: the household pages of `with` are bigger than those of `without`
    county = next(r for r in pages["rows"] if r["page"] == "household" and r["user"] == "county")
    assert county["with"]["kib"] > county["without"]["kib"]
    text = bench.report_md(a, r, bench.machine(), "cmd")
    assert "| county | household | 12 |" in text and "target ≤ 1.5×" in text
