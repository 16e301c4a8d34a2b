"""Admin of the orders app: the catalogue, contract templates and the approval threshold are
admin business; orders, receivables and payments are shown read-only here (their writes keep
totals, statuses and logs right, so they go through the app's pages)."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from crm.admin import HistoryAdmin
from orders.models import (
    Contract,
    ContractApproval,
    ContractDocument,
    ContractTemplate,
    Expense,
    Order,
    OrderLine,
    OrderStatusChange,
    Payment,
    Product,
    Receivable,
)


@admin.register(Product)
class ProductAdmin(HistoryAdmin):
    list_display = ["sku", "name", "unit", "list_price", "active"]
    list_filter = ["active"]
    search_fields = ["sku", "name"]


@admin.register(ContractTemplate)
class ContractTemplateAdmin(HistoryAdmin):
    list_display = ["name", "is_default", "updated_at"]


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class OrderLineInline(ReadOnlyMixin, admin.TabularInline):
    model = OrderLine
    fields = ["product", "quantity", "unit_price", "list_price", "amount"]
    readonly_fields = fields
    extra = 0


class StatusChangeInline(ReadOnlyMixin, admin.TabularInline):
    model = OrderStatusChange
    fields = ["from_status", "to_status", "changed_by", "changed_at", "note"]
    readonly_fields = fields
    extra = 0


@admin.register(Order)
class OrderAdmin(ReadOnlyMixin, HistoryAdmin):
    list_display = ["number", "customer", "owner", "order_date", "status", "total"]
    list_filter = ["status"]
    search_fields = ["number", "customer__name", "customer__code"]
    list_select_related = ["customer", "owner"]
    show_full_result_count = False
    inlines = [OrderLineInline, StatusChangeInline]


class ApprovalInline(ReadOnlyMixin, admin.TabularInline):
    model = ContractApproval
    fields = ["decision", "decided_by", "decided_at", "comment"]
    readonly_fields = fields
    extra = 0


class DocumentInline(ReadOnlyMixin, admin.TabularInline):
    model = ContractDocument
    fields = ["download", "template", "generated_by", "generated_at"]
    readonly_fields = fields
    extra = 0

    @admin.display(description=_("document"))
    def download(self, obj: ContractDocument) -> str:
        # Through the scoped download view: files under MEDIA_ROOT are never served directly.
        url = reverse("orders:contract-document", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.file.name.rsplit("/", 1)[-1])


@admin.register(Contract)
class ContractAdmin(ReadOnlyMixin, HistoryAdmin):
    list_display = ["number", "title", "customer", "owner", "amount", "status", "end_on"]
    list_filter = ["status"]
    search_fields = ["number", "title", "customer__name"]
    list_select_related = ["customer", "owner"]
    inlines = [ApprovalInline, DocumentInline]


class PaymentInline(ReadOnlyMixin, admin.TabularInline):
    model = Payment
    fields = ["amount", "paid_on", "method", "reference", "recorded_by"]
    readonly_fields = fields
    extra = 0


@admin.register(Receivable)
class ReceivableAdmin(ReadOnlyMixin, HistoryAdmin):
    list_display = ["code", "customer", "owner", "amount", "paid_amount", "due_date", "status"]
    list_filter = ["status"]
    search_fields = ["code", "customer__name"]
    list_select_related = ["customer", "owner"]
    inlines = [PaymentInline]


@admin.register(Expense)
class ExpenseAdmin(ReadOnlyMixin, HistoryAdmin):
    list_display = ["owner", "spent_on", "category", "amount", "status"]
    list_filter = ["status", "category"]
    list_select_related = ["owner"]
