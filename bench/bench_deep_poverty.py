"""Benchmark the deep-poverty indicators, the FGT/Gini profile and the MPI of every county and
village of the national flat Parquet registry, system (Ibis on DuckDB) beside hand-written
DuckDB SQL (``bench/raw_deep_poverty.sql``) — issue 11, "Scale and speed".

    .venv/bin/python bench/bench_deep_poverty.py [--households 29500000 | --persons N]
        [--file china.parquet] [--repeat 2] [--tmp /tmp] [--keep]
        [--out bench/results/deep_poverty.md]

Phases (each in a child process reporting its own peak RSS, ``_util.run_phase``):

* ``generate`` — the national flat file (``bench_registry.phase_generate``), unless ``--file``;
* ``facts`` — a village-facts Parquet (one row per village code of the file, the columns of
  ``deep_poverty.SCHEMAS["village"]``, deterministic pseudo-random values from ``hash()`` with
  some blanks; 1 % of the villages carry the previous year only, so they are "not recorded")
  and a county-statistics Parquet (``SCHEMAS["county"]``), so that every join is exercised;
* ``dp_system`` / ``dp_raw`` — ``deep_poverty.indicators`` over
  ``fupin.analysis.flat.flat_inputs`` vs the ``deep_poverty`` section, per county and
  per village, each written to Parquet (``COPY … TO``) so both are materialised the same way;
* ``profile_system`` / ``profile_raw`` — ``indices.poverty_profile`` (n, q, P0–P2, Watts, Sen,
  SST, gap total, Gini) of the households' per-capita income weighted by size, per county and
  per village, vs the ``profile`` section;
* ``mpi_system`` / ``mpi_raw`` — ``mpi.mpi_table`` (the registry's default indicator set over
  the ``household-standard@2016`` facts of ``fupin.assessment.adapters.flat_inputs``) per
  county, vs the ``mpi`` section;
* ``compare`` — every column of every area of each pair equal within 1e-9 (relative, absolute
  below 1), the same areas on both sides (asserted).

System and raw queries run alternately ``--repeat`` times with the same DuckDB settings (the
assessment path's ``disabled_optimizers = 'partitioned_execution'`` by default, ``--threads``);
the ratio uses the best run of each.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any, cast

from _util import (
    ROOT,
    PhaseResult,
    emit,
    file_mb,
    fmt_n,
    fmt_s,
    machine,
    machine_md,
    run_phase,
    say,
    timer,
)
from bench_registry import SEED, YEAR, phase_generate

SCRIPT = Path(__file__).resolve()
RAW = Path(__file__).resolve().parent / "raw_deep_poverty.sql"
TIME_TARGET_S = 30.0
RSS_TARGET_MB = 12 * 1024.0
RATIO_TARGET = 2.0
TOLERANCE = 1e-9
LEVELS = {"county": 6, "village": 12}
#: The DuckDB setting of ``assess_flat_file`` (src/fupin/assessment/services.py).
DEFAULT_DISABLE = "partitioned_execution"


# =============================================================================================
# helpers
# =============================================================================================


def raw_section(name: str, **values: object) -> str:
    """The section ``-- name: <name>`` of raw_deep_poverty.sql with its placeholders filled."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in RAW.read_text(encoding="utf-8").splitlines():
        if line.startswith("-- name: "):
            current = sections.setdefault(line.removeprefix("-- name: ").strip(), [])
        elif current is not None:
            current.append(line)
    return "\n".join(sections[name]).strip().rstrip(";").format(**values)


def settings_sql(a: argparse.Namespace) -> list[str]:
    """The DuckDB settings every query phase (system and raw) runs with."""
    out = []
    if a.duckdb_disable:
        out.append(f"SET disabled_optimizers = '{a.duckdb_disable}'")
    if a.threads:
        out.append(f"SET threads = {int(a.threads)}")
    return out


def out_path(a: argparse.Namespace, what: str, side: str, level: str) -> Path:
    return Path(a.work) / f"{what}-{side}-{level}.parquet"


def one(cur: Any) -> tuple[Any, ...]:
    row = cur.fetchone()
    assert row is not None
    return tuple(row)


