"""Public notice pages open without an account; the cadres' pages need one and their scope."""

from __future__ import annotations

import subprocess
from datetime import timedelta

from django.contrib.auth.models import AbstractUser
from django.test import Client
from django.utils import timezone

from fupin.accounts.models import Role
from fupin.notices.models import Notice, NoticeObjection
from fupin.notices.services import notice_publish, notice_withdraw, objection_submit
from tests.notices.conftest import Place
from tests.notices.leaks import pdf_text


def _publish(place: Place, by: AbstractUser, **kw) -> Notice:
    return notice_publish(
        village_code=place.village,
        kind=kw.pop("kind", "identification_first"),
        title=kw.pop("title", "俄尔村贫困户识别第一次公示"),
        entries=place.households[:3],
        by=by,
        **kw,
    )


def test_anonymous_visitors_read_the_list_page_and_pdf(
    client: Client, place: Place, admin: AbstractUser
) -> None:
    notice = _publish(place, admin)
    head = notice.entries.get(position=1).head_name

    listing = client.get("/notices/")
    page = client.get(f"/notices/{notice.pk}/")
    pdf = client.get(f"/notices/{notice.pk}.pdf")

    assert listing.status_code == page.status_code == pdf.status_code == 200
    assert notice.title in listing.content.decode()
    assert head in page.content.decode()
    assert f'action="/notices/{notice.pk}/objections/"' in page.content.decode()
    assert pdf["Content-Type"] == "application/pdf"
    assert head in pdf_text(pdf.content)


def test_the_pdf_embeds_its_cjk_font(client: Client, place: Place, admin: AbstractUser) -> None:
    notice = _publish(place, admin)
    data = client.get(f"/notices/{notice.pk}.pdf").content

    fonts = subprocess.run(["pdffonts", "-"], input=data, capture_output=True, check=True)
    rows = [line.split() for line in fonts.stdout.decode().splitlines()[2:]]

    assert rows and all("CJK" in row[0] and row[-5] == "yes" for row in rows)  # emb = yes
    assert "俄尔村贫困户识别第一次公示" in pdf_text(data)


def test_the_public_list_shows_current_notices_only_and_filters(
    client: Client, places: list[Place], admin: AbstractUser
) -> None:
    current = _publish(places[0], admin, title="当前公示甲")
    other = next(p for p in places if p.township != places[0].township)
    elsewhere = _publish(other, admin, title="另一乡镇公示")
    _publish(places[1], admin, title="已期满公示", now=timezone.now() - timedelta(days=8))
    withdrawn = _publish(places[1], admin, title="已撤回公示")
    notice_withdraw(notice=withdrawn, reason="错", by=admin)

    everything = client.get("/notices/").content.decode()
    township = client.get(f"/notices/?township={places[0].township}").content.decode()

    assert current.title in everything and elsewhere.title in everything
    assert "已期满公示" not in everything and "已撤回公示" not in everything
    assert current.title in township and elsewhere.title not in township
    assert Notice.objects.get(title="已期满公示").status == "ended"


def test_the_list_is_paginated(client: Client, place: Place, admin: AbstractUser) -> None:
    for i in range(21):
        _publish(place, admin, title=f"公示{i:02d}")

    first = client.get("/notices/").content.decode()
    second = client.get("/notices/?page=2").content.decode()

    assert "公示20" in first and "公示00" not in first
    assert "公示00" in second and "第 2 页，共 2 页" in second


def test_withdrawn_notices_show_no_list_and_no_pdf(
    client: Client, place: Place, admin: AbstractUser
) -> None:
    notice = _publish(place, admin)
    head = notice.entries.get(position=1).head_name
    notice_withdraw(notice=notice, reason="名单有误", by=admin)

    page = client.get(f"/notices/{notice.pk}/").content.decode()

    assert "本公示已撤回" in page and head not in page
    assert client.get(f"/notices/{notice.pk}.pdf").status_code == 404


