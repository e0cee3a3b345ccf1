"""Every public page and PDF the test data can produce carries no personal identifier.

The registry fixture holds 3000 generated persons with valid ID numbers, phones, bank
accounts and health states. Notices of every kind are published for several villages (one
household with a phone, an ID and a health term typed into its name and group), objections
are sent with private contacts, one notice ends and one is withdrawn; then a crawler opens
every public URL reachable from /notices/ (each filter option, each page, each notice, each
PDF as text, the objection receipt) and the scanner must find nothing.
"""

from __future__ import annotations

import re
from collections import deque
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import urljoin

import numpy as np
import pytest
from django.contrib.auth.models import AbstractUser
from django.test import Client
from django.utils import timezone

from fupin.funds.project_notices import allocation_notice_publish, project_notice_publish
from fupin.funds.services import allocation_record, project_propose
from fupin.notices import views
from fupin.notices.services import notice_publish, notice_withdraw
from fupin.policy.idnumber import make_ids
from fupin.registry.models import Household, Member
from tests.notices.conftest import Place
from tests.notices.leaks import find_leaks, pdf_text

KINDS = ("identification_first", "identification_second", "announcement", "exit", "monitoring")
_HREF = re.compile(r"""href=["']([^"']+)["']""")
_OPTION = re.compile(r"""<select name="(county|township)".*?</select>""", re.S)
_VALUE = re.compile(r"""value="(\d+)\"""")


@pytest.fixture
def published(places: list[Place], admin: AbstractUser) -> list[int]:
    """Publish notices of every kind over several villages; return the notice ids."""
    bad = Household.objects.get(code=places[0].households[0])
    id_number = str(make_ids(np.array([513431]), np.array(["1985-03-04"]), np.array([7]))[0])
    Household.objects.filter(pk=bad.pk).update(group_name=f"第3组 13812345678 {id_number}")
    Member.objects.filter(household=bad, relation="head").update(name=f"阿木2号 {id_number} 残疾")
    ids = []
    now = timezone.now()
    for i, place in enumerate(places[:6]):
        for kind in KINDS:
            notice = notice_publish(
                village_code=place.village,
                kind=kind,
                title=f"{kind} {i}",
                entries=place.households[:4],
                by=admin,
                now=now - timedelta(minutes=i),
            )
            ids.append(notice.pk)
    other = notice_publish(
        village_code=places[0].village,
        kind="other",
        title="其他公示",
        entries=[
            {"household": places[0].households[0], "decision": "补贴打卡到 6222021234567890128"}
        ],
        by=admin,
    )
    ended = notice_publish(
        village_code=places[1].village,
        kind="exit",
        title="已期满",
        entries=places[1].households[:2],
        by=admin,
        now=now - timedelta(days=9),
    )
    withdrawn = notice_publish(
        village_code=places[2].village,
        kind="exit",
        title="已撤回",
        entries=places[2].households[:2],
        by=admin,
    )
    notice_withdraw(notice=withdrawn, reason="名单有误 电话13812345678", by=admin)
    return [
        *ids,
        other.pk,
        *_fund_notices(places[0].village, id_number, admin),
        ended.pk,
        withdrawn.pk,
    ]


