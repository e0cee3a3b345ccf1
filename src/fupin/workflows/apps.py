from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "fupin.workflows"
    label = "workflows"
    verbose_name = "识别与退出程序"
    default_auto_field = "django.db.models.BigAutoField"
