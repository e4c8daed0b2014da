"""Kizuna settings. Every value that differs between machines comes from a KIZUNA_* variable
(or DATABASE_URL); see .env.example for the full list."""

import os
from pathlib import Path

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from config.env import (
    env_bool,
    env_cache,
    env_int,
    env_ints,
    env_json,
    env_list,
    env_networks,
    env_rate,
    env_schedules,
    env_str,
    parse_rate,
)

django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent

# KIZUNA_ENV=production turns the safety checks on: a real secret key and the host names are
# required, DEBUG cannot be on, cookies are HTTPS-only. Development (the default) runs with no
# configuration at all, for `make demo` and the tests.
ENVIRONMENT = env_str("KIZUNA_ENV", "development")
if ENVIRONMENT not in {"development", "production"}:
    raise ImproperlyConfigured("KIZUNA_ENV is development or production.")
PRODUCTION = ENVIRONMENT == "production"

DEBUG = env_bool("KIZUNA_DEBUG", False)
_INSECURE_DEV_KEY = "kizuna-insecure-development-key-change-me-in-production-0123456789"
SECRET_KEY = env_str("KIZUNA_SECRET_KEY", None if PRODUCTION else _INSECURE_DEV_KEY)
ALLOWED_HOSTS = env_list(
    "KIZUNA_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
if PRODUCTION:
    if DEBUG:
        raise ImproperlyConfigured("KIZUNA_DEBUG must be off when KIZUNA_ENV=production.")
    if SECRET_KEY == _INSECURE_DEV_KEY or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured(
            "KIZUNA_SECRET_KEY must be a random string of at least 50 characters in production."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("KIZUNA_ALLOWED_HOSTS is required in production.")
CSRF_TRUSTED_ORIGINS = env_list("KIZUNA_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",  # the API docs page loads its scripts from our static files, not a CDN
    "django_tasks_db",
    "kizuna.core",
    "kizuna.accounts",
    "kizuna.customers",
    "kizuna.orders",
    "kizuna.loyalty",
    "kizuna.vouchers",
    "kizuna.rewards",
    "kizuna.referrals",
    "kizuna.textanalytics",
    "kizuna.feedback",
    "kizuna.insights",
    "kizuna.api",
    "kizuna.demo",
    "kizuna.portal",
]

MIDDLEWARE = [
    "kizuna.api.protocol.HeadMiddleware",
    "kizuna.api.middleware.RequestIdMiddleware",
    # Preflights and Access-Control-* of the operations a publishable key may call (ADR 0032).
    "kizuna.api.cors.CorsMiddleware",
    "kizuna.api.metrics.MetricsMiddleware",
    "kizuna.api.protocol.ChunkedBodyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "kizuna.api.middleware.PagesMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "kizuna.api.ratelimit.RateLimitMiddleware",
    "kizuna.api.middleware.ApiBoundaryMiddleware",
]
# Run by PagesMiddleware, in this order, for everything but the API (which keeps no session):
# API calls do not pay for them (ADR 0013).
PAGES_MIDDLEWARE = [
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
# The admin's checks look for these three in MIDDLEWARE, and the deployment check for the
# CSRF middleware (security.W003); they run for the admin and pages through PagesMiddleware
# (kizuna/accounts/tests/test_admin.py signs in to prove it; config/tests/test_security.py
# checks that a form post without its CSRF token is refused).
SILENCED_SYSTEM_CHECKS = ["admin.E408", "admin.E409", "admin.E410", "security.W003"]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        # Persistent connections: a new connection per request costs more than the request.
        conn_max_age=env_int("KIZUNA_DB_CONN_MAX_AGE", 600),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL plus IMMEDIATE transactions: concurrent writers queue instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
# Test databases: in memory for SQLite; one per test process elsewhere, so two test runs on
# one server never drop each other's database.
_test_name = env_str("KIZUNA_TEST_DATABASE_NAME", "")
if not _test_name and DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    _test_name = f"test_kizuna_{os.getpid()}"
DATABASES["default"]["TEST"] = {"NAME": _test_name or None}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.StaffUser"
# Sign-in failures are counted and lock out an account or an address (ADR 0019).
AUTHENTICATION_BACKENDS = ["kizuna.accounts.backends.ThrottledModelBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/admin/login/"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ja", "日本語"), ("ko", "한국어")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("KIZUNA_MAX_BODY_BYTES", 5 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE

# Background tasks (ADR 0002, ADR 0021): the database backend by default (no extra server);
# `redis` for distributed workers on RQ (`manage.py task_worker`). A dotted path also works.
KIZUNA_REDIS_URL = env_str("KIZUNA_REDIS_URL", "redis://127.0.0.1:6379/0")
_TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "redis": "kizuna.core.tasks_redis.RedisTaskBackend",
}
_task_backend = env_str("KIZUNA_TASKS_BACKEND", "database")
_task_backend = _TASK_BACKENDS.get(_task_backend, _task_backend)
_task_options: dict[str, object] = {}
if _task_backend == _TASK_BACKENDS["redis"]:
    _task_options = {
        "URL": KIZUNA_REDIS_URL,
        "RETRIES": env_int("KIZUNA_TASK_RETRIES", 3),
        "RETRY_INTERVALS": env_ints("KIZUNA_TASK_RETRY_SECONDS", [10, 60, 300]),
        "TIMEOUT": env_int("KIZUNA_TASK_TIMEOUT_SECONDS", 3600),
    }
TASKS = {"default": {"BACKEND": _task_backend, "QUEUES": ["default"], "OPTIONS": _task_options}}

# Schedules of the periodic jobs, run by `manage.py scheduler` (ADR 0022): a JSON object in
# KIZUNA_SCHEDULE ('{"outbox_sweep": "1m"}') or KIZUNA_SCHEDULE_<JOB>=1m; "off" disables one.
# Jobs not named keep the defaults their apps registered.
KIZUNA_SCHEDULE = env_schedules("KIZUNA_SCHEDULE")

# The cache: API key lookups, rate limits and sign-in failures. The local memory of each
# process by default (limits then count per process); Redis in production (KIZUNA_CACHE_URL=
# redis://...), shared by all, so that a revoked key is refused everywhere.
CACHES = {"default": env_cache("KIZUNA_CACHE_URL", "locmem://")}

# Rate limits (ADR 0019), each "requests/seconds" over a sliding window, or "off". Generous:
# they stop a runaway client, never an integrator's bulk traffic (imports are one request).
# read and write: per server key. public: per publishable key and client address.
# failed_auth: wrong or revoked keys per client address; past it, the address is refused
# whatever key it sends, until the window has passed.
KIZUNA_RATE_LIMITS = {
    "read": env_rate("KIZUNA_RATE_LIMIT_READ", "60000/60"),
    "write": env_rate("KIZUNA_RATE_LIMIT_WRITE", "30000/60"),
    "public": env_rate("KIZUNA_RATE_LIMIT_PUBLIC", "1200/60"),
    "failed_auth": env_rate("KIZUNA_RATE_LIMIT_FAILED_AUTH", "100/60"),
    # Failed voucher code lookups per key (publishable: per key and client address).
    "voucher_lookup": env_rate("KIZUNA_RATE_LIMIT_VOUCHER_LOOKUP", "20/60"),
}
# Per workspace, by slug: {"big-shop": {"write": "120000/60"}}.
_workspace_limits = env_json("KIZUNA_RATE_LIMITS_BY_WORKSPACE", {})
if not isinstance(_workspace_limits, dict) or not all(
    isinstance(v, dict) and set(v) <= set(KIZUNA_RATE_LIMITS) for v in _workspace_limits.values()
):
    raise ImproperlyConfigured(
        "KIZUNA_RATE_LIMITS_BY_WORKSPACE maps workspace slugs to "
        '{"read"|"write"|"public"|"failed_auth": "requests/seconds"}.'
    )
KIZUNA_RATE_LIMITS_BY_WORKSPACE = {
    slug: {
        kind: parse_rate(f"KIZUNA_RATE_LIMITS_BY_WORKSPACE[{slug}][{kind}]", str(rate))
        for kind, rate in limits.items()
    }
    for slug, limits in _workspace_limits.items()
}
# Proxies whose X-Forwarded-For is believed: the client is the first address, from the
# right, that is not one of them. Empty: the client is REMOTE_ADDR.
KIZUNA_TRUSTED_PROXIES = env_networks("KIZUNA_TRUSTED_PROXIES")
# Staff sign-in (the admin, later the console): failures allowed per account and per client
# address within the window before a lock-out, and how long a lock-out lasts
# (`manage.py unlock_staff EMAIL` lifts one).
KIZUNA_SIGNIN_FAILURES_PER_ACCOUNT = env_int("KIZUNA_SIGNIN_FAILURES_PER_ACCOUNT", 5)
KIZUNA_SIGNIN_FAILURES_PER_ADDRESS = env_int("KIZUNA_SIGNIN_FAILURES_PER_ADDRESS", 20)
KIZUNA_SIGNIN_WINDOW_SECONDS = env_int("KIZUNA_SIGNIN_WINDOW_SECONDS", 900)
KIZUNA_SIGNIN_LOCKOUT_SECONDS = env_int("KIZUNA_SIGNIN_LOCKOUT_SECONDS", 900)

KIZUNA_IDEMPOTENCY_TTL_HOURS = env_int("KIZUNA_IDEMPOTENCY_TTL_HOURS", 24)
# Seconds an API key lookup is kept in the cache. Revoking a key removes its entry; with the
# local-memory cache (the default) other processes may still accept it for this long.
KIZUNA_API_KEY_CACHE_SECONDS = env_int("KIZUNA_API_KEY_CACHE_SECONDS", 30)

# The text analyzer: a dotted path to a class with `analyze(texts) -> results` (ADR 0018).
# Email (survey invitations, follow-ups): SMTP (KIZUNA_SMTP_*); KIZUNA_EMAIL_BACKEND=console
# prints messages instead of sending them (development).
MAILERS: dict[str, dict[str, object]]
if env_str("KIZUNA_EMAIL_BACKEND", "smtp") == "console":
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
else:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": env_str("KIZUNA_SMTP_HOST", "127.0.0.1"),
                "port": env_int("KIZUNA_SMTP_PORT", 25),
                "username": env_str("KIZUNA_SMTP_USER", ""),
                "password": env_str("KIZUNA_SMTP_PASSWORD", ""),
                "use_tls": env_bool("KIZUNA_SMTP_STARTTLS", False),
                "timeout": env_int("KIZUNA_SMTP_TIMEOUT_SECONDS", 10),
            },
        }
    }
