from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from customers.models import Activity, Contact, Customer, OwnershipChange, PoolRule, PoolSettings


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ["name", "title", "phone", "email", "is_primary"]


@admin.register(Customer)
class CustomerAdmin(SimpleHistoryAdmin):
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


@admin.register(Contact)
class ContactAdmin(SimpleHistoryAdmin):
    list_display = ["name", "customer", "phone", "email", "is_primary"]
    search_fields = ["name", "phone", "email", "customer__name"]
    raw_id_fields = ["customer"]
    list_select_related = ["customer"]


@admin.register(Activity)
class ActivityAdmin(SimpleHistoryAdmin):
    list_display = ["occurred_at", "customer", "kind", "outcome", "owner"]
    list_filter = ["kind", "outcome"]
    raw_id_fields = ["customer", "contact", "owner"]
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


@admin.register(PoolRule)
class PoolRuleAdmin(SimpleHistoryAdmin):
    list_display = ["name", "level", "trigger", "days", "warn_days", "is_active"]
    list_filter = ["is_active", "trigger"]


@admin.register(PoolSettings)
class PoolSettingsAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "daily_claim_limit", "max_owned", "reclaim_cooldown_days"]
