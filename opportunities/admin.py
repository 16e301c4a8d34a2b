from django.contrib import admin

from crm.admin import HistoryAdmin
from opportunities.models import LostReason, Opportunity, Pipeline, Stage, StageChange


class StageInline(admin.TabularInline):
    model = Stage
    extra = 0
    fields = ["order", "name", "name_zh", "probability", "kind"]


@admin.register(Pipeline)
class PipelineAdmin(HistoryAdmin):
    list_display = ["name", "name_zh", "order", "is_default", "is_active"]
    inlines = [StageInline]


@admin.register(LostReason)
class LostReasonAdmin(HistoryAdmin):
    list_display = ["name", "name_zh", "order", "is_active"]
    list_editable = ["order", "is_active"]


@admin.register(Opportunity)
class OpportunityAdmin(HistoryAdmin):
    list_display = ["code", "name", "customer", "stage", "amount", "owner", "expected_close_on"]
    list_filter = ["status", "pipeline"]
    search_fields = ["code", "name"]
    list_select_related = ["customer", "stage", "owner"]
    raw_id_fields = ["customer", "contact", "owner", "created_by", "source_lead"]
    # Stage moves must leave a StageChange row: they go through the app's pages.
    readonly_fields = [
        "stage",
        "pipeline",
        "status",
        "stage_entered_at",
        "closed_at",
        "lost_reason",
    ]
    show_full_result_count = False


@admin.register(StageChange)
class StageChangeAdmin(admin.ModelAdmin):
    list_display = ["opportunity", "from_stage", "to_stage", "changed_by", "changed_at"]
    list_select_related = ["opportunity", "from_stage", "to_stage", "changed_by"]
    raw_id_fields = ["opportunity", "changed_by"]
    show_full_result_count = False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False
