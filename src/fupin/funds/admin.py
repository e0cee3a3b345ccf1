"""Django admin for projects and funds: browsing and small corrections by administrators.

Writes that carry rules (an allocation, a transition, a payment) go through the services; the
admin lists the rows scoped to the user's division, with raw ids for the large tables.
"""

from __future__ import annotations

from django.contrib import admin

from fupin.accounts.scoping import ScopedModelAdmin

# The asset and pairing models register their admin pages in their own modules.
from fupin.funds import asset_admin, pairing_admin
from fupin.funds.models import FundAllocation, Payment, Project, ProjectFunding

__all__ = ["asset_admin", "pairing_admin"]


@admin.register(FundAllocation)
class FundAllocationAdmin(ScopedModelAdmin[FundAllocation]):
    scope_field = "to_division__code"
    list_display = ("year", "source_fund", "from_division", "to_division", "amount", "allocated_on")
    list_filter = ("source_fund", "year")
    raw_id_fields = ("from_division", "to_division")


@admin.register(Project)
class ProjectAdmin(ScopedModelAdmin[Project]):
    scope_field = "division__code"
    list_display = ("code", "name", "project_type", "division", "status", "budget")
    list_filter = ("project_type", "status")
    search_fields = ("code", "name")
    raw_id_fields = ("division", "villages")


@admin.register(ProjectFunding)
class ProjectFundingAdmin(ScopedModelAdmin[ProjectFunding]):
    scope_field = "project__division__code"
    list_display = ("project", "source_fund", "holder", "year", "amount", "assigned_on")
    raw_id_fields = ("project", "holder")


@admin.register(Payment)
class PaymentAdmin(ScopedModelAdmin[Payment]):
    scope_field = "project__division__code"
    list_display = ("project", "paid_on", "amount", "payee_kind", "payee", "household", "item")
    list_filter = ("payee_kind", "source_fund")
    raw_id_fields = ("project", "village", "household")
    date_hierarchy = "paid_on"
