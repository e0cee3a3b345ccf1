"""``fupin indices mpi``: the Alkire–Foster MPI (added by the MPI work)."""

from __future__ import annotations

from typing import Any


def register(sub: Any) -> None:
    """Added by the MPI work."""
