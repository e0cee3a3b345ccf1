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
LEVEL_OF_LENGTH = {length: level for level, length in CODE_LENGTHS.items()}

SCHEMA = pa.schema(
    [
        pa.field("code", pa.string(), nullable=False),
        pa.field("name", pa.string(), nullable=False),
        pa.field("level", pa.int16(), nullable=False),
        pa.field("parent_code", pa.string()),
    ]
)


@lru_cache(maxsize=8)
def _read(level: int) -> pa.Table:
    filename, parent_col = LEVEL_FILES[level]
    data = resources.files("fupin.divisions").joinpath("data", filename).read_bytes()
    raw = lzma.decompress(data)
    wanted = ["code", "name"] + ([parent_col] if parent_col else [])
    table = pacsv.read_csv(
        pa.py_buffer(raw),
        # Parse only the columns we keep, all as text: codes keep their leading digits.
        convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in wanted}, include_columns=wanted
        ),
    )
    parent = table[parent_col] if parent_col else pa.nulls(table.num_rows, pa.string())
    return pa.Table.from_arrays(
        [
            table["code"],
            table["name"],
            pa.repeat(pa.scalar(level, pa.int16()), table.num_rows),
            parent,
        ],
        schema=SCHEMA,
    ).combine_chunks()


def read_level(level: int, prefix: str | None = None) -> pa.Table:
    """Return ``code, name, level, parent_code`` of one level, optionally under a code prefix."""
    table = _read(level)
    if prefix:
        table = table.filter(pc.starts_with(table["code"], prefix))
    return table


def read_subtree(prefix: str | None = None) -> pa.Table:
    """Return all five levels under ``prefix`` (the ancestors of ``prefix`` included)."""
    return pa.concat_tables(read_subtree_levels(prefix).values())


def read_subtree_levels(prefix: str | None = None) -> dict[int, pa.Table]:
    """Return the rows under ``prefix`` level by level (1..5), ancestors of ``prefix`` included.

    A level above the prefix holds exactly its one ancestor (or nothing if the prefix is
    unknown); the prefix's own level holds the division itself.
    """
    parts: dict[int, pa.Table] = {}
    for level, length in CODE_LENGTHS.items():
        if prefix and length <= len(prefix):
            # ancestors (and the division itself): the code is a prefix of ``prefix``
            table = _read(level)
            parts[level] = table.filter(pc.equal(table["code"], prefix[:length]))
        else:
            parts[level] = read_level(level, prefix)
    return parts


def code_exists(code: str) -> bool:
    """Tell whether ``code`` (2, 4, 6, 9 or 12 digits) is a division in the packaged data."""
    level = LEVEL_OF_LENGTH.get(len(code))
    if level is None:
        return False
    table = _read(level)
    return bool(pc.any(pc.equal(table["code"], code)).as_py())


def count_subtree(prefix: str | None = None) -> dict[int, int]:
    """Return the number of rows per level that ``read_subtree(prefix)`` gives."""
    return {level: table.num_rows for level, table in read_subtree_levels(prefix).items()}
