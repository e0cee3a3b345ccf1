"""Read selectors of the registry: one household, a division's households, a household's file."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Case, IntegerField, Prefetch, QuerySet, Value, When

from fupin.common.errors import FupinError
from fupin.registry.models import Household, HouseholdIncome, LivingConditions, Member


def household_get(code: str) -> Household | None:
    """Return the household with this 户编号 (its village loaded), or None."""
    return Household.objects.select_related("village").filter(code=code).first()


def households_under(division_code: str) -> QuerySet[Household]:
    """Return the households in the villages under a division code (a code prefix)."""
    code = division_code.strip()
    if not code.isdigit() or len(code) not in (2, 4, 6, 9, 12):
        raise FupinError(
            "DIVISION_UNKNOWN",
            f"区划代码“{division_code}”无效：应为 2、4、6、9 或 12 位数字",
        )
    return Household.objects.filter(village__code__startswith=code).order_by("code")


@dataclass(frozen=True)
class HouseholdDetail:
    """A household's whole file: members (head first), incomes (latest first), conditions."""

    household: Household
    members: list[Member]
    incomes: list[HouseholdIncome]
    conditions: LivingConditions | None

    @property
    def head(self) -> Member | None:
        return next((m for m in self.members if m.relation == "head"), None)

    @property
    def latest_income(self) -> HouseholdIncome | None:
        return self.incomes[0] if self.incomes else None


def household_detail(household_id: int) -> HouseholdDetail | None:
    """Return a household with its members, incomes and conditions in three queries."""
    members = Member.objects.order_by(
        Case(When(relation="head", then=Value(0)), default=Value(1), output_field=IntegerField()),
        "birth_date",
        "id",
    )
    household = (
        Household.objects.select_related("village", "conditions")
        .prefetch_related(
            Prefetch("members", queryset=members),
            Prefetch("incomes", queryset=HouseholdIncome.objects.order_by("-year")),
        )
        .filter(pk=household_id)
        .first()
    )
    if household is None:
        return None
    try:
        conditions: LivingConditions | None = household.conditions
    except ObjectDoesNotExist:
        conditions = None
    return HouseholdDetail(
        household=household,
        members=list(household.members.all()),
        incomes=list(household.incomes.all()),
        conditions=conditions,
    )
