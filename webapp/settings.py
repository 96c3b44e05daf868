"""Cairn settings, all from environment variables (see docs/deploy.md).

With nothing set, Cairn runs embedded: SQLite and files under CAIRN_DATA_DIR,
Celery on a filesystem broker. Production sets DATABASE_URL (PostgreSQL),
CELERY_BROKER_URL (Redis) and CAIRN_STORAGE=s3.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from webapp.env import envbool, envfloat, envint, envlist, envstr
from webapp.paths import data_dir

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = data_dir()

DEBUG = envbool("CAIRN_DEBUG", False)
SECRET_KEY = envstr("CAIRN_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "CAIRN_SECRET_KEY (or CAIRN_SECRET_KEY_FILE) must be set unless CAIRN_DEBUG=true"
        )
    SECRET_KEY = "insecure-debug-only-key"

# The URL users reach the server at; used in links the API returns.
PUBLIC_URL = envstr("CAIRN_PUBLIC_URL", "").rstrip("/")
# Only the names the server is reached by: a forged Host header would
# otherwise be written into the links and `next` redirects it builds.
# `make run` sets CAIRN_ALLOWED_HOSTS to the host it serves on.
_LOCAL_HOSTS = "localhost,127.0.0.1,[::1]"
ALLOWED_HOSTS = envlist("CAIRN_ALLOWED_HOSTS", _LOCAL_HOSTS)
if PUBLIC_URL:
    ALLOWED_HOSTS.append(urlsplit(PUBLIC_URL).hostname or "localhost")
CSRF_TRUSTED_ORIGINS = envlist("CAIRN_CSRF_TRUSTED_ORIGINS", "")

# --- HTTPS (behind a proxy that terminates TLS) ---------------------------
# CAIRN_HTTPS=true: cookies only over TLS, HSTS, and the proxy's
# X-Forwarded-Proto believed. Only behind a proxy that sets that header
# (and drops one sent by a client).
HTTPS = envbool("CAIRN_HTTPS", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_HSTS_SECONDS = envint("CAIRN_HSTS_SECONDS", 31_536_000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("CAIRN_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = False

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "axes",
    "apps.core",
    "apps.orgs",
    "apps.runs",
    "apps.reports",
    "apps.benchmarks",
    "apps.artifacts",
    "apps.alerts",
    "apps.sweeps",
]

MIDDLEWARE = [
    # First: load balancers' probes answered whatever their Host header.
    "apps.core.health.ProbeMiddleware",
    # Then: a request id for the logs, and the request counted and timed (/metrics).
    "apps.core.observability.ObservabilityMiddleware",
    "webapp.middleware.ServerTimingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything that queries: every statement of a read request is held to the limit.
    "apps.core.db.QueryTimeLimitMiddleware",
    "webapp.middleware.GzipRequestMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "apps.core.pages.SignInMiddleware",
    # Last: turns a sign-in refused for too many failures into a 429.
    "axes.middleware.AxesMiddleware",
]

# Content-Security-Policy on every response that has none of its own (an HTML
# media item brings its sandboxing one). The web app's scripts are modules
# served from here, with no inline script or handler: an injected <script> or
# onload= does not run. Inline styles stay allowed: Plotly and KaTeX write
# them, and a style cannot run code.
_SELF = "'self'"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [_SELF],
        "script-src": [_SELF],
        "style-src": [_SELF, "'unsafe-inline'"],
        "img-src": [_SELF, "data:", "blob:"],
        "media-src": [_SELF, "blob:"],
        "font-src": [_SELF, "data:"],
        "connect-src": [_SELF],
        "frame-src": [_SELF],
        "worker-src": [_SELF, "blob:"],
        "object-src": ["'none'"],
        "base-uri": [_SELF],
        "form-action": [_SELF],
        "frame-ancestors": [_SELF],
    },
}

ROOT_URLCONF = "webapp.urls"
WSGI_APPLICATION = "webapp.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "webapp" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.orgs.context.nav",
                "apps.alerts.context.bell",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
DATABASE_URL = envstr("DATABASE_URL", f"sqlite:///{DATA_DIR / 'cairn.sqlite3'}")
_db: dict[str, Any] = dict(dj_database_url.parse(DATABASE_URL, conn_max_age=envint("CAIRN_DB_CONN_MAX_AGE", 60)))
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["CONN_MAX_AGE"] = 0 if _db["NAME"] == ":memory:" else _db["CONN_MAX_AGE"]
    _db["OPTIONS"] = {
        # IMMEDIATE: a writing transaction takes the lock up front, so two
        # writers queue (busy timeout) instead of failing on lock upgrade.
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
# Seconds any one statement of a read request (GET, HEAD) may run before the
# database stops it and the request answers 503; 0: no limit. Never applied
# to Celery workers, migrations or shells (apps/core/db.py).
CAIRN_QUERY_TIMEOUT = envfloat("CAIRN_QUERY_TIMEOUT", 5.0)
if not 0 <= CAIRN_QUERY_TIMEOUT < 1e6:
    raise ImproperlyConfigured(f"CAIRN_QUERY_TIMEOUT={CAIRN_QUERY_TIMEOUT}: use seconds, 0 for no limit")
# PostgreSQL: each process shares a pool of this many connections among its
# threads (webapp/dbpool.py); 0: no pool, each thread keeps its own (CAIRN_DB_CONN_MAX_AGE).
CAIRN_DB_POOL_MAX = envint("CAIRN_DB_POOL_MAX", 0)
if CAIRN_DB_POOL_MAX < 0:
    raise ImproperlyConfigured(f"CAIRN_DB_POOL_MAX={CAIRN_DB_POOL_MAX}: use a number of connections, 0 for no pool")
if CAIRN_DB_POOL_MAX and _db["ENGINE"] == "django.db.backends.postgresql":
    from webapp.dbpool import pool_options

    # Pooled connections are returned after each request: Django refuses a pool with persistent ones.
    _db["CONN_MAX_AGE"] = 0
    _db.setdefault("OPTIONS", {})["pool"] = pool_options(
        max_size=CAIRN_DB_POOL_MAX, min_size=min(envint("CAIRN_DB_POOL_MIN", 1), CAIRN_DB_POOL_MAX),
        timeout=envfloat("CAIRN_DB_POOL_TIMEOUT", 30.0),
    )
_db["TEST"] = {"NAME": envstr("CAIRN_TEST_DATABASE_NAME") or None}
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": envint("CAIRN_PASSWORD_MIN_LENGTH", 8)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out sign-in before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Sign-in throttling (django-axes) on the sign-in page, the admin and HTTP
# Basic: failures are counted in the database, so every web process sees them.
# A username is locked for the address that failed, not everywhere: a stranger
# cannot lock a user out of their own sign-in.
AXES_FAILURE_LIMIT = envint("CAIRN_LOGIN_FAILURE_LIMIT", 5)
if AXES_FAILURE_LIMIT < 1:
    raise ImproperlyConfigured("CAIRN_LOGIN_FAILURE_LIMIT must be at least 1")
AXES_COOLOFF_TIME = timedelta(seconds=envint("CAIRN_LOGIN_LOCKOUT_SECONDS", 900))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "apps.orgs.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "apps.orgs.lockout.client_ip"
AXES_VERBOSE = False
# Reverse proxies in front of the web processes, each appending to
# X-Forwarded-For; 0 trusts no such header and uses the connection's address.
CAIRN_PROXY_COUNT = envint("CAIRN_PROXY_COUNT", 0)
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
# Only for `collectstatic` (serving from a CDN); WhiteNoise needs none.
STATIC_ROOT = envstr("CAIRN_STATIC_ROOT") or None
# Served by WhiteNoise, straight from the installed packages: no collectstatic step.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
STATICFILES_DIRS = [BASE_DIR / "webapp" / "static"]

# --- Files ----------------------------------------------------------------
CAIRN_STORAGE = envstr("CAIRN_STORAGE", "local")
if CAIRN_STORAGE == "local":
    _files: dict[str, Any] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(DATA_DIR / "files")},
    }
elif CAIRN_STORAGE == "s3":
    _files = {
        "BACKEND": "apps.core.storage.CairnS3Storage",
        "OPTIONS": {
            # Browsers fetch signed URLs from here (the servers may reach the store another way).
            "public_endpoint_url": envstr("CAIRN_S3_PUBLIC_ENDPOINT_URL") or None,
            "signature_version": "s3v4",
            "addressing_style": envstr("CAIRN_S3_ADDRESSING_STYLE", "auto"),
            "bucket_name": envstr("CAIRN_S3_BUCKET"),
            "endpoint_url": envstr("CAIRN_S3_ENDPOINT_URL") or None,
            "region_name": envstr("CAIRN_S3_REGION") or None,
            "access_key": envstr("CAIRN_S3_ACCESS_KEY_ID") or None,
            "secret_key": envstr("CAIRN_S3_SECRET_ACCESS_KEY") or None,
            "querystring_auth": True,
            "querystring_expire": envint("CAIRN_S3_URL_EXPIRE", 300),
            "file_overwrite": True,
            "default_acl": None,
        },
    }
    if not _files["OPTIONS"]["bucket_name"]:
        raise ImproperlyConfigured("CAIRN_STORAGE=s3 needs CAIRN_S3_BUCKET")
else:
    raise ImproperlyConfigured(f"CAIRN_STORAGE={CAIRN_STORAGE!r}: use local or s3")
STORAGES = {
    "default": _files,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CAIRN_MAX_FILE_SIZE = envint("CAIRN_MAX_FILE_SIZE", 2 * 1024**3)
# Largest JSON request body, after gzip decompression.
CAIRN_MAX_BODY_SIZE = envint("CAIRN_MAX_BODY_SIZE", 64 * 1024**2)
DATA_UPLOAD_MAX_MEMORY_SIZE = CAIRN_MAX_BODY_SIZE
# Artifacts' maintenance (docs/artifacts.md, apps/artifacts/maintenance.py): a blob no version refers to is
# deleted this many seconds after its upload; references are checked for drift only under these
# file:// folders and in these S3 buckets (none by default: the server would otherwise read what users name).
CAIRN_ARTIFACT_GC_GRACE = envfloat("CAIRN_ARTIFACT_GC_GRACE", 24 * 3600.0)
CAIRN_ARTIFACT_REF_FILE_ROOTS = envlist("CAIRN_ARTIFACT_REF_FILE_ROOTS", "")
CAIRN_ARTIFACT_REF_S3_BUCKETS = envlist("CAIRN_ARTIFACT_REF_S3_BUCKETS", "")
# Where resumable uploads' parts are gathered before they go to storage (shared by the web servers).
CAIRN_UPLOAD_DIR = Path(envstr("CAIRN_UPLOAD_DIR", str(DATA_DIR / "uploads"))).resolve()
CAIRN_HEARTBEAT_TIMEOUT = envfloat("CAIRN_HEARTBEAT_TIMEOUT", 300.0)
# Reconciliation (apps/runs/reconcile.py): a run ended this long ago with history still to merge was missed.
CAIRN_RECONCILE_AFTER = envfloat("CAIRN_RECONCILE_AFTER", 3600.0)
# Media (docs/media.md): what a worker accepts, and what it makes.
CAIRN_MEDIA_MAX_BYTES = envint("CAIRN_MEDIA_MAX_BYTES", 256 * 1024**2)
CAIRN_MEDIA_MAX_PIXELS = envint("CAIRN_MEDIA_MAX_PIXELS", 100_000_000)  # per image or video frame
CAIRN_MEDIA_MAX_SIDE = envint("CAIRN_MEDIA_MAX_SIDE", 32_768)
CAIRN_MEDIA_MAX_DURATION = envfloat("CAIRN_MEDIA_MAX_DURATION", 3600.0)  # seconds of video or audio
CAIRN_MEDIA_MAX_JSON_BYTES = envint("CAIRN_MEDIA_MAX_JSON_BYTES", 32 * 1024**2)  # tables, Plotly figures
CAIRN_MEDIA_THUMBNAIL_SIZE = envint("CAIRN_MEDIA_THUMBNAIL_SIZE", 256)
CAIRN_MEDIA_TASK_TIME_LIMIT = envint("CAIRN_MEDIA_TASK_TIME_LIMIT", 120)
# A media item still pending this long after it was queued is queued again
# (a worker killed mid-task, a broker that lost the message).
CAIRN_MEDIA_REQUEUE_AFTER = envfloat("CAIRN_MEDIA_REQUEUE_AFTER", 300.0)

# --- Alerts (docs/alerts.md) ------------------------------------------------
# Networks webhooks may reach although private, loopback or reserved (CIDRs).
# The embedded server (no DATABASE_URL) allows 127.0.0.1 for tools on the same
# machine; a production server allows none unless told.
CAIRN_ALERT_WEBHOOK_ALLOW = envlist(
    "CAIRN_ALERT_WEBHOOK_ALLOW", "" if envstr("DATABASE_URL") else "127.0.0.1/32"
)
CAIRN_ALERT_WEBHOOK_TIMEOUT = envfloat("CAIRN_ALERT_WEBHOOK_TIMEOUT", 5.0)
# Tries of a delivery before it is marked failed, and the first wait between
# tries in seconds (doubled after each).
CAIRN_ALERT_DELIVERY_TRIES = envint("CAIRN_ALERT_DELIVERY_TRIES", 6)
CAIRN_ALERT_RETRY_DELAY = envfloat("CAIRN_ALERT_RETRY_DELAY", 10.0)
# How long a process keeps a project's rules before reading them again: a
# rule changed in another process takes effect within this many seconds.
CAIRN_ALERT_RULE_CACHE_SECONDS = envfloat("CAIRN_ALERT_RULE_CACHE_SECONDS", 5.0)

# --- Email ----------------------------------------------------------------
# Alerts by email go through Django's SMTP backend when CAIRN_EMAIL_HOST is set,
# else to the console (the log) so that nothing is lost silently.
EMAIL_HOST = envstr("CAIRN_EMAIL_HOST", "")
EMAIL_PORT = envint("CAIRN_EMAIL_PORT", 25)
EMAIL_HOST_USER = envstr("CAIRN_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = envstr("CAIRN_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = envbool("CAIRN_EMAIL_USE_TLS", False)
EMAIL_USE_SSL = envbool("CAIRN_EMAIL_USE_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("Set CAIRN_EMAIL_USE_TLS or CAIRN_EMAIL_USE_SSL, not both")
EMAIL_TIMEOUT = envint("CAIRN_EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = envstr("CAIRN_EMAIL_FROM", "cairn@localhost")
EMAIL_BACKEND = envstr(
    "CAIRN_EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend",
)
# Django's file backend writes each message under this folder (tests read them there).
EMAIL_FILE_PATH = envstr("CAIRN_EMAIL_FILE_PATH", str(DATA_DIR / "mail"))
# Invitations and password resets go by email only when mail really leaves:
# an SMTP host, or a backend named on purpose. The console backend alone would
# print a sign-in link into the server's log.
CAIRN_EMAIL_ENABLED = bool(EMAIL_HOST or envstr("CAIRN_EMAIL_BACKEND"))

# --- People (docs/people.md) -------------------------------------------------
# Who may create an account: open (anyone, from the sign-in page), invite (only
# through an organisation's invitation link) or closed (nobody: accounts come
# from `cairn-server createsuperuser`/`manage.py cairn_user`; links then only
# let existing users join).
CAIRN_SIGNUP = envstr("CAIRN_SIGNUP", "invite")
if CAIRN_SIGNUP not in ("open", "invite", "closed"):
    raise ImproperlyConfigured(f"CAIRN_SIGNUP={CAIRN_SIGNUP!r}: use open, invite or closed")
# Days an invitation link stays valid unless the admin picks otherwise (1 to 90).
CAIRN_INVITE_DAYS = envint("CAIRN_INVITE_DAYS", 7)
if not 1 <= CAIRN_INVITE_DAYS <= 90:
    raise ImproperlyConfigured("CAIRN_INVITE_DAYS must be 1 to 90")
# Password reset: hours a reset link works, and emails asked for per address and per client address an hour.
PASSWORD_RESET_TIMEOUT = envint("CAIRN_PASSWORD_RESET_HOURS", 2) * 3600
CAIRN_PASSWORD_RESET_LIMIT = envint("CAIRN_PASSWORD_RESET_LIMIT", 5)

# --- API ------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.orgs.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["apps.core.rendering.CairnJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["apps.core.rendering.CairnJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "apps.core.schema.CairnAutoSchema",
    "EXCEPTION_HANDLER": "apps.core.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # `format` is ours (export as csv or jsonl), not DRF's renderer switch.
    "URL_FORMAT_OVERRIDE": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Cairn API",
    "DESCRIPTION": (
        "Ingest and read API of the Cairn experiment tracker; docs/protocol.md tells the rest.\n\n"
        "Authenticate with `Authorization: Bearer <api key>`; without one, a caller reads public "
        "projects only. Every error is JSON, `{\"error\": ..., \"field\": ...}` (the `Error` "
        "schema). Non-finite numbers travel as the bare tokens `NaN`, `Infinity`, `-Infinity`."
    ),
    "VERSION": "1",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Separate request and response components: a generated client's models
    # then say what it sends and what it gets.
    "COMPONENT_SPLIT_REQUEST": True,
    # One name per set of choices (fields of the same name hold different sets).
    "ENUM_NAME_OVERRIDES": {
        "RunStateEnum": "apps.runs.models.RunState",
        "RunEndStateEnum": ["finished", "failed", "crashed"],
        "ProjectVisibilityEnum": "apps.runs.models.Visibility",
        "ReportVisibilityEnum": "apps.reports.models.ReportVisibility",
        "PublishVisibilityEnum": ["org", "public"],
        "BenchmarkVisibilityEnum": "apps.benchmarks.models.BenchmarkVisibility",
        "SubmissionStatusEnum": "apps.benchmarks.models.SubmissionStatus",
        "MediaStatusEnum": "apps.runs.models.MediaStatus",
        "RoleEnum": "apps.orgs.models.Role",
        "AlertLevelEnum": "apps.runs.models.AlertLevel",
        "AlertRuleKindEnum": "apps.alerts.models.RuleKind",
        "AlertChannelKindEnum": "apps.alerts.models.ChannelKind",
        "AlertDeliveryStateEnum": "apps.alerts.models.DeliveryState",
    },
    "APPEND_COMPONENTS": {"securitySchemes": {"basicAuth": {
        "type": "http", "scheme": "basic", "description": "Only to create an API key (POST /api/v1/keys).",
    }}},
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Celery ---------------------------------------------------------------
# Embedded default: a filesystem broker, so `make run` needs no Redis.
CELERY_BROKER_URL = envstr("CELERY_BROKER_URL", "filesystem://localhost//")
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT = "webapp.fsbroker:Transport"  # kombu's, with messages written whole
    _broker_dir = DATA_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # A message a worker took and never acknowledged (the worker died) goes
        # back to the queue after this long: the longest task's time limit
        # (900 s) and a margin, not Redis's default hour.
        "visibility_timeout": envint("CAIRN_BROKER_VISIBILITY_TIMEOUT", 1200),
        # An unreachable broker fails a send in seconds; the outbox sends it later.
        "socket_connect_timeout": 3,
    }
    if envstr("CAIRN_BROKER_KEY_PREFIX"):
        # Several Cairn deployments (or test servers) on one Redis database.
        CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"] = envstr("CAIRN_BROKER_KEY_PREFIX")
CELERY_TASK_ALWAYS_EAGER = envbool("CAIRN_TASKS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# Messages a worker process reserves ahead. More keeps it busy on short tasks
# (thumbnails) instead of waiting a broker round trip between them; with late
# acks a reserved message returns to the queue if the worker dies.
CELERY_WORKER_PREFETCH_MULTIPLIER = envint("CAIRN_WORKER_PREFETCH", 1)
# Celery's Django fixup closes the database connection around every task
# unless this is set: a new PostgreSQL connection per task cost more than a
# thumbnail. webapp/celery.py drops old or broken ones as Django does between
# requests (CAIRN_DB_CONN_MAX_AGE).
CELERY_DB_REUSE_MAX = 1_000_000
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True

# Logs on stderr, each line with its time and the request's id: `text` for a
# person, `json` (one object a line) for a log collector.
CAIRN_LOG_FORMAT = envstr("CAIRN_LOG_FORMAT", "text")
if CAIRN_LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"CAIRN_LOG_FORMAT={CAIRN_LOG_FORMAT!r}: use text or json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "apps.core.observability.RequestIdFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["request_id"], "formatter": CAIRN_LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": envstr("CAIRN_LOG_LEVEL", "WARNING")},
}
# Prometheus metrics at /metrics for a scraper that sends this bearer token; unset: no /metrics.
CAIRN_METRICS_TOKEN = envstr("CAIRN_METRICS_TOKEN")
# Errors to Sentry when a DSN is set (webapp/sentry.py; the `sentry` extra).
CAIRN_SENTRY_DSN = envstr("CAIRN_SENTRY_DSN")
if CAIRN_SENTRY_DSN:
    _traces = envfloat("CAIRN_SENTRY_TRACES_SAMPLE_RATE", 0.0)
    if not 0 <= _traces <= 1:
        raise ImproperlyConfigured(f"CAIRN_SENTRY_TRACES_SAMPLE_RATE={_traces}: use a fraction from 0 to 1")
    from webapp.sentry import sentry_init

    sentry_init(dsn=CAIRN_SENTRY_DSN, environment=envstr("CAIRN_SENTRY_ENVIRONMENT"), traces_sample_rate=_traces)
