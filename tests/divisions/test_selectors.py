"""Selectors read a division, its subtree, children, ancestors and path by code prefix."""

from __future__ import annotations

import pytest
from django.db.models import Q
from pytest_django import DjangoAssertNumQueries

from fupin.common.errors import FupinError
from fupin.divisions.models import Division
from fupin.divisions.selectors import (
    ancestor_codes,
    division_ancestors,
    division_children,
    division_get,
    division_path_name,
    division_subtree,
    level_of_code,
    subtree_q,
    validate_code,
    village_codes_under,
)
from fupin.divisions.services import divisions_load

ZHAOJUE = "513431"
MEIGU = "513436"  # 美姑县, a neighbour in the same prefecture
TOWNSHIP = "513431103"  # 谷曲镇
VILLAGE = "513431103201"  # 乃妥觉莫村村民委员会


@pytest.fixture
def two_counties(db: None) -> None:
    divisions_load(prefix=ZHAOJUE)
    divisions_load(prefix=MEIGU)


@pytest.mark.parametrize(
    ("code", "level"),
    [("51", 1), ("5134", 2), (ZHAOJUE, 3), (TOWNSHIP, 4), (VILLAGE, 5), (" 51 ", 1)],
)
def test_level_of_code_follows_the_code_length(code: str, level: int) -> None:
    assert level_of_code(code) == level


@pytest.mark.parametrize("code", ["", "5", "513", "5134311", "5134311032011", "51a431", "５１"])
def test_validate_code_refuses_what_is_not_2_4_6_9_or_12_digits(code: str) -> None:
    with pytest.raises(FupinError) as caught:
        validate_code(code)

    assert caught.value.code == "DIVISION_UNKNOWN"
    assert caught.value.details["reason"] == "format"


def test_validate_code_keeps_zero_padded_codes_as_they_are() -> None:
    # 金门县's only "village" is 350527000000: padding cannot be stripped safely.
    assert validate_code("350527000000") == "350527000000"
    assert validate_code(" 510000000000\n") == "510000000000"


def test_ancestor_codes_are_the_prefixes_province_first() -> None:
    assert ancestor_codes(VILLAGE) == ["51", "5134", ZHAOJUE, TOWNSHIP]
    assert ancestor_codes(ZHAOJUE, include_self=True) == ["51", "5134", ZHAOJUE]
    assert ancestor_codes("51") == []


def test_subtree_q_pairs_the_prefix_with_an_indexable_range() -> None:
    assert subtree_q("5134", field="village_id") == Q(
        village_id__startswith="5134", village_id__gte="5134", village_id__lte="513499999999"
    )


@pytest.mark.django_db
def test_division_get_returns_the_division(two_counties: None) -> None:
    assert division_get(ZHAOJUE).name == "昭觉县"


@pytest.mark.django_db
def test_division_get_refuses_a_code_that_is_not_loaded(two_counties: None) -> None:
    with pytest.raises(FupinError) as caught:
        division_get("110101")

    assert caught.value.code == "DIVISION_UNKNOWN"
    assert "110101" in caught.value.message


@pytest.mark.django_db
def test_subtree_holds_the_division_and_everything_under_it_only(two_counties: None) -> None:
    codes = list(division_subtree(ZHAOJUE).values_list("code", flat=True))

    assert len(codes) == 1 + 20 + 163
    assert codes[0] == ZHAOJUE
    assert codes == sorted(codes)
    assert all(code.startswith(ZHAOJUE) for code in codes)


@pytest.mark.django_db
def test_subtree_of_the_prefecture_holds_both_counties(two_counties: None) -> None:
    subtree = division_subtree("5134")

    assert subtree.filter(level=3).count() == 2
    assert subtree.count() == Division.objects.count() - 1  # all but the province


@pytest.mark.django_db
def test_subtree_of_a_village_is_the_village(two_counties: None) -> None:
    assert list(division_subtree(VILLAGE).values_list("code", flat=True)) == [VILLAGE]


@pytest.mark.django_db
def test_children_are_the_next_level_down(two_counties: None) -> None:
    townships = division_children(ZHAOJUE)

    assert townships.count() == 20
    assert set(townships.values_list("level", flat=True)) == {4}
    assert list(division_children("5134").values_list("code", flat=True)) == [ZHAOJUE, MEIGU]
    assert list(division_children(None).values_list("code", flat=True)) == ["51"]
    assert not division_children(VILLAGE).exists()


@pytest.mark.django_db
def test_ancestors_come_province_first_in_one_query(
    two_counties: None, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    with django_assert_num_queries(1):
        codes = [d.code for d in division_ancestors(VILLAGE)]

    assert codes == ["51", "5134", ZHAOJUE, TOWNSHIP]
    assert [d.code for d in division_ancestors(ZHAOJUE, include_self=True)][-1] == ZHAOJUE
    assert not division_ancestors("51").exists()


@pytest.mark.django_db
def test_path_name_joins_the_names_from_the_province_down(two_counties: None) -> None:
    assert division_path_name(ZHAOJUE) == "四川省 凉山彝族自治州 昭觉县"
    assert division_path_name(VILLAGE) == "四川省 凉山彝族自治州 昭觉县 谷曲镇 乃妥觉莫村村民委员会"
    assert division_path_name("51") == "四川省"


@pytest.mark.django_db
def test_path_name_refuses_a_code_that_is_not_loaded(two_counties: None) -> None:
    with pytest.raises(FupinError) as caught:
        division_path_name("513432")  # 喜德县: same prefecture, not loaded

    assert caught.value.code == "DIVISION_UNKNOWN"


@pytest.mark.django_db
def test_village_codes_under_a_county_township_and_village(two_counties: None) -> None:
    villages = village_codes_under(ZHAOJUE)

    assert len(villages) == 163
    assert all(len(code) == 12 and code.startswith(ZHAOJUE) for code in villages)
    assert villages == sorted(villages)
    assert VILLAGE in village_codes_under(TOWNSHIP)
    assert set(village_codes_under(TOWNSHIP)) < set(villages)
    assert village_codes_under(VILLAGE) == [VILLAGE]
    assert (
        len(village_codes_under("5134"))
        == 163 + Division.objects.filter(level=5, code__startswith=MEIGU).count()
    )