def line_of(year: int) -> float:
    from fupin.policy.parameters import DEFAULT_PARAMETERS as p

    assert not p.regional_lines(year), "regional lines are not in the hand-written SQL"
    return float(p.national_line(year).amount)


def sql_values(a: argparse.Namespace, level: str) -> dict[str, object]:
    import datetime as dt

    from fupin.policy.indices.mpi import DEFAULT_K
    from fupin.policy.indices.mpi import TOLERANCE as MPI_TOL
    from fupin.policy.parameters import DEFAULT_PARAMETERS as p

    ref = (p.age_reference_month, p.age_reference_day)
    return {
        "path": a.flat,
        "villages": a.work / "villages.parquet",
        "counties": a.work / "counties.parquet",
        "year": a.year,
        "digits": LEVELS[level],
        # DOUBLE literals (2952.0 alone would be a DECIMAL in DuckDB)
        "line": f"{line_of(a.year)!r}e0",
        "born_after": dt.date(a.year - p.school_age_max - 1, *ref).strftime("%Y%m%d"),
        "born_by": dt.date(a.year - p.school_age_min, *ref).strftime("%Y%m%d"),
        "k_low": f"{DEFAULT_K - MPI_TOL!r}",
    }


def _django(a: argparse.Namespace) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fupin.config.settings")
    import django

    django.setup()


def _ibis_con(a: argparse.Namespace) -> Any:
    import ibis

    con = ibis.duckdb.connect()
    for stmt in settings_sql(a):
        con.raw_sql(stmt)
    return con


def _raw_con(a: argparse.Namespace) -> Any:
    import duckdb

    con = duckdb.connect()
    for stmt in settings_sql(a):
        con.execute(stmt)
    return con


def _rows(con: Any, path: Path) -> int:
    return int(one(con.execute(f"SELECT count(*) FROM read_parquet('{path}')"))[0])


# =============================================================================================
# phases (each in its own child process)
# =============================================================================================

FACTS_SQL = """
COPY (
    WITH v AS (
        SELECT village_code AS village_id, count(*) AS persons
        FROM read_parquet('{path}') GROUP BY village_code
    ),
    r AS (
        SELECT village_id, persons,
               hash(village_id || ':a') AS a, hash(village_id || ':b') AS b,
               hash(village_id || ':c') AS c, hash(village_id || ':d') AS d
        FROM v
    )
    SELECT
        village_id,
        CAST(CASE WHEN a % 100 = 0 THEN {year} - 1 ELSE {year} END AS BIGINT) AS year,
        CAST(CASE WHEN b % 40 = 0 THEN NULL
                  ELSE persons * (1 + b % 4) + (c % 50) END AS BIGINT) AS population,
        CASE WHEN a % 37 = 0 THEN NULL ELSE a % 7 <> 0 END AS road_hardened,
        CAST(CASE WHEN b % 53 = 0 THEN NULL ELSE 1 + c % 12 END AS BIGINT) AS natural_villages,
        CAST(CASE WHEN d % 41 = 0 THEN NULL ELSE (c % 12) * (d % 5) // 4 END AS BIGINT)
            AS natural_villages_road,
        CASE WHEN b % 31 = 0 THEN NULL ELSE b % 19 <> 0 END AS power_grid,
        CASE WHEN c % 29 = 0 THEN NULL ELSE c % 4 <> 0 END AS broadband,
        CASE WHEN d % 43 = 0 THEN NULL ELSE d % 9 <> 0 END AS mobile_signal,
        CASE WHEN a % 47 = 0 THEN NULL ELSE a % 5 <> 0 END AS clinic_qualified_doctor,
        CASE WHEN c % 59 = 0 THEN NULL ELSE c % 3 <> 0 END AS cultural_room,
        CASE WHEN d % 61 = 0 THEN NULL ELSE CAST(50 + d % 51 AS DOUBLE) END AS safe_water_share,
        CASE WHEN a % 67 = 0 THEN NULL ELSE CAST(b % 200000 AS DOUBLE) / 4 END
            AS collective_income
    FROM r
) TO '{villages}' (FORMAT parquet)
"""

