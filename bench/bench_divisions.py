"""Benchmark: load all 665k NBS 2023 divisions into a fresh SQLite database.

Beside the service (``divisions_load()``), the same rows go into an unindexed table of a
separate SQLite file with plain ``sqlite3`` ``executemany`` in one transaction: the floor the
engine itself sets. Creating and migrating the new database is set-up, outside the timings.

    .venv/bin/python bench/bench_divisions.py [--out bench/results/divisions.md]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent


def peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    return float(psutil.Process().memory_info().rss) / 2**20


def raw_executemany(path: Path, rows: list[tuple[object, ...]]) -> float:
    """Insert ``rows`` into an unindexed table with the settings' PRAGMAs; return seconds."""
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in (
        "journal_mode=WAL",
        "synchronous=NORMAL",
        "cache_size=-200000",
        "temp_store=MEMORY",
    ):
        conn.execute(f"PRAGMA {pragma}")
    conn.execute("CREATE TABLE division (code text, name text, level integer, parent_id text)")
    started = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany("INSERT INTO division VALUES (?, ?, ?, ?)", rows)
    conn.execute("COMMIT")
    seconds = time.perf_counter() - started
    (count,) = conn.execute("SELECT COUNT(*) FROM division").fetchone()
    conn.close()
    assert count == len(rows), (count, len(rows))
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "divisions.md")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="fupin-bench-divisions-"))
    os.environ["FUPIN_HOME"] = str(work / "home")
    os.environ["FUPIN_NO_PROGRESS"] = "1"
    os.environ.pop("DATABASE_URL", None)  # SQLite under FUPIN_HOME
    try:
        figures = run(work)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    report = render(figures, " ".join([Path(sys.executable).name, *sys.argv]))
    print(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report, encoding="utf-8")
    print(f"written to {args.out}")
    return 0


def run(work: Path) -> dict[str, float | int | str]:
    # Set-up (not timed as the load): Django and the migrations of the new database.
    started = time.perf_counter()
    from fupin.commands.base import setup_django

    setup_django(migrate=True)
    from django.db import connection

    from fupin.divisions import source
    from fupin.divisions.models import Division
    from fupin.divisions.services import divisions_load

    migrate_s = time.perf_counter() - started
    rss_start = rss_mb()

    started = time.perf_counter()
    levels = source.read_subtree_levels(None)  # decompress and parse; cached for the load
    read_s = time.perf_counter() - started
    rows = sum(t.num_rows for t in levels.values())

    report = divisions_load()
    load_s = report.seconds
    assert report.inserted == rows, (report.inserted, rows)
    assert Division.objects.count() == rows
    peak_after_load = peak_rss_mb()

    again = divisions_load()
    assert again.inserted == 0 and again.updated == 0
    reload_s = again.seconds

    db_file = Path(connection.settings_dict["NAME"])
    connection.close()
    db_mb = sum(p.stat().st_size for p in db_file.parent.glob(db_file.name + "*")) / 2**20

    # The engine's floor: the same rows, as Python tuples, into an unindexed table.
    started = time.perf_counter()
    table = source.read_subtree(None)
    tuples = list(
        zip(
            table["code"].to_pylist(),
            table["name"].to_pylist(),
            table["level"].to_pylist(),
            table["parent_code"].to_pylist(),
            strict=True,
        )
    )
    to_python_s = time.perf_counter() - started
    raw_s = raw_executemany(work / "raw.sqlite3", tuples)
    raw_total_s = to_python_s + raw_s

    return {
        "rows": rows,
        "migrate_s": migrate_s,
        "read_s": read_s,
        "load_s": load_s,
        "load_rows_s": rows / load_s,
        "reload_s": reload_s,
        "raw_s": raw_s,
        "raw_rows_s": rows / raw_s,
        "to_python_s": to_python_s,
        "raw_total_s": raw_total_s,
        "raw_total_rows_s": rows / raw_total_s,
        "ratio": load_s / raw_total_s,
        "ratio_insert_only": load_s / raw_s,
        "rss_start_mb": rss_start,
        "peak_after_load_mb": peak_after_load,
        "peak_end_mb": peak_rss_mb(),
        "db_mb": db_mb,
        "sqlite": sqlite3.sqlite_version,
    }


def render(f: dict[str, float | int | str], command: str) -> str:
    nproc = subprocess.run(["nproc"], capture_output=True, text=True, check=False).stdout.strip()
    memory = psutil.virtual_memory().total / 2**30
    lines = [
        (
            "`divisions_load()` into the empty, indexed `Division` table (one transaction)",
            f["load_s"],
            f"{f['load_rows_s']:,.0f}",
        ),
        (
            "`divisions_load()` again, every code present (staging table, `UPDATE … FROM`, "
            "`INSERT … WHERE NOT EXISTS`)",
            f["reload_s"],
            "—",
        ),
        ("raw engine: Arrow → Python tuples", f["to_python_s"], "—"),
        (
            "raw engine: `sqlite3` `executemany` into an unindexed table, one transaction",
            f["raw_s"],
            f"{f['raw_rows_s']:,.0f}",
        ),
        ("raw engine, both steps", f["raw_total_s"], f"{f['raw_total_rows_s']:,.0f}"),
    ]
    table = "\n".join(
        ["| what | seconds | rows/s |", "|---|---:|---:|"]
        + [f"| {what} | {float(seconds):.2f} | {rate} |" for what, seconds, rate in lines]
    )
    return f"""# Benchmark: loading the NBS 2023 divisions (SQLite)

- date: {dt.datetime.now().astimezone().isoformat(timespec="seconds")}
- machine: `nproc` = {nproc}, memory {memory:.1f} GiB, {platform.platform()},
  Python {platform.python_version()}, SQLite {f["sqlite"]}
- command: `{command}`
- rows: {f["rows"]:,} (31 provinces, 342 prefectures, 2,978 counties, 41,352 townships,
  620,573 villages)

Set-up, not timed as the load: Django start and `migrate` of a fresh SQLite database under a
temporary `FUPIN_HOME` took {f["migrate_s"]:.2f} s. The packaged files are decompressed and
parsed once (xz + Arrow CSV: {f["read_s"]:.2f} s); the load below uses the parsed rows.

{table}

- ratio load / raw engine (both steps): **{f["ratio"]:.2f}×**; against the bare `executemany`:
  {f["ratio_insert_only"]:.2f}×. The load also converts Arrow to Python rows, checks the tree
  (every parent in the level above, every code under its parent), and maintains three indexes
  (primary key, `parent_id`, `(level, code)`).
- memory: RSS {f["rss_start_mb"]:.0f} MiB after set-up; peak RSS {f["peak_after_load_mb"]:.0f} MiB
  after the load (packaged files parsed, one 50k-row batch of Python tuples at a time);
  peak {f["peak_end_mb"]:.0f} MiB at the end (the raw run holds all 665k tuples at once).
- database file after the load (with WAL): {f["db_mb"]:.0f} MiB.
"""


if __name__ == "__main__":
    sys.exit(main())
