"""The `activities` kind: follow-ups, matched on (customer, owner, type, occurred_at)."""

from __future__ import annotations

import copy
from collections import defaultdict
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from crm.interchange import (
    CREATE,
    UNCHANGED,
    UPDATE,
    ChoiceColumn,
    Column,
    DateTimeColumn,
    Row,
    register,
)
from customers.importers.base import CustomerRecordImporter
from customers.importers.customers import FUTURE_TOLERANCE
from customers.models import Activity, Customer


@register
class ActivityImporter(CustomerRecordImporter):
    """Activities have no natural key of their own: a row with the same customer, owner, type
    and time as an existing activity updates its outcome and summary instead of adding one."""

    kind = "activities"
    label = gettext_lazy("activities")
    model = Activity
    key = ("customer", "owner", "type", "occurred_at")
    columns = (
        Column("customer", ("客户编号", "客户编码", "客户"), required=True, blank=False,
               example="C2501A1B2C3"),
        Column("owner", ("跟进人", "负责人", "记录人", "销售"), required=True, blank=False,
               example="wang.fang"),
        ChoiceColumn("type", ("类型", "跟进方式", "方式"), field="kind", choices=Activity.Kind,
                     example="visit"),
        ChoiceColumn("outcome", ("结果", "跟进结果"), choices=Activity.Outcome, example="success"),
        DateTimeColumn("occurred_at", ("跟进时间", "时间", "发生时间"), required=True,
                       blank=False, example="2025-03-05 14:30"),
        Column("summary", ("内容", "摘要", "跟进内容", "记录"), required=True, blank=False,
               example="Visited the plant, they need a quote for 20 units."),
    )  # fmt: skip

    def file_key(self, row: Row) -> tuple | None:
        return (
            row.get("customer"),
            row.get("owner"),
            row.get("type") or Activity.Kind.CALL,
            row.get("occurred_at"),
        )

    def prepare(self, rows: list[Row]) -> None:
        self.customers = self.editable_customers([row.get("customer") for row in rows])
        self.owners = self.reachable_owners([row.get("owner") for row in rows])
        self.existing: dict[tuple, Activity] = {}
        times = [row.get("occurred_at") for row in rows if row.get("occurred_at")]
        ids = sorted(c.pk for c in self.customers.values())
        if times:
            for batch in self.batches(ids):
                activities = Activity.objects.filter(
                    customer_id__in=batch, occurred_at__gte=min(times), occurred_at__lte=max(times)
                )
                for activity in activities:
                    key = (
                        activity.customer_id,
                        activity.owner_id,
                        activity.kind,
                        activity.occurred_at,
                    )
                    self.existing.setdefault(key, activity)
        self.to_create: list[Activity] = []
        self.to_update: list[Activity] = []
        self.latest: dict[int, Any] = defaultdict(lambda: None)

    def check(self, row: Row) -> str:
        customer = self.customers.get(row.get("customer"))
        if customer is None:
            self.unknown_customer(row)
        _ok, owner = self.owner_for(row)
        occurred_at = row.get("occurred_at")
        if occurred_at and occurred_at > timezone.now() + FUTURE_TOLERANCE:
            # As in the web form: a follow-up in the future would hold off the pool rules.
            row.error("occurred_at", _("A follow-up cannot be dated in the future."))
        if row.errors:
            return UNCHANGED
        kind = row.get("type") or Activity.Kind.CALL
        current = self.existing.get((customer.pk, owner.pk, kind, row.get("occurred_at")))
        activity = (
            Activity(customer=customer, owner=owner, kind=kind, occurred_at=row.get("occurred_at"))
            if current is None
            else copy.copy(current)
        )
        if row.get("outcome") or current is None:
            activity.outcome = row.get("outcome") or Activity.Outcome.SUCCESS
        activity.summary = row.get("summary")
        self.clean_fields(activity, row)
        if row.errors:
            return UNCHANGED
        latest = self.latest[customer.pk]
        if latest is None or activity.occurred_at > latest:
            self.latest[customer.pk] = activity.occurred_at
        if current is None:
            self.to_create.append(activity)
            return CREATE
        if (activity.outcome, activity.summary) == (current.outcome, current.summary):
            return UNCHANGED
        self.to_update.append(activity)
        return UPDATE

    def write(self) -> None:
        history = {
            "batch_size": self.batch_size,
            "default_user": self.user,
            "default_change_reason": self.change_reason,
        }
        bulk_create_with_history(self.to_create, Activity, **history)
        if self.to_update:
            bulk_update_with_history(self.to_update, Activity, ["outcome", "summary"], **history)
        # "Last contacted" moves forward only, as activity_log does; the customers were loaded
        # in prepare() and are re-read here inside the transaction to compare.
        ids = sorted(self.latest)
        moved = []
        for batch in self.batches(ids):
            for customer in Customer.objects.filter(pk__in=batch).only("pk", "last_contacted_at"):
                latest = self.latest[customer.pk]
                if customer.last_contacted_at is None or latest > customer.last_contacted_at:
                    customer.last_contacted_at = latest
                    moved.append(customer)
        Customer.objects.bulk_update(moved, ["last_contacted_at"], batch_size=self.batch_size)

    def export_queryset(self, queryset: QuerySet) -> QuerySet:
        # Activities on a lead not yet converted have no customer: they are not customer data.
        return queryset.filter(customer__isnull=False).select_related("customer", "owner")

    def export_row(self, obj: Activity) -> dict[str, Any]:
        return {
            "customer": obj.customer.code,
            "owner": obj.owner.username,
            "type": obj.kind,
            "outcome": obj.outcome,
            "occurred_at": obj.occurred_at,
            "summary": obj.summary,
        }
