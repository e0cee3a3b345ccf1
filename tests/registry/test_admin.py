"""The four registry models are browsable in the Django admin."""

from __future__ import annotations

from django.contrib import admin

from fupin.registry.models import Household, HouseholdIncome, LivingConditions, Member


def test_registry_models_are_registered_in_the_admin() -> None:
    for model in (Household, Member, HouseholdIncome, LivingConditions):
        assert admin.site.is_registered(model)


def test_id_facts_cannot_be_edited_by_hand() -> None:
    member_admin = admin.site._registry[Member]
    assert {"id_number", "id_key", "sex", "birth_date"} <= set(member_admin.readonly_fields)
    assert admin.site._registry[HouseholdIncome].readonly_fields[0] == "net_income"
