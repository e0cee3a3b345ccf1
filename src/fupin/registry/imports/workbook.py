"""Excel workbooks of the flat registry file: the import template, error reports, exports.

All three share the layout of ``columns.COLUMNS`` (Chinese headings, one row per person), so
an export can be filled in, corrected and imported again. Code-like columns (ID numbers,
户编号, village codes, phones, bank accounts) are formatted as text ("@") so Excel does not
turn an 18-digit ID into ``5.13431E+17``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from fupin.common.xlsx import literal, literal_row, literal_value
from fupin.registry.imports.columns import COLUMNS, Column
from fupin.registry.imports.errors import RowError, heading
from fupin.registry.imports.reader import HEADER_LOOKUP, detect_encoding, normalize_header

TEXT = "@"
DATA_SHEET = "贫困户登记表"
HELP_SHEET = "填表说明"
CODES_SHEET = "代码表"
ERRORS_SHEET = "错误列表"
#: Rows of the template formatted as text and given drop-down lists.
TEMPLATE_ROWS = 2000

#: Columns typed as text although they hold digits.
TEXT_COLUMNS = frozenset(
    {"household_code", "village_code", "id_number", "phone", "bank_account", "group_name"}
)

HEADER_FILL = PatternFill("solid", fgColor="FFDDEBF7")
REQUIRED_FILL = PatternFill("solid", fgColor="FFFCE4D6")
ERROR_FILL = PatternFill("solid", fgColor="FFFF9999")
BOLD = Font(bold=True)

_EXAMPLES: dict[str, str] = {
    "household_code": "5134311000010001",
    "village_code": "513431100001",
    "group_name": "一组",
    "other_causes": "缺资金、因病",
    "first_identified_year": "2014",
    "exit_year": "2019",
    "phone": "13800000001",
    "bank_name": "农村信用社",
    "bank_account": "6217000000000000001",
    "income_year": "2020",
    "household_size": "4",
    "name": "阿西木呷",
    "id_number": "513431197003051112",
    "migrant_months": "8",
}
_NOTES: dict[str, str] = {
    "household_code": "同一户的每一行填同一个户编号；已登记的户按户编号更新",
    "village_code": "12 位村级统计用区划代码",
    "other_causes": "最多 2 项，用“、”分隔，不能与主要致贫原因相同",
    "exit_year": "未脱贫的户不填",
    "id_number": "18 位公民身份号码，本列已设为文本格式；已登记的成员按身份号码更新",
    "relation": "每户须有且只有一名“户主”",
    "income_year": "填了任何收入项时必填",
    "household_size": "不填时按本户行数计算",
    "migrant_months": "0 至 12",
}


def _is_text(col: Column) -> bool:
    return col.name in TEXT_COLUMNS or col.kind in ("id_number", "division")


def _allowed(col: Column) -> str:
    if col.kind == "id_number":
        return "18 位公民身份号码（末位可为 X），文本格式"
    if col.kind == "division":
        return "12 位数字，文本格式"
    if col.code_list is not None:
        return "、".join(label for _, label in col.code_list.items)
    if col.kind == "bool":
        return "是、否"
    if col.kind == "int":
        return "整数"
    if col.kind == "money":
        return "金额（元），不能为负数"
    if col.kind == "decimal":
        return "数字"
    return "文字"


def _example(col: Column) -> str:
    if col.name in _EXAMPLES:
        return _EXAMPLES[col.name]
    if col.code_list is not None:
        return col.code_list.items[0][1]
    if col.kind == "bool":
        return "否"
    if col.kind in ("money", "decimal"):
        return "1200.50"
    return ""


def template_workbook(path: Path) -> Path:
    """Write the import template: headings, text formats, drop-down lists and a help sheet."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = DATA_SHEET
    codes_ws = wb.create_sheet(CODES_SHEET)
    help_ws = wb.create_sheet(HELP_SHEET)

    code_column = 0
    for i, col in enumerate(COLUMNS, start=1):
        letter = get_column_letter(i)
        cell = ws.cell(row=1, column=i, value=col.heading)
        cell.font = BOLD
        cell.fill = REQUIRED_FILL if col.required else HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[letter].width = max(10, min(24, len(col.heading) * 2 + 4))
        if _is_text(col):
            ws.column_dimensions[letter].number_format = TEXT
            for row in range(2, TEMPLATE_ROWS + 2):
                ws.cell(row=row, column=i).number_format = TEXT
        choices: list[str] | None = None
        if col.code_list is not None and col.kind == "code":
            choices = [label for _, label in col.code_list.items]
        elif col.kind == "bool":
            choices = ["是", "否"]
        if choices:
            code_column += 1
            code_letter = get_column_letter(code_column)
            codes_ws.cell(row=1, column=code_column, value=col.heading).font = BOLD
            for r, label in enumerate(choices, start=2):
                codes_ws.cell(row=r, column=code_column, value=label)
            dv = DataValidation(
                type="list",
                formula1=f"'{CODES_SHEET}'!${code_letter}$2:${code_letter}${len(choices) + 1}",
                allow_blank=True,
                showErrorMessage=True,
                errorTitle=col.heading,
                error=f"请从下拉列表中选择{col.heading}",
            )
            dv.add(f"{letter}2:{letter}{TEMPLATE_ROWS + 1}")
            ws.add_data_validation(dv)
    ws.freeze_panes = "A2"
    ws.row_dimensions[1].height = 32
    codes_ws.sheet_state = "hidden"

    help_ws.append(["列名", "英文列名", "是否必填", "可填写的值", "示例", "说明"])
    for cell in help_ws[1]:
        cell.font = BOLD
        cell.fill = HEADER_FILL
    for col in COLUMNS:
        help_ws.append(
            [
                col.heading,
                col.name,
                "必填" if col.required else "选填",
                _allowed(col),
                _example(col),
                _NOTES.get(col.name, "同户各行须一致" if col.level != "member" else ""),
            ]
        )
    for row in help_ws.iter_rows(min_row=2, min_col=5, max_col=5):
        for cell in row:
            cell.number_format = TEXT
    for letter, width in zip("ABCDEF", (26, 26, 10, 60, 22, 50), strict=True):
        help_ws.column_dimensions[letter].width = width
    for row in help_ws.iter_rows(min_row=2, min_col=4, max_col=6):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    help_ws.freeze_panes = "A2"
    wb.save(path)
    return path


