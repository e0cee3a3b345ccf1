from django.apps import AppConfig


class DivisionsConfig(AppConfig):
    name = "fupin.divisions"
    label = "divisions"
    verbose_name = "行政区划"
