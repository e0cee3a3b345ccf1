"""URL configuration: the pages, the Django admin, the API and language switching."""

from django.contrib import admin
from django.urls import include, path

from fupin.api.v1 import api

admin.site.site_header = "扶贫 · 精准扶贫信息系统"
admin.site.site_title = "扶贫"
admin.site.index_title = "管理"

urlpatterns = [
    path("", include("fupin.web.urls")),
    path("notices/", include("fupin.notices.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("dci/", include("fupin.dci.urls")),
]
