from django.urls import path

from performance.schemes import views

urlpatterns = [
    path("", views.scheme_list, name="scheme-list"),
    path("new/", views.scheme_create, name="scheme-create"),
    path("<int:pk>/", views.scheme_detail, name="scheme-detail"),
    path("<int:pk>/edit/", views.scheme_edit, name="scheme-edit"),
    path("<int:pk>/new-version/", views.scheme_new_version, name="scheme-new-version"),
    path("<int:pk>/activate/", views.scheme_activate, name="scheme-activate"),
    path("<int:pk>/delete/", views.scheme_delete, name="scheme-delete"),
]
