"""``fupin rollups refresh``: recompute the dashboards' rollups per division and year."""

from __future__ import annotations

import argparse
import json

from fupin.commands.base import console, fail, setup_django, stdout_write


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("rollups", help="统计汇总（首页各级区划的户数、人数、致贫原因等）")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    r = actions.add_parser(
        "refresh",
        help="重新计算某区划下各村及其上级的汇总",
        description="按区划和年度重新计算汇总；缺省为全部区划、全部有数据的年度。"
        "用 --dirty 只计算登记数据有变动的村及其上级。",
    )
    r.add_argument("--division", default=None, help="区划代码（省/市/县/乡/村）；缺省为全部")
    r.add_argument("--year", type=int, default=None, help="年度；缺省为所有有收入或评估数据的年度")
    r.add_argument("--dirty", action="store_true", help="只重算有变动（已标记）的村及其上级")
    r.add_argument("--json", action="store_true", help="以 JSON 输出汇总情况")
    r.set_defaults(func=run_refresh)


def run_refresh(args: argparse.Namespace) -> int:
    setup_django(migrate=True)
    from fupin.common.errors import FupinError
    from fupin.divisions.selectors import division_get
    from fupin.reports.services import rollups_refresh, rollups_refresh_dirty

    if args.dirty and (args.division or args.year):
        return fail("ARGS_CONFLICT", "--dirty 不能与 --division 或 --year 同用")
    try:
        if args.division:
            division_get(args.division)
        with console.status("正在计算汇总…"):
            if args.dirty:
                report = rollups_refresh_dirty()
            else:
                report = rollups_refresh(division_code=args.division, year=args.year)
    except FupinError as exc:
        return fail(exc.code, exc.message)
    if args.json:
        stdout_write(
            json.dumps(
                {
                    "villages": report.villages,
                    "rows": report.rows,
                    "years": list(report.years),
                    "seconds": round(report.seconds, 3),
                },
                ensure_ascii=False,
            )
        )
        return 0
    years = "、".join(str(y) for y in report.years) or "无"
    stdout_write(
        f"汇总完成：{report.villages:,} 个村行、共 {report.rows:,} 行（年度 {years}），"
        f"用时 {report.seconds:.1f} 秒。"
    )
    return 0
