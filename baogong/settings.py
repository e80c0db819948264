"""Baogong settings: one file, driven by the environment.

Everything that differs between a laptop and production comes from environment variables
(or files named by ``*_FILE`` variables). SQLite is the embedded default; PostgreSQL is one
``DATABASE_URL`` away.
"""

from __future__ import annotations

import decimal
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from whitenoise.compress import Compressor

from baogong.core.paths import default_var_dir

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = default_var_dir(BASE_DIR)


def env(name: str, default: str | None = None) -> str | None:
    """Read a setting from NAME or from the file that NAME_FILE points to."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        return Path(file_name).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


PRODUCTION = env_bool("BAOGONG_PRODUCTION")
# Off unless asked for: `make run` serves friendly error pages, never Django's technical ones.
DEBUG = not PRODUCTION and (env_bool("BAOGONG_DEBUG") or env_bool("DEBUG"))

# Tests only: BAOGONG_TEST_CLOCK moves the clock of the whole run (see baogong/core/testclock.py).
if os.environ.get("BAOGONG_TEST_CLOCK") or os.environ.get("BAOGONG_CLOCK_OFFSET"):
    from baogong.core.testclock import start_from_environment

    start_from_environment(PRODUCTION)

_secret = env("SECRET_KEY")
if not _secret:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY (or SECRET_KEY_FILE) must be set in production.")
    _secret = "baogong-development-only-not-secret"  # noqa: S105 - development default
SECRET_KEY = _secret

ALLOWED_HOSTS = [h.strip() for h in (env("ALLOWED_HOSTS") or "127.0.0.1,localhost,testserver").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in (env("CSRF_TRUSTED_ORIGINS") or "").split(",") if o.strip()]

# Project-wide translation overrides: above Django's own catalogues (see baogong/locale/).
LOCALE_PATHS = [BASE_DIR / "baogong" / "locale"]

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
    "django_htmx",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "baogong.core",
    "baogong.orgs",
    "baogong.catalog",
    "baogong.inventory",
    "baogong.procurement",
    "baogong.distribution",
    "baogong.fleet",
    "baogong.pharmacy",
    "baogong.people",
    "baogong.property",
    "baogong.finance",
    "baogong.command",
    "baogong.reports",
    "baogong.demo",
]

MIDDLEWARE = [
    # First: health checks by the node's own address over plain HTTP (see the class).
    "baogong.core.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "baogong.core.middleware.RequestIdMiddleware",
    # Outside the idempotency replay, so replayed answers get a policy too.
    "baogong.core.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "baogong.core.middleware.RefuseNulCharactersMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "baogong.core.middleware.MessageMiddleware",  # Django's, its storage made on first use
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "baogong.core.listexport.ListExportMiddleware",  # ?export=xlsx on any list page
    "baogong.core.middleware.IdempotencyMiddleware",
    "baogong.core.middleware.LockConflictMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "baogong.urls"
WSGI_APPLICATION = "baogong.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "baogong.core.context_processors.navigation",
                "baogong.core.context_processors.csp_nonce",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASE_URL = env("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'baogong.sqlite3'}"
# Persistent connections (a new PostgreSQL connection per request measured 1.8x slower), checked
# before reuse so a restarted database never hands a dead connection to a request.
# CONN_MAX_AGE=0 closes after every request; with a pooler (PgBouncer) in front, set it to 0.
_db = dj_database_url.parse(
    DATABASE_URL,
    conn_max_age=int(env("CONN_MAX_AGE") or 60),
    conn_health_checks=env_bool("CONN_HEALTH_CHECKS", default=True),
)
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=20000;"
        ),
    }
    _db["TEST"] = {"NAME": env("BAOGONG_TEST_SQLITE") or None}
elif _db["ENGINE"] == "django.db.backends.postgresql":
    _db.setdefault("TEST", {})
    if env("BAOGONG_TEST_DB_NAME"):
        _db["TEST"]["NAME"] = env("BAOGONG_TEST_DB_NAME")
DATABASES = {"default": _db}
# A read replica (streaming replication) for reports, dashboards and exports; the primary stays the
# fallback and takes every write (baogong.core.dbrouter).
DATABASE_REPLICA_URL = env("DATABASE_REPLICA_URL") or ""
if DATABASE_REPLICA_URL:
    _replica = dj_database_url.parse(
        DATABASE_REPLICA_URL,
        conn_max_age=int(env("CONN_MAX_AGE") or 60),
        conn_health_checks=env_bool("CONN_HEALTH_CHECKS", default=True),
    )
    # Tests: the replica is the test database itself (a mirror), never a second test database.
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES["replica"] = _replica
    DATABASE_ROUTERS = ["baogong.core.dbrouter.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth ---------------------------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT") or 5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env_bool("AXES_ENABLED", default=True)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- I18n ---------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LANGUAGE_COOKIE_NAME = "baogong_language"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True


# --- Static and media ---------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or VAR_DIR / "static")
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT") or VAR_DIR / "media")
# Uploads: the media folder, or with S3_BUCKET an S3-compatible object store (AWS S3, MinIO, Aliyun
# OSS, Tencent COS…) shared by every node. Either way content and size are checked on every write and
# files are served through /media/<name> after the record-level permission check.
S3_BUCKET = env("S3_BUCKET") or ""
if S3_BUCKET:
    _media_storage = {
        "BACKEND": "baogong.core.storage.GuardedS3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": env("S3_ENDPOINT_URL") or None,
            "access_key": env("S3_ACCESS_KEY_ID") or None,
            "secret_key": env("S3_SECRET_ACCESS_KEY") or None,
            "region_name": env("S3_REGION") or None,
            # "virtual" for Aliyun OSS and Tencent COS, "path" for MinIO; empty: boto3 chooses
            "addressing_style": env("S3_ADDRESSING_STYLE") or None,
            "signature_version": env("S3_SIGNATURE_VERSION") or "s3v4",
            "location": env("S3_PREFIX") or "",
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    _media_storage = {"BACKEND": "baogong.core.uploads.GuardedFileSystemStorage"}
STORAGES = {
    "default": _media_storage,  # content + size checked
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
# Source maps are for developers' tools, not for phones: serving them uncompressed keeps
# collectstatic quick (brotli at its best level on ~1 MB of maps took most of the build).
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [*Compressor.SKIP_COMPRESS_EXTENSIONS, "map"]
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
BAOGONG_MAX_UPLOAD_BYTES = int(env("BAOGONG_MAX_UPLOAD_BYTES") or 20 * 1024 * 1024)
# How /media/<name> answers once the permission check passed: "stream" (through the app, default),
# "redirect" (a signed link to the object store valid BAOGONG_MEDIA_URL_SECONDS; S3 only) or "accel"
# (nginx X-Accel-Redirect to BAOGONG_MEDIA_ACCEL_PREFIX, an `internal` location).
BAOGONG_MEDIA_SERVING = (env("BAOGONG_MEDIA_SERVING") or "stream").strip().lower()
if BAOGONG_MEDIA_SERVING not in {"stream", "redirect", "accel"}:
    raise ImproperlyConfigured("BAOGONG_MEDIA_SERVING must be stream, redirect or accel.")
BAOGONG_MEDIA_URL_SECONDS = int(env("BAOGONG_MEDIA_URL_SECONDS") or 300)
BAOGONG_MEDIA_ACCEL_PREFIX = env("BAOGONG_MEDIA_ACCEL_PREFIX") or "/protected-media/"

# --- API ----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "baogong.core.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "baogong.core.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "baogong.core.api.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Per client address without a user, per user with one; counted in the cache (below).
    "DEFAULT_THROTTLE_CLASSES": [
        "baogong.core.throttling.AnonRateThrottle",
        "baogong.core.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("BAOGONG_THROTTLE_ANON") or "120/min",
        "user": env("BAOGONG_THROTTLE_USER") or "1200/min",
    },
    "NUM_PROXIES": int(env("BAOGONG_NUM_PROXIES") or 0),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Baogong API",
    "DESCRIPTION": "保供 emergency supply-assurance platform, REST API v1.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "baogong.core.openapi.add_error_responses",
    ],
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Cache and rate limits -----------------------------------------------------------------
# The cache holds rate-limit counters and short-lived lookups. Per process by default (embedded);
# with REDIS_URL (or CACHE_URL=redis://…) set, Redis shares them between every process and machine
# (set it when running more than one node).
CACHE_URL = env("CACHE_URL") or env("REDIS_URL") or ""
if CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {
        "default": {
            "BACKEND": "baogong.core.cache.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX") or "baogong",
            "OPTIONS": {"socket_timeout": 2, "socket_connect_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "baogong"}}
# Trusted reverse proxies in front (nginx = 1): the client address is then read from
# X-Forwarded-For; 0 uses REMOTE_ADDR (never trust the header without a proxy that sets it).
BAOGONG_NUM_PROXIES = int(env("BAOGONG_NUM_PROXIES") or 0)
# Pages anyone may open, per client address ("N/s|min|hour|day"; "off" switches one off).
BAOGONG_RATE_LIMITS = {
    # request links, proof-of-delivery pages, the pharmacy's order pages
    "public": env("BAOGONG_RATE_PUBLIC") or "120/min",
    # order status look-ups by number and 6-digit access code
    "order_lookup": env("BAOGONG_RATE_ORDER_LOOKUP") or "30/min",
    # wrong access codes for one order number, from any address (stops guessing the 6 digits)
    "order_code_failures": env("BAOGONG_RATE_ORDER_CODE_FAILURES") or "10/hour",
}

# --- Background tasks ---------------------------------------------------------------------
TASK_BACKEND = env("BAOGONG_TASK_BACKEND") or "database"
REDIS_URL = env("REDIS_URL") or "redis://127.0.0.1:6379/0"
if TASK_BACKEND == "redis":
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
elif TASK_BACKEND == "immediate":
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 3600}}

# --- Mail and notifications ---------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend" if PRODUCTION else "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL") or "baogong@localhost"
BAOGONG_WEBHOOK_URL = env("BAOGONG_WEBHOOK_URL") or ""
# Seconds between the attempts of a notification delivery (a robot or e-mail that failed); after the
# last one the delivery is marked failed. Channels per organisation and subject: admin, 通知渠道.
BAOGONG_NOTIFY_RETRY_DELAYS = env("BAOGONG_NOTIFY_RETRY_DELAYS") or "30,120,600,1800"
# Stored answers to Idempotency-Key requests are purged after this many days (daily job).
BAOGONG_IDEMPOTENCY_DAYS = int(env("BAOGONG_IDEMPOTENCY_DAYS") or 7)
# Separation of duties (issue 19.4). Rent relief: 经办 ≠ 审核 and 经办 ≠ 批准 always; from this amount
# (yuan) the 审核 person may not approve either (three people). Purchase orders from this total need
# an approval even when no approval level of the organisation covers them (procurement policies
# may set their own threshold).
BAOGONG_RELIEF_THREE_PERSON_FROM = decimal.Decimal(env("BAOGONG_RELIEF_THREE_PERSON_FROM") or "50000")

# --- Security -----------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "baogong.core.views.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS") or 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
# A fresh nonce per request replaces "{nonce}"; templates put it on their <script> tags as
# ``nonce="{{ request.csp_nonce }}"`` (or ``{{ csp_nonce }}``). No inline script runs without it, no
# eval, no inline event handlers, and no inline style: neither <style> elements nor style="…"
# attributes (templates use classes from core/baogong.css, bars take their width from data-pct
# through the CSSOM, ECharts draws its tooltips on the canvas: renderMode "richText").
BAOGONG_CSP = env("BAOGONG_CSP") or (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self'; "
    "img-src 'self' data: blob:; font-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
# The Swagger UI page (/api/v1/docs/) has its own, without the nonce: its init script and its page
# styles are files (core/swagger_ui.html).
BAOGONG_CSP_API_DOCS = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'"
)

# --- Demo ---------------------------------------------------------------------------------
BAOGONG_DEMO_PASSWORD = env("BAOGONG_DEMO_PASSWORD") or "baogong-demo"
BAOGONG_SCOPE_PROVIDER = "baogong.orgs.scoping.user_scope"
BAOGONG_PUBLIC_BASE_URL = env("BAOGONG_PUBLIC_BASE_URL") or "http://127.0.0.1:8000"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL") or "WARNING"},
}

# --- The lean write path (issue 25) -------------------------------------------------------
# Stock issues as one stored-function call on PostgreSQL (off: the portable path, as on SQLite).
BAOGONG_LEDGER_FAST_PATH = env_bool("BAOGONG_LEDGER_FAST_PATH", default=True)
# Permissions, scope and code lookups kept across requests: "auto" = only with a shared cache (Redis).
BAOGONG_SHARED_CACHE = env("BAOGONG_SHARED_CACHE") or "auto"
