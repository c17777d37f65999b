"""Keyward settings. Every deployment-specific value comes from the environment
(or a `.env` file beside manage.py); `.env.example` documents each variable."""

from pathlib import Path

import csp.constants as csp
import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# The environment wins over the file. KEYWARD_ENV_FILE lets a shell share the systemd units' file
# (/etc/keyward/keyward.env) for manage.py commands; development uses .env beside manage.py.
environ.Env.read_env(env.str("KEYWARD_ENV_FILE", default=str(BASE_DIR / ".env")), overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set SECRET_KEY in the environment (a long random string); DEBUG is off.")
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",
    "axes",  # log-in lockouts an admin can lift (accounts/lockout.py)
    "django_tasks_db",
    "project",  # start-up checks (project/checks.py), the scheduler command and the periodic job list
    "accounts",
    "authtokens",
    "licensing",
    "parameters",
    "webhooks",
    "commerce",
]

MIDDLEWARE = [
    "project.metrics.ClientLatencyMiddleware",  # first: client request latency through the whole stack
    "project.middleware.RequestIdMiddleware",  # X-Request-ID, and the id in JSON 500s
    "project.health.HealthCheckMiddleware",  # /healthz, /readyz: before the HTTPS redirect and host checks
    "project.metrics.MetricsEndpointMiddleware",  # GET /metrics with METRICS_TOKEN, else the usual 404
    "project.middleware.ClientAddressMiddleware",  # the caller's IP for the security log
    "project.middleware.HostileInputMiddleware",  # NUL in the query string: 400; oversized API bodies: 413
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",  # Content-Security-Policy (CONTENT_SECURITY_POLICY below)
    "project.middleware.PermissionsPolicyMiddleware",
    "authtokens.api.authentication.DeprecationHeaderMiddleware",  # Sunset/Warning headers for legacy tokens
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out log-in into the 429 page
]

AUTHENTICATION_BACKENDS = [
    "accounts.lockout.LockoutBackend",  # first: refuses a locked-out log-in before checking the password
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "project.urls"
WSGI_APPLICATION = "project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.workspace_navigation",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server, the task worker and the scheduler share the file: take the write lock at BEGIN
    # and wait for it, rather than failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
# A reused connection is checked before each request, so a database restart costs a reconnect, not a 500.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
# Every key is prefixed, so one Redis (database) can serve several applications or Keyward instances.
CACHES["default"]["KEY_PREFIX"] = env.str("CACHE_KEY_PREFIX", default="keyward")
# The client API's answers (validate, token activation, client info) come from snapshots in the
# shared cache when CACHE_URL is Redis (project/client_cache.py); a change through Keyward reaches
# every server at once, and this TTL only bounds the life of a snapshot that nothing invalidated.
# 0 turns the snapshots off (every request reads the database and writes its counters).
CLIENT_CACHE_SECONDS = env.int("CLIENT_CACHE_SECONDS", default=60)
# When Redis does not answer, the client API answers from the database (rate limits counted per
# process) and tries Redis again after this many seconds.
CLIENT_CACHE_RETRY_SECONDS = env.int("CLIENT_CACHE_RETRY_SECONDS", default=10)

EMAIL_CONFIG = env.email("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Keyward <keyward@localhost>")
# The base URL used in e-mails (invitation links, leak reports).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "accounts:login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True
# Dates in one format everywhere, with the time zone (project/formats/en/formats.py).
FORMAT_MODULE_PATH = ["project.formats"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# The manifest storage needs `collectstatic`; development and tests serve from the finders.
STATIC_MANIFEST = env.bool("STATIC_MANIFEST", default=not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST

# Security: secure by default whenever DEBUG is off.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
# HSTS is sticky in browsers, so it is opt-in: set it once TLS works.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=SECURE_HSTS_SECONDS > 0)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# How many reverse proxies append to X-Forwarded-For in front of Keyward: the client's address
# (security log, token telemetry) is read that many entries from the right. 0: REMOTE_ADDR.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# No inline script anywhere (the dashboard's JS is static/js/keyward.js; /api/docs/ loads Swagger UI's
# from a file too). Inline style attributes stay allowed: the usage charts set bar heights with them.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF],
        "style-src": [csp.SELF, csp.UNSAFE_INLINE],
        "img-src": [csp.SELF, "data:"],
        "font-src": [csp.SELF],
        "connect-src": [csp.SELF],
        "object-src": [csp.NONE],
        "base-uri": [csp.SELF],
        "form-action": [csp.SELF],
        "frame-ancestors": [csp.NONE],
    }
}
# Browser features the dashboard never uses are switched off for it and anything it might embed.
PERMISSIONS_POLICY = env.str(
    "PERMISSIONS_POLICY",
    default="accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=()",
)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First, so unauthenticated requests get 401 with `WWW-Authenticate: Bearer`.
        "authtokens.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Like IsAuthenticated, plus CI tokens on the views that opt in with allow_ci_token = True.
    "DEFAULT_PERMISSION_CLASSES": ["authtokens.api.authentication.IsAuthenticatedOrCIToken"],
    "DEFAULT_PAGINATION_CLASS": "project.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "project.api.errors.exception_handler",
    # Deeply nested JSON is a 400, not a RecursionError (500).
    "DEFAULT_PARSER_CLASSES": [
        "project.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    # OPTIONS describes a view without asking it for a serializer (most views declare none).
    "DEFAULT_METADATA_CLASS": "project.api.metadata.Metadata",
    "DEFAULT_THROTTLE_RATES": {},  # each view's throttles read settings.RATE_LIMITS (project/throttles.py)
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Keyward API",
    "DESCRIPTION": "Licenses, seats and auth tokens for a software vendor. "
    "Errors are JSON objects {code, message, fields}.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "project.error_codes.schema_error_codes_hook",
    ],
    # One name for a choice set used by several fields.
    "ENUM_NAME_OVERRIDES": {
        "TokenKindEnum": "authtokens.models.TokenKind",
        "LicenseStatusEnum": "licensing.models.LicenseStatus",
        "WebhookDeliveryStatusEnum": "webhooks.models.DeliveryStatus",
    },
}