COUNTIES_SQL = """
COPY (
    WITH c AS (
        SELECT substr(village_id, 1, 6) AS county_id, sum(population) AS population
        FROM read_parquet('{villages}') GROUP BY 1
    )
    SELECT
        county_id,
        CAST(CASE WHEN hash(county_id || ':y') % 50 = 0 THEN {year} - 1 ELSE {year} END
             AS BIGINT) AS year,
        CASE WHEN hash(county_id || ':i') % 25 = 0 THEN NULL
             ELSE CAST(6000 + hash(county_id || ':j') % 8000 AS DOUBLE) END
             AS rural_disposable_income,
        CAST(CASE WHEN hash(county_id || ':p') % 30 = 0 THEN NULL
                  ELSE population * (10 + hash(county_id || ':q') % 6) // 10 END AS BIGINT)
             AS rural_population
    FROM c
) TO '{counties}' (FORMAT parquet)
"""


def phase_facts(a: argparse.Namespace) -> dict[str, Any]:
    """Village facts and county statistics for the file's villages (not timed against)."""
    con = _raw_con(a)
    v = sql_values(a, "county")
    with timer() as t:
        con.execute(FACTS_SQL.format(**v))
        con.execute(COUNTIES_SQL.format(**v))
    return {
        "seconds": t[0],
        "villages": _rows(con, a.work / "villages.parquet"),
        "counties": _rows(con, a.work / "counties.parquet"),
    }


def dp_expr(a: argparse.Namespace, con: Any, level: str) -> Any:
    from fupin.analysis.flat import flat_inputs
    from fupin.policy import deep_poverty as dp

    flat = con.read_parquet(str(a.flat))
    villages = con.read_parquet(str(a.work / "villages.parquet"))
    counties = con.read_parquet(str(a.work / "counties.parquet"))
    inputs = flat_inputs(flat, villages=villages, counties=counties)
    return dp.indicators(inputs, a.year, cast(dp.Level, level))  # county or village


def phase_dp_system(a: argparse.Namespace) -> dict[str, Any]:
    _django(a)
    con = _ibis_con(a)
    out = out_path(a, "dp", "system", a.level)
    with timer() as t:
        con.to_parquet(dp_expr(a, con, a.level), str(out))
    return {"seconds": t[0], "rows": _rows(con.con, out)}


def fused_households_frame(flat: Any, year: int, level: str) -> Any:
    """What-if (bench only): ``deep_poverty.households_frame`` computed from ONE grouped pass
    over the flat file — the household, income and conditions facts are the head's row of the
    same file, so the three self-joins on household_code of ``flat_inputs`` are not needed.
    Same columns, same definitions (elderly from the same parsed birth date)."""
    import ibis

    from fupin.policy import deep_poverty as dp
    from fupin.registry.imports.columns import INCOME_ITEMS

    f = flat.filter(flat.status != "removed", flat.first_identified_year <= year)
    head = f.relation == "head"

    def money(name: str) -> Any:
        return f[name].cast("float64").fill_null(0)

    net = sum((money(n) for n in INCOME_ITEMS), ibis.literal(0.0)) - money("operating_cost")
    this_year = f.income_year.cast("int64") == year
    birth = f.id_number.cast("string").substr(6, 8).as_date("%Y%m%d")
    g = f.group_by(hid=f.household_code).aggregate(
        heads=head.cast("int64").sum(),
        persons=f.count(),
        elderly=((ibis.literal(year) - birth.year()) >= 60).cast("int64").sum(),
        village_id=f.village_code.cast("string").arbitrary(where=head),
        status=f.status.arbitrary(where=head),
        attribute=f.attribute.arbitrary(where=head),
        main_cause=f.main_cause.arbitrary(where=head),
        net=ibis.ifelse(this_year, net, ibis.null("float64")).arbitrary(where=head),
        size=ibis.ifelse(this_year, f.household_size.cast("int64"), ibis.null("int64")).arbitrary(
            where=head
        ),
        grade=f.house_grade.cast("string").strip().nullif("").arbitrary(where=head),
        water_safe=f.water_safe.cast("boolean").arbitrary(where=head),
        road=f.road_type.cast("string").strip().nullif("").arbitrary(where=head),
    )
    j = g.filter(g.heads > 0)
    poor = j.status.isin(["poor", "returned"])
    return j.select(
        area=j.village_id.substr(0, dp.LEVEL_DIGITS[level]),
        village=j.village_id,
        poor=poor.cast("int64"),
        persons=j.persons,
        elderly=j.elderly.fill_null(0),
        net=j.net,
        size=j.size.cast("float64"),
        pc_income=ibis.ifelse(j.size > 0, j.net / j.size, ibis.null("float64")),
        welfare=j.attribute.isin(["dibao", "tekun"]).cast("int64"),
        illness=j.main_cause.isin(["illness", "disability"]).cast("int64"),
        unsafe_house=dp._flag(j.grade.isin(["C", "D"]), j.grade.notnull()),
        unsafe_water=dp._lacking(j.water_safe),
        unhardened=dp._flag(j.road.isin(["dirt", "gravel"]), j.road.notnull()),
    )


