from django.urls import path

from klachtbeheer.intake import views

app_name = "intake"
urlpatterns = [
    path("klacht/", views.complaint_form, name="form"),
    path("klacht/ontvangen/", views.complaint_received, name="received"),
    path("klacht/altcha/", views.altcha_challenge, name="altcha"),
    path("klacht/status/<str:token>/", views.status_page, name="status"),
    path(
        "klacht/status/<str:token>/brieven/<uuid:uid>/", views.status_letter, name="status_letter"
    ),
    path("klacht/status/<str:token>/tevredenheid/", views.status_survey, name="status_survey"),
    path("klachtenprocedure/", views.procedure_page, name="procedure"),
    path("privacy/", views.privacy_page, name="privacy"),
    path("inzendingen/", views.review_list, name="review_list"),
    path("inzendingen/<int:pk>/", views.review_detail, name="review_detail"),
    path("api-tokens/", views.token_list, name="tokens"),
]
