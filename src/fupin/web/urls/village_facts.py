"""URLs of the village facts (村情) pages (included by ``fupin.web.urls`` in ``web``)."""

from django.urls import path

from fupin.web.views import village_facts

urlpatterns = [
    path("villages/facts/", village_facts.village_facts_list, name="village_facts_list"),
    path("villages/facts/import/", village_facts.village_facts_import, name="village_facts_import"),
    path(
        "villages/facts/template.xlsx",
        village_facts.village_facts_template,
        name="village_facts_template",
    ),
    path("villages/<str:code>/facts/", village_facts.village_facts_edit, name="village_facts_edit"),
    path(
        "counties/<str:code>/statistics/",
        village_facts.county_statistics_edit,
        name="county_statistics_edit",
    ),
]
