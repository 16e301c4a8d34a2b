"""The metrics of ../shared/KPIS.md, one registered class per key in that table's order, then
the non-contract `revenue` and `visits`. The aggregates are in performance/metrics/queries.py;
each class turns them into figures (numerator / denominator) and lists the rows behind them.

A new metric: subclass `Metric`, set key / name / direction / unit, write `figures` (one
aggregate query for everybody, GROUP BY the owner) and `records`, decorate with `@register`.
"""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from orders.models import OrderLine
from performance.metrics import queries as q
from performance.metrics.base import COUNT, LOWER, MONEY, Figure, Metric, Records
from performance.metrics.registry import register
from performance.periods import Period

Ids = Collection[int] | None

ORDER_COLUMNS = (
    (_("Order"), "number"),
    (_("Date"), "order_date"),
    (_("Customer"), "customer.name"),
    (_("Owner"), "owner"),
    (_("Status"), "get_status_display"),
    (_("Total"), "total"),
)
LINE_COLUMNS = (
    (_("Order"), "order.number"),
    (_("Date"), "order.order_date"),
    (_("Customer"), "order.customer.name"),
    (_("Product"), "product.name"),
    (_("Quantity"), "quantity"),
    (_("Unit price"), "unit_price"),
    (_("List price"), "list_price"),
    (_("Amount"), "amount"),
    (_("Amount at list price"), "list_amount"),
)
CUSTOMER_COLUMNS = (
    (_("Customer"), "name"),
    (_("Kind"), "get_kind_display"),
    (_("Owner"), "owner"),
)


def _orders(user_ids: Ids, period: Period, title) -> Records:
    qs = (
        q.counted_orders(user_ids, period)
        .select_related("customer", "owner")
        .order_by("order_date", "pk")
    )
    return Records(qs, ORDER_COLUMNS, str(title))


@register
class PlanCompletion(Metric):
    key = "plan_completion"
    name = _("Plan completion")
    description = _("Revenue of counted orders in the period / the revenue target of the plan.")
    # A rate against the plan: a "from the sales plan" target is 1 (100 %) when the plan has
    # the field (performance.figures.target_for).
    plan_field = "revenue_target"

    def figures(self, user_ids: Ids, period: Period) -> dict[int, Figure]:
        totals = q.order_totals(user_ids, period)
        plans = q.plan_sums(user_ids, period)
        people = set(totals) | set(plans)
        return {
            u: Figure(
                q.revenue_of(totals, u),
                plans[u]["revenue_target"] if u in plans else Decimal(0),
            )
            for u in people
        }

    def records(self, user_ids, period):
        return _orders(user_ids, period, _("Counted orders in the period"))


@register
class SalesGrowth(Metric):
    key = "sales_growth"
    name = _("Sales growth")
    description = _(
        "(Revenue in the period - revenue in the period before) / revenue in the period before."
    )

    def figures(self, user_ids: Ids, period: Period) -> dict[int, Figure]:
        now = q.order_totals(user_ids, period)
        before = q.order_totals(user_ids, period.previous())
        return {
            u: Figure(q.revenue_of(now, u) - q.revenue_of(before, u), q.revenue_of(before, u))
            for u in set(now) | set(before)
        }

    def records(self, user_ids, period):
        # P' ends where P starts: both periods are one date range.
        both = Period(period.previous().start, period.end, period.kind)
        return _orders(user_ids, both, _("Counted orders in the period and the one before"))


@register
class PriceRetention(Metric):
    key = "price_retention"
    name = _("Price retention")
    description = _(
        "Sum of quantity x unit price / sum of quantity x list price, over the lines of the "
        "counted orders in the period (list price as recorded on the line)."
    )

    def figures(self, user_ids: Ids, period: Period) -> dict[int, Figure]:
        totals = q.order_totals(user_ids, period)
        return {u: Figure(t["revenue"], t["list_total"]) for u, t in totals.items()}

    def records(self, user_ids, period):
        qs = (
            OrderLine.objects.filter(order__in=q.counted_orders(user_ids, period))
            .select_related("order", "order__customer", "product")
            .order_by("order__order_date", "order_id", "position", "pk")
        )
        return Records(qs, LINE_COLUMNS, str(_("Lines of the counted orders in the period")))


