"""Deep-poverty indicators over the registry: the SQL run equals counts from the ORM and the
flat-file run in DuckDB on the same households; designations are refused outside the user's
province, at the wrong level or without the right, and store nothing half-way."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import ibis
import pytest
from django.contrib.auth import get_user_model

from fupin.accounts.models import Profile, Role
from fupin.analysis.deep_poverty import (
    designation_create,
    designation_tracking,
    registry_candidates,
    registry_indicators,
    rule_set_get,
    rule_set_register,
)
from fupin.analysis.flat import flat_inputs
from fupin.analysis.models import DesignatedArea, Designation, ProvincialRuleSet
from fupin.common.errors import FupinError
from fupin.common.models import AuditEvent
from fupin.divisions.services import divisions_load
from fupin.policy import deep_poverty as dp
from fupin.registry.models import Household, Member
from fupin.registry.village import CountyStatistics, VillageFacts

COUNTY, YEAR = "513431", 2016


def user(name: str, role: Role, division: str | None) -> Any:
    u = get_user_model().objects.create_user(username=name, password="x")
    Profile.objects.create(user=u, role=role, division_id=division)
    return u


def villages() -> list[str]:
    return sorted(set(Household.objects.values_list("village_id", flat=True)))


def with_facts(population: int = 400, step: int = 50) -> list[str]:
    codes = villages()
    VillageFacts.objects.bulk_create(
        [
            VillageFacts(
                village_id=c,
                year=YEAR,
                population=population + step * n,
                road_hardened=n % 3 != 0,
                clinic_qualified_doctor=None if n % 4 == 0 else n % 2 == 0,
                safe_water_share=Decimal("80.5"),
            )
            for n, c in enumerate(codes)
        ]
    )
    CountyStatistics.objects.create(
        county_id=COUNTY, year=YEAR, rural_disposable_income=Decimal("8611"), rural_population=9000
    )
    return codes


@pytest.mark.django_db
def test_village_indicators_equal_counts_from_the_orm(registry: Path) -> None:
    codes = with_facts()
    rows = {
        r["area"]: r for r in registry_indicators(division_code=COUNTY, year=YEAR, level="village")
    }
    assert sorted(rows) == codes
    live = Household.objects.exclude(status="removed").filter(first_identified_year__lte=YEAR)
    poor_ids = live.filter(status__in=["poor", "returned"])
    poor_persons = Counter(
        Member.objects.filter(household__in=poor_ids).values_list(
            "household__village_id", flat=True
        )
    )
    households = Counter(live.values_list("village_id", flat=True))
    facts = {f.village_id: f for f in VillageFacts.objects.all()}
    for code, row in rows.items():
        assert row["households"] == households[code]
        assert row["poor_persons"] == poor_persons[code]
        assert row["population"] == facts[code].population
        assert row["incidence"] == pytest.approx(poor_persons[code] / facts[code].population)
        assert row["villages_no_road"] == (0.0 if facts[code].road_hardened else 1.0)
        assert row["safe_water_coverage"] == pytest.approx(0.805)
        assert row["rural_disposable_income"] == pytest.approx(8611)
    county = registry_indicators(division_code=COUNTY, year=YEAR, level="county")
    assert len(county) == 1 and county[0]["area"] == COUNTY
    assert county[0]["poor_persons"] == sum(poor_persons.values())
    assert county[0]["incidence"] == pytest.approx(sum(poor_persons.values()) / 9000)
    no_road = [not f.road_hardened for f in facts.values()]
    assert county[0]["villages_no_road"] == pytest.approx(sum(no_road) / len(no_road))


@pytest.mark.django_db
def test_the_flat_file_in_duckdb_gives_the_registry_figures(registry: Path) -> None:
    """One definition, two bindings: the imported registry in SQL and the file it came from."""
    con = ibis.duckdb.connect()
    flat = flat_inputs(con.read_parquet(str(registry)))
    for level in ("county", "township", "village"):
        sql = {
            r["area"]: r for r in registry_indicators(division_code=COUNTY, year=YEAR, level=level)
        }
        duck = {
            r["area"]: r for r in con.execute(dp.indicators(flat, YEAR, level)).to_dict("records")
        }
        assert sorted(sql) == sorted(duck)
        for area, row in sql.items():
            for key in (*dp.INDICATOR_BY_KEY, *dp.UNRECORDED):
                a, b = row[key], duck[area][key]
                b = None if b is None or (isinstance(b, float) and math.isnan(b)) else b
                if a is None or b is None:
                    assert a is None and b is None, (level, area, key, a, b)
                else:
                    assert math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9), (
                        level,
                        area,
                        key,
                        a,
                        b,
                    )


@pytest.mark.django_db
def test_candidates_carry_reasons_and_are_ranked(registry: Path) -> None:
    with_facts(population=12, step=0)  # small populations: high incidence in every village
    rules = rule_set_get("national-village@2017")
    results = registry_candidates(division_code=COUNTY, year=YEAR, rules=rules)
    assert results
    cands = [a for a in results if a.verdict.candidate]
    assert cands
    for a in cands:
        assert a.figures["incidence"] > 0.20
        assert a.verdict.summary.startswith("贫困发生率 ")
        assert "高于 20%" in a.verdict.summary
        assert a.name
    flags = [a.verdict.candidate for a in results]
    assert flags == sorted(flags, reverse=True)  # candidates first


@pytest.mark.django_db
def test_a_province_registers_its_rule_set_and_bad_ones_leave_nothing(registry: Path) -> None:
    divisions_load(prefix="51")
    office = user("sc", Role.COUNTY_OFFICE, "51")
    definition = {
        "code": "sichuan-county",
        "version": "2018",
        "name": "四川省深度贫困县",
        "level": "county",
        "combine": "all",
        "criteria": [
            {"indicator": "incidence", "op": "gt", "threshold": 0.18},
            {"indicator": "income_ratio", "op": "lt", "threshold": 0.7},
        ],
        "score": [{"indicator": "incidence", "weight": 1, "reference": 0.18}],
    }
    row = rule_set_register(province_code="51", definition=definition, by=office)
    assert row.province_id == "51"
    assert rule_set_get("sichuan-county@2018", "51").criteria[1].indicator == "income_ratio"
    assert AuditEvent.objects.filter(action="deep_poverty.rule_set").count() == 1
    bad = definition | {
        "version": "2019",
        "criteria": [{"indicator": "depth", "op": "gt", "threshold": 1}],
    }
    with pytest.raises(FupinError) as err:
        rule_set_register(province_code="51", definition=bad, by=office)
    assert err.value.code == "DEEP_POVERTY_UNKNOWN_INDICATOR"
    with pytest.raises(FupinError) as err:
        rule_set_register(province_code="51", definition=definition, by=office)
    assert err.value.code == "DEEP_POVERTY_DUPLICATE"
    with pytest.raises(FupinError) as err:
        rule_set_register(province_code="52", definition=definition | {"version": "x"}, by=office)
    assert err.value.code == "DEEP_POVERTY_OUTSIDE_PROVINCE"
    assert ProvincialRuleSet.objects.count() == 1


@pytest.mark.django_db
def test_designation_records_the_decision_with_the_figures_of_the_day(registry: Path) -> None:
    divisions_load(prefix="51")
    codes = with_facts(population=12, step=0)
    office = user("sc", Role.COUNTY_OFFICE, "51")
    d = designation_create(
        province_code="51",
        rule_set_key="national-village@2017",
        year=YEAR,
        title="四川省深度贫困村名单",
        document_number="川扶贫〔2017〕12号",
        decided_on=dt.date(2017, 11, 20),
        division_codes=codes[:3],
        by=office,
    )
    areas = list(DesignatedArea.objects.filter(designation=d).order_by("division_id"))
    assert [a.division_id for a in areas] == codes[:3]
    for a in areas:
        assert a.indicators["incidence"] is not None
        assert a.was_candidate == (a.indicators["incidence"] > 0.20)
        assert a.reasons
    assert d.rule_set_definition["criteria"][0]["threshold"] == 0.2
    assert AuditEvent.objects.filter(action="deep_poverty.designate").count() == 1
    track = designation_tracking(d, [YEAR])
    assert {t["area"] for t in track} == set(codes[:3])
    assert all(
        t["poor_persons"] == a.indicators["poor_persons"] for t, a in zip(track, areas, strict=True)
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "province", "areas", "rule", "code"),
    [
        (
            ("sc", Role.COUNTY_OFFICE, "51"),
            "51",
            ["530102"],
            "national-county@2017",
            "DEEP_POVERTY_OUTSIDE_PROVINCE",
        ),
        (
            ("yn", Role.COUNTY_OFFICE, "53"),
            "51",
            ["513431"],
            "national-county@2017",
            "DEEP_POVERTY_OUTSIDE_PROVINCE",
        ),
        (
            ("sc", Role.COUNTY_OFFICE, "51"),
            "51",
            ["513431100001"],
            "national-county@2017",
            "DEEP_POVERTY_BAD_AREA",
        ),
        (
            ("sc", Role.COUNTY_OFFICE, "51"),
            "51",
            ["513431"],
            "nope@1",
            "DEEP_POVERTY_UNKNOWN_RULE_SET",
        ),
        (
            ("an", Role.ANALYST, "51"),
            "51",
            ["513431"],
            "national-county@2017",
            "DEEP_POVERTY_NOT_ALLOWED",
        ),
        (
            ("sc", Role.COUNTY_OFFICE, "51"),
            "51",
            ["513431", "519999"],
            "national-county@2017",
            "DIVISION_UNKNOWN",
        ),
    ],
)
def test_bad_designations_are_refused_and_store_nothing(
    registry, who, province, areas, rule, code
) -> None:
    divisions_load(prefix="51")
    divisions_load(prefix="53")
    by = user(*who)
    with pytest.raises(FupinError) as err:
        designation_create(
            province_code=province,
            rule_set_key=rule,
            year=YEAR,
            title="名单",
            document_number="文〔2017〕1号",
            decided_on=dt.date(2017, 11, 20),
            division_codes=areas,
            by=by,
        )
    assert err.value.code == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in err.value.message)
    assert not Designation.objects.exists() and not DesignatedArea.objects.exists()
