"""Settings read from environment variables (see the configuration table in README.md)."""

from decimal import Decimal
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DATA_DIR = BASE_DIR / ".data"

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)
# Development only: production.py refuses to start without DJANGO_SECRET_KEY.
SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-insecure-key-do-not-use-in-production-0123456789")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
PORTAL_BASE_URL = env("PORTAL_BASE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "core",
    "accounts",
    "customers",
    "agreements",
    "azureplan",
    "billing",
]

# Session, CSRF, authentication and messages come wrapped by core.middleware: a /v1/ request with an
# Authorization header (bearer token) skips them, since nothing of the browser session applies to it.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.middleware.RequestIdMiddleware",
    # Outside the others, so it also sees their early answers; request.user is there by the time it answers.
    "core.middleware.NoStoreMiddleware",
    "core.middleware.RejectNulMiddleware",
    "core.middleware.ApiRouteMiddleware",
    "core.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Django's own (check --deploy looks for it by name). API views are csrf_exempt (DRF enforces CSRF itself for
    # session-authenticated writes), so a bearer /v1/ request is never refused by it.
    "django.middleware.csrf.CsrfViewMiddleware",
    "core.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserLanguageMiddleware",
    "core.middleware.ApiLocaleMiddleware",
    "accounts.middleware.MfaRequiredMiddleware",
    "core.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "partnercenter.urls"
API_URLCONF = "partnercenter.api_urls"  # the /v1/ routes (core.api.routing matches paths against them)
WSGI_APPLICATION = "partnercenter.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.portal",
            ],
        },
    },
]

# Database: DATABASE_URL, else the embedded PostgreSQL that `make run` / `make test` start
# (scripts/embedded_pg.py exports DATABASE_URL for the processes it starts).
DATABASES = {"default": env.db_url("DATABASE_URL", default="postgresql://postgres@127.0.0.1:5432/portal")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
# An API request's statements bind on the server and are prepared after five runs on a connection
# (core.db.server_bound around the API views, core.db.statement_cursor); pages and tasks bind on the client. Turn
# off behind a pooler that cannot keep prepared statements (PgBouncer in transaction mode before 1.21).
if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 5
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:dashboard"

# Sign-in security (domain.md §3.1): lockout after repeated failures.
LOGIN_LOCKOUT_ATTEMPTS = env.int("LOGIN_LOCKOUT_ATTEMPTS", default=5)
LOGIN_LOCKOUT_MINUTES = env.int("LOGIN_LOCKOUT_MINUTES", default=15)
# Failed sign-in attempts (any address) from one client IP within LOGIN_LOCKOUT_MINUTES before that IP is
# refused until the window has passed since its latest failure; 0 turns the throttle off.
LOGIN_IP_FAILURE_LIMIT = env.int("LOGIN_IP_FAILURE_LIMIT", default=30)
# Proxies in front of the web server that append the client's address to X-Forwarded-For (0: REMOTE_ADDR).
NUM_PROXIES = env.int("NUM_PROXIES", default=0)
MFA_ISSUER = env("MFA_ISSUER", default="Partner Commerce Portal")
API_TOKEN_DEFAULT_DAYS = env.int("API_TOKEN_DEFAULT_DAYS", default=90)
API_TOKEN_MAX_DAYS = env.int("API_TOKEN_MAX_DAYS", default=365)
INVITATION_MAX_AGE_HOURS = env.int("INVITATION_MAX_AGE_HOURS", default=72)

# Invoice PDFs (billing/invoicing/pdf.py, docs/operations.md): the install's billing entity, shown as the issuer;
# address and payment instructions are lines separated by "|". Tax: a rate in percent (0: no tax line amount).
BILLING_ISSUER_NAME = env("BILLING_ISSUER_NAME", default="Partner Commerce Portal")
BILLING_ISSUER_ADDRESS = env("BILLING_ISSUER_ADDRESS", default="")
BILLING_PAYMENT_INSTRUCTIONS = env("BILLING_PAYMENT_INSTRUCTIONS", default="")
BILLING_TAX_RATE = Decimal(env("BILLING_TAX_RATE", default="0"))

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Our own English formats (ISO dates, 24-hour times, as an admin console should); French keeps Django's.
FORMAT_MODULE_PATH = ["partnercenter.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
# Serve static files straight from the app folders outside production (no collectstatic for `make run`).
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Cookies and headers
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

from django.utils.csp import CSP  # noqa: E402

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

# Cache (API throttling counters): Redis when REDIS_URL is set, else per-process memory.
# Sign-in lockout does not use it: it counts SignInAttempt rows in the database.
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# E-mail: EMAIL_URL (smtp://user:password@host:587/?tls=True, consolemail://, ...) becomes Django's MAILERS.
_email = env.email_url("EMAIL_URL", default="consolemail://")
_email_options = {}
if _email["EMAIL_BACKEND"].endswith("smtp.EmailBackend"):
    _email_options = {
        key: _email[name]
        for key, name in (("host", "EMAIL_HOST"), ("port", "EMAIL_PORT"), ("username", "EMAIL_HOST_USER"),
                          ("password", "EMAIL_HOST_PASSWORD"), ("use_tls", "EMAIL_USE_TLS"),
                          ("use_ssl", "EMAIL_USE_SSL"))
        if _email.get(name) not in (None, "")
    }
    # `smtp+tls://` sets EMAIL_USE_TLS; `smtp://...?tls=True` / `?ssl=True` arrive as OPTIONS.
    for flag, key in (("TLS", "use_tls"), ("SSL", "use_ssl")):
        value = str((_email.get("OPTIONS") or {}).get(flag, "")).lower()
        if value in ("1", "true", "yes", "on"):
            _email_options[key] = True
MAILERS = {"default": {"BACKEND": _email["EMAIL_BACKEND"], "OPTIONS": _email_options}}
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Partner Commerce Portal <no-reply@localhost>")

# Celery: Redis in production and CI; the filesystem transport under .data/ for `make run`.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 4 * 3600}
if CELERY_BROKER_URL == "filesystem://":
    _queue_dir = DATA_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir / "queue"),
        "data_folder_out": str(_queue_dir / "queue"),
        "processed_folder": str(_queue_dir / "processed"),
        "control_folder": str(_queue_dir / "control"),
        "store_processed": False,
    }
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = "UTC"
# Periodic tasks are declared in code (no django-celery-beat: it pins an older Django).
CELERY_BEAT_SCHEDULE = {
    "delete-expired-azure-subscriptions": {
        "task": "azureplan.tasks.delete_expired_azure_subscriptions",
        "schedule": 6 * 3600.0,
    },
    "purge-expired-idempotency-records": {
        "task": "core.tasks.purge_idempotency_records",
        "schedule": 3600.0,
    },
    "resume-stalled-upgrades": {
        "task": "azureplan.tasks.resume_stalled_upgrades",
        "schedule": 60.0,
    },
    "match-waiting-usage": {
        "task": "billing.tasks.match_waiting_usage",
        "schedule": 15 * 60.0,
    },
    # Daily, after the night's usage import and rating (docs/billing.md "Spend and budgets").
    "send-budget-alerts": {
        "task": "billing.tasks.send_budget_alerts",
        "schedule": crontab(hour=7, minute=0),
    },
    # The 1st of each month, after the night's usage import and rating: last month's billing run of every
    # organisation with usage (docs/billing.md "Invoicing: billing runs"); every 10 minutes, failed or stalled runs go on.
    "start-monthly-billing-runs": {
        "task": "billing.tasks.start_monthly_billing_runs",
        "schedule": crontab(day_of_month=1, hour=8, minute=0),
    },
    "resume-billing-runs": {
        "task": "billing.tasks.resume_billing_runs",
        "schedule": 10 * 60.0,
    },
}

