"""Account services."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group, Permission, User
from django.db import transaction
from django.utils import timezone

from fupin.accounts.models import ApiToken, Profile, Role
from fupin.common.errors import FupinError
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
        # The Django admin (reference data) is for administrators only.
        user.is_staff = user.is_superuser = role == Role.ADMINISTRATOR
        user.set_password(DEMO_PASSWORD)
        user.save()
        user.groups.set([viewers])
        Profile.objects.update_or_create(user=user, defaults={"division_id": code, "role": role})
        accounts.append(
            DemoAccount(username, DEMO_PASSWORD, role.label, code, names.get(code or "", "全国"))
        )
    return accounts


# --- API tokens --------------------------------------------------------------------------

#: Marks a Fupin secret, so that secret scanners and people recognise one in a log or a file.
TOKEN_PREFIX = "fupin_"
#: The longest life a token may be given, in days.
TOKEN_MAX_DAYS = 3650
#: ``last_used_at`` is written at most this often per token, not on every request.
TOKEN_USE_GRANULARITY = timedelta(minutes=1)


def api_token_digest(secret: str) -> str:
    """Return the SHA-256 hex digest under which a token's secret is stored."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def user_is_administrator(user: AbstractBaseUser) -> bool:
    """Return whether the user is a superuser or has the administrator role."""
    if getattr(user, "is_superuser", False):
        return True
    profile = getattr(user, "profile", None)
    return profile is not None and profile.role == Role.ADMINISTRATOR


@transaction.atomic
def api_token_create(*, user: User, name: str, days: int | None = None) -> tuple[ApiToken, str]:
    """Create an API token for ``user``; return it with its secret, shown this once only.

    The token expires after ``days`` days, or never when ``days`` is None.
    """
    name = name.strip()
    if not name or len(name) > 100:  # ApiToken.name's max_length
        raise FupinError("TOKEN_NAME_INVALID", "令牌名称不能为空，且不能超过 100 个字")
    if days is not None and not 1 <= days <= TOKEN_MAX_DAYS:
        raise FupinError(
            "TOKEN_DAYS_INVALID", f"有效天数应在 1 至 {TOKEN_MAX_DAYS} 之间，不能是 {days}"
        )
    if not user.is_active:
        raise FupinError("USER_INACTIVE", f"用户 {user.get_username()} 已停用，不能创建令牌")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        key_hash=api_token_digest(secret),
        expires_at=timezone.now() + timedelta(days=days) if days is not None else None,
    )
    return token, secret


@transaction.atomic
def api_token_revoke(*, token: ApiToken, by: AbstractBaseUser) -> ApiToken:
    """Revoke a token for good; its owner or an administrator may."""
    if by.pk != token.user_id and not user_is_administrator(by):
        raise FupinError("TOKEN_REVOKE_FORBIDDEN", "只有令牌的所有者或系统管理员可以撤销令牌")
    if not token.revoked:
        token.revoked = True
        token.save(update_fields=["revoked"])
    return token


def api_token_authenticate(*, secret: str) -> User | None:
    """Return the user of a valid token (known, not revoked, not expired, user active), or None.

    Note the use in ``last_used_at`` (at most once a minute per token).
    """
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user", "user__profile")
        .filter(key_hash=api_token_digest(secret), revoked=False)
        .first()
    )
    now = timezone.now()
    if token is None or (token.expires_at is not None and token.expires_at <= now):
        return None
    if not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= TOKEN_USE_GRANULARITY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
