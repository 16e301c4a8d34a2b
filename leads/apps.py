from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LeadsConfig(AppConfig):
    name = "leads"
    verbose_name = _("Leads")

    def ready(self) -> None:
        # Registers the `leads` kind of import/export.
        from leads import importers  # noqa: F401
        from leads.services import register_handover_step

        register_handover_step()  # a leaving rep's open leads move with their customers
