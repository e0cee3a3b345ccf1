"""Reading flat files: headers by name or Chinese heading, text cells, spreadsheet row numbers."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fupin.common.errors import FupinError
from fupin.registry.imports.reader import (
    as_encoded_text,
    as_text,
    cell_text,
    map_headers,
    open_arrow,
    open_flat_file,
    required_missing,
)


def read_all(path: Path) -> tuple[list[dict[str, object]], list[tuple[int, str, str]]]:
    source = open_flat_file(path)
    rows = [r for b in source.batches for r in b.to_pylist()]
    return rows, [(i.row, i.column, i.code) for i in source.issues]


def test_headers_match_names_and_headings_ignoring_spaces_and_parenthesis_width() -> None:
    positions, issues, unknown = map_headers(
        ["户编号", " name ", "耕地面积(亩)", "务工时间（ 月）", "备注", "姓名"]
    )

    assert positions == {
        0: "household_code",
        1: "name",
        2: "cultivated_land_mu",
        3: "migrant_months",
    }
    assert unknown == ["备注"]
    assert [(i.row, i.column, i.code) for i in issues] == [(1, "name", "FILE_DUPLICATE_COLUMN")]


def test_required_missing_lists_absent_required_columns_in_spec_order() -> None:
    missing = required_missing(["household_code", "name"])
    assert missing[:2] == ["village_code", "attribute"]
    assert "name" not in missing and "id_number" in missing


def test_csv_cells_are_trimmed_text_and_empty_cells_null(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("姓名,务工时间（月）,户编号\n 张三 ,08,\n", encoding="utf-8-sig")

    rows, issues = read_all(path)

    assert rows == [{"_row": 2, "name": "张三", "migrant_months": "08", "household_code": None}]
    assert issues == []


def test_csv_row_numbers_count_blank_lines_and_refused_rows(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text(
        "name,relation\n甲,户主\n\n乙,配偶,多余\n丙,之子\n,\n丁,之女\n", encoding="utf-8"
    )

    rows, issues = read_all(path)

    assert [(r["_row"], r["name"]) for r in rows] == [(2, "甲"), (5, "丙"), (7, "丁")]
    assert issues == [(4, "", "FILE_ROW_INVALID")]


def test_csv_in_gbk_is_read(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes("姓名,民族\n张三,汉族\n".encode("gbk"))

    rows, _ = read_all(path)

    assert rows == [{"_row": 2, "name": "张三", "ethnicity": "汉族"}]


def test_empty_csv_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(b"\n\n")
    with pytest.raises(FupinError) as err:
        open_flat_file(path)
    assert err.value.code == "FILE_EMPTY"


def test_excel_cells_keep_the_form_of_numbers(tmp_path: Path) -> None:
    import openpyxl

    path = tmp_path / "f.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["姓名", "公民身份号码", "务工时间（月）", "是否享受低保"])
    ws.append(["张三", 513431197003050110, 8, True])
    ws.append([None, None, None, None])
    ws.append(["李四", "513431197003050110", None, "否"])
    wb.save(path)

    rows, _ = read_all(path)

    assert rows == [
        {
            "_row": 2,
            "name": "张三",
            "id_number": "5.134311970030501e+17",
            "migrant_months": "8.0",
            "dibao": "TRUE",
        },
        {
            "_row": 4,
            "name": "李四",
            "id_number": "513431197003050110",
            "migrant_months": None,
            "dibao": "否",
        },
    ]


def test_cell_text_distinguishes_floats_from_text() -> None:
    assert cell_text(513431199001011234.0) == "5.1343119900101126e+17"
    assert cell_text(4.0) == "4.0"
    assert cell_text("4") == "4"
    assert cell_text(None) is None


def test_arrow_input_of_any_type_becomes_text() -> None:
    table = pa.table({"姓名": ["张三"], "household_size": pa.array([4], pa.int64())})

    source = open_arrow(table)

    assert [r for b in source.batches for r in b.to_pylist()] == [
        {"_row": 2, "name": "张三", "household_size": "4"}
    ]
    assert source.total_rows == 1


def test_typed_parquet_cells_become_the_text_they_show(tmp_path: Path) -> None:
    path = tmp_path / "typed.parquet"
    pq.write_table(
        pa.table(
            {
                "name": [" 张三 ", "李四", "王五", "赵六"],
                "relation": ["户主", " 户主", "", None],
                "basic_medical": pa.array([True, False, None, True]),
                "migrant_months": pa.array([8, 8, None, 0], pa.int32()),
                "wage": pa.array([1200.5, -0.0, float("nan"), 1e20]),
            }
        ),
        path,
    )

    rows, _ = read_all(path)

    assert [(r["name"], r["relation"]) for r in rows] == [
        ("张三", "户主"),
        ("李四", "户主"),
        ("王五", None),
        ("赵六", None),
    ]
    assert [r["basic_medical"] for r in rows] == ["true", "false", None, "true"]
    assert [r["migrant_months"] for r in rows] == ["8", "8", None, "0"]
    assert [r["wage"] for r in rows] == ["1200.5", "-0", "nan", "1e+20"]


def test_repeated_columns_come_once_per_distinct_text_and_names_plainly(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text(
        "姓名,与户主关系,务工时间（月）\n甲,户主,8\n乙, 户主,8\n丙,户主 ,\n", encoding="utf-8"
    )

    batch = next(open_flat_file(path).batches)

    assert batch.column("name").type == pa.string()
    relation = batch.column("relation")
    assert pa.types.is_dictionary(relation.type)
    assert relation.dictionary.to_pylist() == ["户主"]
    assert relation.indices.to_pylist() == [0, 0, 0]
    months = batch.column("migrant_months")
    assert months.dictionary.to_pylist() == ["8"]
    assert months.indices.to_pylist() == [0, 0, None]


def test_encoded_text_is_the_trimmed_text_with_one_entry_per_distinct_value() -> None:
    values = pa.DictionaryArray.from_arrays(
        pa.array([0, 1, 2, 3, None, 0], pa.int8()), pa.array([" a", "a ", "", None])
    )

    encoded = as_encoded_text(values)

    assert encoded.to_pylist() == as_text(values.dictionary_decode()).to_pylist()
    assert encoded.to_pylist() == ["a", "a", None, None, None, "a"]
    assert encoded.dictionary.to_pylist() == ["a"]
