"""Exit standards: thresholds with their marks, the one-vote veto, estimators and sampling."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fupin.policy import exit_standards as es
from fupin.policy.parameters import Verification

ALL_MET = {code: True for code, _ in es.VILLAGE_CONDITIONS}


def indicators(
    combined: float = 0.01, wrong: float = 0.01, missed: float = 0.01, recognition: float = 0.95
) -> es.CountyIndicators:
    def est(v: float) -> es.Estimate:
        return es.Estimate(v, max(0.0, v - 0.01), min(1.0, v + 0.01))

    return es.CountyIndicators(est(combined), est(wrong), est(missed), est(recognition))


# --- thresholds --------------------------------------------------------------------------------


def test_thresholds_are_the_verified_figures_of_domain_md() -> None:
    s = es.DEFAULT_STANDARDS
    assert (s.incidence_central.value, s.incidence_west.value) == (0.02, 0.03)
    assert (s.wrong_exit.value, s.missed.value, s.recognition.value) == (0.02, 0.02, 0.90)
    assert s.recognition.comparison == "gt" and s.wrong_exit.comparison == "lt"
    for t in (s.incidence_central, s.incidence_west, s.wrong_exit, s.missed, s.recognition):
        assert t.verification == Verification.VERIFIED and "domain.md §5" in t.source


def test_the_west_province_list_is_marked_unverified_and_configurable() -> None:
    s = es.DEFAULT_STANDARDS
    assert s.west_regions_verification == Verification.UNVERIFIED
    assert s.is_west("513431") and not s.is_west("340000")  # 四川 west, 安徽 central
    local = s.with_west_regions([*s.west_regions, "4331"], "湖南湘西州比照西部")
    assert local.is_west("433101") and local.west_regions_verification == Verification.LOCAL
    with pytest.raises(ValueError):
        s.with_west_regions(["四川"], "x")


# --- villages ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "incidence", "decision"),
    [
        ("513431001001", 0.029, es.Decision.EXIT),  # west: under 3 %
        ("513431001001", 0.030, es.Decision.NO_EXIT),  # "低于" is strict
        ("340101001001", 0.025, es.Decision.NO_EXIT),  # central: 2 %
        ("340101001001", 0.019, es.Decision.EXIT),
    ],
)
def test_village_incidence_threshold_depends_on_the_region(
    code: str, incidence: float, decision: es.Decision
) -> None:
    result = es.village_decision(village_code=code, incidence=incidence, conditions=ALL_MET)
    assert result.decision == decision


def test_village_with_an_unknown_condition_is_pending_and_says_which() -> None:
    conditions = {**ALL_MET, "road": None}
    result = es.village_decision(
        village_code="513431001001", incidence=0.01, conditions=conditions, name="甲村"
    )
    assert result.decision == es.Decision.PENDING
    assert result.veto == ""
    assert "暂不能判定" in result.explanation and "通硬化路" in result.explanation


def test_village_failing_a_condition_is_vetoed_by_it() -> None:
    result = es.village_decision(
        village_code="513431001001", incidence=0.01, conditions={**ALL_MET, "water": False}
    )
    assert result.decision == es.Decision.NO_EXIT
    assert result.veto == "water" and result.failing == ("water",)


def test_village_without_population_cannot_be_decided() -> None:
    result = es.village_decision(village_code="513431001001", incidence=None, conditions=ALL_MET)
    assert result.decision == es.Decision.PENDING
    assert "缺少数据" in result.explanation


# --- counties ----------------------------------------------------------------------------------


def test_county_meeting_all_four_indicators_exits() -> None:
    result = es.county_decision(county_code="513431", indicators=indicators(), name="昭觉县")
    assert result.decision == es.Decision.EXIT
    assert result.veto == "" and result.label == "达到退出标准"
    assert "昭觉县（西部）各项指标均达到退出标准" in result.explanation


@pytest.mark.parametrize(
    ("kwargs", "veto"),
    [
        ({"combined": 0.031}, "combined_incidence"),
        ({"wrong": 0.02}, "wrong_exit"),
        ({"missed": 0.025}, "missed"),
        ({"recognition": 0.90}, "recognition"),  # must be above 90 %
    ],
)
def test_any_single_failing_indicator_vetoes_exit(kwargs: dict[str, float], veto: str) -> None:
    result = es.county_decision(county_code="513431", indicators=indicators(**kwargs))
    assert result.decision == es.Decision.NO_EXIT
    assert result.veto == veto and result.failing == (veto,)
    assert "任何一项指标不符合条件的，不予退出" in result.explanation
    failing = next(c for c in result.criteria if c.code == veto)
    assert failing.passed is False
    assert all(c.passed for c in result.criteria if c.code != veto)


def test_the_first_failing_indicator_is_the_veto_and_all_are_listed() -> None:
    result = es.county_decision(
        county_code="340100", indicators=indicators(combined=0.025, recognition=0.8)
    )
    assert result.veto == "combined_incidence"
    assert result.failing == ("combined_incidence", "recognition")
    assert "综合贫困发生率、群众认可度未达到标准" in result.explanation


def test_county_explanation_states_values_intervals_and_thresholds() -> None:
    result = es.county_decision(county_code="513431", indicators=indicators(wrong=0.015))
    assert "脱贫人口错退率 1.50%（0.50%～2.50%），标准为低于2%，达标" in result.explanation
    d = result.as_dict()
    assert d["criteria"][1]["verification_label"] == "已核实"


def test_thresholds_can_be_replaced_locally() -> None:
    strict = replace(
        es.DEFAULT_STANDARDS,
        recognition=es.Threshold(0.95, "ge", Verification.LOCAL, "某省"),
    )
    result = es.county_decision(county_code="513431", indicators=indicators(), standards=strict)
    assert result.decision == es.Decision.EXIT  # 95 % ≥ 95 %
    result = es.county_decision(
        county_code="513431", indicators=indicators(recognition=0.94), standards=strict
    )
    assert result.veto == "recognition"


# --- estimators --------------------------------------------------------------------------------


def test_wilson_interval_matches_a_published_value() -> None:
    # Newcombe (1998), table I: 81/263 → 0.2553–0.3662 (Wilson score, 95 %).
    est = es.wilson(81, 263)
    assert est.low == pytest.approx(0.2553, abs=1e-4)
    assert est.high == pytest.approx(0.3662, abs=1e-4)


def test_wilson_edges_stay_in_the_unit_interval() -> None:
    zero, all_ = es.wilson(0, 50), es.wilson(50, 50)
    assert zero.low == 0.0 and 0 < (zero.high or 0) < 0.1
    assert all_.high == 1.0 and 0.9 < (all_.low or 0) < 1
    assert es.wilson(0, 0).value is None
    with pytest.raises(ValueError):
        es.wilson(3, 2)


@settings(max_examples=25, deadline=None)
@given(p=st.floats(0.01, 0.99), n=st.integers(30, 400), seed=st.integers(0, 2**32 - 1))
def test_wilson_interval_covers_the_true_proportion_about_95_percent(
    p: float, n: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    trials = 400
    hits = 0
    for x in rng.binomial(n, p, trials):
        est = es.wilson(int(x), n)
        assert est.low is not None and est.high is not None
        hits += est.low <= p <= est.high
    # Wilson's actual coverage dips below nominal for some (n, p); 400 trials add noise.
    assert hits / trials >= 0.87


def test_stratified_estimate_matches_hand_computation() -> None:
    strata = [es.Stratum(100, 10, 9), es.Stratum(1000, 20, 18)]
    est = es.stratified_proportion(strata)
    # Weights 1/11 and 10/11; both strata 90 % → 90 %; count = 100/10·9 + 1000/20·18 = 990.
    assert est.value == pytest.approx(0.9)
    assert est.numerator == pytest.approx(990) and est.denominator == 1100
    w1, w2 = 100 / 1100, 1000 / 1100
    var = w1**2 * (1 - 10 / 100) * 0.09 / 9 + w2**2 * (1 - 20 / 1000) * 0.09 / 19
    assert est.se == pytest.approx(math.sqrt(var))
    assert est.low == pytest.approx(0.9 - 1.959964 * math.sqrt(var), abs=1e-6)


def test_a_fully_sampled_stratum_has_no_sampling_variance() -> None:
    est = es.stratified_proportion([es.Stratum(20, 20, 5)])
    assert est.value == 0.25 and est.se == 0.0


def test_combined_incidence_extrapolates_the_sample_rates() -> None:
    est = es.combined_incidence(
        remaining_poor=100,
        exited=1000,
        non_registered=10000,
        wrong_exit=es.Estimate(0.01, 0, 0.02, 0.005),
        missed=es.Estimate(0.002, 0, 0.004, 0.001),
        rural_population=11100,
    )
    # (100 + 10 + 20) / 11100
    assert est.value == pytest.approx(130 / 11100)
    assert est.se == pytest.approx(math.sqrt(5**2 + 10**2) / 11100)


# --- allocation and draw -----------------------------------------------------------------------


def test_proportional_allocation_keeps_minimums_and_the_total() -> None:
    n = es.allocate({"poor": 500, "exited": 3000, "non_registered": 60000}, 1000, minimum=100)
    assert sum(n.values()) == 1000
    assert n["poor"] >= 100 and n["exited"] >= 100
    assert n["non_registered"] > n["exited"] > n["poor"]


def test_allocation_never_exceeds_a_stratum_and_takes_small_ones_whole() -> None:
    n = es.allocate({"a": 10, "b": 40, "c": 5000}, 1000, minimum=100)
    assert n["a"] == 10 and n["b"] == 40 and n["c"] == 950
    assert es.allocate({"a": 3, "b": 4}, 1000) == {"a": 3, "b": 4}


def test_neyman_allocation_favours_the_more_variable_stratum() -> None:
    pops = {"a": 1000, "b": 1000}
    n = es.allocate(pops, 200, method="neyman", minimum=0, sd={"a": 0.1, "b": 0.4})
    assert n == {"a": 40, "b": 160}


def test_draw_is_reproducible_from_the_seed_whatever_the_id_order() -> None:
    frames = {"a": list(range(1, 501)), "b": list(range(1000, 3000))}
    alloc = {"a": 20, "b": 50}
    first = es.stratified_draw(frames, alloc, seed=42)
    shuffled = {k: list(reversed(v)) for k, v in frames.items()}
    assert es.stratified_draw(shuffled, alloc, seed=42) == first
    assert es.stratified_draw(frames, alloc, seed=43) != first
    assert [len(first["a"]), len(first["b"])] == [20, 50]
    assert set(first["a"]) <= set(frames["a"]) and len(set(first["b"])) == 50
