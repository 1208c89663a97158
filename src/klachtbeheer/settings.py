"""Settings for Klachtbeheer, read from environment variables.

Development defaults are safe to run on a laptop (SQLite under ./var, DEBUG on,
loopback only). Production sets KLACHTBEHEER_ENV=production, which turns DEBUG
off and requires a real SECRET_KEY and ALLOWED_HOSTS.
"""

import os
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from klachtbeheer.core import mailauth
from klachtbeheer.datadir import data_dir

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = data_dir()  # KLACHTBEHEER_DATA_DIR, else the checkout's var/ (klachtbeheer.datadir)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


PRODUCTION = os.environ.get("KLACHTBEHEER_ENV", "development") == "production"
DEBUG = env_bool("DEBUG", not PRODUCTION)

# What a production set-up lacks: (check id, message, hint). Reported by Django's check
# framework (`klachtbeheer check`, every command), and `klachtbeheer serve`, `klachtbeheer
# worker` and the WSGI application refuse to start while it is not empty
# (klachtbeheer.core.checks). Nothing runs half-configured in production.
CONFIGURATION_ERRORS: list[tuple[str, str, str]] = []


def _ensure_directory(path: Path, what: str) -> bool:
    """Create `path` if needed; in production an unwritable data directory stops the start."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        if not PRODUCTION:
            raise
        CONFIGURATION_ERRORS.append(
            (
                "klachtbeheer.E004",
                f"The data directory is not writable: {what} {path} ({error.strerror}).",
                "Set KLACHTBEHEER_DATA_DIR to a directory the service user can write to.",
            )
        )
        return False
    return True


DATA_DIR_WRITABLE = _ensure_directory(DATA_DIR, "KLACHTBEHEER_DATA_DIR")


SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        CONFIGURATION_ERRORS.append(
            (
                "klachtbeheer.E001",
                "SECRET_KEY is not set (KLACHTBEHEER_ENV=production).",
                "Set SECRET_KEY to at least 50 random characters, e.g. from "
                "`python3 -c 'import secrets; print(secrets.token_urlsafe(50))'`.",
            )
        )
        # Only so that Django can load; nothing starts while CONFIGURATION_ERRORS is not empty.
        SECRET_KEY = "unset-" + "x" * 50
    else:
        SECRET_KEY = "django-insecure-development-only-" + "k" * 40

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
if PRODUCTION and not ALLOWED_HOSTS:
    CONFIGURATION_ERRORS.append(
        (
            "klachtbeheer.E002",
            "ALLOWED_HOSTS is not set (KLACHTBEHEER_ENV=production).",
            "Set ALLOWED_HOSTS to the site's host name(s), e.g. klachten.example.nl.",
        )
    )
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    # Sign-in: a second factor (TOTP, recovery codes) and single sign-on (klachtbeheer.accounts).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "mozilla_django_oidc",
    # Public intake and API: django-ninja serves its API docs (Swagger UI) from
    # its own static files only when it is an installed app (else from a CDN).
    "ninja",
    "klachtbeheer.core",
    "klachtbeheer.organisation",
    "klachtbeheer.complaints",
    "klachtbeheer.casework",
    "klachtbeheer.intake",
    "klachtbeheer.letters",
    "klachtbeheer.mailintake",
    "klachtbeheer.reporting",
    "klachtbeheer.privacy",
    "klachtbeheer.reminders",
    "klachtbeheer.accounts",
    "klachtbeheer.demo",
    "klachtbeheer.operations",
    "klachtbeheer.api",
]

MIDDLEWARE = [
    # First: a request id and the request's log line and metrics; answers /healthz,
    # /readyz and /metrics itself (no host check, no session, no redirect).
    "klachtbeheer.operations.middleware.RequestMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy (Django's own, with a nonce per response) and Permissions-Policy.
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Under /api/: the language from Accept-Language, and every answer JSON.
    "klachtbeheer.api.middleware.ApiMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The second factor: request.user.is_verified(), and staff without it go to set it up.
    "django_otp.middleware.OTPMiddleware",
    "klachtbeheer.accounts.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "klachtbeheer.core.middleware.ProcedureErrorMiddleware",
    # The database is down: 503 with Retry-After and a friendly page (not under /api/).
    "klachtbeheer.operations.middleware.DatabaseUnavailableMiddleware",
    # Must be last: it turns a locked-out login into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "klachtbeheer.urls"
# Django's form renderer, with its inputs and selects written in Python (issue 15).
FORM_RENDERER = "klachtbeheer.core.form_renderer.FormRenderer"
WSGI_APPLICATION = "klachtbeheer.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "klachtbeheer.organisation.context_processors.staff_role",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'klachtbeheer.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
# A persistent connection is checked before each request reuses it, so the first request
# after a database restart does not fail on a dead connection.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and not env_bool(
    "DB_JIT", False
):
    # PostgreSQL's JIT compiles a query whose estimated cost is high, which for the
    # short queries of a web page costs more than it saves: 0.5 s of compiling for an
    # outbox query of 5 ms at a million complaints (issue 15). DB_JIT=true turns it on.
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = f"{_options.get('options', '')} -c jit=off".strip()
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if Path(DATABASES["default"]["NAME"]).parent.resolve() != DATA_DIR:
        _ensure_directory(Path(DATABASES["default"]["NAME"]).parent, "SQLite's directory")
    # IMMEDIATE transactions make concurrent writers queue instead of failing
    # with "database is locked" halfway through a step.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Single sign-on with the organisation's OpenID provider (only when OIDC_ISSUER is set).
    "klachtbeheer.accounts.oidc.StaffOIDCBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
# "home" sends each role where its work is (accounts.views.home).
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Lock-out after repeated failed logins (django-axes): per address across user names,
# and per user name across addresses. The address is the client's as the documented
# proxy set-up passes it on (intake.ratelimit.client_address, PROXY_COUNT); nginx on
# the same machine is the production default (PROXY_COUNT=1), so a lock-out never
# hits everyone behind the proxy's own address. The quality manager unlocks at
# /gebruikers/ (klachtbeheer.accounts).
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("LOGIN_COOLOFF_HOURS", "1"))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
PROXY_COUNT = int(
    os.environ.get("PROXY_COUNT", "1" if PRODUCTION and env_bool("BEHIND_TLS_PROXY", True) else "0")
)
AXES_IPWARE_PROXY_COUNT = PROXY_COUNT or None
AXES_CLIENT_IP_CALLABLE = "klachtbeheer.accounts.addresses.client_ip"

# --- Sign-in: second factor, single sign-on, service accounts (klachtbeheer.accounts) ---
# TWO_FACTOR: "required" (staff pages and the admin; the only value production accepts),
# "admin" (only the admin; the development default, so the demo stays easy to try) or
# "off" (development only). See README "Signing in".
TWO_FACTOR = os.environ.get("TWO_FACTOR", "required" if PRODUCTION else "admin")
if TWO_FACTOR not in {"required", "admin", "off"} or (PRODUCTION and TWO_FACTOR != "required"):
    CONFIGURATION_ERRORS.append(
        (
            "klachtbeheer.E006",
            f"TWO_FACTOR={TWO_FACTOR!r}: production requires a second factor for every staff "
            "member (BIO).",
            'Leave TWO_FACTOR unset or set it to "required" (development also knows "admin" '
            'and "off").',
        )
    )
    TWO_FACTOR = "required"
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "Klachtbeheer")
# Invitations and password resets: the link works this long (Django's token generator).
PASSWORD_RESET_TIMEOUT = int(os.environ.get("PASSWORD_RESET_HOURS", "72")) * 3600
# Single sign-on (OpenID Connect, mozilla-django-oidc): the provider's endpoints come
# from OIDC_ISSUER/.well-known/openid-configuration (klachtbeheer.accounts.oidc).
OIDC_ISSUER = os.environ.get("OIDC_ISSUER", "").rstrip("/")
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("OIDC_CLIENT_SECRET", "")
OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_SIGN_ALGORITHM", "RS256")
OIDC_RP_SCOPES = os.environ.get("OIDC_SCOPES", "openid email profile")
OIDC_PROVIDER_NAME = os.environ.get("OIDC_PROVIDER_NAME", "")
if OIDC_ISSUER and not (OIDC_RP_CLIENT_ID and OIDC_RP_CLIENT_SECRET):
    CONFIGURATION_ERRORS.append(
        (
            "klachtbeheer.E007",
            "OIDC_ISSUER is set without OIDC_CLIENT_ID and OIDC_CLIENT_SECRET.",
            "Set both from the client registered at the identity provider, or unset OIDC_ISSUER.",
        )
    )
# An identity without a Klachtbeheer account: refused (default), or made without any role.
OIDC_CREATE_USERS = env_bool("OIDC_CREATE_USERS", False)
OIDC_TIMEOUT = float(os.environ.get("OIDC_TIMEOUT", "10"))
OIDC_STORE_ID_TOKEN = True
OIDC_AUTHENTICATE_CLASS = "klachtbeheer.accounts.oidc.StartView"
OIDC_CALLBACK_CLASS = "klachtbeheer.accounts.oidc.CallbackView"
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc_authentication_callback"
OIDC_OP_LOGOUT_URL_METHOD = "klachtbeheer.accounts.oidc.provider_logout_url"
# Service accounts (integrations): last use is written at most this often per token.
SERVICE_TOKEN_LAST_USED_SECONDS = int(os.environ.get("SERVICE_TOKEN_LAST_USED_SECONDS", "300"))
SERVICE_TOKEN_DAYS = int(os.environ.get("SERVICE_TOKEN_DAYS", "365"))

# --- Content-Security-Policy and Permissions-Policy ----------------------------------
# Django's own CSP: everything from this site only, scripts only from our files or with
# the response's nonce, no framing. Data: images only for the API docs' icons.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "worker-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF, *([OIDC_ISSUER] if OIDC_ISSUER else [])],
    "frame-ancestors": [CSP.NONE],
}
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
        "xr-spatial-tracking",
    )
}

LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Dutch")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
# Dates in each language's own words and order; templates name the format (issue 14).
FORMAT_MODULE_PATH = ["klachtbeheer.formats"]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", DATA_DIR / "static")).resolve()
# Production: `collectstatic` writes each file under its hashed name with a gzip and a
# Brotli copy beside it, and whitenoise serves the smallest the browser accepts, cached
# for a year. Source maps are kept as they are (only developers' tools read them).
WHITENOISE_KEEP_ONLY_HASHED_FILES = True
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (
    *("jpg", "jpeg", "png", "gif", "webp", "zip", "gz", "tgz", "bz2", "tbz", "xz", "br"),
    *("swf", "flv", "woff", "woff2", "3gp", "3gpp", "asf", "avi", "m4v", "mov", "mp4"),
    *("mpeg", "mpg", "webm", "wmv", "map"),
)
if DATA_DIR_WRITABLE:
    _ensure_directory(STATIC_ROOT, "the static files' directory")  # WhiteNoise warns if missing
STORAGES = {
    "default": {
        # Written under a temporary name, in place after the commit (core/storage.py).
        "BACKEND": "klachtbeheer.core.storage.SafeFileSystemStorage",
        # Attachments are personal data: they live outside any web root and
        # are only served through an access-checked view.
        "OPTIONS": {"location": DATA_DIR / "files", "base_url": None},
    },
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = DATA_DIR / "files"
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

SESSION_COOKIE_AGE = int(os.environ.get("SESSION_HOURS", "10")) * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    if env_bool("BEHIND_TLS_PROXY", True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # The probes answer on plain HTTP too: monitoring talks to the server directly.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]

# Logs: one line per record, with the request id; `LOG_FORMAT=json` writes JSON lines.
# E-mail addresses are masked in every line and requests are logged by their route,
# never their path or query string: no personal data in the logs (klachtbeheer.core.logs).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "klachtbeheer.core.logs.ContextFilter"}},
    "formatters": {
        "text": {"()": "klachtbeheer.core.logs.TextFormatter"},
        "json": {"()": "klachtbeheer.core.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["context"],
            "formatter": "json" if LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # Its lines name the path (a status link holds a secret); ours name the route.
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
    },
}

# --- Running in production (klachtbeheer.operations) -------------------------------
# `klachtbeheer serve`: gunicorn with these; see docs/deployment.md.
WEB_BIND = os.environ.get("WEB_BIND", "127.0.0.1:8000")
WEB_WORKERS = int(os.environ.get("WEB_WORKERS", str(min(2 * (os.cpu_count() or 1) + 1, 8))))
WEB_THREADS = int(os.environ.get("WEB_THREADS", "4"))
WEB_TIMEOUT = int(os.environ.get("WEB_TIMEOUT", "60"))
WEB_GRACEFUL_TIMEOUT = int(os.environ.get("WEB_GRACEFUL_TIMEOUT", "30"))
WEB_KEEPALIVE = int(os.environ.get("WEB_KEEPALIVE", "5"))
WEB_MAX_REQUESTS = int(os.environ.get("WEB_MAX_REQUESTS", "2000"))
# /metrics (Prometheus): from these addresses, or with `Authorization: Bearer METRICS_TOKEN`.
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", "127.0.0.1,::1")
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
# /readyz: what counts as too old or too little (0 switches a check off).
READY_WORKER_MAX_AGE_SECONDS = float(os.environ.get("READY_WORKER_MAX_AGE_SECONDS", "120"))
READY_OUTBOX_MAX_AGE_SECONDS = float(os.environ.get("READY_OUTBOX_MAX_AGE_SECONDS", "3600"))
READY_MIN_FREE_DISK_MB = float(os.environ.get("READY_MIN_FREE_DISK_MB", "500"))
WORKER_HEARTBEAT_SECONDS = float(os.environ.get("WORKER_HEARTBEAT_SECONDS", "10"))
# The worker lowers its own CPU priority by this much (os.nice) at start: pages and intake
# get the processor first, and the PDFs and mail it makes wait for a free moment (issue 15).
WORKER_NICE = int(os.environ.get("WORKER_NICE", "10"))
# A database outage: the 503 page asks to come back after this many seconds.
DATABASE_RETRY_AFTER_SECONDS = int(os.environ.get("DATABASE_RETRY_AFTER_SECONDS", "30"))

# --- Public intake and API ----------------------------------------------------
# The complaint form, the status page and the JSON API (klachtbeheer.intake).
# Spam checks without third parties (P2.2): ALTCHA proof of work, a honeypot, a
# minimum fill-in time and a per-address rate limit. See README "Spam protection".
INTAKE_MIN_FILL_SECONDS = int(os.environ.get("INTAKE_MIN_FILL_SECONDS", "5"))
INTAKE_SUBMISSIONS_PER_HOUR = int(os.environ.get("INTAKE_SUBMISSIONS_PER_HOUR", "5"))
INTAKE_STATUS_VIEWS_PER_HOUR = int(os.environ.get("INTAKE_STATUS_VIEWS_PER_HOUR", "60"))
INTAKE_LINK_AGAIN_PER_HOUR = int(os.environ.get("INTAKE_LINK_AGAIN_PER_HOUR", "5"))
INTAKE_API_SUBMISSIONS_PER_HOUR = int(os.environ.get("INTAKE_API_SUBMISSIONS_PER_HOUR", "60"))
INTAKE_STATUS_LINK_DAYS = int(os.environ.get("INTAKE_STATUS_LINK_DAYS", "365"))
INTAKE_STAFF_TOKEN_DAYS = int(os.environ.get("INTAKE_STAFF_TOKEN_DAYS", "90"))
# Empty: derived from SECRET_KEY. A browser tries 16 ** len(prefix) keys of ALTCHA_COST
# PBKDF2 rounds each on average (300 x 4,096: about 1.2 million rounds, 0.5-0.9 s in Chromium);
# the server checks one key: 300 rounds, not 5,000 (issue 15: CPU per submission).
ALTCHA_HMAC_KEY = os.environ.get("ALTCHA_HMAC_KEY", "")
ALTCHA_COST = int(os.environ.get("ALTCHA_COST", "300"))
ALTCHA_KEY_PREFIX = os.environ.get("ALTCHA_KEY_PREFIX", "000")
ALTCHA_EXPIRY_MINUTES = int(os.environ.get("ALTCHA_EXPIRY_MINUTES", "60"))

# --- E-mail intake ------------------------------------------------------------
# The mailbox that `klachtbeheer poll-mailbox` (and the worker) reads, and how
# replies find their case (klachtbeheer.mailintake). See README "E-mail and postal intake".
MAILINTAKE_IMAP_HOST = os.environ.get("MAILINTAKE_IMAP_HOST", "")
MAILINTAKE_IMAP_PORT = int(os.environ.get("MAILINTAKE_IMAP_PORT", "993"))
MAILINTAKE_IMAP_USER = os.environ.get("MAILINTAKE_IMAP_USER", "")
MAILINTAKE_IMAP_PASSWORD = os.environ.get("MAILINTAKE_IMAP_PASSWORD", "")
MAILINTAKE_IMAP_FOLDER = os.environ.get("MAILINTAKE_IMAP_FOLDER", "INBOX")
# "password" (LOGIN), or "oauth2": SASL XOAUTH2 with a token from MAIL_OAUTH2_* (Microsoft 365).
MAILINTAKE_IMAP_AUTH = os.environ.get("MAILINTAKE_IMAP_AUTH", "password").strip().lower()
# TLS from the first byte (port 993); STARTTLS upgrades a plain connection (port 143).
MAILINTAKE_IMAP_TLS = env_bool("MAILINTAKE_IMAP_TLS", True)
MAILINTAKE_IMAP_STARTTLS = env_bool("MAILINTAKE_IMAP_STARTTLS", False)
# After a message is committed: "seen" flags it \Seen, "move" moves it to the folder below.
MAILINTAKE_IMAP_PROCESSED = os.environ.get("MAILINTAKE_IMAP_PROCESSED", "seen")
MAILINTAKE_IMAP_PROCESSED_FOLDER = os.environ.get("MAILINTAKE_IMAP_PROCESSED_FOLDER", "Verwerkt")
MAILINTAKE_POLL_SECONDS = int(os.environ.get("MAILINTAKE_POLL_SECONDS", "120"))
# /readyz: the last poll of a configured mailbox is at most this old (0: not checked).
READY_MAILBOX_MAX_AGE_SECONDS = float(
    os.environ.get("READY_MAILBOX_MAX_AGE_SECONDS", str(3 * MAILINTAKE_POLL_SECONDS + 60))
)
# The intake address; a reply to klachten+KL-2026-00042@… finds complaint KL-2026-00042.
MAILINTAKE_ADDRESS = os.environ.get("MAILINTAKE_ADDRESS", "")
MAILINTAKE_PLUS_SEPARATOR = os.environ.get("MAILINTAKE_PLUS_SEPARATOR", "+")
# Larger messages and longer texts wait for a person instead of becoming a complaint.
MAILINTAKE_MAX_MESSAGE_MB = int(os.environ.get("MAILINTAKE_MAX_MESSAGE_MB", "15"))
MAILINTAKE_MAX_BODY_CHARS = int(os.environ.get("MAILINTAKE_MAX_BODY_CHARS", "100000"))
# Like the form: at most 5 attachments, 50 MB together; a message over either waits for review.
MAILINTAKE_MAX_ATTACHMENTS = int(os.environ.get("MAILINTAKE_MAX_ATTACHMENTS", "5"))
MAILINTAKE_MAX_ATTACHMENTS_MB = int(os.environ.get("MAILINTAKE_MAX_ATTACHMENTS_MB", "50"))
# A message of more MIME parts is not read (Python's parser is slow on thousands of them).
MAILINTAKE_MAX_PARTS = int(os.environ.get("MAILINTAKE_MAX_PARTS", "100"))
# Processing one message longer than this is stopped; the message waits for review.
MAILINTAKE_PROCESS_SECONDS = float(os.environ.get("MAILINTAKE_PROCESS_SECONDS", "60"))
# Who complains by e-mail is not known until triage (P1.1); the type it starts with.
MAILINTAKE_COMPLAINANT_TYPE = os.environ.get("MAILINTAKE_COMPLAINANT_TYPE", "client")

# --- Microsoft 365: OAuth2 for the mailboxes ----------------------------------------
# With MAILINTAKE_IMAP_AUTH=oauth2 and/or EMAIL_AUTH=oauth2, the intake mailbox and
# outgoing mail log in with SASL XOAUTH2: an access token from the client-credentials
# flow at the token endpoint below (klachtbeheer.core.oauth2), kept until shortly before
# it expires. One app registration serves both. See docs/deployment.md, Microsoft 365.
MAIL_OAUTH2_TENANT = os.environ.get("MAIL_OAUTH2_TENANT", "")
MAIL_OAUTH2_TOKEN_URL = os.environ.get("MAIL_OAUTH2_TOKEN_URL", "")
MAIL_OAUTH2_CLIENT_ID = os.environ.get("MAIL_OAUTH2_CLIENT_ID", "")
MAIL_OAUTH2_CLIENT_SECRET = os.environ.get("MAIL_OAUTH2_CLIENT_SECRET", "")
MAIL_OAUTH2_SCOPE = os.environ.get("MAIL_OAUTH2_SCOPE", mailauth.MICROSOFT_SCOPE)
MAIL_OAUTH2_CLIENT_AUTH = os.environ.get("MAIL_OAUTH2_CLIENT_AUTH", "client_secret_post")
MAIL_OAUTH2_REFRESH_BEFORE_SECONDS = float(
    os.environ.get("MAIL_OAUTH2_REFRESH_BEFORE_SECONDS", "300")
)
MAIL_OAUTH2_TIMEOUT = float(os.environ.get("MAIL_OAUTH2_TIMEOUT", "30"))
EMAIL_AUTH = os.environ.get("EMAIL_AUTH", "password").strip().lower()
# A half OAuth2 set-up never starts, in production or not (core.mailauth's rule).
for _message, _hint in mailauth.oauth2_problems(
    imap_auth=MAILINTAKE_IMAP_AUTH,
    imap_user=MAILINTAKE_IMAP_USER,
    smtp_auth=EMAIL_AUTH,
    smtp_user=os.environ.get("EMAIL_HOST_USER", ""),
    token_url=mailauth.token_url_for(token_url=MAIL_OAUTH2_TOKEN_URL, tenant=MAIL_OAUTH2_TENANT),
    client_id=MAIL_OAUTH2_CLIENT_ID,
    client_secret=MAIL_OAUTH2_CLIENT_SECRET,
    scope=MAIL_OAUTH2_SCOPE,
    client_auth=MAIL_OAUTH2_CLIENT_AUTH,
):
    CONFIGURATION_ERRORS.append(("klachtbeheer.E005", _message, _hint))


# Letters and e-mail ----------------------------------------------------------
# The outbox is sent by `klachtbeheer worker` (Django's tasks framework with the
# database backend of django-tasks-db). With EMAIL_HOST set, mail goes to that
# SMTP server; without it (development), each message is written as a file to
# KLACHTBEHEER_DATA_DIR/mail, so nothing leaves the machine.
INSTALLED_APPS += ["django_tasks_db"]
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
DEFAULT_FROM_EMAIL = os.environ.get("EMAIL_FROM", "Klachtbeheer <klachten@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_USE_LOCALTIME = True
if os.environ.get("EMAIL_HOST"):
    MAILERS = {
        "default": {
            # EMAIL_AUTH=oauth2: the same SMTP backend, logging in with XOAUTH2 (core.mailbackend).
            "BACKEND": (
                "klachtbeheer.core.mailbackend.OAuth2EmailBackend"
                if EMAIL_AUTH == mailauth.OAUTH2
                else "django.core.mail.backends.smtp.EmailBackend"
            ),
            "OPTIONS": {
                "host": os.environ["EMAIL_HOST"],
                "port": int(os.environ.get("EMAIL_PORT", "587")),
                "username": os.environ.get("EMAIL_HOST_USER", ""),
                # With OAuth2 the backend logs in with a token, never a password.
                "password": (
                    ""
                    if EMAIL_AUTH == mailauth.OAUTH2
                    else os.environ.get("EMAIL_HOST_PASSWORD", "")
                ),
                "use_tls": env_bool("EMAIL_USE_TLS", False),
                "use_ssl": env_bool("EMAIL_USE_SSL", False),
                "timeout": float(os.environ.get("EMAIL_TIMEOUT", "30")),
            },
        }
    }
else:
    if PRODUCTION:
        CONFIGURATION_ERRORS.append(
            (
                "klachtbeheer.E003",
                "EMAIL_HOST is not set (KLACHTBEHEER_ENV=production): letters and reminders "
                "would be written to files instead of sent.",
                "Set EMAIL_HOST (and EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD or "
                "EMAIL_AUTH=oauth2, EMAIL_USE_TLS) to the organisation's SMTP server.",
            )
        )
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(DATA_DIR / "mail")},
        }
    }
KLACHTBEHEER_BASE_URL = os.environ.get("KLACHTBEHEER_BASE_URL", "http://127.0.0.1:8000")
LETTERS_MESSAGE_ID_DOMAIN = os.environ.get("LETTERS_MESSAGE_ID_DOMAIN", "")
LETTERS_TICK_SECONDS = float(os.environ.get("LETTERS_TICK_SECONDS", "60"))
# Register exports of more rows than this are made by the worker into a file the
# requester downloads from /register/exports/ (issue 15.5); a workbook sooner, as it
# cannot stream. The file is removed by the tick after EXPORT_KEEP_HOURS.
EXPORT_WORKER_ROWS = int(os.environ.get("EXPORT_WORKER_ROWS", "200000"))
EXPORT_WORKER_ROWS_XLSX = int(os.environ.get("EXPORT_WORKER_ROWS_XLSX", "20000"))
EXPORT_KEEP_HOURS = float(os.environ.get("EXPORT_KEEP_HOURS", "24"))
LETTERS_RETRY_BASE_SECONDS = float(os.environ.get("LETTERS_RETRY_BASE_SECONDS", "60"))
LETTERS_RETRY_MAX_SECONDS = float(os.environ.get("LETTERS_RETRY_MAX_SECONDS", "3600"))
LETTERS_MAX_ATTEMPTS = int(os.environ.get("LETTERS_MAX_ATTEMPTS", "12"))
LETTERS_LEASE_SECONDS = float(os.environ.get("LETTERS_LEASE_SECONDS", "300"))
# WeasyPrint reports every rendering step at INFO; only its warnings matter here.
LOGGING["loggers"].update({"weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}})
