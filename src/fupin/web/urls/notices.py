"""The cadres' notice pages, under /notices/manage/ (signed in; the public ones are
``fupin.notices.urls``)."""

from django.urls import path

from fupin.notices import manage

urlpatterns = [
    path("notices/manage/", manage.notice_list, name="notice_list"),
    path("notices/manage/new/", manage.notice_new, name="notice_new"),
    path("notices/manage/<int:notice_id>/", manage.notice_manage, name="notice_manage"),
    path(
        "notices/manage/<int:notice_id>/withdraw/",
        manage.notice_withdraw_view,
        name="notice_withdraw",
    ),
    path(
        "notices/manage/objections/<int:objection_id>/resolve/",
        manage.objection_resolve_view,
        name="objection_resolve",
    ),
]
