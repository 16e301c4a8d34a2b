"""URLs of the review chain, under /performance/scorecards/ (namespace "performance")."""

from django.urls import path

from performance.review import views

urlpatterns = [
    path("", views.scorecard_list, name="scorecard-list"),
    path("<int:pk>/", views.scorecard_detail, name="scorecard-detail"),
    path("<int:pk>/records/<slug:metric>/", views.scorecard_records, name="scorecard-records"),
    path("<int:pk>/adjust/", views.scorecard_adjust, name="scorecard-adjust"),
    path("<int:pk>/submit/", views.scorecard_submit, name="scorecard-submit"),
    path("<int:pk>/send-back/", views.scorecard_send_back, name="scorecard-send-back"),
    path("<int:pk>/publish/", views.scorecard_publish, name="scorecard-publish"),
    path("<int:pk>/appeal/", views.scorecard_appeal, name="scorecard-appeal"),
    path("<int:pk>/recompute/", views.scorecard_recompute, name="scorecard-recompute"),
    path(
        "recomputations/<int:pk>/decide/",
        views.recomputation_decide,
        name="recomputation-decide",
    ),
    path("periods/<str:key>/", views.period_detail, name="period-detail"),
    path("periods/<str:key>/publish/", views.period_publish, name="period-publish"),
]
