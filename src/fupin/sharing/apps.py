from django.apps import AppConfig


class SharingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "fupin.sharing"
    verbose_name = "部门数据共享与比对"
