"""Helpers shared by the CLI commands."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

console = Console(stderr=True)


def setup_django(*, migrate: bool = False) -> None:
    """Configure Django; with ``migrate`` bring the database schema up to date quietly."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fupin.config.settings")
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)


@contextmanager
def progress(description: str, total: int | None = None) -> Iterator[Progress]:
    """A rich progress bar on stderr; hidden when stderr is not a terminal and CI is set."""
    disable = os.environ.get("FUPIN_NO_PROGRESS") == "1"
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=disable,
        transient=False,
    ) as bar:
        bar.add_task(description, total=total)
        yield bar


def fail(code: str, message: str) -> int:
    """Print a refusal in Chinese with its stable code; return exit status 1."""
    console.print(f"[red]错误 [{code}][/red] {message}")
    return 1


def stdout_write(text: str) -> None:
    sys.stdout.write(text)
    if not text.endswith("\n"):
        sys.stdout.write("\n")
