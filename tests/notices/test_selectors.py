"""The notice lists stay cheap at national scale: a page counts the notices, not their rows.

A notice lists up to hundreds of households and may draw objections; a list page (the public
one has no sign-in at all) must not join every entry × objection of every notice in the scope
to count and sort them — only the notices shown get their counts.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pytest_django import DjangoAssertNumQueries

from fupin.notices import selectors
from fupin.notices.models import Notice, NoticeObjection
from fupin.notices.services import notice_publish, objection_submit
from tests.notices.conftest import Place


def _publish(place: Place, by: AbstractUser, n: int) -> Notice:
    return notice_publish(
        village_code=place.village,
        kind="identification_first",
        title="贫困户识别第一次公示",
        entries=place.households[:n],
        by=by,
    )


def _list_queries(client: Client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in ctx.captured_queries if "notices_notice" in q["sql"]]


def _assert_counted_without_joins(sqls: list[str]) -> None:
    assert sqls
    for sql in sqls:
        assert "GROUP BY" not in sql.upper(), sql
        if "COUNT(*)" in sql.upper():
            assert "noticeentry" not in sql and "noticeobjection" not in sql, sql


def test_the_cadres_list_counts_entries_and_open_objections_per_notice(
    places: list[Place], admin: AbstractUser
) -> None:
    big = _publish(places[0], admin, 3)
    small = _publish(places[1], admin, 1)
    objection_submit(notice=big, text="该户收入不达标", address="1.1.1.1")
    closed = objection_submit(notice=big, text="该户已经搬迁", address="1.1.1.2")
    NoticeObjection.objects.filter(pk=closed.pk).update(
        status="dismissed", resolved_at=closed.submitted_at
    )

    visible: list[Any] = list(selectors.notices_visible(admin))
    rows = {n.pk: (n.n_entries, n.n_open) for n in visible}
    current = {n.pk: n.n_entries for n in list[Any](selectors.notices_current())}

    assert rows == {big.pk: (3, 1), small.pk: (1, 0)}
    assert current == {big.pk: 3, small.pk: 1}


def test_the_cadres_list_page_does_not_join_every_entry_to_count_the_notices(
    client: Client, places: list[Place], admin: AbstractUser
) -> None:
    for place in places[:3]:
        objection_submit(notice=_publish(place, admin, 3), text="该户收入不达标", address="1.1.1.1")
    client.force_login(admin)  # type: ignore[arg-type]

    _assert_counted_without_joins(_list_queries(client, "/notices/manage/"))


def test_the_public_list_page_does_not_join_every_entry_to_count_the_notices(
    client: Client, places: list[Place], admin: AbstractUser
) -> None:
    for place in places[:3]:
        _publish(place, admin, 3)

    _assert_counted_without_joins(_list_queries(client, "/notices/"))


def test_the_filter_divisions_are_read_in_one_statement(
    places: list[Place], admin: AbstractUser, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    for place in places[:3]:
        _publish(place, admin, 1)

    with django_assert_num_queries(0):  # nothing read into Python when the list is built
        counties = selectors.notice_filter_divisions(3)
        townships = selectors.notice_filter_divisions(4, places[0].county)
    with django_assert_num_queries(2):
        county_codes = [d.code for d in counties]
        township_codes = [d.code for d in townships]

    assert county_codes == sorted({p.county for p in places[:3]})
    assert township_codes == sorted({p.township for p in places[:3]})
