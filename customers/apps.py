from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        # Registers the customers, contacts and activities kinds of import/export.
        from customers import importers  # noqa: F401
