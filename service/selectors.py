"""Reads of the service app: scoped ticket lists, the ticket page, the customer's section."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from crm.models import Position, User
from crm.scopes import get_visible_or_404
from customers.models import Customer
from service.models import CareMessage, Ticket, TicketEvent
from service.permissions import can_open_tickets

VIEWS = ("queue", "mine", "overdue", "all")


def ticket_list(
    *,
    viewer: User,
    view: str = "all",
    status: str = "",
    type: str = "",
    priority: str = "",
    search: str = "",
) -> QuerySet[Ticket]:
    """The tickets `viewer` may see, in one of the service views: the queue (open, nobody
    assigned, oldest first), mine (open, assigned to me, soonest due first), overdue (open, past
    due) or all (newest first)."""
    qs = Ticket.objects.visible_to(viewer, bulk=True).select_related(
        "customer", "step", "assignee", "contact"
    )
    if view == "queue":
        qs = qs.open().filter(assignee__isnull=True).order_by("opened_at", "id")
    elif view == "mine":
        qs = qs.open().filter(assignee=viewer).order_by("due_at", "id")
    elif view == "overdue":
        qs = qs.overdue().order_by("due_at", "id")
    else:
        qs = qs.order_by("-opened_at", "-id")
        if status == "open":
            qs = qs.open()
        elif status == "closed":
            qs = qs.filter(closed_at__isnull=False)
    if type:
        qs = qs.filter(type=type)
    if priority:
        qs = qs.filter(priority=priority)
    search = search.strip()
    if search:
        qs = qs.filter(
            Q(number__iexact=search)
            | Q(summary__icontains=search)
            | Q(customer__name__icontains=search)
            | Q(customer__code__iexact=search)
        )
    return qs


def ticket_counts(*, viewer: User) -> dict[str, int]:
    """Open tickets per view, for the tabs: one aggregate query."""
    now = timezone.now()
    return (
        Ticket.objects.visible_to(viewer, bulk=True)
        .open()
        .aggregate(
            queue=Count("pk", filter=Q(assignee__isnull=True)),
            mine=Count("pk", filter=Q(assignee=viewer)),
            overdue=Count("pk", filter=Q(due_at__lt=now)),
        )
    )


def ticket_for_detail(*, viewer: User, pk: int) -> Ticket:
    qs = Ticket.objects.select_related(
        "customer", "customer__owner", "contact", "flow", "step", "assignee", "customer_owner",
        "created_by",
    )  # fmt: skip
    return get_visible_or_404(qs, viewer, pk=pk)


def ticket_events(*, ticket: Ticket) -> QuerySet[TicketEvent]:
    return ticket.events.select_related("from_step", "to_step", "assignee", "by").order_by(
        "at", "id"
    )


def service_staff() -> QuerySet[User]:
    """Who tickets can be assigned to: active customer service staff."""
    return User.objects.filter(
        is_active=True, position__kind=Position.Kind.CUSTOMER_SERVICE
    ).order_by("first_name", "last_name", "username")


def customer_section(customer: Customer, viewer: User) -> dict:
    """The tickets section of the customer page (customers.sections): the latest tickets the
    viewer may see and the number still open. Two queries."""
    visible = Ticket.objects.visible_to(viewer).filter(customer=customer)
    tickets = list(visible.select_related("step", "assignee").order_by("-opened_at", "-id")[:10])
    counts = visible.aggregate(
        total=Count("pk"), open=Count("pk", filter=Q(closed_at__isnull=True))
    )
    return {
        "tickets": tickets,
        "ticket_total": counts["total"],
        "ticket_open": counts["open"],
        "can_open_ticket": can_open_tickets(viewer),
        "now": timezone.now(),
    }


def care_message_list(*, status: str = "", rule_id: int | None = None) -> QuerySet[CareMessage]:
    qs = CareMessage.objects.select_related("rule", "customer", "contact").order_by(
        "-created_at", "-id"
    )
    if status:
        qs = qs.filter(status=status)
    if rule_id:
        qs = qs.filter(rule_id=rule_id)
    return qs


def complaints_by_owner(
    *, start: dt.datetime, end: dt.datetime, user_ids: list[int] | None = None
) -> dict[int, int]:
    """Complaint tickets opened in [start, end) per rep who owned the customer when each was
    opened (the complaint_rate KPI's numerator, shared/KPIS.md): one grouped query on the
    index (customer_owner, type, opened_at)."""
    qs = Ticket.objects.filter(
        type=Ticket.Type.COMPLAINT,
        customer_owner__isnull=False,
        opened_at__gte=start,
        opened_at__lt=end,
    )
    if user_ids is not None:
        qs = qs.filter(customer_owner__in=user_ids)
    rows = qs.values("customer_owner").annotate(n=Count("pk")).order_by()
    return {row["customer_owner"]: row["n"] for row in rows}