@register
class ExpenseRatio(Metric):
    key = "expense_ratio"
    name = _("Expense ratio")
    description = _(
        "Sales expenses dated in the period (except rejected ones) / revenue in the period."
    )
    direction = LOWER

    def figures(self, user_ids: Ids, period: Period) -> dict[int, Figure]:
        spent = q.expense_sums(user_ids, period)
        totals = q.order_totals(user_ids, period)
        return {
            u: Figure(spent.get(u, Decimal(0)), q.revenue_of(totals, u))
            for u in set(spent) | set(totals)
        }

    def records(self, user_ids, period):
        qs = (
            q.expenses(user_ids, period)
            .select_related("owner", "customer")
            .order_by("spent_on", "pk")
        )
        columns = (
            (_("Date"), "spent_on"),
            (_("Category"), "get_category_display"),
            (_("Owner"), "owner"),
            (_("Customer"), "customer"),
            (_("Status"), "get_status_display"),
            (_("Amount"), "amount"),
        )
        return Records(qs, columns, str(_("Expenses in the period, except rejected ones")))


@register
class CollectionRate(Metric):
    key = "collection"
    name = _("Collection rate")
    description = _(
        "Payments received in the period against the receivables due by its end and open at "
        "its start / what was still due on them at the start."
    )

    def figures(self, user_ids: Ids, period: Period) -> dict[int, Figure]:
        return {
            u: Figure(num, den) for u, (num, den) in q.collection_sums(user_ids, period).items()
        }

    def records(self, user_ids, period):
        qs = (
            q.collection_receivables(user_ids, period)
            .select_related("customer", "owner", "order")
            .order_by("due_date", "pk")
        )
        columns = (
            (_("Receivable"), "code"),
            (_("Customer"), "customer.name"),
            (_("Order"), "order"),
            (_("Due date"), "due_date"),
            (_("Amount"), "amount"),
            (_("Paid before the period"), "paid_before"),
            (_("Collectible"), "collectible"),
            (_("Collected in the period"), "collected"),
        )
        return Records(qs, columns, str(_("Receivables due and open")))


@register
class VisitSuccess(Metric):
    key = "visit_success"
    name = _("Visit success")
    description = _("Visits in the period with the outcome “success” / all visits in the period.")

    def figures(self, user_ids: Ids, period: Period) -> dict[int, Figure]:
        return {
            u: Figure(Decimal(ok), Decimal(n))
            for u, (ok, n) in q.visit_counts(user_ids, period).items()
        }

    def records(self, user_ids, period):
        return _visit_records(user_ids, period)


def _visit_records(user_ids, period) -> Records:
    qs = (
        q.visits(user_ids, period).select_related("customer", "owner").order_by("occurred_at", "pk")
    )
    columns = (
        (_("When"), "occurred_at"),
        (_("Customer"), "customer"),
        (_("By"), "owner"),
        (_("Outcome"), "get_outcome_display"),
        (_("Summary"), "summary"),
    )
    return Records(qs, columns, str(_("Visits in the period")))


@register
class ComplaintRate(Metric):
    key = "complaint_rate"
    name = _("Complaint rate")
    description = _(
        "Complaint tickets opened in the period against the customers one owned then / counted "
        "orders in the period."
    )
    direction = LOWER

    def figures(self, user_ids: Ids, period: Period) -> dict[int, Figure]:
        counts = q.complaint_counts(user_ids, period)
        totals = q.order_totals(user_ids, period)
        return {
            u: Figure(Decimal(counts.get(u, 0)), Decimal(totals.get(u, {}).get("orders", 0)))
            for u in set(counts) | set(totals)
        }

    def records(self, user_ids, period):
        qs = (
            q.complaints(user_ids, period)
            .select_related("customer", "customer_owner", "step")
            .order_by("opened_at", "pk")
        )
        columns = (
            (_("Ticket"), "number"),
            (_("Opened"), "opened_at"),
            (_("Customer"), "customer.name"),
            (_("Owner when opened"), "customer_owner"),
            (_("Summary"), "summary"),
            (_("Status"), "step"),
        )
        return Records(qs, columns, str(_("Complaints opened in the period")))


