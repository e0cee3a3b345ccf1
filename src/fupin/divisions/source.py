"""Read the packaged NBS division files (``divisions/data/*.csv.xz``) without a database.

The loader uses this to fill the ``Division`` table and the generator uses it to place
households in a county's real villages.
"""

from __future__ import annotations

import lzma
from functools import lru_cache
from importlib import resources

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

#: Level -> (file, column holding the parent code).
LEVEL_FILES: dict[int, tuple[str, str | None]] = {
    1: ("provinces.csv.xz", None),
    2: ("cities.csv.xz", "provinceCode"),
    3: ("areas.csv.xz", "cityCode"),
    4: ("streets.csv.xz", "areaCode"),
    5: ("villages.csv.xz", "streetCode"),
}
CODE_LENGTHS = {1: 2, 2: 4, 3: 6, 4: 9, 5: 12}


@lru_cache(maxsize=8)
def _read(level: int) -> pa.Table:
    filename, parent_col = LEVEL_FILES[level]
    data = resources.files("fupin.divisions").joinpath("data", filename).read_bytes()
    raw = lzma.decompress(data)
    table = pacsv.read_csv(
        pa.py_buffer(raw),
        convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in ("code", "name", parent_col or "code")}
        ),
    )
    parent = table[parent_col] if parent_col else pa.nulls(table.num_rows, pa.string())
    return pa.table(
        {
            "code": table["code"],
            "name": table["name"],
            "level": pa.array([level] * table.num_rows, pa.int16()),
            "parent_code": parent,
        }
    )


def read_level(level: int, prefix: str | None = None) -> pa.Table:
    """Return ``code, name, level, parent_code`` of one level, optionally under a code prefix."""
    table = _read(level)
    if prefix:
        table = table.filter(pc.starts_with(table["code"], prefix))
    return table


def read_subtree(prefix: str | None = None) -> pa.Table:
    """Return all five levels under ``prefix`` (the ancestors of ``prefix`` included)."""
    parts = []
    for level, length in CODE_LENGTHS.items():
        if prefix and length <= len(prefix):
            # ancestors (and the division itself): the code is a prefix of ``prefix``
            parts.append(read_level(level, prefix[:length]))
        else:
            parts.append(read_level(level, prefix))
    return pa.concat_tables(parts)
