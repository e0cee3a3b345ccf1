"""``fupin id check ID [ID ...] [--json]``: check resident ID numbers (no database needed)."""

from __future__ import annotations

import argparse
import json

from fupin.commands.base import stdout_write
from fupin.policy.idnumber import IdCheck, check

SEX_LABELS = {"male": "男", "female": "女"}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("id", help="公民身份号码工具（校验、15位升18位）")
    id_sub = p.add_subparsers(dest="id_command", metavar="SUBCOMMAND")
    p.set_defaults(func=lambda _args: _usage(p))
    c = id_sub.add_parser(
        "check",
        help="校验身份号码：长度、字符、地址码、出生日期、校验码",
        description="校验公民身份号码（GB 11643-1999）。全部有效时退出码为 0，否则为 1。",
    )
    c.add_argument("ids", nargs="+", metavar="ID", help="身份号码；15位号码自动升为18位")
    c.add_argument("--json", action="store_true", help="以 JSON 数组输出，每个号码一个对象")
    c.set_defaults(func=run_check)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def describe(result: IdCheck) -> str:
    """Return the one-line Chinese verdict printed for one input."""
    if result.valid:
        assert result.birth_date is not None and result.sex is not None
        upgraded = "" if result.normalized == result.input else f"（输入 {result.input}）"
        return (
            f"{result.normalized} 有效{upgraded}  出生日期 {result.birth_date.isoformat()}  "
            f"性别 {SEX_LABELS[result.sex]}"
        )
    return f"{result.input} 无效  [{result.reason}] {result.message}"


def run_check(args: argparse.Namespace) -> int:
    results = [check(text) for text in args.ids]
    if args.json:
        stdout_write(json.dumps([r.as_dict() for r in results], ensure_ascii=False, indent=2))
    else:
        for result in results:
            stdout_write(describe(result))
    return 0 if all(r.valid for r in results) else 1
