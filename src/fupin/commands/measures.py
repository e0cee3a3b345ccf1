"""``fupin measures``: import measures, pairings and visits (all rows or none), write the
import templates, list overdue visits, and count the plan suggestions of a division."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

#: Errors and overdue pairings shown on screen.
SHOWN_ERRORS = 30
SHOWN_ROWS = 50
KINDS = ("measures", "pairings", "visits")
KIND_LABELS = {"measures": "帮扶措施", "pairings": "结对帮扶", "visits": "走访记录"}


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"“{text}”不是日期（YYYY-MM-DD）") from exc


def _out() -> Any:
    """The console of the results: wide when writing to a file or pipe, so tables stay whole."""
    from rich.console import Console

    wide = None if sys.stdout.isatty() else 160
    return Console(file=sys.stdout, highlight=False, soft_wrap=True, width=wide)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("measures", help="精准施策：导入帮扶措施、结对、走访；逾期走访；施策建议")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")

    imp = actions.add_parser(
        "import",
        help="导入帮扶措施、结对帮扶或走访记录（Excel、CSV），全部校验通过才写入",
        description=(
            "导入文件：先逐行校验全部数据（与逐条录入相同的政策规定），只要有一处错误就不写入"
            "任何数据，并列出全部错误。重复导入同一文件不会重复登记。"
        ),
    )
    imp.add_argument("file", type=Path, metavar="FILE", help="数据文件：.xlsx、.xls、.ods、.csv")
    imp.add_argument(
        "--kind", choices=KINDS, default="measures", help="文件内容（缺省 measures 帮扶措施）"
    )
    imp.add_argument("--dry-run", action="store_true", help="只校验，不写入数据库")
    imp.set_defaults(func=run_import)

    tpl = actions.add_parser("template", help="生成导入模板（Excel）")
    tpl.add_argument("--kind", choices=KINDS, required=True, help="模板类型")
    tpl.add_argument("--out", type=Path, required=True, help="输出文件 .xlsx")
    tpl.set_defaults(func=run_template)

    ov = actions.add_parser("overdue", help="逾期未走访的结对户，以及无帮扶责任人、无措施的户数")
    ov.add_argument("--division", required=True, help="区划代码（县、乡、村）")
    ov.add_argument("--as-of", type=_date, help="截至日期 YYYY-MM-DD（缺省今天）")
    ov.set_defaults(func=run_overdue)

    sg = actions.add_parser("suggest", help="施策建议：区划内各项建议的户数，或一户的建议")
    sg.add_argument("--division", required=True, help="区划代码")
    sg.add_argument("--year", type=int, required=True, help="年度")
    sg.add_argument("--household", help="户编号：列出该户的建议")
    sg.set_defaults(func=run_suggest)


def run_import(args: argparse.Namespace) -> int:
    from rich.table import Table

    from fupin.commands.base import fail, setup_django

    setup_django(migrate=True)

    from fupin.common.errors import FupinError
    from fupin.measures.imports import measures_import

    out = _out()
    try:
        report = measures_import(kind=args.kind, path=args.file, dry_run=args.dry_run)
    except FupinError as exc:
        return fail(exc.code, exc.message)
    what = KIND_LABELS[args.kind]
    out.print(f"文件 {args.file.name}：{report.rows} 行{what}，用时 {report.seconds:.1f} 秒。")
    if report.unknown_columns:
        out.print(f"[yellow]以下列未能识别，已忽略：{'、'.join(report.unknown_columns)}[/yellow]")
    if not report.ok:
        table = Table("行", "列", "代码", "说明")
        for e in report.errors[:SHOWN_ERRORS]:
            table.add_row(
                str(e.row), report.heading_of(e.column) if e.column else "", e.code, e.message
            )
        out.print(table)
        more = f"，仅显示前 {SHOWN_ERRORS} 处" if report.error_count > SHOWN_ERRORS else ""
        out.print(f"[red]共 {report.error_count} 处错误{more}，未导入任何数据。[/red]")
        return 1
    for w in report.warnings:
        out.print(f"[yellow]提醒：{w}[/yellow]")
    counts = f"新增 {report.created} 条，更新 {report.updated} 条，未变 {report.unchanged} 条"
    if args.kind == "pairings":
        counts += f"，新登记帮扶责任人 {report.cadres_created} 人，解除原结对 {report.ended} 条"
    if report.dry_run:
        out.print(f"[green]校验通过[/green]（试运行，未写入）：将{counts}。")
    else:
        out.print(f"[green]导入完成[/green]：{counts}。")
    return 0


def run_template(args: argparse.Namespace) -> int:
    from fupin.commands.base import setup_django, stdout_write

    setup_django()
    from fupin.measures.imports import measures_template_workbook

    path = measures_template_workbook(args.kind, args.out)
    stdout_write(f"已生成{KIND_LABELS[args.kind]}导入模板：{path}")
    return 0


def _division(code: str) -> object:
    from fupin.divisions.models import Division

    return Division.objects.filter(code=code).first()


def run_overdue(args: argparse.Namespace) -> int:
    from rich.table import Table

    from fupin.commands.base import fail, setup_django

    setup_django(migrate=True)
    from fupin.measures import selectors

    division = _division(args.division)
    if division is None:
        return fail("DIVISION_UNKNOWN", f"区划代码“{args.division}”不存在")
    out = _out()
    as_of = args.as_of or dt.date.today()
    overdue = selectors.overdue_visits(args.division, as_of=as_of)
    total = overdue.count()
    table = Table("村", "户编号", "帮扶责任人", "工作单位", "结对日期", "最近走访")
    for p in overdue[:SHOWN_ROWS]:
        last = getattr(p, "last_visit", None)
        table.add_row(
            p.household.village.name,
            p.household.code,
            p.cadre.name,
            p.cadre.unit,
            p.start.isoformat(),
            last.isoformat() if last else "从未走访",
        )
    name = getattr(division, "name", args.division)
    out.print(f"{name}（{args.division}）截至 {as_of}：逾期未走访 {total} 户")
    if total:
        out.print(table)
        if total > SHOWN_ROWS:
            out.print(f"仅显示前 {SHOWN_ROWS} 户。")
    unpaired = selectors.unpaired_households(args.division).count()
    without = selectors.households_without_measure(args.division).count()
    out.print(f"无帮扶责任人的贫困户 {unpaired} 户；尚无帮扶措施的贫困户 {without} 户。")
    return 0


def run_suggest(args: argparse.Namespace) -> int:
    from rich.table import Table

    from fupin.commands.base import fail, setup_django

    setup_django(migrate=True)
    from fupin.measures import selectors
    from fupin.policy import measures as pm
    from fupin.registry.models import Household

    out = _out()
    if args.household:
        household = Household.objects.filter(code=args.household).first()
        if household is None or not household.village_id.startswith(args.division):
            return fail(
                "MEASURES_UNKNOWN_HOUSEHOLD",
                f"户编号“{args.household}”不存在或不在 {args.division} 内",
            )
        found = selectors.household_suggestions(household, args.year)
        out.print(f"户 {household.code}（{args.year} 年）的施策建议：")
        if not found:
            out.print("暂无建议。")
        for s in found:
            out.print(f"· {s.sentence()}")
        return 0
    if _division(args.division) is None:
        return fail("DIVISION_UNKNOWN", f"区划代码“{args.division}”不存在")
    counts = selectors.suggestion_counts(args.division, args.year)
    table = Table("建议", "措施类别", "户数")
    for s in pm.SUGGESTIONS:
        table.add_row(
            s.sentence(), pm.MEASURE_CATEGORY.label_of(s.category), str(counts.get(s.code, 0))
        )
    out.print(
        f"{args.division} {args.year} 年贫困户 {counts.get('households', 0)} 户，各项建议户数："
    )
    out.print(table)
    return 0
