"""``fupin workflow``: the yearly adjustment from the command line — exit proposals for a
division, one step for many cases at once, and where the cases stand.

Every write runs as a named user (``--by``) through the same services as the pages, so the
same rules apply (role, division level, scope, proposer, notice periods, objections).
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from fupin.commands.base import console, fail, progress, setup_django, stdout_write


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("workflow", help="识别与退出：批量提出退出、批量办理环节、查看案件")
    wsub = p.add_subparsers(dest="workflow_command", required=True, metavar="子命令")

    ex = wsub.add_parser("exit-proposals", help="为评估达标的户批量提出退出")
    ex.add_argument("--division", required=True, help="县、乡镇或村的区划代码")
    ex.add_argument("--year", type=int, required=True, help="评估年度")
    ex.add_argument("--by", required=True, help="办理人用户名（县扶贫办或村干部）")
    ex.set_defaults(func=run_exit_proposals)

    adv = wsub.add_parser("advance", help="对区划内的案件批量办理同一环节")
    adv.add_argument("--division", required=True, help="区划代码")
    adv.add_argument("--procedure", required=True, help="程序：identification、exit、decrease …")
    adv.add_argument("--step", required=True, help="环节代码，如 appraise、notice、announce")
    adv.add_argument("--by", required=True, help="办理人用户名")
    adv.add_argument("--household", action="append", default=None, help="只办理这些户编号")
    adv.add_argument("--note", default="", help="审核意见")
    adv.add_argument("--meeting-date", default=None, help="民主评议日期 YYYY-MM-DD")
    adv.add_argument("--attendance", type=int, default=None, help="到会人数")
    adv.add_argument("--votes-for", type=int, default=None, help="赞成票")
    adv.add_argument("--votes-against", type=int, default=None, help="反对票")
    adv.add_argument("--consent", action="store_true", help="农户本人已签字确认")
    adv.set_defaults(func=run_advance)

    ls = wsub.add_parser("list", help="按程序和环节统计区划内的案件")
    ls.add_argument("--division", required=True, help="区划代码")
    ls.add_argument("--state", default="", help="只看这个环节（状态代码）")
    ls.add_argument("--json", action="store_true", help="以 JSON 输出")
    ls.set_defaults(func=run_list)


def _user(username: str) -> Any:
    from django.contrib.auth import get_user_model

    from fupin.common.errors import FupinError

    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise FupinError("USER_NOT_FOUND", f"没有名为 {username} 的用户")
    return user


def run_exit_proposals(args: argparse.Namespace) -> int:
    setup_django(migrate=True)
    from fupin.common.errors import FupinError
    from fupin.workflows.services import exit_proposals_create

    started = time.perf_counter()
    try:
        by = _user(args.by)
        with progress("批量提出退出", total=1) as bar:
            n = exit_proposals_create(division_code=args.division, year=args.year, by=by)
            bar.update(bar.task_ids[0], completed=1)
    except FupinError as exc:
        return fail(exc.code, exc.message)
    console.print(
        f"已为 {args.division} 评估达标的 [bold]{n:,}[/bold] 户提出退出"
        f"（{args.year} 年度），用时 {time.perf_counter() - started:.1f} 秒。"
    )
    stdout_write(str(n))
    return 0


def run_advance(args: argparse.Namespace) -> int:
    setup_django(migrate=True)
    from fupin.common.errors import FupinError
    from fupin.policy import workflows as wf
    from fupin.registry.models import Household
    from fupin.workflows.services import workflow_bulk_advance

    data: dict[str, Any] = {"note": args.note}
    if args.consent:
        data["consent"] = True
    for key in ("meeting_date", "attendance", "votes_for", "votes_against"):
        value = getattr(args, key)
        if value is not None:
            data[key] = value
    started = time.perf_counter()
    try:
        by = _user(args.by)
        ids = None
        if args.household:
            found = dict(
                Household.objects.filter(code__in=args.household).values_list("code", "pk")
            )
            unknown = [c for c in args.household if c not in found]
            if unknown:
                raise FupinError("HOUSEHOLD_NOT_FOUND", f"未找到户编号：{'、'.join(unknown[:5])}")
            ids = list(found.values())
        label = wf.procedure_def(args.procedure).step(args.step).label
        with progress(f"批量办理「{label}」", total=1) as bar:
            n = workflow_bulk_advance(
                division_code=args.division,
                procedure=args.procedure,
                step=args.step,
                by=by,
                household_ids=ids,
                data=data,
            )
            bar.update(bar.task_ids[0], completed=1)
    except KeyError:
        return fail("WORKFLOW_STEP_UNKNOWN", f"程序 {args.procedure} 没有环节 {args.step}")
    except FupinError as exc:
        return fail(exc.code, exc.message)
    console.print(
        f"已办理「{label}」[bold]{n:,}[/bold] 件，用时 {time.perf_counter() - started:.1f} 秒。"
    )
    stdout_write(str(n))
    return 0


def run_list(args: argparse.Namespace) -> int:
    setup_django(migrate=True)
    from rich.table import Table

    from fupin.common.errors import FupinError
    from fupin.policy import workflows as wf
    from fupin.workflows.selectors import list_summary

    try:
        rows = list_summary(division=args.division, state=args.state)
    except FupinError as exc:
        return fail(exc.code, exc.message)
    except ValueError:
        return fail("DIVISION_CODE_INVALID", f"区划代码 {args.division} 无效")
    if args.json:
        stdout_write(json.dumps(rows, ensure_ascii=False))
        return 0
    table = Table(title=f"{args.division} 识别与退出案件")
    table.add_column("程序")
    table.add_column("环节")
    table.add_column("件数", justify="right")
    table.add_column("超期", justify="right")
    for r in rows:
        table.add_row(
            wf.PROCEDURE_LABELS[r["procedure"]],
            r["label"],
            f"{r['n']:,}",
            f"[red]{r['overdue']:,}[/red]" if r["overdue"] else "0",
        )
    from rich.console import Console

    Console().print(table)
    if not rows:
        console.print("该区划没有案件。")
    return 0
