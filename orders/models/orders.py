"""Orders, their lines and their status history.

An order's status only moves through `orders.services.order_change_status`, along
`Order.TRANSITIONS`, each move leaving an OrderStatusChange row. `total` and `list_total` are
denormalised sums of the lines, recomputed by the database in the same transaction as every line
change (docs/orders.md), so lists and KPIs aggregate one column of one table.
"""

from __future__ import annotations

import secrets
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from crm.scopes import ScopedQuerySet

CENT = Decimal("0.01")


def money(value: Decimal) -> Decimal:
    """Round to the cent, half up (the rounding of every amount the app stores)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


class OrderQuerySet(ScopedQuerySet):
    def counted(self) -> OrderQuerySet:
        return self.filter(status__in=COUNTED_STATUSES)


class Order(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        CONFIRMED = "confirmed", _("Confirmed")
        SHIPPED = "shipped", _("Shipped")
        DELIVERED = "delivered", _("Delivered")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    # The allowed moves. A delivered order can no longer be cancelled (the goods are with the
    # customer: that is a return, handled outside the order), a completed or cancelled one no
    # longer moves at all.
    TRANSITIONS: dict[str, tuple[str, ...]] = {
        Status.DRAFT: (Status.CONFIRMED, Status.CANCELLED),
        Status.CONFIRMED: (Status.SHIPPED, Status.CANCELLED),
        Status.SHIPPED: (Status.DELIVERED, Status.CANCELLED),
        Status.DELIVERED: (Status.COMPLETED,),
        Status.COMPLETED: (),
        Status.CANCELLED: (),
    }

    number = models.CharField(_("number"), max_length=32, unique=True, blank=True)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="orders",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="orders",
        help_text=_("The sales rep credited with the order."),
    )
    opportunity = models.ForeignKey(
        "opportunities.Opportunity",
        verbose_name=_("opportunity"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
    )
    order_date = models.DateField(_("order date"), default=timezone.localdate)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    total = models.DecimalField(
        _("total"), max_digits=14, decimal_places=2, default=Decimal("0.00"), editable=False
    )
    list_total = models.DecimalField(
        _("total at list prices"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0.00"),
        editable=False,
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    history = HistoricalRecords(excluded_fields=["updated_at"])

    objects = OrderQuerySet.as_manager()

    scope_owner_field = "owner"
    scope_team_fields = ("owner__team",)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-order_date", "-id"]
        indexes = [
            # The RFM facts and the customer's orders section (docs/segmentation.md).
            models.Index(fields=["customer", "order_date"], name="order_customer_date"),
            # KPIs and "my orders": a rep's orders by date. The list's totals read status and
            # amounts from the index alone (PostgreSQL: an index-only scan; a team manager's
            # 71,000 orders summed from the table took ~250 ms, docs/performance.md).
            models.Index(
                fields=["owner", "order_date"],
                include=["id", "status", "total", "list_total"],
                name="order_owner_date_cover",
            ),
            models.Index(fields=["status", "order_date"], name="order_status_date"),
            models.Index(fields=["order_date", "id"], name="order_date_id"),
        ]

    def __str__(self) -> str:
        return self.number

    def save(self, *args, **kwargs) -> None:
        if not self.number:
            self.number = self.new_number()
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("orders:order-detail", args=[self.pk])

    @staticmethod
    def new_number() -> str:
        # Random like customer codes: no counter row to lock; the unique constraint guards.
        return f"SO{timezone.localdate():%y%m}{secrets.token_hex(3).upper()}"

    @property
    def is_counted(self) -> bool:
        return self.status in COUNTED_STATUSES

    @property
    def is_editable(self) -> bool:
        """Lines can be changed only while the order is a draft: a confirmed order is revenue."""
        return self.status == self.Status.DRAFT

    def next_statuses(self) -> tuple[str, ...]:
        return self.TRANSITIONS.get(self.status, ())

    def can_move_to(self, status: str) -> bool:
        return status in self.next_statuses()

    @property
    def discount(self) -> Decimal:
        return self.list_total - self.total


# Statuses of a counted order (../shared/KPIS.md): not draft, not cancelled.
COUNTED_STATUSES = (
    Order.Status.CONFIRMED.value,
    Order.Status.SHIPPED.value,
    Order.Status.DELIVERED.value,
    Order.Status.COMPLETED.value,
)


class OrderChildQuerySet(ScopedQuerySet):
    pass


class OrderLine(models.Model):
    """One product on an order. `list_price` is the product's list price when the line was
    entered: a later change of the catalogue price does not rewrite it. `amount` and
    `list_amount` are quantity x price rounded half-up to the cent."""

    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="lines"
    )
    product = models.ForeignKey(
        "orders.Product",
        verbose_name=_("product"),
        on_delete=models.PROTECT,
        related_name="order_lines",
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3)
    unit_price = models.DecimalField(_("unit price"), max_digits=14, decimal_places=2)
    list_price = models.DecimalField(_("list price"), max_digits=14, decimal_places=2)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2, editable=False)
    list_amount = models.DecimalField(
        _("amount at list price"), max_digits=14, decimal_places=2, editable=False
    )
    history = HistoricalRecords()

    objects = OrderChildQuerySet.as_manager()

    scope_owner_field = "order__owner"
    scope_team_fields = ("order__owner__team",)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["order", "position", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="orderline_qty_gt_0"),
            models.CheckConstraint(
                condition=models.Q(unit_price__gte=0), name="orderline_price_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.quantity} x {self.product_id}"

    def compute_amounts(self) -> None:
        self.amount = money(self.quantity * self.unit_price)
        self.list_amount = money(self.quantity * self.list_price)


class OrderStatusChange(models.Model):
    """One move of an order's status: from, to, who, when, why."""

    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(
        _("from"), max_length=12, choices=Order.Status.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=12, choices=Order.Status.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("when"), default=timezone.now)
    note = models.CharField(_("note"), max_length=255, blank=True)

    objects = OrderChildQuerySet.as_manager()

    scope_owner_field = "order__owner"
    scope_team_fields = ("order__owner__team",)

    class Meta:
        verbose_name = _("order status change")
        verbose_name_plural = _("order status changes")
        ordering = ["order", "changed_at", "id"]
        # "N days after delivery" care rules look up deliveries by day (service.care.finders).
        indexes = [
            models.Index(fields=["to_status", "changed_at"], name="order_status_change_to_time")
        ]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.from_status} → {self.to_status}"
