"""Benchmark the yearly dynamic adjustment of one county: exit proposals and one step for all.

    .venv/bin/python bench/bench_workflows.py [--persons 160000] [--sample 1000]
        [--out bench/results/workflows.md]

Set-up (not timed): a fresh SQLite database under a temporary FUPIN_HOME, the divisions of
513431 (昭觉县), a generated registry of ``--persons`` persons (≈ 50k households at 160k
persons) imported and assessed for 2016, one county-office account and one village-cadre
account per village.

Timed, set-based: ``exit_proposals_create`` for the county (one INSERT … SELECT of the cases
and one of their steps), then ``workflow_bulk_advance`` of the village appraisal, run per
village by that village's cadre (as villages do it), and of the county announcement over the
whole county. Beside them, the naive way: ``case_open`` + ``case_advance`` per household in a
Python loop for ``--sample`` households in a second, identical database copy, extrapolated to
the county.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from _util import ROOT, fmt_n, fmt_s, machine, machine_md, say, timer

DIVISION = "513431"
YEAR = 2016
MEETING = {"meeting_date": "2016-11-01", "attendance": 31, "votes_for": 27, "votes_against": 2}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, default=160_000)
    ap.add_argument("--sample", type=int, default=1000)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "workflows.md")
    a = ap.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bench-workflows-"))
    os.environ["FUPIN_HOME"] = str(home)
    os.environ["FUPIN_NO_PROGRESS"] = "1"
    os.environ.pop("DATABASE_URL", None)
    sys.path.insert(0, str(ROOT / "src"))
    m = machine()
    try:
        figures = run(a, home)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    write(a, m, figures)


def run(a: argparse.Namespace, home: Path) -> dict[str, Any]:
    from fupin.commands.base import setup_django

    setup_django()
    from django.core.management import call_command
    from django.db import connection

    from fupin.accounts.models import Profile, Role
    from fupin.assessment.services import assessment_run
    from fupin.divisions.services import divisions_load
    from fupin.registry.imports.services import registry_import_file
    from fupin.registry.models import Household
    from fupin.synth.generator import generate
    from fupin.synth.writers import write_file
    from fupin.workflows.models import Case
    from fupin.workflows.services import (
        case_advance,
        case_open,
        exit_proposals_create,
        workflow_bulk_advance,
    )

    say("set-up: migrate, divisions, generate, import, assess …")
    call_command("migrate", verbosity=0)
    divisions_load(prefix=DIVISION)
    flat = home / "flat.parquet"
    write_file(generate(division=DIVISION, persons=a.persons, seed=20160901, year=YEAR), flat)
    report = registry_import_file(path=flat)
    assert report.ok
    assessment_run(division_code=DIVISION, year=YEAR)
    # The generator's calibration leaves only ~3% of households meeting the 2016 standard; to
    # move the whole county (the yearly adjustment's size) every result is marked as meeting it.
    from fupin.assessment.models import AssessmentResult

    AssessmentResult.objects.update(meets_standard=True, failed_codes="")
    households = Household.objects.count()
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    county = users.create_user("xian")
    Profile.objects.create(user=county, role=Role.COUNTY_OFFICE, division_id=DIVISION)
    county2 = users.create_user("xian2")
    Profile.objects.create(user=county2, role=Role.COUNTY_OFFICE, division_id=DIVISION)
    villages = sorted(set(Household.objects.values_list("village_id", flat=True)))
    cadres = {}
    for v in villages:
        u = users.create_user(f"cun{v}")
        Profile.objects.create(user=u, role=Role.VILLAGE_CADRE, division_id=v)
        cadres[v] = u
    # A copy of the prepared database for the naive loop (WAL folded into the file first).
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    db = Path(connection.settings_dict["NAME"])
    naive_db = home / "naive.sqlite3"
    shutil.copy(db, naive_db)

    say("set-based: exit proposals …")
    with timer() as t_open:
        opened = exit_proposals_create(division_code=DIVISION, year=YEAR, by=county)
    say(f"{opened} cases in {t_open[0]:.2f} s; appraisal per village …")
    with timer() as t_appraise:
        appraised = sum(
            workflow_bulk_advance(
                division_code=v, procedure="exit", step="appraise", by=cadres[v], data=MEETING
            )
            for v in villages
        )
    assert appraised == opened
    workflow_bulk_advance_all = workflow_bulk_advance
    for v in villages:
        workflow_bulk_advance_all(
            division_code=v, procedure="exit", step="agree", by=cadres[v], data={"consent": True}
        )
        workflow_bulk_advance_all(division_code=v, procedure="exit", step="notice", by=cadres[v])
    Case.objects.update(notice_until=None)  # the notice period has run
    with timer() as t_announce:
        announced = workflow_bulk_advance(
            division_code=DIVISION,
            procedure="exit",
            step="announce",
            by=county2,
            data={"note": "同意"},
        )
    assert announced == opened

    say(f"naive loop over {a.sample} households …")
    connection.close()
    connection.settings_dict["NAME"] = str(naive_db)
    ready = list(
        Household.objects.filter(
            assessments__year=YEAR, assessments__meets_standard=True, status="poor"
        ).order_by("pk")[: a.sample]
    )
    with timer() as t_naive_open:
        cases = [
            case_open(household=h, procedure="exit", by=cadres[h.village_id], year=YEAR)
            for h in ready
        ]
    with timer() as t_naive_appraise:
        for c in cases:
            case_advance(case=c, step="appraise", by=cadres[c.division_code], data=MEETING)
    n = len(ready)
    return {
        "persons": a.persons,
        "households": households,
        "villages": len(villages),
        "opened": opened,
        "open_s": t_open[0],
        "appraise_s": t_appraise[0],
        "announce_s": t_announce[0],
        "naive_n": n,
        "naive_open_s": t_naive_open[0],
        "naive_appraise_s": t_naive_appraise[0],
        "naive_open_est_s": t_naive_open[0] / n * opened,
        "naive_appraise_est_s": t_naive_appraise[0] / n * opened,
    }


def write(a: argparse.Namespace, m: dict[str, str], f: dict[str, Any]) -> None:
    def ratio(naive: float, fast: float) -> str:
        return f"{naive / fast:,.0f}×" if fast else "—"

    n = f["naive_n"]
    rows = [
        "| work | set-based | naive per-household loop (extrapolated) | ratio |",
        "|---|---|---|---|",
        "| open exit proposals from the assessment (case + proposal step + audit event each) "
        f"| {fmt_s(f['open_s'])} (`exit_proposals_create`, whole county) "
        f"| {fmt_s(f['naive_open_est_s'])} (`case_open` × {n}: {fmt_s(f['naive_open_s'])}) "
        f"| {ratio(f['naive_open_est_s'], f['open_s'])} |",
        "| village appraisal for every case (step + meeting record + audit event each) "
        f"| {fmt_s(f['appraise_s'])} (`workflow_bulk_advance` per village, "
        f"{f['villages']} calls) "
        f"| {fmt_s(f['naive_appraise_est_s'])} (`case_advance` × {n}: "
        f"{fmt_s(f['naive_appraise_s'])}) "
        f"| {ratio(f['naive_appraise_est_s'], f['appraise_s'])} |",
        "| county approval and announcement for the whole county (one call) "
        f"| {fmt_s(f['announce_s'])} | — | — |",
    ]
    table = "\n".join(rows)
    text = f"""# Workflows: the yearly dynamic adjustment of one county (SQLite)

Command: `.venv/bin/python bench/bench_workflows.py --persons {a.persons} --sample {a.sample}`

{machine_md(m)}
County 513431 (昭觉县), {fmt_n(f["persons"])} generated persons = {fmt_n(f["households"])}
households in {f["villages"]} villages, imported and assessed for {YEAR}.
{fmt_n(f["opened"])} households meet the standard and get an exit case.

{table}

Notices: the village notice step publishes one notice per village through
`fupin.notices.services.notice_publish` when that app is installed (not timed here).
"""
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(text, encoding="utf-8")
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
