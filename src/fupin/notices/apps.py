from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "fupin.notices"
    label = "notices"
    verbose_name = "公示公告"
