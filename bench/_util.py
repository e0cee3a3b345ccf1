"""Helpers shared by the registry and national benchmarks.

Each phase of a benchmark runs in a child process of the same script (``--phase NAME``) so
that its peak RSS is its own: the child prints one JSON line (``PHASE_JSON {...}``) holding
its figures and ``resource.getrusage(RUSAGE_SELF).ru_maxrss``. The parent only orchestrates.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import resource
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RAW_SQL = Path(__file__).resolve().parent / "raw_assess.sql"
MARK = "PHASE_JSON "
#: Rule codes of household-standard@2016.1 in rule order (the columns of the raw query).
RULE_CODES = (
    "INCOME_ABOVE_LINE",
    "FOOD_SECURE",
    "CLOTHING_SECURE",
    "EDUCATION_GUARANTEED",
    "MEDICAL_INSURED",
    "HOUSING_SAFE",
    "WATER_SAFE",
)


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MiB (``ru_maxrss`` is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def emit(figures: Mapping[str, Any]) -> None:
    """Print a phase's figures, with its peak RSS, as the JSON line the parent reads."""
    out = {**figures, "peak_rss_mb": peak_rss_mb()}
    sys.stdout.write(MARK + json.dumps(out, default=str) + "\n")
    sys.stdout.flush()


@dataclass
class PhaseResult:
    name: str
    figures: dict[str, Any]
    wall_s: float  # the child's whole life, Python start and imports included


def run_phase(
    script: Path,
    phase: str,
    args: list[str],
    *,
    env: Mapping[str, str] | None = None,
    log: Path | None = None,
) -> PhaseResult:
    """Run ``script --phase phase args…`` in a child process and return its figures."""
    cmd = [sys.executable, str(script), "--phase", phase, *args]
    child_env = {**os.environ, **(env or {}), "FUPIN_NO_PROGRESS": "1"}
    started = time.perf_counter()
    say(f"phase {phase} …")
    proc = subprocess.run(cmd, env=child_env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if log is not None:
        with log.open("a", encoding="utf-8") as f:
            f.write(f"\n=== {shlex.join(cmd[1:])}\n({wall:.1f} s, exit {proc.returncode})\n")
            f.write(proc.stdout)
            f.write(proc.stderr)
    figures = None
    for line in proc.stdout.splitlines():
        if line.startswith(MARK):
            figures = json.loads(line[len(MARK) :])
    if proc.returncode != 0 or figures is None:
        sys.stderr.write(proc.stdout[-5000:] + proc.stderr[-5000:])
        raise RuntimeError(f"phase {phase} failed (exit {proc.returncode})")
    say(f"phase {phase}: done in {wall:.1f} s — {short(figures)}")
    return PhaseResult(phase, figures, wall)


def short(figures: Mapping[str, Any]) -> str:
    keep = {k: v for k, v in figures.items() if not isinstance(v, (dict, list))}
    return ", ".join(
        f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in keep.items()
    )


def say(text: str) -> None:
    stamp = dt.datetime.now().strftime("%H:%M:%S")
    sys.stderr.write(f"[{stamp}] {text}\n")
    sys.stderr.flush()


@contextmanager
def timer() -> Iterator[list[float]]:
    """``with timer() as t: …`` then ``t[0]`` holds the seconds taken."""
    box = [0.0]
    started = time.perf_counter()
    try:
        yield box
    finally:
        box[0] = time.perf_counter() - started


def raw_sql(name: str, **values: object) -> str:
    """Return the section ``-- name: <name>`` of raw_assess.sql with its placeholders filled."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in RAW_SQL.read_text(encoding="utf-8").splitlines():
        if line.startswith("-- name: "):
            current = sections.setdefault(line.removeprefix("-- name: ").strip(), [])
        elif current is not None:
            current.append(line)
    text = "\n".join(sections[name]).strip().rstrip(";")
    return text.format(**values)


def ibis_duckdb_disable(optimizers: str) -> None:
    """Make every Ibis DuckDB connection opened from now on run without ``optimizers``.

    A what-if for the benchmark only: ``assess_flat_file`` opens its own connection and has
    no setting for this, so the benchmark wraps ``ibis.duckdb.connect``.
    """
    import ibis

    original = ibis.duckdb.connect

    def connect(*args: Any, **kwargs: Any) -> Any:
        con = original(*args, **kwargs)
        con.raw_sql(f"SET disabled_optimizers = '{optimizers}'")
        return con

    ibis.duckdb.connect = connect


def rule_parameters(year: int) -> dict[str, object]:
    """The parameter values the hand-written SQL needs, from the policy defaults."""
    from fupin.policy.parameters import DEFAULT_PARAMETERS as p

    # The hand-written SQL knows only the national line; make sure nothing regional applies.
    assert not p.regional_lines(year), "regional lines are not in the hand-written SQL"
    ref = (p.age_reference_month, p.age_reference_day)
    return {
        "year": year,
        "line": str(p.national_line(year).amount),
        "born_after": dt.date(year - p.school_age_max - 1, *ref).isoformat(),
        "born_by": dt.date(year - p.school_age_min, *ref).isoformat(),
    }


def machine() -> dict[str, str]:
    """What the figures were measured on: cores, memory, CPU model, versions."""

    def out(*cmd: str) -> str:
        return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.strip()

    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import duckdb
    import pyarrow

    return {
        "nproc": out("nproc"),
        "free_g": out("free", "-g"),
        "cpu": cpu,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "pyarrow": pyarrow.__version__,
        "load": out("cat", "/proc/loadavg"),
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
    }


def machine_md(m: Mapping[str, str], extra: str = "") -> str:
    free = "\n".join("    " + line for line in m["free_g"].splitlines())
    return (
        f"- date: {m['date']}\n"
        f"- machine: `nproc` = {m['nproc']}, CPU {m['cpu']}, {m['platform']}\n"
        f"- Python {m['python']}, DuckDB {m['duckdb']}, pyarrow {m['pyarrow']}{extra}\n"
        f"- `/proc/loadavg` at the start: {m['load']} (the 2 cores are shared with other work)\n"
        f"- `free -g` at the start:\n\n{free}\n"
    )


# -- PostgreSQL --------------------------------------------------------------------------------


def pg_start() -> dict[str, str]:
    """Start a throwaway PostgreSQL cluster; return its DATABASE_URL and FUPIN_PG_DIR."""
    proc = subprocess.run(
        [str(ROOT / "scripts" / "pg-throwaway"), "start"],
        capture_output=True,
        text=True,
        check=True,
    )
    env: dict[str, str] = {}
    for line in proc.stdout.splitlines():
        if line.startswith("export "):
            key, _, value = line.removeprefix("export ").partition("=")
            env[key] = value
    return env


def pg_stop(directory: str) -> None:
    subprocess.run([str(ROOT / "scripts" / "pg-throwaway"), "stop", directory], check=False)


def pg_create_database(url: str, name: str) -> str:
    """Create database ``name`` in the cluster of ``url``; return its URL."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return url.rsplit("/", 1)[0] + "/" + name


def pg_version(url: str) -> str:
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "?"


def fmt_s(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.2f} h"
    if seconds >= 600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds:.2f} s"


def fmt_n(n: float) -> str:
    return f"{n:,.0f}"


def file_mb(path: Path) -> float:
    return path.stat().st_size / 2**20 if path.exists() else 0.0
