"""The XLSForms of the visit log and the household survey: pyxform converts them to valid
XForms (and ODK Validate accepts them where Java is present), and every select offers exactly
the codes of its code list."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pyxform.xls2xform import convert

from fupin.measures import xlsform
from fupin.measures.xlsform import (
    EN,
    HOUSEHOLD_CODE_PATTERN,
    YES_NO,
    ZH,
    build_form,
    write_xlsform,
)
from fupin.policy import codes
from fupin.policy import measures as pm

NS = {"h": "http://www.w3.org/1999/xhtml", "x": "http://www.w3.org/2002/xforms"}


def xform(tmp_path: Path, kind: str, *, validate: bool = False) -> ET.Element:
    path = tmp_path / f"{kind}.xlsx"
    write_xlsform(kind, path)
    warnings: list[str] = []
    result = convert(str(path), warnings=warnings, validate=validate)
    assert not warnings, warnings
    return ET.fromstring(result.xform)


def instance_items(root: ET.Element, list_name: str) -> list[str]:
    inst = root.find(f".//x:instance[@id='{list_name}']", NS)
    assert inst is not None, list_name
    return [
        item.findtext("x:name", namespaces=NS) or "" for item in inst.iter(f"{{{NS['x']}}}item")
    ]


def itext(root: ET.Element, lang: str) -> dict[str, str]:
    tr = root.find(f".//x:itext/x:translation[@lang='{lang}']", NS)
    assert tr is not None, lang
    return {
        t.get("id", ""): (t.findtext("x:value", namespaces=NS) or "")
        for t in tr.findall("x:text", NS)
    }


def bind(root: ET.Element, path: str) -> dict[str, str]:
    b = root.find(f".//x:bind[@nodeset='{path}']", NS)
    assert b is not None, path
    return dict(b.attrib)


def test_the_visit_form_converts_to_an_xform_with_its_rules(tmp_path: Path) -> None:
    root = xform(tmp_path, "visit")
    data = root.find(".//x:instance/x:data", NS)
    assert data is not None and data.get("id") == "fupin_visit"
    assert re.fullmatch(r"1\.[0-9a-f]{10}", data.get("version", ""))
    visit = data.find("x:visit", NS)
    assert visit is not None
    assert [c.tag.split("}")[1] for c in visit] == [
        "household",
        "cadre",
        "date",
        "minutes",
        "content",
        "measures",
        "measure_subtypes",
        "next_step",
        "photo",
        "location",
    ]
    assert bind(root, "/data/visit/date")["constraint"] == ". <= today()"
    assert bind(root, "/data/visit/date")["type"] == "date"
    assert HOUSEHOLD_CODE_PATTERN in bind(root, "/data/visit/household")["constraint"]
    assert bind(root, "/data/visit/household")["required"] == "true()"
    assert bind(root, "/data/visit/photo")["type"] == "binary"
    assert bind(root, "/data/visit/location")["type"] == "geopoint"
    # The sub-types follow the categories chosen (choice_filter).
    itemset = root.find(".//h:body//x:select[@ref='/data/visit/measure_subtypes']/x:itemset", NS)
    assert itemset is not None
    assert "selected( /data/visit/measures , category)" in itemset.get("nodeset", "")
    # Chinese is the default language; English is the second.
    assert itext(root, ZH)["/data/visit/date:label"] == "走访日期"
    assert itext(root, EN)["/data/visit/date:label"] == "Date of visit"


def test_the_household_survey_has_the_members_as_a_repeat(tmp_path: Path) -> None:
    root = xform(tmp_path, "household")
    data = root.find(".//x:instance/x:data", NS)
    assert data is not None and data.get("id") == "fupin_household"
    members = data.find("x:members", NS)
    assert members is not None
    assert {c.tag.split("}")[1] for c in members} >= {
        "name",
        "id_number",
        "health",
        "labour_capacity",
        "school_status",
        "migrant_work",
    }
    assert root.find(".//h:body//x:repeat[@nodeset='/data/members']", NS) is not None
    conditions = data.find("x:conditions", NS)
    assert conditions is not None
    names = {c.tag.split("}")[1] for c in conditions}
    assert {"house_grade", "water_safe", "water_difficult", "road_type", "sanitary_toilet"} <= names
    assert {"fuel", "electricity_household"} <= names
    assert "regex(., '^[0-9]{17}[0-9Xx]$')" in bind(root, "/data/members/id_number")["constraint"]
    assert "migrant_work" in bind(root, "/data/members/migrant_months")["relevant"]


@pytest.mark.parametrize("kind", ["visit", "household"])
def test_every_select_offers_exactly_its_code_list(tmp_path: Path, kind: str) -> None:
    root = xform(tmp_path, kind)
    zh = itext(root, ZH)
    form = build_form(kind)
    selects = [f for _, f in form.fields() if f.code_list is not None]
    assert selects
    for f in selects:
        assert f.code_list is not None
        assert instance_items(root, f.code_list.name) == list(f.code_list.codes), f.name
        labels = [zh[f"{f.code_list.name}-{i}"] for i in range(len(f.code_list.codes))]
        assert labels == [label for _, label in f.code_list.items], f.name


def test_the_code_lists_are_the_registry_s_own() -> None:
    household = {f.name: f.code_list for _, f in build_form("household").fields()}
    assert household["house_grade"] is codes.HOUSE_GRADE
    assert household["health"] is codes.HEALTH
    assert household["labour_capacity"] is codes.LABOUR_CAPACITY
    assert household["school_status"] is codes.SCHOOL_STATUS
    assert household["migrant_work"] is codes.MIGRANT_WORK
    assert household["water_safe"] is YES_NO
    visit = {f.name: f.code_list for _, f in build_form("visit").fields()}
    assert visit["measures"] is pm.MEASURE_CATEGORY
    assert visit["measure_subtypes"] is pm.MEASURE_SUBTYPE


@pytest.mark.skipif(shutil.which("java") is None, reason="ODK Validate needs Java")
@pytest.mark.parametrize("kind", ["visit", "household"])
def test_odk_validate_accepts_the_forms(tmp_path: Path, kind: str) -> None:
    # pyxform ships ODK Validate (JavaRosa, what Collect runs); it raises on an invalid form.
    root = xform(tmp_path, kind, validate=True)
    assert root.find(".//x:instance/x:data", NS) is not None


def test_the_workbook_has_the_three_sheets_with_both_languages(tmp_path: Path) -> None:
    path = tmp_path / "visit.xlsx"
    write_xlsform("visit", path)
    wb = load_workbook(path)
    assert wb.sheetnames == ["survey", "choices", "settings"]
    survey = [list(r) for r in wb["survey"].iter_rows(values_only=True)]
    assert f"label::{ZH}" in survey[0] and f"label::{EN}" in survey[0]
    settings = dict(zip(*wb["settings"].iter_rows(values_only=True), strict=True))
    assert settings["form_id"] == "fupin_visit"
    assert settings["default_language"] == ZH
    choices = list(wb["choices"].iter_rows(values_only=True))
    header = choices[0]
    rows = [dict(zip(header, r, strict=True)) for r in choices[1:]]
    planting = next(r for r in rows if r["name"] == "industry.planting")
    assert planting["category"] == "industry"
    assert planting[f"label::{ZH}"] == "种植业"


def test_the_version_changes_with_a_code_list(monkeypatch: pytest.MonkeyPatch) -> None:
    before = build_form("household").version
    assert build_form("household").version == before  # stable when nothing changed
    grown = codes.CodeList("house_grade", "危房级别", (*codes.HOUSE_GRADE.items, ("E", "E级")))
    monkeypatch.setattr(xlsform.codes, "HOUSE_GRADE", grown)
    after = build_form("household")
    assert after.version != before
    assert "E" in [r["name"] for r in after.choices_rows() if r["list_name"] == "house_grade"]


def test_the_household_code_pattern_is_the_registry_s(registry: Path) -> None:
    from fupin.registry.models import Household
    from fupin.registry.selectors import household_code_next

    sample = list(Household.objects.values_list("code", flat=True)[:50])
    household = Household.objects.first()
    assert household is not None
    sample.append(household_code_next(household.village_id))
    assert sample and all(re.match(HOUSEHOLD_CODE_PATTERN, c) for c in sample)
