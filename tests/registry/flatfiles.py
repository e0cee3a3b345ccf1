"""Small flat registry files for tests: three valid households, written as CSV/Parquet/xlsx.

Rows are dicts keyed by canonical column name, every value as text, so a test can break one
cell and write the file again.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from fupin.divisions.models import Division
from fupin.policy import idnumber
from fupin.registry.imports.columns import BY_NAME, COLUMNS

TOWNSHIP = "513431100"
VILLAGE_1 = "513431100001"
VILLAGE_2 = "513431100002"
#: Divisions the files refer to: 四川省 > 凉山州 > 昭觉县 > 新城镇 > two villages.
DIVISIONS = (
    ("51", "四川省", 1, None),
    ("5134", "凉山彝族自治州", 2, "51"),
    ("513431", "昭觉县", 3, "5134"),
    (TOWNSHIP, "新城镇", 4, "513431"),
    (VILLAGE_1, "城南社区居民委员会", 5, TOWNSHIP),
    (VILLAGE_2, "城中社区居民委员会", 5, TOWNSHIP),
)


def create_divisions() -> None:
    Division.objects.bulk_create(
        Division(code=c, name=n, level=lv, parent_id=p) for c, n, lv, p in DIVISIONS
    )


def make_id(birth: str, seq: int) -> str:
    """A valid ID number of 昭觉县 (513431); an odd ``seq`` gives a man."""
    return str(idnumber.make_ids(513431, np.datetime64(birth), seq)[0])


HOUSEHOLD_1 = {
    "household_code": "5134311000010001",
    "village_code": VILLAGE_1,
    "group_name": "一组",
    "attribute": "一般贫困户",
    "standard": "国家标准",
    "main_cause": "因病",
    "other_causes": "缺资金",
    "status": "未脱贫",
    "first_identified_year": "2014",
    "military_family": "否",
    "one_child": "否",
    "phone": "13800000001",
    "cultivated_land_mu": "3.5",
    "housing_area_m2": "80",
    "house_grade": "C级",
    "food_secure": "是",
    "clothing_secure": "是",
    "water_safe": "是",
    "road_type": "水泥路",
    "fuel": "柴草",
    "income_year": "2020",
    "household_size": "4",
    "wage": "12000",
    "operating_income": "3000",
    "transfer_dibao": "2400",
    "operating_cost": "1000",
}
HOUSEHOLD_2 = {
    "household_code": "5134311000010002",
    "village_code": VILLAGE_1,
    "attribute": "特困供养贫困户",
    "standard": "国家标准",
    "main_cause": "缺劳力",
    "other_causes": "因残、因病",
    "status": "未脱贫",
    "first_identified_year": "2015",
    "income_year": "2020",
    "household_size": "",
    "transfer_tekun": "5000",
    "transfer_pension": "1200.50",
}
HOUSEHOLD_3 = {
    "household_code": "5134311000020001",
    "village_code": VILLAGE_2,
    "attribute": "低保贫困户",
    "standard": "省定标准",
    "main_cause": "缺技术",
    "status": "已脱贫(享受政策)",
    "first_identified_year": "2016",
    "exit_year": "2019",
    "relocated": "是",
}

MEMBERS: dict[str, list[dict[str, str]]] = {
    "5134311000010001": [
        {
            "name": "阿西木呷",
            "id_number": make_id("1970-03-05", 11),
            "relation": "户主",
            "ethnicity": "彝族",
            "education": "小学",
            "health": "健康",
            "labour_capacity": "普通劳动力",
            "migrant_work": "省外务工",
            "migrant_months": "8",
            "basic_medical": "是",
            "pension": "是",
        },
        {
            "name": "吉克阿衣",
            "id_number": make_id("1972-07-09", 22),
            "relation": "配偶",
            "ethnicity": "彝族",
            "education": "文盲或半文盲",
            "health": "长期慢性病",
            "labour_capacity": "弱劳动力或半劳动力",
            "basic_medical": "是",
        },
        {
            "name": "阿西拉则",
            "id_number": make_id("2000-01-15", 31),
            "relation": "之子",
            "ethnicity": "彝族",
            "education": "初中",
            "school_status": "非在校生",
            "basic_medical": "是",
        },
        {
            "name": "阿西阿呷",
            "id_number": make_id("2008-11-30", 42),
            "relation": "之女",
            "ethnicity": "彝族",
            "education": "小学",
            "school_status": "七至九年级",
            "basic_medical": "是",
        },
    ],
    "5134311000010002": [
        {
            "name": "沙马伍呷",
            "id_number": make_id("1948-02-01", 52),
            "relation": "户主",
            "ethnicity": "彝族",
            "health": "残疾",
            "labour_capacity": "丧失劳动力",
            "tekun": "是",
            "basic_medical": "是",
        },
        {
            "name": "沙马小明",
            "id_number": make_id("2011-05-20", 61),
            "relation": "之孙子",
            "ethnicity": "汉族",
            "school_status": "小学",
            "basic_medical": "是",
        },
    ],
    "5134311000020001": [
        {
            "name": "张华",
            "id_number": make_id("1980-12-12", 71),
            "relation": "户主",
            "ethnicity": "汉族",
            "education": "高中",
            "basic_medical": "是",
            "dibao": "是",
        },
        {
            "name": "李芳",
            "id_number": make_id("1982-04-04", 82),
            "relation": "配偶",
            "ethnicity": "汉族",
            "basic_medical": "是",
        },
        {
            "name": "张小龙",
            "id_number": make_id("2012-06-06", 91),
            "relation": "之子",
            "ethnicity": "汉族",
            "school_status": "小学",
            "basic_medical": "是",
        },
    ],
}


def valid_rows() -> list[dict[str, str]]:
    """Return the nine person rows of three households, household columns repeated."""
    rows: list[dict[str, str]] = []
    for household in (HOUSEHOLD_1, HOUSEHOLD_2, HOUSEHOLD_3):
        for member in MEMBERS[household["household_code"]]:
            rows.append({c.name: "" for c in COLUMNS} | household | member)
    return rows


def header(names: Sequence[str], chinese: bool) -> list[str]:
    return [BY_NAME[n].heading for n in names] if chinese else list(names)


def write_csv(
    rows: list[dict[str, str]],
    path: Path,
    *,
    chinese: bool = False,
    encoding: str = "utf-8-sig",
) -> Path:
    names = list(rows[0])
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header(names, chinese))
        for row in rows:
            writer.writerow([row[n] for n in names])
    return path


def to_table(rows: list[dict[str, str]], *, chinese: bool = False) -> pa.Table:
    names = list(rows[0])
    return pa.table(
        {
            h: pa.array([r[n] for r in rows], pa.string())
            for n, h in zip(names, header(names, chinese), strict=True)
        }
    )


def write_parquet(rows: list[dict[str, str]], path: Path, *, chinese: bool = False) -> Path:
    pq.write_table(to_table(rows, chinese=chinese), path)
    return path


def write_xlsx(
    rows: list[dict[str, object]] | list[dict[str, str]], path: Path, *, chinese: bool = True
) -> Path:
    """Write an Excel file; values that are numbers are stored as Excel numbers."""
    import openpyxl

    names = list(rows[0])
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(header(names, chinese))
    for row in rows:
        ws.append([row[n] if row[n] != "" else None for n in names])
    wb.save(path)
    return path