# Two queues: "celery" for the work people start (transitions, orders, e-mails) and "periodic" for the beat tasks
# above and the work they send again (partnercenter.celery.route_task), so recovery never waits behind a
# long batch. Every worker consumes both (a worker started without -Q takes every queue declared here).
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = [Queue(name, routing_key=name) for name in ("celery", "periodic")]
CELERY_TASK_ROUTES = ["partnercenter.celery.route_task"]

# REST API
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.BearerTokenAuthentication",
        "accounts.authentication.MfaSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["core.api.permissions.IsPartnerActor"],
    "DEFAULT_RENDERER_CLASSES": ["core.api.renderers.PartnerCenterJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["core.api.parsers.PartnerCenterJSONParser"],
    "DEFAULT_THROTTLE_CLASSES": ["core.api.throttling.TenantRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"tenant": env("API_THROTTLE_RATE", default="500/min")},
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
    "NUM_PROXIES": NUM_PROXIES,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Partner Commerce Portal API",
    "DESCRIPTION": "A REST API shaped like Microsoft Partner Center's (v1). See docs/api.md for the mapping.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/v1",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SWAGGER_UI_DIST": "SIDECAR",  # served from our static files, no CDN
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "core.api.schema.add_head_operations",
                            "billing.pricing.api.schema.add_pricing_host_routes"],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.server": {"level": "WARNING"}},
}
CSRF_FAILURE_VIEW = "core.views.csrf_failure"
PASSWORD_RESET_TIMEOUT = INVITATION_MAX_AGE_HOURS * 3600
RELATIONSHIP_REQUEST_DAYS = env.int("RELATIONSHIP_REQUEST_DAYS", default=30)
# A transition in progress whose heartbeat is older than this is run again (its worker was lost).
TRANSITION_STALL_SECONDS = env.int("TRANSITION_STALL_SECONDS", default=300)
