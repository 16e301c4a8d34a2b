"""Models of the orders app (docs/orders.md): the catalogue, orders and their lines, contracts,
receivables with their payments, and sales expenses."""

from orders.models.contracts import (
    Contract,
    ContractApproval,
    ContractCounter,
    ContractDocument,
    ContractTemplate,
)
from orders.models.finance import Expense, Payment, Receivable
from orders.models.orders import (
    COUNTED_STATUSES,
    Order,
    OrderLine,
    OrderStatusChange,
)
from orders.models.products import Product

__all__ = [
    "COUNTED_STATUSES",
    "Contract",
    "ContractApproval",
    "ContractCounter",
    "ContractDocument",
    "ContractTemplate",
    "Expense",
    "Order",
    "OrderLine",
    "OrderStatusChange",
    "Payment",
    "Product",
    "Receivable",
]
