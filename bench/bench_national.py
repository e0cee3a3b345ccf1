"""Benchmark the national batch: all of China's registry as one flat Parquet file, assessed by
``assess_flat_file`` (the system's Ibis rules on DuckDB) beside one hand-written DuckDB query.

    .venv/bin/python bench/bench_national.py --households 29500000 [--repeat 2]
        [--tmp /tmp] [--out bench/results/national.md]

The generator writes ``round(households × 89.62/29.48)`` persons (the registry's mean household
size, ``fupin.synth.calibration``) across every village of China (``division=""``). Then the
system's ``assess_flat_file`` and the hand-written query of ``bench/raw_assess.sql`` run
alternately ``--repeat`` times each over the same file (the first run of each reads a file
the generator has just written, so it is in the page cache when it fits); the ratio uses the
best run of each. Every phase runs in a child process that reports its own peak RSS
(``getrusage(RUSAGE_SELF).ru_maxrss``). The counts per rule must be equal (asserted). The
work directory, with the Parquet file, is deleted at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from _util import (
    ROOT,
    RULE_CODES,
    PhaseResult,
    emit,
    fmt_n,
    fmt_s,
    machine,
    machine_md,
    run_phase,
    say,
)
from bench_registry import SEED, YEAR, phase_duckdb_raw, phase_flat_assess, phase_generate

SCRIPT = Path(__file__).resolve()
TIME_TARGET_S = 30.0
RSS_TARGET_MB = 12 * 1024.0

PHASES = {
    "generate": phase_generate,
    "duckdb_raw": phase_duckdb_raw,
    "flat_assess": phase_flat_assess,
}


def persons_for(households: int) -> int:
    sys.path.insert(0, str(ROOT / "src"))
    from fupin.synth import calibration as cal

    return round(households * cal.REGISTRY_PERSONS / cal.REGISTRY_HOUSEHOLDS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=29_500_000)
    parser.add_argument("--persons", type=int, default=0, help="default: from --households")
    parser.add_argument("--year", type=int, default=YEAR)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--repeat", type=int, default=2, help="runs of each assessment")
    parser.add_argument("--threads", type=int, default=0, help="DuckDB threads (0 = default)")
    parser.add_argument("--tmp", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "national.md")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--flat", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--division", default="", help=argparse.SUPPRESS)
    parser.add_argument(
        "--duckdb-disable",
        default="partitioned_execution",
        help="DuckDB optimizers to switch off in a second configuration ('' = none; several "
        "configurations separated by ';')",
    )
    a = parser.parse_args(argv)
    a.persons = a.persons or persons_for(a.households)

    if a.phase:
        sys.path.insert(0, str(ROOT / "src"))
        emit(PHASES[a.phase](a))
        return 0

    a.work = Path(tempfile.mkdtemp(prefix="fupin-bench-national-", dir=a.tmp))
    a.flat = a.work / "china.parquet"
    log = a.work / "phases.log"
    env = {"FUPIN_HOME": str(a.work / "home")}
    os.environ.pop("DATABASE_URL", None)
    disk = shutil.disk_usage(a.work)
    say(f"work directory {a.work} ({disk.free / 2**30:.0f} GiB free); phase output in {log}")
    command = " ".join(["python", "bench/bench_national.py", *(argv or sys.argv[1:])])
    info = machine()
    args = [
        "--households",
        str(a.households),
        "--persons",
        str(a.persons),
        "--year",
        str(a.year),
        "--seed",
        str(a.seed),
        "--threads",
        str(a.threads),
        "--work",
        str(a.work),
        "--flat",
        str(a.flat),
    ]
    configs = ["", *[c for c in a.duckdb_disable.split(";") if c]]
    runs: dict[str, tuple[list[PhaseResult], list[PhaseResult]]] = {c: ([], []) for c in configs}
    try:
        gen = run_phase(SCRIPT, "generate", args, env=env, log=log)
        for _ in range(a.repeat):
            for config in configs:
                extra = ["--duckdb-disable", config]
                raw, system = runs[config]
                raw.append(run_phase(SCRIPT, "duckdb_raw", [*args, *extra], env=env, log=log))
                system.append(run_phase(SCRIPT, "flat_assess", [*args, *extra], env=env, log=log))
    finally:
        if a.keep:
            say(f"kept {a.work}")
        else:
            shutil.rmtree(a.work, ignore_errors=True)
            say(f"deleted {a.work}")
    first = runs[""][0][0].figures["counts"]
    for raw, system in runs.values():
        for r in raw + system:
            print(f"{r.name}: {r.figures['counts']}")
            assert r.figures["counts"] == first, (r.name, r.figures["counts"], first)
    report = render(a, command, info, gen, runs)
    print(report)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    # Notes written by hand under "## Notes" outlive a new run of the figures.
    old = a.out.read_text(encoding="utf-8") if a.out.exists() else ""
    if "\n## Notes" in old:
        report = report.rstrip("\n") + "\n\n## Notes" + old.split("\n## Notes", 1)[1]
    a.out.write_text(report, encoding="utf-8")
    say(f"written to {a.out}")
    return 0


def _ok(met: bool) -> str:
    return "met" if met else "**missed**"


def render(
    a: argparse.Namespace,
    command: str,
    info: dict[str, str],
    gen: PhaseResult,
    runs: dict[str, tuple[list[PhaseResult], list[PhaseResult]]],
) -> str:
    g = gen.figures
    counts: dict[str, Any] = runs[""][0][0].figures["counts"]
    head = ["households", "meets_standard", *RULE_CODES]
    count_rows = "\n".join(f"| {code} | {fmt_n(counts[code])} |" for code in head)
    table = [
        "| DuckDB configuration | what | time, best (all runs) | persons/s | peak RSS |",
        "|---|---|---:|---:|---:|",
    ]
    targets = ["| DuckDB configuration | figure | value | target |", "|---|---|---:|---|"]
    for config, (raw, system) in runs.items():
        label = f"`disabled_optimizers = '{config}'`" if config else "defaults (as shipped)"
        best_raw = min(r.figures["seconds"] for r in raw)
        best_sys = min(r.figures["seconds"] for r in system)
        peak_raw = max(r.figures["peak_rss_mb"] for r in raw)
        peak_sys = max(r.figures["peak_rss_mb"] for r in system)
        for what, best, peak, rs in (
            ("`assess_flat_file` (system: Ibis rules → DuckDB)", best_sys, peak_sys, system),
            ("hand-written DuckDB query (`raw_assess.sql`)", best_raw, peak_raw, raw),
        ):
            every = ", ".join(fmt_s(r.figures["seconds"]) for r in rs)
            table.append(
                f"| {label} | {what} | {fmt_s(best)} ({every}) | {fmt_n(g['rows'] / best)} | "
                f"{peak / 1024:.2f} GiB |"
            )
        ratio = best_sys / best_raw
        targets += [
            f"| {label} | `assess_flat_file` ÷ hand-written query | {ratio:.2f}× "
            f"| ≤ 3×: {_ok(ratio <= 3)} |",
            f"| {label} | `assess_flat_file` time | {fmt_s(best_sys)} "
            f"| < 30 s: {_ok(best_sys < TIME_TARGET_S)} |",
            f"| {label} | `assess_flat_file` peak RSS | {peak_sys / 1024:.2f} GiB "
            f"| < 12 GiB: {_ok(peak_sys < RSS_TARGET_MB)} |",
            f"| {label} | hand-written query peak RSS | {peak_raw / 1024:.2f} GiB "
            f"| < 12 GiB: {_ok(peak_raw < RSS_TARGET_MB)} |",
        ]
    return f"""# Benchmark: the national batch (all of China, one flat Parquet file)

