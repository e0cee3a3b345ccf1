"""Exit evaluation services: villages from the rollups, the seeded stratified county sample,
verification, and the indicators and decision computed from it."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from fupin.assessment.services import assessment_run
from fupin.common.errors import FupinError
from fupin.evaluation import services
from fupin.evaluation.models import (
    CountyEvaluation,
    EvaluationSample,
    FrameHousehold,
    Stratum,
    VillageExitAssessment,
)
from fupin.policy import exit_standards as es
from fupin.registry.models import Household

COUNTY = "513431"
YEAR = 2016


@pytest.fixture
def county(registry: Path) -> str:
    assessment_run(division_code=COUNTY, year=YEAR)
    services.frame_generate(county=COUNTY, seed=5)
    return COUNTY


def _sample_keys(evaluation: CountyEvaluation) -> list[tuple[str, int | None, int | None]]:
    return list(
        evaluation.samples.order_by("stratum", "household_id", "frame_household_id").values_list(
            "stratum", "household_id", "frame_household_id"
        )
    )


# --- the frame ---------------------------------------------------------------------------------


def test_frame_generate_is_reproducible_and_covers_every_village(county: str) -> None:
    first = list(FrameHousehold.objects.order_by("code").values_list("code", "persons"))
    services.frame_generate(county=county, seed=5)
    assert list(FrameHousehold.objects.order_by("code").values_list("code", "persons")) == first
    villages = set(FrameHousehold.objects.values_list("village_id", flat=True))
    assert set(Household.objects.values_list("village_id", flat=True)) <= villages


def test_frame_import_refuses_a_village_of_another_county_and_writes_nothing(
    county: str, tmp_path: Path
) -> None:
    before = FrameHousehold.objects.count()
    bad = tmp_path / "frame.csv"
    bad.write_text("村代码,户编号,人口数\n110101001001,X1,3\n", encoding="utf-8")
    with pytest.raises(FupinError) as exc:
        services.frame_import(county=county, path=bad)
    assert exc.value.code == "FRAME_FILE_INVALID" and "第 2 行" in exc.value.message
    assert FrameHousehold.objects.count() == before


def test_frame_import_replaces_the_frame(county: str, tmp_path: Path) -> None:
    village = Household.objects.values_list("village_id", flat=True).first()
    good = tmp_path / "frame.csv"
    good.write_text(f"村代码,户编号,人口数\n{village},X1,3\n{village},X2,5\n", encoding="utf-8")
    assert services.frame_import(county=county, path=good) == 2
    assert list(FrameHousehold.objects.values_list("source", flat=True)) == ["imported"] * 2


# --- villages ----------------------------------------------------------------------------------


def test_village_exit_incidence_is_poor_over_registered_plus_frame_persons(county: str) -> None:
    n = services.village_exit_assess(division_code=county, year=YEAR)
    assert n == VillageExitAssessment.objects.count() > 0
    row = VillageExitAssessment.objects.filter(frame_persons__gt=0).first()
    assert row is not None
    hh = Household.objects.filter(village_id=row.village_id)
    poor = sum(h.members.count() for h in hh.filter(status__in=["poor", "returned"]))
    registered = sum(h.members.count() for h in hh.exclude(status="removed"))
    assert (row.poor_persons, row.registered_persons) == (poor, registered)
    assert row.population == registered + row.frame_persons
    assert row.incidence == pytest.approx(poor / row.population)
    # The registry cannot know the road: it waits for an input, so nothing exits blindly.
    assert row.conditions["road"] == {
        "value": None,
        "source": "unknown",
        "detail": "登记系统无此信息，待录入",
    }
    assert row.conditions["electricity"]["source"] == "registry"
    assert row.explanation["criteria"][0]["code"] == "incidence"


def test_recorded_inputs_decide_a_village_and_survive_a_rerun(county: str) -> None:
    services.village_exit_assess(division_code=county, year=YEAR)
    row = VillageExitAssessment.objects.order_by("incidence").first()
    assert row is not None
    inputs = {"road": True, "public_services": True, "industry": True, "collective_income": 20000}
    # A large recorded population puts the incidence under 3 %.
    inputs["population"] = max(1, row.poor_persons) * 100
    services.village_inputs_record(village_codes=[row.village_id], year=YEAR, inputs=inputs)
    row = VillageExitAssessment.objects.get(village_id=row.village_id, year=YEAR)
    conditions_ok = all(row.conditions[c]["value"] for c in ("electricity", "water"))
    assert row.incidence is not None and row.incidence < 0.03
    assert row.decision == ("exit" if conditions_ok else "no_exit")
    services.village_exit_assess(division_code=county, year=YEAR)
    row = VillageExitAssessment.objects.get(village_id=row.village_id, year=YEAR)
    assert row.inputs["collective_income"] == 20000


def test_unknown_village_inputs_are_refused(county: str) -> None:
    with pytest.raises(FupinError) as exc:
        services.village_inputs_record(village_codes=["513431100001"], year=YEAR, inputs={"x": 1})
    assert exc.value.code == "EVALUATION_INPUT_UNKNOWN"


# --- the county sample -------------------------------------------------------------------------


def test_sample_is_reproducible_from_the_seed(county: str) -> None:
    a = services.county_evaluation_start(county=county, year=YEAR, seed=11, sample_size=300)
    b = services.county_evaluation_start(county=county, year=YEAR, seed=11, sample_size=300)
    c = services.county_evaluation_start(county=county, year=YEAR, seed=12, sample_size=300)
    assert _sample_keys(a) == _sample_keys(b)
    assert _sample_keys(a) != _sample_keys(c)


def test_sample_is_stratified_by_registry_status_and_frame(county: str) -> None:
    ev = services.county_evaluation_start(
        county=county, year=YEAR, seed=1, sample_size=400, minimum=50
    )
    allocation = ev.sample_config["allocation"]
    assert sum(allocation.values()) == 400 and min(allocation.values()) >= 50
    for stratum, statuses in services.STRATUM_STATUSES.items():
        ids = ev.samples.filter(stratum=stratum).values_list("household_id", flat=True)
        assert len(ids) == allocation[stratum.value]
        assert set(Household.objects.filter(id__in=ids).values_list("status", flat=True)) <= set(
            statuses
        )
    frame = ev.samples.filter(stratum=Stratum.NON_REGISTERED)
    assert frame.count() == allocation["non_registered"]
    assert not frame.filter(household__isnull=False).exists()
    pops = ev.population
    assert (
        pops["exited"]["households"]
        == Household.objects.filter(status__in=["exited", "exited_with_policy"]).count()
    )
    assert pops["non_registered"]["households"] == FrameHousehold.objects.count()


def test_start_without_a_frame_is_refused(registry: Path) -> None:
    with pytest.raises(FupinError) as exc:
        services.county_evaluation_start(county=COUNTY, year=YEAR, seed=1)
    assert exc.value.code == "EVALUATION_NO_FRAME"
    assert not CountyEvaluation.objects.exists()


def test_start_on_a_township_is_refused(county: str) -> None:
    with pytest.raises(FupinError) as exc:
        services.county_evaluation_start(county="513431100", year=YEAR, seed=1)
    assert exc.value.code == "EVALUATION_NOT_COUNTY"


# --- verification and decision -----------------------------------------------------------------


def _verify_all(ev: CountyEvaluation, poor: dict[str, int], unhappy: int) -> None:
    """Mark the first ``poor[stratum]`` samples of each stratum as poor, the first ``unhappy``
    samples overall as dissatisfied, the rest as not poor and satisfied."""
    user = get_user_model().objects.create_user(username="inspector")
    seen = 0
    for stratum in Stratum:
        for i, s in enumerate(ev.samples.filter(stratum=stratum).order_by("id")):
            services.sample_verify(
                sample=s,
                should_be_poor=i < poor.get(stratum.value, 0),
                satisfied=seen >= unhappy,
                by=user,
            )
            seen += 1


def test_decision_refused_until_every_sample_is_verified(county: str) -> None:
    ev = services.county_evaluation_start(county=county, year=YEAR, seed=3, sample_size=30)
    with pytest.raises(FupinError) as exc:
        services.county_evaluation_decide(evaluation=ev)
    assert exc.value.code == "EVALUATION_INCOMPLETE" and "30 户" in exc.value.message


def test_estimates_match_hand_computation(county: str) -> None:
    ev = services.county_evaluation_start(
        county=county, year=YEAR, seed=3, sample_size=30, minimum=10
    )
    n = ev.sample_config["allocation"]
    _verify_all(ev, {"exited": 1, "non_registered": 0}, unhappy=3)
    ev = services.county_evaluation_decide(evaluation=ev)
    ind = ev.decision["indicators"]
    pop = ev.population
    # 错退率: 1 of the exited sample, Wilson interval.
    wrong = es.wilson(1, n["exited"])
    assert ind["wrong_exit"]["value"] == pytest.approx(1 / n["exited"])
    assert ind["wrong_exit"]["low"] == pytest.approx(wrong.low)
    assert ind["missed"]["value"] == 0.0
    # 群众认可度: the 3 unhappy are the first samples of the "poor" stratum.
    big_n = {k: v["households"] for k, v in pop.items()}
    total = sum(big_n.values())
    expected = (
        big_n["poor"] / total * (n["poor"] - 3) / n["poor"]
        + big_n["exited"] / total
        + big_n["non_registered"] / total
    )
    assert ind["recognition"]["value"] == pytest.approx(expected)
    # 综合贫困发生率 = (poor persons + wrong rate × exited persons) / all persons.
    persons = {k: v["persons"] for k, v in pop.items()}
    combined = (persons["poor"] + persons["exited"] / n["exited"]) / sum(persons.values())
    assert ind["combined_incidence"]["value"] == pytest.approx(combined)
    assert ev.status == CountyEvaluation.Status.DECIDED


def test_decision_explains_its_veto(county: str) -> None:
    ev = services.county_evaluation_start(
        county=county, year=YEAR, seed=3, sample_size=30, minimum=10
    )
    _verify_all(ev, {"exited": 5}, unhappy=0)
    ev = services.county_evaluation_decide(evaluation=ev)
    d = ev.decision
    assert d["decision"] == "no_exit"
    assert "wrong_exit" in d["failing"]
    assert d["veto"] == d["failing"][0]
    assert "任何一项指标不符合条件的，不予退出" in d["explanation"]
    assert "脱贫人口错退率" in d["explanation"]
    assert d["simulated"] is False
    sample = ev.samples.first()
    assert sample is not None
    with pytest.raises(FupinError) as exc:
        services.sample_verify(sample=sample, should_be_poor=False, satisfied=True)
    assert exc.value.code == "EVALUATION_DECIDED"


def test_simulation_follows_the_registry_assessment_and_is_reproducible(county: str) -> None:
    ev = services.county_evaluation_start(county=county, year=YEAR, seed=8, sample_size=200)
    assert services.county_evaluation_simulate(evaluation=ev) == 200
    for s in ev.samples.filter(stratum=Stratum.EXITED).select_related("household"):
        assert s.household is not None
        meets = s.household.assessments.get(year=YEAR).meets_standard
        assert s.should_be_poor is (not meets)
        assert s.simulated
    for s in ev.samples.filter(stratum=Stratum.NON_REGISTERED).select_related("frame_household"):
        assert s.frame_household is not None
        assert s.should_be_poor is s.frame_household.planted_poor
    again = services.county_evaluation_start(county=county, year=YEAR, seed=8, sample_size=200)
    services.county_evaluation_simulate(evaluation=again)
    outcomes = [
        list(
            e.samples.order_by("household_id", "frame_household_id").values_list(
                "should_be_poor", "satisfied"
            )
        )
        for e in (ev, again)
    ]
    assert outcomes[0] == outcomes[1]
    decided = services.county_evaluation_decide(evaluation=ev)
    assert decided.decision["simulated"] is True
    assert decided.decision["decision"] in ("exit", "no_exit")
    assert EvaluationSample.objects.filter(evaluation=ev, verified_at__isnull=True).count() == 0
