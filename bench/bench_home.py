"""Benchmark the home page (dashboard) on a registry of N persons against an empty database.

    .venv/bin/python bench/bench_home.py --persons 1000000 [--requests 50]
        [--out bench/results/home.md] [--tmp DIR] [--keep]

On SQLite, in one run, for county 513431 (昭觉县) and year 2016:

1. empty — a fresh database (temporary ``FUPIN_HOME``) with the divisions of 513431 and two
   users (national analyst, county office): the home page requested ``--requests`` times
   per user with Django's test ``Client`` (signed in with ``force_login``), p50/p95/max;
2. the same database filled as ``bench_registry.py`` does it: ``generate`` → Parquet →
   ``registry_import_file`` → ``assessment_run`` (set-up, timed for the record only);
3. ``rollups_refresh()`` (full, every level) timed, then again (a rerun on warm caches);
4. the home page again, per user, ``--requests`` times: the same page, now with N persons;
5. incremental: one household registered through ``household_register`` (marks its village
   dirty), then one home-page request, which recomputes that village and its ancestors
   before reading — timed, with ``rollups_refresh_dirty`` alone timed on a second household.

Every phase runs in a child process (``--phase NAME``) with its own peak RSS.
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

from _util import ROOT, PhaseResult, emit, fmt_n, fmt_s, machine, machine_md, run_phase, say, timer

SCRIPT = Path(__file__).resolve()
DIVISION = "513431"
YEAR = 2016
SEED = 20160901
USERS = (("national", "ANALYST", None), ("county", "COUNTY_OFFICE", DIVISION))


def _django() -> None:
    sys.path.insert(0, str(ROOT / "src"))
    from fupin.commands.base import setup_django

    setup_django()


def _timed_requests(n: int) -> dict[str, Any]:
    """Request the home page ``n`` times per user; the first request (cold) is reported apart."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    out: dict[str, Any] = {}
    for username, _, _ in USERS:
        client = Client(HTTP_HOST="localhost")
        client.force_login(get_user_model().objects.get(username=username))
        times = []
        first = None
        for i in range(n + 1):
            t0 = time.perf_counter()
            response = client.get("/")
            elapsed = time.perf_counter() - t0
            assert response.status_code == 200, response.status_code
            if i == 0:
                first = elapsed
            else:
                times.append(elapsed)
        times.sort()
        out[username] = {
            "first_ms": 1000 * (first or 0.0),
            "p50_ms": 1000 * statistics.median(times),
            "p95_ms": 1000 * times[max(0, round(0.95 * len(times)) - 1)],
            "max_ms": 1000 * times[-1],
            "n": len(times),
        }
    return out


def phase_setup(a: argparse.Namespace) -> dict[str, Any]:
    from django.core.management import call_command

    _django()
    from django.contrib.auth import get_user_model

    from fupin.accounts.models import Profile, Role
    from fupin.divisions.services import divisions_load

    with timer() as t:
        call_command("migrate", verbosity=0, interactive=False)
        divisions_load(prefix=a.division)
        for username, role, division in USERS:
            user = get_user_model().objects.create_user(username=username, password="x" * 12)
            Profile.objects.create(user=user, role=Role[role], division_id=division)
    return {"seconds": t[0]}


def phase_empty(a: argparse.Namespace) -> dict[str, Any]:
    _django()
    return {"pages": _timed_requests(a.requests)}


def phase_fill(a: argparse.Namespace) -> dict[str, Any]:
    _django()
    from fupin.assessment.services import assessment_run
    from fupin.registry.imports.services import registry_import_file
    from fupin.registry.models import Household, Member
    from fupin.synth.generator import generate
    from fupin.synth.writers import write_file

    flat = a.work / "flat.parquet"
    with timer() as tg:
        write_file(generate(division=a.division, persons=a.persons, seed=SEED, year=YEAR), flat)
    with timer() as ti:
        report = registry_import_file(path=flat)
    assert report.stored, report.errors[:3]
    with timer() as ta:
        assessment_run(division_code=a.division, year=YEAR)
    flat.unlink()
    return {
        "generate_s": tg[0],
        "import_s": ti[0],
        "assess_s": ta[0],
        "households": Household.objects.count(),
        "persons": Member.objects.count(),
    }


def phase_refresh(a: argparse.Namespace) -> dict[str, Any]:
    _django()
    from fupin.reports.models import DivisionRollup, RollupCount
    from fupin.reports.services import rollups_refresh

    with timer() as t1:
        report = rollups_refresh()
    with timer() as t2:
        rollups_refresh()
    return {
        "seconds": t1[0],
        "rerun_s": t2[0],
        "village_rows": report.villages,
        "rows": DivisionRollup.objects.count(),
        "count_rows": RollupCount.objects.count(),
        "years": list(report.years),
    }


def phase_full(a: argparse.Namespace) -> dict[str, Any]:
    _django()
    return {"pages": _timed_requests(a.requests)}


def _register(code: str, village: str, seq: int) -> None:
    import numpy as np

    from fupin.policy.idnumber import make_ids
    from fupin.registry.services import HouseholdData, MemberData, household_register

    births = np.array([f"1950-0{seq}-0{seq}", f"1951-0{seq}-0{seq}"], dtype="datetime64[D]")
    ids = [str(i) for i in make_ids("513431", births, np.array([997, 998]))]
    household_register(
        village_code=village,
        data=HouseholdData(code=code, main_cause="因病", first_identified_year=YEAR),
        members=[
            MemberData(name="甲", id_number=ids[0], relation="户主", ethnicity="彝族"),
            MemberData(name="乙", id_number=ids[1], relation="配偶", ethnicity="彝族"),
        ],
    )


