"""Who may post, withdraw and answer for a notice.

A notice belongs to the office that posts it (``fupin.policy.notices.owner_code``): the
village for a first notice, an exit or a monitoring notice, the township for a second
notice, the county for the announcement. A village cadre, township reviewer or county office
(or an administrator) whose division holds that office's division may post the notice,
withdraw it and resolve objections to it: the village answers for its own notices, and the
township and county above it may act for it. Analysts, inspectors and department providers
read only.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from fupin.accounts.models import Role
from fupin.accounts.permissions import user_role
from fupin.accounts.scoping import in_scope
from fupin.policy import notices as policy

NOTICE_ROLES = frozenset(
    {Role.VILLAGE_CADRE, Role.TOWNSHIP_REVIEWER, Role.COUNTY_OFFICE, Role.ADMINISTRATOR}
)


def may_post_notices(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Whether the user's role posts notices at all (somewhere in their scope)."""
    return (
        user.is_authenticated
        and getattr(user, "is_active", False)
        and (user_role(user) in NOTICE_ROLES)
    )


def may_manage_notice(
    user: AbstractBaseUser | AnonymousUser, *, kind: str, division_code: str
) -> bool:
    """Whether the user may post, withdraw and answer for a notice of ``kind`` there."""
    return may_post_notices(user) and in_scope(user, policy.owner_code(kind, division_code))
