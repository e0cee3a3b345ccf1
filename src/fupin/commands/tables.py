"""``fupin tables list|render``: the statistical tables computed from the rollups."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from fupin.commands.base import fail, setup_django, stdout_write

FORMATS = (".xlsx", ".csv")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("tables", help="统计报表（由汇总数据自动计算，导出 Excel 或 CSV）")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    ls = actions.add_parser("list", help="列出可用的统计表")
    ls.add_argument("--json", action="store_true", help="以 JSON 输出")
    ls.set_defaults(func=run_list)
    r = actions.add_parser(
        "render",
        help="计算一张统计表并写入 Excel 或 CSV 文件",
        description="按区划和年度计算统计表；文件格式由 --out 的扩展名决定（.xlsx 或 .csv）。",
    )
    r.add_argument("name", help="统计表名称（见 fupin tables list）")
    r.add_argument("--division", default="", help="区划代码（省/市/县/乡/村）；缺省为全国")
    r.add_argument("--year", type=int, default=None, help="年度；缺省为最近有汇总的年度")
    r.add_argument("--out", required=True, type=Path, help="输出文件（.xlsx 或 .csv）")
    r.set_defaults(func=run_render)


def run_list(args: argparse.Namespace) -> int:
    setup_django()
    from fupin.reports.tables import table_list

    tables = table_list()
    if args.json:
        stdout_write(
            json.dumps(
                [
                    {
                        "name": t.name,
                        "title": t.title,
                        "unit": t.unit,
                        "source": t.source,
                        "definition": t.definition,
                        "columns": [
                            {"key": c.key, "group": g.title, "title": c.title, "kind": c.kind}
                            for g in t.groups
                            for c in g.columns
                        ],
                    }
                    for t in tables
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return 0
    for t in tables:
        stdout_write(f"{t.name:<16} {t.title}（{t.unit}）")
    return 0


def run_render(args: argparse.Namespace) -> int:
    suffix = args.out.suffix.lower()
    if suffix not in FORMATS:
        return fail("TABLE_BAD_FORMAT", f"不支持的文件格式“{args.out.suffix}”：请用 .xlsx 或 .csv")
    setup_django(migrate=True)
    from fupin.common.errors import FupinError
    from fupin.reports.services import rollups_refresh_dirty
    from fupin.reports.table_exports import table_csv, table_xlsx
    from fupin.reports.tables import table_compute, table_get

    try:
        table_get(args.name)
        rollups_refresh_dirty()
        table = table_compute(name=args.name, division_code=args.division.strip(), year=args.year)
    except FupinError as exc:
        return fail(exc.code, exc.message)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".xlsx":
        args.out.write_bytes(table_xlsx(table))
    else:
        args.out.write_text(table_csv(table), encoding="utf-8")
    stdout_write(
        f"已写入 {args.out}：{table.division_name} {table.year} 年{table.table.title}，"
        f"{len(table.rows)} 行。"
    )
    return 0
