from django.urls import path

from klachtbeheer.privacy import views

app_name = "privacy"
urlpatterns = [
    path("", views.home_view, name="home"),
    path("verwerkingsregister/", views.processing_register_view, name="processing_register"),
    path("inzage/", views.subject_view, name="subject"),
    path("klacht/<str:reference>/", views.complaint_view, name="complaint"),
    path("auditlog/", views.audit_export_view, name="audit_export"),
]