def phase_dp_fused(a: argparse.Namespace) -> dict[str, Any]:
    """What-if: ``indicators`` with :func:`fused_households_frame` patched in (bench only)."""
    _django(a)
    from fupin.policy import deep_poverty as dp

    con = _ibis_con(a)
    out = out_path(a, "dp_fused", "system", a.level)
    original = dp.households_frame
    try:
        with timer() as t:
            flat = con.read_parquet(str(a.flat))
            # Patched for this phase only: the test suite calls the phase in its own process,
            # and every later test must see the real definition.
            dp.households_frame = lambda _inputs, year, level: fused_households_frame(  # type: ignore[assignment]
                flat, year, level
            )
            con.to_parquet(dp_expr(a, con, a.level), str(out))
    finally:
        dp.households_frame = original
    return {"seconds": t[0], "rows": _rows(con.con, out)}


def phase_dp_raw(a: argparse.Namespace) -> dict[str, Any]:
    con = _raw_con(a)
    out = out_path(a, "dp", "raw", a.level)
    with timer() as t:
        sql = raw_section("deep_poverty", **sql_values(a, a.level))
        con.execute(f"COPY ({sql}) TO '{out}' (FORMAT parquet)")
    return {"seconds": t[0], "rows": _rows(con, out)}


def profile_expr(a: argparse.Namespace, con: Any, level: str) -> Any:
    """Per-capita income of each household (the head's row, as ``flat_inputs`` computes net
    income), weighted by its size, grouped by the level's area key."""
    import ibis

    from fupin.policy.indices import poverty_profile
    from fupin.registry.imports.columns import INCOME_ITEMS

    flat = con.read_parquet(str(a.flat))
    h = flat.filter(
        flat.relation == "head",
        flat.status != "removed",
        flat.first_identified_year <= a.year,
        flat.income_year == a.year,
        flat.household_size > 0,
    )

    def money(name: str) -> Any:
        return h[name].cast("float64").fill_null(0)

    net = sum((money(n) for n in INCOME_ITEMS), ibis.literal(0.0)) - money("operating_cost")
    t = h.select(
        area=h.village_code.substr(0, LEVELS[level]),
        y=net / h.household_size.cast("float64"),
        w=h.household_size.cast("float64"),
    )
    return poverty_profile(t, income="y", line=line_of(a.year), weight="w", by="area")


def phase_profile_system(a: argparse.Namespace) -> dict[str, Any]:
    _django(a)
    con = _ibis_con(a)
    out = out_path(a, "profile", "system", a.level)
    with timer() as t:
        con.to_parquet(profile_expr(a, con, a.level), str(out))
    return {"seconds": t[0], "rows": _rows(con.con, out)}


def phase_profile_raw(a: argparse.Namespace) -> dict[str, Any]:
    con = _raw_con(a)
    out = out_path(a, "profile", "raw", a.level)
    with timer() as t:
        sql = raw_section("profile", **sql_values(a, a.level))
        con.execute(f"COPY ({sql}) TO '{out}' (FORMAT parquet)")
    return {"seconds": t[0], "rows": _rows(con, out)}


