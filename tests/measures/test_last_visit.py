"""``Pairing.last_visit`` — the column the overdue lists read — equals the latest visit of the
cadre to the household after every path that writes visits or pairings."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from django.contrib import admin
from django.db.models import Max, OuterRef, Subquery
from django.test import RequestFactory

from fupin.measures import bulk
from fupin.measures.admin import VisitAdmin
from fupin.measures.imports import visits_import_file
from fupin.measures.models import Cadre, Pairing, Visit
from fupin.measures.services import pairing_assign, visit_record
from tests.measures.test_imports import VISIT_HEAD, visit_row, write_csv

COUNTY = "513431"


def mismatches() -> list[tuple[int, date | None, date | None]]:
    """Pairings whose column differs from the latest visit counted from the visits."""
    latest = (
        Visit.objects.filter(household_id=OuterRef("household_id"), cadre_id=OuterRef("cadre_id"))
        .values("household_id")
        .annotate(d=Max("date"))
        .values("d")
    )
    rows = Pairing.objects.annotate(counted=Subquery(latest)).values_list(
        "pk", "last_visit", "counted"
    )
    return [r for r in rows if r[1] != r[2]]


def test_the_visit_service_raises_it_and_an_older_visit_does_not_lower_it(
    pairing: Pairing, cadre: Cadre
) -> None:
    code = pairing.household.code
    assert Pairing.objects.get(pk=pairing.pk).last_visit is None
    for day in ("2020-03-01", "2020-02-01"):
        visit_record(household_code=code, cadre=cadre, visit_date=day, content="走访", by=None)
    assert Pairing.objects.get(pk=pairing.pk).last_visit == date(2020, 3, 1)
    assert mismatches() == []


def test_a_cadre_paired_again_brings_their_visits(pairing: Pairing, cadre: Cadre) -> None:
    code = pairing.household.code
    visit_record(household_code=code, cadre=cadre, visit_date="2020-03-01", content="x", by=None)
    other = Cadre.objects.create(county_id=COUNTY, name="王五", unit="县林业局")
    pairing_assign(household_code=code, cadre=other, start=date(2020, 4, 1), by=None)
    again = pairing_assign(household_code=code, cadre=cadre, start=date(2020, 5, 1), by=None)
    assert again.pairing.last_visit == date(2020, 3, 1)
    assert mismatches() == []


def test_the_visits_import_and_the_admin_keep_it(pairing: Pairing, tmp_path: Path) -> None:
    code = pairing.household.code
    rows = [visit_row(code, date(2021, m, 3)) for m in (1, 4, 2)]
    report = visits_import_file(path=write_csv(tmp_path / "v.csv", VISIT_HEAD, rows))
    assert report.ok and report.stored, report.errors[:3]
    assert Pairing.objects.get(pk=pairing.pk).last_visit == date(2021, 4, 3)

    request = RequestFactory().post("/admin/")
    VisitAdmin(Visit, admin.site).delete_queryset(request, Visit.objects.filter(date__month=4))
    assert Pairing.objects.get(pk=pairing.pk).last_visit == date(2021, 2, 3)
    assert mismatches() == []


def test_the_generators_keep_it(registry: object) -> None:
    bulk.cadres_generate(county_code=COUNTY, year=2016, seed=1)
    n = bulk.visits_generate(county_code=COUNTY, seed=3, today=date(2017, 6, 30))
    assert n > 0 and Pairing.objects.filter(last_visit__isnull=False).exists()
    assert mismatches() == []
