"""Excel in and out: the import template, upload jobs, error reports, the household export."""

from django.urls import path

from fupin.web.views import imports

urlpatterns = [
    path("imports/", imports.import_upload, name="import_upload"),
    path("imports/template.xlsx", imports.import_template, name="import_template"),
    path("imports/<int:job_id>/", imports.import_job, name="import_job"),
    path("imports/<int:job_id>/commit/", imports.import_commit, name="import_commit"),
    path("imports/<int:job_id>/errors.xlsx", imports.import_errors, name="import_errors"),
    path("households/export.xlsx", imports.household_export, name="household_export"),
]