def mpi_expr(a: argparse.Namespace, con: Any) -> Any:
    from fupin.assessment.adapters import flat_inputs, read_flat
    from fupin.policy.indices import mpi
    from fupin.policy.rules.base import Context
    from fupin.policy.rules.household_2016 import facts

    flat = read_flat(con, a.flat)
    heads = flat.filter((flat.relation == "head") & (flat.status != "removed"))
    water = heads.select(household_id=heads.household_code, water_difficult=heads.water_difficult)
    f = facts(flat_inputs(flat), Context(year=a.year))
    table = mpi.household_indicators(f, water, line=None)
    table = table.mutate(county=table.village_id.substr(0, 6))
    spec = mpi.MpiSpec(mpi.REGISTRY_INDICATORS, k=mpi.DEFAULT_K)
    return mpi.mpi_table(table, spec, weight="household_size", by="county")


def phase_mpi_system(a: argparse.Namespace) -> dict[str, Any]:
    _django(a)
    con = _ibis_con(a)
    out = out_path(a, "mpi", "system", "county")
    with timer() as t:
        con.to_parquet(mpi_expr(a, con), str(out))
    return {"seconds": t[0], "rows": _rows(con.con, out)}


def phase_mpi_raw(a: argparse.Namespace) -> dict[str, Any]:
    con = _raw_con(a)
    out = out_path(a, "mpi", "raw", "county")
    with timer() as t:
        sql = raw_section("mpi", **sql_values(a, "county"))
        con.execute(f"COPY ({sql}) TO '{out}' (FORMAT parquet)")
    return {"seconds": t[0], "rows": _rows(con, out)}


#: (what, level, key column) of the pairs compared.
PAIRS = (
    ("dp", "county", "area"),
    ("dp", "village", "area"),
    ("dp_fused", "county", "area"),
    ("dp_fused", "village", "area"),
    ("profile", "county", "g"),
    ("profile", "village", "g"),
    ("mpi", "county", "grp"),
)


def compare_pair(con: Any, system: Path, raw: Path, key: str) -> dict[str, Any]:
    """Mismatching areas per column (relative 1e-9, absolute below 1; NULL only with NULL)."""
    s_cols = [d[0] for d in con.execute(f"DESCRIBE SELECT * FROM '{system}'").fetchall()]
    r_cols = [d[0] for d in con.execute(f"DESCRIBE SELECT * FROM '{raw}'").fetchall()]
    assert s_cols == r_cols, (system.name, s_cols, r_cols)
    parts = [
        f'count(*) FILTER (WHERE s."{key}" IS NULL OR r."{key}" IS NULL) AS "_missing"',
        'count(*) AS "_areas"',
    ]
    for c in s_cols:
        if c == key:
            continue
        sc, rc = f's."{c}"', f'r."{c}"'
        parts.append(
            f"count(*) FILTER (WHERE NOT ({sc} IS NOT DISTINCT FROM {rc} OR "
            f"abs({sc} - {rc}) <= {TOLERANCE} * greatest(1, abs({sc}), abs({rc})))) "
            f'AS "{c}"'
        )
    sql = (
        f"SELECT {', '.join(parts)} FROM read_parquet('{system}') s "
        f'FULL OUTER JOIN read_parquet(\'{raw}\') r ON s."{key}" = r."{key}"'
    )
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    row = dict(zip(names, one(cur), strict=True))
    bad = {k: v for k, v in row.items() if not k.startswith("_") and v}
    return {"areas": row["_areas"], "missing": row["_missing"], "bad": bad, "columns": len(s_cols)}


def phase_compare(a: argparse.Namespace) -> dict[str, Any]:
    import duckdb

    con = duckdb.connect()
    out: dict[str, Any] = {}
    for what, level, key in PAIRS:
        raw_what = "dp" if what == "dp_fused" else what
        s, r = out_path(a, what, "system", level), out_path(a, raw_what, "raw", level)
        if s.exists() and r.exists():
            out[f"{what}-{level}"] = compare_pair(con, s, r, key)
    # A few figures of the national table, for the report.
    dp_c = out_path(a, "dp", "system", "county")
    if dp_c.exists():
        cur = con.execute(
            f"SELECT sum(households), sum(persons), sum(poor_persons), "
            f"count(*) FILTER (WHERE incidence > 0.18), count(incidence), "
            f"count(*) FILTER (WHERE villages_unrecorded > 0) FROM '{dp_c}'"
        )
        h, p, pp, deep, with_inc, gaps = one(cur)
        out["summary"] = {
            "households": h,
            "persons": p,
            "poor_persons": pp,
            "counties_incidence_over_18pct": deep,
            "counties_with_incidence": with_inc,
            "counties_with_village_gaps": gaps,
        }
    dp_v = out_path(a, "dp", "system", "village")
    if dp_v.exists():
        cur = con.execute(
            f"SELECT count(*) FILTER (WHERE incidence > 0.20), count(incidence) FROM '{dp_v}'"
        )
        deep_v, with_v = one(cur)
        out.setdefault("summary", {}).update(
            villages_incidence_over_20pct=deep_v, villages_with_incidence=with_v
        )
    return out


