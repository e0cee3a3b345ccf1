"""``fupin manage ...``: Django's management commands (migrate, createsuperuser, shell …)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("manage", help="运行 Django 管理命令（migrate、createsuperuser 等）")
    p.add_argument("args", nargs=argparse.REMAINDER)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from django.core.management import execute_from_command_line

    from fupin.commands.base import setup_django

    setup_django()
    execute_from_command_line(["fupin manage", *args.args])
    return 0
