"""Account services."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from fupin.accounts.models import Profile, Role
from fupin.divisions.models import Division


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: str
    division_code: str | None
    division_name: str


DEMO_PASSWORD = "fupin-demo-2017"
#: Models every demo account may view in the admin (rows are limited to its division).
VIEWABLE = {
    "registry": ("household", "member", "householdincome", "livingconditions"),
    "assessment": ("assessmentrun", "assessmentresult"),
    "divisions": ("division",),
}


def _viewer_group() -> Group:
    group, _ = Group.objects.get_or_create(name="只读查看（演示）")
    perms = Permission.objects.filter(
        codename__in=[f"view_{m}" for models in VIEWABLE.values() for m in models],
        content_type__app_label__in=list(VIEWABLE),
    )
    group.permissions.set(perms)
    return group


@transaction.atomic
def demo_accounts_create(*, county_code: str) -> list[DemoAccount]:
    """Create (or reset) one demo account per level down to the county's first village."""
    User = get_user_model()
    villages = Division.objects.filter(code__startswith=county_code, level=5).order_by("code")
    # The village cadre gets a rural village (村民委员会), not an urban community.
    first_village = (
        villages.filter(name__endswith="村民委员会").values_list("code", flat=True).first()
        or villages.values_list("code", flat=True).first()
    )
    if first_village is None:
        raise ValueError(county_code)
    plan: list[tuple[str, Role, str | None]] = [
        ("admin", Role.ADMINISTRATOR, None),
        ("national", Role.ANALYST, None),
        ("province", Role.ANALYST, county_code[:2]),
        ("prefecture", Role.ANALYST, county_code[:4]),
        ("county", Role.COUNTY_OFFICE, county_code),
        ("township", Role.TOWNSHIP_REVIEWER, first_village[:9]),
        ("village", Role.VILLAGE_CADRE, first_village),
        ("inspector", Role.INSPECTOR, county_code),
    ]
    names = dict(
        Division.objects.filter(code__in=[c for _, _, c in plan if c]).values_list("code", "name")
    )
    viewers = _viewer_group()
    accounts = []
    for username, role, code in plan:
        user, _ = User.objects.get_or_create(username=username)
        user.is_staff = True
        user.is_superuser = role == Role.ADMINISTRATOR
        user.set_password(DEMO_PASSWORD)
        user.save()
        user.groups.set([viewers])
        Profile.objects.update_or_create(user=user, defaults={"division_id": code, "role": role})
        accounts.append(
            DemoAccount(username, DEMO_PASSWORD, role.label, code, names.get(code or "", "全国"))
        )
    return accounts
