from django.urls import path

from performance.plans import views

# Names live in the "performance" namespace (performance/urls.py mounts this at plans/).
urlpatterns = [
    path("", views.plan_grid, name="plan-grid"),
    path("copy/", views.plan_copy, name="plan-copy"),
    path("export/", views.plan_export, name="plan-export"),
]