def _fund_notices(village: str, id_number: str, admin: AbstractUser) -> list[int]:
    """A project notice and an allocation notice whose free text holds identifiers (资金项目公告公示
    go through the same board and the same rules)."""
    project = project_propose(
        code="LEAK-1",
        name=f"养殖场 联系人13812345678 {id_number}",
        project_type="industry",
        division=village,
        budget=Decimal("1234567.89"),
        budget_by_source={"central.development": Decimal("1234567.89")},
        benefit_kinds=["dividend", "employment"],
        benefit_link=f"分红打卡到 6222021234567890128，户主 {id_number}",
        performance_target="带动贫困户 30 户增收（含残疾人家庭）",
        implementing_unit="合作社 电话(0834)3221234",
        expected_households=30,
        proposed_on=date(2019, 3, 5),
        by=None,
    )
    county, township = village[:6], village[:9]
    allocation_record(
        source="central.development",
        to_division=county,
        year=2019,
        amount=Decimal("9000000"),
        allocated_on=date(2019, 2, 1),
        by=None,
    )
    allocation_record(
        source="central.development",
        to_division=township,
        from_division=county,
        year=2019,
        amount=Decimal("1500000"),
        allocated_on=date(2019, 2, 10),
        document_number=f"昭扶发〔2019〕3号 经办人{id_number}",
        by=None,
    )
    notices = [
        project_notice_publish(project=project, level="village", by=admin),
        allocation_notice_publish(division=county, year=2019, by=admin),
    ]
    return [n.pk for n in notices]


def _filter_urls(page: str) -> list[str]:
    urls = []
    for select in _OPTION.finditer(page):
        name = select.group(1)
        urls += [f"/notices/?{name}={code}" for code in _VALUE.findall(select.group(0))]
    return urls


def test_no_public_output_carries_an_identifier(
    client: Client, published: list[int], places: list[Place], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views, "PAGE_SIZE", 4)  # several pages with a few notices
    # Objections with private contacts and identifiers in their text: never shown.
    seeds = []
    for n, notice_id in enumerate(published[:3]):
        response = client.post(
            f"/notices/{notice_id}/objections/",
            {"text": "该户有车 13912345678", "name": "李四", "contact": f"1391234567{n}"},
            REMOTE_ADDR=f"10.1.1.{n}",
        )
        assert response.status_code == 302
        seeds.append(response["Location"])
    seeds += ["/notices/", *(f"/notices/{i}/" for i in published)]
    seen: set[str] = set()
    queue = deque(seeds)
    leaks = []
    pages = pdfs = 0
    while queue:
        url = queue.popleft().replace("&amp;", "&")
        if url in seen or not url.startswith("/notices/") or url.startswith("/notices/manage/"):
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code == 404:
            continue
        assert response.status_code == 200, url
        if response["Content-Type"] == "application/pdf":
            text = pdf_text(response.content)
            assert "公示" in text, url  # the Chinese text comes out of the PDF
            pdfs += 1
        else:
            text = response.content.decode()
            pages += 1
            queue.extend(urljoin(url, href) for href in _HREF.findall(text))
            if url.startswith("/notices/?") or url == "/notices/":
                queue.extend(_filter_urls(text))
        leaks += find_leaks(text, where=url)

    assert leaks == []
    n_current = len(published) - 2
    assert pdfs == len(published) - 1  # every notice but the withdrawn one
    assert pages >= len(published) + 3 + (n_current + 3) // 4
    assert any("township=" in url for url in seen) and any("page=3" in url for url in seen)


def test_a_title_typed_with_identifiers_reaches_no_public_output(
    client: Client, place: Place, village_cadre: AbstractUser
) -> None:
    """The title is the one free text a cadre types that the public sees: an ID number, a
    phone or a health term typed into it is dropped like in a name or a group."""
    id_number = str(make_ids(np.array([513431]), np.array(["1990-01-01"]), np.array([3]))[0])
    client.force_login(village_cadre)
    response = client.post(
        "/notices/manage/new/",
        {
            "village": place.village,
            "kind": "exit",
            "households": place.households[:2],
            "period_days": "",
            "title": f"退出公示 阿木 {id_number} 电话 13812345678 残疾",
        },
    )
    assert response.status_code == 302
    client.logout()
    notice_id = int(response["Location"].rstrip("/").rsplit("/", 1)[-1])

    detail = client.get(f"/notices/{notice_id}/").content.decode()
    listing = client.get("/notices/").content.decode()
    pdf = pdf_text(client.get(f"/notices/{notice_id}.pdf").content)

    assert "退出公示 阿木" in detail
    assert find_leaks(detail) + find_leaks(listing) + find_leaks(pdf) == []
