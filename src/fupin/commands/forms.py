"""``fupin forms xlsform visit|household --out F.xlsx``: write the XLSForm (ODK / KoboToolbox)
of the visit log or the household survey; ``fupin forms import visit|household FILE``: import
the submissions that ODK Central or KoboToolbox exported (CSV, or ODK Central's zip), every row
checked, all rows or none."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

#: Errors shown on screen.
SHOWN_ERRORS = 30
FORMS = {"visit": "帮扶走访记录", "household": "贫困户入户调查"}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("forms", help="离线采集表单（XLSForm，用于 ODK / KoboToolbox）及其数据导入")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")

    xls = actions.add_parser(
        "xlsform",
        help="生成 XLSForm 表单文件",
        description=(
            "按代码表生成 XLSForm（survey、choices、settings 三个工作表），"
            "上传到 ODK Central 或 KoboToolbox 后在手机上离线填写。"
        ),
    )
    xls.add_argument("kind", choices=list(FORMS), help="visit：走访记录；household：入户调查")
    xls.add_argument("--out", type=Path, required=True, metavar="F.xlsx", help="输出文件")
    xls.set_defaults(func=run_xlsform)

    imp = actions.add_parser(
        "import",
        help="导入 ODK Central / KoboToolbox 导出的提交数据",
        description=(
            "导入提交数据（CSV，或 ODK Central 含成员表和照片的 zip）。先逐行校验全部数据，"
            "只要有一处错误就不写入任何数据，并列出全部错误；已导入的提交自动跳过。"
        ),
    )
    imp.add_argument("kind", choices=list(FORMS), help="visit：走访记录；household：入户调查")
    imp.add_argument("file", type=Path, metavar="FILE", help="导出的 .csv 或 .zip 文件")
    imp.add_argument(
        "--members", type=Path, metavar="CSV", help="入户调查的成员表（重复组）CSV 文件"
    )
    imp.add_argument("--media", type=Path, metavar="DIR", help="照片所在文件夹（走访记录）")
    imp.add_argument("--dry-run", action="store_true", help="只校验，不写入数据库")
    imp.set_defaults(func=run_import)


def run_xlsform(args: argparse.Namespace) -> int:
    from fupin.commands.base import setup_django, stdout_write

    setup_django()

    from fupin.measures.xlsform import write_xlsform

    form = write_xlsform(args.kind, args.out)
    questions = sum(1 for _ in form.fields())
    stdout_write(
        f"已生成{FORMS[args.kind]}表单 {args.out}（form_id {form.form_id}，版本 {form.version}，"
        f"{questions} 个问题，{len(form.code_lists())} 个代码表）。"
    )
    return 0


def run_import(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from fupin.commands.base import fail, setup_django

    setup_django(migrate=True)

    from fupin.common.errors import FupinError
    from fupin.measures.odk import submissions_import

    out = Console(file=sys.stdout, highlight=False, soft_wrap=True)
    try:
        report = submissions_import(
            kind=args.kind,
            path=args.file,
            members=args.members,
            media=args.media,
            dry_run=args.dry_run,
        )
    except FupinError as exc:
        return fail(exc.code, exc.message)
    out.print(
        f"文件 {report.file}（{report.server}）：{report.rows} 条提交，"
        f"已导入过 {report.skipped} 条，审核未通过 {report.rejected} 条。"
    )
    if report.unknown_columns:
        out.print(f"[yellow]以下列未能识别，已忽略：{'、'.join(report.unknown_columns)}[/yellow]")
    if not report.ok:
        table = Table("文件", "行", "列", "代码", "说明", show_lines=False)
        for e in report.errors[:SHOWN_ERRORS]:
            table.add_row(e.file, str(e.row), e.column, e.code, e.message)
        out.print(table)
        more = f"，仅显示前 {SHOWN_ERRORS} 处" if len(report.errors) > SHOWN_ERRORS else ""
        out.print(f"[red]共 {len(report.errors)} 处错误{more}，未导入任何数据。[/red]")
        return 1
    what = "条走访记录" if args.kind == "visit" else "户入户调查"
    extra = ""
    if args.kind == "visit" and (report.photos or report.photos_missing):
        extra = f"，照片 {report.photos} 张（{report.photos_missing} 张未提供文件）"
    if args.kind == "household":
        extra = f"，成员 {report.members} 行，更新 {report.members_updated} 人"
    if report.dry_run:
        out.print(
            f"[green]校验通过[/green]（试运行，未写入）：将导入 {report.imported} {what}{extra}。"
        )
    else:
        out.print(f"[green]导入完成[/green]：{report.imported} {what}{extra}。")
    return 0
