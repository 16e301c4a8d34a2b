from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from crm.models import Heartbeat, Position, Team, User


class HistoryAdmin(SimpleHistoryAdmin):
    """History for reading only. Reverting a record from an old version would write around the
    services (a team's path, a customer's owner without its ownership log); the setting
    SIMPLE_HISTORY_REVERT_DISABLED only hides the button, so the POST is refused here."""

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


@admin.register(User)
class UserAdmin(DjangoUserAdmin, HistoryAdmin):
    list_display = (
        "username",
        "first_name",
        "last_name",
        "team",
        "position",
        "is_active",
        "is_staff",
    )
    list_filter = ("position", "team", "is_active", "is_staff", "is_superuser")
    list_select_related = ("team", "position")
    search_fields = ("username", "first_name", "last_name", "email", "phone")
    autocomplete_fields = ("team",)
    fieldsets = (
        *DjangoUserAdmin.fieldsets[:1],
        (_("Personal info"), {"fields": ("first_name", "last_name", "email", "phone", "language")}),
        (_("Organisation"), {"fields": ("team", "position")}),
        *DjangoUserAdmin.fieldsets[2:],
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "password1", "password2")}),
        (_("Organisation"), {"fields": ("team", "position", "first_name", "last_name", "email")}),
    )


@admin.register(Team)
class TeamAdmin(HistoryAdmin):
    list_display = ("indented_name", "kind", "manager", "is_active")
    list_filter = ("kind", "is_active")
    list_select_related = ("manager",)
    search_fields = ("name",)
    autocomplete_fields = ("parent", "manager")
    ordering = ("path",)

    @admin.display(description=_("name"), ordering="path")
    def indented_name(self, obj: Team) -> str:
        return obj.indented_name


@admin.register(Position)
class PositionAdmin(HistoryAdmin):
    list_display = ("__str__", "view_scope", "edit_scope")
    list_editable = ("view_scope", "edit_scope")
    fields = ("kind", "view_scope", "edit_scope")

    def get_readonly_fields(self, request, obj=None):
        # The kinds are fixed: workflows refer to them. Their scopes are the company's choice.
        return ("kind",) if obj else ()


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ("component", "seen_at", "detail")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