{machine_md(info)}
- command: `{command}`
- data: `generate(division="", persons={a.persons}, seed={a.seed}, year={a.year})`
  ({fmt_n(a.households)} households asked × 89.62/29.48 persons per household) → one Parquet
  file of {fmt_n(g["rows"])} rows × {g["columns"]} columns; {fmt_n(counts["households"])}
  households (the generator's own household-size distribution decides their number)
- peak RSS: each phase runs in a child process of the script (`--phase NAME`) that reports its
  own `getrusage(RUSAGE_SELF).ru_maxrss`.
- each configuration's two queries run alternately, {a.repeat} times each; DuckDB threads:
  {a.threads or "default (= cores)"}; the work directory was deleted afterwards.

| what | time | persons/s | file | peak RSS |
|---|---:|---:|---:|---:|
| `generate` + `write_file` → Parquet (zstd) | {fmt_s(g["seconds"])} | \
{fmt_n(g["persons_per_s"])} | {g["file_mb"] / 1024:.2f} GiB | {g["peak_rss_mb"] / 1024:.2f} GiB |

{chr(10).join(table)}

{chr(10).join(targets)}

Counts (households failing each rule), equal in every run of every configuration (asserted):

| count | households |
|---|---:|
{count_rows}
"""


if __name__ == "__main__":
    sys.exit(main())
