from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from klachtbeheer.accounts import oidc as accounts_oidc
from klachtbeheer.accounts import views as accounts_views
from klachtbeheer.api.v1 import api
from klachtbeheer.operations import views as operations_views

# A database outage is 503 with Retry-After, also when it surfaces outside a view.
handler500 = "klachtbeheer.operations.views.server_error"

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    # Answered by operations.middleware.RequestMiddleware before any other middleware;
    # the routes are here for reverse() and for a set-up without that middleware.
    path("healthz", operations_views.healthz, name="health"),
    path("readyz", operations_views.readyz, name="ready"),
    path("metrics", operations_views.metrics_view, name="metrics"),
    # Public intake and API: JSON, not translated by URL (Accept-Language picks the messages).
    path("api/v1/", api.urls),
    # Single sign-on: fixed addresses, registered at the identity provider.
    path("sso/start/", accounts_oidc.StartView.as_view(), name="oidc_authentication_init"),
    path(
        "sso/callback/", accounts_oidc.CallbackView.as_view(), name="oidc_authentication_callback"
    ),
]
urlpatterns += i18n_patterns(
    path("", accounts_views.home, name="home"),
    path("inloggen/", accounts_views.LoginView.as_view(), name="login"),
    path("uitloggen/", accounts_views.logout, name="logout"),
    path("", include("klachtbeheer.accounts.urls")),
    path("klachten/", include("klachtbeheer.casework.urls")),
    path("brieven/", include("klachtbeheer.letters.urls")),
    path("e-mail/", include("klachtbeheer.mailintake.urls")),
    path("persoonsgegevens/", include("klachtbeheer.privacy.urls")),
    path("", include("klachtbeheer.reporting.urls")),
    path("", include("klachtbeheer.intake.urls")),
    path("beheer/", admin.site.urls),
    prefix_default_language=False,
)
