"""The pure asset rules (资产收益扶贫): checks with their codes and the dividend split."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fupin.policy import funds_assets as pfa
from fupin.policy.funds import Refusal
from fupin.policy.funds_assets import AssetCode


def codes(refusals: list[Refusal]) -> list[str]:
    return [r.code.value for r in refusals]


def asset(**changes: object) -> pfa.AssetFacts:
    args: dict[str, Any] = {
        "asset_type": "photovoltaic",
        "owner_kind": "collective",
        "value": Decimal("300000.00"),
        "project_status": "accepted",
        "formed_on": date(2019, 10, 1),
    }
    args.update(changes)
    return pfa.AssetFacts(**args)


def test_a_good_asset_passes() -> None:
    assert pfa.check_asset(asset()) == []
    assert (
        pfa.check_asset(
            asset(project_status="handed_over", owner_kind="households", shares_total=Decimal(100))
        )
        == []
    )


def test_asset_refusals_name_every_reason() -> None:
    got = codes(
        pfa.check_asset(
            asset(
                asset_type="castle",
                owner_kind="king",
                value=Decimal("-1"),
                project_status="approved",
                handed_over_on=date(2019, 9, 1),
            )
        )
    )
    assert got == [
        "ASSET_UNKNOWN_TYPE",
        "ASSET_UNKNOWN_OWNER",
        "ASSET_NEGATIVE",
        "ASSET_PROJECT_NOT_ACCEPTED",
        "ASSET_DATES",
    ]


def test_asset_in_progress_project_is_not_accepted() -> None:
    assert codes(pfa.check_asset(asset(project_status="in_progress"))) == [
        AssetCode.PROJECT_NOT_ACCEPTED.value
    ]


def test_value_in_fen_only() -> None:
    assert codes(pfa.check_asset(asset(value=Decimal("1.001")))) == ["ASSET_AMOUNT_PRECISION"]


def test_shares_to_households_need_a_total() -> None:
    assert codes(pfa.check_asset(asset(owner_kind="households"))) == ["ASSET_NOT_QUANTIFIED"]


def share(h: str, n: str, **changes: object) -> pfa.ShareFacts:
    args: dict[str, Any] = {"household": h, "shares": Decimal(n), "from_year": 2019}
    args.update(changes)
    return pfa.ShareFacts(**args)


def test_shares_adding_up_pass() -> None:
    assert pfa.check_shares(Decimal(100), [share("a", "60"), share("b", "40")]) == []


def test_shares_not_adding_up() -> None:
    got = pfa.check_shares(Decimal(100), [share("a", "60"), share("b", "30")])
    assert codes(got) == ["ASSET_SHARES_NOT_100"]
    assert got[0].details == {"total": "90", "expected": "100"}


def test_share_refusals() -> None:
    got = codes(
        pfa.check_shares(
            Decimal(100),
            [
                share("a", "50", registered=False),
                share("b", "30", status="exited"),
                share("c", "-5"),
                share("c", "25", to_year=2018),
            ],
        )
    )
    assert got == [
        "ASSET_NOT_REGISTERED",
        "ASSET_NOT_POOR",
        "ASSET_NEGATIVE",
        "ASSET_DUPLICATE_HOUSEHOLD",
        "ASSET_DATES",
    ]


def test_exited_households_may_hold_when_the_province_allows() -> None:
    p = pfa.AssetParameters(shares_to_poor_only=False)
    assert pfa.check_shares(Decimal(1), [share("a", "1", status="exited")], p) == []
    assert codes(pfa.check_shares(Decimal(1), [share("a", "1", status="exited")])) == [
        "ASSET_NOT_POOR"
    ]


def test_holds_in() -> None:
    assert pfa.holds_in(2019, None, 2025)
    assert pfa.holds_in(2019, 2020, 2020)
    assert not pfa.holds_in(2019, 2020, 2021)
    assert not pfa.holds_in(2019, None, 2018)


def dist(**changes: object) -> pfa.DistributionFacts:
    args: dict[str, Any] = {
        "income": Decimal("40000"),
        "parts": {"dividend": Decimal("10000"), "public_welfare_wages": Decimal("24000")},
        "shareholders": frozenset({"a", "b"}),
    }
    args.update(changes)
    return pfa.DistributionFacts(**args)


def test_distribution_within_income_passes() -> None:
    assert pfa.check_distribution(dist()) == []
    assert pfa.check_distribution(dist(parts={"retained": Decimal("40000")})) == []


def test_over_distributed() -> None:
    got = pfa.check_distribution(
        dist(parts={"dividend": Decimal("30000"), "village_public": Decimal("10000.01")})
    )
    assert codes(got) == ["ASSET_OVER_DISTRIBUTED"]


def test_dividend_without_shareholders() -> None:
    assert codes(pfa.check_distribution(dist(shareholders=frozenset()))) == ["ASSET_NO_SHARE"]


def test_explicit_dividend_to_a_household_without_share() -> None:
    got = pfa.check_distribution(dist(dividends={"a": Decimal("6000"), "z": Decimal("4000")}))
    assert codes(got) == ["ASSET_NO_SHARE"]
    assert got[0].details == {"household": "z"}


def test_explicit_dividends_must_add_up() -> None:
    got = pfa.check_distribution(dist(dividends={"a": Decimal("6000")}))
    assert codes(got) == ["ASSET_DIVIDEND_MISMATCH"]


def test_unknown_kind_and_negative_part() -> None:
    got = codes(pfa.check_distribution(dist(parts={"party": Decimal(1), "retained": Decimal(-1)})))
    assert got == ["ASSET_UNKNOWN_KIND", "ASSET_NEGATIVE"]


def test_income_checks() -> None:
    assert pfa.check_income(Decimal("30000.50")) == []
    assert codes(pfa.check_income(Decimal("-1"))) == ["ASSET_NEGATIVE"]


# -- split_dividends ------------------------------------------------------------------------------


def test_split_worked_example() -> None:
    # 100.00 over three equal shares: 33.34 to the first (ties in input order), 33.33 each.
    got = pfa.split_dividends(
        Decimal("100.00"), [("a", Decimal(1)), ("b", Decimal(1)), ("c", Decimal(1))]
    )
    assert got == [("a", Decimal("33.34")), ("b", Decimal("33.33")), ("c", Decimal("33.33"))]


def test_split_by_weight_and_zero_weight() -> None:
    got = pfa.split_dividends(
        Decimal("10"), [("a", Decimal(3)), ("b", Decimal(1)), ("c", Decimal(0))]
    )
    assert got == [("a", Decimal("7.50")), ("b", Decimal("2.50")), ("c", Decimal("0.00"))]


def test_split_nothing_to_split() -> None:
    assert pfa.split_dividends(Decimal("10"), []) == []
    assert pfa.split_dividends(Decimal("10"), [("a", Decimal(0))]) == []


@pytest.mark.parametrize("total", [Decimal("-1"), Decimal("1.001"), Decimal("NaN")])
def test_split_refuses_bad_totals(total: Decimal) -> None:
    with pytest.raises(ValueError):
        pfa.split_dividends(total, [("a", Decimal(1))])


def test_split_refuses_negative_weights() -> None:
    with pytest.raises(ValueError):
        pfa.split_dividends(Decimal(1), [("a", Decimal(-1)), ("b", Decimal(2))])


fen_totals = st.integers(min_value=0, max_value=10**10).map(lambda n: Decimal(n) / 100)
weights = st.lists(
    st.decimals(min_value=0, max_value=10**6, places=4, allow_nan=False, allow_infinity=False),
    min_size=1,
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(total=fen_totals, ws=weights)
def test_split_sums_exactly_and_is_never_negative(total: Decimal, ws: list[Decimal]) -> None:
    got = pfa.split_dividends(total, list(enumerate(ws)))
    if sum(ws) == 0:
        assert got == []
        return
    assert [k for k, _ in got] == list(range(len(ws)))
    assert sum(a for _, a in got) == total
    assert all(a >= 0 and a == a.quantize(Decimal("0.01")) for _, a in got)
    exact_total = sum(ws)
    for (_, a), w in zip(got, ws, strict=True):
        assert abs(a - total * w / exact_total) < Decimal("0.01") + Decimal("1e-20")


@settings(max_examples=300, deadline=None)
@given(total=fen_totals, n=st.integers(min_value=1, max_value=200), w=st.integers(1, 1000))
def test_equal_weights_differ_by_at_most_one_fen(total: Decimal, n: int, w: int) -> None:
    got = [a for _, a in pfa.split_dividends(total, [(i, Decimal(w)) for i in range(n)])]
    assert sum(got) == total
    assert max(got) - min(got) <= Decimal("0.01")


def test_dividend_to_a_household_no_longer_poor() -> None:
    statuses = {"a": "poor", "b": "exited"}
    got = pfa.check_distribution(dist(statuses=statuses))
    assert codes(got) == ["ASSET_NOT_POOR"]
    assert got[0].details == {"household": "b", "status": "exited"}
    # An explicit split leaving the exited household out passes; so does no dividend at all.
    assert pfa.check_distribution(dist(statuses=statuses, dividends={"a": Decimal(10000)})) == []
    assert pfa.check_distribution(dist(statuses=statuses, parts={})) == []
    relaxed = pfa.AssetParameters(shares_to_poor_only=False)
    assert pfa.check_distribution(dist(statuses=statuses), relaxed) == []
