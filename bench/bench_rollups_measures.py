"""Benchmark the rollup refresh with and without the assistance figures (issue 9, item 5).

    .venv/bin/python bench/bench_rollups_measures.py --persons 1000000
        [--repeat 2] [--out bench/results-rollup.md] [--tmp DIR]

On SQLite, in one process with a temporary ``FUPIN_HOME``, for county 513431 and 2016:

* set-up (timed for the record only): migrate, the divisions, the generated registry
  imported with ``registry_import_file``, ``assessment_run``; then the demo's bulk steps of
  ``fupin.measures.bulk`` — a plan from the suggestion for every poor household,
  ``cadres_generate`` (a 帮扶责任人 per ≤ 5 poor households), ``measures_generate``;
* ``rollups_refresh()`` (full, every village, every level) ``--repeat`` times **with** the new
  figures (paired / measured households on ``DivisionRollup``, ``MeasureRollup``), and as
  many times **without** them (the two new statements replaced by no-ops, as before the
  change), alternating; the minimum and the median of each are reported, and the ratio.
* ``rollups_refresh_dirty()`` after one village marked, with and without.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _util import ROOT, machine, machine_md, say, timer

DIVISION = "513431"
YEAR = 2016
SEED = 20160901


def _without_new_figures() -> Any:
    """Patch the reports services so a refresh computes only what it computed before."""
    from fupin.reports import services

    saved = (services._assisted_counts, services._measure_counts)

    def no_assisted(year: int, base: str, bp: list[Any]) -> tuple[str, list[Any]]:
        return "SELECT NULL AS village_id, 0 AS paired, 0 AS measured WHERE 1 = 0", []

    services._assisted_counts = no_assisted
    services._measure_counts = lambda cursor, scope, year: None
    return saved


def _restore(saved: Any) -> None:
    from fupin.reports import services

    services._assisted_counts, services._measure_counts = saved


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results-rollup.md")
    parser.add_argument("--tmp", type=Path, default=None)
    a = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-rollup-", dir=a.tmp))
    os.environ["FUPIN_HOME"] = str(work)
    os.environ.pop("DATABASE_URL", None)
    os.environ["FUPIN_NO_PROGRESS"] = "1"
    m = machine()
    sys.path.insert(0, str(ROOT / "src"))
    from fupin.commands.base import setup_django

    setup_django()
    from django.core.management import call_command

    from fupin.assessment.services import assessment_run
    from fupin.divisions.services import divisions_load
    from fupin.measures import bulk
    from fupin.measures.models import Measure, Pairing
    from fupin.registry.imports.services import registry_import_file
    from fupin.registry.models import Household, Member
    from fupin.reports.models import DivisionRollup, MeasureRollup, RollupCount
    from fupin.reports.services import rollups_mark_dirty, rollups_refresh, rollups_refresh_dirty
    from fupin.synth.generator import generate
    from fupin.synth.writers import write_file

    try:
        setup: dict[str, float] = {}
        with timer() as t:
            call_command("migrate", verbosity=0, interactive=False)
            divisions_load(prefix=DIVISION)
            flat = work / "flat.parquet"
            write_file(generate(division=DIVISION, persons=a.persons, seed=SEED, year=YEAR), flat)
            report = registry_import_file(path=flat)
            assert report.stored, report.errors[:3]
            flat.unlink()
            assessment_run(division_code=DIVISION, year=YEAR)
        setup["registry_s"] = t[0]
        say(f"registry {t[0]:.1f} s")
        with timer() as t:
            bulk.plans_from_suggestions(division_code=DIVISION, year=YEAR)
            bulk.cadres_generate(county_code=DIVISION, year=YEAR, seed=SEED + 30)
            bulk.measures_generate(division_code=DIVISION, year=YEAR, seed=SEED + 31)
        setup["measures_s"] = t[0]
        say(f"measures {t[0]:.1f} s")
        rollups_refresh()  # warm the caches once, not counted

        with_s: list[float] = []
        without_s: list[float] = []
        for _ in range(a.repeat):
            t0 = time.perf_counter()
            rollups_refresh()
            with_s.append(time.perf_counter() - t0)
            saved = _without_new_figures()
            try:
                t0 = time.perf_counter()
                rollups_refresh()
                without_s.append(time.perf_counter() - t0)
            finally:
                _restore(saved)
            say(f"with {with_s[-1]:.2f} s, without {without_s[-1]:.2f} s")
        rollups_refresh()  # leave the full figures for the row counts below
        village = str(Household.objects.order_by("id").values_list("village_id", flat=True)[0])
        dirty: dict[str, float] = {}
        for label in ("with", "without"):
            saved = _without_new_figures() if label == "without" else None
            try:
                rollups_mark_dirty(village_codes=[village])
                t0 = time.perf_counter()
                rollups_refresh_dirty()
                dirty[label] = time.perf_counter() - t0
            finally:
                if saved is not None:
                    _restore(saved)
        counts = {
            "households": Household.objects.count(),
            "persons": Member.objects.count(),
            "measures": Measure.objects.count(),
            "pairings": Pairing.objects.count(),
            "rollup_rows": DivisionRollup.objects.count(),
            "count_rows": RollupCount.objects.count(),
            "measure_rollup_rows": MeasureRollup.objects.count(),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)

    w_min, wo_min = min(with_s), min(without_s)
    w_med, wo_med = statistics.median(with_s), statistics.median(without_s)
    cmd = (
        f".venv/bin/python bench/bench_rollups_measures.py --persons {a.persons}"
        f" --repeat {a.repeat}"
    )
    text = (
        "## Rollup refresh with the assistance figures (helper “rollup”, issue 9 item 5)\n\n"
        f"{machine_md(m)}"
        f"- command: `{cmd}` (SQLite, temporary FUPIN_HOME)\n"
        f"- registry: {counts['households']:,} households, {counts['persons']:,} persons; "
        f"{counts['measures']:,} measures (2016), {counts['pairings']:,} pairings; set-up "
        f"{setup['registry_s']:.1f} s registry + assessment, {setup['measures_s']:.1f} s plans, "
        "cadres and measures (not compared)\n"
        f"- rows after a refresh: {counts['rollup_rows']:,} `DivisionRollup`, "
        f"{counts['count_rows']:,} `RollupCount`, {counts['measure_rollup_rows']:,} "
        "`MeasureRollup`\n\n"
        "| `rollups_refresh()` full, every level | min s | median s | runs |\n"
        "|---|---:|---:|---:|\n"
        f"| without the new figures (as before) | {wo_min:.2f} | {wo_med:.2f} "
        f"| {len(without_s)} |\n"
        f"| with paired / measured households and `MeasureRollup` | {w_min:.2f} | {w_med:.2f} "
        f"| {len(with_s)} |\n"
        f"| ratio with / without | {w_min / wo_min:.2f}× | {w_med / wo_med:.2f}× | |\n\n"
        f"`rollups_refresh_dirty()` after one village marked: {dirty['with']:.3f} s with, "
        f"{dirty['without']:.3f} s without.\n\n"
        "Runs alternate with / without after one warm-up refresh; the “without” runs replace the "
        "two new statements by no-ops (the village insert then joins an empty subquery).\n"
    )
    a.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
