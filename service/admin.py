"""Django admin: service flows with their steps (where admins define the flows), service
targets, and read-mostly views of tickets, care rules and messages (the app's own pages under
/service/ are where people work)."""

from django.contrib import admin

from crm.admin import HistoryAdmin
from service.models import CareMessage, CareRule, FlowStep, ServiceFlow, ServiceSettings, Ticket


class FlowStepInline(admin.TabularInline):
    model = FlowStep
    extra = 1
    fields = [
        "position",
        "name",
        "is_final",
        "needs_assignee",
        "needs_resolution",
        "needs_customer_confirmation",
    ]
    ordering = ["position"]


@admin.register(ServiceFlow)
class ServiceFlowAdmin(HistoryAdmin):
    list_display = ["name", "kind", "is_default", "is_active"]
    list_filter = ["kind", "is_active"]
    inlines = [FlowStepInline]


@admin.register(ServiceSettings)
class ServiceSettingsAdmin(HistoryAdmin):
    list_display = ["__str__", "hours_urgent", "hours_high", "hours_normal", "hours_low"]

    def has_add_permission(self, request):
        return not ServiceSettings.objects.exists()


@admin.register(Ticket)
class TicketAdmin(HistoryAdmin):
    list_display = ["number", "summary", "customer", "type", "priority", "step", "assignee",
                    "opened_at", "closed_at"]  # fmt: skip
    list_filter = ["type", "priority", "channel", "flow"]
    search_fields = ["number", "summary", "customer__name", "customer__code"]
    list_select_related = ["customer", "step", "assignee"]
    raw_id_fields = ["customer", "contact", "assignee", "customer_owner", "created_by"]
    # Steps move through the ticket page, which keeps the event history.
    readonly_fields = ["number", "flow", "step", "customer_owner", "closed_at"]
    show_full_result_count = False


@admin.register(CareRule)
class CareRuleAdmin(HistoryAdmin):
    list_display = ["name", "trigger", "days", "channel", "is_active"]
    list_filter = ["trigger", "channel", "is_active"]


@admin.register(CareMessage)
class CareMessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "rule", "customer", "channel", "recipient", "status",
                    "attempts", "sent_at"]  # fmt: skip
    list_filter = ["status", "channel", "rule"]
    search_fields = ["recipient", "customer__name", "idempotency_key"]
    list_select_related = ["rule", "customer"]
    raw_id_fields = ["customer", "contact", "recipient_user"]
    show_full_result_count = False

    def has_change_permission(self, request, obj=None):
        return False  # the send log is a record; failed ones are resent from /service/care/

    def has_add_permission(self, request):
        return False