PHASES = {
    "generate": phase_generate,
    "facts": phase_facts,
    "dp_system": phase_dp_system,
    "dp_raw": phase_dp_raw,
    "dp_fused": phase_dp_fused,
    "profile_system": phase_profile_system,
    "profile_raw": phase_profile_raw,
    "mpi_system": phase_mpi_system,
    "mpi_raw": phase_mpi_raw,
    "compare": phase_compare,
}

#: (label, system phase, raw phase, levels) of the timed comparisons.
RUNS = (
    ("deep-poverty indicators", "dp_system", "dp_raw", ("county", "village")),
    ("FGT/Gini profile", "profile_system", "profile_raw", ("county", "village")),
    ("MPI", "mpi_system", "mpi_raw", ("county",)),
)


# =============================================================================================
# orchestration
# =============================================================================================


def persons_for(households: int) -> int:
    sys.path.insert(0, str(ROOT / "src"))
    from fupin.synth import calibration as cal

    return round(households * cal.REGISTRY_PERSONS / cal.REGISTRY_HOUSEHOLDS)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--households", type=int, default=29_500_000)
    parser.add_argument("--persons", type=int, default=0, help="default: from --households")
    parser.add_argument("--file", type=Path, help="reuse this flat Parquet file (no generate)")
    parser.add_argument("--year", type=int, default=YEAR)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--repeat", type=int, default=2, help="runs of each query")
    parser.add_argument("--threads", type=int, default=0, help="DuckDB threads (0 = default)")
    parser.add_argument(
        "--duckdb-disable",
        default=DEFAULT_DISABLE,
        help="DuckDB optimizers off for system and raw alike ('' = none)",
    )
    parser.add_argument(
        "--what-if",
        action="store_true",
        help="also run indicators with the fused household frame (bench-only patch)",
    )
    parser.add_argument("--only", default="", help="comma-separated system phases to run")
    parser.add_argument("--tmp", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "deep_poverty.md")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--flat", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--level", default="county", help=argparse.SUPPRESS)
    parser.add_argument("--division", default="", help=argparse.SUPPRESS)
    a = parser.parse_args(argv)
    a.persons = a.persons or persons_for(a.households)
    return a


