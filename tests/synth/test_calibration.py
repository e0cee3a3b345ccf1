"""Calibration holds on the generated data: income means, ages, household sizes, statuses."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from fupin.policy.idnumber import check_array
from fupin.policy.parameters import ParameterSet
from fupin.registry.imports.columns import columns_of
from fupin.synth import calibration as cal
from tests.synth.registries import KANGBAO, ZHAOJUE, registry

INCOME_ITEMS = [c.name for c in columns_of("income") if c.kind == "money"]


def heads(table: pa.Table) -> pa.Table:
    return table.filter(pc.equal(table["relation"], "head"))


def per_capita(table: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    """(net income, household size) per household."""
    h = heads(table)
    net = sum(h[c].to_numpy() for c in INCOME_ITEMS if c != "operating_cost")
    net = net - h["operating_cost"].to_numpy()
    return net, h["household_size"].to_numpy()


def age_on_reference_day(table: pa.Table, year: int) -> np.ndarray:
    birth = check_array(table["id_number"].to_numpy(zero_copy_only=False)).birth_date
    years = year - birth.astype("datetime64[Y]").astype(int) - 1970
    after = (birth - birth.astype("datetime64[Y]")).astype(int) > (
        np.datetime64(f"{year}-09-01") - np.datetime64(f"{year}-01-01")
    ).astype(int)
    return years - after


@pytest.mark.parametrize("year", [2015, 2016, 2019, 2020])
def test_mean_per_capita_net_income_is_the_published_one(year: int) -> None:
    net, size = per_capita(registry(ZHAOJUE, 20_000, year=year))
    mean = net.sum() / size.sum()  # person-weighted, as published
    assert mean == pytest.approx(cal.PER_CAPITA_NET_INCOME[year], rel=0.005)


def test_poor_below_the_line_exited_above() -> None:
    year = 2016
    table = registry(ZHAOJUE, 20_000, year=year)
    h = heads(table)
    net, size = per_capita(table)
    line = float(ParameterSet().national_line(year).amount)
    poor = np.isin(h["status"].to_numpy(zero_copy_only=False), ["poor", "returned"])
    below = net < line * size
    assert below[poor].mean() > 0.8
    assert (~below[~poor]).mean() > 0.97  # wrong exits stay under the 2% threshold
    assert poor.mean() == pytest.approx(1 - cal.EXITED_SHARE[year], abs=0.03)


def test_exited_share_rises_by_year() -> None:
    shares = []
    for year in (2014, 2016, 2018, 2020):
        status = heads(registry(ZHAOJUE, 5_000, year=year))["status"].to_numpy(zero_copy_only=False)
        shares.append(np.isin(status, ["exited", "exited_with_policy"]).mean())
    assert shares == sorted(shares) and shares[-1] == 1.0


@pytest.mark.parametrize(
    ("division", "prefix"), [(ZHAOJUE, "513431"), (KANGBAO, "13"), ("411523", "")]
)
def test_age_and_household_size_follow_the_region(division: str, prefix: str) -> None:
    profile = cal.PROFILES[prefix]
    table = registry(division, 50_000)
    old = (age_on_reference_day(table, 2016) >= 60).mean()
    assert old == pytest.approx(profile.elderly_share, abs=0.03)
    households = len(set(table["household_code"].to_pylist()))
    assert table.num_rows / households == pytest.approx(profile.mean_household_size, rel=0.05)


def test_hebei_counties_are_old_and_on_the_safety_net() -> None:
    """Speech ¶43: 60+ over 45%, 低保/五保 near 60% of the poor in Hebei's deep-poverty counties."""
    table = registry(KANGBAO, 20_000)
    assert (age_on_reference_day(table, 2016) >= 60).mean() > 0.43
    attribute = table["attribute"].to_numpy(zero_copy_only=False)
    assert np.isin(attribute, ["dibao", "tekun"]).mean() > 0.5


def test_dangerous_houses_and_insurance(zhaojue_2019: pa.Table) -> None:
    h = heads(zhaojue_2019)
    dangerous = np.isin(h["house_grade"].to_numpy(zero_copy_only=False), ["C", "D"]).mean()
    assert dangerous == pytest.approx(cal.DANGEROUS_HOUSE_SHARE[2019], abs=0.015)
    insured = zhaojue_2019["basic_medical"].to_numpy(zero_copy_only=False).mean()
    assert 0.97 <= insured <= 1.0


def test_every_profile_has_valid_shares() -> None:
    for prefix, p in cal.PROFILES.items():
        assert sum(s for _, s in p.ethnicity) <= 1.0, prefix
        assert sum(p.fuel) == pytest.approx(1.0), prefix
        assert 1.0 < p.mean_household_size < 6.0, prefix
        assert cal.profile_for(prefix + "0" * (6 - len(prefix)))[0] == prefix


def test_year_tables_cover_the_registry_era() -> None:
    for table in (
        cal.PER_CAPITA_NET_INCOME,
        cal.EXITED_SHARE,
        cal.DANGEROUS_HOUSE_SHARE,
        cal.DROPOUT_SHARE,
        cal.BASIC_MEDICAL_SHARE,
        cal.RURAL_DIBAO_STANDARD,
        cal.BASIC_PENSION_MONTHLY,
        cal.RELOCATED_SHARE,
    ):
        assert set(cal.YEARS) <= set(table)
