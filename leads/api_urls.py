"""The JSON API (token-authenticated, CSRF-exempt): web-to-lead."""

from django.urls import path

from leads import api

app_name = "api"

urlpatterns = [
    path("leads/", api.lead_create, name="lead-create"),
]
