from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from crm import views, views_audit, views_imports

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("people/", views.user_list, name="user-list"),
    path("people/<int:pk>/", views.user_detail, name="user-detail"),
    path("teams/", views.team_list, name="team-list"),
    path("teams/<int:pk>/", views.team_detail, name="team-detail"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("imports/", views_imports.import_index, name="import-index"),
    path("imports/jobs/<int:pk>/", views_imports.import_job, name="import-job"),
    path("imports/jobs/<int:pk>/progress/", views_imports.import_progress, name="import-progress"),
    path("imports/jobs/<int:pk>/confirm/", views_imports.import_confirm, name="import-confirm"),
    path("imports/jobs/<int:pk>/rejected/", views_imports.import_rejected, name="import-rejected"),
    path("imports/<slug:kind>/", views_imports.import_start, name="import-start"),
    path(
        "imports/<slug:kind>/template.<str:fmt>",
        views_imports.import_template,
        name="import-template",
    ),
    path("audit/", views_audit.audit_changes, name="audit"),
    path(
        "audit/changes/<str:model>/<int:history_id>/",
        views_audit.audit_change_detail,
        name="audit-change",
    ),
    path("audit/sign-ins/", views_audit.audit_sign_ins, name="audit-sign-ins"),
    path("audit/sign-ins/<int:pk>/unlock/", views_audit.audit_unlock, name="audit-unlock"),
    path("exports/<slug:kind>.<str:fmt>", views_imports.export_all, name="export-all"),
    path("customers/", include("customers.urls")),
    path("leads/", include("leads.urls")),
    path("api/", include("leads.api_urls")),
    path("opportunities/", include("opportunities.urls")),
    path("orders/", include("orders.urls")),
    path("service/", include("service.urls")),
    path("notifications/", include("notifications.urls")),
    path("performance/", include("performance.urls")),
    path("admin/", admin.site.urls),
]
