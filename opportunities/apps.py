from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpportunitiesConfig(AppConfig):
    name = "opportunities"
    verbose_name = _("Opportunities")

    def ready(self) -> None:
        from customers.sections import register_section
        from opportunities import importers  # noqa: F401  (registers the "opportunities" kind)
        from opportunities.selectors import customer_opportunities
        from opportunities.services import register_handover_step

        register_handover_step()  # a leaving rep's open deals move with their customers

        register_section(
            "opportunities",
            "opportunities/partials/customer_opportunities.html",
            customer_opportunities,
            order=10,
        )
