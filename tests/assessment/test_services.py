"""Bulk assessment in the database, over a Parquet file with DuckDB, and its summary."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest
from django.db import IntegrityError, connection, transaction

from fupin.assessment import adapters
from fupin.assessment.models import AssessmentResult, AssessmentRun
from fupin.assessment.services import (
    assess_flat_file,
    assessment_run,
    default_year,
    household_explain,
    household_find,
    run_summary,
)
from fupin.common.errors import FupinError
from fupin.registry.models import Household, Member
from tests.conftest import COUNTY, YEAR


def test_in_database_run_and_duckdb_file_run_agree_household_by_household(registry, tmp_path):
    run = assessment_run(division_code=COUNTY, year=YEAR)
    out = tmp_path / "results.parquet"
    summary = assess_flat_file(path=registry, year=YEAR, out=out)

    in_db = {
        code: (meets, failed)
        for code, meets, failed in AssessmentResult.objects.filter(run=run).values_list(
            "household__code", "meets_standard", "failed_codes"
        )
    }
    from_file = {
        r["household_code"]: (r["meets_standard"], r["failed_codes"])
        for r in pq.read_table(out).to_pylist()
    }
    assert in_db == from_file
    assert summary.households == run.household_count == Household.objects.count()
    assert summary.meets_standard == run.meets_count
    assert run_summary(run).failures == summary.failures


def test_results_carry_rule_set_version_and_reason_codes(registry):
    run = assessment_run(division_code=COUNTY, year=YEAR)
    assert (run.rule_set, run.rule_set_version) == ("household-standard", "2016.1")
    assert run.parameters["poverty_lines"][0]["amount"] == "2952"
    failed = AssessmentResult.objects.filter(run=run, meets_standard=False).first()
    assert failed is not None and failed.failed_codes
    assert set(failed.failed_codes.split("|")) <= {
        "INCOME_ABOVE_LINE",
        "FOOD_SECURE",
        "CLOTHING_SECURE",
        "EDUCATION_GUARANTEED",
        "MEDICAL_INSURED",
        "HOUSING_SAFE",
        "WATER_SAFE",
    }
    assert (
        not AssessmentResult.objects.filter(run=run, meets_standard=True)
        .exclude(failed_codes="")
        .exists()
    )


def test_rerun_replaces_the_results_of_the_same_year(registry):
    first = assessment_run(division_code=COUNTY, year=YEAR)
    second = assessment_run(division_code=COUNTY, year=YEAR)
    assert AssessmentResult.objects.count() == second.household_count
    assert not AssessmentResult.objects.filter(run=first).exists()
    assert AssessmentRun.objects.count() == 2


def test_run_under_a_township_touches_only_its_households(registry):
    township = Household.objects.order_by("village_id").values_list("village_id", flat=True)[0][:9]
    run = assessment_run(division_code=township, year=YEAR)
    expected = Household.objects.filter(village__code__startswith=township).count()
    assert 0 < run.household_count == expected < Household.objects.count()
    assert not AssessmentResult.objects.exclude(
        household__village__code__startswith=township
    ).exists()


@pytest.mark.parametrize("division", ["county", "township"])
def test_filtered_and_unfiltered_fact_tables_give_the_same_results(registry, monkeypatch, division):
    code = COUNTY
    if division == "township":
        code = Household.objects.order_by("village_id").values_list("village_id", flat=True)[0][:9]

    def results(share: float) -> dict[int, tuple[bool, str, object]]:
        monkeypatch.setattr(adapters, "FACTS_FILTER_SHARE", share)
        run = assessment_run(division_code=code, year=YEAR)
        return {
            hid: (meets, failed, income)
            for hid, meets, failed, income in AssessmentResult.objects.filter(run=run).values_list(
                "household_id", "meets_standard", "failed_codes", "per_capita_net_income"
            )
        }

    restricted = results(2.0)  # members, income and conditions filtered to the division
    whole = results(0.0)  # the whole fact tables aggregated, joined to its households
    assert restricted == whole
    assert len(whole) == Household.objects.filter(village__code__startswith=code).count()


def test_result_table_keeps_its_constraints_after_a_large_run(registry):
    # On PostgreSQL this run drops the result table's indexes and constraints and re-creates
    # them (the table is empty before it); they must all be back afterwards.
    run = assessment_run(division_code=COUNTY, year=YEAR)
    result = AssessmentResult.objects.filter(run=run).first()
    assert result is not None
    duplicate = AssessmentResult(
        run=run,
        household=result.household,
        year=YEAR,
        rule_set=result.rule_set,
        rule_set_version=result.rule_set_version,
        meets_standard=True,
        income_above_line=True,
        poverty_line=result.poverty_line,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()
    orphan = AssessmentResult(
        run=run,
        household_id=10**12,
        year=YEAR,
        rule_set="other",
        rule_set_version="1",
        meets_standard=True,
        income_above_line=True,
        poverty_line=result.poverty_line,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        orphan.save()
        connection.check_constraints()  # the foreign keys are deferred to the commit


def test_a_fact_changed_in_the_registry_changes_the_next_run(registry):
    assessment_run(division_code=COUNTY, year=YEAR)
    result = (
        AssessmentResult.objects.filter(meets_standard=True).select_related("household").first()
    )
    assert result is not None
    Member.objects.filter(household=result.household).update(basic_medical=False)
    assessment_run(division_code=COUNTY, year=YEAR)
    again = AssessmentResult.objects.get(household=result.household, year=YEAR)
    assert not again.meets_standard
    assert "MEDICAL_INSURED" in again.failed_codes.split("|")


def test_stored_result_matches_the_explanation(registry):
    run = assessment_run(division_code=COUNTY, year=YEAR)
    for result in AssessmentResult.objects.filter(run=run).select_related("household")[:25]:
        explanation = household_explain(household=result.household, year=YEAR)
        assert explanation.meets_standard == result.meets_standard
        assert "|".join(explanation.failed_codes) == result.failed_codes


def test_unknown_division_is_refused(registry):
    with pytest.raises(FupinError) as err:
        assessment_run(division_code="519999", year=YEAR)
    assert err.value.code == "DIVISION_UNKNOWN"


def test_year_without_a_poverty_line_is_refused(registry):
    with pytest.raises(FupinError) as err:
        assessment_run(division_code=COUNTY, year=2009)
    assert err.value.code == "PARAM_POVERTY_LINE_MISSING"
    assert not AssessmentRun.objects.exists()


def test_default_year_is_the_latest_income_year(registry):
    assert default_year(COUNTY) == YEAR


def test_household_found_by_code_or_member_id(registry):
    member = Member.objects.select_related("household").first()
    assert household_find(member.household.code) == member.household
    assert household_find(member.id_number) == member.household
    with pytest.raises(FupinError) as err:
        household_find("513431000000000000")
    assert err.value.code == "HOUSEHOLD_NOT_FOUND"


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(FupinError) as err:
        assess_flat_file(path=tmp_path / "none.parquet", year=YEAR)
    assert err.value.code == "FILE_NOT_FOUND"
