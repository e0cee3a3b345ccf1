"""Cells that stay text: user text written to a workbook never becomes a live formula.

A name such as ``=HYPERLINK("http://…","点击")`` typed into a form or the API would otherwise
come back as a formula in the export and run when a clerk opens it (CSV/formula injection,
OWASP). Text beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is written
as a string with Excel's quote prefix — shown exactly as typed, never evaluated, and read back
unchanged by our importers.
"""

from __future__ import annotations

from typing import Any

from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.worksheet.worksheet import Worksheet

#: The first characters a spreadsheet reads as the start of a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START)


def literal(cell: Cell) -> Cell:
    """Make a text cell that would be read as a formula a plain string (in place)."""
    if looks_like_formula(cell.value):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def literal_value(ws: Worksheet, value: Any) -> Any:
    """``value`` as it should be appended to a write-only sheet: a quoted text cell when it
    looks like a formula, else unchanged."""
    if looks_like_formula(value):
        return literal(WriteOnlyCell(ws, value=value))
    return value


def literal_row(ws: Worksheet, values: list[Any]) -> None:
    """Append ``values`` to an ordinary (not write-only) sheet, text kept as text."""
    ws.append(values)
    for cell in ws[ws.max_row]:
        literal(cell)
