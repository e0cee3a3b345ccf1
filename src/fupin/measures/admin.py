"""Django admin for precise measures: browsing and small corrections by administrators.

Writes that carry rules (a measure, a pairing, a visit) go through the services, the pages,
the imports and the API; the admin lists them scoped to the user's division, with raw ids for
the large tables.
"""

from __future__ import annotations

from django.contrib import admin

from fupin.accounts.scoping import ScopedModelAdmin
from fupin.measures.models import Cadre, Measure, Pairing, TeamMember, Visit, WorkTeam


@admin.register(Cadre)
class CadreAdmin(ScopedModelAdmin[Cadre]):
    scope_field = "county__code"
    list_display = ("name", "unit", "post", "county", "active")
    list_filter = ("active",)
    search_fields = ("name", "unit")
    raw_id_fields = ("county", "user")


@admin.register(Pairing)
class PairingAdmin(ScopedModelAdmin[Pairing]):
    scope_field = "household__village__code"
    list_display = ("household", "cadre", "order", "start", "end", "last_visit")
    raw_id_fields = ("household", "cadre")


@admin.register(Visit)
class VisitAdmin(ScopedModelAdmin[Visit]):
    scope_field = "household__village__code"
    list_display = ("household", "cadre", "date", "content")
    raw_id_fields = ("household", "cadre")
    date_hierarchy = "date"


@admin.register(Measure)
class MeasureAdmin(ScopedModelAdmin[Measure]):
    scope_field = "household__village__code"
    list_display = ("household", "year", "category", "subtype", "amount", "status", "source")
    list_filter = ("category", "status", "source")
    raw_id_fields = ("household", "member", "cadre")


class TeamMemberInline(admin.TabularInline[TeamMember, WorkTeam]):
    model = TeamMember
    extra = 0
    fields = ("name", "role", "unit", "post", "start", "end")


@admin.register(WorkTeam)
class WorkTeamAdmin(ScopedModelAdmin[WorkTeam]):
    scope_field = "village__code"
    list_display = ("village", "sending_unit", "start", "end")
    raw_id_fields = ("village",)
    inlines = (TeamMemberInline,)
