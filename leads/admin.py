from django.contrib import admin

from crm.admin import HistoryAdmin
from leads.models import AssignmentLog, AssignmentRule, Lead, LeadSource, RuleMember


@admin.register(Lead)
class LeadAdmin(HistoryAdmin):
    list_display = ["name", "company", "source", "status", "owner", "assigned_at", "created_at"]
    list_filter = ["status", "source", "industry"]
    search_fields = ["name", "company", "phone", "email"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner", "created_by", "converted_customer", "converted_contact", "rule"]
    # Owners move through the assignment services (each logged), not here.
    readonly_fields = ["owner", "assigned_at", "sla_due_at", "first_contacted_at", "rule"]


class RuleMemberInline(admin.TabularInline):
    model = RuleMember
    extra = 0
    raw_id_fields = ["user"]


@admin.register(AssignmentRule)
class AssignmentRuleAdmin(HistoryAdmin):
    list_display = ["name", "priority", "method", "sla_hours", "is_active"]
    list_filter = ["is_active", "method"]
    inlines = [RuleMemberInline]
    exclude = ["last_member"]


@admin.register(AssignmentLog)
class AssignmentLogAdmin(admin.ModelAdmin):
    list_display = ["created_at", "lead", "reason", "from_user", "to_user", "rule"]
    list_filter = ["reason"]
    list_select_related = ["lead", "from_user", "to_user", "rule"]
    raw_id_fields = ["lead", "from_user", "to_user", "changed_by"]


@admin.register(LeadSource)
class LeadSourceAdmin(HistoryAdmin):
    list_display = ["name", "source", "token_prefix", "is_active", "last_used_at"]
    readonly_fields = ["token_prefix", "revoked_at", "last_used_at"]
