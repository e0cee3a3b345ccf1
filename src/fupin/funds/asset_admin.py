"""Django admin of assets and asset income: browsing and small corrections by administrators.

Writes that carry rules (shares, income, distribution) go through
:mod:`fupin.funds.asset_services`; the admin lists the rows scoped to the user's division.
Imported by ``fupin.funds.admin``.
"""

from __future__ import annotations

from django.contrib import admin

from fupin.accounts.scoping import ScopedModelAdmin
from fupin.funds.models import Asset, AssetIncome, AssetShare, Distribution


@admin.register(Asset)
class AssetAdmin(ScopedModelAdmin[Asset]):
    scope_field = "village__code"
    list_display = ("code", "name", "asset_type", "owner_kind", "village", "value", "formed_on")
    list_filter = ("asset_type", "owner_kind", "asset_class")
    search_fields = ("code", "name")
    raw_id_fields = ("project", "village")
    list_select_related = ("village",)


@admin.register(AssetShare)
class AssetShareAdmin(ScopedModelAdmin[AssetShare]):
    scope_field = "asset__village__code"
    list_display = ("asset", "household", "shares", "from_year", "to_year")
    list_select_related = ("asset", "household")
    raw_id_fields = ("asset", "household")
    search_fields = ("asset__code", "household__code")


@admin.register(AssetIncome)
class AssetIncomeAdmin(ScopedModelAdmin[AssetIncome]):
    scope_field = "asset__village__code"
    list_display = ("asset", "year", "amount", "received_on")
    list_filter = ("year",)
    list_select_related = ("asset",)
    raw_id_fields = ("asset",)


@admin.register(Distribution)
class DistributionAdmin(ScopedModelAdmin[Distribution]):
    scope_field = "income__asset__village__code"
    list_display = ("asset_name", "year", "kind", "amount", "household", "note")
    list_select_related = ("income__asset", "household")
    list_filter = ("kind", "year")
    raw_id_fields = ("income", "household")

    @admin.display(description="资产", ordering="income__asset__code")
    def asset_name(self, obj: Distribution) -> str:
        return f"{obj.income.asset.code} {obj.income.asset.name}"
