"""URL of the what-if poverty line page (included by ``fupin.web.urls``, ``web`` namespace)."""

from django.urls import path

from fupin.web.views import analysis_whatif

urlpatterns = [
    path("analysis/whatif/", analysis_whatif.whatif_page, name="analysis_whatif"),
]