DEFAULT_FROM_EMAIL = env_str("KIZUNA_EMAIL_FROM", "Kizuna <no-reply@kizuna.example>")
# The address customers reach the product at: links in emails, QR codes.
KIZUNA_PUBLIC_URL = env_str("KIZUNA_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")

# The nightly expiry of points on PostgreSQL: threads, each on its own share of the accounts.
KIZUNA_EXPIRY_WORKERS = env_int("KIZUNA_EXPIRY_WORKERS", 2)
KIZUNA_TEXT_ANALYZER = env_str(
    "KIZUNA_TEXT_ANALYZER", "kizuna.textanalytics.sentiment.AccurateAnalyzer"
)

# KIZUNA_LOG_FORMAT=json: one JSON object a line, with the request id (production).
_log_format = env_str("KIZUNA_LOG_FORMAT", "plain")
if _log_format not in {"plain", "json"}:
    raise ImproperlyConfigured("KIZUNA_LOG_FORMAT is plain or json.")
# Requests, one line each (method, route, status, duration): KIZUNA_ACCESS_LOG=1.
KIZUNA_ACCESS_LOG = env_bool("KIZUNA_ACCESS_LOG", False)
# /metrics answers only `Authorization: Bearer <token>` when a token is set.
KIZUNA_METRICS_TOKEN = env_str("KIZUNA_METRICS_TOKEN", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "kizuna.core.logging.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "kizuna.core.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": _log_format,
            "filters": ["request_id"],
        },
    },
    "root": {"handlers": ["console"], "level": env_str("KIZUNA_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}

# Security headers (ADR 0019). Every response: nosniff, a same-origin referrer, no framing,
# and a Content-Security-Policy that lets pages load only this site's own files (scripts and
# styles of our own templates carry the request's nonce; the API docs load theirs from
# /static/). In production also HSTS and a redirect to HTTPS: behind a proxy that terminates
# TLS, set KIZUNA_SECURE_PROXY_SSL_HEADER to the header it sets ("X-Forwarded-Proto: https"),
# or every request would be redirected again.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
SECURE_HSTS_SECONDS = env_int("KIZUNA_HSTS_SECONDS", 31_536_000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("KIZUNA_HSTS_INCLUDE_SUBDOMAINS", True)
# Allows a submission to the browsers' preload list; sending it does not submit the domain.
SECURE_HSTS_PRELOAD = env_bool("KIZUNA_HSTS_PRELOAD", True)
SECURE_SSL_REDIRECT = env_bool("KIZUNA_SSL_REDIRECT", PRODUCTION)
# Probes from a load balancer or an orchestrator reach the process itself over plain HTTP; a
# redirect would read as "down". They carry no data and set no cookie.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
_proxy_header = env_str("KIZUNA_SECURE_PROXY_SSL_HEADER", "")
if _proxy_header:
    _name, _, _value = _proxy_header.partition(":")
    if not _name.strip() or not _value.strip():
        raise ImproperlyConfigured(
            "KIZUNA_SECURE_PROXY_SSL_HEADER is 'Header-Name: value', such as "
            "'X-Forwarded-Proto: https'."
        )
    SECURE_PROXY_SSL_HEADER = (
        "HTTP_" + _name.strip().upper().replace("-", "_"),
        _value.strip(),
    )
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("KIZUNA_SECURE_COOKIES", PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
