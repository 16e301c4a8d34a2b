"""The home page's "your work" cards: one aggregate query per card, over the signed-in person's
own records (what they must act on), whatever their data scope."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

MONEY = DecimalField(max_digits=18, decimal_places=2)


def my_work(user) -> dict:
    from leads.models import Lead
    from opportunities.models import Opportunity
    from orders.models import Receivable
    from service.models import Ticket

    today = timezone.localdate()
    pipeline = Opportunity.objects.filter(owner=user, status=Opportunity.Status.OPEN).aggregate(
        count=Count("pk"),
        weighted=Coalesce(
            Sum(ExpressionWrapper(F("amount") * F("stage__probability") / 100, output_field=MONEY)),
            Value(Decimal("0.00")),
            output_field=MONEY,
        ),
    )
    overdue = (
        Receivable.objects.filter(owner=user, due_date__lt=today)
        .exclude(status=Receivable.Status.PAID)
        .aggregate(
            count=Count("pk"),
            amount=Coalesce(
                Sum(F("amount") - F("paid_amount"), output_field=MONEY),
                Value(Decimal("0.00")),
                output_field=MONEY,
            ),
        )
    )
    return {
        "new_leads": Lead.objects.filter(owner=user, status=Lead.Status.NEW).count(),
        "open_opportunities": pipeline["count"],
        "weighted_pipeline": pipeline["weighted"].quantize(Decimal("0.01")),
        "overdue_receivables": overdue["count"],
        "overdue_amount": overdue["amount"],
        "my_open_tickets": Ticket.objects.filter(assignee=user, closed_at__isnull=True).count(),
    }
