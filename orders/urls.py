from django.urls import path

from orders.views import contracts, finance, orders

app_name = "orders"

urlpatterns = [
    path("", orders.order_list, name="order-list"),
    path("new/", orders.order_create, name="order-create"),
    path("lines/", orders.order_lines, name="order-lines"),
    path("<int:pk>/", orders.order_detail, name="order-detail"),
    path("<int:pk>/edit/", orders.order_update, name="order-update"),
    path("<int:pk>/status/", orders.order_status, name="order-status"),
    path("products/", orders.product_list, name="product-list"),
    path("products/new/", orders.product_edit, name="product-create"),
    path("products/<int:pk>/edit/", orders.product_edit, name="product-update"),
    path("contracts/", contracts.contract_list, name="contract-list"),
    path("contracts/new/", contracts.contract_create, name="contract-create"),
    path("contracts/<int:pk>/", contracts.contract_detail, name="contract-detail"),
    path("contracts/<int:pk>/edit/", contracts.contract_update, name="contract-update"),
    path("contracts/<int:pk>/submit/", contracts.contract_submit, name="contract-submit"),
    path("contracts/<int:pk>/decide/", contracts.contract_decide, name="contract-decide"),
    path("contracts/<int:pk>/sign/", contracts.contract_sign, name="contract-sign"),
    path("contracts/<int:pk>/terminate/", contracts.contract_terminate, name="contract-terminate"),
    path("contracts/<int:pk>/pdf/", contracts.contract_document_create, name="contract-pdf"),
    path("contracts/documents/<int:pk>/", contracts.contract_document, name="contract-document"),
    path(
        "<int:pk>/receivables/new/",
        finance.receivable_schedule,
        {"kind": "order"},
        name="order-schedule",
    ),
    path(
        "contracts/<int:pk>/receivables/new/",
        finance.receivable_schedule,
        {"kind": "contract"},
        name="contract-schedule",
    ),
    path("receivables/", finance.receivable_list, name="receivable-list"),
    path("receivables/overdue/", finance.overdue_list, name="receivable-overdue"),
    path("receivables/ageing/", finance.ageing_report, name="receivable-ageing"),
    path("receivables/<int:pk>/", finance.receivable_detail, name="receivable-detail"),
    path("receivables/<int:pk>/pay/", finance.payment_create, name="payment-create"),
    path("payments/", finance.payment_list, name="payment-list"),
    path("expenses/", finance.expense_list, name="expense-list"),
    path("expenses/new/", finance.expense_edit, name="expense-create"),
    path("expenses/<int:pk>/edit/", finance.expense_edit, name="expense-update"),
    path("expenses/<int:pk>/decide/", finance.expense_decide, name="expense-decide"),
]
