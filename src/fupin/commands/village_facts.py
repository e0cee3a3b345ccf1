"""``fupin village-facts import FILE`` and ``fupin county-stats import FILE``: load village facts
(村情) or county statistics from Excel or CSV, every row checked, all rows or none."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

#: Errors shown on screen.
SHOWN_ERRORS = 30


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    for command, target, what, columns in (
        (
            "village-facts",
            "village",
            "村情",
            "村代码、年度、贫困村属性、通硬化路（到村）……（见网页“村情”下载的模板）",
        ),
        (
            "county-stats",
            "county",
            "县统计数据",
            "县代码、年度、农村常住居民人均可支配收入（元）、乡村人口",
        ),
    ):
        p = sub.add_parser(command, help=f"导入{what}（Excel、CSV），全部校验通过才写入")
        actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
        imp = actions.add_parser(
            "import",
            help=f"导入{what}文件",
            description=(
                f"导入{what}文件（列：{columns}）。先逐行逐格校验全部数据，只要有一处错误就"
                "不写入任何数据，并列出全部错误。空白单元格表示未录入，文件中没有的列保持原值。"
            ),
        )
        imp.add_argument(
            "file", type=Path, metavar="FILE", help="数据文件：.xlsx、.xls、.ods、.csv"
        )
        imp.add_argument("--dry-run", action="store_true", help="只校验，不写入数据库")
        imp.set_defaults(func=run, target=target, what=what)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from fupin.commands.base import fail, setup_django

    setup_django(migrate=True)

    from fupin.common.errors import FupinError
    from fupin.registry.imports.village_facts import SPECS, facts_import_file

    out = Console(file=sys.stdout, highlight=False, soft_wrap=True)
    try:
        report = facts_import_file(target=args.target, path=args.file, dry_run=args.dry_run)
    except FupinError as exc:
        return fail(exc.code, exc.message)
    spec = SPECS[args.target]
    out.print(f"文件 {args.file.name}：{report.rows} 行，{len(report.columns)} 项{args.what}。")
    if report.unknown_columns:
        out.print(f"[yellow]以下列未能识别，已忽略：{'、'.join(report.unknown_columns)}[/yellow]")
    if not report.ok:
        table = Table("行", "列", "代码", "说明", show_lines=False)
        for e in report.errors[:SHOWN_ERRORS]:
            table.add_row(
                str(e.row), spec.heading_of(e.column) if e.column else "", e.code, e.message
            )
        out.print(table)
        more = f"，仅显示前 {SHOWN_ERRORS} 处" if report.error_count > SHOWN_ERRORS else ""
        out.print(f"[red]共 {report.error_count} 处错误{more}，未导入任何数据。[/red]")
        return 1
    counts = f"新增 {report.created} 条，更新 {report.updated} 条，未变 {report.unchanged} 条"
    if report.dry_run:
        out.print(f"[green]校验通过[/green]（试运行，未写入）：将{counts}。")
    else:
        out.print(f"[green]导入完成[/green]：{counts}，用时 {report.seconds:.1f} 秒。")
    return 0
