"""Loading, matching, resolving flags, income warnings and the form burden, on the database."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from django.contrib.auth.models import User

from fupin.accounts.models import Role
from fupin.common.errors import FupinError
from fupin.registry.models import Household, HouseholdIncome, LivingConditions, Member
from fupin.sharing import selectors
from fupin.sharing.models import Dataset, Flag, MatchRun
from fupin.sharing.services import dataset_load, flag_resolve, income_warnings_run, match_run
from fupin.sharing.synthetic import evaluate_directory, load_directory
from fupin.synth.departments import DepartmentFiles
from fupin.workflows.models import Case

pytestmark = pytest.mark.django_db
COUNTY = "513431"


def _load(departments: DepartmentFiles, feed: str) -> MatchRun:
    ds = dataset_load(
        path=departments.files[feed],
        feed=feed,
        provider="民政局",
        period="2020-06",
        legal_basis="县政府数据共享办法第5条",
    )
    return match_run(dataset=ds)


def _flag(run: MatchRun, flag_type: str, **extra: object) -> Flag:
    flag = Flag.objects.filter(run=run, flag_type=flag_type, **extra).first()
    assert flag is not None, f"no {flag_type} flag"
    return flag


def _cadre(make_user: Callable[..., User], village: str) -> User:
    return make_user(f"cadre{village}", Role.VILLAGE_CADRE, village)


# -- matching quality ---------------------------------------------------------------------------


def test_precision_and_recall_of_every_flag_type_on_planted_cases(
    registry: Path, departments: DepartmentFiles
) -> None:
    scores, total = evaluate_directory(departments.directory)
    assert len(scores) == 19
    for s in scores.values():
        assert s.planted >= 4, s
        assert s.recall >= 0.95, s.as_dict()
        assert s.precision >= 0.95, s.as_dict()
    assert total.recall >= 0.95 and total.precision >= 0.95


def test_damaged_ids_are_matched_by_15_digit_upgrade_and_by_name_and_birth(
    registry: Path, departments: DepartmentFiles
) -> None:
    runs = load_directory(departments.directory)
    assert sum(r.matched_by_name_birth for r in runs) > 0
    methods = set(Flag.objects.filter(run__in=runs).values_list("match_method", flat=True))
    assert {"id", "name_birth", "none"} <= methods
    assert sum(departments.damaged.values()) > 0


def test_missed_person_is_scoped_to_the_village_of_the_address_code(
    registry: Path, departments: DepartmentFiles
) -> None:
    run = _load(departments, "civil_dibao")
    missed = Flag.objects.filter(run=run, flag_type="MISSED_DIBAO")
    assert missed.exists()
    assert all(f.household_id is None and len(f.village_code) == 12 for f in missed)
    assert all(f.village_code.startswith(COUNTY) for f in missed)


# -- loading --------------------------------------------------------------------------------------


def test_load_refuses_an_unknown_feed_and_a_missing_legal_basis(
    registry: Path, departments: DepartmentFiles
) -> None:
    path = departments.files["vehicle"]
    with pytest.raises(FupinError) as e:
        dataset_load(path=path, feed="lottery", provider="x", period="1", legal_basis="y")
    assert e.value.code == "SHARING_FEED_UNKNOWN"
    with pytest.raises(FupinError) as e:
        dataset_load(path=path, feed="vehicle", provider="x", period="1", legal_basis=" ")
    assert e.value.code == "SHARING_LEGAL_BASIS_MISSING"
    assert not Dataset.objects.exists()


def test_load_refuses_a_file_without_an_id_column(db: None, tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    pacsv.write_csv(pa.table({"姓名": ["甲"], "金额": ["300"]}), path)
    with pytest.raises(FupinError) as e:
        dataset_load(path=path, feed="civil_dibao", provider="民政", period="1", legal_basis="y")
    assert e.value.code == "SHARING_MAPPING_INCOMPLETE"
    assert "公民身份号码" in e.value.message


def test_load_takes_an_explicit_column_mapping(db: None, tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    pacsv.write_csv(pa.table({"身份证": ["51343119600301001X"], "名字": ["甲"]}), path)
    ds = dataset_load(
        path=path,
        feed="payroll",
        provider="财政",
        period="1",
        legal_basis="y",
        mapping={"身份证": "id_number", "名字": "name"},
    )
    assert ds.row_count == 1 and ds.column_mapping == {"身份证": "id_number", "名字": "name"}


# -- resolving ---------------------------------------------------------------------------------


def test_confirmed_insurance_update_writes_the_fact_with_department_source(
    registry: Path, departments: DepartmentFiles, make_user: Callable[..., User]
) -> None:
    run = _load(departments, "medical_enrolment")
    flag = _flag(run, "UPDATE_INSURANCE")
    assert flag.member is not None and flag.member.basic_medical is False
    cadre = _cadre(make_user, flag.village_code)
    flag_resolve(flag=flag, outcome="confirmed", note="", by=cadre)
    member = Member.objects.get(pk=flag.member_id)
    assert member.basic_medical is True
    assert member.field_sources["basic_medical"] == "department"
    flag.refresh_from_db()
    assert flag.status == "confirmed" and flag.applied == {"member.basic_medical": True}
    assert flag.resolved_by == cadre


def test_confirmed_house_grade_update_sets_conditions_from_the_department(
    registry: Path, departments: DepartmentFiles, make_user: Callable[..., User]
) -> None:
    run = _load(departments, "housing")
    flag = _flag(run, "UPDATE_HOUSE_GRADE")
    flag_resolve(
        flag=flag, outcome="confirmed", note="已入户", by=_cadre(make_user, flag.village_code)
    )
    cond = LivingConditions.objects.get(household_id=flag.household_id)
    expected = {"A": "safe", "B": "safe"}.get(flag.evidence["grade"], flag.evidence["grade"])
    assert cond.house_grade == expected
    assert "department" in (cond.source, cond.field_sources.get("house_grade"))


def test_dismissing_needs_a_note_and_changes_nothing(
    registry: Path, departments: DepartmentFiles, make_user: Callable[..., User]
) -> None:
    run = _load(departments, "medical_enrolment")
    flag = _flag(run, "UPDATE_INSURANCE")
    cadre = _cadre(make_user, flag.village_code)
    with pytest.raises(FupinError) as e:
        flag_resolve(flag=flag, outcome="dismissed", note=" ", by=cadre)
    assert e.value.code == "SHARING_NOTE_REQUIRED"
    flag_resolve(flag=flag, outcome="dismissed", note="参保信息有误，本人未参保", by=cadre)
    assert Member.objects.get(pk=flag.member_id).basic_medical is False
    with pytest.raises(FupinError) as e:
        flag_resolve(flag=flag, outcome="confirmed", note="", by=cadre)
    assert e.value.code == "SHARING_FLAG_RESOLVED"


def test_resolving_outside_the_scope_or_without_the_right_is_refused(
    registry: Path, departments: DepartmentFiles, make_user: Callable[..., User]
) -> None:
    run = _load(departments, "medical_enrolment")
    flag = _flag(run, "UPDATE_INSURANCE")
    other = Household.objects.exclude(village_id=flag.village_code).values_list(
        "village_id", flat=True
    )[0]
    with pytest.raises(FupinError) as e:
        flag_resolve(flag=flag, outcome="confirmed", note="", by=_cadre(make_user, other))
    assert e.value.code == "SHARING_OUT_OF_SCOPE"
    township = make_user("town", Role.TOWNSHIP_REVIEWER, flag.village_code[:9])
    with pytest.raises(FupinError) as e:
        flag_resolve(flag=flag, outcome="confirmed", note="", by=township)
    assert e.value.code == "SHARING_FORBIDDEN"
    flag.refresh_from_db()
    assert flag.status == "open"


def test_confirmed_death_of_a_single_person_household_opens_a_decrease_case(
    registry: Path, departments: DepartmentFiles, make_user: Callable[..., User]
) -> None:
    run = _load(departments, "police_death")
    flags = Flag.objects.filter(run=run, flag_type="STATUS_DEATH").select_related("household")
    single = next((f for f in flags if f.household.members.count() == 1), None)
    multi = next(f for f in flags if f.household.members.count() > 1)
    resolved = flag_resolve(
        flag=multi, outcome="confirmed", note="", by=_cadre(make_user, multi.village_code)
    )
    assert resolved.case is None and "其他成员" in resolved.applied["workflow_note"]
    if single is not None:  # the seeded registry has single-person households
        cadre = User.objects.filter(username=f"cadre{single.village_code}").first() or _cadre(
            make_user, single.village_code
        )
        resolved = flag_resolve(flag=single, outcome="confirmed", note="", by=cadre)
        assert resolved.case is not None
        assert resolved.case.procedure == "decrease" and resolved.case.reason == "death"


def test_confirmed_medical_warning_opens_a_monitoring_case(
    registry: Path, departments: DepartmentFiles, make_user: Callable[..., User]
) -> None:
    run = _load(departments, "medical_costs")
    flag = _flag(run, "EARLY_WARNING_MEDICAL")
    resolved = flag_resolve(
        flag=flag, outcome="confirmed", note="住院", by=_cadre(make_user, flag.village_code)
    )
    assert resolved.case is not None
    case = Case.objects.get(pk=resolved.case.pk)
    assert case.procedure == "monitoring" and case.category == "sudden"


def test_county_office_confirming_a_warning_records_why_no_case_was_opened(
    registry: Path, departments: DepartmentFiles, make_user: Callable[..., User]
) -> None:
    run = _load(departments, "disaster")
    flag = _flag(run, "EARLY_WARNING_DISASTER")
    county = make_user("county", Role.COUNTY_OFFICE, COUNTY)
    resolved = flag_resolve(flag=flag, outcome="confirmed", note="", by=county)
    assert resolved.status == "confirmed"
    assert resolved.case is not None or resolved.applied.get("workflow_note")


# -- income warnings -----------------------------------------------------------------------------


def test_income_warning_flags_exited_households_below_the_provincial_threshold(
    registry: Path,
) -> None:
    with pytest.raises(FupinError) as e:
        income_warnings_run(division_code=COUNTY, year=2016)
    assert e.value.code == "PARAM_MONITORING_THRESHOLD_MISSING"
    low, high = Household.objects.filter(status__in=["exited", "exited_with_policy"])[:2]
    for h, wage in ((low, "5000"), (high, "90000")):
        HouseholdIncome.objects.create(
            household=h, year=2021, period_start="2021-01-01", period_end="2021-12-31",
            household_size=1, wage=Decimal(wage),
        )  # fmt: skip
    run = income_warnings_run(division_code=COUNTY, year=2021)
    flags = list(Flag.objects.filter(run=run))
    assert [f.household_id for f in flags] == [low.pk]
    assert flags[0].evidence["threshold"] == 6000
    assert run.counts == {"EARLY_WARNING_INCOME": 1}


# -- form burden and tasks --------------------------------------------------------------------


def test_form_burden_counts_imported_facts_and_then_department_ones(
    registry: Path, departments: DepartmentFiles, make_user: Callable[..., User]
) -> None:
    county = selectors.form_burden(scope="", division=COUNTY)
    total = selectors.burden_total(county)
    assert total.households == Household.objects.count()
    assert total.manual == 0 and total.department == 0 and total.imported > 0
    run = _load(departments, "medical_enrolment")
    flag = _flag(run, "UPDATE_INSURANCE")
    flag_resolve(flag=flag, outcome="confirmed", note="", by=_cadre(make_user, flag.village_code))
    after = selectors.burden_total(selectors.form_burden(scope="", division=COUNTY))
    assert after.department == 1 and after.imported == total.imported - 1
    village = selectors.form_burden(scope="", division=flag.village_code)
    row = next(r for r in village if r.key == flag.household.code)
    assert row.department == 1 and row.households == 1
    townships = selectors.form_burden(scope="", division=COUNTY)
    assert all(len(r.key) == 9 for r in townships)


def test_form_burden_outside_the_scope_is_empty(registry: Path) -> None:
    assert selectors.form_burden(scope="513431100", division=COUNTY) == []


def test_tasks_of_a_village_are_its_flags_only(
    registry: Path, departments: DepartmentFiles
) -> None:
    run = _load(departments, "vehicle")
    village = Flag.objects.filter(run=run).values_list("village_code", flat=True)[0]
    mine = selectors.flag_tasks(scope=village)
    assert mine.exists() and {f.village_code for f in mine} == {village}
    assert selectors.flag_tasks(scope=None).count() == 0
    assert selectors.flag_tasks(scope=COUNTY).count() == Flag.objects.filter(run=run).count()
