"""Issue 14, "Blank is not safe": a blank 危房级别 or 在校生状况 is imported as not recorded and
never passes its guarantee (《关于解决“两不愁三保障”突出问题的指导意见》: 住房安全有保障,
义务教育有保障); 饮水困难 = 是 fails 饮水安全有保障 (domain.md §6) after an import."""

from __future__ import annotations

from pathlib import Path

from fupin.assessment.models import AssessmentResult
from fupin.assessment.services import assessment_run, household_explain
from fupin.registry.imports.services import registry_import_file
from fupin.registry.models import Household, LivingConditions, Member
from tests.registry import flatfiles

H1, H2 = "5134311000010001", "5134311000010002"


def _import(rows: list[dict[str, str]], tmp_path: Path) -> None:
    result = registry_import_file(path=flatfiles.write_csv(rows, tmp_path / "r.csv"))
    assert result.ok, result.errors[:3]


def test_blank_house_grade_is_imported_as_not_recorded_and_fails_housing(divisions, rows, tmp_path):
    for row in rows:
        if row["household_code"] == H1:
            row["house_grade"] = ""
    _import(rows, tmp_path)
    conditions = LivingConditions.objects.get(household__code=H1)
    assert conditions.house_grade == ""  # was "safe" (the model default) before issue 14
    assessment_run(division_code="513431", year=2020)
    result = AssessmentResult.objects.get(household__code=H1, year=2020)
    assert "HOUSING_SAFE" in result.failed_codes.split("|")
    outcome = next(
        o
        for o in household_explain(household=Household.objects.get(code=H1), year=2020).outcomes
        if o.code == "HOUSING_SAFE"
    )
    assert not outcome.passed and not outcome.recorded


def test_blank_school_status_is_imported_as_not_recorded(divisions, rows, tmp_path):
    child = next(r for r in rows if r["school_status"] == "小学")
    child["school_status"] = ""
    _import(rows, tmp_path)
    member = Member.objects.get(id_number=child["id_number"])
    assert member.school_status == ""  # was "not_in_school" (the model default)
    assessment_run(division_code="513431", year=2020)
    result = AssessmentResult.objects.get(household=member.household, year=2020)
    assert "EDUCATION_GUARANTEED" in result.failed_codes.split("|")


def test_water_difficulty_fails_water_after_import(divisions, rows, tmp_path):
    for row in rows:
        if row["household_code"] == H2:
            row["water_safe"] = "是"
            row["water_difficult"] = "是"
    _import(rows, tmp_path)
    assessment_run(division_code="513431", year=2020)
    result = AssessmentResult.objects.get(household__code=H2, year=2020)
    assert "WATER_SAFE" in result.failed_codes.split("|")
