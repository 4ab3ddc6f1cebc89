"""Settings for the monitoring site: one module, every value read from the environment.

See README.md ("Configuration") and .env.example for every variable and its default.
"""

from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env")

VAR_DIR = Path(env("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

VERSION = "0.1.0"

# --- Core -------------------------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="django-insecure-dev-key-set-DJANGO_SECRET_KEY-in-production")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
LOG_LEVEL = env("LOG_LEVEL", default="INFO").upper()

INSTALLED_APPS = [
    "monitoring_site.apps.MonitoringAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_prometheus",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "axes",
    "django_celery_beat",
    "monitoring_site",
    "ailogs",
    "metrics",
    "feedback",
    "alerts",
    "checks",
    "incidents",
    "dashboard",
    "traces",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # Outermost of ours so its duration covers the whole stack; aggregates in memory only.
    "metrics.middleware.RequestMetricsMiddleware",
    "monitoring_site.middleware.RequestIdMiddleware",
    "monitoring_site.middleware.ContentSecurityPolicyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "monitoring_site.middleware.BodySizeLimitMiddleware",
    "monitoring_site.middleware.DatabaseUnavailableMiddleware",
    # /ping/... is answered here: nothing below this line is of use to a public ping URL.
    "checks.middleware.PingMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "monitoring_site.urls"
WSGI_APPLICATION = "monitoring_site.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

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
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
# "pgbouncer": every connection goes through PgBouncer in transaction mode (docs/scaling.md).
DATABASE_POOLER = env("DATABASE_POOLER", default="")
# Optional streaming replica for the read-only pages (monitoring_site.replica); reads fall back to
# the primary while it is down or more than DATABASE_REPLICA_MAX_LAG_SECONDS behind.
DATABASE_REPLICA_URL = env("DATABASE_REPLICA_URL", default="")
DATABASE_REPLICA_MAX_LAG_SECONDS = env.float("DATABASE_REPLICA_MAX_LAG_SECONDS", default=30.0)
# Each process re-measures the replica's lag at most this often.
DATABASE_REPLICA_CHECK_SECONDS = env.float("DATABASE_REPLICA_CHECK_SECONDS", default=5.0)


def _postgres(config: dict) -> dict:
    config["ENGINE"] = "django_prometheus.db.backends.postgresql"
    # Persistent connections: a new PostgreSQL connection costs ~13 ms (docs/performance.md).
    config["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    config["CONN_HEALTH_CHECKS"] = True
    options = config.setdefault("OPTIONS", {})
    options.setdefault("connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=3))
    if DATABASE_POOLER != "pgbouncer":  # PgBouncer refuses the startup parameter: docs/scaling.md
        # No JIT: compiling a long-window query over ~30 daily partitions took 5-9 s, more than
        # running it (the 30-day top sessions: 9.4 s of JIT for 8.6 s of query; issue 16).
        options.setdefault("options", "-c jit=off")
    if DATABASE_POOLER == "pgbouncer":
        # Transaction pooling hands each transaction any server connection: a statement psycopg
        # prepared on one would be missing on the next, and a WITH HOLD cursor outlives its
        # transaction. Session state is never relied on across transactions (alerts.engine.run_lock).
        options["prepare_threshold"] = None
        config["DISABLE_SERVER_SIDE_CURSORS"] = True
    return config


if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    _postgres(DATABASES["default"])
    if DATABASE_REPLICA_URL:
        DATABASES["replica"] = _postgres(env.db_url_config(DATABASE_REPLICA_URL))
        # Tests read their own writes: the replica alias is the test database itself there.
        DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
else:
    DATABASES["default"]["ENGINE"] = "django_prometheus.db.backends.sqlite3"
    # Web, worker and beat share one file: WAL and a busy timeout keep them from "database is locked".
    # Tests use a file, not :memory:, so a real Celery worker thread can share the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
        }
    )
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
DATABASE_ROUTERS = ["monitoring_site.replica.ReplicaRouter"]

# --- Cache and Celery -------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
# Short socket timeouts: a dead Redis must cost requests half a second at most, never hang them.
_redis_options = {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5}
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_prometheus.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": _redis_options,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django_prometheus.cache.backends.locmem.LocMemCache", "LOCATION": "monitoring"}}

# "localhost" only names the filesystem broker: without it kombu warns on every connection.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://localhost/")
CELERY_BROKER_DIR = VAR_DIR / "celery-broker"
if CELERY_BROKER_URL.startswith("filesystem"):
    for _sub in ("queue", "processed", "control"):
        (CELERY_BROKER_DIR / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    # Longest retry countdown (notifications) stays below this, so nothing is redelivered twice.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "socket_connect_timeout": 2, "socket_timeout": 5}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_TASK_DEFAULT_QUEUE = "celery"
# One queue per role (monitoring_site.queues.QUEUES), so a host can take some roles only:
# `celery worker -Q notifications` here, `-Q evaluation` there (docs/scaling.md). The rest
# (heartbeat, host metrics) stays on the default "celery" queue.
CELERY_TASK_ROUTES = {
    "ailogs.tasks.rollup_*": {"queue": "ingest"},
    "ailogs.tasks.reprice*": {"queue": "ingest"},
    "metrics.tasks.rollup_*": {"queue": "ingest"},
    "metrics.tasks.ensure_metric_partitions": {"queue": "ingest"},
    "traces.tasks.ensure_span_partitions": {"queue": "ingest"},
    "alerts.tasks.evaluate_*": {"queue": "evaluation"},
    "checks.tasks.sweep_late_checks": {"queue": "evaluation"},
    "checks.tasks.dispatch_monitors": {"queue": "evaluation"},
    "checks.tasks.run_monitor": {"queue": "notifications"},  # outgoing probes, network-bound like deliveries
    "alerts.tasks.deliver_*": {"queue": "notifications"},
    "alerts.tasks.send_report": {"queue": "reports"},
    "dashboard.tasks.warm_*": {"queue": "reports"},
    "*.purge_*": {"queue": "retention"},
}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)

# --- Auth, sessions, security -----------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/admin/login/"

# django-axes: lock a username+address pair (never a username alone, so nobody can lock an admin
# out from elsewhere) after 5 failures for 15 minutes, answering 429.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_CALLABLE = "monitoring_site.lockout.lockout_response"  # adds Retry-After
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # its "AXES: BEGIN" line on every process start buries the run log
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_IPWARE_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if AXES_IPWARE_PROXY_COUNT else ["REMOTE_ADDR"]
)

SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^api/health$", r"^metrics$"]
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env.bool("DJANGO_BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)

# Only the public feedback endpoint answers cross-origin requests; its allowed origins come from
# the feedback sites in the database (feedback app), never from a global allow-all.
CORS_URLS_REGEX = r"^/api/v1/feedback/$"
CORS_ALLOW_CREDENTIALS = False

# --- Request limits ---------------------------------------------------------------------------
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=5 * 1024 * 1024)
# Deepest nesting of arrays/objects in any JSON body (ours need 3-4 levels): deeper is a 400,
# never Python's RecursionError (a 500 at ~1,000 levels) nor PostgreSQL's stack-depth error.
API_MAX_JSON_DEPTH = env.int("API_MAX_JSON_DEPTH", default=32)
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES
API_RATE_LIMIT_PER_MINUTE = env.int("API_RATE_LIMIT_PER_MINUTE", default=6000)
API_KEY_CACHE_SECONDS = env.int("API_KEY_CACHE_SECONDS", default=30)
DB_UNAVAILABLE_RETRY_AFTER = 30

# --- Internationalisation, static -------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
FORMAT_MODULE_PATH = ["monitoring_site.formats"]  # ISO dates, 24-hour times in the admin
USE_I18N = True
USE_TZ = True
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS: list = []
if (BASE_DIR / "node_modules").is_dir():
    # Front-end libraries installed by `npm ci` and pinned in package-lock.json: served by us, no CDN.
    STATICFILES_DIRS.append(("vendor", BASE_DIR / "node_modules"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_ROOT = VAR_DIR / "media"
EXPORTS_DIR = VAR_DIR / "exports"

# --- Email ------------------------------------------------------------------------------------
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="monitoring@localhost")

# --- REST framework and OpenAPI ---------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "monitoring_site.api_keys.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["monitoring_site.api_keys.HasScope"],
    "DEFAULT_THROTTLE_CLASSES": ["monitoring_site.throttling.ApiKeyRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["monitoring_site.parsers.LimitedJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "monitoring_site.api.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Monitoring API",
    "DESCRIPTION": "Ingest AI calls, metrics and feedback; read stats; manage alerts.",
    "VERSION": VERSION,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_INCLUDE_SCHEMA": False,
    # Request bodies get their own components, so they carry minLength 1 for non-blank fields.
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "monitoring_site.schema.document_error_responses",
    ],
}

