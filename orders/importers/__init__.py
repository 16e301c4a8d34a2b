"""Import and export of products, orders, order lines, receivables, payments and expenses
(interchange format: docs/imports.md, docs/orders.md). Rows may only touch what the importing
user may change; every write is batched."""

from orders.importers.catalogue import OrderImporter, OrderLineImporter, ProductImporter
from orders.importers.finance import ExpenseImporter, PaymentImporter, ReceivableImporter

__all__ = [
    "ExpenseImporter",
    "OrderImporter",
    "OrderLineImporter",
    "PaymentImporter",
    "ProductImporter",
    "ReceivableImporter",
]
