"""Django admin for the registry: browsing and small corrections by administrators.

Registration goes through the services (forms, imports); here the ID facts derived from the
ID number (key, sex, birth date) are read-only, and foreign keys use raw ids because the
division and household tables hold hundreds of thousands of rows.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from fupin.accounts.scoping import ScopedModelAdmin
from fupin.policy import idnumber
from fupin.registry.models import Household, HouseholdIncome, LivingConditions, Member

ID_FACTS = ("id_number", "id_key", "sex", "birth_date")


def _id_key_of(term: str) -> int | None:
    """The ``id_key`` of a search term that is a valid ID number, else None."""
    check = idnumber.check(term)
    return idnumber.id_key(check.normalized) if check.valid and check.normalized else None


class MemberInline(admin.TabularInline[Member, Household]):
    model = Member
    extra = 0
    fields = ("name", "id_number", "relation", "sex", "birth_date", "health", "labour_capacity")
    readonly_fields = ID_FACTS
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # members are added through member_add (ID checks)


class IncomeInline(admin.TabularInline[HouseholdIncome, Household]):
    model = HouseholdIncome
    extra = 0
    fields = ("year", "household_size", "wage", "operating_income", "operating_cost", "net_income")
    readonly_fields = ("net_income",)


class ConditionsInline(admin.StackedInline[LivingConditions, Household]):
    model = LivingConditions
    extra = 0


@admin.register(Household)
class HouseholdAdmin(ScopedModelAdmin[Household]):
    scope_field = "village__code"
    list_display = (
        "code",
        "village",
        "attribute",
        "main_cause",
        "status",
        "first_identified_year",
        "exit_year",
        "source",
    )
    list_filter = ("status", "attribute", "standard", "main_cause", "source")
    search_fields = ("=code", "members__name")
    raw_id_fields = ("village",)
    list_select_related = ("village",)
    readonly_fields = ("created_at", "updated_at")
    show_full_result_count = False
    inlines = (MemberInline, IncomeInline, ConditionsInline)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Household], search_term: str
    ) -> tuple[QuerySet[Household], bool]:
        key = _id_key_of(search_term)
        if key is not None:  # an ID number: find its household through the integer key
            return queryset.filter(members__id_key=key), False
        return super().get_search_results(request, queryset, search_term)


@admin.register(Member)
class MemberAdmin(ScopedModelAdmin[Member]):
    scope_field = "household__village__code"
    list_display = ("name", "household", "relation", "sex", "birth_date", "health", "source")
    list_filter = ("relation", "sex", "health", "labour_capacity", "source")
    search_fields = ("name", "=household__code")
    raw_id_fields = ("household",)
    list_select_related = ("household",)
    readonly_fields = (*ID_FACTS, "created_at", "updated_at")
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # members are added through member_add (ID checks)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Member], search_term: str
    ) -> tuple[QuerySet[Member], bool]:
        key = _id_key_of(search_term)
        if key is not None:  # an ID number: look it up through the integer key
            return queryset.filter(id_key=key), False
        return super().get_search_results(request, queryset, search_term)


@admin.register(HouseholdIncome)
class HouseholdIncomeAdmin(ScopedModelAdmin[HouseholdIncome]):
    scope_field = "household__village__code"
    list_display = ("household", "year", "household_size", "net_income", "source")
    list_filter = ("year", "source")
    search_fields = ("=household__code",)
    raw_id_fields = ("household",)
    list_select_related = ("household",)
    readonly_fields = ("net_income", "created_at", "updated_at")
    show_full_result_count = False


@admin.register(LivingConditions)
class LivingConditionsAdmin(ScopedModelAdmin[LivingConditions]):
    scope_field = "household__village__code"
    list_display = ("household", "house_grade", "water_safe", "road_type", "fuel", "source")
    list_filter = ("house_grade", "water_safe", "sanitary_toilet", "source")
    search_fields = ("=household__code",)
    raw_id_fields = ("household",)
    list_select_related = ("household",)
    show_full_result_count = False
