"""Text that looks like a formula stays text in every workbook we write."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from openpyxl import Workbook

from fupin.common.xlsx import literal_row, literal_value, looks_like_formula


@pytest.mark.parametrize(
    ("value", "risky"),
    [
        ("=1+1", True),
        ("+86", True),
        ("-x", True),
        ("@A1", True),
        ("\t=1", True),
        ("\r1", True),
        ("王大", False),
        ("1=1", False),
        ("", False),
        (5, False),
        (None, False),
    ],
)
def test_looks_like_formula(value: object, risky: bool) -> None:
    assert looks_like_formula(value) is risky


def test_both_sheet_kinds_write_a_quoted_string(tmp_path: Path) -> None:
    wb = Workbook(write_only=True)
    streamed = wb.create_sheet("streamed")
    streamed.append([literal_value(streamed, '=HYPERLINK("http://x","y")'), "普通", 3])
    wb.save(tmp_path / "a.xlsx")
    wb2 = Workbook()
    literal_row(wb2.active, [1, "=SUM(A1:A3)", "-"])
    wb2.save(tmp_path / "b.xlsx")

    a = openpyxl.load_workbook(tmp_path / "a.xlsx").worksheets[0]
    b = openpyxl.load_workbook(tmp_path / "b.xlsx").worksheets[0]
    assert (a["A1"].value, a["A1"].data_type, a["A1"].quotePrefix) == (
        '=HYPERLINK("http://x","y")',
        "s",
        True,
    )
    assert (a["B1"].value, a["C1"].value) == ("普通", 3)
    assert (b["B1"].value, b["B1"].data_type, b["B1"].quotePrefix) == ("=SUM(A1:A3)", "s", True)
    assert b["A1"].value == 1 and not b["A1"].quotePrefix
