"""Straightforward pure-Python references of every index, for the property tests.

Deliberately written another way than the Ibis definitions: the Gini from the mean absolute
difference over all pairs, SST from the sorted-array formula on expanded (integer) weights, the
entropy measures from their textbook sums.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def _w(y: Sequence[float], w: Sequence[float] | None) -> list[float]:
    return [1.0] * len(y) if w is None else [float(x) for x in w]


def fgt(y: Sequence[float], z: float, alpha: float, w: Sequence[float] | None = None) -> float:
    ws = _w(y, w)
    num = sum(wi * ((z - yi) / z) ** alpha for yi, wi in zip(y, ws, strict=True) if yi < z)
    return num / sum(ws)


def headcount(y: Sequence[float], z: float, w: Sequence[float] | None = None) -> float:
    return sum(wi for yi, wi in zip(y, _w(y, w), strict=True) if yi < z)


def watts(y: Sequence[float], z: float, w: Sequence[float] | None = None) -> float:
    ws = _w(y, w)
    return sum(wi * math.log(z / yi) for yi, wi in zip(y, ws, strict=True) if yi < z) / sum(ws)


def gap_total(y: Sequence[float], z: float, w: Sequence[float] | None = None) -> float:
    return sum(wi * (z - yi) for yi, wi in zip(y, _w(y, w), strict=True) if yi < z)


def gini(y: Sequence[float], w: Sequence[float] | None = None) -> float:
    """Σ_i Σ_j w_i w_j |y_i − y_j| / (2 W² μ)."""
    ws = _w(y, w)
    big_w = sum(ws)
    mu = sum(a * b for a, b in zip(y, ws, strict=True)) / big_w
    total = sum(
        wi * wj * abs(yi - yj)
        for yi, wi in zip(y, ws, strict=True)
        for yj, wj in zip(y, ws, strict=True)
    )
    return total / (2 * big_w * big_w * mu)


def sen(y: Sequence[float], z: float, w: Sequence[float] | None = None) -> float:
    ws = _w(y, w)
    poor = [(yi, wi) for yi, wi in zip(y, ws, strict=True) if yi < z]
    if not poor:
        return 0.0
    q = sum(wi for _, wi in poor)
    h = q / sum(ws)
    i = sum(wi * (z - yi) / z for yi, wi in poor) / q
    gp = gini([p for p, _ in poor], [wi for _, wi in poor])
    return h * (i + (1 - i) * gp)


def expand(y: Sequence[float], w: Sequence[int] | None) -> list[float]:
    """Each income repeated by its (integer) weight."""
    if w is None:
        return list(y)
    return [yi for yi, wi in zip(y, w, strict=True) for _ in range(int(wi))]


def sst(y: Sequence[float], z: float, w: Sequence[int] | None = None) -> float:
    """Σ_{i≤q} (2N − 2i + 1)·g_i / N², the poor sorted ascending (integer weights expanded)."""
    ys = sorted(expand(y, w))
    n = len(ys)
    return sum((2 * n - 2 * i + 1) * (z - yi) / z for i, yi in enumerate(ys, 1) if yi < z) / n**2


def mean(y: Sequence[float], w: Sequence[float] | None = None) -> float:
    ws = _w(y, w)
    return sum(a * b for a, b in zip(y, ws, strict=True)) / sum(ws)


def ge(y: Sequence[float], alpha: float, w: Sequence[float] | None = None) -> float:
    ws = _w(y, w)
    big_w, mu = sum(ws), mean(y, w)
    if alpha == 0:
        return sum(wi * math.log(mu / yi) for yi, wi in zip(y, ws, strict=True)) / big_w
    if alpha == 1:
        return sum(wi * yi / mu * math.log(yi / mu) for yi, wi in zip(y, ws, strict=True)) / big_w
    s = sum(wi * (yi / mu) ** alpha for yi, wi in zip(y, ws, strict=True)) / big_w
    return (s - 1) / (alpha * (alpha - 1))


def atkinson(y: Sequence[float], epsilon: float, w: Sequence[float] | None = None) -> float:
    ws = _w(y, w)
    big_w, mu = sum(ws), mean(y, w)
    if epsilon == 1:
        geo = math.exp(sum(wi * math.log(yi) for yi, wi in zip(y, ws, strict=True)) / big_w)
        return 1 - geo / mu
    s = sum(wi * yi ** (1 - epsilon) for yi, wi in zip(y, ws, strict=True)) / big_w
    return 1 - s ** (1 / (1 - epsilon)) / mu


def hoover(y: Sequence[float], w: Sequence[float] | None = None) -> float:
    ws = _w(y, w)
    mu = mean(y, w)
    return sum(wi * abs(yi - mu) for yi, wi in zip(y, ws, strict=True)) / (
        2 * sum(wi * yi for yi, wi in zip(y, ws, strict=True))
    )
