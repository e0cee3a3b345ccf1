"""``fupin assess``: evaluate every household under a division against the standard, in bulk."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from fupin.commands.base import console, fail, setup_django, stdout_write


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "assess",
        help="批量评估某区划下所有户是否达到脱贫标准（两不愁三保障及收入）",
        description="在数据库内（SQLite/PostgreSQL）批量评估，或用 DuckDB 评估扁平文件（--file）。",
    )
    p.add_argument("--division", help="区划代码（省/市/县/乡/村）；缺省为全部", default=None)
    p.add_argument("--year", type=int, default=None, help="评估年度；缺省为最近登记收入的年度")
    p.add_argument("--rule-set", default=None, help="规则集，如 household-standard@2016.1")
    p.add_argument("--parameters", type=Path, default=None, help="本地参数 JSON 文件")
    p.add_argument(
        "--file", type=Path, default=None, help="评估扁平登记文件（Parquet/CSV），不读数据库"
    )
    p.add_argument("--out", type=Path, default=None, help="与 --file 同用：结果写入 Parquet")
    p.add_argument("--json", action="store_true", help="以 JSON 输出汇总")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from fupin.common.errors import FupinError
    from fupin.policy.parameters import DEFAULT_PARAMETERS, ParameterError, ParameterSet

    try:
        params = (
            ParameterSet.from_file(args.parameters, DEFAULT_PARAMETERS) if args.parameters else None
        )
    except ParameterError as exc:
        return fail(exc.code, exc.message)
    setup_django(migrate=args.file is None)
    from fupin.assessment import services

    started = time.perf_counter()
    try:
        if args.file is not None:
            if args.year is None:
                return fail("YEAR_REQUIRED", "评估扁平文件时请用 --year 指定年度")
            with console.status("正在用 DuckDB 评估…"):
                summary = services.assess_flat_file(
                    path=args.file,
                    year=args.year,
                    division_code=args.division,
                    out=args.out,
                    rule_set_key=args.rule_set,
                    parameters=params,
                )
            year = args.year
        else:
            with console.status("正在数据库内批量评估…"):
                run_ = services.assessment_run(
                    division_code=args.division,
                    year=args.year,
                    rule_set_key=args.rule_set,
                    parameters=params,
                )
            summary = services.run_summary(run_)
            year = run_.year
            from fupin.reports.services import rollups_refresh

            # The dashboards show the failed rules of the latest run: bring them up to date.
            with console.status("正在更新统计汇总…"):
                rollups_refresh(division_code=args.division, year=year)
    except FupinError as exc:
        return fail(exc.code, exc.message)
    elapsed = time.perf_counter() - started
    if args.json:
        stdout_write(json.dumps({"year": year, **summary.as_dict()}, ensure_ascii=False))
        return 0
    share = summary.meets_standard / summary.households if summary.households else 0.0
    stdout_write(
        f"{year} 年评估完成：{summary.households:,} 户，其中达到脱贫标准 "
        f"{summary.meets_standard:,} 户（{share:.1%}），用时 {elapsed:.1f} 秒。"
    )
    for f in summary.failures:
        stdout_write(f"  {f.title}（{f.code}）未满足：{f.failed:,} 户")
    return 0
