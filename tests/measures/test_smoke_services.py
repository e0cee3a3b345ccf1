from datetime import date

import pytest

from fupin.common.errors import FupinError
from fupin.measures.models import Measure
from fupin.measures.services import measure_record, visit_record


def test_visit_and_refused_loan(pairing, poor_household, head, cadre):
    v = visit_record(
        household_code=poor_household.code,
        cadre=cadre,
        visit_date=date(2020, 2, 1),
        content="了解收入",
        by=None,
    )
    assert v.pk
    with pytest.raises(FupinError) as e:
        visit_record(
            household_code=poor_household.code,
            cadre=cadre,
            visit_date=date(2019, 2, 1),
            content="x",
            by=None,
        )
    assert e.value.code == "VISIT_BEFORE_PAIRING"
    with pytest.raises(FupinError) as e:
        measure_record(
            household_code=poor_household.code,
            data={
                "category": "microcredit",
                "amount": "60000",
                "start": "2020-03-01",
                "member": head.id_number,
                "purpose": "production",
                "term_months": "36",
            },
            by=None,
        )
    assert "MEASURE_AMOUNT_ABOVE_CAP" in [x["code"] for x in e.value.details["errors"]]
    m = measure_record(
        household_code=poor_household.code,
        data={"category": "health", "subtype": "health.contract", "start": "2020-03-01"},
        by=None,
    )
    assert Measure.objects.filter(pk=m.pk).exists()


def test_selectors_smoke(pairing, poor_household):
    from fupin.measures import selectors as s

    assert s.overdue_visits("513431", as_of=date(2020, 6, 1)).count() == 1
    assert (
        s.unpaired_households("513431").exclude(pk=poor_household.pk).count()
        == s.unpaired_households("513431").count()
    )
    hm = s.household_measures(poor_household, 2016)
    assert hm.current_cadres
    counts = s.suggestion_counts("513431", 2016)
    assert counts["households"] > 0
    s.assistance_summary("513431", year=2016)
    s.county_presence_rollup("513431", 2020)
    s.cadre_households(pairing.cadre)