# --- Observability ----------------------------------------------------------------------------
METRICS_TOKEN = env("METRICS_TOKEN", default="")
PROMETHEUS_EXPORT_MIGRATIONS = False
ENABLE_JSON_LOGGING = env.bool("ENABLE_JSON_LOGGING", default=False)
SENTRY_DSN = env("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env("SENTRY_ENVIRONMENT", default="development" if DEBUG else "production")
SENTRY_TRACES_SAMPLE_RATE = env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.2)
HEALTH_CHECK_TIMEOUT = env.float("HEALTH_CHECK_TIMEOUT", default=2.0)
SCHEDULER_STALE_AFTER = timedelta(minutes=3)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_context": {"()": "monitoring_site.logging.RequestContextFilter"},
        "client_errors": {"()": "monitoring_site.logging.ClientErrorWithoutTraceback"},
    },
    "formatters": {
        "json": {"()": "monitoring_site.logging.JsonFormatter"},
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if ENABLE_JSON_LOGGING else "plain",
            "filters": ["request_context", "client_errors"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "celery": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
    },
}

# --- Product settings (retention in days, demo) -----------------------------------------------
RETENTION_AI_LOGS_DAYS = env.int("RETENTION_AI_LOGS_DAYS", default=90)
RETENTION_METRIC_SAMPLES_DAYS = env.int("RETENTION_METRIC_SAMPLES_DAYS", default=30)
RETENTION_METRIC_ROLLUPS_DAYS = env.int("RETENTION_METRIC_ROLLUPS_DAYS", default=365)
RETENTION_AUDIT_EVENTS_DAYS = env.int("RETENTION_AUDIT_EVENTS_DAYS", default=730)
RETENTION_RESOLVED_ALERTS_DAYS = env.int("RETENTION_RESOLVED_ALERTS_DAYS", default=365)
NOTIFY_ALLOW_PRIVATE_NETWORKS = env.bool("NOTIFY_ALLOW_PRIVATE_NETWORKS", default=False)
SITE_URL = env("SITE_URL", default="http://localhost:8000")

# --- Check-ins, monitors, status pages (SPEC section 10) ------------------------------------------
CHECKS_PING_RATE_LIMIT_PER_MINUTE = env.int("CHECKS_PING_RATE_LIMIT_PER_MINUTE", default=60)
RETENTION_PINGS_DAYS = env.int("RETENTION_PINGS_DAYS", default=30)
# Monitor results feed the status page's 90-day bars: keep a little more than that.
RETENTION_MONITOR_RESULTS_DAYS = env.int("RETENTION_MONITOR_RESULTS_DAYS", default=100)
STATUS_PAGE_CACHE_SECONDS = env.int("STATUS_PAGE_CACHE_SECONDS", default=60)
RETENTION_EVENTS_DAYS = env.int("RETENTION_EVENTS_DAYS", default=365)

from monitoring_site.sentry import init_sentry  # noqa: E402

init_sentry(
    dsn=SENTRY_DSN, environment=SENTRY_ENVIRONMENT, traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE, release=VERSION
)

# Messages live in the session (not a cookie): the admin shows a new API key once through them.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# --- ailogs ---
AILOGS_MAX_BATCH = env.int("AILOGS_MAX_BATCH", default=1000)
AILOGS_PRICE_CACHE_SECONDS = env.int("AILOGS_PRICE_CACHE_SECONDS", default=60)
# Events stamped further ahead than this are rejected (client clocks drift, but not by days).
AILOGS_MAX_FUTURE_SECONDS = env.int("AILOGS_MAX_FUTURE_SECONDS", default=3600)
# Windows up to this long are answered exactly from raw rows; longer ones merge hourly rollups.
AILOGS_EXACT_WINDOW_HOURS = env.int("AILOGS_EXACT_WINDOW_HOURS", default=2)
# False: ingest commits without waiting for the WAL flush (faster; a PostgreSQL crash may lose the
# last ~0.6 s of acknowledged events). See docs/performance/ailogs.md.
AILOGS_SYNCHRONOUS_COMMIT = env.bool("AILOGS_SYNCHRONOUS_COMMIT", default=True)
# A repeated event_id is recognised as a duplicate when it arrives within this many UTC days after
# the day its first copy arrived (keys are kept per day and dropped whole; SPEC section on ai-logs).
AILOGS_DEDUP_DAYS = env.int("AILOGS_DEDUP_DAYS", default=3)
# Daily partitions of AI calls created this many days ahead (PostgreSQL).
AILOGS_PARTITIONS_AHEAD_DAYS = env.int("AILOGS_PARTITIONS_AHEAD_DAYS", default=7)

