"""URLs of the household procedures' pages (识别与退出), in the ``web`` namespace."""

from django.urls import path

from fupin.web.views import workflows

urlpatterns = [
    path("workflows/", workflows.workflow_home, name="workflow_home"),
    path("workflows/bulk/", workflows.workflow_bulk, name="workflow_bulk"),
    path("workflows/cases/<int:case_id>/", workflows.case_detail, name="case_detail"),
    path("workflows/cases/<int:case_id>/act/", workflows.case_act, name="case_act"),
    path(
        "workflows/cases/<int:case_id>/objections/",
        workflows.case_objection_raise,
        name="case_objection_raise",
    ),
    path(
        "workflows/objections/<int:wf_objection_id>/resolve/",
        workflows.case_objection_resolve,
        name="case_objection_resolve",
    ),
    path("workflows/open/<str:code>/", workflows.case_open_view, name="case_open"),
    path(
        "workflows/cases/<int:case_id>/steps/<int:step_id>/<str:kind>/",
        workflows.step_file,
        name="step_file",
    ),
]
