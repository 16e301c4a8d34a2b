"""Dashboards of the performance app (mounted at /performance/, namespace "performance")."""

from django.urls import path

from performance.dashboards import views

urlpatterns = [
    path("", views.home, name="home"),
    path("me/", views.my_dashboard, name="my-dashboard"),
    path("team/", views.team_dashboard, name="team-dashboard"),
    path("company/", views.company_dashboard, name="company-dashboard"),
    path("exports/scorecards/", views.scorecard_export, name="scorecard-export"),
    path("exports/scorecards/<int:pk>/pdf/", views.scorecard_pdf, name="scorecard-pdf"),
]
