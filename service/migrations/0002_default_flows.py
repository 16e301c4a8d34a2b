"""The default service flows (admins may rename, reorder or add steps afterwards):
ToB: received > assigned > on site > resolved > confirmed by customer;
ToC: received > resolved > closed. Step names are stored in Chinese and English."""

from django.db import migrations

FLOWS = [
    (
        "tob",
        "企业客户服务流程 (ToB)",
        [
            # name, is_final, needs_assignee, needs_resolution, needs_customer_confirmation
            ("已受理 Received", False, False, False, False),
            ("已派单 Assigned", False, True, False, False),
            ("上门服务 On site", False, True, False, False),
            ("已解决 Resolved", False, True, True, False),
            ("客户确认 Confirmed by customer", True, False, False, True),
        ],
    ),
    (
        "toc",
        "个人客户服务流程 (ToC)",
        [
            ("已受理 Received", False, False, False, False),
            ("已解决 Resolved", False, False, True, False),
            ("已关闭 Closed", True, False, False, False),
        ],
    ),
]


def create(apps, schema_editor):
    ServiceFlow = apps.get_model("service", "ServiceFlow")
    FlowStep = apps.get_model("service", "FlowStep")
    ServiceSettings = apps.get_model("service", "ServiceSettings")
    for kind, name, steps in FLOWS:
        if ServiceFlow.objects.filter(kind=kind).exists():
            continue
        flow = ServiceFlow.objects.create(kind=kind, name=name, is_default=True)
        for position, (step, final, assignee, resolution, confirmation) in enumerate(steps, 1):
            FlowStep.objects.create(
                flow=flow,
                position=position,
                name=step,
                is_final=final,
                needs_assignee=assignee,
                needs_resolution=resolution,
                needs_customer_confirmation=confirmation,
            )
    if not ServiceSettings.objects.exists():
        ServiceSettings.objects.create()


def remove(apps, schema_editor):
    ServiceFlow = apps.get_model("service", "ServiceFlow")
    Ticket = apps.get_model("service", "Ticket")
    for kind, name, _steps in FLOWS:
        flow = ServiceFlow.objects.filter(kind=kind, name=name).first()
        if flow is not None and not Ticket.objects.filter(flow=flow).exists():
            flow.steps.all().delete()
            flow.delete()


class Migration(migrations.Migration):
    dependencies = [("service", "0001_initial")]

    operations = [migrations.RunPython(create, remove)]