# LOG_FORMAT=json: one JSON object per line (time, level, logger, message, request_id, fields);
# plain: the same for people. Every record carries the request id sent back as X-Request-ID.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT is {LOG_FORMAT!r}; set it to plain or json.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "project.logs.RequestIdFilter"}},
    "formatters": {
        "plain": {
            "()": "project.logs.PlainFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        },
        "json": {"()": "project.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

INVITATION_LIFETIME_DAYS = 7
# Off: only people holding an invitation can create an account (an operator onboards customers
# by creating the workspace in admin and inviting its owner).
PUBLIC_SIGNUP = env.bool("PUBLIC_SIGNUP", default=True)

# Secret scanning (leak reports): the partner's ECDSA P-256 public keys, as JSON {"key id": "PEM", ...}
# or the path of a file holding that JSON. Empty: every report is refused.
SECRET_SCANNING_PUBLIC_KEYS = env.str("SECRET_SCANNING_PUBLIC_KEYS", default="", multiline=True)

# Ed25519 key that signs offline certificates: PEM, or base64 of the raw 32-byte private key.
# Without it, DEBUG generates one into SIGNING_KEY_FILE (git-ignored); with DEBUG off it is required.
SIGNING_KEY = env.str("SIGNING_KEY", default="", multiline=True)
SIGNING_KEY_FILE = env.path("SIGNING_KEY_FILE", default=BASE_DIR / "signing_key.pem")

# Fernet keys that encrypt secret parameter values, newest first (comma-separated). The first one
# encrypts; all of them decrypt, so a new key goes in front and `manage.py rotate_parameter_keys`
# moves every row onto it before an old key is dropped. Without keys, DEBUG generates one into
# PARAMETER_KEYS_FILE (git-ignored); with DEBUG off Keyward refuses to start (parameters.E001).
PARAMETER_KEYS = env.list("PARAMETER_KEYS", default=[])
PARAMETER_KEYS_FILE = env.path("PARAMETER_KEYS_FILE", default=BASE_DIR / "parameter_keys.txt")
# Key rotation: former SIGNING_KEY values (or their public PEMs), comma-separated. Their public keys stay
# in GET /api/v1/client/public-key so certificates they signed keep verifying offline until they expire.
SIGNING_KEYS_PREVIOUS = env.list("SIGNING_KEYS_PREVIOUS", default=[])

# GET /metrics (Prometheus, project/metrics.py) answers only `Authorization: Bearer <METRICS_TOKEN>`;
# empty (the default): /metrics is a 404 like any unknown path.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

# Checks an operator has decided about, e.g. security.W021 (HSTS preload not opted into).
SILENCED_SYSTEM_CHECKS = env.list("SILENCED_SYSTEM_CHECKS", default=[])
# Background work (DEP 14's django.tasks API through the django-tasks backport). The database backend
# keeps queued tasks in the database: SQLite when embedded, PostgreSQL (SKIP LOCKED) in production.
# `manage.py db_worker` runs them and `manage.py run_scheduler` enqueues the periodic jobs
# (project/schedule.py). Tests use "django_tasks.backends.immediate.ImmediateBackend" except where
# they run a real worker.
TASKS = {
    "default": {"BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend")},
}
# Seconds before each retry of an e-mail the SMTP server refused (then it is given up and logged).
EMAIL_RETRY_DELAYS = [10, 60, 300, 1800, 7200]

# Outbound webhooks (webhooks/). Seconds before each retry of a failed delivery, randomised by
# ±WEBHOOK_RETRY_JITTER; the last one failing marks the delivery failed (about 27 h after the event).
WEBHOOK_RETRY_DELAYS = [5, 300, 1800, 7200, 18000, 36000, 36000]
WEBHOOK_RETRY_JITTER = 0.2
WEBHOOK_TIMEOUT_SECONDS = 10
# An endpoint whose every delivery failed for this long is disabled and its owners e-mailed.
WEBHOOK_DISABLE_AFTER_DAYS = 3
# Delivery logs (attempts and finished deliveries) older than this are pruned daily.
WEBHOOK_LOG_RETENTION_DAYS = env.int("WEBHOOK_LOG_RETENTION_DAYS", default=30)
# Development only: allow http:// endpoint URLs, and URLs that resolve to loopback, private,
# link-local or cloud metadata addresses (SSRF guard; webhooks/ssrf.py).
WEBHOOK_ALLOW_HTTP = env.bool("WEBHOOK_ALLOW_HTTP", default=False)
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", default=False)
# A PEM file of extra certificate authorities trusted for webhook receivers (empty: the usual ones).
WEBHOOK_TLS_CA_FILE = env.str("WEBHOOK_TLS_CA_FILE", default="")

# Commerce (commerce/): the Standard Webhooks secret (`whsec_…`) that signs inbound billing events
# at /api/v1/billing/events. Empty: the endpoint answers 503 until it is set.
BILLING_WEBHOOK_SECRET = env.str("BILLING_WEBHOOK_SECRET", default="")
# Rate limits (project/throttles.py), counted in the shared cache: "N/s", "N/min", "N/hour" or "N/day".
RATE_LIMITS = {
    "client_ip": env.str("RATE_LIMIT_CLIENT_IP", default="1200/min"),  # public client API, per IP
    "license_key": env.str("RATE_LIMIT_LICENSE_KEY", default="120/min"),  # per license key
    "license_activation": env.str("RATE_LIMIT_LICENSE_ACTIVATIONS", default="30/hour"),  # per license
    "auth_token": env.str("RATE_LIMIT_AUTH_TOKEN", default="600/min"),  # client API per auth token
    "signup": env.str("RATE_LIMIT_SIGNUP", default="10/h"),  # per IP and per e-mail address
    "password_reset": env.str("RATE_LIMIT_PASSWORD_RESET", default="10/h"),  # per IP and per address
}
# Log-in lockouts (django-axes, accounts/lockout.py): per IP and per account, lifted after the
# cool-off or by an admin (Axes → Access attempts). Attempts live in the database.
AXES_ENABLED = env.bool("LOGIN_LOCKOUT_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = env.float("LOGIN_LOCKOUT_MINUTES", default=15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_USERNAME_CALLABLE = "accounts.lockout.lockout_username"
AXES_USERNAME_FORM_FIELD = "username"  # the log-in forms (dashboard and admin) name the e-mail field so
AXES_CLIENT_IP_CALLABLE = "authtokens.api.authentication.client_ip"
AXES_VERBOSE = False
