"""URLs of the exit evaluation pages (included by ``fupin.web.urls`` in the ``web`` namespace)."""

from django.urls import path

from fupin.web.views import evaluation

urlpatterns = [
    path("evaluation/", evaluation.evaluation_home, name="evaluation_home"),
    path(
        "evaluation/villages/run/",
        evaluation.evaluation_villages_run,
        name="evaluation_villages_run",
    ),
    path(
        "evaluation/county/start/",
        evaluation.evaluation_county_start,
        name="evaluation_county_start",
    ),
    path(
        "evaluation/county/<int:evaluation_id>/",
        evaluation.evaluation_county,
        name="evaluation_county",
    ),
    path(
        "evaluation/county/<int:evaluation_id>/decide/",
        evaluation.evaluation_county_decide,
        name="evaluation_county_decide",
    ),
    path(
        "evaluation/samples/<int:sample_id>/verify/",
        evaluation.evaluation_sample_verify,
        name="evaluation_sample_verify",
    ),
]
