"""Benchmark the plan suggestion (``fupin.policy.measures.suggestions_wide``) for one county and
for the whole registry at 1M registry persons: the system (the Ibis definition as the
selectors build it, compiled to SQL) beside a hand-written query in the same engine
(``bench/raw_measures_suggest.sql``) and beside a per-household loop — issue 9, "Scale and
speed": within 3× of the hand-written query, ≥ 100× the per-household loop.

    .venv/bin/python bench/bench_measures_suggest.py [--persons 1000000] [--division 5134]
        [--county 513431] [--repeat 3] [--sample 2000] [--loop-budget 60]
        [--out bench/results/measures-suggest.md]

The registry: ``--persons`` generated for prefecture ``--division`` (凉山州 by default, 17
counties; ``bench_registry.phase_generate``) and imported with ``registry_import_file`` into a
fresh SQLite database under a temporary FUPIN_HOME (``bench_registry.phase_setup`` /
``phase_import``; set-up, not timed). Then, side by side in one run, for ``--county`` and for
the whole registry:

* (a) system — ``suggestions_wide(suggestion_inputs(division), year)`` (what
  ``fupin.measures.selectors`` runs), compiled with ``fupin.assessment.adapters.to_sql``
  and materialised as ``CREATE TEMP TABLE … AS`` on the registry database (SQLite); the time
  includes building and compiling the expression;
* (b) raw — the hand-written query, materialised the same way, alternating with (a)
  ``--repeat`` times (best of each), then compared with (a) row by row and column by column;
* the same pair on DuckDB over the same three tables copied into an in-memory DuckDB database
  (the copy is set-up, not timed): the system compiled for the DuckDB dialect;
* (c) the per-household loop: for an evenly spread sample of ``--sample`` poor households of
  the county (stopped after ``--loop-budget`` seconds), ORM reads (the household, its members,
  its conditions) and a Python version of the rules (``python_rules``), checked equal to (a);
  and, smaller, the system's one-household path ``household_suggestions`` per household.
  Both are extrapolated to all the division's poor households.

Every phase runs in a child process of this script (``_util.run_phase``) that reports its
own peak RSS.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _util import (
    ROOT,
    PhaseResult,
    emit,
    fmt_n,
    fmt_s,
    machine,
    machine_md,
    run_phase,
    say,
    timer,
)

SCRIPT = Path(__file__).resolve()
RAW = Path(__file__).resolve().parent / "raw_measures_suggest.sql"
DIVISION = "5134"  # 凉山彝族自治州: 17 counties
COUNTY = "513431"  # 昭觉县
YEAR = 2016
SEED = 20160901
RATIO_TARGET = 3.0  # system ÷ hand-written query, same engine
LOOP_TARGET = 100.0  # per-household loop ÷ system
TABLES = ("registry_household", "registry_member", "registry_livingconditions")
#: The columns of the three tables the suggestion reads (``pm.SCHEMAS``), as stored.
BOOLEAN = {"relocated", "school_exempt_physical", "basic_medical", "water_safe"}


# =============================================================================================
# the queries
# =============================================================================================


def division_filter(division: str) -> str:
    if not division:
        return ""
    return f"AND village_id BETWEEN '{division}' AND '{division.ljust(12, '9')}'"


def raw_query(division: str, year: int, engine: str) -> str:
    """The hand-written query for ``division`` ("" = the whole registry) in ``engine``."""
    text = RAW.read_text(encoding="utf-8").split("-- name: suggest", 1)[1]
    birth_year = (
        "CAST(substr(m.birth_date, 1, 4) AS INTEGER)"  # ISO text on SQLite
        if engine == "sqlite"
        else "year(m.birth_date)"
    )
    return (
        text.strip()
        .rstrip(";")
        .format(year=year, division_filter=division_filter(division), birth_year=birth_year)
    )


def system_query(division: str, year: int, engine: str, *, what_if: bool = False) -> str:
    """The system's statement: the selectors' inputs, the Ibis definition, compiled.

    ``what_if``: the definition with the change proposed in bench/RESULTS.md (the
    members aggregated only for the selected households), patched here for the benchmark only.
    """
    import ibis

    from fupin.measures.selectors import suggestion_inputs
    from fupin.policy import measures as pm

    wide = _what_if_wide() if what_if else pm.suggestions_wide
    expr = wide(suggestion_inputs(division), year)
    return str(ibis.to_sql(expr, dialect=engine))


def _what_if_wide() -> Any:
    """``suggestions_wide`` with ``m = m.filter(m.household_id.isin(h.id))`` after
    ``m = inputs.member`` (a bench-only patch of the source; the module is not changed)."""
    import inspect

    from fupin.policy import measures as pm

    src = inspect.getsource(pm.suggestions_wide)
    anchor = "    m = inputs.member\n"
    assert anchor in src, "suggestions_wide changed: update the what-if"
    if "m.household_id.isin(h.id)" not in src:
        src = src.replace(anchor, anchor + "    m = m.filter(m.household_id.isin(h.id))\n")
    namespace = dict(vars(pm))
    exec(compile(src, "<what-if suggestions_wide>", "exec"), namespace)
    return namespace["suggestions_wide"]


def columns() -> list[str]:
    from fupin.policy import measures as pm

    return ["household_id", "village_id", *(s.column for s in pm.SUGGESTIONS), "suggested"]


# =============================================================================================
# helpers
# =============================================================================================


def _django() -> None:
    sys.path.insert(0, str(ROOT / "src"))
    from fupin.commands.base import setup_django

    setup_django()


def levels(a: argparse.Namespace) -> dict[str, str]:
    return {"county": a.county, "registry": ""}


def compare_tables(execute: Any, left: str, right: str) -> dict[str, Any]:
    """Rows of ``left`` and ``right`` (same columns) compared by household: how many on each
    side, how many missing from either, and the mismatches per column."""
    cols = columns()[1:]

    def one(sql: str) -> tuple[Any, ...]:
        return tuple(execute(sql))

    (n_left,) = one(f"SELECT count(*) FROM {left}")
    (n_right,) = one(f"SELECT count(*) FROM {right}")
    (joined,) = one(f"SELECT count(*) FROM {left} l JOIN {right} r USING (household_id)")
    diffs = ", ".join(f"SUM(CASE WHEN l.{c} = r.{c} THEN 0 ELSE 1 END) AS {c}" for c in cols)
    row = one(f"SELECT {diffs} FROM {left} l JOIN {right} r USING (household_id)")
    bad = {c: int(v or 0) for c, v in zip(cols, row, strict=True) if v}
    sums = ", ".join(f"SUM({c})" for c in columns()[2:])
    return {
        "rows": int(n_left),
        "rows_other": int(n_right),
        "missing": int(n_left) + int(n_right) - 2 * int(joined),
        "bad": bad,
        "counts": [int(v or 0) for v in one(f"SELECT {sums} FROM {left}")],
    }


def alternate(
    run: Any,
    execute: Any,
    division: str,
    year: int,
    engine: str,
    repeat: int,
    *,
    what_if: bool = False,
) -> dict[str, Any]:
    """Materialise system and raw ``repeat`` times each, alternating; keep the last pair and
    compare them. ``run(sql)`` runs a statement, ``execute(sql)`` returns one row."""
    system_s: list[float] = []
    compile_s: list[float] = []
    raw_s: list[float] = []
    raw = raw_query(division, year, engine)
    for _ in range(repeat):
        for name in ("bench_system", "bench_raw"):
            run(f"DROP TABLE IF EXISTS {name}")
        with timer() as t:
            with timer() as tc:
                sql = system_query(division, year, engine, what_if=what_if)
            run(f"CREATE TEMP TABLE bench_system AS {sql}")
        system_s.append(t[0])
        compile_s.append(tc[0])
        with timer() as t:
            run(f"CREATE TEMP TABLE bench_raw AS {raw}")
        raw_s.append(t[0])
    cmp = compare_tables(execute, "bench_system", "bench_raw")
    for name in ("bench_system", "bench_raw"):
        run(f"DROP TABLE IF EXISTS {name}")
    return {
        "system_s": system_s,
        "compile_s": compile_s,
        "raw_s": raw_s,
        "system_best": min(system_s),
        "raw_best": min(raw_s),
        "ratio": min(system_s) / min(raw_s),
        **cmp,
    }


def households_in(execute: Any, division: str) -> dict[str, int]:
    where = division_filter(division)
    (households,) = execute(
        f"SELECT count(*) FROM registry_household WHERE status IN ('poor', 'returned') {where}"
    )
    (persons,) = execute(
        "SELECT count(*) FROM registry_member m JOIN registry_household h "
        f"ON h.id = m.household_id WHERE 1 = 1 {where.replace('village_id', 'h.village_id')}"
    )
    return {"poor_households": int(households), "persons": int(persons)}


# =============================================================================================
# the work of each phase (callable in-process by the smoke test)
# =============================================================================================


def sqlite_pairs(a: argparse.Namespace) -> dict[str, Any]:
    """(a) and (b) on the registry database (Django's connection, its PRAGMAs)."""
    from django.db import connection

    cursor = connection.cursor()

    def run(sql: str) -> None:
        cursor.execute(sql)

    def execute(sql: str) -> tuple[Any, ...]:
        cursor.execute(sql)
        return tuple(cursor.fetchone())

    out: dict[str, Any] = {"sqlite": sqlite3.sqlite_version}
    for level, division in levels(a).items():
        out[level] = {
            **households_in(execute, division),
            **alternate(run, execute, division, a.year, "sqlite", a.repeat),
        }
        if a.what_if:
            out[f"{level}-what-if"] = {
                **households_in(execute, division),
                **alternate(run, execute, division, a.year, "sqlite", a.repeat, what_if=True),
            }
    return out


def duckdb_copy(a: argparse.Namespace) -> dict[str, Any]:
    """Copy the three tables from the registry database into a DuckDB file (set-up)."""
    import duckdb
    import pyarrow as pa
    from django.db import connection

    from fupin.policy import measures as pm

    path = Path(a.work) / "registry.duckdb"
    path.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    rows = 0
    with timer() as t:
        for key, table in zip(pm.SCHEMAS, TABLES, strict=True):
            schema = pm.SCHEMAS[key]
            names = list(schema)
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT {', '.join(names)} FROM {table}")
                data = cursor.fetchall()
            rows += len(data)
            cols = list(zip(*data, strict=True)) if data else [[] for _ in names]
            arrays = {}
            for name, values in zip(names, cols, strict=True):
                kind = schema[name]
                if name in BOOLEAN:
                    arrays[name] = pa.array(
                        [None if v is None else bool(v) for v in values], pa.bool_()
                    )
                elif kind == "date":
                    arrays[name] = pa.array(
                        [
                            v if isinstance(v, dt.date) or v is None else dt.date.fromisoformat(v)
                            for v in values
                        ],
                        pa.date32(),
                    )
                elif kind == "int64":
                    arrays[name] = pa.array(values, pa.int64())
                else:
                    arrays[name] = pa.array(values, pa.string())
            con.register("arrow_source", pa.table(arrays))
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM arrow_source")
            con.unregister("arrow_source")
            del data, cols, arrays
    con.close()
    return {"seconds": t[0], "rows": rows, "path": str(path)}


def duckdb_pairs(a: argparse.Namespace) -> dict[str, Any]:
    """(a) and (b) on DuckDB over the copied tables (in memory)."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"ATTACH '{Path(a.work) / 'registry.duckdb'}' AS src (READ_ONLY)")
    for table in TABLES:
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM src.{table}")
    con.execute("DETACH src")
    if a.threads:
        con.execute(f"SET threads = {int(a.threads)}")

    def run(sql: str) -> None:
        con.execute(sql)

    def execute(sql: str) -> tuple[Any, ...]:
        row = con.execute(sql).fetchone()
        assert row is not None
        return tuple(row)

    out: dict[str, Any] = {"duckdb": duckdb.__version__}
    for level, division in levels(a).items():
        out[level] = {
            **households_in(execute, division),
            **alternate(run, execute, division, a.year, "duckdb", a.repeat),
        }
        if a.what_if:
            out[f"{level}-what-if"] = {
                **households_in(execute, division),
                **alternate(run, execute, division, a.year, "duckdb", a.repeat, what_if=True),
            }
    return out


# -- (c) the per-household loop ---------------------------------------------------------------


def python_rules(household: Any, members: list[Any], conditions: Any, year: int) -> dict[str, int]:
    """The 20 suggestions of one household, in Python over model instances."""
    causes = {household.main_cause, household.other_cause_1, household.other_cause_2} - {""}
    full = ("ordinary", "skilled")

    def age(m: Any) -> int:
        return year - m.birth_date.year

    def in_school(m: Any) -> bool:
        return m.school_status not in ("not_in_school", "")

    labour = [m for m in members if m.labour_capacity.strip() in full]
    caps = [c for c in (m.labour_capacity.strip() for m in members) if c]
    grade = conditions.house_grade if conditions is not None else ""
    water_unsafe = conditions is not None and conditions.water_safe is False
    flags = {
        "health_serious": any(m.health == "serious" for m in members),
        "health_chronic": "illness" in causes or any(m.health == "chronic" for m in members),
        "health_insurance": any(not m.basic_medical for m in members),
        "disability": "disability" in causes or any(m.health == "disabled" for m in members),
        "safety_net": bool(caps) and all(c in ("lost", "none") for c in caps),
        "education": "schooling" in causes or any(in_school(m) for m in members),
        "yulu": any(
            m.school_status in ("vocational_secondary", "vocational_higher") for m in members
        ),
        "dropout": any(
            6 <= age(m) <= 15 and not in_school(m) and not m.school_exempt_physical for m in members
        ),
        "housing": grade in ("C", "D"),
        "water": "lack_water" in causes or water_unsafe,
        "microcredit": "lack_capital" in causes and any(18 <= age(m) <= 65 for m in labour),
        "industry": bool(causes & {"lack_capital", "lack_land", "lack_skills"}) and bool(labour),
        "training": "lack_skills" in causes,
        "employment": any(m.migrant_work == "none" and 16 <= age(m) <= 59 for m in labour),
        "motivation": "lack_motivation" in causes,
        "public_post": "weak" in caps,
        "asset_income": "lack_labour" in causes,
        "relocation": bool(causes & {"poor_transport", "lack_land"}) and not household.relocated,
        "ranger": "lack_land" in causes and bool(labour),
        "disaster": "disaster" in causes,
    }
    row = {f"s_{k}": int(v) for k, v in flags.items()}
    row["suggested"] = sum(row.values())
    return row


def loop(a: argparse.Namespace) -> dict[str, Any]:
    """(c): ORM reads and ``python_rules`` per household of a sample of the county; then
    ``household_suggestions`` per household for a smaller sample. Checked against (a)."""
    from django.db import connection

    from fupin.measures.selectors import household_suggestions
    from fupin.registry.models import Household, LivingConditions, Member

    ids = list(
        Household.objects.filter(
            status__in=("poor", "returned"),
            village_id__gte=a.county,
            village_id__lte=a.county.ljust(12, "9"),
        )
        .order_by("id")
        .values_list("id", flat=True)
    )
    step = max(1, len(ids) // max(a.sample, 1))
    sample = ids[::step][: a.sample]
    got: dict[int, dict[str, int]] = {}
    with timer() as t:
        started = time.perf_counter()
        for pk in sample:
            household = Household.objects.get(pk=pk)
            members = list(Member.objects.filter(household_id=pk))
            conditions = LivingConditions.objects.filter(household_id=pk).first()
            got[pk] = python_rules(household, members, conditions, a.year)
            if time.perf_counter() - started > a.loop_budget:
                break
    small = sample[:: max(1, len(sample) // max(a.sample_ibis, 1))][: a.sample_ibis]
    ibis_got: dict[int, list[str]] = {}
    with timer() as ti:
        started = time.perf_counter()
        for pk in small:
            household = Household.objects.get(pk=pk)
            ibis_got[pk] = [s.code for s in household_suggestions(household, a.year)]
            if time.perf_counter() - started > a.loop_budget:
                break
    # Outside the timing: the loop's answers are the system's.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM ({system_query(a.county, a.year, 'sqlite')})")
        names = [d[0] for d in cursor.description]
        system = {int(r[0]): dict(zip(names, r, strict=True)) for r in cursor.fetchall()}
    disagree = [pk for pk, row in got.items() if any(system[pk][k] != v for k, v in row.items())]
    codes_of = {
        pk: [c.removeprefix("s_") for c, v in row.items() if c.startswith("s_") and v == 1]
        for pk, row in system.items()
    }
    disagree_ibis = [pk for pk, cs in ibis_got.items() if cs != codes_of[pk]]
    registry_poor = Household.objects.filter(status__in=("poor", "returned")).count()
    return {
        "seconds": t[0],
        "households": len(got),
        "planned": len(sample),
        "county_poor_households": len(ids),
        "registry_poor_households": registry_poor,
        "per_household_ms": 1000 * t[0] / max(len(got), 1),
        "disagree": len(disagree),
        "ibis_seconds": ti[0],
        "ibis_households": len(ibis_got),
        "ibis_per_household_ms": 1000 * ti[0] / max(len(ibis_got), 1),
        "ibis_disagree": len(disagree_ibis),
        "ibis_disagree_first": [(pk, ibis_got[pk], codes_of[pk]) for pk in disagree_ibis[:3]],
    }


# =============================================================================================
# phases
# =============================================================================================


def phase_sqlite(a: argparse.Namespace) -> dict[str, Any]:
    _django()
    return sqlite_pairs(a)


def phase_duckdb_copy(a: argparse.Namespace) -> dict[str, Any]:
    _django()
    return duckdb_copy(a)


def phase_duckdb(a: argparse.Namespace) -> dict[str, Any]:
    _django()  # the selectors build the system's inputs (table names from the models)
    return duckdb_pairs(a)


def phase_loop(a: argparse.Namespace) -> dict[str, Any]:
    _django()
    return loop(a)


def _registry_phases() -> dict[str, Any]:
    from bench_registry import phase_generate, phase_import, phase_setup

    return {"generate": phase_generate, "setup": phase_setup, "import": phase_import}


PHASES = {
    "sqlite": phase_sqlite,
    "duckdb_copy": phase_duckdb_copy,
    "duckdb": phase_duckdb,
    "loop": phase_loop,
    "generate": lambda a: _registry_phases()["generate"](a),
    "setup": lambda a: _registry_phases()["setup"](a),
    "import": lambda a: _registry_phases()["import"](a),
}


# =============================================================================================
# orchestration
# =============================================================================================


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--division", default=DIVISION, help="the registry's division")
    parser.add_argument("--county", default=COUNTY, help="the county-sized division")
    parser.add_argument("--year", type=int, default=YEAR)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each query")
    parser.add_argument("--sample", type=int, default=2000, help="households of the loop")
    parser.add_argument(
        "--sample-ibis", type=int, default=200, help="households of household_suggestions"
    )
    parser.add_argument("--loop-budget", type=float, default=60.0, help="seconds per loop")
    parser.add_argument("--threads", type=int, default=0, help="DuckDB threads (0 = default)")
    parser.add_argument("--no-duckdb", action="store_true")
    parser.add_argument(
        "--what-if",
        action="store_true",
        help="also run the proposed change to suggestions_wide (bench-only patch)",
    )
    parser.add_argument("--tmp", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "bench/RESULTS.md")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--flat", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def phase_args(a: argparse.Namespace) -> list[str]:
    return [
        *("--persons", str(a.persons), "--division", a.division, "--county", a.county),
        *("--year", str(a.year), "--seed", str(a.seed), "--repeat", str(a.repeat)),
        *("--sample", str(a.sample), "--sample-ibis", str(a.sample_ibis)),
        *("--loop-budget", str(a.loop_budget), "--threads", str(a.threads)),
        *("--work", str(a.work), "--flat", str(a.flat)),
        *(["--what-if"] if a.what_if else []),
    ]


def main(argv: list[str] | None = None) -> int:
    a = parse(argv)
    if a.phase:
        sys.path.insert(0, str(ROOT / "src"))
        emit(PHASES[a.phase](a))
        return 0
    os.environ.pop("DATABASE_URL", None)  # the registry database is SQLite
    a.work = Path(tempfile.mkdtemp(prefix="fupin-bench-suggest-", dir=a.tmp))
    a.flat = a.work / "flat.parquet"
    log = a.work / "phases.log"
    env = {"FUPIN_HOME": str(a.work / "home"), "PYTHONPATH": str(ROOT / "src")}
    command = " ".join(["python", "bench/bench_measures_suggest.py", *(argv or sys.argv[1:])])
    info = machine()
    say(f"work directory {a.work}; phase output in {log}")
    results: dict[str, PhaseResult] = {}
    try:
        for name in ("generate", "setup", "import", "sqlite"):
            results[name] = run_phase(SCRIPT, name, phase_args(a), env=env, log=log)
        if not a.no_duckdb:
            for name in ("duckdb_copy", "duckdb"):
                results[name] = run_phase(SCRIPT, name, phase_args(a), env=env, log=log)
        results["loop"] = run_phase(SCRIPT, "loop", phase_args(a), env=env, log=log)
    finally:
        if a.keep:
            say(f"kept {a.work}")
        else:
            shutil.rmtree(a.work, ignore_errors=True)
    report = render(a, command, info, results)
    print(report)
    old = a.out.read_text(encoding="utf-8") if a.out.exists() else ""
    if "\n## Notes" in old:  # keep the hand-written notes of an earlier run
        report = report.rstrip("\n") + "\n\n## Notes" + old.split("\n## Notes", 1)[1]
    a.out.write_text(report, encoding="utf-8")
    say(f"written to {a.out}")
    bad = check(results)
    assert not bad, bad
    return 0


def check(results: dict[str, PhaseResult]) -> list[str]:
    """Every disagreement between the system, the hand-written query and the loop."""
    bad = []
    for engine in ("sqlite", "duckdb"):
        if engine not in results:
            continue
        for level, r in results[engine].figures.items():
            if not isinstance(r, dict):
                continue
            if r["bad"] or r["missing"] or r["rows"] != r["rows_other"]:
                bad.append(f"{engine} {level}: {r['bad']} missing {r['missing']}")
    lp = results["loop"].figures
    if lp["disagree"] or lp["ibis_disagree"]:
        bad.append(f"loop disagrees: {lp['disagree']} / {lp['ibis_disagree']}")
    return bad


def _ok(met: bool) -> str:
    return "met" if met else "**missed**"


def render(
    a: argparse.Namespace, command: str, info: dict[str, str], results: dict[str, PhaseResult]
) -> str:
    gen = results["generate"].figures
    imp = results["import"].figures
    lp = results["loop"].figures
    rows = [
        "| engine | division | poor households (persons) | (a) system, best (all runs; "
        "of which compile) | (b) hand-written, best (all runs) | (a) ÷ (b) | equal |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    targets = ["| figure | value | target |", "|---|---:|---|"]
    best_a: dict[tuple[str, str], float] = {}
    for engine in ("sqlite", "duckdb"):
        if engine not in results:
            continue
        f = results[engine].figures
        for level in [k for k in f if isinstance(f[k], dict)]:
            r = f[level]
            where = f"{a.county} (county)" if level.startswith("county") else f"all ({a.division})"
            if level.endswith("what-if"):
                where += ", **what-if: proposed change**"
            eq = (
                f"yes ({fmt_n(r['rows'])} × {len(columns()) - 1})"
                if not r["bad"] and not r["missing"]
                else f"**no** {r['bad']} missing {r['missing']}"
            )
            every_s = ", ".join(fmt_s(x) for x in r["system_s"])
            every_c = fmt_s(min(r["compile_s"]))
            every_r = ", ".join(fmt_s(x) for x in r["raw_s"])
            rows.append(
                f"| {engine} | {where} | {fmt_n(r['poor_households'])} "
                f"({fmt_n(r['persons'])}) | {fmt_s(r['system_best'])} ({every_s}; {every_c}) "
                f"| {fmt_s(r['raw_best'])} ({every_r}) | {r['ratio']:.2f}× | {eq} |"
            )
            best_a[(engine, level)] = r["system_best"]
            if level.endswith("what-if"):
                continue
            targets.append(
                f"| {engine}, {level}: (a) ÷ (b) | {r['ratio']:.2f}× "
                f"| ≤ {RATIO_TARGET:g}×: {_ok(r['ratio'] <= RATIO_TARGET)} |"
            )
    per = lp["per_household_ms"] / 1000
    per_ibis = lp["ibis_per_household_ms"] / 1000
    loop_rows = []
    for level, n in (
        ("county", lp["county_poor_households"]),
        ("registry", lp["registry_poor_households"]),
    ):
        est = per * n
        est_i = per_ibis * n
        for engine in ("sqlite", "duckdb"):
            for key in (level, f"{level}-what-if"):
                if (engine, key) not in best_a:
                    continue
                sys_s = best_a[(engine, key)]
                ratio = est / sys_s
                what = f"{engine}{', what-if' if key.endswith('what-if') else ''}"
                loop_rows.append(
                    f"| {level} | {fmt_n(n)} | {fmt_s(est)} | {what}: {fmt_s(sys_s)} "
                    f"| **{ratio:,.0f}×** | {fmt_s(est_i)} ({est_i / sys_s:,.0f}×) |"
                )
                if key == level:
                    targets.append(
                        f"| {level}: (c) ÷ (a), {engine} | {ratio:,.0f}× "
                        f"| ≥ {LOOP_TARGET:g}×: {_ok(ratio >= LOOP_TARGET)} |"
                    )
    counts = results["sqlite"].figures["county"]["counts"]
    from fupin.policy import measures as pm

    per_rule = ", ".join(
        f"{s.code} {fmt_n(c)}" for s, c in zip(pm.SUGGESTIONS, counts[:-1], strict=True)
    )
    copy = results.get("duckdb_copy")
    duck_note = (
        f"- DuckDB: the three tables copied from the registry database into an in-memory "
        f"DuckDB database ({fmt_n(copy.figures['rows'])} rows, "
        f"{fmt_s(copy.figures['seconds'])}, set-up, not timed); threads: "
        f"{a.threads or 'default (= cores)'}\n"
        if copy
        else ""
    )
    return f"""# Benchmark: plan suggestion (issue 9) at {fmt_n(a.persons)} registry persons

{machine_md(info, extra=f", SQLite {results['sqlite'].figures['sqlite']}")}
- command: `{command}`
- registry: `generate(division="{a.division}", persons={a.persons}, seed={a.seed},
  year={a.year})` ({fmt_n(gen["rows"])} persons, {fmt_s(gen["seconds"])}), imported with
  `registry_import_file` into a fresh SQLite database ({fmt_n(imp["households"])} households,
  {fmt_n(imp["members"])} members, {fmt_n(imp["conditions"])} conditions rows,
  {fmt_s(imp["seconds"])}; set-up, not timed)
- (a) system: `suggestions_wide(suggestion_inputs(division), {a.year})` as
  `fupin.measures.selectors` builds it, compiled by Ibis for the engine; (b) hand-written:
  `bench/raw_measures_suggest.sql`. Both materialised as `CREATE TEMP TABLE … AS` (SQLite
  with the settings' PRAGMAs, `temp_store=MEMORY`), alternating, {a.repeat} runs each; the
  time of (a) includes building and compiling the expression. Equal: every one of the
  {len(columns()) - 1} columns of every household, the same households on both sides
  (asserted).
{duck_note}- (c) per-household loop, SQLite, county {a.county}: for an evenly spread sample of the
  county's poor households, `Household.objects.get`, its `Member`s, its `LivingConditions`,
  then a Python version of the rules (`python_rules` in the script):
  {fmt_n(lp["households"])} of {fmt_n(lp["planned"])} planned households in
  {fmt_s(lp["seconds"])} = {lp["per_household_ms"]:.2f} ms per household; answers equal to
  (a) for all of them ({lp["disagree"]} disagree). The system's own one-household path
  (`household_suggestions`, an Ibis expression compiled per household):
  {fmt_n(lp["ibis_households"])} households in {fmt_s(lp["ibis_seconds"])} =
  {lp["ibis_per_household_ms"]:.1f} ms per household ({lp["ibis_disagree"]} disagree).
  Extrapolated linearly to all poor households of the division.

{chr(10).join(rows)}

| division | poor households | (c) loop, extrapolated | (a) system | (c) ÷ (a) \
| `household_suggestions` per household, extrapolated (÷ (a)) |
|---|---:|---:|---:|---:|---:|
{chr(10).join(loop_rows)}

{chr(10).join(targets)}

Suggestions in county {a.county} (households): {per_rule}.
"""


if __name__ == "__main__":
    sys.exit(main())
