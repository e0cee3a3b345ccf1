from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "fupin.evaluation"
    label = "evaluation"
    verbose_name = "退出评估"
