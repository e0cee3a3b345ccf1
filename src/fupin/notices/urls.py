"""Public notice URLs (no sign-in): the list, each notice, its PDF, objections."""

from django.urls import path

from fupin.notices import views

app_name = "notices"

urlpatterns = [
    path("", views.notice_list, name="list"),
    path("<int:notice_id>/", views.notice_detail, name="detail"),
    path("<int:notice_id>.pdf", views.notice_pdf_view, name="pdf"),
    path("<int:notice_id>/objections/", views.objection_create, name="objection_create"),
    path(
        "<int:notice_id>/objections/received/",
        views.objection_received,
        name="objection_received",
    ),
]
