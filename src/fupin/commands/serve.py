"""``fupin serve``: serve the web app with gunicorn (a production server, not runserver)."""

from __future__ import annotations

import argparse
import os
import sys


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("serve", help="用 gunicorn 提供网页服务（默认 127.0.0.1:8000）")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=2)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from fupin.commands.base import console, setup_django

    setup_django(migrate=True)
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    console.print(f"网页服务：http://{args.host}:{args.port}/  （Ctrl-C 停止）")
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    argv = [
        gunicorn,
        "fupin.config.wsgi:application",
        "--bind",
        f"{args.host}:{args.port}",
        "--workers",
        str(args.workers),
        "--access-logfile",
        "-",
    ]
    os.execv(gunicorn, argv)
