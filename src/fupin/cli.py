"""The ``fupin`` command: one entry point for every job (see ``fupin --help``)."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from fupin import __version__
from fupin.commands import COMMAND_MODULES


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fupin",
        description="扶贫 — 精准扶贫信息系统 (targeted poverty alleviation registry)",
    )
    parser.add_argument("--version", action="version", version=f"fupin {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"fupin.commands.{name}")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
