"""The admin lists, filters and searches divisions, and never edits them."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client

from fupin.divisions.models import Division
from fupin.divisions.services import divisions_load

CHANGELIST = "/admin/divisions/division/"


@pytest.fixture
def loaded(db: None) -> None:
    divisions_load(prefix="513431")


def test_division_is_registered() -> None:
    assert Division in admin.site._registry


@pytest.mark.django_db
def test_search_by_code_prefix_finds_the_subtree(admin_client: Client, loaded: None) -> None:
    response = admin_client.get(CHANGELIST, {"q": "513431103"})

    assert response.status_code == 200
    found = {d.code for d in response.context["cl"].result_list}
    assert "513431103" in found
    assert all(code.startswith("513431103") for code in found)


@pytest.mark.django_db
def test_search_by_name_and_filter_by_level(admin_client: Client, loaded: None) -> None:
    response = admin_client.get(CHANGELIST, {"q": "昭觉", "level__exact": "3"})

    assert response.status_code == 200
    assert [d.code for d in response.context["cl"].result_list] == ["513431"]


@pytest.mark.django_db
def test_divisions_cannot_be_added_changed_or_deleted(admin_client: Client, loaded: None) -> None:
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403
    assert admin_client.get(f"{CHANGELIST}513431/delete/").status_code == 403
    response = admin_client.post(f"{CHANGELIST}513431/change/", {"name": "改名"})
    assert response.status_code == 403
    assert Division.objects.get(pk="513431").name == "昭觉县"
