"""Reads of assets and asset income (资产收益扶贫): the assets under a division, a household's
dividends of a year, and each asset's income and how it was distributed.

The caller scopes: pass a division the user may see (``fupin.accounts.scoping``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum

from fupin.funds.models import Asset, AssetIncome, Distribution
from fupin.policy import funds_assets as pfa
from fupin.registry.models import Household


def assets_under(division_code: str) -> QuerySet[Asset]:
    """The assets lying in the villages under ``division_code``, by code."""
    return (
        Asset.objects.filter(village__code__startswith=division_code)
        .select_related("project", "village")
        .order_by("code")
    )


def household_dividends(household: Household | int, year: int) -> list[tuple[str, Decimal]]:
    """A household's asset dividends of ``year``: (asset name, amount), by asset code."""
    pk = household.pk if isinstance(household, Household) else household
    return [
        (name, amount)
        for name, amount in Distribution.objects.filter(household_id=pk, year=year, kind="dividend")
        .order_by("income__asset__code")
        .values_list("income__asset__name", "amount")
    ]


@dataclass(frozen=True)
class AssetIncomeRow:
    asset_code: str
    asset_name: str
    village: str
    year: int
    income: Decimal
    #: {DISTRIBUTION_KIND code: amount}, every kind present (zero when none).
    by_kind: dict[str, Decimal]
    households: int

    @property
    def distributed(self) -> Decimal:
        return sum(self.by_kind.values(), Decimal(0))

    @property
    def undistributed(self) -> Decimal:
        return self.income - self.distributed


def asset_income_summary(division_code: str, year: int | None = None) -> list[AssetIncomeRow]:
    """Each asset income under ``division_code`` (of ``year``, or every year) with its
    distribution by kind and the number of households paid a dividend; one query."""
    zero = Decimal("0.00")
    kinds = pfa.DISTRIBUTION_KIND.codes
    qs = AssetIncome.objects.filter(asset__village__code__startswith=division_code)
    if year is not None:
        qs = qs.filter(year=year)
    sums = {
        f"k_{k}": Sum("distributions__amount", filter=Q(distributions__kind=k), default=zero)
        for k in kinds
    }
    rows = (
        qs.annotate(**sums)
        .annotate(
            # One dividend row per household and income (a unique constraint).
            n_households=Count("distributions", filter=Q(distributions__household__isnull=False))
        )
        .order_by("asset__code", "year")
        .values(
            "asset__code",
            "asset__name",
            "asset__village__name",
            "year",
            "amount",
            "n_households",
            *sums,
        )
    )
    return [
        AssetIncomeRow(
            asset_code=r["asset__code"],
            asset_name=r["asset__name"],
            village=r["asset__village__name"],
            year=r["year"],
            income=r["amount"],
            by_kind={k: r[f"k_{k}"] for k in kinds},
            households=r["n_households"],
        )
        for r in rows
    ]