# --- error reports ---------------------------------------------------------------------------


def _raw_rows(path: Path) -> Iterable[Sequence[Any]]:
    """Yield every row of a CSV or xls/ods file as the reader sees it (header first)."""
    if path.suffix.lower() == ".csv":
        encoding, _ = detect_encoding(path)
        enc = "utf-8-sig" if encoding == "utf8" else "gb18030"
        with path.open(encoding=enc, errors="replace", newline="") as fh:
            yield from csv.reader(fh)
        return
    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_path(str(path))
    for index in range(len(workbook.sheet_names)):
        rows = workbook.get_sheet_by_index(index).to_python()
        if rows and _recognised(rows[0]) >= 3:
            yield from rows
            return


def _recognised(header: Sequence[Any]) -> int:
    return sum(1 for h in header if h is not None and HEADER_LOOKUP.get(normalize_header(str(h))))


def _data_sheet(wb: Workbook) -> Worksheet:
    for ws in wb.worksheets:
        first = next(ws.iter_rows(min_row=1, max_row=1, values_only=True), ())
        if _recognised(first) >= 3:
            return ws
    ws = wb.worksheets[0]
    return ws


def error_workbook(source: Path, errors: Sequence[RowError], out: Path) -> Path:
    """Write the uploaded file back with each bad cell marked, plus a list of all errors.

    A bad cell gets a red fill and a comment with the Chinese message and the code; each
    bad row gets the messages in an added "错误说明" column; the sheet "错误列表" lists row,
    column, code and message of every error (errors of the file as a whole included).
    xlsx files keep their own formatting; CSV and xls files are copied into a new workbook
    cell by cell, as text.
    """
    if source.suffix.lower() in (".xlsx", ".xlsm"):
        wb = load_workbook(source)
        ws = _data_sheet(wb)
    else:
        wb = Workbook()
        ws = wb.active
        assert ws is not None
        ws.title = DATA_SHEET
        for r, values in enumerate(_raw_rows(source), start=1):
            for c, value in enumerate(values, start=1):
                if value is None or value == "":
                    continue
                cell = ws.cell(row=r, column=c, value=value)
                if isinstance(value, str):
                    cell.number_format = TEXT
    header = [ws.cell(row=1, column=c).value for c in range(1, ws.max_column + 1)]
    positions: dict[str, int] = {}
    for pos, h in enumerate(header, start=1):
        name = HEADER_LOOKUP.get(normalize_header(str(h))) if h is not None else None
        if name and name not in positions:
            positions[name] = pos
    note_col = ws.max_column + 1
    ws.cell(row=1, column=note_col, value="错误说明").font = BOLD
    ws.cell(row=1, column=note_col).fill = ERROR_FILL
    ws.column_dimensions[get_column_letter(note_col)].width = 60
    per_row: dict[int, list[str]] = {}
    for e in errors:
        text = f"{e.message}（{e.code}）"
        if e.row >= 2:
            per_row.setdefault(e.row, []).append(
                f"{heading(e.column)}：{text}" if e.column else text
            )
        at = positions.get(e.column)
        if at is None or e.row < 1:
            continue
        cell = ws.cell(row=e.row, column=at)
        cell.fill = ERROR_FILL
        previous = cell.comment.text + "\n" if cell.comment else ""
        comment = Comment(previous + text, "扶贫系统")
        comment.width, comment.height = 300, 120
        cell.comment = comment
    for r, texts in per_row.items():
        cell = literal(ws.cell(row=r, column=note_col, value="；".join(texts)))
        cell.fill = ERROR_FILL
    ws.freeze_panes = "A2"

    if ERRORS_SHEET in wb.sheetnames:
        del wb[ERRORS_SHEET]
    es = wb.create_sheet(ERRORS_SHEET)
    es.append(["行号", "列", "错误代码", "错误说明", "填写的值"])
    for cell in es[1]:
        cell.font = BOLD
        cell.fill = HEADER_FILL
    for e in errors:
        literal_row(
            es, [e.row or "", heading(e.column) if e.column else "", e.code, e.message, e.value]
        )
    for letter, width in zip("ABCDE", (8, 20, 26, 80, 24), strict=True):
        es.column_dimensions[letter].width = width
    es.freeze_panes = "A2"
    wb.active = wb.worksheets.index(ws)
    wb.save(out)
    return out


