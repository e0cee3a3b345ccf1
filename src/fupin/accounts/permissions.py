"""What each role may do. Where it may do it is the scoping layer's job (``scoping.py``).

One table, read by the pages, the API and the tests, so that a role's rights are stated once.
"""

from __future__ import annotations

from enum import StrEnum

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from fupin.accounts.models import Role


class Action(StrEnum):
    VIEW_REGISTRY = "view_registry"  # household list and pages, statistics
    EDIT_REGISTRY = "edit_registry"  # register households, add members, record income
    IMPORT = "import"  # upload Excel / CSV files into the registry
    EXPORT = "export"  # download lists as Excel
    EVALUATE = "evaluate"  # exit evaluation: assess villages, sample and verify a county
    # register a province's deep-poverty rule set and record designations (the province
    # office: a county-office role placed at a province division)
    DESIGNATE = "designate"


#: The registry rights of each role. Analysts and inspectors read; the village enters facts;
#: the county office also imports in bulk. Department providers reach their own datasets only.
RIGHTS: dict[str, frozenset[Action]] = {
    Role.VILLAGE_CADRE: frozenset(
        {Action.VIEW_REGISTRY, Action.EDIT_REGISTRY, Action.IMPORT, Action.EXPORT}
    ),
    Role.TOWNSHIP_REVIEWER: frozenset({Action.VIEW_REGISTRY, Action.EXPORT}),
    Role.COUNTY_OFFICE: frozenset(
        {
            Action.VIEW_REGISTRY,
            Action.EDIT_REGISTRY,
            Action.IMPORT,
            Action.EXPORT,
            Action.EVALUATE,
            Action.DESIGNATE,
        }
    ),
    Role.ANALYST: frozenset({Action.VIEW_REGISTRY, Action.EXPORT}),
    Role.INSPECTOR: frozenset({Action.VIEW_REGISTRY, Action.EXPORT, Action.EVALUATE}),
    Role.DEPARTMENT_PROVIDER: frozenset(),
    Role.ADMINISTRATOR: frozenset(Action),
}


def user_role(user: AbstractBaseUser | AnonymousUser) -> str | None:
    """Return the user's role code (superusers count as administrators), or None."""
    if not user.is_authenticated:
        return None
    if getattr(user, "is_superuser", False):
        return Role.ADMINISTRATOR.value
    profile = getattr(user, "profile", None)
    return str(profile.role) if profile is not None else None


def can(user: AbstractBaseUser | AnonymousUser, action: Action) -> bool:
    """Return whether the user's role allows ``action`` (anywhere in their scope)."""
    if not user.is_authenticated or not getattr(user, "is_active", False):
        return False
    role = user_role(user)
    return role is not None and action in RIGHTS.get(role, frozenset())
