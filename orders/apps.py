from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self) -> None:
        # The products, orders, order_lines, receivables, payments and expenses kinds of
        # import/export.
        from customers.sections import register_section
        from orders import importers  # noqa: F401
        from orders.selectors import customer_section

        register_section(
            "orders", "orders/partials/customer_section.html", customer_section, order=30
        )
