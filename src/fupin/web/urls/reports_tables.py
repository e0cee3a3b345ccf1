"""URLs of the statistical tables (included by ``fupin.web.urls``, ``web`` namespace)."""

from django.urls import path

from fupin.web.views import reports_tables

urlpatterns = [
    path("reports/tables/", reports_tables.table_list_page, name="reports_table_list"),
    path("reports/tables/<slug:name>/", reports_tables.table_page, name="reports_table"),
    path(
        "reports/tables/<slug:name>.xlsx",
        reports_tables.table_xlsx_download,
        name="reports_table_xlsx",
    ),
    path(
        "reports/tables/<slug:name>.csv",
        reports_tables.table_csv_download,
        name="reports_table_csv",
    ),
]
