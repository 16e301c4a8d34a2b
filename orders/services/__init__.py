"""Writes of the orders app, one transaction each (docs/orders.md)."""

from orders.services.contracts import (
    contract_approve,
    contract_create,
    contract_document_generate,
    contract_number_next,
    contract_reject,
    contract_sign,
    contract_submit,
    contract_terminate,
    contract_update,
    contracts_expire,
    find_approver,
)
from orders.services.finance import (
    expense_create,
    expense_decide,
    expense_update,
    installments_split,
    payment_record,
    receivables_schedule,
)
from orders.services.orders import (
    LineInput,
    order_change_status,
    order_create,
    order_update,
    product_save,
)

__all__ = [
    "LineInput",
    "contract_approve",
    "contract_create",
    "contract_document_generate",
    "contract_number_next",
    "contract_reject",
    "contract_sign",
    "contract_submit",
    "contract_terminate",
    "contract_update",
    "contracts_expire",
    "expense_create",
    "expense_decide",
    "expense_update",
    "find_approver",
    "installments_split",
    "order_change_status",
    "order_create",
    "order_update",
    "payment_record",
    "product_save",
    "receivables_schedule",
]
