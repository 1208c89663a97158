from django.urls import path

from klachtbeheer.reporting import views

app_name = "reporting"
urlpatterns = [
    path("register/", views.register_view, name="register"),
    path("register/export.<str:fmt>", views.register_export_view, name="register_export"),
    path("register/exports/", views.exports_view, name="exports"),
    path("register/exports/<int:pk>/", views.export_download_view, name="export_download"),
    path("dashboard/", views.dashboard_view, name="dashboard"),
    path("dashboard/csv/<slug:key>/", views.chart_csv_view, name="chart_csv"),
    path("jaarverslag/<int:year>.<str:fmt>", views.report_view, name="report"),
    path("maatregelen/", views.measures_view, name="measures"),
    path("maatregelen/<int:pk>/", views.measure_view, name="measure"),
    path("categorieen/", views.categories_view, name="categories"),
    path("categorieen/<int:pk>/", views.categories_view, name="category"),
    path("tevredenheid/<int:pk>/opvolging/", views.follow_up_view, name="satisfaction_follow_up"),
]
