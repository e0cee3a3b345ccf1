"""The project's public notices (资金项目公告公示) go through ``fupin.notices``: the steps wait for
them, public objections hold them, and what they show is what the guidance lists."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from fupin.common.errors import FupinError
from fupin.divisions.models import Division
from fupin.funds.project_notices import (
    PROJECT_COLUMNS,
    allocation_notice_publish,
    project_notice_publish,
    project_notice_status,
)
from fupin.funds.services import allocation_record, project_transition
from fupin.notices.models import NoticeItem, NoticeObjection, NoticeStatus
from fupin.notices.services import objection_resolve, objection_submit
from tests.funds.conftest import COUNTY, SOURCE, YEAR, at, propose, publish

pytestmark = pytest.mark.django_db


def _review(project: Any, by: Any = None, day: date = date(2019, 3, 20)) -> Any:
    return project_transition(project=project, target="reviewed", on=day, by=by)


def test_the_village_notice_lists_the_project_as_the_guidance_says(
    village: Division, client: Client
) -> None:
    project = propose(village, start=date(2019, 5, 1), end=date(2019, 10, 31))
    notice = publish(project, "village", date(2019, 3, 6))
    assert (notice.kind, notice.division_id, notice.period_days) == (
        "project_village",
        village.code,
        10,
    )
    item = NoticeItem.objects.get(notice=notice)
    assert (item.subject_type, item.subject_key) == ("project", project.code)
    cells = dict(zip(PROJECT_COLUMNS, item.cells, strict=True))
    assert cells["项目名称"] == "光伏电站"
    assert cells["实施地点"] == village.name
    assert cells["资金规模及来源（元）"].startswith("300,000.00（")
    assert "200,000.00" in cells["资金规模及来源（元）"]
    assert cells["实施期限"] == "2019年05月 至 2019年10月"
    assert cells["带贫减贫机制"].startswith("入股分红")
    page = client.get(f"/notices/{notice.pk}/").content.decode()
    assert "光伏电站" in page and "年发电收益 4 万元" in page
    assert "不含任何个人信息" in page
    assert project.code not in page  # the internal key is not public


def test_an_open_objection_holds_the_review_and_an_upheld_one_sends_it_back(
    village: Division, township_reviewer: Any
) -> None:
    project = propose(village)
    notice = publish(project, "village", date(2019, 3, 6))
    objection = objection_submit(
        notice=notice,
        text="这个项目选址占用了基本农田",
        address="10.0.0.1",
        now=at(date(2019, 3, 8)),
    )
    with pytest.raises(FupinError) as exc:
        _review(project, township_reviewer)
    assert exc.value.code == "FUNDS_NOTICE_OBJECTION"
    assert "尚未核实" in exc.value.message
    objection_resolve(
        objection=objection, outcome="upheld", note="核实：选址须调整", by=township_reviewer
    )
    with pytest.raises(FupinError) as exc:
        _review(project, township_reviewer)
    assert exc.value.code == "FUNDS_NOTICE_OBJECTION"
    assert "重新公示" in exc.value.message
    project.refresh_from_db()
    assert project.status == "proposed"
    # revised and posted again: the new notice is the one the review reads
    publish(project, "village", date(2019, 3, 21))
    _review(project, township_reviewer, day=date(2019, 4, 1))
    project.refresh_from_db()
    assert (project.status, project.village_notice_start) == ("reviewed", date(2019, 3, 21))
    notices = project_notice_status(project.code)
    assert [(n.upheld_objections, n.ended_ok) for n in notices] == [(0, True), (1, False)]


def test_a_dismissed_objection_lets_the_review_go_on(
    village: Division, township_reviewer: Any
) -> None:
    project = propose(village)
    notice = publish(project, "village", date(2019, 3, 6))
    objection = objection_submit(
        notice=notice, text="资金规模是不是太大了", address="10.0.0.2", now=at(date(2019, 3, 9))
    )
    objection_resolve(
        objection=objection, outcome="dismissed", note="核实：预算合理", by=township_reviewer
    )
    _review(project, township_reviewer)
    project.refresh_from_db()
    assert project.status == "reviewed"
    assert NoticeObjection.objects.get(pk=objection.pk).status == "dismissed"


def test_who_posts_which_notice(
    village: Division, village_cadre: Any, township_reviewer: Any, county_office: Any
) -> None:
    project = propose(village, by=village_cadre)
    # the village posts its notice; the township above it may post for it
    notice = project_notice_publish(
        project=project, level="village", by=village_cadre, on=at(date(2019, 3, 6))
    )
    assert notice.status == NoticeStatus.POSTED
    _review(project, township_reviewer)
    # the township notice is the township's: the village may not post it
    with pytest.raises(FupinError) as exc:
        project_notice_publish(project=project, level="township", by=village_cadre)
    assert exc.value.code == "NOTICE_FORBIDDEN"
    assert project_notice_publish(project=project, level="township", by=township_reviewer)


def test_the_allocation_notice_lists_what_the_county_passed_down(
    funded_county: None, village: Division, county_office: Any
) -> None:
    township = village.code[:9]
    allocation_record(
        source=SOURCE,
        to_division=township,
        from_division=COUNTY,
        year=YEAR,
        amount=Decimal("123456.70"),
        allocated_on=date(2019, 3, 1),
        document_number="昭扶发〔2019〕12号",
        by=county_office,
    )
    notice = allocation_notice_publish(division=COUNTY, year=YEAR, by=county_office)
    cells = [i.cells for i in NoticeItem.objects.filter(notice=notice)]
    assert cells == [
        [
            "中央财政专项扶贫资金（扶贫发展）",
            Division.objects.get(pk=township).name,
            "2019 年",
            "123,456.70",
            "昭扶发〔2019〕12号",
            "2019年3月1日",
        ]
    ]
    with pytest.raises(FupinError) as exc:
        allocation_notice_publish(division=COUNTY, year=YEAR - 1, by=county_office)
    assert exc.value.code == "NOTICE_EMPTY"
