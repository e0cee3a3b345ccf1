"""The first API endpoints: divisions are public reference data; an explanation needs a
signed-in user whose division covers the household."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from fupin.accounts.models import Profile, Role
from fupin.registry.models import Household


@pytest.fixture
def user_in(registry):
    def make(code: str | None, *, superuser: bool = False):
        user = get_user_model().objects.create_user(f"u{code}", password="pw-123456789")
        user.is_superuser = superuser
        user.save()
        Profile.objects.create(user=user, division_id=code, role=Role.COUNTY_OFFICE)
        return user

    return make


def test_division_with_path(client, registry):
    data = client.get("/api/v1/divisions/513431").json()
    assert data["name"] == "昭觉县"
    assert data["path"] == "四川省 凉山彝族自治州 昭觉县"


def test_division_children(client, registry):
    data = client.get("/api/v1/divisions/513431/children").json()
    assert len(data) > 10 and all(d["code"].startswith("513431") and d["level"] == 4 for d in data)


def test_unknown_division_is_json_404_with_code(client, registry):
    response = client.get("/api/v1/divisions/519999")
    assert response.status_code == 404
    assert response.json()["code"] == "DIVISION_UNKNOWN"


def test_explanation_needs_login(client, registry):
    code = Household.objects.values_list("code", flat=True).first()
    assert client.get(f"/api/v1/households/{code}/explanation").status_code == 401


def test_explanation_for_user_of_the_county(client, user_in):
    household = Household.objects.first()
    client.force_login(user_in("513431"))
    response = client.get(f"/api/v1/households/{household.code}/explanation?year=2016")
    assert response.status_code == 200
    data = response.json()
    assert data["household"] == household.code and len(data["rules"]) == 7


def test_household_outside_the_users_division_looks_missing(client, user_in):
    from fupin.divisions.services import divisions_load

    divisions_load(prefix="510104")  # 成都市锦江区: another county of the same province
    household = Household.objects.first()
    client.force_login(user_in("510104"))
    response = client.get(f"/api/v1/households/{household.code}/explanation")
    assert response.status_code == 404
    assert response.json()["code"] == "HOUSEHOLD_NOT_FOUND"


def test_openapi_document_lists_the_endpoints(client, registry):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/divisions/{code}" in paths
    assert "/api/v1/households/{code}/explanation" in paths
