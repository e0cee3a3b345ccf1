"""``divisions_load`` loads one county, one province or all of China, idempotently."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db.models import Count

from fupin.common.errors import FupinError
from fupin.divisions.models import Division
from fupin.divisions.services import divisions_load
from tests.divisions.datafiles import count_under

ZHAOJUE = "513431"  # 四川省 凉山彝族自治州 昭觉县


def rows_per_level() -> Counter[int]:
    return Counter(
        {row["level"]: row["n"] for row in Division.objects.values("level").annotate(n=Count("pk"))}
    )


@pytest.mark.django_db
def test_county_load_gives_the_county_its_townships_villages_and_ancestors(
    codes_in_files: dict[int, list[str]],
) -> None:
    report = divisions_load(prefix=ZHAOJUE)

    expected = count_under(codes_in_files, ZHAOJUE)
    assert expected == Counter({1: 1, 2: 1, 3: 1, 4: 20, 5: 163})
    assert rows_per_level() == expected
    assert {item.level: item.inserted for item in report.levels} == dict(expected)
    assert report.rows == report.inserted == 186
    assert list(
        Division.objects.filter(level__lte=3).order_by("code").values_list("code", "name")
    ) == [("51", "四川省"), ("5134", "凉山彝族自治州"), (ZHAOJUE, "昭觉县")]


@pytest.mark.django_db
def test_every_loaded_division_hangs_under_its_parent() -> None:
    divisions_load(prefix=ZHAOJUE)

    assert Division.objects.get(pk="51").parent_id is None
    orphans = Division.objects.filter(level__gt=1).exclude(parent_id__in=Division.objects.all())
    assert not orphans.exists()
    for code, parent in Division.objects.filter(level__gt=1).values_list("code", "parent_id"):
        assert code.startswith(parent)


@pytest.mark.django_db
def test_loading_twice_leaves_one_row_per_code_and_reports_nothing_new() -> None:
    divisions_load(prefix=ZHAOJUE)
    before = rows_per_level()

    again = divisions_load(prefix=ZHAOJUE)

    assert rows_per_level() == before
    assert again.inserted == 0
    assert again.updated == 0
    assert again.rows == 186
    assert all(item.unchanged == item.rows for item in again.levels)


@pytest.mark.django_db
def test_county_then_its_province_adds_only_the_rest_of_the_province(
    codes_in_files: dict[int, list[str]],
) -> None:
    divisions_load(prefix=ZHAOJUE)

    report = divisions_load(prefix="51")

    expected = count_under(codes_in_files, "51")
    assert rows_per_level() == expected
    assert Division.objects.count() == len(set(Division.objects.values_list("code", flat=True)))
    assert report.level(5).rows == expected[5]
    assert report.level(5).inserted == expected[5] - 163
    assert report.level(1).inserted == 0


@pytest.mark.django_db
def test_province_then_one_of_its_counties_changes_nothing() -> None:
    divisions_load(prefix="51")
    before = Division.objects.count()

    report = divisions_load(prefix=ZHAOJUE)

    assert Division.objects.count() == before
    assert report.inserted == 0


@pytest.mark.django_db
def test_reload_restores_a_changed_name_and_parent() -> None:
    divisions_load(prefix=ZHAOJUE)
    Division.objects.filter(pk=ZHAOJUE).update(name="旧名")
    village = Division.objects.filter(level=5).order_by("code").values_list("pk", flat=True)[0]
    Division.objects.filter(pk=village).update(parent_id=None)

    report = divisions_load(prefix=ZHAOJUE)

    assert Division.objects.get(pk=ZHAOJUE).name == "昭觉县"
    assert Division.objects.get(pk=village).parent_id == village[:9]
    assert report.level(3).updated == 1
    assert report.level(5).updated == 1
    assert report.inserted == 0


@pytest.mark.django_db
def test_a_code_not_in_the_data_is_kept() -> None:
    # Households may point at it; the loader adds and corrects, it never deletes.
    Division.objects.create(code="513431999999", name="旧村", level=5, parent_id="513431999")

    divisions_load(prefix=ZHAOJUE)

    assert Division.objects.filter(pk="513431999999").exists()


@pytest.mark.django_db
def test_a_neighbouring_county_is_not_loaded() -> None:
    divisions_load(prefix=ZHAOJUE)

    assert not Division.objects.filter(code__startswith="513432").exists()
    assert not Division.objects.filter(code__startswith="52").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("prefix", ["11", "1101", "110101", "110101001", "110101001001"])
def test_a_prefix_of_any_level_loads_with_its_ancestors(
    prefix: str, codes_in_files: dict[int, list[str]]
) -> None:
    divisions_load(prefix=prefix)

    assert rows_per_level() == count_under(codes_in_files, prefix)
    assert Division.objects.filter(pk=prefix).exists()


@pytest.mark.django_db
def test_progress_announces_every_level_then_reports_each_batch() -> None:
    calls: list[tuple[int, int, int]] = []

    divisions_load(prefix=ZHAOJUE, progress=lambda *args: calls.append(args))

    assert calls[:5] == [(1, 0, 1), (2, 0, 1), (3, 0, 1), (4, 0, 20), (5, 0, 163)]
    last = {level: (done, total) for level, done, total in calls}
    assert last == {1: (1, 1), 2: (1, 1), 3: (1, 1), 4: (20, 20), 5: (163, 163)}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("prefix", "reason"),
    [
        ("5", "format"),
        ("513", "format"),
        ("5134311", "format"),
        ("51343110320", "format"),
        ("abcdef", "format"),
        ("５１", "format"),  # full-width digits
        ("", "format"),
        ("99", "not_in_data"),
        ("513499", "not_in_data"),
        ("513431999999", "not_in_data"),
    ],
)
def test_a_bad_prefix_is_refused_and_nothing_is_stored(prefix: str, reason: str) -> None:
    with pytest.raises(FupinError) as caught:
        divisions_load(prefix=prefix)

    assert caught.value.code == "DIVISION_UNKNOWN"
    assert "未找到区划代码" in caught.value.message
    assert caught.value.details["reason"] == reason
    assert not Division.objects.exists()


@pytest.mark.django_db
def test_surrounding_spaces_in_the_prefix_are_ignored() -> None:
    report = divisions_load(prefix=f" {ZHAOJUE} ")

    assert report.prefix == ZHAOJUE
    assert Division.objects.filter(pk=ZHAOJUE).exists()
