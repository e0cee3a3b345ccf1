"""URLs of the household pages (included by ``fupin.web.urls`` in the ``web`` namespace)."""

from django.urls import path

from fupin.web.views import households

urlpatterns = [
    path("households/", households.household_list, name="household_list"),
    path("households/new/", households.household_new, name="household_new"),
    path("households/<str:code>/", households.household_detail, name="household_detail"),
    path("households/<str:code>/members/new/", households.member_add_view, name="member_add"),
    path("households/<str:code>/income/", households.income_record_view, name="income_record"),
    path(
        "households/<str:code>/conditions/",
        households.conditions_update_view,
        name="conditions_update",
    ),
    path("id/check/", households.id_check, name="id_check"),
]
