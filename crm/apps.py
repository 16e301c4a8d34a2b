from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_periodic_tasks(sender, **kwargs) -> None:
    from crm.services import periodic_tasks_ensure

    periodic_tasks_ensure()


def _record_last_login(sender, user, **kwargs) -> None:
    """Django's update_last_login saves the user, and every save writes a history row: one per
    login, burying real changes. An UPDATE of the one column writes no history."""
    from django.utils import timezone

    user.last_login = timezone.now()
    type(user)._default_manager.filter(pk=user.pk).update(last_login=user.last_login)


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("Organisation")

    def ready(self) -> None:
        # After the last app has migrated (django_celery_beat's tables exist by then).
        post_migrate.connect(_ensure_periodic_tasks, sender=self, dispatch_uid="crm-periodic-tasks")
        from django.contrib.auth.models import update_last_login
        from django.contrib.auth.signals import user_logged_in

        # (django.contrib.auth, listed before this app, has connected its own by now.)
        user_logged_in.disconnect(update_last_login, dispatch_uid="update_last_login")
        user_logged_in.connect(_record_last_login, dispatch_uid="crm-last-login")
        # Registers the `users` kind of import/export (crm/interchange).
        from crm import importers  # noqa: F401
