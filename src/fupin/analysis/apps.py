from django.apps import AppConfig


class AnalysisConfig(AppConfig):
    name = "fupin.analysis"
    label = "analysis"
    verbose_name = "深度贫困与贫困指数"

    def ready(self) -> None:
        # The deep-poverty table joins the statistical tables' catalogue.
        from fupin.analysis import tables  # noqa: F401
