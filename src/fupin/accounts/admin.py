from django.contrib import admin

from fupin.accounts.models import Profile


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin[Profile]):
    list_display = ("user", "role", "division")
    list_filter = ("role",)
    raw_id_fields = ("division",)
