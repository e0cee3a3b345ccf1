"""The Excel templates of the imports of measures, pairings and visits."""

from __future__ import annotations

from pathlib import Path

from django.utils.translation import gettext

from fupin.common.errors import FupinError
from fupin.measures.imports.common import (
    COLUMNS,
    KINDS,
    TITLES,
    Kind,
)
from fupin.policy import measures as pm


def _code_sheet(kind: Kind) -> list[tuple[str, list[str]]]:
    """The accepted values of a template's coded columns (for its second sheet)."""
    if kind == "measures":
        return [
            ("措施类别", [label for _, label in pm.MEASURE_CATEGORY.items]),
            (
                "措施子类",
                [
                    f"{label}（{pm.MEASURE_CATEGORY.label_of(pm.subtype_category(c))}）"
                    for c, label in pm.MEASURE_SUBTYPE.items
                ],
            ),
            ("状态", [label for _, label in pm.MEASURE_STATUS.items]),
            ("贷款用途", [label for _, label in pm.LOAN_PURPOSE.items]),
        ]
    if kind == "pairings":
        return [("帮扶序位", [label for _, label in pm.PAIRING_ORDER.items])]
    return []


def measures_template_workbook(kind: Kind, path: Path) -> Path:
    """Write the import template of ``kind``: the headings, code columns formatted as text, and
    a second sheet with the accepted values of the coded columns."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    if kind not in COLUMNS:
        raise FupinError("IMPORT_KIND_UNKNOWN", f"导入类型“{kind}”无效：可选 {'、'.join(KINDS)}")
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = TITLES[kind]
    fill = PatternFill("solid", fgColor="FFDDEBF7")
    required = PatternFill("solid", fgColor="FFFCE4D6")
    for i, col in enumerate(COLUMNS[kind], start=1):
        cell = ws.cell(row=1, column=i, value=col.heading)
        cell.font = Font(bold=True)
        cell.fill = required if col.required else fill
        ws.column_dimensions[get_column_letter(i)].width = max(10, len(col.heading) * 2 + 4)
        if col.text:
            for row in range(2, 1002):
                ws.cell(row=row, column=i).number_format = "@"
    ws.freeze_panes = "A2"
    codes = _code_sheet(kind)
    notes = wb.create_sheet(gettext("填写说明"))
    notes.cell(
        row=1, column=1, value=gettext("必填列（橙色）不能为空；日期写作 年-月-日，如 2024-03-01。")
    )
    for j, (title, labels) in enumerate(codes, start=1):
        notes.cell(row=3, column=j, value=title).font = Font(bold=True)
        notes.column_dimensions[get_column_letter(j)].width = 28
        for k, label in enumerate(labels, start=4):
            notes.cell(row=k, column=j, value=label)
    path = Path(path)
    wb.save(path)
    return path
