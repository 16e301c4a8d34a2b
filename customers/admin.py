from django.contrib import admin

from crm.admin import HistoryAdmin
from customers.models import Activity, Contact, Customer, OwnershipChange, PoolRule, PoolSettings
from customers.services import completeness_refresh


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ["name", "title", "phone", "email", "is_primary"]


@admin.register(Customer)
class CustomerAdmin(HistoryAdmin):
    list_display = ["code", "name", "kind", "level", "status", "owner", "last_contacted_at"]
    list_filter = ["kind", "level", "status", "industry", "source", "segment"]
    search_fields = ["code", "name", "phone"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner", "created_by"]
    # Owner changes must leave an OwnershipChange row: they go through the app's pages.
    readonly_fields = [
        "owner",
        "owned_since",
        "pool_entered_at",
        "last_contacted_at",
        "next_follow_up_on",
        "completeness",
        "segment",
        "rfm_score",
        "last_order_on",
        "orders_12m",
        "revenue_12m",
    ]
    show_full_result_count = False
    inlines = [ContactInline]

    def has_delete_permission(self, request, obj=None):
        # A customer is the company's record: it goes to the pool or is marked lost, never
        # deleted (that would also delete its follow-ups and ownership log).
        return False

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        completeness_refresh(obj)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        completeness_refresh(form.instance)  # contacts edited inline count too


@admin.register(Contact)
class ContactAdmin(HistoryAdmin):
    list_display = ["name", "customer", "phone", "email", "is_primary"]
    search_fields = ["name", "phone", "email", "customer__name"]
    raw_id_fields = ["customer"]
    list_select_related = ["customer"]


@admin.register(Activity)
class ActivityAdmin(HistoryAdmin):
    list_display = ["occurred_at", "customer", "kind", "outcome", "owner"]
    list_filter = ["kind", "outcome"]
    raw_id_fields = ["customer", "lead", "contact", "owner"]
    list_select_related = ["customer", "owner"]
    date_hierarchy = "occurred_at"


@admin.register(OwnershipChange)
class OwnershipChangeAdmin(admin.ModelAdmin):
    list_display = ["changed_at", "customer", "reason", "from_user", "to_user", "changed_by"]
    list_filter = ["reason"]
    list_select_related = ["customer", "from_user", "to_user", "changed_by"]
    raw_id_fields = ["customer"]

    def has_change_permission(self, request, obj=None):
        return False  # the ownership log is append-only

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PoolRule)
class PoolRuleAdmin(HistoryAdmin):
    list_display = ["name", "level", "trigger", "days", "warn_days", "is_active"]
    list_filter = ["is_active", "trigger"]


@admin.register(PoolSettings)
class PoolSettingsAdmin(HistoryAdmin):
    list_display = ["__str__", "daily_claim_limit", "max_owned", "reclaim_cooldown_days"]
