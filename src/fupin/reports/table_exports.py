"""A computed statistical table as Excel (the national layout) or CSV (UTF-8 with BOM).

The Excel sheet: the title merged across the table; a line with 填报单位, 年度, 单位 and
制表日期; two header rows with the column groups merged (a column without a group spans
both rows); the panes frozen below the headers and right of the division columns; the total
row (合计) first and bold; the definition of the table under it.
"""

from __future__ import annotations

import csv
import io
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from fupin.reports.tables import Table, flat_headers

#: The two division columns before the figures.
LEAD_HEADERS = ("区划名称", "区划代码")
HEADER_ROWS = (3, 4)
FIRST_DATA_ROW = 5
FIRST_FIGURE_COL = len(LEAD_HEADERS) + 1

_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _title(table: Table) -> str:
    return f"{table.division_name}{table.year}年{table.table.title}统计表"


def _info(table: Table, made: date) -> list[str]:
    return [
        f"填报单位：{table.division_name}",
        f"年度：{table.year}",
        f"单位：{table.table.unit}",
        f"制表日期：{made.isoformat()}",
    ]


def table_xlsx(table: Table, *, made: date | None = None) -> bytes:
    """Return the table as an .xlsx workbook in the national layout."""
    made = made or date.today()
    definition = table.table
    columns = definition.columns
    width = len(LEAD_HEADERS) + len(columns)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = definition.title[:31]

    ws.cell(row=1, column=1, value=_title(table)).font = Font(bold=True, size=16)
    ws.cell(row=1, column=1).alignment = Alignment(horizontal="center", vertical="center")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws.row_dimensions[1].height = 30

    # 填报单位 at the left, 制表日期 at the right, 年度 and 单位 between them.
    spots = [1, 1 + width // 3, 1 + (2 * width) // 3, width]
    for col, text in zip(spots, _info(table, made), strict=True):
        cell = ws.cell(row=2, column=col, value=text)
        cell.alignment = Alignment(horizontal="right" if col == width else "left")

    top, bottom = HEADER_ROWS
    for i, text in enumerate(LEAD_HEADERS, start=1):
        ws.cell(row=top, column=i, value=text)
        ws.merge_cells(start_row=top, start_column=i, end_row=bottom, end_column=i)
    col = FIRST_FIGURE_COL
    for group in definition.groups:
        n = len(group.columns)
        if group.title:
            ws.cell(row=top, column=col, value=group.title)
            if n > 1:
                ws.merge_cells(start_row=top, start_column=col, end_row=top, end_column=col + n - 1)
            for j, column in enumerate(group.columns):
                ws.cell(row=bottom, column=col + j, value=column.title)
        else:
            for j, column in enumerate(group.columns):
                ws.cell(row=top, column=col + j, value=column.title)
                ws.merge_cells(
                    start_row=top, start_column=col + j, end_row=bottom, end_column=col + j
                )
        col += n
    for r in HEADER_ROWS:
        ws.row_dimensions[r].height = 24
        for c in range(1, width + 1):
            cell = ws.cell(row=r, column=c)
            cell.font = Font(bold=True)
            cell.alignment = _CENTER
            cell.border = _BORDER

    r = FIRST_DATA_ROW
    for row in table.all_rows:
        ws.cell(row=r, column=1, value=row.name)
        ws.cell(row=r, column=2, value=row.code or "")
        for j, (column, cell_value) in enumerate(zip(columns, row.cells, strict=True)):
            cell = ws.cell(row=r, column=FIRST_FIGURE_COL + j, value=cell_value.value)
            cell.number_format = "0.0" if column.kind == "percent" else "0"
        for c in range(1, width + 1):
            cell = ws.cell(row=r, column=c)
            cell.border = _BORDER
            if row.is_total:
                cell.font = Font(bold=True)
        r += 1

    note = ws.cell(row=r + 1, column=1, value=f"说明：{definition.definition}")
    note.alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells(start_row=r + 1, start_column=1, end_row=r + 1, end_column=width)
    ws.row_dimensions[r + 1].height = 15 * (1 + len(definition.definition) // max(8, 4 * width))

    ws.freeze_panes = ws.cell(row=FIRST_DATA_ROW, column=FIRST_FIGURE_COL)
    ws.column_dimensions["A"].width = 20
    ws.column_dimensions["B"].width = 15
    for j, column in enumerate(columns):
        letter = get_column_letter(FIRST_FIGURE_COL + j)
        ws.column_dimensions[letter].width = max(9, 2 * len(column.title) + 2)
    ws.print_title_rows = f"{top}:{bottom}"

    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def table_csv(table: Table) -> str:
    """Return the table as CSV text with a BOM (Excel opens it as UTF-8): one header row
    (group-column), the total row first, then the divisions."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([*LEAD_HEADERS, *flat_headers(table.table)])
    for row in table.all_rows:
        writer.writerow([row.name, row.code, *("" if v is None else v for v in row.values)])
    return "\ufeff" + buf.getvalue()


def table_filename(table: Table, suffix: str) -> str:
    """A download name: ``<table>-<division>-<year>.<suffix>`` (ASCII)."""
    return f"{table.table.name}-{table.division_code or 'national'}-{table.year}.{suffix}"
