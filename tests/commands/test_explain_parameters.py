"""Issue 14, "Explanation vs stored result": every parameter set that can assess can explain.

`fupin explain --parameters F` reads F as `fupin assess --parameters F` does, so with a custom
school age (义务教育阶段适龄 6–16 instead of 6–15) the explanation agrees with the stored
result of an assessment run with the same set, rule by rule.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from fupin.assessment.models import AssessmentResult
from fupin.assessment.services import assessment_run
from fupin.commands import explain
from fupin.policy.parameters import DEFAULT_PARAMETERS, ParameterSet
from fupin.registry.imports.services import registry_import_file
from tests.registry import flatfiles

H1 = "5134311000010001"


@pytest.fixture
def divisions(db: None) -> None:
    flatfiles.create_divisions()


@pytest.fixture
def rows() -> list[dict[str, str]]:
    return flatfiles.valid_rows()


def _explain(household: str, parameters: Path | None, capsys) -> dict:
    args = argparse.Namespace(
        household=household, year=2020, rule_set=None, parameters=parameters, json=True
    )
    assert explain.run(args) == 0
    return json.loads(capsys.readouterr().out)


def test_explain_with_parameters_agrees_with_the_stored_result(divisions, rows, tmp_path, capsys):
    child = next(r for r in rows if r["name"] == "阿西拉则")  # household H1, 非在校生
    child["id_number"] = flatfiles.make_id("2004-03-01", 31)  # 16 on 1 September 2020
    result = registry_import_file(path=flatfiles.write_csv(rows, tmp_path / "r.csv"))
    assert result.ok, result.errors[:3]
    path = tmp_path / "local.json"
    path.write_text(json.dumps({"school_age": [6, 16]}), encoding="utf-8")
    params = ParameterSet.from_file(path, DEFAULT_PARAMETERS)

    assessment_run(division_code="513431", year=2020, parameters=params)
    stored = AssessmentResult.objects.get(household__code=H1, year=2020)
    assert "EDUCATION_GUARANTEED" in stored.failed_codes.split("|")

    explained = _explain(H1, path, capsys)
    assert explained["failed_codes"] == stored.failed_codes.split("|")
    assert explained["meets_standard"] == stored.meets_standard
    # Without the file the explanation uses 6–15 and would disagree with the stored result.
    assert "EDUCATION_GUARANTEED" not in _explain(H1, None, capsys)["failed_codes"]


def test_explain_refuses_a_bad_parameters_file_like_assess(tmp_path, capsys):
    path = tmp_path / "bad.json"
    path.write_text("{not json", encoding="utf-8")
    args = argparse.Namespace(household="x", year=2020, rule_set=None, parameters=path, json=True)
    assert explain.run(args) == 1
