"""The scoping layer: each demo account sees exactly the households under its division."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser

from fupin.accounts.models import Profile, Role
from fupin.accounts.scoping import in_scope, scope_queryset, user_scope
from fupin.accounts.services import demo_accounts_create
from fupin.registry.models import Household
from tests.conftest import COUNTY


@pytest.fixture
def accounts(registry):
    return {a.username: a for a in demo_accounts_create(county_code=COUNTY)}


def test_every_level_gets_an_account_with_its_division(accounts):
    assert accounts["county"].division_code == COUNTY
    assert accounts["province"].division_code == COUNTY[:2]
    assert len(accounts["township"].division_code) == 9
    assert len(accounts["village"].division_code) == 12
    assert accounts["village"].division_name.endswith("村民委员会")
    assert accounts["national"].division_code is None


@pytest.mark.parametrize("username", ["national", "province", "county", "township", "village"])
def test_user_sees_only_own_subtree(accounts, username):
    user = get_user_model().objects.get(username=username)
    prefix = accounts[username].division_code or ""
    seen = scope_queryset(Household.objects.all(), user, "village__code")
    expected = Household.objects.filter(village__code__startswith=prefix)
    assert set(seen.values_list("pk", flat=True)) == set(expected.values_list("pk", flat=True))


def test_anonymous_and_profileless_users_see_nothing(registry):
    nobody = get_user_model().objects.create_user("nobody", password="x-123456789")
    assert user_scope(AnonymousUser()) is None
    assert user_scope(nobody) is None
    assert not scope_queryset(Household.objects.all(), nobody, "village__code").exists()


def test_in_scope_is_prefix_of_division(registry):
    user = get_user_model().objects.create_user("t", password="x-123456789")
    Profile.objects.create(user=user, division_id=COUNTY, role=Role.COUNTY_OFFICE)
    assert in_scope(user, COUNTY + "100001")
    assert not in_scope(user, "510104001001")


def test_admin_is_for_administrators_only(client, accounts):
    client.force_login(get_user_model().objects.get(username="township"))
    assert client.get("/admin/registry/household/").status_code == 302
    client.force_login(get_user_model().objects.get(username="admin"))
    assert client.get("/admin/registry/household/").status_code == 200


def test_admin_list_is_scoped_for_an_administrator_of_a_township(client, accounts):
    township = accounts["township"].division_code
    user = get_user_model().objects.create_user("township-admin", is_staff=True)
    user.groups.set(get_user_model().objects.get(username="township").groups.all())
    Profile.objects.create(user=user, division_id=township, role=Role.ADMINISTRATOR)
    client.force_login(user)
    own = Household.objects.filter(village__code__startswith=township).first()
    other = Household.objects.exclude(village__code__startswith=township).first()
    assert own is not None and other is not None
    assert client.get(f"/admin/registry/household/{own.pk}/change/").status_code == 200
    # another township's household is not found for this user
    assert client.get(f"/admin/registry/household/{other.pk}/change/").status_code == 302
    page = client.get("/admin/registry/household/").content.decode()
    assert own.code in page and other.code not in page


@pytest.mark.parametrize(
    ("role", "scope"),
    [
        (Role.ANALYST, ""),
        (Role.ADMINISTRATOR, ""),
        (Role.INSPECTOR, ""),
        (Role.DEPARTMENT_PROVIDER, None),
        (Role.VILLAGE_CADRE, None),
        (Role.TOWNSHIP_REVIEWER, None),
        (Role.COUNTY_OFFICE, None),
    ],
)
def test_no_division_means_the_whole_country_only_for_national_roles(db, role, scope):
    user = get_user_model().objects.create_user(f"u-{role}", password="x-123456789")
    Profile.objects.create(user=user, division_id=None, role=role)
    assert user_scope(user) == scope
