"""Custom statistics (mounted at /performance/statistics/, names in the "performance"
namespace)."""

from django.urls import path

from performance.statistics import views

urlpatterns = [
    path("", views.statistic_list, name="statistic-list"),
    path("new/", views.statistic_create, name="statistic-create"),
    path("<int:pk>/", views.statistic_detail, name="statistic-detail"),
    path("<int:pk>/edit/", views.statistic_update, name="statistic-update"),
    path("<int:pk>/delete/", views.statistic_delete, name="statistic-delete"),
    path("<int:pk>/export.csv", views.statistic_export, name="statistic-export"),
]
