"""What the orders importers share: scoped, batched lookups by natural key."""

from __future__ import annotations

from typing import Any

from django.db.models import DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from crm.interchange import Row
from customers.importers.base import CustomerRecordImporter
from orders.models import Order, OrderLine, Product, Receivable

MONEY = DecimalField(max_digits=14, decimal_places=2)


class OrdersImporter(CustomerRecordImporter):
    """Scoped lookups of orders, receivables and products; who may import is anyone who may
    change records (the rows are then limited to what they may change)."""

    def editable_orders(self, numbers: list[str]) -> dict[str, Order]:
        found: dict[str, Order] = {}
        for batch in self.batches(sorted({n for n in numbers if n})):
            for order in self.editable(Order.objects.filter(number__in=batch)):
                found[order.number] = order
        return found

    def editable_receivables(self, codes: list[str]) -> dict[str, Receivable]:
        found: dict[str, Receivable] = {}
        for batch in self.batches(sorted({c for c in codes if c})):
            for receivable in self.editable(Receivable.objects.filter(code__in=batch)):
                found[receivable.code] = receivable
        return found

    def products_by_sku(self, skus: list[str]) -> dict[str, Product]:
        found: dict[str, Product] = {}
        for batch in self.batches(sorted({s for s in skus if s})):
            for product in Product.objects.filter(sku__in=batch):
                found[product.sku] = product
        return found

    def unknown(self, row: Row, column: str, what: Any) -> None:
        row.error(
            column, _("Unknown %(what)s “%(value)s”.") % {"what": what, "value": row.get(column)}
        )


def refresh_order_totals(order_ids: set[int], batch_size: int = 1000) -> None:
    """Recompute the stored totals of these orders from their lines, in the database."""
    sums = OrderLine.objects.filter(order=OuterRef("pk")).order_by().values("order")
    total = Subquery(sums.annotate(s=Sum("amount")).values("s"), output_field=MONEY)
    list_total = Subquery(sums.annotate(s=Sum("list_amount")).values("s"), output_field=MONEY)
    zero = Value(0, output_field=MONEY)
    ids = sorted(order_ids)
    for start in range(0, len(ids), batch_size):
        Order.objects.filter(pk__in=ids[start : start + batch_size]).update(
            total=Coalesce(total, zero), list_total=Coalesce(list_total, zero)
        )