def test_an_objection_is_sent_without_an_account_and_confirmed_in_chinese(
    client: Client, place: Place, admin: AbstractUser
) -> None:
    notice = _publish(place, admin)
    entry = notice.entries.get(position=2)

    response = client.post(
        f"/notices/{notice.pk}/objections/",
        {"entry": entry.pk, "text": "该户有商品房", "contact": "13812345678"},
        follow=True,
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert "您的异议已收到" in body and "13812345678" not in body
    objection = NoticeObjection.objects.get()
    assert (objection.entry, objection.submitter_contact) == (entry, "13812345678")


def test_a_bad_objection_gets_a_chinese_message_and_stores_nothing(
    client: Client, place: Place, admin: AbstractUser
) -> None:
    notice = _publish(place, admin)

    response = client.post(f"/notices/{notice.pk}/objections/", {"text": "短"})

    assert response.status_code == 400
    assert "请写明异议内容" in response.content.decode()
    assert not NoticeObjection.objects.exists()


def test_drafts_and_unknown_notices_are_not_found(client: Client, db: None) -> None:
    assert client.get("/notices/999/").status_code == 404
    assert client.get("/notices/999.pdf").status_code == 404


def test_manage_pages_need_a_sign_in(client: Client, db: None) -> None:
    for url in ("/notices/manage/", "/notices/manage/new/", "/notices/manage/1/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_cadres_see_the_notices_of_their_scope_only(
    client: Client, places: list[Place], admin: AbstractUser, make_user
) -> None:
    mine = _publish(places[0], admin, title="本村公示")
    theirs = _publish(places[1], admin, title="别村公示")
    cadre = make_user("cun", Role.VILLAGE_CADRE, places[0].village)
    client.force_login(cadre)

    listing = client.get("/notices/manage/").content.decode()

    assert "本村公示" in listing and "别村公示" not in listing
    assert client.get(f"/notices/manage/{mine.pk}/").status_code == 200
    assert client.get(f"/notices/manage/{theirs.pk}/").status_code == 404


def test_a_cadre_publishes_for_picked_households_and_resolves_an_objection(
    client: Client, place: Place, make_user
) -> None:
    cadre = make_user("cun", Role.VILLAGE_CADRE, place.village)
    client.force_login(cadre)
    form = client.get(f"/notices/manage/new/?village={place.village}").content.decode()
    assert place.households[0] in form

    response = client.post(
        "/notices/manage/new/",
        {
            "village": place.village,
            "kind": "exit",
            "households": place.households[:2],
            "period_days": "",
            "title": "",
        },
    )

    notice = Notice.objects.get()
    assert response.status_code == 302
    assert (notice.kind, notice.period_days, notice.entries.count()) == ("exit", 7, 2)
    objection = objection_submit(notice=notice, text="该户收入不达标", address="1.1.1.1")
    detail = client.get(f"/notices/manage/{notice.pk}/").content.decode()
    assert "该户收入不达标" in detail
    client.post(
        f"/notices/manage/objections/{objection.pk}/resolve/",
        {"outcome": "upheld", "note": "入户核实，暂缓退出"},
    )
    objection.refresh_from_db()
    assert (objection.status, objection.resolved_by) == ("upheld", cadre)


def test_readers_without_a_posting_role_cannot_publish_or_resolve(
    client: Client, place: Place, admin: AbstractUser, make_user
) -> None:
    notice = _publish(place, admin)
    objection = objection_submit(notice=notice, text="该户收入不达标", address="1.1.1.1")
    client.force_login(make_user("analyst", Role.ANALYST, place.county))

    assert client.get("/notices/manage/").status_code == 200
    assert client.get("/notices/manage/new/").status_code == 403
    response = client.post(
        f"/notices/manage/objections/{objection.pk}/resolve/",
        {"outcome": "upheld", "note": "看看"},
    )
    assert response.status_code == 403
    objection.refresh_from_db()
    assert objection.status == "open"


def test_a_department_provider_sees_no_manage_pages(
    client: Client, place: Place, make_user
) -> None:
    client.force_login(make_user("dept", Role.DEPARTMENT_PROVIDER, None))

    assert client.get("/notices/manage/").status_code == 403


def test_a_cadre_not_yet_placed_in_a_division_cannot_open_the_publish_form(
    client: Client, place: Place, make_user
) -> None:
    client.force_login(make_user("unplaced", Role.VILLAGE_CADRE, None))

    response = client.get("/notices/manage/new/")

    assert response.status_code == 403
    assert place.village not in response.content.decode()
