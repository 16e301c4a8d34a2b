"""The seven positions and their default data scopes (admins can change the scopes later)."""

from django.db import migrations

DEFAULTS = {
    # kind: (may see, may change)
    "sales_rep": ("own", "own"),
    "regional_manager": ("team", "team"),
    "sales_planner": ("all", "none"),
    "sales_vp": ("all", "all"),
    "hr": ("all", "none"),
    "customer_service": ("all", "own"),
    "admin": ("all", "all"),
}


def create_positions(apps, schema_editor):
    Position = apps.get_model("crm", "Position")
    for kind, (view_scope, edit_scope) in DEFAULTS.items():
        Position.objects.get_or_create(
            kind=kind, defaults={"view_scope": view_scope, "edit_scope": edit_scope}
        )


def delete_positions(apps, schema_editor):
    Position = apps.get_model("crm", "Position")
    Position.objects.filter(kind__in=DEFAULTS, users__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("crm", "0001_initial")]

    operations = [migrations.RunPython(create_positions, delete_positions)]
