"""URLs of department data sharing (included by ``fupin.web.urls`` in the ``web`` namespace)."""

from django.urls import path

from fupin.sharing import views

urlpatterns = [
    path("sharing/", views.sharing_home, name="sharing_home"),
    path("sharing/tasks/", views.sharing_tasks, name="sharing_tasks"),
    path("sharing/flags/<int:pk>/resolve/", views.flag_resolve_view, name="sharing_resolve"),
    path("sharing/burden/", views.sharing_burden, name="sharing_burden"),
]
