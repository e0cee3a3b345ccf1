"""``fupin serve``: serve the web app with gunicorn and run the background-task worker.

The worker (django-tasks-db's ``db_worker``) runs the import jobs; it is a child process
started before gunicorn and stopped when gunicorn exits (Ctrl-C, SIGTERM), so one command
brings up the whole app on the embedded default.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from types import FrameType

#: Seconds the worker gets to finish its current step after SIGTERM.
WORKER_STOP_SECONDS = 10


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "serve", help="用 gunicorn 提供网页服务（默认 127.0.0.1:8000），并运行后台任务"
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument(
        "--no-tasks", action="store_true", help="不启动后台任务进程（另行运行 db_worker 时）"
    )
    p.add_argument(
        "--dev",
        action="store_true",
        help="开发模式：允许不设 FUPIN_SECRET_KEY（仅限本机开发演示，见 docs/deploy.md）",
    )
    p.set_defaults(func=run)


def worker_argv() -> list[str]:
    """The command line of the task worker: ``fupin manage db_worker`` in this interpreter."""
    return [sys.executable, "-m", "fupin.cli", "manage", "db_worker", "--no-startup-delay"]


def gunicorn_argv(args: argparse.Namespace) -> list[str]:
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    return [
        gunicorn,
        "fupin.config.wsgi:application",
        "--bind",
        f"{args.host}:{args.port}",
        "--workers",
        str(args.workers),
        "--access-logfile",
        "-",
    ]


def stop(process: subprocess.Popen[bytes] | None) -> None:
    """Stop a child process: SIGTERM, then SIGKILL if it does not exit in time."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(WORKER_STOP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def child_env(args: argparse.Namespace) -> dict[str, str]:
    """The environment of the gunicorn and worker children: dev mode passes on to them."""
    env = dict(os.environ)
    if getattr(args, "dev", False):
        env["FUPIN_DEV"] = "1"
    return env


def run(args: argparse.Namespace) -> int:
    from fupin.commands.base import console, fail, setup_django
    from fupin.common.errors import FupinError
    from fupin.config.startup import dev_mode, secret_key_check

    # Before anything touches the database: outside dev mode a real key or no server.
    try:
        secret_key_check(
            key=os.environ.get("FUPIN_SECRET_KEY", ""),
            dev=getattr(args, "dev", False) or dev_mode(),
        )
    except FupinError as exc:
        return fail(exc.code, exc.message)
    setup_django(migrate=True)
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    console.print(f"网页服务：http://{args.host}:{args.port}/  （Ctrl-C 停止）")
    env = {**child_env(args), "DJANGO_SETTINGS_MODULE": os.environ["DJANGO_SETTINGS_MODULE"]}
    worker = None if getattr(args, "no_tasks", False) else subprocess.Popen(worker_argv(), env=env)
    server = subprocess.Popen(gunicorn_argv(args), env=env)

    def forward(signum: int, frame: FrameType | None) -> None:
        if server.poll() is None:
            server.send_signal(signum)

    previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        code = server.wait()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        stop(server)
        stop(worker)
    return int(code)
