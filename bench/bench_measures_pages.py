"""Benchmark the household page and the overdue lists with a year of measures and visits against
the same pages on the same registry without them (issue 9: p95 no worse than 1.5×).

    .venv/bin/python bench/bench_measures_pages.py --persons 1000000
        [--sample 200] [--rounds 3] [--out bench/results-pages.md] [--tmp DIR] [--keep]

On SQLite, for county 513431 (昭觉县) and registry year 2016, each step in a child process
(``--phase NAME``) with its own peak RSS:

* ``registry`` (set-up, not timed): a fresh database under a temporary ``FUPIN_HOME``,
  ``migrate``, the divisions of 513431, ``generate(...)`` imported with
  ``registry_import_file``, ``rollups_refresh()``, a county-office user and a township
  reviewer. The database file is then copied: ``without`` keeps no measures rows at all.
* ``measures`` (set-up, timed for the record): on the other copy (``with``), from
  :mod:`fupin.measures.bulk`: plans from the suggestion and measures carried out for each of
  ``--years`` years (so ≈ 1 measure row per registry person), cadres and pairings (≤ 5
  households each), visits over the ``--visit-days`` before today (≈ 3 per person), a work
  team per village with attendance; then ``ANALYZE``.
* ``pages`` (timed): Django's test ``Client`` (in-process, no HTTP server; signed in with
  ``force_login``), as the county user and as the township user, GETs the household page
  for an evenly spread sample of poor households of the scope, and the overdue lists
  (first page and a later page of the overdue-visit list), on both databases — ``--rounds``
  rounds alternating with / without, the page order shuffled the same way on both. One
  untimed warm-up of every page first. The SQL queries of one request per page are counted
  with ``CaptureQueriesContext``.

"Without" is the same pages rendered on the database with no measures rows: the household
page still has its measures section (empty), the overdue lists are empty.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _util import ROOT, emit, fmt_n, fmt_s, machine, machine_md, run_phase, say, timer

SCRIPT = Path(__file__).resolve()
DIVISION = "513431"
YEAR = 2016
SEED = 20161001
USERS = (("county", "COUNTY_OFFICE"), ("township", "TOWNSHIP_REVIEWER"))
DBS = ("with", "without")


def _django() -> None:
    sys.path.insert(0, str(ROOT / "src"))
    from fupin.commands.base import setup_django

    setup_django()


def _db_file() -> Path:
    from django.db import connection

    return Path(str(connection.settings_dict["NAME"]))


# -- set-up ---------------------------------------------------------------------------------------


def phase_registry(a: argparse.Namespace) -> dict[str, Any]:
    """A fresh database: divisions, the generated registry, rollups, the two users."""
    from django.core.management import call_command

    _django()
    from django.contrib.auth import get_user_model

    from fupin.accounts.models import Profile, Role
    from fupin.divisions.services import divisions_load
    from fupin.registry.imports.services import registry_import_file
    from fupin.registry.models import Household, Member
    from fupin.reports.services import rollups_refresh
    from fupin.synth.generator import generate
    from fupin.synth.writers import write_file

    call_command("migrate", verbosity=0, interactive=False)
    divisions_load(prefix=DIVISION)
    flat = a.work / "flat.parquet"
    with timer() as tg:
        write_file(generate(division=DIVISION, persons=a.persons, seed=SEED, year=YEAR), flat)
    with timer() as ti:
        report = registry_import_file(path=flat)
    assert report.stored, report.errors[:3]
    flat.unlink()
    with timer() as tr:
        rollups_refresh()
    # The township of the sample: the one with the most poor households.
    from django.db.models import Count
    from django.db.models.functions import Substr

    township = (
        Household.objects.filter(status="poor")
        .annotate(t=Substr("village_id", 1, 9))
        .values("t")
        .annotate(n=Count("id"))
        .order_by("-n", "t")
        .values_list("t", flat=True)
        .first()
    )
    assert township
    for (username, role), division in zip(USERS, (DIVISION, township), strict=True):
        user = get_user_model().objects.create_user(username=username, password="x" * 12)
        Profile.objects.create(user=user, role=Role[role], division_id=division)
    return {
        "generate_s": tg[0],
        "import_s": ti[0],
        "rollups_s": tr[0],
        "households": Household.objects.count(),
        "poor_households": Household.objects.filter(status="poor").count(),
        "persons": Member.objects.count(),
        "township": township,
        "db": str(_db_file()),
    }


def phase_measures(a: argparse.Namespace) -> dict[str, Any]:
    """A year (and the years before it) of measures, pairings, visits and teams on ``with``."""
    _django()
    from datetime import date

    from django.db import connection
    from django.utils import timezone

    from fupin.measures import bulk
    from fupin.measures.models import Cadre, Measure, Pairing, Plan, Visit, WorkTeam

    today = timezone.localdate()
    first = YEAR - a.years + 1
    out: dict[str, Any] = {}
    with timer() as tp:
        for year in range(first, YEAR + 1):
            bulk.plans_from_suggestions(division_code=DIVISION, year=year)
    with timer() as tc:
        bulk.cadres_generate(
            county_code=DIVISION, year=first, seed=SEED + 1, start=date(first, 1, 1)
        )
    with timer() as tm:
        for year in range(first, YEAR + 1):
            bulk.measures_generate(division_code=DIVISION, year=year, seed=SEED + year, today=today)
    with timer() as tv:
        bulk.visits_generate(county_code=DIVISION, seed=SEED + 2, today=today, days=a.visit_days)
    with timer() as tt:
        bulk.teams_generate(county_code=DIVISION, year=YEAR, seed=SEED + 3, today=today)
    with timer() as ta, connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    out.update(
        plans_s=tp[0],
        cadres_s=tc[0],
        measures_s=tm[0],
        visits_s=tv[0],
        teams_s=tt[0],
        analyze_s=ta[0],
        plans=Plan.objects.count(),
        measures=Measure.objects.count(),
        cadres=Cadre.objects.count(),
        pairings=Pairing.objects.count(),
        visits=Visit.objects.count(),
        teams=WorkTeam.objects.count(),
        years=f"{first}–{YEAR}",
    )
    return out


# -- timed pages ----------------------------------------------------------------------------------


def sample_households(scope: str, n: int) -> list[str]:
    """An evenly spread sample of ``n`` poor households (by code) under ``scope``."""
    from fupin.divisions.selectors import subtree_q
    from fupin.registry.models import Household

    codes = list(
        Household.objects.filter(subtree_q(scope, field="village__code"), status="poor")
        .order_by("code")
        .values_list("code", flat=True)
    )
    if len(codes) <= n:
        return codes
    step = len(codes) / n
    return [codes[int(i * step)] for i in range(n)]


def page_urls(scope: str, codes: list[str], later: int, repeat: int) -> dict[str, list[str]]:
    """The pages requested by one user in a round: kind → URLs (an overdue page ``repeat``
    times)."""
    from django.urls import reverse

    overdue = reverse("web:measures_overdue")
    q = f"?division={scope}&year={YEAR}"
    return {
        "household": [reverse("web:household_detail", args=[c]) for c in codes],
        "overdue p1": [overdue + q] * repeat,
        f"overdue p{later}": [overdue + q + f"&vp={later}&up={later}&mp={later}"] * repeat,
    }


def _pct(times: list[float], p: float) -> float:
    s = sorted(times)
    return s[max(0, round(p * len(s)) - 1)]


def phase_pages(a: argparse.Namespace) -> dict[str, Any]:
    """Both databases in one process (two Django database aliases would need the settings'
    cooperation; instead the default connection's NAME is switched between rounds)."""
    _django()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from fupin.accounts.models import Profile

    dbs = {"with": a.db_with, "without": a.db_without}

    def use(name: str) -> None:
        connection.close()
        connection.settings_dict["NAME"] = str(dbs[name])

    use("without")
    users = {}
    for username, _ in USERS:
        user = get_user_model().objects.get(username=username)
        scope = Profile.objects.get(user=user).division_id or ""
        users[username] = (user, scope)
    # Same sample on both databases (the registry is the same file).
    plan: list[tuple[str, str, str]] = []  # (user, kind, url)
    for username, (_user, scope) in users.items():
        codes = sample_households(scope, a.sample)
        for kind, urls in page_urls(scope, codes, a.later, a.repeat).items():
            plan += [(username, kind, u) for u in urls]
    clients: dict[str, dict[str, Client]] = {}
    for db in DBS:
        use(db)
        clients[db] = {}
        for username, (user, _scope) in users.items():
            c = Client(HTTP_HOST="localhost")
            c.force_login(user)  # a session row in this database
            clients[db][username] = c
    times: dict[str, dict[tuple[str, str], list[float]]] = {db: {} for db in DBS}
    queries: dict[str, dict[tuple[str, str], list[int]]] = {db: {} for db in DBS}
    statuses: dict[str, dict[int, int]] = {db: {} for db in DBS}
    sizes: dict[str, dict[tuple[str, str], int]] = {db: {} for db in DBS}
    # Warm-up (untimed) and query counts: one request of every page on each database.
    for db in DBS:
        use(db)
        for username, kind, url in dict.fromkeys(plan):
            connection.queries_log.clear()  # a deque of at most 9000: full, it counts 0
            with CaptureQueriesContext(connection) as ctx:
                r = clients[db][username].get(url)
            statuses[db][r.status_code] = statuses[db].get(r.status_code, 0) + 1
            queries[db].setdefault((username, kind), []).append(len(ctx.captured_queries))
            sizes[db][(username, kind)] = max(sizes[db].get((username, kind), 0), len(r.content))
    rng = random.Random(SEED)
    for rnd in range(a.rounds):
        order = plan[:]
        rng.shuffle(order)
        for db in DBS if rnd % 2 == 0 else DBS[::-1]:
            use(db)
            for username, kind, url in order:
                t0 = time.perf_counter()
                r = clients[db][username].get(url)
                elapsed = time.perf_counter() - t0
                assert r.status_code == 200, (db, url, r.status_code)
                times[db].setdefault((username, kind), []).append(elapsed)
        say(f"round {rnd + 1}/{a.rounds} done")
        if a.work is not None:  # what is measured so far, should the run be cut short
            partial = {db: {" ".join(k): v for k, v in t.items()} for db, t in times.items()}
            (a.work / "pages-partial.json").write_text(json.dumps(partial))
    rows = []
    for username, kind in dict.fromkeys((u, k) for u, k, _ in plan):
        row: dict[str, Any] = {"user": username, "page": kind}
        for db in DBS:
            t = times[db][(username, kind)]
            q = queries[db][(username, kind)]
            row[db] = {
                "n": len(t),
                "p50_ms": 1000 * statistics.median(t),
                "p95_ms": 1000 * _pct(t, 0.95),
                "max_ms": 1000 * max(t),
                "queries_min": min(q),
                "queries_max": max(q),
                "kib": sizes[db][(username, kind)] / 1024,
            }
        row["ratio_p95"] = row["with"]["p95_ms"] / row["without"]["p95_ms"]
        rows.append(row)
    use("with")
    return {
        "rows": rows,
        "statuses": {db: {str(k): v for k, v in s.items()} for db, s in statuses.items()},
        "scopes": {u: s for u, (_x, s) in users.items()},
        "sample": {u: sum(1 for uu, k, _ in plan if uu == u and k == "household") for u in users},
    }


PHASES = {"registry": phase_registry, "measures": phase_measures, "pages": phase_pages}


# -- orchestration and write-up -------------------------------------------------------------------


def run(a: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Every phase in order; return their figures (the functions the smoke test also uses).

    The benchmark compares two SQLite files; a ``DATABASE_URL`` in the environment (the
    PostgreSQL test run) must not reach the phases."""
    url = os.environ.pop("DATABASE_URL", None)
    try:
        return _run(a, work)
    finally:
        if url is not None:
            os.environ["DATABASE_URL"] = url


def _run(a: argparse.Namespace, work: Path) -> dict[str, Any]:
    log = work / "bench.log"
    common = ["--persons", str(a.persons), "--sample", str(a.sample), "--rounds", str(a.rounds)]
    common += ["--years", str(a.years), "--visit-days", str(a.visit_days)]
    common += ["--later", str(a.later), "--repeat", str(a.repeat)]
    home_without, home_with = work / "without", work / "with"
    home_without.mkdir(parents=True, exist_ok=True)
    reg = run_phase(
        SCRIPT,
        "registry",
        [*common, "--work", str(home_without)],
        env={"FUPIN_HOME": str(home_without)},
        log=log,
    )
    db_without = Path(reg.figures["db"])
    shutil.copytree(home_without, home_with, dirs_exist_ok=True)
    db_with = home_with / db_without.relative_to(home_without)
    with sqlite3.connect(db_without) as con:
        con.execute("ANALYZE")
    mea = run_phase(
        SCRIPT,
        "measures",
        [*common, "--work", str(home_with)],
        env={"FUPIN_HOME": str(home_with)},
        log=log,
    )
    pages = run_phase(
        SCRIPT,
        "pages",
        [*common, "--work", str(work), "--db-with", str(db_with), "--db-without", str(db_without)],
        env={"FUPIN_HOME": str(home_with)},
        log=log,
    )
    return {
        "registry": reg.figures,
        "measures": mea.figures,
        "pages": pages.figures,
        "sizes_mb": {
            "with": db_with.stat().st_size / 2**20,
            "without": db_without.stat().st_size / 2**20,
        },
    }


def report_md(a: argparse.Namespace, r: dict[str, Any], m: dict[str, str], cmd: str) -> str:
    reg, mea, pg = r["registry"], r["measures"], r["pages"]
    worst = max(row["ratio_p95"] for row in pg["rows"])
    verdict = "met" if worst <= 1.5 else "missed"
    lines = [
        "# Household page and overdue lists with and without measures (issue 9)",
        "",
        machine_md(m),
        f"- command: `{cmd}`",
        "- engine: SQLite (file under a temporary `FUPIN_HOME`); requests through Django's test "
        "`Client` in-process (no HTTP server, no network), signed in with `force_login`",
        "",
        f"Registry (set-up, not timed): {fmt_n(reg['households'])} households, "
        f"{fmt_n(reg['poor_households'])} poor, {fmt_n(reg['persons'])} persons of 513431, "
        f"year {YEAR} (generate {fmt_s(reg['generate_s'])}, `registry_import_file` "
        f"{fmt_s(reg['import_s'])}, `rollups_refresh` {fmt_s(reg['rollups_s'])}).",
        "",
        f"`with` = a copy of that database plus, from `fupin.measures.bulk`, plans and measures of "
        f"{mea['years']} ({fmt_n(mea['plans'])} plans, **{fmt_n(mea['measures'])} measures**), "
        f"{fmt_n(mea['cadres'])} cadres, {fmt_n(mea['pairings'])} pairings, "
        f"**{fmt_n(mea['visits'])} visits** over the {a.visit_days} days before today, "
        f"{fmt_n(mea['teams'])} work teams (set-up: plans {fmt_s(mea['plans_s'])}, measures "
        f"{fmt_s(mea['measures_s'])}, cadres {fmt_s(mea['cadres_s'])}, visits "
        f"{fmt_s(mea['visits_s'])}, teams {fmt_s(mea['teams_s'])}); database "
        f"{r['sizes_mb']['with']:.0f} MiB. `without` = the same registry with **no measures rows"
        f" at all** ({r['sizes_mb']['without']:.0f} MiB): the household page still renders its "
        "measures section (empty), the overdue lists render empty. Both `ANALYZE`d.",
        "",
        f"Pages: the household page (`web:household_detail`) of an evenly spread sample of poor "
        f"households of the user's scope ({pg['sample']['county']} for the county user "
        f"{pg['scopes']['county']}, {pg['sample']['township']} for the township user "
        f"{pg['scopes']['township']}), and `web:measures_overdue` (year {YEAR}) page 1 and page "
        f"{a.later} of its lists ({a.repeat} requests each a round); {a.rounds} rounds "
        "alternating with / without (the order of the pages shuffled, the same on both), after "
        "one untimed warm-up request of every page.",
        "",
        "| user | page | n | with p50 | with p95 | with max | without p50 | without p95 "
        "| without max | **p95 ratio** | SQL queries with / without |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in pg["rows"]:
        w, o = row["with"], row["without"]

        def q(x: dict[str, Any]) -> str:
            lo, hi = x["queries_min"], x["queries_max"]
            return str(lo) if lo == hi else f"{lo}–{hi}"

        lines.append(
            f"| {row['user']} | {row['page']} | {w['n']} | {w['p50_ms']:.1f} | {w['p95_ms']:.1f} "
            f"| {w['max_ms']:.1f} | {o['p50_ms']:.1f} | {o['p95_ms']:.1f} | {o['max_ms']:.1f} "
            f"| **{row['ratio_p95']:.2f}×** | {q(w)} / {q(o)} |"
        )
    lines += [
        "",
        "Times in ms per request (Django's whole request: middleware, session, views, "
        "templates). p95 is the 95th of the sorted times.",
        "",
        f"**Verdict:** worst p95 ratio {worst:.2f}× — target ≤ 1.5×: **{verdict}**.",
        "",
        f"Status codes of the warm-up requests: {json.dumps(pg['statuses'])}. Peak RSS of the "
        f"page phase {pg['peak_rss_mb']:.0f} MiB.",
        "",
    ]
    return "\n".join(lines)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=200, help="households per user")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--years", type=int, default=5, help="years of plans and measures")
    parser.add_argument("--visit-days", type=int, default=660, help="days of visits")
    parser.add_argument("--later", type=int, default=5, help="the later page of the lists")
    parser.add_argument("--repeat", type=int, default=5, help="overdue requests per round")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results-pages.md")
    parser.add_argument("--tmp", type=Path, default=None)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--db-with", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--db-without", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    a = parse(argv)
    if a.phase:
        emit(PHASES[a.phase](a))
        return 0
    m = machine()
    os.environ.pop("DATABASE_URL", None)
    work = Path(tempfile.mkdtemp(prefix="fupin-bench-pages-", dir=a.tmp))
    cmd = (
        f".venv/bin/python bench/bench_measures_pages.py --persons {a.persons} --sample "
        f"{a.sample} --rounds {a.rounds} --years {a.years} --visit-days {a.visit_days}"
    )
    try:
        started = time.perf_counter()
        r = run(a, work)
        text = report_md(a, r, m, cmd)
        text += f"Whole run {fmt_s(time.perf_counter() - started)}.\n"
        a.out.write_text(text, encoding="utf-8")
        (a.out.with_suffix(".json")).write_text(json.dumps(r, indent=1, default=str))
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
