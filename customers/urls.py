from django.urls import path

from customers import views, views_pool

app_name = "customers"

urlpatterns = [
    path("", views.customer_list, name="customer-list"),
    path("new/", views.customer_create, name="customer-create"),
    path("duplicates/", views.customer_duplicates, name="customer-duplicates"),
    path("follow-ups/", views.follow_up_list, name="follow-up-list"),
    path("<int:pk>/", views.customer_detail, name="customer-detail"),
    path("<int:pk>/edit/", views.customer_update, name="customer-update"),
    path("<int:pk>/history/", views.customer_history, name="customer-history"),
    path("<int:pk>/timeline/", views.customer_timeline, name="customer-timeline"),
    path("<int:pk>/activities/new/", views.activity_create, name="activity-create"),
    path("<int:pk>/contacts/new/", views.contact_create, name="contact-create"),
    path("contacts/<int:pk>/edit/", views.contact_update, name="contact-update"),
    path("contacts/<int:pk>/delete/", views.contact_delete, name="contact-delete"),
    # --- public pool, claims, transfers (customers/views_pool.py) ---
    path("pool/", views_pool.pool_list, name="pool-list"),
    path("pool/assign/", views_pool.pool_assign, name="pool-assign"),
    path("pool/settings/", views_pool.pool_settings, name="pool-settings"),
    path("pool/rules/new/", views_pool.pool_rule_edit, name="pool-rule-create"),
    path("pool/rules/<int:pk>/edit/", views_pool.pool_rule_edit, name="pool-rule-update"),
    path("<int:pk>/claim/", views_pool.customer_claim, name="customer-claim"),
    path("<int:pk>/release/", views_pool.customer_release, name="customer-release"),
    path("transfer/", views_pool.customer_transfer, name="customer-transfer"),
    path("handover/", views_pool.rep_handover, name="rep-handover"),
]
