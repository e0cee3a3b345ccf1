"""Admin for divisions: browse and search the loaded codes; they change only by loading."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from fupin.divisions.models import Division


@admin.register(Division)
class DivisionAdmin(admin.ModelAdmin[Division]):
    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    # "^code" is a prefix search: typing 5134 finds the prefecture and all below it.
    search_fields = ("^code", "name")
    ordering = ("code",)
    list_select_related = ("parent",)
    raw_id_fields = ("parent",)
    readonly_fields = ("code", "name", "level", "parent")
    list_per_page = 50
    # Counting 665k rows on every page view is wasted work on SQLite.
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Division | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Division | None = None) -> bool:
        return False
