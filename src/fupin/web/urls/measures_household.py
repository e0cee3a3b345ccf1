"""URLs of a household's assistance pages (included by ``fupin.web.urls`` in the ``web``
namespace): record a measure, record a visit on a phone."""

from django.urls import path

from fupin.web.views import measures_household

urlpatterns = [
    path(
        "households/<str:code>/measures/new/",
        measures_household.measure_new,
        name="measure_new",
    ),
    path("measures/visits/new/", measures_household.visit_new, name="visit_new"),
]
