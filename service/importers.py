"""The `tickets` import kind: `import_csv tickets FILE` or /imports/ (docs/imports.md).

Columns: customer (code), type, channel, opened_at, status, owner, summary. `status` is "open",
"closed" or the name of a step of the customer's flow (either language of a bilingual name);
`owner` is the ticket's assignee (a customer service username). A row with the same customer,
opening time and summary as an existing ticket is left alone, so a file can be imported twice.
A ticket imported closed gets its opening time as its closing time (the file has no other).
"""

from __future__ import annotations

import secrets
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history

from crm.interchange import (
    CREATE,
    UNCHANGED,
    ChoiceColumn,
    Column,
    DateTimeColumn,
    Importer,
    Row,
    register,
)
from customers.models import Customer
from service import selectors
from service.models import FlowStep, ServiceFlow, ServiceSettings, Ticket, TicketEvent
from service.permissions import can_open_tickets


@register
class TicketImporter(Importer):
    kind = "tickets"
    label = gettext_lazy("tickets")
    model = Ticket
    key = ("customer", "opened_at", "summary")
    columns = (
        Column("customer", ("客户编号", "客户编码", "客户"), required=True, blank=False,
               example="C2501A1B2C3"),
        ChoiceColumn("type", ("类型", "工单类型"), choices=Ticket.Type,
                     extra={"顾客意见": "complaint", "投诉": "complaint", "咨询": "inquiry",
                            "维修": "repair", "售后": "repair"},
                     example="complaint"),
        ChoiceColumn("channel", ("渠道", "来源"), choices=Ticket.Channel, example="phone"),
        DateTimeColumn("opened_at", ("受理时间", "时间", "创建时间"), required=True, blank=False,
                       example="2025-03-05 14:30"),
        Column("status", ("状态",), example="open",
               help="open, closed, or the name of a step of the flow"),
        Column("owner", ("负责人", "处理人", "客服"), example="service.bai"),
        Column("summary", ("摘要", "问题", "内容"), required=True, blank=False,
               example="Machine stops after 10 minutes"),
    )  # fmt: skip

    @classmethod
    def may_import(cls, user: Any) -> bool:
        return can_open_tickets(user)

    def prepare(self, rows: list[Row]) -> None:
        codes = sorted({row.get("customer") for row in rows if row.get("customer")})
        self.customers: dict[str, Customer] = {}
        for batch in self.batches(codes):
            for customer in self.visible(Customer.objects.filter(code__in=batch)):
                self.customers[customer.code] = customer
        names = sorted({row.get("owner") for row in rows if row.get("owner")})
        self.staff = {u.username: u for u in selectors.service_staff().filter(username__in=names)}
        self.flows = {
            f.kind: f
            for f in ServiceFlow.objects.filter(is_active=True).order_by("-is_default", "-pk")
        }
        self.steps: dict[int, list[FlowStep]] = {}
        for step in FlowStep.objects.filter(flow__in=self.flows.values()).order_by("position"):
            self.steps.setdefault(step.flow_id, []).append(step)
        self.existing = set()
        ids = sorted(c.pk for c in self.customers.values())
        for batch in self.batches(ids):
            self.existing |= set(
                Ticket.objects.filter(customer_id__in=batch).values_list(
                    "customer_id", "opened_at", "summary"
                )
            )
        self.settings = ServiceSettings.current()
        self.to_create: list[Ticket] = []

    def _step(self, flow: ServiceFlow, status: str, row: Row) -> FlowStep | None:
        steps = self.steps.get(flow.pk, [])
        if not steps:
            row.error("status", _("The flow %(flow)s has no steps.") % {"flow": flow})
            return None
        wanted = (status or "open").strip().casefold()
        if wanted == "open":
            return steps[0]
        if wanted == "closed":
            return next((s for s in steps if s.is_final), steps[-1])
        for step in steps:
            names = {step.name.casefold(), *(p.casefold() for p in step.name.split(" ", 1))}
            if wanted in names:
                return step
        row.error(
            "status",
            _("Unknown status “%(status)s”: open, closed or one of %(steps)s.")
            % {"status": status, "steps": ", ".join(s.name for s in steps)},
        )
        return None

    def check(self, row: Row) -> str:
        customer = self.customers.get(row.get("customer"))
        if customer is None:
            row.error(
                "customer",
                _("Unknown customer code “%(code)s”.") % {"code": row.get("customer")},
            )
        assignee = None
        if row.get("owner"):
            assignee = self.staff.get(row.get("owner"))
            if assignee is None:
                row.error(
                    "owner",
                    _("“%(username)s” is not a customer service user.")
                    % {"username": row.get("owner")},
                )
        opened_at = row.get("opened_at")
        if opened_at and opened_at > timezone.now():
            row.error("opened_at", _("A ticket cannot be opened in the future."))
        if customer is None:
            return UNCHANGED
        flow = self.flows.get(ServiceFlow.kind_for_customer(customer))
        if flow is None:
            row.error("customer", _("No active service flow for this kind of customer."))
            return UNCHANGED
        step = self._step(flow, row.get("status") or "", row)
        if row.errors or step is None:
            return UNCHANGED
        summary = row.get("summary")
        if (customer.pk, opened_at, summary) in self.existing:
            return UNCHANGED
        ticket = Ticket(
            number=f"T{opened_at:%y%m}{secrets.token_hex(3).upper()}",
            customer=customer,
            type=row.get("type") or Ticket.Type.INQUIRY,
            channel=row.get("channel") or Ticket.Channel.PHONE,
            summary=summary,
            flow=flow,
            step=step,
            assignee=assignee,
            customer_owner_id=customer.owner_id,
            opened_at=opened_at,
            due_at=self.settings.due_at(Ticket.Priority.NORMAL, opened_at),
            closed_at=opened_at if step.is_final else None,
            created_by=self.user,
        )
        self.clean_fields(ticket, row)
        if row.errors:
            return UNCHANGED
        self.existing.add((customer.pk, opened_at, summary))
        self.to_create.append(ticket)
        return CREATE

    def write(self) -> None:
        created = bulk_create_with_history(
            self.to_create,
            Ticket,
            batch_size=self.batch_size,
            default_user=self.user,
            default_change_reason=self.change_reason,
        )
        if created and created[0].pk is None:  # backends that return no ids: read them back
            numbers = [t.number for t in self.to_create]
            created = list(Ticket.objects.filter(number__in=numbers))
        TicketEvent.objects.bulk_create(
            [
                TicketEvent(
                    ticket=t,
                    kind=TicketEvent.Kind.OPENED,
                    to_step=t.step,
                    note=_("Imported"),
                    by=self.user,
                    at=t.opened_at,
                )
                for t in created
            ],
            batch_size=self.batch_size,
        )

    def export_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("customer", "step", "assignee")

    def export_row(self, obj: Ticket) -> dict[str, Any]:
        return {
            "customer": obj.customer.code,
            "type": obj.type,
            "channel": obj.channel,
            "opened_at": obj.opened_at,
            "status": obj.step.name,
            "owner": obj.assignee.username if obj.assignee else "",
            "summary": obj.summary,
        }
