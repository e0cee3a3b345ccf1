"""The work-team pages: the roll-up by village (a county or township) and by county (above),
and a village's team page — who is below the presence rule, the leave the township may
approve (≤ 3 days) and may not (5 days), the month's attendance form, and the scope."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fupin.accounts.models import Profile, Role
from fupin.divisions.models import Division
from fupin.measures.models import Attendance, LeaveRequest, TeamMember, WorkTeam
from fupin.measures.services import (
    attendance_record,
    leave_request,
    team_create,
    team_member_add,
)

COUNTY = "513431"
#: A whole past year, so every month may be recorded whatever today is.
YEAR = timezone.localdate().year - 1


def _user(name: str, role: Role, division: str | None) -> User:
    user = get_user_model().objects.create_user(username=name, password="pw-123456-page")
    Profile.objects.create(user=user, role=role, division_id=division)
    return user


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _villages() -> list[str]:
    return list(
        Division.objects.filter(code__startswith=COUNTY, level=5)
        .order_by("code")
        .values_list("code", flat=True)
    )


@pytest.fixture
def village(registry: object) -> str:
    return _villages()[0]


@pytest.fixture
def team(village: str) -> WorkTeam:
    """A team of three: two in the village 22 days a month, one (阿呷) only 10 days."""
    team = team_create(
        village_code=village, sending_unit="昭觉县财政局", start=date(YEAR, 1, 1), by=None
    )
    people = [
        ("王强", "first_secretary"),
        ("张敏", "leader"),
        ("吉克阿呷", "member"),
    ]
    for name, role in people:
        member = team_member_add(
            team=team, name=name, unit="昭觉县财政局", role=role, start=date(YEAR, 1, 1), by=None
        )
        for month in range(1, 7):
            attendance_record(
                member=member,
                month=date(YEAR, month, 1),
                days_present=10 if name == "吉克阿呷" else 22,
                by=None,
            )
    return team


def _member(name: str) -> TeamMember:
    return TeamMember.objects.get(name=name)


def _detail(village: str) -> str:
    return reverse("web:team_detail", args=[village]) + f"?year={YEAR}"


def _card(html: str, name: str) -> str:
    m = re.search(rf'<div class="member-card[^"]*"[^>]*>\s*<div><span class="name">{name}<', html)
    assert m is not None, name
    return m.group(0)


def test_the_team_page_flags_the_member_below_the_presence_rule(
    team: WorkTeam, village: str
) -> None:
    county = _client(_user("xian", Role.COUNTY_OFFICE, COUNTY))

    html = county.get(_detail(village)).content.decode()

    assert 'data-below="1"' in _card(html, "吉克阿呷")
    assert "below" in _card(html, "吉克阿呷").split('"')[1]
    assert 'data-below="0"' in _card(html, "王强")
    assert 'data-below="0"' in _card(html, "张敏")
    assert 'data-testid="below-alert"' in html and "1 名驻村干部" in html
    assert "昭觉县财政局" in html and "王强" in html  # sending unit, first secretary
    # Her six months are marked below the monthly rule; theirs are not.
    months = re.search(r'data-testid="months">.*?</table>', html, re.S)
    assert months is not None
    rows = {
        m.group(1): m.group(0)
        for m in re.finditer(r"<tr[^>]*>\s*<td>([^<]+)</td>.*?</tr>", months.group(0), re.S)
    }
    assert rows["吉克阿呷"].count('class="short"') == 6
    assert rows["王强"].count('class="short"') == 0


def test_the_village_roll_up_names_who_is_below_and_the_county_roll_up_counts_them(
    team: WorkTeam, village: str
) -> None:
    county = _client(_user("xian", Role.COUNTY_OFFICE, COUNTY))
    province = _client(_user("sheng", Role.ANALYST, "51"))

    by_village = county.get(reverse("web:teams"), {"year": YEAR}).content.decode()
    by_county = province.get(reverse("web:teams"), {"year": YEAR}).content.decode()

    row = re.search(rf'<tr class="below" data-village="{village}">.*?</tr>', by_village, re.S)
    assert row is not None
    assert "吉克阿呷" in row.group(0) and "王强" not in row.group(0).split("below-names")[1]
    assert reverse("web:team_detail", args=[village]) in row.group(0)
    assert 'data-testid="teams-by-county"' in by_county
    county_row = re.search(r"<tr class=\"below\">.*?</tr>", by_county, re.S)
    assert county_row is not None and f"division={COUNTY}" in county_row.group(0)
    cells = re.findall(r'<td class="num[^"]*"[^>]*>(\d+)</td>', county_row.group(0))
    assert cells[:4] == ["1", "3", "1", "0"]  # teams, members, below the rule, small teams


def test_a_team_smaller_than_three_is_flagged(registry: object) -> None:
    village = _villages()[1]
    small = team_create(
        village_code=village, sending_unit="县水务局", start=date(YEAR, 1, 1), by=None
    )
    team_member_add(
        team=small,
        name="李华",
        unit="县水务局",
        role="first_secretary",
        start=date(YEAR, 1, 1),
        by=None,
    )
    county = _client(_user("xian", Role.COUNTY_OFFICE, COUNTY))

    html = county.get(reverse("web:teams"), {"year": YEAR}).content.decode()

    row = re.search(rf'<tr class="below" data-village="{village}">.*?</tr>', html, re.S)
    assert row is not None and "人数不足" in row.group(0)


def test_a_township_reviewer_approves_a_two_day_leave_but_not_a_five_day_one(
    team: WorkTeam, village: str
) -> None:
    member = _member("张敏")
    short = leave_request(
        member=member, start=date(YEAR, 8, 3), end=date(YEAR, 8, 4), reason="家中有事", by=None
    )
    long = leave_request(
        member=member, start=date(YEAR, 9, 1), end=date(YEAR, 9, 5), reason="看病", by=None
    )
    reviewer = _client(_user("xiangzhen", Role.TOWNSHIP_REVIEWER, village[:9]))
    action = reverse("web:team_leave_decide", args=[village])

    page = reviewer.get(_detail(village)).content.decode()
    approved = reviewer.post(action, {"leave": short.pk, "decision": "approve"}, follow=True)
    refused = reviewer.post(action, {"leave": long.pk, "decision": "approve"}, follow=True)

    # The page offers the buttons for the 2-day leave only.
    assert re.search(rf'data-leave="{short.pk}">.*?name="decision" value="approve"', page, re.S)
    long_row = re.search(rf'<tr data-leave="{long.pk}">.*?</tr>', page, re.S)
    assert long_row is not None and "须县委组织部审批" in long_row.group(0)
    assert 'value="approve"' not in long_row.group(0)
    assert LeaveRequest.objects.get(pk=short.pk).status == "approved"
    assert "已批准 张敏 的请假（2 天）" in approved.content.decode()
    # The service refuses the 5-day leave; the refusal is shown and nothing changes.
    assert LeaveRequest.objects.get(pk=long.pk).status == "pending"
    assert "县委组织部" in refused.content.decode()
    assert "PERMISSION_DENIED" in refused.content.decode()
    # The county office may decide it.
    county = _client(_user("xian", Role.COUNTY_OFFICE, COUNTY))
    county.post(action, {"leave": long.pk, "decision": "refuse"})
    assert LeaveRequest.objects.get(pk=long.pk).status == "refused"


def test_a_leave_of_another_village_cannot_be_decided_through_this_one(
    team: WorkTeam, village: str
) -> None:
    other_village = next(v for v in _villages() if v[:9] == village[:9] and v != village)
    leave = leave_request(
        member=_member("张敏"), start=date(YEAR, 8, 3), end=date(YEAR, 8, 3), reason="事假", by=None
    )
    county = _client(_user("xian", Role.COUNTY_OFFICE, COUNTY))

    response = county.post(
        reverse("web:team_leave_decide", args=[other_village]),
        {"leave": leave.pk, "decision": "approve"},
        follow=True,
    )

    assert "请选择要审批的请假" in response.content.decode()
    assert LeaveRequest.objects.get(pk=leave.pk).status == "pending"


def test_the_township_records_a_month_and_an_analyst_is_refused(
    team: WorkTeam, village: str
) -> None:
    member = _member("吉克阿呷")
    reviewer = _client(_user("xiangzhen", Role.TOWNSHIP_REVIEWER, village[:9]))
    analyst = _client(_user("fenxi", Role.ANALYST, COUNTY))
    action = reverse("web:team_attendance", args=[village])
    data = {"member": member.pk, "month": f"{YEAR}-07", "days_present": "21", "days_leave": "2"}

    shown = reviewer.get(_detail(village)).content.decode()
    hidden = analyst.get(_detail(village)).content.decode()
    refused = analyst.post(action, {**data, "days_present": "5"}, follow=True)
    saved = reviewer.post(action, data, follow=True)
    too_many = reviewer.post(action, {**data, "days_present": "31"}, follow=True)

    assert 'data-testid="attendance-form"' in shown
    assert 'data-testid="attendance-form"' not in hidden
    assert "您没有权限录入驻村考勤" in refused.content.decode()
    assert f"已录入 吉克阿呷 {YEAR}-07 的考勤：在村 21 天" in saved.content.decode()
    record = Attendance.objects.get(member=member, month=date(YEAR, 7, 1))
    assert (record.days_present, record.days_leave) == (21, 2)
    assert "ATTENDANCE_DAYS" in too_many.content.decode()


def test_an_out_of_scope_village_is_404(team: WorkTeam, village: str) -> None:
    other = next(v for v in _villages() if v[:9] != village[:9])
    reviewer = _client(_user("xiangzhen", Role.TOWNSHIP_REVIEWER, other[:9]))

    assert reviewer.get(_detail(village)).status_code == 404
    assert reviewer.post(reverse("web:team_attendance", args=[village])).status_code == 404
    assert reviewer.get(reverse("web:team_detail", args=["999999999999"])).status_code == 404
    assert reviewer.get(reverse("web:teams"), {"division": COUNTY}).status_code == 404
    # Its own village without a team says so.
    page = reviewer.get(reverse("web:team_detail", args=[other])).content.decode()
    assert 'data-testid="no-team"' in page
