"""The sharing pages: home, village tasks (scoped), resolving with htmx, form burden, rights."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth.models import AbstractUser
from django.test import Client
from django.urls import reverse

from fupin.accounts.models import Role
from fupin.registry.models import Household, Member
from fupin.sharing.models import Flag
from fupin.sharing.services import dataset_load, match_run
from fupin.synth.departments import generate_departments

COUNTY = "513431"


@pytest.fixture
def flags(registry: Path, tmp_path: Path) -> list[Flag]:
    files = generate_departments(registry=registry, out=tmp_path / "d", seed=5)
    ds = dataset_load(
        path=files.files["medical_enrolment"],
        feed="medical_enrolment",
        provider="医保局",
        period="2020-06",
        legal_basis="数据共享协议",
    )
    match_run(dataset=ds)
    return list(Flag.objects.filter(flag_type="UPDATE_INSURANCE"))


def test_village_cadre_sees_only_the_flags_of_its_village(
    flags: list[Flag], make_user: Callable[..., AbstractUser], signed_in: Callable[..., Client]
) -> None:
    village = flags[0].village_code
    client = signed_in(make_user("v", Role.VILLAGE_CADRE, village))
    page = client.get(reverse("web:sharing_tasks")).content.decode()
    mine = [f for f in flags if f.village_code == village]
    assert page.count('data-testid="flag"') == len(mine)
    other = next((f for f in flags if f.village_code != village), None)
    if other is not None:
        assert f'id="flag-{other.pk}"' not in page


def test_confirming_with_htmx_writes_the_fact_and_returns_the_card(
    flags: list[Flag], make_user: Callable[..., AbstractUser], signed_in: Callable[..., Client]
) -> None:
    flag = flags[0]
    client = signed_in(make_user("v", Role.VILLAGE_CADRE, flag.village_code))
    url = reverse("web:sharing_resolve", args=[flag.pk])
    resp = client.post(url, {"outcome": "confirmed", "note": ""}, HTTP_HX_REQUEST="true")
    assert resp.status_code == 200
    assert "已写入登记信息" in resp.content.decode()
    assert Member.objects.get(pk=flag.member_id).basic_medical is True


def test_dismissing_without_a_note_answers_a_chinese_message(
    flags: list[Flag], make_user: Callable[..., AbstractUser], signed_in: Callable[..., Client]
) -> None:
    flag = flags[0]
    client = signed_in(make_user("v", Role.VILLAGE_CADRE, flag.village_code))
    url = reverse("web:sharing_resolve", args=[flag.pk])
    resp = client.post(url, {"outcome": "dismissed", "note": ""}, HTTP_HX_REQUEST="true")
    assert resp.status_code == 400 and "排除提示须写明核实情况" in resp.content.decode()
    flag.refresh_from_db()
    assert flag.status == "open"


def test_a_flag_of_another_village_answers_404(
    flags: list[Flag], make_user: Callable[..., AbstractUser], signed_in: Callable[..., Client]
) -> None:
    flag = flags[0]
    other = Household.objects.exclude(village_id=flag.village_code).values_list(
        "village_id", flat=True
    )[0]
    client = signed_in(make_user("v", Role.VILLAGE_CADRE, other))
    url = reverse("web:sharing_resolve", args=[flag.pk])
    assert client.post(url, {"outcome": "confirmed"}).status_code == 404


def test_township_reviewer_may_view_but_not_resolve(
    flags: list[Flag], make_user: Callable[..., AbstractUser], signed_in: Callable[..., Client]
) -> None:
    flag = flags[0]
    client = signed_in(make_user("t", Role.TOWNSHIP_REVIEWER, flag.village_code[:9]))
    assert client.get(reverse("web:sharing_tasks")).status_code == 200
    url = reverse("web:sharing_resolve", args=[flag.pk])
    assert client.post(url, {"outcome": "confirmed"}).status_code == 403


def test_department_provider_uploads_but_sees_no_tasks(
    registry: Path,
    make_user: Callable[..., AbstractUser],
    signed_in: Callable[..., Client],
    tmp_path: Path,
) -> None:
    client = signed_in(make_user("p", Role.DEPARTMENT_PROVIDER, None))
    assert client.get(reverse("web:sharing_tasks")).status_code == 403
    assert client.get(reverse("web:sharing_burden")).status_code == 403
    files = generate_departments(registry=registry, out=tmp_path / "d", seed=6)
    with files.files["payroll"].open("rb") as fh:
        resp = client.post(
            reverse("web:sharing_home"),
            {
                "feed": "payroll",
                "provider": "县财政局",
                "period": "2020-06",
                "legal_basis": "数据共享协议",
                "file": fh,
            },
        )
    assert resp.status_code == 302
    assert Flag.objects.filter(flag_type="INELIGIBLE_PAYROLL").exists()


def test_county_cannot_upload(
    registry: Path, make_user: Callable[..., AbstractUser], signed_in: Callable[..., Client]
) -> None:
    client = signed_in(make_user("c", Role.COUNTY_OFFICE, COUNTY))
    page = client.get(reverse("web:sharing_home"))
    assert page.status_code == 200 and 'data-testid="upload"' not in page.content.decode()
    assert client.post(reverse("web:sharing_home"), {}).status_code == 403


def test_burden_page_rolls_up_by_township(
    registry: Path, make_user: Callable[..., AbstractUser], signed_in: Callable[..., Client]
) -> None:
    client = signed_in(make_user("c", Role.COUNTY_OFFICE, COUNTY))
    page = client.get(reverse("web:sharing_burden")).content.decode()
    assert 'data-testid="burden"' in page and "批量导入" in page
    assert client.get(reverse("web:sharing_burden") + "?division=510000").status_code == 404


@pytest.mark.parametrize("code", ["5134311", "51343110", "5134311002001", "513431x"])
def test_burden_page_answers_404_for_a_code_that_is_no_division_shape(
    code: str,
    registry: Path,
    make_user: Callable[..., AbstractUser],
    signed_in: Callable[..., Client],
) -> None:
    client = signed_in(make_user("c", Role.COUNTY_OFFICE, COUNTY))

    assert client.get(reverse("web:sharing_burden") + f"?division={code}").status_code == 404


def test_task_cards_mask_certificate_numbers_that_carry_an_id_number(
    registry: Path,
    tmp_path: Path,
    make_user: Callable[..., AbstractUser],
    signed_in: Callable[..., Client],
) -> None:
    files = generate_departments(registry=registry, out=tmp_path / "d", seed=5)
    ds = dataset_load(
        path=files.files["disability"],
        feed="disability",
        provider="残联",
        period="2020",
        legal_basis="数据共享协议",
    )
    match_run(dataset=ds)
    flag = Flag.objects.exclude(evidence__certificate_no=None).first()
    assert flag is not None
    certificate = str(flag.evidence["certificate_no"])
    client = signed_in(make_user("c", Role.COUNTY_OFFICE, "513431"))

    page = client.get(reverse("web:sharing_tasks") + "?status=").content.decode()

    assert f'id="flag-{flag.pk}"' in page
    assert certificate not in page
    assert f"{certificate[:6]}********{certificate[-4:]}" in page