# --- metrics ----------------------------------------------------------------------------------
# Summaries over windows up to this many hours are exact from raw samples; longer ones read rollups.
METRICS_EXACT_WINDOW_HOURS = env.int("METRICS_EXACT_WINDOW_HOURS", default=6)
# Each web process flushes its per-minute request aggregates from a timer thread every this many
# seconds, sooner when it holds METRICS_REQUEST_MAX_KEYS series, and at exit. 0 starts no thread
# (the tests flush by hand).
METRICS_REQUEST_FLUSH_SECONDS = env.int("METRICS_REQUEST_FLUSH_SECONDS", default=60)
METRICS_REQUEST_MAX_KEYS = env.int("METRICS_REQUEST_MAX_KEYS", default=2000)
METRICS_ROLLUP_HOURS = env.int("METRICS_ROLLUP_HOURS", default=3)
METRICS_PARTITIONS_AHEAD_DAYS = env.int("METRICS_PARTITIONS_AHEAD_DAYS", default=7)

# --- feedback ---
# Public widget endpoint: small bodies, a per-site-and-address rate limit, and bot traps (docs/feedback.md).
FEEDBACK_MAX_BODY_BYTES = env.int("FEEDBACK_MAX_BODY_BYTES", default=16 * 1024)
FEEDBACK_RATE_PER_MINUTE = env.int("FEEDBACK_RATE_PER_MINUTE", default=5)
FEEDBACK_RATE_PER_DAY = env.int("FEEDBACK_RATE_PER_DAY", default=50)
# All addresses together, per site: caps a flood from many addresses (a botnet, forged Origins).
FEEDBACK_SITE_RATE_PER_MINUTE = env.int("FEEDBACK_SITE_RATE_PER_MINUTE", default=120)
FEEDBACK_MIN_SUBMIT_SECONDS = env.float("FEEDBACK_MIN_SUBMIT_SECONDS", default=2.0)
FEEDBACK_TOKEN_MAX_AGE_SECONDS = env.int("FEEDBACK_TOKEN_MAX_AGE_SECONDS", default=24 * 3600)
FEEDBACK_REQUIRE_TOKEN = env.bool("FEEDBACK_REQUIRE_TOKEN", default=False)
FEEDBACK_MAX_LINKS = env.int("FEEDBACK_MAX_LINKS", default=3)
FEEDBACK_DUPLICATE_WINDOW_MINUTES = env.int("FEEDBACK_DUPLICATE_WINDOW_MINUTES", default=10)
FEEDBACK_API_PATH = "/api/v1/feedback/"  # must match CORS_URLS_REGEX above
# The widget endpoint only needs these; nothing else is answered cross-origin.
CORS_ALLOW_METHODS = ["GET", "OPTIONS", "POST"]
CORS_ALLOW_HEADERS = ["content-type"]
CORS_EXPOSE_HEADERS = ["Retry-After"]  # the widget reads it to tell people when to retry after a 429

# --- alerts -----------------------------------------------------------------------------------
# Delivery retries: full-jitter exponential backoff between BASE and MAX seconds, at most
# NOTIFY_MAX_RETRIES retries; MAX stays far below the broker's visibility timeout (3600 s).
NOTIFY_MAX_RETRIES = env.int("NOTIFY_MAX_RETRIES", default=5)
NOTIFY_RETRY_BASE_SECONDS = env.float("NOTIFY_RETRY_BASE_SECONDS", default=2.0)
NOTIFY_RETRY_MAX_SECONDS = env.float("NOTIFY_RETRY_MAX_SECONDS", default=300.0)
PAGERDUTY_EVENTS_URL = env("PAGERDUTY_EVENTS_URL", default="https://events.pagerduty.com/v2/enqueue")
ALERTS_REPORT_EMAILS = env.list("ALERTS_REPORT_EMAILS", default=[])
# Alert and channel severities share one choice set: one name in the OpenAPI schema.
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {})["AlertSeverityEnum"] = "alerts.models.Severity"

# --- traces (OTLP) ----------------------------------------------------------------------------
SPANS_RETENTION_DAYS = env.int("SPANS_RETENTION_DAYS", default=30)
TRACES_PARTITIONS_AHEAD_DAYS = env.int("TRACES_PARTITIONS_AHEAD_DAYS", default=7)
# Where tenant, user and session come from on a span (its own attributes first, then its
# resource's); the first name present wins. docs/tracing.md lists what else maps to an AI call.
TRACES_TENANT_ATTRIBUTES = env.list("TRACES_TENANT_ATTRIBUTES", default=["tenant.id"])
TRACES_USER_ATTRIBUTES = env.list("TRACES_USER_ATTRIBUTES", default=["user.id", "enduser.id"])
TRACES_SESSION_ATTRIBUTES = env.list("TRACES_SESSION_ATTRIBUTES", default=["session.id", "gen_ai.conversation.id"])

# --- dashboard ---
# Render times of dashboard pages ("dashboard load" target) are kept this long; ranges go to 30 days.
DASHBOARD_RENDER_TIMINGS_DAYS = env.int("DASHBOARD_RENDER_TIMINGS_DAYS", default=60)
