"""``fupin funds``: import payments and the project library, allocate a level's funds to the
next by the factor method, show balances, run the fund monitoring (动态监控) and post the fund
and project notices (资金项目公告公示).

Writes go through the services of ``fupin.funds`` as the system (``by=None``): the same rules
as the pages refuse what they refuse, with the same codes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

SHOWN_ROWS = 50


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"“{text}”不是日期（YYYY-MM-DD）") from exc


def _amount(text: str) -> Decimal:
    try:
        value = Decimal(text.replace(",", "").strip())
    except InvalidOperation as exc:
        raise argparse.ArgumentTypeError(f"“{text}”不是金额（元）") from exc
    if not value.is_finite() or value <= 0 or value != value.quantize(Decimal("0.01")):
        raise argparse.ArgumentTypeError(f"“{text}”不是正的金额（元，最多两位小数）")
    return value


def _out() -> Any:
    from rich.console import Console

    wide = None if sys.stdout.isatty() else 160
    return Console(file=sys.stdout, highlight=False, soft_wrap=True, width=wide)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("funds", help="项目资金：因素法分配、资金余额、动态监控、资金项目公告公示")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")

    al = actions.add_parser(
        "allocate",
        help="因素法测算并下达资金到下一级（--dry-run 只测算）",
        description=(
            "按因素法（贫困人口规模、贫困发生率、农民人均纯收入、深度贫困、绩效）把一笔资金分配到"
            "下一级各区划，精确到分、合计等于总额；未记录的因素不按零计。下达时全部成功才写入。"
        ),
    )
    al.add_argument("--from", dest="division", required=True, help="下达单位区划代码")
    al.add_argument("--source", required=True, help="资金来源代码（如 central.development）")
    al.add_argument("--year", type=int, required=True, help="资金年度")
    al.add_argument(
        "--data-year", type=int, help="因素数据（贫困人口、发生率、收入）的年度（缺省同资金年度）"
    )
    al.add_argument(
        "--weight",
        action="append",
        default=[],
        metavar="FACTOR=W",
        help=(
            "因素权重，如 performance=0（不用绩效因素）、poor_population=0.5；可重复；"
            "权重合计须为 1。因素：poor_population, incidence, income, deep_poverty, performance"
        ),
    )
    al.add_argument("--total", type=_amount, required=True, help="分配总额（元）")
    al.add_argument("--on", type=_date, help="下达日期 YYYY-MM-DD（缺省今天）")
    al.add_argument("--document", default="", help="文号")
    al.add_argument("--dry-run", action="store_true", help="只测算，不下达")
    al.set_defaults(func=run_allocate)

    imp = actions.add_parser(
        "import",
        help="导入资金支付或项目库（Excel、CSV），全部校验通过才写入",
        description=(
            "导入文件：逐行按逐笔登记的同一规定校验（并检查文件内各行之间：不超支、同一户同一内容"
            "不重复支付），只要有一处错误就不写入任何数据，并列出全部错误。重复导入同一文件不会重复登记。"
        ),
    )
    imp.add_argument("file", type=Path, metavar="FILE", help="数据文件：.xlsx、.xls、.ods、.csv")
    imp.add_argument(
        "--kind",
        choices=("payments", "projects"),
        default="payments",
        help="文件内容（缺省 payments 资金支付）",
    )
    imp.add_argument("--dry-run", action="store_true", help="只校验，不写入数据库")
    imp.set_defaults(func=run_import)

    bal = actions.add_parser(
        "balance", help="按来源、年度列出区划内各级资金的到位、下达、安排和结余"
    )
    bal.add_argument("--division", required=True, help="区划代码")
    bal.add_argument("--year", type=int, help="资金年度")
    bal.set_defaults(func=run_balance)

    mon = actions.add_parser(
        "monitor", help="资金动态监控：超额分配、超支、收款人不在系统、重复支付、资金闲置、先付后批"
    )
    mon.add_argument("--division", required=True, help="区划代码")
    mon.add_argument("--as-of", type=_date, help="截至日期 YYYY-MM-DD（缺省今天）")
    mon.set_defaults(func=run_monitor)

    no = actions.add_parser(
        "notice", help="发布项目公示（村、乡镇、县入库公告、竣工公告）或资金分配结果公告"
    )
    no.add_argument("--project", help="项目编号")
    no.add_argument(
        "--level",
        choices=("village", "township", "county", "completion"),
        help=(
            "项目公示层级：village 村级公示，township 乡镇公示，county 入库公告，"
            "completion 竣工公告"
        ),
    )
    no.add_argument("--allocations", metavar="DIVISION", help="发布该区划下达资金的分配结果公告")
    no.add_argument("--year", type=int, help="资金年度（分配结果公告）")
    no.add_argument("--days", type=int, help="公示天数（缺省按类别：村乡 10 天）")
    no.set_defaults(func=run_notice)


def run_allocate(args: argparse.Namespace) -> int:
    from rich.table import Table

    from fupin.commands.base import fail, setup_django

    setup_django(migrate=True)
    from fupin.common.errors import FupinError
    from fupin.divisions.models import Division
    from fupin.funds.page_selectors import factor_units
    from fupin.funds.page_services import allocations_record_by_factors
    from fupin.funds.services import parameters
    from fupin.policy import funds as pf

    if not Division.objects.filter(pk=args.division).exists():
        return fail("DIVISION_UNKNOWN", f"区划代码“{args.division}”不存在")
    if args.source not in pf.FUND_SOURCE:
        return fail(pf.FundCode.UNKNOWN_SOURCE.value, f"资金来源“{args.source}”不存在")
    try:
        params = _weighted(parameters(), args.weight)
    except ValueError as exc:
        return fail(pf.FundCode.WEIGHTS.value, str(exc))
    units = factor_units(args.division, args.data_year or args.year)
    try:
        used = {f.code for f in params.factors}
        inputs = [
            pf.FactorInputs(u.code, {k: v for k, v in u.values.items() if k in used}, u.name)
            for u in units
        ]
        shares = pf.allocate_by_factors(args.total, inputs, params)
    except pf.FundsRefused as exc:
        first = exc.refusals[0]
        for r in exc.refusals[1:]:
            _out().print(f"  [{r.code.value}] {r.message}")
        return fail(first.code.value, first.message)
    out = _out()
    table = Table("区划代码", "名称", "金额（元）", "占比")
    for s in shares:
        share = (s.amount / args.total * 100).quantize(Decimal("0.01"))
        table.add_row(s.unit, s.name, pf.money(s.amount), f"{share}%")
    out.print(f"{args.division} {args.year} 年 {pf.FUND_SOURCE.label_of(args.source)}：")
    out.print(table)
    out.print(f"合计 {pf.money(sum((s.amount for s in shares), Decimal(0)))} 元")
    if args.dry_run:
        out.print("只测算（--dry-run），未下达。")
        return 0
    try:
        recorded = allocations_record_by_factors(
            from_division=args.division,
            source=args.source,
            year=args.year,
            allocated_on=args.on or dt.date.today(),
            shares=shares,
            document_number=args.document,
            by=None,
        )
    except FupinError as exc:
        return fail(exc.code, exc.message)
    out.print(f"已下达 {len(recorded)} 笔。")
    return 0


def _weighted(p: Any, given: list[str]) -> Any:
    """The parameters with the weights given as ``FACTOR=W`` (a factor of weight 0 is left
    out); ValueError in Chinese for a bad entry. The sum is checked by the factor method."""
    from dataclasses import replace
    from fractions import Fraction

    weights = {f.code: f.weight for f in p.factors}
    for item in given:
        code, _, value = item.partition("=")
        code = code.strip()
        if code not in weights:
            raise ValueError(f"因素“{code}”不存在（可用：{'、'.join(weights)}）")
        try:
            weights[code] = Fraction(value.strip())
        except (ValueError, ZeroDivisionError):
            raise ValueError(f"因素“{code}”的权重“{value}”不是数") from None
        if weights[code] < 0:
            raise ValueError(f"因素“{code}”的权重不能为负")
    factors = tuple(replace(f, weight=weights[f.code]) for f in p.factors if weights[f.code])
    return replace(p, factors=factors)


def run_import(args: argparse.Namespace) -> int:
    from rich.table import Table

    from fupin.commands.base import fail, setup_django

    setup_django(migrate=True)
    from fupin.common.errors import FupinError
    from fupin.funds.imports import TITLES, payments_import, projects_import

    run = payments_import if args.kind == "payments" else projects_import
    try:
        report = run(args.file, by=None, dry_run=args.dry_run)
    except FupinError as exc:
        return fail(exc.code, exc.message)
    out = _out()
    out.print(
        f"文件 {args.file.name}：{report.rows} 行{TITLES[args.kind]}，"
        f"用时 {report.seconds:.1f} 秒。"
    )
    if report.unknown_columns:
        out.print(f"[yellow]以下列未能识别，已忽略：{'、'.join(report.unknown_columns)}[/yellow]")
    if not report.ok:
        table = Table("行", "列", "代码", "说明")
        for e in report.errors[:SHOWN_ROWS]:
            table.add_row(
                str(e.row), report.heading_of(e.column) if e.column else "", e.code, e.message
            )
        out.print(table)
        more = f"，仅显示前 {SHOWN_ROWS} 处" if report.error_count > SHOWN_ROWS else ""
        out.print(f"[red]共 {report.error_count} 处错误{more}，未导入任何数据。[/red]")
        return 1
    counts = f"新增 {report.created} 条，未变 {report.unchanged} 条"
    if report.dry_run:
        out.print(f"[green]校验通过[/green]（试运行，未写入）：将{counts}。")
    else:
        out.print(f"[green]导入完成[/green]：{counts}。")
    return 0


def run_balance(args: argparse.Namespace) -> int:
    from rich.table import Table

    from fupin.commands.base import fail, setup_django

    setup_django(migrate=True)
    from fupin.divisions.models import Division
    from fupin.funds import selectors
    from fupin.policy import funds as pf

    if not Division.objects.filter(pk=args.division).exists():
        return fail("DIVISION_UNKNOWN", f"区划代码“{args.division}”不存在")
    rows = selectors.balances(args.division, args.year)
    table = Table("区划", "资金来源", "年度", "到位", "下达", "安排项目", "结余")
    for b in rows:
        table.add_row(
            b.division,
            pf.FUND_SOURCE.label_of(b.source),
            str(b.year),
            pf.money(b.received),
            pf.money(b.allocated),
            pf.money(b.assigned),
            pf.money(b.balance),
        )
    out = _out()
    if not rows:
        out.print(f"{args.division} 没有资金记录。")
        return 0
    out.print(table)
    return 0


def run_monitor(args: argparse.Namespace) -> int:
    from rich.table import Table

    from fupin.commands.base import fail, setup_django

    setup_django(migrate=True)
    from fupin.divisions.models import Division
    from fupin.funds import selectors
    from fupin.policy import funds as pf

    if not Division.objects.filter(pk=args.division).exists():
        return fail("DIVISION_UNKNOWN", f"区划代码“{args.division}”不存在")
    as_of = args.as_of or dt.date.today()
    flags = selectors.ledger_flags(args.division, as_of)
    out = _out()
    out.print(f"{args.division} 截至 {as_of}：资金动态监控发现 {len(flags)} 条疑点")
    counts: dict[str, int] = {}
    for f in flags:
        counts[f.code] = counts.get(f.code, 0) + 1
    for code, n in sorted(counts.items()):
        out.print(f"  {pf.FLAG_LABELS.get(code, code)}（{code}）：{n} 条")
    if flags:
        table = Table("疑点", "区划", "项目", "支付", "户", "来源", "年度", "金额（元）", "起始")
        for f in flags[:SHOWN_ROWS]:
            source = f.source or ""
            table.add_row(
                f.label,
                f.division or "",
                str(f.project_id or ""),
                str(f.payment_id or ""),
                str(f.household_id or ""),
                pf.FUND_SOURCE.label_of(source) if source in pf.FUND_SOURCE else source,
                str(f.year or ""),
                pf.money(f.amount),
                f.since.isoformat() if f.since else "",
            )
        out.print(table)
        if len(flags) > SHOWN_ROWS:
            out.print(f"仅显示前 {SHOWN_ROWS} 条。")
    return 0


def run_notice(args: argparse.Namespace) -> int:
    from fupin.commands.base import fail, setup_django

    if bool(args.project) == bool(args.allocations):
        return fail("NOTICE_WHAT", "请指定 --project 与 --level，或 --allocations 与 --year")
    setup_django(migrate=True)
    from fupin.common.errors import FupinError
    from fupin.funds.project_notices import allocation_notice_publish, project_notice_publish

    try:
        if args.project:
            if not args.level:
                return fail("NOTICE_LEVEL_MISSING", "请用 --level 指定公示层级")
            notice = project_notice_publish(
                project=args.project, level=args.level, by=None, days=args.days
            )
        else:
            if not args.year:
                return fail("NOTICE_YEAR_MISSING", "请用 --year 指定资金年度")
            notice = allocation_notice_publish(
                division=args.allocations, year=args.year, by=None, days=args.days
            )
    except FupinError as exc:
        return fail(exc.code, exc.message)
    _out().print(
        f"已发布：{notice.title}（编号 {notice.pk}，公示至 {notice.ends_at:%Y-%m-%d %H:%M}），"
        f"公开网址 /notices/{notice.pk}/"
    )
    return 0
