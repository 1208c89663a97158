from django.urls import path

from klachtbeheer.casework import views

app_name = "complaints"
urlpatterns = [
    path("", views.work_list_view, name="work_list"),
    path("nieuw/", views.register_view, name="register"),
    path("<str:reference>/", views.detail_view, name="detail"),
    path("<str:reference>/stap/<str:step>/", views.step_view, name="step"),
    path("<str:reference>/bijlagen/<int:pk>/", views.attachment_view, name="attachment"),
]