# --- exports ---------------------------------------------------------------------------------


def export_workbook(rows: Iterable[Sequence[Any]], out: Path) -> int:
    """Write rows (values in ``COLUMNS`` order, as text) to a write-only workbook; return count.

    Memory stays bounded whatever the number of rows (openpyxl's write-only mode).
    """
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(DATA_SHEET)
    for i, col in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = max(10, min(24, len(col.heading) * 2))
    ws.freeze_panes = "A2"
    head = []
    for col in COLUMNS:
        cell = WriteOnlyCell(ws, value=col.heading)
        cell.font = BOLD
        cell.fill = REQUIRED_FILL if col.required else HEADER_FILL
        head.append(cell)
    ws.append(head)
    text_positions = [i for i, col in enumerate(COLUMNS) if _is_text(col)]
    n = 0
    for values in rows:
        out_row: list[Any] = [literal_value(ws, v) for v in values]
        for i in text_positions:
            if out_row[i] not in (None, "") and not isinstance(out_row[i], Cell):
                cell = WriteOnlyCell(ws, value=str(out_row[i]))
                cell.number_format = TEXT
                out_row[i] = literal(cell)
        ws.append(out_row)
        n += 1
    wb.save(out)
    return n


__all__ = [
    "DATA_SHEET",
    "ERRORS_SHEET",
    "HELP_SHEET",
    "error_workbook",
    "export_workbook",
    "template_workbook",
]
