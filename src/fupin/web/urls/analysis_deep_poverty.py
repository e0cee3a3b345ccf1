"""URLs of the deep-poverty pages (included by ``fupin.web.urls``, ``web`` namespace)."""

from django.urls import path

from fupin.web.views import analysis_deep_poverty as v

urlpatterns = [
    path("analysis/deep-poverty/", v.deep_poverty_page, name="analysis_deep_poverty"),
    path("analysis/deep-poverty/designate/", v.designate, name="analysis_designate"),
    path(
        "analysis/deep-poverty/designations/<int:designation_id>/",
        v.designation_detail,
        name="analysis_designation",
    ),
    path("analysis/deep-poverty/panel/", v.deep_poverty_panel, name="analysis_deep_poverty_panel"),
    path("analysis/maps/<str:code>.json", v.boundary_map, name="analysis_map"),
]