def phase_incremental(a: argparse.Namespace) -> dict[str, Any]:
    _django()
    from django.contrib.auth import get_user_model
    from django.test import Client

    from fupin.registry.models import Household
    from fupin.reports.services import rollups_refresh_dirty

    village = Household.objects.order_by("id").values_list("village_id", flat=True).first()
    assert village
    client = Client(HTTP_HOST="localhost")
    client.force_login(get_user_model().objects.get(username="county"))
    assert client.get("/").status_code == 200  # warm: imports and caches, as in a live server
    _register("BENCH-0001", village, 1)
    with timer() as tp:
        assert client.get("/").status_code == 200
    _register("BENCH-0002", village, 2)
    with timer() as tr:
        report = rollups_refresh_dirty()
    return {"page_with_dirty_ms": 1000 * tp[0], "refresh_dirty_s": tr[0], "rows": report.rows}


PHASES = {
    "setup": phase_setup,
    "empty": phase_empty,
    "fill": phase_fill,
    "refresh": phase_refresh,
    "full": phase_full,
    "incremental": phase_incremental,
}


def _page_rows(label: str, pages: dict[str, Any]) -> list[str]:
    return [
        f"| {label} | {user} | {p['n']} | {p['p50_ms']:.1f} | {p['p95_ms']:.1f} | "
        f"{p['max_ms']:.1f} | {p['first_ms']:.1f} |"
        for user, p in pages.items()
    ]


def report_md(a: argparse.Namespace, r: dict[str, PhaseResult], m: dict[str, str]) -> str:
    fill, ref, inc = r["fill"].figures, r["refresh"].figures, r["incremental"].figures
    empty, full = r["empty"].figures["pages"], r["full"].figures["pages"]
    ratio = {u: full[u]["p95_ms"] / empty[u]["p95_ms"] for u in full}
    lines = [
        "# Home page (dashboard) with pre-computed rollups",
        "",
        f"`.venv/bin/python bench/bench_home.py --persons {a.persons} --requests {a.requests}`, "
        "SQLite, county 513431, year 2016.",
        "",
        machine_md(m),
        "## Figures",
        "",
        f"Registry: {fmt_n(fill['households'])} households, {fmt_n(fill['persons'])} persons "
        f"(generate {fmt_s(fill['generate_s'])}, import {fmt_s(fill['import_s'])}, assess "
        f"{fmt_s(fill['assess_s'])} — set-up, see `registry.md` for those).",
        "",
        "| database | user | requests | p50 ms | p95 ms | max ms | first request ms |",
        "|---|---|---:|---:|---:|---:|---:|",
        *_page_rows("empty", empty),
        *_page_rows(f"{fmt_n(fill['persons'])} persons", full),
        "",
        "p95 with the registry ÷ p95 on the empty database: "
        + ", ".join(f"{u} {v:.2f}×" for u, v in ratio.items())
        + ".",
        "",
        "| refresh | seconds |",
        "|---|---:|",
        f"| `rollups_refresh()` — every village, every level ({fmt_n(ref['village_rows'])} "
        f"village rows, {fmt_n(ref['rows'])} rollup rows, {fmt_n(ref['count_rows'])} breakdown "
        f"rows) | {ref['seconds']:.2f} |",
        f"| the same again (warm cache) | {ref['rerun_s']:.2f} |",
        f"| `rollups_refresh_dirty()` after one household registered (its village and 5 "
        f"ancestors, {inc['rows']} rows) | {inc['refresh_dirty_s']:.3f} |",
        f"| home page request that first recomputes one dirty village (county user) | "
        f"{inc['page_with_dirty_ms'] / 1000:.3f} |",
        "",
        "Peak RSS per phase (MiB): "
        + ", ".join(f"{k} {v.figures['peak_rss_mb']:.0f}" for k, v in r.items())
        + ".",
        "",
        "## Notes",
        "",
        "- The page reads only `reports_divisionrollup` / `reports_rollupcount` rows (one row "
        "for the division, its breakdowns, one row per child), so its cost does not grow "
        "with the registry; what remains is Django's template rendering and the session.",
        "- Each request runs `rollups_refresh_dirty()` first; with nothing marked it is one "
        "`EXISTS` query.",
        "- p95 is the 95th of the sorted request times (n = requests per user, after one "
        "untimed-in-p95 first request, shown apart).",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--division", default=DIVISION)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "home.md")
    parser.add_argument("--tmp", type=Path, default=None)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    a = parser.parse_args(argv)
    if a.phase:
        emit(PHASES[a.phase](a))
        return 0

    m = machine()
    work = Path(tempfile.mkdtemp(prefix="fupin-bench-home-", dir=a.tmp))
    env = {"FUPIN_HOME": str(work)}
    os.environ.pop("DATABASE_URL", None)
    log = work / "bench.log"
    args = [
        "--persons",
        str(a.persons),
        "--requests",
        str(a.requests),
        "--division",
        a.division,
        "--work",
        str(work),
    ]
    results: dict[str, PhaseResult] = {}
    try:
        for name in ("setup", "empty", "fill", "refresh", "full", "incremental"):
            results[name] = run_phase(SCRIPT, name, args, env=env, log=log)
        text = report_md(a, results, m)
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
