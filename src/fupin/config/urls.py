"""URL configuration: the Django admin and the API; the pages come with the web issue."""

from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

from fupin.api.v1 import api

admin.site.site_header = "扶贫 · 精准扶贫信息系统"
admin.site.site_title = "扶贫"
admin.site.index_title = "管理"

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
