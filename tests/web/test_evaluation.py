"""Exit evaluation pages: the village table, the county evaluation, verification and rights."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth.models import AbstractUser
from django.test import Client

from fupin.accounts.models import Role
from fupin.assessment.services import assessment_run
from fupin.evaluation import services
from fupin.evaluation.models import CountyEvaluation, EvaluationSample

COUNTY = "513431"
YEAR = 2016

MakeUser = Callable[..., AbstractUser]
SignIn = Callable[[AbstractUser], Client]


@pytest.fixture
def evaluated(registry: Path) -> CountyEvaluation:
    assessment_run(division_code=COUNTY, year=YEAR)
    services.frame_generate(county=COUNTY, seed=1)
    services.village_exit_assess(division_code=COUNTY, year=YEAR)
    return services.county_evaluation_start(county=COUNTY, year=YEAR, seed=1, sample_size=60)


def test_village_table_shows_each_village_with_incidence_and_reason(
    evaluated: CountyEvaluation, make_user: MakeUser, signed_in: SignIn
) -> None:
    client = signed_in(make_user("county", Role.COUNTY_OFFICE, COUNTY))
    page = client.get("/evaluation/", {"county": COUNTY, "year": str(YEAR)}).content.decode()
    assert 'data-testid="villages"' in page
    assert "贫困发生率" in page and "未达标：贫困发生率" in page
    assert "西部地区：贫困发生率须低于 3%" in page
    assert 'data-testid="start"' in page  # the county office may start an evaluation


def test_a_village_cadre_sees_only_their_village_and_no_county_evaluation(
    evaluated: CountyEvaluation, make_user: MakeUser, signed_in: SignIn
) -> None:
    village = evaluated.samples.values_list("village_id", flat=True).first()
    assert village is not None
    client = signed_in(make_user("cadre", Role.VILLAGE_CADRE, village))
    page = client.get("/evaluation/", {"year": str(YEAR)}).content.decode()
    assert page.count("<tr>") - 1 <= 2  # header + at most their own village
    assert village in page
    assert f"/evaluation/county/{evaluated.pk}/" not in page
    assert 'data-testid="start"' not in page
    assert client.get(f"/evaluation/county/{evaluated.pk}/").status_code == 404


def test_inspector_verifies_a_sample_with_htmx_and_sees_progress(
    evaluated: CountyEvaluation, make_user: MakeUser, signed_in: SignIn
) -> None:
    client = signed_in(make_user("insp", Role.INSPECTOR, COUNTY))
    sample = evaluated.samples.filter(stratum="exited").first()
    assert sample is not None
    response = client.post(
        f"/evaluation/samples/{sample.pk}/verify/",
        {"should_be_poor": "yes", "satisfied": "no", "notes": "收入不稳定"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "错退" in response.content.decode() and "不认可" in response.content.decode()
    sample.refresh_from_db()
    assert (sample.should_be_poor, sample.satisfied, sample.notes) == (True, False, "收入不稳定")
    page = client.get(f"/evaluation/county/{evaluated.pk}/").content.decode()
    assert "已核查 1 / 60 户" in page
    assert "初步结果" in page


def test_a_verification_without_outcome_is_refused_with_a_message(
    evaluated: CountyEvaluation, make_user: MakeUser, signed_in: SignIn
) -> None:
    client = signed_in(make_user("insp", Role.INSPECTOR, COUNTY))
    sample = evaluated.samples.first()
    assert sample is not None
    response = client.post(
        f"/evaluation/samples/{sample.pk}/verify/", {"satisfied": "yes"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400
    assert "EVALUATION_OUTCOME_MISSING" in response.content.decode()
    sample.refresh_from_db()
    assert sample.verified_at is None


def test_decided_county_page_explains_the_decision_and_its_veto(
    evaluated: CountyEvaluation, make_user: MakeUser, signed_in: SignIn
) -> None:
    services.county_evaluation_simulate(evaluation=evaluated)
    client = signed_in(make_user("county", Role.COUNTY_OFFICE, COUNTY))
    response = client.post(f"/evaluation/county/{evaluated.pk}/decide/")
    assert response.status_code == 302
    evaluated.refresh_from_db()
    assert evaluated.status == CountyEvaluation.Status.DECIDED
    page = client.get(f"/evaluation/county/{evaluated.pk}/").content.decode()
    assert 'data-testid="verdict"' in page and 'data-testid="indicators"' in page
    for label in ("综合贫困发生率", "脱贫人口错退率", "贫困人口漏评率", "群众认可度"):
        assert label in page
    assert evaluated.decision["explanation"] in page
    if evaluated.decision["veto"]:
        assert "一票否决" in page and "indicator veto" in page
    assert "模拟数据" in page


def test_reviewer_may_read_but_not_start_or_verify(
    evaluated: CountyEvaluation, make_user: MakeUser, signed_in: SignIn
) -> None:
    client = signed_in(make_user("analyst", Role.ANALYST, "51"))
    assert client.get(f"/evaluation/county/{evaluated.pk}/").status_code == 200
    sample = evaluated.samples.first()
    assert sample is not None
    before = CountyEvaluation.objects.count()
    assert (
        client.post("/evaluation/county/start/", {"county": COUNTY, "year": YEAR}).status_code
        == 403
    )
    assert (
        client.post(
            f"/evaluation/samples/{sample.pk}/verify/", {"should_be_poor": "no", "satisfied": "yes"}
        ).status_code
        == 403
    )
    assert CountyEvaluation.objects.count() == before
    assert not EvaluationSample.objects.filter(verified_at__isnull=False).exists()


def test_county_office_starts_an_evaluation_from_the_page(
    evaluated: CountyEvaluation, make_user: MakeUser, signed_in: SignIn
) -> None:
    client = signed_in(make_user("county", Role.COUNTY_OFFICE, COUNTY))
    response = client.post(
        "/evaluation/county/start/",
        {"county": COUNTY, "year": YEAR, "sample_size": "50", "seed": "9", "method": "neyman"},
    )
    newest = CountyEvaluation.objects.order_by("-id").first()
    assert newest is not None and newest.pk != evaluated.pk
    assert (
        response.status_code == 302 and response["Location"] == f"/evaluation/county/{newest.pk}/"
    )
    assert newest.samples.count() == 50 and newest.sample_config["method"] == "neyman"
