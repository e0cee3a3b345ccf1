"""Benchmark the imports of a year of measures and visits beside raw inserts of the same rows.

    .venv/bin/python bench/bench_measures_import.py --persons 1000000
        [--engine sqlite|postgres|both] [--measures 1000000] [--visits 3000000]
        [--out bench/results/measures-import.md]

Per engine, in a child process (``--phase engine``) with a fresh database (SQLite under a
temporary FUPIN_HOME, PostgreSQL in a throwaway cluster from ``scripts/pg-throwaway``):

* set-up, not timed: migrate, the divisions of 513431, the generated registry imported with
  ``registry_import_file``; the measures CSV (``--measures`` rows over the registry's
  households, members named on some rows, all within the rules) and the visits CSV
  (``--visits`` rows, each household paired and visited on distinct days) are written;
* ``pairings_import_file`` of one pairing per household (timed, reported, not compared);
* ``measures_import_file`` and ``visits_import_file`` of the two files (timed: reading,
  checking every row with the rules, writing in bulk, auditing), then each again (re-import:
  nothing created);
* raw: the stored rows are read back (not timed), the table emptied, and the same rows
  written into the same table in one transaction — SQLite ``executemany`` of prepared Python
  tuples, PostgreSQL ``COPY … FROM STDIN`` of prepared CSV text (timed).

The ratio import / raw is the figure the issue asks for (target ≤ 3×).
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from _util import (
    ROOT,
    emit,
    file_mb,
    fmt_n,
    fmt_s,
    machine,
    machine_md,
    pg_start,
    pg_stop,
    pg_version,
    run_phase,
    say,
)

SCRIPT = Path(__file__).resolve()
DIVISION = "513431"
YEAR = 2016
SEED = 20210301

#: (category, sub-type, names a member) of the generated measures: none of them has a rule that
#: could refuse it, so every generated row is good.
KINDS = (
    ("产业扶贫", "养殖业", False, "发放能繁母牛"),
    ("产业扶贫", "种植业", False, "花椒苗补助"),
    ("就业扶贫", "技能培训", True, "电焊技能培训"),
    ("教育扶贫", "学生资助", True, "学生资助"),
    ("健康扶贫", "家庭医生签约服务", True, "家庭医生签约"),
    ("生态扶贫", "生态补偿", False, "退耕还林补助"),
    ("基础设施", "安全饮水", False, "入户自来水"),
)
AMOUNTS = ("", "500", "800", "1000", "1500", "2000", "3000", "5000")


def _django() -> None:
    sys.path.insert(0, str(ROOT / "src"))
    from fupin.commands.base import setup_django

    setup_django(migrate=True)


def write_inputs(work: Path, measures: int, visits: int) -> dict[str, Any]:
    """Write the pairings, measures and visits CSV over the registered households."""
    from fupin.registry.models import Household, Member

    rng = random.Random(SEED)
    codes = list(Household.objects.order_by("code").values_list("code", flat=True))
    people: dict[str, list[str]] = {}
    for code, idn in Member.objects.values_list("household__code", "id_number"):
        people.setdefault(code, []).append(idn)
    n = len(codes)
    # Pairings: one cadre per 5 households.
    with (work / "pairings.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["帮扶责任人姓名", "工作单位", "职务", "户编号", "结对日期"])
        for i, code in enumerate(codes):
            w.writerow([f"干部{i // 5:06d}", f"单位{i // 500:04d}", "科员", code, "2020-01-01"])
    # Measures: spread over the households, distinct (category, sub-type) within one.
    per, extra = divmod(measures, n)
    days = [date(2021, 1, 1) + timedelta(days=d) for d in range(365)]
    with (work / "measures.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                *("户编号", "年度", "措施类别", "措施子类", "受益成员身份证号", "金额"),
                *("开始日期", "状态", "措施内容", "实施单位"),
            ]
        )
        written = 0
        for i, code in enumerate(codes):
            k = min(per + (1 if i < extra else 0), len(KINDS))
            for category, subtype, member, content in rng.sample(KINDS, k):
                idn = rng.choice(people[code]) if member and people.get(code) else ""
                w.writerow(
                    [
                        code,
                        2021,
                        category,
                        subtype,
                        idn,
                        rng.choice(AMOUNTS),
                        rng.choice(days).isoformat(),
                        rng.choice(("已完成", "实施中")),
                        content,
                        "昭觉县农业农村局",
                    ]
                )
                written += 1
    # Visits: distinct days after the pairing (2020-01-01).
    per_v, extra_v = divmod(visits, n)
    span = [date(2020, 1, 2) + timedelta(days=d) for d in range(1400)]
    with (work / "visits.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["户编号", "帮扶责任人姓名", "工作单位", "走访日期", "帮扶内容", "下一步"])
        visits_written = 0
        for i, code in enumerate(codes):
            k = per_v + (1 if i < extra_v else 0)
            for day in sorted(rng.sample(span, k)):
                w.writerow(
                    [
                        code,
                        f"干部{i // 5:06d}",
                        f"单位{i // 500:04d}",
                        day.isoformat(),
                        rng.choice(("宣讲政策", "了解收入", "协调培训", "查看住房")),
                        rng.choice(("", "联系技能培训", "跟进医疗报销")),
                    ]
                )
                visits_written += 1
    return {"households": n, "measure_rows": written, "visit_rows": visits_written}


def _read_back(table: str, columns: list[str]) -> tuple[list[tuple[Any, ...]], bytes]:
    """The stored rows of a table: as tuples (SQLite) or as COPY CSV text (PostgreSQL)."""
    from django.db import connection

    cols = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            buf = io.BytesIO()
            with cursor.cursor.copy(
                f"COPY (SELECT {cols} FROM {table}) TO STDOUT (FORMAT csv)"
            ) as cp:
                for chunk in cp:
                    buf.write(chunk)
            return [], buf.getvalue()
        cursor.execute(f"SELECT {cols} FROM {table}")
        return list(cursor.fetchall()), b""


def _raw(table: str, columns: list[str], rows: list[tuple[Any, ...]], payload: bytes) -> float:
    """Empty ``table`` (not timed) and write the rows back raw in one transaction (timed)."""
    from django.db import connection, transaction

    qn = connection.ops.quote_name
    cols = ", ".join(qn(c) for c in columns)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN (FORMAT csv)") as cp:
                view = memoryview(payload)
                for start in range(0, len(view), 8 << 20):
                    cp.write(view[start : start + (8 << 20)])
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)
    return time.perf_counter() - started


def phase_engine(args: argparse.Namespace) -> None:
    _django()
    from django.db import connection

    from fupin.divisions.services import divisions_load
    from fupin.measures.imports import (
        _INSERT_FIELDS,
        _VISIT_DB_COLUMNS,
        measures_import_file,
        pairings_import_file,
        visits_import_file,
    )
    from fupin.measures.models import Measure, Visit
    from fupin.registry.imports.services import registry_import_file

    work = Path(args.work)
    figures: dict[str, Any] = {"engine": connection.vendor}
    if connection.vendor == "postgresql":
        figures["server"] = pg_version(os.environ["DATABASE_URL"])
    divisions_load(prefix=DIVISION)
    t = time.perf_counter()
    report = registry_import_file(path=Path(args.registry))
    assert report.ok, report.errors[:3]
    figures["registry_import_s"] = time.perf_counter() - t
    t = time.perf_counter()
    figures.update(write_inputs(work, args.measures, args.visits))
    figures["write_inputs_s"] = time.perf_counter() - t
    for name in ("measures", "visits", "pairings"):
        figures[f"{name}_csv_mb"] = file_mb(work / f"{name}.csv")

    t = time.perf_counter()
    rp = pairings_import_file(path=work / "pairings.csv")
    figures["pairings_import_s"] = time.perf_counter() - t
    assert rp.ok and rp.stored, rp.errors[:3]
    figures["pairings"] = rp.created
    figures["cadres"] = rp.cadres_created

    for kind, run, model, columns in (
        (
            "measures",
            measures_import_file,
            Measure,
            [
                *_INSERT_FIELDS,
                "source",
                "field_sources",
                "confirmed_by",
                "confirmed_at",
                "created_at",
                "updated_at",
            ],
        ),
        ("visits", visits_import_file, Visit, list(_VISIT_DB_COLUMNS)),
    ):
        path = work / f"{kind}.csv"
        t = time.perf_counter()
        r = run(path=path)
        figures[f"{kind}_import_s"] = time.perf_counter() - t
        assert r.ok and r.stored, r.errors[:3]
        figures[f"{kind}_created"] = r.created
        t = time.perf_counter()
        again = run(path=path)
        figures[f"{kind}_reimport_s"] = time.perf_counter() - t
        assert again.ok and again.created == 0 and again.updated == 0, again
        table = model._meta.db_table
        rows, payload = _read_back(table, columns)
        figures[f"{kind}_raw_s"] = _raw(table, columns, rows, payload)
        assert model.objects.count() == r.created
        figures[f"{kind}_ratio"] = figures[f"{kind}_import_s"] / figures[f"{kind}_raw_s"]
        say(
            f"{kind}: import {figures[f'{kind}_import_s']:.1f} s,"
            f" raw {figures[f'{kind}_raw_s']:.1f} s"
        )
    emit(figures)


def phase_registry(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(ROOT / "src"))
    from fupin.synth.generator import generate, write_file

    t = time.perf_counter()
    write_file(
        generate(division=DIVISION, persons=args.persons, seed=7, year=YEAR), Path(args.registry)
    )
    emit({"generate_s": time.perf_counter() - t})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--phase", default="")
    ap.add_argument("--persons", type=int, default=1_000_000)
    ap.add_argument("--measures", type=int, default=0, help="缺省：与人数相同")
    ap.add_argument("--visits", type=int, default=0, help="缺省：人数的 3 倍")
    ap.add_argument("--engine", default="both", choices=("sqlite", "postgres", "both"))
    ap.add_argument("--work", default="")
    ap.add_argument("--registry", default="")
    ap.add_argument("--tmp", default=None)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "measures-import.md")
    args = ap.parse_args()
    args.measures = args.measures or args.persons
    args.visits = args.visits or 3 * args.persons
    if args.phase == "engine":
        phase_engine(args)
        return
    if args.phase == "registry":
        phase_registry(args)
        return
    m = machine()
    root = Path(tempfile.mkdtemp(prefix="bench-measures-", dir=args.tmp))
    results: list[dict[str, Any]] = []
    try:
        registry = root / "registry.parquet"
        common = [
            "--persons",
            str(args.persons),
            "--measures",
            str(args.measures),
            "--visits",
            str(args.visits),
            "--registry",
            str(registry),
        ]
        run_phase(SCRIPT, "registry", common, log=root / "log.txt")
        engines = ("sqlite", "postgres") if args.engine == "both" else (args.engine,)
        for engine in engines:
            work = root / engine
            work.mkdir()
            env = {"FUPIN_HOME": str(work / "home")}
            pg: dict[str, str] = {}
            if engine == "postgres":
                pg = pg_start()
                env["DATABASE_URL"] = pg["DATABASE_URL"]
            try:
                res = run_phase(
                    SCRIPT, "engine", [*common, "--work", str(work)], env=env, log=root / "log.txt"
                )
                results.append(res.figures)
            finally:
                if pg:
                    pg_stop(pg["FUPIN_PG_DIR"])
    finally:
        shutil.copy(root / "log.txt", args.out.with_suffix(".log")) if (
            root / "log.txt"
        ).exists() else None
        shutil.rmtree(root, ignore_errors=True)
    text = report_md(args, m, results)
    args.out.write_text(text, encoding="utf-8")
    sys.stdout.write(text)


def report_md(args: argparse.Namespace, m: dict[str, str], results: list[dict[str, Any]]) -> str:
    cmd = (
        f".venv/bin/python bench/bench_measures_import.py --persons {args.persons}"
        f" --measures {args.measures} --visits {args.visits} --engine {args.engine}"
    )
    lines = [
        "# Measures and visits import (issue 9): the system's import vs raw inserts",
        "",
        machine_md(m),
        f"- command: `{cmd}`",
        "",
        "Per engine: a fresh database with the registry of 513431 imported; the CSV files are",
        "imported with `measures_import_file` / `visits_import_file` (read, every row checked",
        "with the services' rules, bulk write, audit); then the stored rows are read back, the",
        "table emptied and the same rows written raw into the same table in one transaction",
        "(SQLite `executemany` of prepared tuples; PostgreSQL `COPY` of prepared CSV).",
        "",
        "| engine | rows | import | re-import (no change) | raw | import / raw |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        name = r["engine"] + (f" {r['server']}" if r.get("server") else "")
        for kind in ("measures", "visits"):
            lines.append(
                f"| {name} | {kind} {fmt_n(r[f'{kind}_created'])} | {fmt_s(r[f'{kind}_import_s'])}"
                f" | {fmt_s(r[f'{kind}_reimport_s'])} | {fmt_s(r[f'{kind}_raw_s'])}"
                f" | {r[f'{kind}_ratio']:.2f}× |"
            )
    lines += ["", "Set-up figures (not compared):", ""]
    for r in results:
        lines.append(
            f"- {r['engine']}: {fmt_n(r['households'])} households; registry import"
            f" {fmt_s(r['registry_import_s'])}; pairings import {fmt_n(r['pairings'])} pairings,"
            f" {fmt_n(r['cadres'])} cadres created in {fmt_s(r['pairings_import_s'])};"
            f" CSV sizes measures {r['measures_csv_mb']:.0f} MiB, visits {r['visits_csv_mb']:.0f}"
            f" MiB; peak RSS {r['peak_rss_mb']:.0f} MiB"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
