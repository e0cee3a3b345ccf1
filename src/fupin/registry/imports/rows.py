"""Read a CSV or Excel file of records row by row: the header mapped to column names, each row
as its number in the file and its cells as trimmed text (None when empty).

For the imports whose files are county-sized (village facts, the project library, payments):
each row is judged by the rules and the whole file is written only when no row has an error.
(The registry and the measures imports, which take millions of rows, read columns into Arrow
instead: ``fupin.registry.imports.reader``.)
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from fupin.common.errors import FupinError
from fupin.registry.imports.errors import RowError
from fupin.registry.imports.reader import (
    EXCEL_SUFFIXES,
    cell_text,
    detect_encoding,
    normalize_header,
)

Rows = Iterator[tuple[int, list[str | None]]]


def _cell(value: object) -> str | None:
    """An Excel cell as text; a whole number typed as a float (a code, a year) loses ``.0``."""
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return cell_text(value)


def _read_csv(path: Path) -> tuple[list[str], Rows]:
    encoding, _ = detect_encoding(path)
    text = path.read_bytes().decode("utf-8-sig" if encoding == "utf8" else "gb18030")
    reader = csv.reader(io.StringIO(text))
    header = next(reader, [])

    def rows() -> Rows:
        for number, row in enumerate(reader, start=2):
            yield number, [c or None for c in row]

    return header, rows()


def _read_excel(path: Path, lookup: Mapping[str, str], example: str) -> tuple[list[str], Rows]:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types per format
        raise FupinError("FILE_UNREADABLE", f"无法读取 Excel 文件：{exc}") from exc
    for index in range(len(workbook.sheet_names)):
        sheet = workbook.get_sheet_by_index(index)
        it = iter(sheet.iter_rows())
        first = next(it, None)
        if first is None:
            continue
        header = [cell_text(h) or "" for h in first]
        if sum(1 for h in header if normalize_header(h) in lookup) >= 2:
            start = int(sheet.start[0]) + 2 if sheet.start else 2

            def rows(it: Iterator[list[Any]] = it, start: int = start) -> Rows:
                for number, row in enumerate(it, start=start):
                    yield number, [_cell(c) for c in row]

            return header, rows()
    raise FupinError("FILE_EMPTY", f"Excel 文件中没有可识别的表头：第1行应为列名（如 {example}）")


def open_rows(path: Path, lookup: Mapping[str, str], example: str) -> tuple[list[str], Rows]:
    """The header and the rows of a CSV (UTF-8 or GB18030) or Excel (xlsx/xls/ods) file. In a
    workbook the first sheet with two or more known headings (``lookup``: folded spelling ->
    column) is read; ``example`` names headings for the message when none is found."""
    path = Path(path)
    if not path.is_file():
        raise FupinError("FILE_NOT_FOUND", f"找不到文件：{path}")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path)
    if suffix in EXCEL_SUFFIXES:
        return _read_excel(path, lookup, example)
    raise FupinError(
        "FILE_UNSUPPORTED",
        f"不支持的文件类型“{suffix or path.name}”：请使用 CSV 或 Excel（xlsx/xls/ods）",
    )


def map_header(
    header: Sequence[str],
    lookup: Mapping[str, str],
    required: Sequence[str],
    heading_of: Callable[[str], str],
    errors: list[RowError],
) -> tuple[dict[int, str], list[str]]:
    """Map the header's positions to column names; return them and the unknown headings.
    A column given twice and a required column missing are errors of row 1."""
    positions: dict[int, str] = {}
    unknown: list[str] = []
    seen: set[str] = set()
    for i, raw in enumerate(header):
        text = (raw or "").strip()
        name = lookup.get(normalize_header(text))
        if name is None:
            if text:
                unknown.append(text)
            continue
        if name in seen:
            errors.append(
                RowError(
                    1,
                    name,
                    "FILE_DUPLICATE_COLUMN",
                    f"“{heading_of(name)}”列出现了多次，只能保留一列",
                )
            )
            continue
        seen.add(name)
        positions[i] = name
    for name in required:
        if name not in seen:
            errors.append(
                RowError(
                    1,
                    name,
                    "FILE_MISSING_COLUMN",
                    f"文件缺少必需的列“{heading_of(name)}”（也可写作 {name}）",
                )
            )
    return positions, unknown


def cells_of(cells: Sequence[str | None], positions: Mapping[int, str]) -> dict[str, str | None]:
    """A row's cells by column name, trimmed (None when empty or beyond the row's end)."""
    out: dict[str, str | None] = {}
    for i, name in positions.items():
        value = cells[i] if i < len(cells) else None
        out[name] = (value.strip() or None) if isinstance(value, str) else value
    return out
