from django.urls import path

from leads import views, views_rules

app_name = "leads"

urlpatterns = [
    path("", views.lead_list, name="lead-list"),
    path("new/", views.lead_create, name="lead-create"),
    path("queue/", views.lead_queue, name="lead-queue"),
    path("assign/", views.lead_assign, name="lead-assign"),
    path("reports/", views.lead_reports, name="lead-reports"),
    path("<int:pk>/", views.lead_detail, name="lead-detail"),
    path("<int:pk>/edit/", views.lead_update, name="lead-update"),
    path("<int:pk>/activities/new/", views.activity_create, name="activity-create"),
    path("<int:pk>/status/", views.lead_status, name="lead-status"),
    path("<int:pk>/disqualify/", views.lead_disqualify, name="lead-disqualify"),
    path("<int:pk>/reopen/", views.lead_reopen, name="lead-reopen"),
    path("<int:pk>/convert/", views.lead_convert, name="lead-convert"),
    # --- admins: rules, members, dry-run, web-form tokens (leads/views_rules.py) ---
    path("rules/", views_rules.rule_list, name="rule-list"),
    path("rules/new/", views_rules.rule_edit, name="rule-create"),
    path("rules/<int:pk>/", views_rules.rule_edit, name="rule-edit"),
    path("rules/<int:pk>/toggle/", views_rules.rule_toggle, name="rule-toggle"),
    path("rules/members/<int:pk>/toggle/", views_rules.member_toggle, name="member-toggle"),
    path("rules/dry-run/", views_rules.rule_dry_run, name="rule-dry-run"),
    path("sources/new/", views_rules.source_create, name="source-create"),
    path("sources/<int:pk>/revoke/", views_rules.source_revoke, name="source-revoke"),
]
