from django.urls import path

from opportunities import views, views_board, views_quotes, views_reports, views_settings

app_name = "opportunities"

urlpatterns = [
    path("", views.opportunity_list, name="opportunity-list"),
    path("new/", views.opportunity_create, name="opportunity-create"),
    path("<int:pk>/", views.opportunity_detail, name="opportunity-detail"),
    path("<int:pk>/edit/", views.opportunity_update, name="opportunity-update"),
    path("<int:pk>/move/", views.opportunity_move, name="opportunity-move"),
    path("<int:pk>/activities/new/", views.activity_create, name="activity-create"),
    path("board/", views_board.board_default, name="board-default"),
    path("board/<int:pk>/", views_board.board, name="board"),
    path("forecast/", views_reports.forecast, name="forecast"),
    path("funnel/", views_reports.funnel, name="funnel"),
    path("win-rate/", views_reports.win_rate, name="win-rate"),
    path("settings/pipelines/", views_settings.pipeline_list, name="pipeline-list"),
    path("settings/pipelines/new/", views_settings.pipeline_edit, name="pipeline-create"),
    path("settings/pipelines/<int:pk>/", views_settings.pipeline_edit, name="pipeline-update"),
    path("settings/lost-reasons/", views_settings.lost_reasons, name="lost-reasons"),
]

urlpatterns += [
    path("<int:pk>/quotes/new/", views_quotes.quote_create, name="quote-create"),
    path("quotes/<int:pk>/", views_quotes.quote_detail, name="quote-detail"),
    path("quotes/<int:pk>/edit/", views_quotes.quote_update, name="quote-update"),
    path("quotes/<int:pk>/pdf/", views_quotes.quote_pdf, name="quote-pdf"),
]
