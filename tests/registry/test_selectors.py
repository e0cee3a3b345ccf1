"""Registry selectors: find a household, list a division's households, load a household's file."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_django import DjangoAssertNumQueries

from fupin.common.errors import FupinError
from fupin.registry.imports.services import registry_import_file
from fupin.registry.models import Household
from fupin.registry.selectors import household_detail, household_get, households_under

pytestmark = pytest.mark.usefixtures("divisions")


@pytest.fixture
def imported(divisions: None, valid_csv: Path) -> None:
    assert registry_import_file(path=valid_csv).stored


@pytest.mark.usefixtures("imported")
def test_household_get_finds_by_code() -> None:
    h = household_get("5134311000010001")
    assert h is not None and h.village.name == "城南社区居民委员会"
    assert household_get("nope") is None


@pytest.mark.usefixtures("imported")
def test_households_under_a_division_prefix() -> None:
    assert [h.code for h in households_under("513431100001")] == [
        "5134311000010001",
        "5134311000010002",
    ]
    assert households_under("513431").count() == 3
    assert households_under("52").count() == 0
    with pytest.raises(FupinError) as err:
        households_under("5134311")
    assert err.value.code == "DIVISION_UNKNOWN"


@pytest.mark.usefixtures("imported")
def test_household_detail_loads_everything_in_three_queries(
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    pk = Household.objects.get(code="5134311000010001").pk

    with django_assert_num_queries(3):
        detail = household_detail(pk)
        assert detail is not None
        names = [m.name for m in detail.members]
        net = detail.latest_income.net_income if detail.latest_income else None
        grade = detail.conditions.house_grade if detail.conditions else None
        village = detail.household.village.name

    assert names[0] == "阿西木呷" and detail.head is not None and detail.head.name == "阿西木呷"
    assert len(names) == 4 and str(net) == "16400.00" and grade == "C"
    assert village == "城南社区居民委员会"
    assert household_detail(10**9) is None
