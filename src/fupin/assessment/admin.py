"""Admin views of assessment runs and results, limited to the user's division."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from fupin.accounts.scoping import ScopedModelAdmin
from fupin.assessment.models import AssessmentResult, AssessmentRun


class ReadOnly:
    """Results are written by assessment runs only."""

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(AssessmentRun)
class AssessmentRunAdmin(ReadOnly, ScopedModelAdmin[AssessmentRun]):
    scope_field = "division__code"
    list_display = (
        "started_at",
        "division",
        "year",
        "rule_set",
        "rule_set_version",
        "engine",
        "household_count",
        "meets_count",
    )
    list_filter = ("year", "rule_set", "engine")
    raw_id_fields = ("division",)


@admin.register(AssessmentResult)
class AssessmentResultAdmin(ReadOnly, ScopedModelAdmin[AssessmentResult]):
    scope_field = "household__village__code"
    list_display = (
        "household",
        "year",
        "meets_standard",
        "per_capita_net_income",
        "poverty_line",
        "failed_codes",
    )
    list_filter = ("year", "meets_standard", "income_above_line")
    search_fields = ("=household__code",)
    raw_id_fields = ("household", "run")
    list_select_related = ("household",)
    show_full_result_count = False
