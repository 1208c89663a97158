from django.urls import path

from klachtbeheer.intake import views

app_name = "intake"
urlpatterns = [
    path("klacht/", views.complaint_form, name="form"),
    path("klacht/ontvangen/", views.complaint_received, name="received"),
    path("klacht/altcha/", views.altcha_challenge, name="altcha"),
    # The link itself is swapped for the session at once (status_enter); the rest is token-less.
    path("klacht/status/", views.status_page, name="status_home"),
    path("klacht/status/brieven/<uuid:uid>/", views.status_letter, name="status_letter"),
    path("klacht/status/tevredenheid/", views.status_survey, name="status_survey"),
    path("klacht/link-opnieuw/", views.status_link_again, name="status_link_again"),
    path(
        "klacht/link-opnieuw/verstuurd/",
        views.status_link_again_sent,
        name="status_link_again_sent",
    ),
    path("klacht/status/<str:token>/", views.status_enter, name="status"),
    path("toegankelijkheid/", views.accessibility_page, name="accessibility"),
    path("klachtenprocedure/", views.procedure_page, name="procedure"),
    path("privacy/", views.privacy_page, name="privacy"),
    path("inzendingen/", views.review_list, name="review_list"),
    path("inzendingen/<int:pk>/", views.review_detail, name="review_detail"),
    path("api-tokens/", views.token_list, name="tokens"),
]
