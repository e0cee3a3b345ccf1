"""Village facts (村情) and county statistics: values judged like the import, partial saves,
field sources, the audit trail, and who may write where."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser

from fupin.accounts.models import Profile, Role
from fupin.common.errors import FupinError
from fupin.common.models import AuditEvent
from fupin.divisions.models import Division
from fupin.registry.village import CountyStatistics, VillageFacts
from fupin.registry.village_selectors import village_facts_for, village_facts_get
from fupin.registry.village_services import county_statistics_save, village_facts_save
from tests.registry.flatfiles import TOWNSHIP, VILLAGE_1, VILLAGE_2

pytestmark = pytest.mark.usefixtures("divisions")
COUNTY = "513431"
MakeUser = Callable[[str, Role, str | None], AbstractUser]


@pytest.fixture
def make_user(db: None) -> MakeUser:
    def make(username: str, role: Role, division: str | None) -> AbstractUser:
        user = get_user_model().objects.create_user(username=username, password="pw-123456789")
        Profile.objects.create(user=user, role=role, division_id=division)
        return user

    return make


@pytest.fixture
def cadre(make_user: MakeUser) -> AbstractUser:
    return make_user("cadre", Role.VILLAGE_CADRE, VILLAGE_1)


def test_values_are_parsed_from_chinese_words_and_stored(cadre: AbstractUser) -> None:
    facts = village_facts_save(
        village_code=VILLAGE_1,
        year=2019,
        data={
            "poverty_status": "深度贫困村",
            "poverty_status_since": "2014",
            "population": "1,203",
            "road_hardened": "是",
            "power_grid": "有",
            "broadband": "0",
            "mobile_signal": "true",
            "clinic_qualified_doctor": "无",
            "cultural_room": "",
            "natural_villages": 6,
            "natural_villages_road": "4",
            "safe_water_share": "92.5",
            "collective_income": "35000",
            "township_distance_km": "12.3",
        },
        by=cadre,
    )
    stored = VillageFacts.objects.get(village_id=VILLAGE_1, year=2019)
    assert stored.pk == facts.pk
    assert stored.poverty_status == "deep_poor" and stored.poverty_status_since == 2014
    assert stored.population == 1203
    assert (stored.road_hardened, stored.power_grid, stored.broadband) == (True, True, False)
    assert stored.mobile_signal is True and stored.clinic_qualified_doctor is False
    assert stored.cultural_room is None and stored.industry is None
    assert stored.safe_water_share == Decimal("92.50")
    assert stored.collective_income == Decimal("35000.00")
    assert stored.township_distance_km == Decimal("12.3")
    assert stored.source == "manual"
    assert stored.field_sources["road_hardened"] == "manual"
    assert "cultural_room" not in stored.field_sources


@pytest.mark.parametrize(
    ("field", "value", "code", "heading"),
    [
        ("road_hardened", "也许", "BOOL_INVALID", "通硬化路（到村）"),
        ("safe_water_share", "101", "NUMBER_OUT_OF_RANGE", "安全饮水覆盖率（%）"),
        ("safe_water_share", "-1", "NUMBER_OUT_OF_RANGE", "安全饮水覆盖率（%）"),
        ("collective_income", "-5", "MONEY_NEGATIVE", "村集体经济年收入（元）"),
        ("population", "很多", "NUMBER_INVALID", "农村户籍人口"),
        ("population", "2.5", "NUMBER_INVALID", "农村户籍人口"),
        ("poverty_status", "富裕村", "CODE_UNKNOWN", "贫困村属性"),
        ("township_distance_km", "1.25", "NUMBER_INVALID", "到乡镇距离（公里）"),
    ],
)
def test_a_bad_value_is_refused_naming_the_field_in_chinese(
    cadre: AbstractUser, field: str, value: str, code: str, heading: str
) -> None:
    with pytest.raises(FupinError) as exc:
        village_facts_save(village_code=VILLAGE_1, year=2019, data={field: value}, by=cadre)
    assert exc.value.code == "VILLAGE_FACTS_BAD_VALUE"
    assert heading in exc.value.message
    [error] = exc.value.details["errors"]
    assert (error["field"], error["code"]) == (field, code)
    assert not VillageFacts.objects.exists()
    assert not AuditEvent.objects.filter(obj_type="village_facts").exists()


def test_every_bad_field_is_listed(cadre: AbstractUser) -> None:
    with pytest.raises(FupinError) as exc:
        village_facts_save(
            village_code=VILLAGE_1,
            year=2019,
            data={"broadband": "x", "households_total": "-3", "power_grid": "是"},
            by=cadre,
        )
    assert [e["field"] for e in exc.value.details["errors"]] == ["broadband", "households_total"]
    assert "共 2 处问题" in exc.value.message


def test_road_villages_cannot_exceed_natural_villages_even_across_saves(
    cadre: AbstractUser,
) -> None:
    village_facts_save(village_code=VILLAGE_1, year=2019, data={"natural_villages": 3}, by=cadre)
    with pytest.raises(FupinError) as exc:
        village_facts_save(
            village_code=VILLAGE_1, year=2019, data={"natural_villages_road": 4}, by=cadre
        )
    assert exc.value.details["errors"][0]["code"] == "ROAD_MORE_THAN_NATURAL"
    assert VillageFacts.objects.get().natural_villages_road is None


@pytest.mark.parametrize("year", [1999, 2101, "abc"])
def test_a_year_outside_2000_2100_is_refused(cadre: AbstractUser, year: int | str) -> None:
    with pytest.raises(FupinError) as exc:
        village_facts_save(village_code=VILLAGE_1, year=year, data={}, by=cadre)
    assert exc.value.code == "VILLAGE_FACTS_BAD_VALUE"


def test_unknown_fields_are_refused(cadre: AbstractUser) -> None:
    with pytest.raises(FupinError) as exc:
        village_facts_save(village_code=VILLAGE_1, year=2019, data={"roads": "是"}, by=cadre)
    assert exc.value.code == "FIELD_UNKNOWN"


def test_a_save_is_partial_and_audits_only_the_changes(cadre: AbstractUser) -> None:
    village_facts_save(
        village_code=VILLAGE_1,
        year=2019,
        data={"road_hardened": "否", "population": 800},
        by=cadre,
    )
    village_facts_save(
        village_code=VILLAGE_1,
        year=2019,
        data={"road_hardened": "是", "population": 800},
        source="department",
        by=cadre,
    )
    facts = VillageFacts.objects.get()
    assert facts.road_hardened is True and facts.population == 800
    assert facts.field_sources == {"road_hardened": "department", "population": "manual"}
    events = list(AuditEvent.objects.filter(obj_type="village_facts").order_by("pk"))
    assert [e.action for e in events] == ["village_facts.save"] * 2
    assert events[0].before is None
    assert events[0].after == {"year": 2019, "road_hardened": False, "population": 800}
    assert events[1].before == {"year": 2019, "road_hardened": False}
    assert events[1].after == {"year": 2019, "road_hardened": True}
    assert events[1].by_id == cadre.pk and events[1].obj_key == VILLAGE_1


def test_a_blank_clears_a_fact_to_not_recorded(cadre: AbstractUser) -> None:
    village_facts_save(village_code=VILLAGE_1, year=2019, data={"broadband": "是"}, by=cadre)
    village_facts_save(village_code=VILLAGE_1, year=2019, data={"broadband": ""}, by=cadre)
    assert VillageFacts.objects.get().broadband is None


def test_a_village_cadre_cannot_record_another_village(cadre: AbstractUser) -> None:
    with pytest.raises(FupinError) as exc:
        village_facts_save(village_code=VILLAGE_2, year=2019, data={"broadband": "是"}, by=cadre)
    assert exc.value.code == "OUT_OF_SCOPE"
    assert not VillageFacts.objects.exists()


def test_the_township_reviewer_may_record_the_facts_of_its_villages(
    make_user: MakeUser,
) -> None:
    reviewer = make_user("town", Role.TOWNSHIP_REVIEWER, TOWNSHIP)
    village_facts_save(village_code=VILLAGE_2, year=2020, data={"industry": "是"}, by=reviewer)
    assert VillageFacts.objects.get(village_id=VILLAGE_2).industry is True
    Division.objects.create(code="513431101", name="另一镇", level=4, parent_id=COUNTY)
    other = make_user("other-town", Role.TOWNSHIP_REVIEWER, "513431101")
    with pytest.raises(FupinError) as exc:
        village_facts_save(village_code=VILLAGE_2, year=2020, data={}, by=other)
    assert exc.value.code == "OUT_OF_SCOPE"


def test_readers_cannot_record_facts(make_user: MakeUser) -> None:
    analyst = make_user("analyst", Role.ANALYST, "51")
    with pytest.raises(FupinError) as exc:
        village_facts_save(village_code=VILLAGE_1, year=2020, data={"industry": "是"}, by=analyst)
    assert exc.value.code == "PERMISSION_DENIED"


def test_only_villages_have_village_facts(cadre: AbstractUser) -> None:
    with pytest.raises(FupinError) as exc:
        village_facts_save(village_code=TOWNSHIP, year=2020, data={}, by=None)
    assert exc.value.code == "VILLAGE_FACTS_NOT_VILLAGE"
    with pytest.raises(FupinError) as missing:
        village_facts_save(village_code="513431100099", year=2020, data={}, by=None)
    assert missing.value.code == "DIVISION_UNKNOWN"


def test_selectors_read_one_village_and_a_subtree() -> None:
    village_facts_save(village_code=VILLAGE_1, year=2020, data={"population": 10}, by=None)
    village_facts_save(village_code=VILLAGE_2, year=2020, data={"population": 20}, by=None)
    village_facts_save(village_code=VILLAGE_2, year=2021, data={"population": 21}, by=None)
    one = village_facts_get(VILLAGE_2, 2021)
    assert one is not None and one.population == 21
    assert village_facts_get(VILLAGE_1, 2021) is None
    assert [f.population for f in village_facts_for(TOWNSHIP, 2020)] == [10, 20]
    assert list(village_facts_for("513431101", 2020)) == []


def test_county_statistics_are_the_county_offices(make_user: MakeUser, cadre: AbstractUser) -> None:
    office = make_user("office", Role.COUNTY_OFFICE, COUNTY)
    county_statistics_save(
        county_code=COUNTY,
        year=2019,
        data={"rural_disposable_income": "9,876.5", "rural_population": "250000"},
        by=office,
    )
    stats = CountyStatistics.objects.get()
    assert stats.rural_disposable_income == Decimal("9876.50")
    assert stats.rural_population == 250000
    with pytest.raises(FupinError) as exc:
        county_statistics_save(county_code=COUNTY, year=2019, data={}, by=cadre)
    assert exc.value.code == "OUT_OF_SCOPE"
    village_office = make_user("township-office", Role.TOWNSHIP_REVIEWER, TOWNSHIP)
    with pytest.raises(FupinError) as denied:
        county_statistics_save(county_code=COUNTY, year=2019, data={}, by=village_office)
    assert denied.value.code == "OUT_OF_SCOPE"
    with pytest.raises(FupinError) as bad:
        county_statistics_save(
            county_code=COUNTY, year=2019, data={"rural_disposable_income": "-1"}, by=office
        )
    assert bad.value.code == "COUNTY_STATISTICS_BAD_VALUE"
    assert "农村常住居民人均可支配收入" in bad.value.message