def _new_customer_records(user_ids, period) -> Records:
    first = q.first_orders(user_ids, period).values("customer_id")
    qs = Customer.objects.filter(pk__in=first).select_related("owner").order_by("name", "pk")
    return Records(
        qs, CUSTOMER_COLUMNS, str(_("Customers whose first counted order is in the period"))
    )


@register
class NewCustomers(Metric):
    key = "new_customers"
    name = _("New customers")
    description = _(
        "Customers whose first counted order ever (with anyone) is in the period and is one's own."
    )
    unit = COUNT
    plan_field = "new_customer_target"

    def figures(self, user_ids: Ids, period: Period) -> dict[int, Figure]:
        return {u: Figure(Decimal(n)) for u, n in q.new_customer_counts(user_ids, period).items()}

    def records(self, user_ids, period):
        return _new_customer_records(user_ids, period)


@register
class NewCustomerRate(Metric):
    key = "new_customer_rate"
    name = _("New-customer rate")
    description = _("New customers in the period / the new-customer target of the plan.")
    plan_field = "new_customer_target"  # a "from the plan" target is 1 (100 %)

    def figures(self, user_ids: Ids, period: Period) -> dict[int, Figure]:
        counts = q.new_customer_counts(user_ids, period)
        plans = q.plan_sums(user_ids, period)
        return {
            u: Figure(
                Decimal(counts.get(u, 0)),
                plans[u]["new_customer_target"] if u in plans else Decimal(0),
            )
            for u in set(counts) | set(plans)
        }

    def records(self, user_ids, period):
        return _new_customer_records(user_ids, period)


@register
class Retention(Metric):
    key = "retention"
    name = _("Customer retention")
    description = _(
        "Customers who ordered in the period before and again in this period / customers who "
        "ordered in the period before."
    )

    def figures(self, user_ids: Ids, period: Period) -> dict[int, Figure]:
        return {
            u: Figure(Decimal(kept), Decimal(n))
            for u, (kept, n) in q.retention_counts(user_ids, period).items()
        }

    def records(self, user_ids, period):
        orders = q.retention_orders(user_ids, period)
        qs = (
            Customer.objects.filter(pk__in=orders.values("customer_id"))
            .annotate(kept=Exists(orders.filter(customer=OuterRef("pk"), kept=True)))
            .select_related("owner")
            .order_by("name", "pk")
        )
        columns = (*CUSTOMER_COLUMNS, (_("Ordered again"), "kept"))
        return Records(qs, columns, str(_("Customers of the period before")))


@register
class InfoCompleteness(Metric):
    key = "info_completeness"
    name = _("Customer information completeness")
    description = _(
        "Mean, over the customers one owns at the end of the period, of the key fields filled "
        "/ the key fields of their kind."
    )

    def figures(self, user_ids: Ids, period: Period) -> dict[int, Figure]:
        return {
            u: Figure(num, Decimal(n))
            for u, (num, n) in q.completeness_sums(user_ids, period).items()
        }

    def records(self, user_ids, period):
        qs = q.owned_at_end(user_ids, period).select_related("owner").order_by("name", "pk")
        columns = (
            (_("Customer"), "name"),
            (_("Kind"), "get_kind_display"),
            (_("Owner now"), "owner"),
            (_("Information completeness"), "completeness"),
        )
        return Records(qs, columns, str(_("Customers owned at the end of the period")))


# --- not in KPIS.md: used by plans and dashboards ------------------------------------------


@register
class Revenue(Metric):
    key = "revenue"
    name = _("Revenue")
    description = _("Sum of the values of the counted orders in the period.")
    unit = MONEY
    plan_field = "revenue_target"
    in_contract = False

    def figures(self, user_ids: Ids, period: Period) -> dict[int, Figure]:
        return {u: Figure(t["revenue"]) for u, t in q.order_totals(user_ids, period).items()}

    def records(self, user_ids, period):
        return _orders(user_ids, period, _("Counted orders in the period"))


@register
class Visits(Metric):
    key = "visits"
    name = _("Visits")
    description = _("Visit activities in the period.")
    unit = COUNT
    plan_field = "visit_target"
    in_contract = False

    def figures(self, user_ids: Ids, period: Period) -> dict[int, Figure]:
        return {u: Figure(Decimal(n)) for u, (_ok, n) in q.visit_counts(user_ids, period).items()}

    def records(self, user_ids, period):
        return _visit_records(user_ids, period)
