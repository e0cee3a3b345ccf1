from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "fupin.common"
    label = "common"
    verbose_name = "通用"
