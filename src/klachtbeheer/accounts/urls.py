from django.urls import path

from klachtbeheer.accounts import views

app_name = "accounts"

urlpatterns = [
    path("tweede-factor/", views.two_factor, name="two_factor"),
    path("tweede-factor/instellen/", views.two_factor_setup, name="two_factor_setup"),
    path("tweede-factor/herstelcodes/", views.recovery_codes, name="recovery_codes"),
    path("wachtwoord/vergeten/", views.password_forgot, name="password_forgot"),
    path(
        "wachtwoord/instellen/<uidb64>/<token>/",
        views.PasswordSetView.as_view(),
        name="password_set",
    ),
    path("sso/geweigerd/", views.sso_refused, name="sso_refused"),
    path("gebruikers/", views.users, name="users"),
    path("gebruikers/uitnodigen/", views.user_invite, name="user_invite"),
    path("gebruikers/<int:user_id>/", views.user_detail, name="user"),
    path("gebruikers/adres-vrijgeven/", views.address_unlock, name="address_unlock"),
    path("gebruikers/koppelingen/", views.service_accounts, name="service_accounts"),
]
