"""Reads of the leads app: scoped querysets with what their pages need, and the reports."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.utils import timezone

from crm.models import User
from crm.scopes import get_visible_or_404
from leads.filters import LeadFilter
from leads.models import AssignmentLog, AssignmentRule, Lead, LeadSource


def lead_list(*, viewer: User, data, request=None) -> LeadFilter:
    qs = (
        Lead.objects.visible_to(viewer)
        .select_related("owner", "owner__team")
        .order_by("-created_at", "-id")
    )
    return LeadFilter(data, queryset=qs, request=request)


def lead_for_detail(*, viewer: User, pk: int) -> Lead:
    qs = Lead.objects.select_related(
        "owner",
        "owner__team",
        "rule",
        "created_by",
        "converted_customer",
        "converted_contact",
        "api_source",
    )
    return get_visible_or_404(qs, viewer, pk=pk)


def lead_activities(lead: Lead, limit: int = 100) -> list:
    return list(lead.activities.select_related("owner").order_by("-occurred_at", "-id")[:limit])


def lead_assignment_logs(lead: Lead, limit: int = 50) -> list[AssignmentLog]:
    return list(
        lead.assignment_logs.select_related("from_user", "to_user", "rule", "changed_by").order_by(
            "-created_at", "-id"
        )[:limit]
    )


def lead_converted_opportunity(lead: Lead):
    """The opportunity made from this lead (opportunities.Opportunity.source_lead), if any."""
    relation = getattr(lead, "opportunities", None) or getattr(lead, "opportunity_set", None)
    if relation is None:
        return None
    try:
        return relation.order_by("pk").first()
    except Exception:  # the opportunities app has not landed its relation yet
        return None


def queue(*, viewer: User) -> QuerySet[Lead]:
    """The default queue: open new leads nobody owns, oldest first (managers only)."""
    return (
        Lead.objects.visible_to(viewer)
        .filter(owner__isnull=True, status=Lead.Status.NEW)
        .order_by("created_at", "id")
    )


def rules_with_members() -> list[AssignmentRule]:
    return list(AssignmentRule.objects.prefetch_related("members__user").order_by("priority", "pk"))


def lead_sources() -> QuerySet[LeadSource]:
    return LeadSource.objects.select_related("created_by").order_by("-created_at", "-id")


# --- reports -----------------------------------------------------------------------------------


@dataclass
class Reports:
    start: dt.datetime
    end: dt.datetime
    statuses: list[tuple[str, str]]
    by_source: list[dict]  # {"source", "label", "counts": [n per status], "total"}
    status_totals: list[int]
    first_contact: list[dict]  # {"user", "leads", "avg_hours"}
    conversion: list[dict]  # {"label", "total", "converted", "rate"}


def reports(*, viewer: User, start: dt.datetime, end: dt.datetime) -> Reports:
    """Leads created in [start, end) that `viewer` may see, as three aggregate queries."""
    leads = Lead.objects.visible_to(viewer).filter(created_at__gte=start, created_at__lt=end)
    statuses = list(Lead.Status.choices)
    source_labels = dict(Lead.Source.choices)

    grid: dict[str, dict[str, int]] = {}
    for row in leads.values("source", "status").annotate(n=Count("pk")).order_by():
        grid.setdefault(row["source"], {})[row["status"]] = row["n"]
    by_source = [
        {
            "source": source,
            "label": source_labels.get(source, source),
            "counts": [grid[source].get(s, 0) for s, _label in statuses],
            "total": sum(grid[source].values()),
        }
        for source in sorted(grid, key=lambda s: -sum(grid[s].values()))
    ]
    status_totals = [sum(row["counts"][i] for row in by_source) for i in range(len(statuses))]

    wait = ExpressionWrapper(
        F("first_contacted_at") - F("assigned_at"), output_field=DurationField()
    )
    rows = (
        leads.filter(first_contacted_at__isnull=False, assigned_at__isnull=False)
        .values("owner")
        .annotate(n=Count("pk"), avg=Avg(wait))
        .order_by()
    )
    people = User.objects.in_bulk([r["owner"] for r in rows if r["owner"]])
    first_contact = sorted(
        (
            {
                "user": people.get(r["owner"]),
                "leads": r["n"],
                "avg_hours": _hours(r["avg"]),
            }
            for r in rows
            if r["owner"] in people
        ),
        key=lambda r: (r["avg_hours"] is None, r["avg_hours"] or 0),
    )

    conversion = []
    for row in (
        leads.values("source")
        .annotate(
            total=Count("pk"),
            converted=Count("pk", filter=Q(status=Lead.Status.CONVERTED)),
        )
        .order_by("-total")
    ):
        total = row["total"]
        conversion.append(
            {
                "label": source_labels.get(row["source"], row["source"]),
                "total": total,
                "converted": row["converted"],
                # A percentage with one decimal as a string: no floats reach the templates.
                "rate": f"{Decimal(row['converted'] * 100) / total:.1f}" if total else "0.0",
            }
        )
    return Reports(start, end, statuses, by_source, status_totals, first_contact, conversion)


def _hours(value) -> str | None:
    if value is None:
        return None
    # A timedelta, or microseconds on backends without an interval type.
    micros = value // dt.timedelta(microseconds=1) if isinstance(value, dt.timedelta) else value
    tenths = round(Decimal(micros) / Decimal(360_000_000))  # tenths of an hour
    return f"{Decimal(tenths) / 10:.1f}"


def default_report_range() -> tuple[dt.datetime, dt.datetime]:
    end = timezone.now()
    return end - dt.timedelta(days=90), end
