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


def test_admin_search_by_id_number_uses_the_integer_key(admin_client, registry) -> None:
    from fupin.registry.models import Member

    member = Member.objects.select_related("household").order_by("id_key")[5]
    other = Member.objects.exclude(household=member.household).first()
    assert other is not None
    page = admin_client.get("/admin/registry/household/", {"q": member.id_number}).content.decode()
    assert member.household.code in page and other.household.code not in page
    # full-width digits and a lower-case x are normalised like everywhere else
    full_width = member.id_number.translate(str.maketrans("0123456789X", "０１２３４５６７８９ｘ"))
    page = admin_client.get("/admin/registry/member/", {"q": full_width}).content.decode()
    assert f"/admin/registry/member/{member.pk}/change/" in page
