"""Publishing notices, their periods, withdrawal, objections and who may do what."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import AbstractUser
from django.utils import timezone

from fupin.common.errors import FupinError
from fupin.notices.models import Notice, NoticeEntry, NoticeObjection, NoticeStatus
from fupin.notices.services import (
    OBJECTIONS_PER_HOUR,
    notice_end_due,
    notice_publish,
    notice_withdraw,
    objection_resolve,
    objection_submit,
)
from fupin.registry.models import Household, Member
from tests.notices.conftest import Place


def _publish(place: Place, by: AbstractUser, kind: str = "identification_first", **kw) -> Notice:
    return notice_publish(
        village_code=place.village,
        kind=kind,
        title="测试公示",
        entries=kw.pop("entries", place.households[:3]),
        by=by,
        **kw,
    )


def test_publish_snapshots_public_fields_from_the_registry(
    place: Place, village_cadre: AbstractUser
) -> None:
    notice = _publish(place, village_cadre)

    entries = list(NoticeEntry.objects.filter(notice=notice).order_by("position"))
    first = Household.objects.get(code=place.households[0])
    head = Member.objects.get(household=first, relation="head")
    assert notice.status == NoticeStatus.POSTED
    assert [e.household_code for e in entries] == place.households[:3]
    assert (entries[0].head_name, entries[0].group_name) == (head.name, first.group_name)
    assert entries[0].member_count == Member.objects.filter(household=first).count()
    assert entries[0].decision == "经村民代表大会民主评议，拟确定为贫困户"


def test_later_registry_edits_do_not_change_a_posted_notice(
    place: Place, village_cadre: AbstractUser
) -> None:
    notice = _publish(place, village_cadre)
    household = Household.objects.get(code=place.households[0])
    Member.objects.filter(household=household, relation="head").update(name="改后的名字")
    Household.objects.filter(pk=household.pk).update(group_name="第99组")

    entry = NoticeEntry.objects.get(notice=notice, position=1)

    assert entry.head_name != "改后的名字"
    assert entry.group_name != "第99组"


def test_public_fields_drop_numbers_and_health_terms_typed_into_them(
    place: Place, village_cadre: AbstractUser
) -> None:
    household = Household.objects.get(code=place.households[0])
    Household.objects.filter(pk=household.pk).update(group_name="第3组 138-1234-5678 残疾")
    Member.objects.filter(household=household, relation="head").update(name="阿木 13812345678")

    notice = _publish(place, village_cadre)

    entry = NoticeEntry.objects.get(notice=notice, position=1)
    assert (entry.head_name, entry.group_name) == ("阿木", "第3组")


@pytest.mark.parametrize(("kind", "days"), [("identification_first", 7), ("monitoring", 5)])
def test_period_defaults_by_kind(
    place: Place, village_cadre: AbstractUser, kind: str, days: int
) -> None:
    notice = _publish(place, village_cadre, kind=kind)

    assert notice.period_days == days
    assert notice.ends_at - notice.starts_at == timedelta(days=days)


def test_period_can_be_chosen_within_bounds(place: Place, village_cadre: AbstractUser) -> None:
    assert _publish(place, village_cadre, period_days=10).period_days == 10
    with pytest.raises(FupinError) as error:
        _publish(place, village_cadre, period_days=0)
    assert error.value.code == "NOTICE_PERIOD_INVALID"


@pytest.mark.parametrize(
    ("entries", "code"),
    [
        ([], "NOTICE_EMPTY"),
        (["NO-SUCH-HOUSEHOLD"], "NOTICE_HOUSEHOLD_UNKNOWN"),
    ],
)
def test_publish_refuses_bad_lists_and_writes_nothing(
    place: Place, village_cadre: AbstractUser, entries: list[str], code: str
) -> None:
    with pytest.raises(FupinError) as error:
        _publish(place, village_cadre, entries=entries)

    assert error.value.code == code
    assert not Notice.objects.exists()


def test_publish_refuses_households_of_another_village(
    places: list[Place], admin: AbstractUser
) -> None:
    with pytest.raises(FupinError) as error:
        _publish(places[0], admin, entries=[places[0].households[0], places[1].households[0]])

    assert error.value.code == "NOTICE_HOUSEHOLD_OUTSIDE"
    assert not NoticeEntry.objects.exists()


def test_other_notices_need_a_decision_per_household(place: Place, admin: AbstractUser) -> None:
    with pytest.raises(FupinError) as error:
        _publish(place, admin, kind="other")
    assert error.value.code == "NOTICE_DECISION_MISSING"

    notice = _publish(
        place, admin, kind="other", entries=[{"household": place.households[0], "decision": "补助"}]
    )
    assert notice.entries.get().decision == "补助"


def test_village_cadre_posts_first_notices_but_not_the_second_or_the_announcement(
    place: Place, village_cadre: AbstractUser
) -> None:
    _publish(place, village_cadre, kind="identification_first")
    for kind in ("identification_second", "announcement"):
        with pytest.raises(FupinError) as error:
            _publish(place, village_cadre, kind=kind)
        assert error.value.code == "NOTICE_FORBIDDEN"


def test_township_posts_the_second_notice_and_county_the_announcement(
    place: Place, township_reviewer: AbstractUser, county_office: AbstractUser
) -> None:
    assert _publish(place, township_reviewer, kind="identification_second").pk
    with pytest.raises(FupinError):
        _publish(place, township_reviewer, kind="announcement")
    assert _publish(place, county_office, kind="announcement").pk


def test_county_announcement_may_be_posted_at_the_county(
    places: list[Place], county_office: AbstractUser
) -> None:
    same_county = [p for p in places if p.county == places[0].county][:2]
    notice = notice_publish(
        village_code=places[0].county,
        kind="announcement",
        title="县公告",
        entries=[p.households[0] for p in same_county],
        by=county_office,
    )

    assert notice.division_id == places[0].county
    assert notice.entries.count() == len(same_county)


def test_users_outside_the_village_or_without_a_posting_role_are_refused(
    places: list[Place], make_user
) -> None:
    from fupin.accounts.models import Role

    other = make_user("other", Role.VILLAGE_CADRE, places[1].village)
    analyst = make_user("analyst", Role.ANALYST, places[0].county)
    for user in (other, analyst):
        with pytest.raises(FupinError) as error:
            _publish(places[0], user)
        assert error.value.code == "NOTICE_FORBIDDEN"


def test_notice_end_due_ends_notices_whose_period_is_over(
    place: Place, village_cadre: AbstractUser
) -> None:
    now = timezone.now()
    old = _publish(place, village_cadre, now=now - timedelta(days=8))
    fresh = _publish(place, village_cadre, now=now - timedelta(days=6))

    assert notice_end_due(now) == 1

    old.refresh_from_db()
    fresh.refresh_from_db()
    assert (old.status, old.ended_at) == (NoticeStatus.ENDED, now)
    assert fresh.status == NoticeStatus.POSTED
    assert notice_end_due(now) == 0


def test_withdraw_needs_a_reason_and_the_right(
    place: Place, village_cadre: AbstractUser, make_user
) -> None:
    from fupin.accounts.models import Role

    notice = _publish(place, village_cadre)
    with pytest.raises(FupinError) as error:
        notice_withdraw(notice=notice, reason=" ", by=village_cadre)
    assert error.value.code == "NOTICE_REASON_MISSING"
    stranger = make_user("inspector", Role.INSPECTOR, place.county)
    with pytest.raises(FupinError):
        notice_withdraw(notice=notice, reason="错了", by=stranger)

    notice = notice_withdraw(notice=notice, reason="名单有误", by=village_cadre)

    assert (notice.status, notice.withdrawn_reason) == (NoticeStatus.WITHDRAWN, "名单有误")
    with pytest.raises(FupinError) as error:
        notice_withdraw(notice=notice, reason="再撤", by=village_cadre)
    assert error.value.code == "NOTICE_NOT_OPEN"


def test_objection_is_recorded_against_an_entry_with_a_private_contact(
    place: Place, village_cadre: AbstractUser
) -> None:
    notice = _publish(place, village_cadre)
    entry = notice.entries.get(position=2)

    objection = objection_submit(
        notice=notice,
        entry_id=entry.pk,
        text="该户家里有小汽车",
        name="王五",
        contact="13812345678",
        address="10.0.0.1",
    )

    assert (objection.entry, objection.status) == (entry, "open")
    assert objection.submitter_contact == "13812345678"
    assert "10.0.0.1" not in objection.address_digest


def test_objections_are_refused_outside_the_period_and_for_foreign_entries(
    places: list[Place], admin: AbstractUser
) -> None:
    old = _publish(places[0], admin, now=timezone.now() - timedelta(days=8))
    with pytest.raises(FupinError) as error:
        objection_submit(notice=old, text="有问题的名单", address="1.1.1.1")
    assert error.value.code == "NOTICE_NOT_OPEN"

    current = _publish(places[0], admin)
    foreign = _publish(places[1], admin).entries.first()
    with pytest.raises(FupinError) as error:
        objection_submit(
            notice=current, entry_id=foreign.pk, text="有问题的名单", address="1.1.1.1"
        )
    assert error.value.code == "OBJECTION_ENTRY_UNKNOWN"


def test_objections_are_throttled_per_address(place: Place, admin: AbstractUser) -> None:
    notice = _publish(place, admin)
    for _ in range(OBJECTIONS_PER_HOUR):
        objection_submit(notice=notice, text="名单有问题啊", address="10.0.0.9")

    with pytest.raises(FupinError) as error:
        objection_submit(notice=notice, text="名单有问题啊", address="10.0.0.9")

    assert error.value.code == "OBJECTION_THROTTLED"
    objection_submit(notice=notice, text="名单有问题啊", address="10.0.0.10")
    assert NoticeObjection.objects.count() == OBJECTIONS_PER_HOUR + 1


def test_objection_resolve_records_outcome_and_refuses_twice(
    place: Place, village_cadre: AbstractUser
) -> None:
    notice = _publish(place, village_cadre)
    objection = objection_submit(notice=notice, text="该户不符合条件", address="1.2.3.4")

    resolved = objection_resolve(
        objection=objection, outcome="dismissed", note="经入户核实，符合条件", by=village_cadre
    )

    assert resolved.status == "dismissed"
    assert resolved.resolved_by == village_cadre
    with pytest.raises(FupinError) as error:
        objection_resolve(objection=resolved, outcome="upheld", note="再看", by=village_cadre)
    assert error.value.code == "OBJECTION_ALREADY_RESOLVED"


def test_objection_resolve_needs_the_right_in_scope(
    places: list[Place], admin: AbstractUser, make_user
) -> None:
    from fupin.accounts.models import Role

    notice = _publish(places[0], admin, kind="identification_second")
    objection = objection_submit(notice=notice, text="该户不符合条件", address="1.2.3.4")
    cadre = make_user("cun", Role.VILLAGE_CADRE, places[0].village)

    with pytest.raises(FupinError) as error:
        objection_resolve(objection=objection, outcome="upheld", note="核实", by=cadre)

    assert error.value.code == "NOTICE_FORBIDDEN"
    township = make_user("xiang", Role.TOWNSHIP_REVIEWER, places[0].township)
    assert objection_resolve(objection=objection, outcome="upheld", note="核实", by=township)
