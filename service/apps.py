from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "service"
    verbose_name = _("Customer service and care")

    def ready(self) -> None:
        from customers.sections import register_section
        from service import importers  # noqa: F401 (registers the `tickets` import kind)
        from service.selectors import customer_section

        register_section(
            "tickets", "service/partials/customer_tickets.html", customer_section, order=60
        )
