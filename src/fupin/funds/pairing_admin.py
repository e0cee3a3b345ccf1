"""Django admin of the pairings (结对帮扶): browsing and small corrections by administrators.

Writes that carry rules (a pairing, targets, achievements, fund links) go through
:mod:`fupin.funds.pairing_services`; the admin lists the rows scoped to the helped division.
To be imported by ``fupin.funds.admin`` (one line, like ``asset_admin``).
"""

from __future__ import annotations

from django.contrib import admin

from fupin.accounts.scoping import ScopedModelAdmin
from fupin.funds.models import (
    Partnership,
    PartnershipAchievement,
    PartnershipFund,
    PartnershipTarget,
)


@admin.register(Partnership)
class PartnershipAdmin(ScopedModelAdmin[Partnership]):
    scope_field = "helped__code"
    list_display = ("helper_name", "kind", "helped", "from_year", "to_year", "agreement")
    list_filter = ("kind",)
    search_fields = ("helper_name", "agreement")
    raw_id_fields = ("helper", "helped")
    list_select_related = ("helped",)


@admin.register(PartnershipTarget)
class PartnershipTargetAdmin(ScopedModelAdmin[PartnershipTarget]):
    scope_field = "partnership__helped__code"
    list_display = ("partnership", "year", "indicator", "target")
    list_filter = ("year", "indicator")
    list_select_related = ("partnership",)
    raw_id_fields = ("partnership",)


@admin.register(PartnershipAchievement)
class PartnershipAchievementAdmin(ScopedModelAdmin[PartnershipAchievement]):
    scope_field = "partnership__helped__code"
    list_display = ("partnership", "year", "indicator", "value", "recorded_on")
    list_filter = ("year", "indicator")
    list_select_related = ("partnership",)
    raw_id_fields = ("partnership",)


@admin.register(PartnershipFund)
class PartnershipFundAdmin(ScopedModelAdmin[PartnershipFund]):
    scope_field = "partnership__helped__code"
    list_display = ("partnership", "allocation")
    list_select_related = ("partnership", "allocation")
    raw_id_fields = ("partnership", "allocation")
