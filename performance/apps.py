from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PerformanceConfig(AppConfig):
    name = "performance"
    verbose_name = _("Performance")

    def ready(self) -> None:
        from performance import metrics  # noqa: F401  (registers the KPI metrics)
        from performance.plans import importers  # noqa: F401  (the "plans" import kind)
