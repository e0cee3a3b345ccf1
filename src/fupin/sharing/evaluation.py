"""Precision and recall of each flag type against the planted truth of synthetic department files.

A flag counts once per (flag type, person): a person the department lists twice is one case.
The person is the registry member a row matched (by ID or by name and birth date), else the
department row's own ID number.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from fupin.policy.idnumber import check_array


@dataclass(frozen=True)
class Score:
    flag_type: str
    planted: int
    flagged: int
    true_positive: int

    @property
    def precision(self) -> float:
        return self.true_positive / self.flagged if self.flagged else 1.0

    @property
    def recall(self) -> float:
        return self.true_positive / self.planted if self.planted else 1.0

    def as_dict(self) -> dict[str, object]:
        return {
            "flag_type": self.flag_type,
            "planted": self.planted,
            "flagged": self.flagged,
            "true_positive": self.true_positive,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
        }


def read_truth(path: Path) -> pa.Table:
    opts = pacsv.ConvertOptions(column_types={"id_number": pa.string()})
    return pacsv.read_csv(path, convert_options=opts)


def truth_pairs(truth: pa.Table, feeds: Iterable[str] | None = None) -> set[tuple[str, int]]:
    if feeds is not None:
        wanted = set(feeds)
        rows = [r for r in truth.to_pylist() if r["feed"] in wanted]
    else:
        rows = truth.to_pylist()
    keys = check_array(np.array([r["id_number"] for r in rows], dtype=object)).key
    return {(r["flag_type"], int(k)) for r, k in zip(rows, keys, strict=True)}


def score(
    truth: set[tuple[str, int]], flagged: set[tuple[str, int]], flag_types: Iterable[str]
) -> dict[str, Score]:
    """Score every flag type in ``flag_types`` (types with no plant and no flag included)."""
    out: dict[str, Score] = {}
    for ft in flag_types:
        t = {p for f, p in truth if f == ft}
        f = {p for g, p in flagged if g == ft}
        out[ft] = Score(ft, len(t), len(f), len(t & f))
    return out


def summary(scores: Mapping[str, Score]) -> Score:
    return Score(
        "ALL",
        sum(s.planted for s in scores.values()),
        sum(s.flagged for s in scores.values()),
        sum(s.true_positive for s in scores.values()),
    )
