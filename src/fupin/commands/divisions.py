"""``fupin divisions load|show``: load the NBS 2023 division codes, show one division."""

from __future__ import annotations

import argparse

from rich.progress import TaskID

from fupin.commands.base import fail, progress, setup_django, stdout_write
from fupin.common.errors import FupinError

LEVEL_NAMES = {1: "省级", 2: "地级", 3: "县级", 4: "乡级", 5: "村级"}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("divisions", help="行政区划：导入 2023 年统计用区划代码、查看区划")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)

    load = actions.add_parser(
        "load", help="导入区划代码（默认全国；可只导入一个省、一个县或任一代码之下）"
    )
    scope = load.add_mutually_exclusive_group()
    scope.add_argument("--province", metavar="CODE", help="只导入这个省（2 位代码，如 51）")
    scope.add_argument("--county", metavar="CODE", help="只导入这个县（6 位代码，如 513431）")
    scope.add_argument("--prefix", metavar="CODE", help="只导入这个代码之下（2/4/6/9/12 位）")
    load.set_defaults(func=run_load)

    show = actions.add_parser("show", help="显示区划的完整名称和下级区划数")
    show.add_argument("code", metavar="CODE", help="区划代码（2/4/6/9/12 位）")
    show.set_defaults(func=run_show)


def _prefix(args: argparse.Namespace) -> tuple[str | None, int | None]:
    """Return the prefix asked for and the level its option requires (None: any)."""
    if args.province is not None:
        return args.province, 1
    if args.county is not None:
        return args.county, 3
    return args.prefix, None


def run_load(args: argparse.Namespace) -> int:
    prefix, required_level = _prefix(args)
    setup_django(migrate=True)
    from fupin.divisions.selectors import division_path_name, level_of_code
    from fupin.divisions.services import division_prefix_validate, divisions_load

    try:
        if prefix is not None and required_level is not None:
            level = level_of_code(prefix)
            if level != required_level:
                option = "--province" if required_level == 1 else "--county"
                return fail(
                    "DIVISION_WRONG_LEVEL",
                    f"{option} 需要{LEVEL_NAMES[required_level]}代码，{prefix.strip()} 是"
                    f"{LEVEL_NAMES[level]}代码（任意级别请用 --prefix）",
                )
        prefix = division_prefix_validate(prefix)  # refuse before drawing the bar
        with progress("导入行政区划", total=None) as bar:
            overall = bar.task_ids[0]
            tasks: dict[int, TaskID] = {}
            done_by_level: dict[int, int] = {}

            def on_progress(level: int, done: int, total: int) -> None:
                if level not in tasks:
                    tasks[level] = bar.add_task(LEVEL_NAMES[level], total=total)
                    bar.update(overall, total=sum(t.total or 0 for t in bar.tasks[1:]))
                bar.update(tasks[level], completed=done)
                done_by_level[level] = done
                bar.update(overall, completed=sum(done_by_level.values()))

            report = divisions_load(prefix=prefix, progress=on_progress)
    except FupinError as error:
        return fail(error.code, error.message)

    where = division_path_name(report.prefix) if report.prefix else "全国"
    code = f"（{report.prefix}）" if report.prefix else ""
    stdout_write(f"已导入行政区划：{where}{code}")
    for item in report.levels:
        stdout_write(
            f"  {LEVEL_NAMES[item.level]}  {item.rows:>7,} 个"
            f"（新增 {item.inserted:,}，更新 {item.updated:,}，未变 {item.unchanged:,}）"
        )
    stdout_write(
        f"  合计  {report.rows:>7,} 个（新增 {report.inserted:,}，更新 {report.updated:,}），"
        f"用时 {report.seconds:.1f} 秒"
    )
    return 0


def run_show(args: argparse.Namespace) -> int:
    setup_django(migrate=True)
    from fupin.divisions.selectors import division_children, division_get, division_path_name

    try:
        division = division_get(args.code)
        path = division_path_name(division.code)
    except FupinError as error:
        return fail(error.code, error.message)
    children = division_children(division.code).count()
    stdout_write(path)
    stdout_write(f"代码 {division.code}，{LEVEL_NAMES[division.level]}，下级区划 {children:,} 个")
    return 0
