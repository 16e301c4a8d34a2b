from django.urls import path

from service import views, views_care

app_name = "service"

urlpatterns = [
    path("", views.ticket_list, name="ticket-list"),
    path("tickets/new/", views.ticket_create, name="ticket-create"),
    path("tickets/<int:pk>/", views.ticket_detail, name="ticket-detail"),
    path("tickets/<int:pk>/edit/", views.ticket_update, name="ticket-update"),
    path("tickets/<int:pk>/move/", views.ticket_move, name="ticket-move"),
    path("tickets/<int:pk>/assign/", views.ticket_assign, name="ticket-assign"),
    path("tickets/<int:pk>/comment/", views.ticket_comment, name="ticket-comment"),
    # --- customer care (service/views_care.py) ---
    path("care/", views_care.care_rule_list, name="care-rule-list"),
    path("care/new/", views_care.care_rule_edit, name="care-rule-create"),
    path("care/<int:pk>/edit/", views_care.care_rule_edit, name="care-rule-update"),
    path("care/<int:pk>/preview/", views_care.care_rule_preview, name="care-rule-preview"),
    path("care/messages/", views_care.care_message_list, name="care-message-list"),
    path("flows/", views_care.flow_list, name="flow-list"),
    path("flows/new/", views_care.flow_edit, name="flow-create"),
    path("flows/<int:pk>/edit/", views_care.flow_edit, name="flow-update"),
    path("care/messages/resend/", views_care.care_message_resend, name="care-message-resend"),
]
