"""Run an index builder on DuckDB over small in-memory tables."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pytest
from hypothesis import strategies as st

Run = Callable[..., dict[str, float]]

#: Incomes with ties (few distinct values), positive, two decimals like yuan.
incomes = st.lists(
    st.sampled_from([0.5, 1.0, 2.0, 2.5, 3.0, 7.25, 10.0, 40.0]) | st.floats(0.01, 1e5),
    min_size=1,
    max_size=25,
)


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def table(y: Sequence[float], w: Sequence[float] | None = None, g: Sequence[str] | None = None):
    cols: dict[str, Any] = {"y": pa.array(y, pa.float64())}
    if w is not None:
        cols["w"] = pa.array(w, pa.float64())
    if g is not None:
        cols["g"] = pa.array(g, pa.string())
    return ibis.memtable(pa.table(cols))


@pytest.fixture(scope="session")
def duck() -> Any:
    return ibis.duckdb.connect()


@pytest.fixture(scope="session")
def run(duck: Any) -> Run:
    """``run(builder, y, w=None, g=None, **kw)`` → {group: value}."""

    def go(
        builder: Callable[..., ir.Table],
        y: Sequence[float],
        w: Sequence[float] | None = None,
        g: Sequence[str] | None = None,
        **kw: Any,
    ) -> dict[str, float]:
        t = table(y, w, g)
        expr = builder(
            t,
            income="y",
            weight="w" if w is not None else None,
            by="g" if g is not None else None,
            **kw,
        )
        out = duck.to_pyarrow(expr).to_pylist()
        return {r["g"]: r["value"] for r in out}

    return go
