"""The one scoping layer: what part of the division tree a user may see.

A user's reach is a division-code prefix (ARCHITECTURE.md, principle 5). Every read of
registry data — admin lists, API calls, exports — filters by it through these helpers.
"""

from __future__ import annotations

from typing import TypeVar

from django.contrib import admin
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from fupin.accounts.models import Role
from fupin.divisions.selectors import subtree_q

M = TypeVar("M", bound=Model)

#: Roles whose profile may leave the division empty to mean the whole country.
NATIONAL_ROLES = frozenset({Role.ANALYST, Role.ADMINISTRATOR, Role.INSPECTOR})


def user_scope(user: AbstractBaseUser | AnonymousUser) -> str | None:
    """Return the division prefix the user may see: "" for everything, None for nothing."""
    if not user.is_authenticated:
        return None
    if getattr(user, "is_superuser", False):
        return ""
    # A missing profile raises RelatedObjectDoesNotExist, an AttributeError.
    profile = getattr(user, "profile", None)
    if profile is None:
        return None
    if profile.division_id:
        return str(profile.division_id)
    # No division means the whole country only for the roles that work nationally; anyone
    # else without a division (a department provider, a cadre not yet placed) sees nothing.
    return "" if profile.role in NATIONAL_ROLES else None


def in_scope(user: AbstractBaseUser | AnonymousUser, division_code: str) -> bool:
    scope = user_scope(user)
    return scope is not None and division_code.startswith(scope)


def scope_queryset(
    qs: QuerySet[M], user: AbstractBaseUser | AnonymousUser, field: str
) -> QuerySet[M]:
    """Limit ``qs`` to rows whose division code in ``field`` lies under the user's division."""
    scope = user_scope(user)
    if scope is None:
        return qs.none()
    if scope == "":
        return qs
    return qs.filter(subtree_q(scope, field=field))


class ScopedModelAdmin(admin.ModelAdmin[M]):
    """A ModelAdmin that lists, searches and opens only rows under the user's division."""

    #: Path from the model to a division code, e.g. "village__code".
    scope_field: str = ""

    def get_queryset(self, request: HttpRequest) -> QuerySet[M]:
        return scope_queryset(super().get_queryset(request), request.user, self.scope_field)
