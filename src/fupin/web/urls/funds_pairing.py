"""URLs of the pairing pages (结对帮扶; included by ``fupin.web.urls``, ``web`` namespace): the
list, the home panel, a pairing's page and its two forms."""

from django.urls import path

from fupin.web.views import funds_pairing as v

urlpatterns = [
    path("funds/pairings/", v.pairing_list, name="funds_pairings"),
    path("funds/pairings/panel/", v.home_panel, name="funds_pairings_panel"),
    path("funds/pairings/<int:partnership_id>/", v.pairing_detail, name="funds_pairing"),
    path(
        "funds/pairings/<int:partnership_id>/targets/",
        v.pairing_targets,
        name="funds_pairing_targets",
    ),
    path(
        "funds/pairings/<int:partnership_id>/achievements/",
        v.pairing_achievement,
        name="funds_pairing_achievement",
    ),
]
