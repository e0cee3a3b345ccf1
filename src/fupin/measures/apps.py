from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    name = "fupin.measures"
    label = "measures"
    verbose_name = "精准施策（帮扶措施、结对帮扶、驻村工作队）"
