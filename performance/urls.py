from django.urls import include, path

app_name = "performance"

# Each part of the app keeps its own URL module; names live in the "performance" namespace.
urlpatterns = [
    path("", include("performance.dashboards.urls")),
    path("plans/", include("performance.plans.urls")),
    path("schemes/", include("performance.schemes.urls")),
    path("runs/", include("performance.compute.urls")),
    path("scorecards/", include("performance.review.urls")),
    path("statistics/", include("performance.statistics.urls")),
]
