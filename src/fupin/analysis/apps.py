from django.apps import AppConfig


class AnalysisConfig(AppConfig):
    name = "fupin.analysis"
    label = "analysis"
    verbose_name = "深度贫困与贫困指数"
