"""Time computing and rendering every statistical table for a province from the rollups.

    .venv/bin/python bench/tables_bench.py [--persons 300000] [--division 51] [--repeat 20]
        [--out bench/results/tables.md] [--tmp DIR] [--keep]

On SQLite, in one process with a temporary ``FUPIN_HOME``: the divisions of the province
(``divisions_load(prefix=…)``), a generated registry of ``--persons`` persons over the
province (set-up: generate → Parquet → ``registry_import_file`` → ``assessment_run`` →
``rollups_refresh``, timed for the record only), then for every registered table, at the
province (rows: its prefectures) and at its first county (rows: its townships):
``table_compute`` ``--repeat`` times (p50 and max, after one untimed warm-up call), and
``table_xlsx`` / ``table_csv`` of the computed table (p50). Every table reads only rollup
rows (the deep-poverty table also the village facts and county statistics: one row per
village or county), so its time does not grow with the registry's persons.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _util import ROOT, fmt_n, fmt_s, machine, machine_md, say, timer

YEAR = 2016
SEED = 20170101


def _times(fn: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    result = fn()  # warm-up: imports, statement caches
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return sorted(times), result


def run(a: argparse.Namespace) -> str:
    sys.path.insert(0, str(ROOT / "src"))
    from fupin.commands.base import setup_django

    setup_django(migrate=True)
    from django.db import connection

    from fupin.assessment.services import assessment_run
    from fupin.divisions.models import Division
    from fupin.divisions.services import divisions_load
    from fupin.registry.imports.services import registry_import_file
    from fupin.registry.models import Household, Member
    from fupin.reports.models import DivisionRollup, RollupCount
    from fupin.reports.services import rollups_refresh
    from fupin.reports.table_exports import table_csv, table_xlsx
    from fupin.reports.tables import table_compute, table_list
    from fupin.synth.generator import generate
    from fupin.synth.writers import write_file

    setup: dict[str, float] = {}
    with timer() as t:
        divisions_load(prefix=a.division)
    setup["divisions_load"] = t[0]
    flat = a.work / "flat.parquet"
    with timer() as t:
        write_file(generate(division=a.division, persons=a.persons, seed=SEED, year=YEAR), flat)
    setup["generate"] = t[0]
    with timer() as t:
        report = registry_import_file(path=flat)
    assert report.ok, report.errors[:3]
    setup["import"] = t[0]
    with timer() as t:
        assessment_run(division_code=a.division, year=YEAR)
    setup["assess"] = t[0]
    with timer() as t:
        rollups_refresh()
    setup["rollups_refresh"] = t[0]
    flat.unlink()
    say("set-up done: " + ", ".join(f"{k} {v:.1f} s" for k, v in setup.items()))

    county = (
        Household.objects.order_by("village_id").values_list("village_id", flat=True).first() or ""
    )[:6]
    lines: list[str] = []
    for code in (a.division, county):
        name = Division.objects.get(pk=code).name
        for t_def in table_list():
            times, table = _times(
                lambda n=t_def.name, c=code: table_compute(name=n, division_code=c, year=YEAR),
                a.repeat,
            )
            xlsx, _ = _times(lambda tb=table: table_xlsx(tb), max(3, a.repeat // 4))
            csv_t, _ = _times(lambda tb=table: table_csv(tb), max(3, a.repeat // 4))
            lines.append(
                f"| {name} ({code}) | `{t_def.name}` | {t_def.source} | {len(table.rows)} | "
                f"{1000 * statistics.median(times):.2f} | {1000 * times[-1]:.2f} | "
                f"{1000 * statistics.median(xlsx):.1f} | {1000 * statistics.median(csv_t):.2f} |"
            )
            say(lines[-1])
    m = machine()
    out = [
        "# Statistical tables (fupin.reports.tables) for a province",
        "",
        f"`.venv/bin/python bench/tables_bench.py --persons {a.persons} --division "
        f"{a.division} --repeat {a.repeat}`, {connection.vendor}, year {YEAR}.",
        "",
        machine_md(m),
        "## Figures",
        "",
        f"Registry: {fmt_n(Household.objects.count())} households, "
        f"{fmt_n(Member.objects.count())} persons; rollups {fmt_n(DivisionRollup.objects.count())}"
        f" rows, breakdowns {fmt_n(RollupCount.objects.count())} rows. Set-up (not the subject): "
        + ", ".join(f"{k} {fmt_s(v)}" for k, v in setup.items())
        + ".",
        "",
        "| division | table | source | rows | compute p50 ms | compute max ms | xlsx p50 ms "
        "| csv p50 ms |",
        "|---|---|---|---:|---:|---:|---:|---:|",
        *lines,
        "",
    ]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=300_000)
    parser.add_argument("--division", default="51")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "tables.md")
    parser.add_argument("--tmp", type=Path, default=None)
    parser.add_argument("--keep", action="store_true")
    a = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="fupin-bench-tables-", dir=a.tmp))
    os.environ["FUPIN_HOME"] = str(work)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("FUPIN_NO_PROGRESS", "1")
    a.work = work
    try:
        text = run(a)
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.write_text(text, encoding="utf-8")
        sys.stdout.write(text)
        say(f"written {a.out}")
    finally:
        if a.keep:
            say(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
