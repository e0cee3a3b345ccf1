"""``fupin import FILE``: load a flat registry file (CSV, Parquet, Excel), all rows or none."""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fupin.registry.imports.errors import RowError

#: Errors shown on screen; ``--errors-out`` writes all of them.
SHOWN_ERRORS = 30


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "import",
        help="导入建档立卡数据文件（CSV、Parquet、Excel），全部校验通过才写入",
        description=(
            "导入一人一行的建档立卡数据文件。先逐行逐格校验全部数据，"
            "只要有一处错误就不写入任何数据，并列出全部错误。"
        ),
    )
    p.add_argument(
        "file", type=Path, metavar="FILE", help="数据文件：.csv、.parquet、.xlsx、.xls、.ods"
    )
    p.add_argument("--dry-run", action="store_true", help="只校验，不写入数据库")
    p.add_argument(
        "--errors-out",
        type=Path,
        metavar="ERRORS.csv",
        help="把全部错误写入 CSV 文件（UTF-8 带 BOM，Excel 可直接打开）",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from fupin.commands.base import fail, progress, setup_django

    setup_django(migrate=True)

    from fupin.common.errors import FupinError
    from fupin.registry.imports.errors import heading
    from fupin.registry.imports.services import registry_import_file

    out = Console(file=sys.stdout, highlight=False, soft_wrap=True)
    with progress("读取校验") as bar:
        task = bar.tasks[0].id

        def report_progress(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total or None)

        try:
            report = registry_import_file(
                path=args.file,
                dry_run=args.dry_run,
                progress=report_progress,
                max_errors=None if args.errors_out else SHOWN_ERRORS,
            )
        except FupinError as exc:
            return fail(exc.code, exc.message)

    out.print(
        f"文件 {args.file.name}：{report.rows} 行，{report.households} 户，{report.members} 人，"
        f"收支记录 {report.incomes} 条，生产生活条件 {report.conditions} 条。"
    )
    if report.unknown_columns:
        out.print(f"[yellow]以下列未能识别，已忽略：{'、'.join(report.unknown_columns)}[/yellow]")
    if args.errors_out and report.errors:
        _write_errors(args.errors_out, report.errors)
    if not report.ok:
        table = Table("行", "列", "代码", "说明", show_lines=False)
        for e in report.errors[:SHOWN_ERRORS]:
            table.add_row(str(e.row), heading(e.column) if e.column else "", e.code, e.message)
        out.print(table)
        more = f"，仅显示前 {SHOWN_ERRORS} 处" if report.error_count > SHOWN_ERRORS else ""
        out.print(f"[red]共 {report.error_count} 处错误{more}，未导入任何数据。[/red]")
        if args.errors_out:
            out.print(f"全部错误已写入 {args.errors_out}")
        return 1
    rate = report.members / report.seconds if report.seconds else 0.0
    if report.dry_run:
        out.print(f"[green]校验通过[/green]（试运行，未写入），用时 {report.seconds:.1f} 秒。")
    else:
        out.print(
            f"[green]导入完成[/green]：写入 {report.households} 户、{report.members} 人，"
            f"用时 {report.seconds:.1f} 秒（每秒 {rate:,.0f} 人）。"
        )
    return 0


def _write_errors(path: Path, errors: list[RowError]) -> None:
    """Write every error as CSV with a BOM, so Excel shows the Chinese text correctly."""
    from fupin.registry.imports.errors import heading

    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["行", "列", "列名", "代码", "说明", "值"])
        for e in errors:
            writer.writerow(
                [
                    e.row,
                    heading(e.column) if e.column else "",
                    e.column,
                    e.code,
                    e.message,
                    e.value or "",
                ]
            )