def main(argv: list[str] | None = None) -> int:
    a = parse(argv)
    if a.phase:
        sys.path.insert(0, str(ROOT / "src"))
        emit(PHASES[a.phase](a))
        return 0

    a.work = Path(tempfile.mkdtemp(prefix="fupin-bench-dp-", dir=a.tmp))
    a.flat = a.file.resolve() if a.file else a.work / "china.parquet"
    log = a.work / "phases.log"
    env = {
        "FUPIN_HOME": str(a.work / "home"),
        "DJANGO_SETTINGS_MODULE": "fupin.config.settings",
        "PYTHONPATH": str(ROOT / "src"),
    }
    os.environ.pop("DATABASE_URL", None)
    disk = shutil.disk_usage(a.work)
    say(f"work directory {a.work} ({disk.free / 2**30:.0f} GiB free); phase output in {log}")
    command = " ".join(["python", "bench/bench_deep_poverty.py", *(argv or sys.argv[1:])])
    info = machine()
    base = [
        *("--persons", str(a.persons), "--year", str(a.year), "--seed", str(a.seed)),
        *("--threads", str(a.threads), "--duckdb-disable", a.duckdb_disable),
        *("--work", str(a.work), "--flat", str(a.flat)),
    ]
    only = {s for s in a.only.split(",") if s}
    gen: PhaseResult | None = None
    results: dict[tuple[str, str], tuple[list[PhaseResult], list[PhaseResult]]] = {}
    try:
        if not a.file:
            gen = run_phase(SCRIPT, "generate", base, env=env, log=log)
        facts = run_phase(SCRIPT, "facts", base, env=env, log=log)
        for _ in range(a.repeat):
            for _label, system, raw, levels in RUNS:
                if only and system not in only:
                    continue
                for level in levels:
                    s_list, r_list = results.setdefault((system, level), ([], []))
                    extra = [*base, "--level", level]
                    s_list.append(run_phase(SCRIPT, system, extra, env=env, log=log))
                    r_list.append(run_phase(SCRIPT, raw, extra, env=env, log=log))
                    if a.what_if and system == "dp_system":
                        f_list, _ = results.setdefault(("dp_fused", level), ([], r_list))
                        f_list.append(run_phase(SCRIPT, "dp_fused", extra, env=env, log=log))
        compare = run_phase(SCRIPT, "compare", base, env=env, log=log)
    finally:
        if a.keep:
            say(f"kept {a.work}")
        else:
            shutil.rmtree(a.work, ignore_errors=True)
            say(f"deleted {a.work}")
    cmp = compare.figures
    for name, c in pairs(cmp).items():
        print(f"compare {name}: {c}")
    report = render(a, command, info, gen, facts, results, cmp)
    print(report)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    old = a.out.read_text(encoding="utf-8") if a.out.exists() else ""
    if "\n## Notes" in old:
        report = report.rstrip("\n") + "\n\n## Notes" + old.split("\n## Notes", 1)[1]
    a.out.write_text(report, encoding="utf-8")
    say(f"written to {a.out}")
    bad = [n for n, c in pairs(cmp).items() if c["bad"] or c["missing"]]
    assert not bad, f"system and raw differ: {bad}"
    return 0


