from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_periodic_tasks(sender, **kwargs) -> None:
    from crm.services import periodic_tasks_ensure

    periodic_tasks_ensure()


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("Organisation")

    def ready(self) -> None:
        # After the last app has migrated (django_celery_beat's tables exist by then).
        post_migrate.connect(_ensure_periodic_tasks, sender=self, dispatch_uid="crm-periodic-tasks")
        # Registers the `users` kind of import/export (crm/interchange).
        from crm import importers  # noqa: F401
