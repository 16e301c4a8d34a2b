"""The `products`, `orders` and `order_lines` kinds.

Orders imported carry their status as given (a migration of history): each status set or
changed by an import leaves an OrderStatusChange row noted "imported", the order's stored totals
are recomputed from its lines, and the customers' last order dates are refreshed.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from typing import Any

from django.db.models import Max, OuterRef, QuerySet, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from crm.interchange import (
    CREATE,
    UNCHANGED,
    UPDATE,
    BoolColumn,
    ChoiceColumn,
    Column,
    DateColumn,
    DecimalColumn,
    Row,
    register,
)
from customers.models import Customer
from orders.importers.base import OrdersImporter, refresh_order_totals
from orders.models import (
    COUNTED_STATUSES,
    Order,
    OrderLine,
    OrderStatusChange,
    Product,
    Receivable,
)
from orders.permissions import may_manage_products


def _history(importer) -> dict[str, Any]:
    return {
        "batch_size": importer.batch_size,
        "default_user": importer.user,
        "default_change_reason": importer.change_reason,
    }


@register
class ProductImporter(OrdersImporter):
    kind = "products"
    label = gettext_lazy("products")
    model = Product
    key = ("sku",)
    columns = (
        Column("sku", ("产品编号", "编号", "物料编码", "SKU"), required=True, blank=False,
               example="HT-PUMP-200"),
        Column("name", ("产品名称", "名称", "品名"), required=True, blank=False,
               example="离心泵 200型 Centrifugal pump 200"),
        Column("unit", ("单位", "计量单位"), example="台"),
        DecimalColumn("list_price", ("标准价格", "价格", "单价", "牌价"), required=True,
                      blank=False, example="12800.00"),
        BoolColumn("active", ("在售", "启用", "是否在售"), example="true"),
    )  # fmt: skip
    FIELDS = ("name", "unit", "list_price", "active")

    @classmethod
    def may_import(cls, user: Any) -> bool:
        return may_manage_products(user)

    def visible(self, queryset):
        # The catalogue is shared by every team (Product has no data scope).
        return queryset

    def prepare(self, rows: list[Row]) -> None:
        self.existing = self.products_by_sku([row.get("sku") for row in rows])
        self.to_create: list[Product] = []
        self.to_update: list[Product] = []
        self.changed: set[str] = set()

    def check(self, row: Row) -> str:
        current = self.existing.get(row.get("sku"))
        product = Product(sku=row.get("sku")) if current is None else copy.copy(current)
        for name in self.FIELDS:
            if row.has(name):
                setattr(product, name, row.get(name))
        if not row.has("active") and current is None:
            product.active = True
        price = product.list_price
        if price is not None and price != "" and price < 0:
            row.error("list_price", _("A price cannot be negative."))
        self.clean_fields(product, row)
        if row.errors:
            return UNCHANGED
        if current is None:
            self.to_create.append(product)
            return CREATE
        changed = {f for f in self.FIELDS if getattr(product, f) != getattr(current, f)}
        if not changed:
            return UNCHANGED
        self.changed |= changed
        self.to_update.append(product)
        return UPDATE

    def write(self) -> None:
        bulk_create_with_history(self.to_create, Product, **_history(self))
        if self.to_update:
            bulk_update_with_history(
                self.to_update, Product, sorted(self.changed), **_history(self)
            )

    def export_row(self, obj: Product) -> dict[str, Any]:
        return {"sku": obj.sku, **{name: getattr(obj, name) for name in self.FIELDS}}


def refresh_last_order(customer_ids: set[int], batch_size: int = 1000) -> None:
    latest = (
        Order.objects.filter(customer_id=OuterRef("pk"), status__in=COUNTED_STATUSES)
        .order_by()
        .values("customer_id")
        .annotate(latest=Max("order_date"))
        .values("latest")
    )
    ids = sorted(customer_ids)
    for start in range(0, len(ids), batch_size):
        Customer.objects.filter(pk__in=ids[start : start + batch_size]).update(
            last_order_on=Subquery(latest)
        )


# Chinese spellings accepted whatever the translations installed.
STATUS_WORDS = {"草稿": "draft", "已确认": "confirmed", "确认": "confirmed", "已发货": "shipped",
                "发货": "shipped", "已交付": "delivered", "已签收": "delivered",
                "已完成": "completed", "完成": "completed", "已取消": "cancelled",
                "取消": "cancelled"}  # fmt: skip


@register
class OrderImporter(OrdersImporter):
    kind = "orders"
    label = gettext_lazy("orders")
    model = Order
    key = ("number",)
    columns = (
        Column("number", ("订单编号", "订单号", "编号"), required=True, blank=False,
               example="SO2501A1B2C3"),
        Column("customer", ("客户编号", "客户编码", "客户"), required=True, blank=False,
               example="C2501A1B2C3"),
        Column("owner", ("负责人", "销售", "业务员"), required=True, blank=False,
               example="wang.fang"),
        DateColumn("order_date", ("订单日期", "下单日期", "日期"), required=True, blank=False,
                   example="2025-03-05"),
        ChoiceColumn("status", ("状态", "订单状态"), choices=Order.Status, example="confirmed",
                     extra=STATUS_WORDS),
    )  # fmt: skip

    def prepare(self, rows: list[Row]) -> None:
        self.customers = self.editable_customers([row.get("customer") for row in rows])
        self.owners = self.reachable_owners([row.get("owner") for row in rows])
        numbers = [row.get("number") for row in rows]
        self.mine = self.editable_orders(numbers)
        # Numbers are unique: one taken by an order the user cannot change is an error.
        self.taken = set(
            Order.objects.filter(number__in=[n for n in numbers if n not in self.mine])
            .values_list("number", flat=True)
        ) if numbers else set()  # fmt: skip
        # Orders of the file that already have receivables (their owner follows the order's;
        # such an order is cancelled on its page, where unpaid installments are dropped).
        ids = sorted(o.pk for o in self.mine.values())
        self.with_receivables: set[int] = set()
        for batch in self.batches(ids):
            self.with_receivables |= set(
                Receivable.objects.filter(order_id__in=batch).values_list("order_id", flat=True)
            )
        self.to_create: list[Order] = []
        self.to_update: list[tuple[Order, str]] = []

    def _check_change(self, row: Row, order: Order, current: Order) -> None:
        """An existing order moves only along Order.TRANSITIONS (a new one keeps the status of
        the history it migrates), and changes customer only while a draft."""
        if order.status != current.status and not current.can_move_to(order.status):
            row.error(
                "status",
                _("An order cannot go from “%(from)s” to “%(to)s”.")
                % {"from": current.get_status_display(), "to": order.get_status_display()},
            )
        elif (
            order.status == Order.Status.CANCELLED
            and order.status != current.status
            and current.pk in self.with_receivables
        ):
            row.error(
                "status",
                _("This order has receivables: cancel it on its page."),
            )
        if order.customer_id != current.customer_id and not current.is_editable:
            row.error("customer", _("Only a draft order can change customer."))

    def check(self, row: Row) -> str:
        number = row.get("number")
        if number in self.taken:
            row.error("number", _("This number is taken by an order you cannot change."))
        customer = self.customers.get(row.get("customer"))
        if customer is None:
            self.unknown_customer(row)
        _ok, owner = self.owner_for(row)
        if row.errors:
            return UNCHANGED
        current = self.mine.get(number)
        order = Order(number=number) if current is None else copy.copy(current)
        order.customer, order.owner = customer, owner
        order.order_date = row.get("order_date")
        if row.has("status") and row.get("status"):
            order.status = row.get("status")
        elif current is None:
            order.status = Order.Status.DRAFT
        self.clean_fields(order, row)
        if current is not None:
            self._check_change(row, order, current)
        if row.errors:
            return UNCHANGED
        if current is None:
            self.to_create.append(order)
            return CREATE
        fields = ("customer_id", "owner_id", "order_date", "status")
        if all(getattr(order, f) == getattr(current, f) for f in fields):
            return UNCHANGED
        self.to_update.append((order, current.status))
        return UPDATE

    def write(self) -> None:
        for order in self.to_create:
            order.created_by = self.user
        created = bulk_create_with_history(self.to_create, Order, **_history(self))
        by_number = {o.number: o for o in created} if created else {}
        changes = [
            OrderStatusChange(
                order=by_number.get(o.number, o), to_status=o.status, changed_by=self.user,
                note="imported",
            )
            for o in self.to_create
        ]  # fmt: skip
        changes += [
            OrderStatusChange(
                order=o, from_status=old, to_status=o.status, changed_by=self.user,
                note="imported",
            )
            for o, old in self.to_update
            if o.status != old
        ]  # fmt: skip
        if self.to_update:
            bulk_update_with_history(
                [o for o, _old in self.to_update],
                Order,
                ["customer", "owner", "order_date", "status"],
                **_history(self),
            )
        # Receivables belong to the owner of their order (../shared/KPIS.md): they follow it,
        # one UPDATE per new owner.
        moved: dict[int, list[int]] = defaultdict(list)
        for order, _old in self.to_update:
            if order.pk in self.with_receivables:
                moved[order.owner_id].append(order.pk)
        for owner_id, order_ids in moved.items():
            for batch in self.batches(order_ids):
                Receivable.objects.filter(order_id__in=batch).exclude(owner_id=owner_id).update(
                    owner_id=owner_id
                )
        self._fix_ids(changes)
        OrderStatusChange.objects.bulk_create(changes, batch_size=self.batch_size)
        touched = {o.customer_id for o in self.to_create} | {
            o.customer_id for o, _old in self.to_update
        }
        refresh_last_order(touched)

    def _fix_ids(self, changes: list[OrderStatusChange]) -> None:
        """bulk_create returns primary keys on PostgreSQL and SQLite; look them up otherwise."""
        missing = [c for c in changes if c.order.pk is None]
        if missing:
            ids = dict(
                Order.objects.filter(number__in=[c.order.number for c in missing]).values_list(
                    "number", "pk"
                )
            )
            for change in missing:
                change.order_id = ids[change.order.number]

    def export_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("customer", "owner")

    def export_row(self, obj: Order) -> dict[str, Any]:
        return {
            "number": obj.number,
            "customer": obj.customer.code,
            "owner": obj.owner.username,
            "order_date": obj.order_date,
            "status": obj.status,
        }


@register
class OrderLineImporter(OrdersImporter):
    """Lines are matched on (order, product): re-importing a row updates that line."""

    kind = "order_lines"
    label = gettext_lazy("order lines")
    model = OrderLine
    key = ("order", "product")
    columns = (
        Column("order", ("订单编号", "订单号", "订单"), required=True, blank=False,
               example="SO2501A1B2C3"),
        Column("product", ("产品编号", "产品", "SKU"), required=True, blank=False,
               example="HT-PUMP-200"),
        DecimalColumn("quantity", ("数量",), required=True, blank=False, example="2"),
        DecimalColumn("unit_price", ("单价", "成交价"), required=True, blank=False,
                      example="12000.00"),
        DecimalColumn("list_price", ("标准价格", "牌价", "原价"), example="12800.00"),
    )  # fmt: skip
    FIELDS = ("quantity", "unit_price", "list_price", "amount", "list_amount")

    def prepare(self, rows: list[Row]) -> None:
        self.orders = self.editable_orders([row.get("order") for row in rows])
        self.orders_by_id = {order.pk: order for order in self.orders.values()}
        self.products = self.products_by_sku([row.get("product") for row in rows])
        self.existing: dict[tuple[int, int], OrderLine] = {}
        ids = sorted(o.pk for o in self.orders.values())
        for batch in self.batches(ids):
            for line in OrderLine.objects.filter(order_id__in=batch).order_by("-id"):
                self.existing[(line.order_id, line.product_id)] = line
        # Past revenue is not rewritten by a file: the lines of an order past draft can be loaded
        # once (history: the orders first, then their lines), never changed afterwards.
        self.locked_orders = {
            order_id
            for order_id, _product_id in self.existing
            if self.orders_by_id[order_id].status != Order.Status.DRAFT
        }
        self.next_position: dict[int, int] = {}
        self.to_create: list[OrderLine] = []
        self.to_update: list[OrderLine] = []

    def check(self, row: Row) -> str:
        order = self.orders.get(row.get("order"))
        if order is None:
            self.unknown(row, "order", _("order"))
        product = self.products.get(row.get("product"))
        if product is None:
            self.unknown(row, "product", _("product"))
        quantity, price = row.get("quantity"), row.get("unit_price")
        if quantity not in ("", None) and quantity <= 0:
            row.error("quantity", _("The quantity must be more than zero."))
        if price not in ("", None) and price < 0:
            row.error("unit_price", _("A price cannot be negative."))
        if row.errors:
            return UNCHANGED
        current = self.existing.get((order.pk, product.pk))
        line = OrderLine(order=order, product=product) if current is None else copy.copy(current)
        line.quantity, line.unit_price = quantity, price
        list_price = row.get("list_price") if row.has("list_price") else None
        if list_price not in ("", None):
            line.list_price = list_price
        elif current is None:
            line.list_price = product.list_price
        line.compute_amounts()
        self.clean_fields(line, row, extra=("quantity", "unit_price", "list_price"))
        if row.errors:
            return UNCHANGED
        unchanged = current is not None and all(
            getattr(line, f) == getattr(current, f) for f in self.FIELDS
        )
        if order.pk in self.locked_orders and not unchanged:
            row.error(
                "order",
                _(
                    "Order %(number)s is %(status)s: its lines can no longer be changed by an "
                    "import (only a draft's, or an order's without lines yet)."
                )
                % {"number": order.number, "status": order.get_status_display()},
            )
            return UNCHANGED
        if current is None:
            position = self.next_position.get(order.pk, 1000)
            self.next_position[order.pk] = position + 1
            line.position = position
            self.to_create.append(line)
            return CREATE
        if unchanged:
            return UNCHANGED
        self.to_update.append(line)
        return UPDATE

    def write(self) -> None:
        bulk_create_with_history(self.to_create, OrderLine, **_history(self))
        if self.to_update:
            bulk_update_with_history(self.to_update, OrderLine, list(self.FIELDS), **_history(self))
        touched = {line.order_id for line in self.to_create + self.to_update}
        refresh_order_totals(touched)

    def export_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("order", "product")

    def export_row(self, obj: OrderLine) -> dict[str, Any]:
        return {
            "order": obj.order.number,
            "product": obj.product.sku,
            "quantity": obj.quantity,
            "unit_price": obj.unit_price,
            "list_price": obj.list_price,
        }
