"""Read the packaged CSV files with the csv module, independently of ``source.py``."""

from __future__ import annotations

import csv
import io
import lzma
from collections import Counter
from importlib import resources

FILES = {
    1: "provinces.csv.xz",
    2: "cities.csv.xz",
    3: "areas.csv.xz",
    4: "streets.csv.xz",
    5: "villages.csv.xz",
}


def file_codes(level: int) -> list[str]:
    """Return the ``code`` column of one packaged file."""
    data = resources.files("fupin.divisions").joinpath("data", FILES[level]).read_bytes()
    with io.TextIOWrapper(io.BytesIO(lzma.decompress(data)), encoding="utf-8") as text:
        return [row["code"] for row in csv.DictReader(text)]


def count_under(codes: dict[int, list[str]], prefix: str) -> Counter[int]:
    """Return rows per level that a load of ``prefix`` must leave: its subtree and ancestors."""
    counts: Counter[int] = Counter()
    for level, level_codes in codes.items():
        for code in level_codes:
            if code.startswith(prefix) or prefix.startswith(code):
                counts[level] += 1
    return counts
