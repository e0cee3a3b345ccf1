"""Profile rows as the objects the command, the API and the pages show."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

POVERTY_KEYS = ("n", "q", "P0", "P1", "P2", "watts", "sen", "sst", "gap_total", "gini")
INEQUALITY_KEYS = ("n", "mean", "gini", "theil_t", "mld", "hoover")


def money(v: float) -> Decimal:
    """A yuan figure computed in floating point, to the fen."""
    return Decimal(repr(float(v))).quantize(Decimal("0.01"), ROUND_HALF_UP)


def number_key(v: float) -> str:
    """A parameter as a key: ``0.5`` → "0.5", ``1.0`` → "1"."""
    return f"{v:g}"


def poverty_row(r: Mapping[str, Any]) -> dict[str, Any]:
    """A :func:`~fupin.policy.indices.poverty_profile` row; ``gap_total`` in yuan (Decimal)."""
    row: dict[str, Any] = {k: float(r[k]) for k in POVERTY_KEYS}
    row["gap_total"] = money(row["gap_total"])
    return row


def inequality_row(
    r: Mapping[str, Any], eps_keys: Sequence[str], alpha_keys: Sequence[str]
) -> dict[str, Any]:
    """An :func:`~fupin.policy.indices.inequality_profile` row, with ``atkinson`` and ``ge``
    keyed by the ε and α as given."""
    row: dict[str, Any] = {k: float(r[k]) for k in INEQUALITY_KEYS}
    row["atkinson"] = {k: float(r[f"atkinson_{i}"]) for i, k in enumerate(eps_keys)}
    row["ge"] = {k: float(r[f"ge_{i}"]) for i, k in enumerate(alpha_keys)}
    return row