def pairs(cmp: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The compared pairs of the ``compare`` phase's figures (not its summary or RSS)."""
    return {k: v for k, v in cmp.items() if isinstance(v, dict) and "bad" in v}


def _ok(met: bool) -> str:
    return "met" if met else "**missed**"


def render(
    a: argparse.Namespace,
    command: str,
    info: dict[str, str],
    gen: PhaseResult | None,
    facts: PhaseResult,
    results: dict[tuple[str, str], tuple[list[PhaseResult], list[PhaseResult]]],
    cmp: dict[str, Any],
) -> str:
    labels = {s: label for label, s, _r, _l in RUNS}
    labels["dp_fused"] = "what-if: indicators, fused household frame"
    table = [
        "| what | level | areas | system, best (all runs) | raw SQL, best (all runs) "
        "| system ÷ raw | peak RSS system / raw | equal (areas × columns) |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    targets = ["| figure | value | target |", "|---|---:|---|"]
    total_sys = total_raw = 0.0
    worst_rss = 0.0
    for (system, level), (s_list, r_list) in results.items():
        bs = min(r.figures["seconds"] for r in s_list)
        br = min(r.figures["seconds"] for r in r_list)
        ps = max(r.figures["peak_rss_mb"] for r in s_list)
        pr = max(r.figures["peak_rss_mb"] for r in r_list)
        if system != "dp_fused":  # a what-if, not part of the totals
            total_sys += bs
            total_raw += br
        worst_rss = max(worst_rss, ps)
        what = system.removesuffix("_system")
        c = cmp.get(f"{what}-{level}", {})
        eq = (
            f"yes ({fmt_n(c['areas'])} × {c['columns'] - 1})"
            if c and not c["bad"] and not c["missing"]
            else f"**no**: {c}"
        )
        every_s = ", ".join(fmt_s(r.figures["seconds"]) for r in s_list)
        every_r = ", ".join(fmt_s(r.figures["seconds"]) for r in r_list)
        table.append(
            f"| {labels[system]} | {level} | {fmt_n(s_list[0].figures['rows'])} "
            f"| {fmt_s(bs)} ({every_s}) | {fmt_s(br)} ({every_r}) | {bs / br:.2f}× "
            f"| {ps / 1024:.2f} / {pr / 1024:.2f} GiB | {eq} |"
        )
        targets.append(
            f"| {labels[system]} ({level}): system ÷ raw | {bs / br:.2f}× "
            f"| ≤ {RATIO_TARGET:g}×: {_ok(bs / br <= RATIO_TARGET)} |"
        )
    if results:
        targets += [
            f"| all of them, system (sum of best times) | {fmt_s(total_sys)} "
            f"| ≤ 30 s: {_ok(total_sys <= TIME_TARGET_S)} |",
            f"| all of them, raw SQL (sum of best times) | {fmt_s(total_raw)} | — |",
            f"| all of them, system ÷ raw | {total_sys / total_raw:.2f}× "
            f"| ≤ {RATIO_TARGET:g}×: {_ok(total_sys <= RATIO_TARGET * total_raw)} |",
            f"| largest system peak RSS | {worst_rss / 1024:.2f} GiB "
            f"| ≤ 12 GiB: {_ok(worst_rss <= RSS_TARGET_MB)} |",
        ]
    if gen is not None:
        g = gen.figures
        data = (
            f'`generate(division="", persons={a.persons}, seed={a.seed}, year={a.year})` → '
            f"{fmt_n(g['rows'])} rows × {g['columns']} columns, {g['file_mb'] / 1024:.2f} GiB "
            f"(zstd), generated in {fmt_s(g['seconds'])} (peak RSS "
            f"{g['peak_rss_mb'] / 1024:.2f} GiB)"
        )
    else:
        data = f"`--file {a.file}` ({file_mb(a.flat) / 1024:.2f} GiB)"
    f = facts.figures
    s = cmp.get("summary", {})
    summary = ""
    if s:
        summary = (
            f"\nNational figures (system, county level): {fmt_n(s['households'])} households, "
            f"{fmt_n(s['persons'])} persons, {fmt_n(s['poor_persons'])} poor persons; "
            f"{fmt_n(s['counties_incidence_over_18pct'])} of "
            f"{fmt_n(s['counties_with_incidence'])} counties with an incidence have it above "
            f"18 %; {fmt_n(s['counties_with_village_gaps'])} counties have villages without "
            f"村情 for the year"
        )
        if "villages_incidence_over_20pct" in s:
            summary += (
                f"; {fmt_n(s['villages_incidence_over_20pct'])} of "
                f"{fmt_n(s['villages_with_incidence'])} villages above 20 %"
            )
        summary += ".\n"
    settings = "; ".join(settings_sql(a)) or "DuckDB defaults"
    return f"""# Benchmark: deep-poverty indicators, FGT/Gini and MPI of the national registry

{machine_md(info)}
- command: `{command}`
- data: {data}
- village facts: {fmt_n(f["villages"])} rows (one per village code of the file; 1 % carry only
  the previous year, blanks in every column), county statistics: {fmt_n(f["counties"])} rows;
  written in {fmt_s(f["seconds"])} (not part of any timed figure)
- DuckDB settings, the same for system and raw queries: `{settings}` (the assessment path's
  setting, `src/fupin/assessment/services.py`); threads: {a.threads or "default (= cores)"}
- every query is materialised the same way: written to Parquet with DuckDB's `COPY … TO`
  (Ibis `con.to_parquet` for the system); each runs in its own child process reporting
  `getrusage(RUSAGE_SELF).ru_maxrss`; system and raw alternate, {a.repeat} runs each; the time
  covers building and compiling the Ibis expression (system) and the whole statement, not the
  Python start-up, imports and `django.setup()`
- system: `deep_poverty.indicators(fupin.analysis.flat.flat_inputs(...), {a.year},
  level)`; `indices.poverty_profile(per-capita income, line, weight=household size,
  by=area)`; `mpi.mpi_table(mpi.household_indicators(household_2016.facts(
  adapters.flat_inputs(...))), REGISTRY_INDICATORS, k=1/3, weight=household_size,
  by=county)`. Raw: `bench/raw_deep_poverty.sql`.
- equality: every column of every area, relative tolerance {TOLERANCE:g} (absolute below 1),
  NULL only against NULL, same set of areas (asserted)

| what | level | areas | system, best (all runs) | raw SQL, best (all runs) | system ÷ raw \
| peak RSS system / raw | equal (areas × columns) |
{chr(10).join(table[1:])}

{chr(10).join(targets)}
{summary}"""


if __name__ == "__main__":
    sys.exit(main())
