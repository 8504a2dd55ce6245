"""Django settings for Aftersales, read from the environment (see docs/operations.md).

Two modes: the default ("local") serves plain HTTP on loopback with embedded SQLite and a
file-backed job queue; AFTERSALES_ENV=production requires a real secret key and host names and
turns on the HTTPS-only settings that `manage.py check --deploy` asks for.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BASE_DIR.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


ENVIRONMENT = os.environ.get("AFTERSALES_ENV", "local")
PRODUCTION = ENVIRONMENT == "production"
TESTING = env_bool("AFTERSALES_TESTING")

DATA_DIR = Path(os.environ.get("AFTERSALES_DATA_DIR", PROJECT_ROOT / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    key = os.environ.get("AFTERSALES_SECRET_KEY", "")
    if key:
        return key
    if PRODUCTION:
        raise RuntimeError("AFTERSALES_SECRET_KEY must be set when AFTERSALES_ENV=production")
    # Local mode: a random key kept in the data directory so sessions survive restarts.
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("AFTERSALES_DEBUG", default=False)
ALLOWED_HOSTS = env_list("AFTERSALES_ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("AFTERSALES_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "huey.contrib.djhuey",
    "aftersales.core",
    "aftersales.accounts",
    "aftersales.notifications",
    "aftersales.customers",
    "aftersales.catalog",
    "aftersales.sales",
    "aftersales.sla",
    "aftersales.service",
    "aftersales.exchange",
    "aftersales.reports",
    "aftersales.portal",
    "aftersales.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "aftersales.web.locale_middleware.UILocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "aftersales.core.middleware.RequestContextMiddleware",
    "aftersales.web.middleware.DomainErrorPageMiddleware",
]

ROOT_URLCONF = "aftersales.urls"
WSGI_APPLICATION = "aftersales.wsgi.application"
ASGI_APPLICATION = "aftersales.asgi.application"

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
                "aftersales.web.context_processors.navigation",
            ],
        },
    },
]
# Forms and widgets render through Jinja2 (web.renderers): the same HTML as Django's templates, 2-3x faster.
FORM_RENDERER = "aftersales.web.renderers.FormRenderer"

# --- database -------------------------------------------------------------------------------
# SQLite needs IMMEDIATE transactions, WAL and a long busy timeout under concurrent writers:
# on Django's defaults 35-83 % of concurrent creates failed with "database is locked"
# (shared/research/create_path.md).
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 30,
    # The web workers checkpoint the write-ahead log in a thread (core.sqlite_checkpoint); a connection
    # checkpoints by itself, inside a commit, only past 100,000 pages (400 MB; SQLite's default is 1,000),
    # above the thread's RESTART_FRAMES. When the log starts again its file is cut back only if it is
    # over 256 MB: cutting it takes the commit that restarts the log 80-100 ms here (the blocks are freed
    # and discarded), so below that size the file is kept and written over.
    "init_command": (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
        "PRAGMA wal_autocheckpoint=100000; PRAGMA journal_size_limit=268435456;"
    ),
}
# Django's backend plus a writer queue (a lock file that write transactions take in turn; see its module).
SQLITE_ENGINE = "aftersales.core.sqlite_backend"
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=600, conn_health_checks=True)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        DATABASES["default"]["ENGINE"] = SQLITE_ENGINE
        DATABASES["default"]["OPTIONS"] = dict(SQLITE_OPTIONS)
    elif env_bool("AFTERSALES_PG_SERVER_SIDE_BINDING", default=True):
        # Server-side parameters let psycopg prepare a statement it has run five times on a connection,
        # so PostgreSQL plans the request lists' seven-table joins once, not on every request (planning
        # took 4.5 ms of a 0.4 ms query at 1M requests). AFTERSALES_PG_SERVER_SIDE_BINDING=0 turns it off.
        options = DATABASES["default"].setdefault("OPTIONS", {})
        options["server_side_binding"] = True
        # Django turns psycopg's prepared statements off unless asked (for connection poolers in
        # transaction mode, which we do not use); without this the statement above is only bound, never
        # prepared, and the request page's nine-table join was planned on every request (4 ms).
        threshold = os.environ.get("AFTERSALES_PG_PREPARE_THRESHOLD", "5").strip().lower()
        options["prepare_threshold"] = None if threshold in {"", "off", "none"} else int(threshold)
else:
    DATABASES = {
        "default": {
            "ENGINE": SQLITE_ENGINE,
            "NAME": str(DATA_DIR / "aftersales.sqlite3"),
            "OPTIONS": dict(SQLITE_OPTIONS),
            "CONN_MAX_AGE": 600,
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- background jobs (Huey) -------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "aftersales",
        "url": REDIS_URL,
        "immediate": False,
        "consumer": {"workers": 2, "worker_type": "thread"},
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "aftersales",
        "filename": str(DATA_DIR / "jobs.sqlite3"),
        "immediate": False,
        "consumer": {"workers": 2, "worker_type": "thread"},
    }
if TESTING:
    HUEY = {"huey_class": "huey.MemoryHuey", "name": "aftersales-test", "immediate": True}

# --- authentication ---------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["aftersales.accounts.backends.LockoutModelBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    # Argon2 is deliberately slow; the suite creates thousands of users.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"
# Lock-out: this many failures for one username within the window locks it for the lock time.
LOGIN_MAX_FAILURES = int(os.environ.get("AFTERSALES_LOGIN_MAX_FAILURES", "5"))
LOGIN_FAILURE_WINDOW_MINUTES = int(os.environ.get("AFTERSALES_LOGIN_FAILURE_WINDOW_MINUTES", "15"))
LOGIN_LOCK_MINUTES = int(os.environ.get("AFTERSALES_LOGIN_LOCK_MINUTES", "15"))
SESSION_COOKIE_AGE = 60 * 60 * 12

# --- internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["aftersales.formats"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

# --- static and uploaded files ----------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if TESTING or DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- e-mail -----------------------------------------------------------------------------------
EMAIL_HOST = os.environ.get("AFTERSALES_EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("AFTERSALES_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("AFTERSALES_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("AFTERSALES_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("AFTERSALES_EMAIL_TLS")
EMAIL_USE_SSL = env_bool("AFTERSALES_EMAIL_SSL")
DEFAULT_FROM_EMAIL = os.environ.get("AFTERSALES_EMAIL_FROM", "售后服务中心 <service@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.filebased.EmailBackend"
)
EMAIL_FILE_PATH = DATA_DIR / "outbox-mail"
# The address customers reach the site at (links in SMS and e-mail), e.g. https://service.example.cn
SERVICE_HOTLINE = os.environ.get("AFTERSALES_SERVICE_HOTLINE", "")
PUBLIC_BASE_URL = os.environ.get("AFTERSALES_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
# Inbound channels: a shared secret signs webhook bodies (HMAC-SHA256); IMAP polls the service mailbox.
INBOUND_WEBHOOK_SECRET = os.environ.get("AFTERSALES_INBOUND_SECRET", "")
IMAP_HOST = os.environ.get("AFTERSALES_IMAP_HOST", "")
IMAP_PORT = int(os.environ.get("AFTERSALES_IMAP_PORT", "993"))
IMAP_USER = os.environ.get("AFTERSALES_IMAP_USER", "")
IMAP_PASSWORD = os.environ.get("AFTERSALES_IMAP_PASSWORD", "")
IMAP_FOLDER = os.environ.get("AFTERSALES_IMAP_FOLDER", "INBOX")
NOTIFY_SMTP_TIMEOUT = int(os.environ.get("AFTERSALES_SMTP_TIMEOUT", "15"))
# SMS / WeChat go through the operator's gateway: we POST JSON signed with HMAC-SHA256.
NOTIFY_WEBHOOK_URL = os.environ.get("AFTERSALES_NOTIFY_WEBHOOK_URL", "")
NOTIFY_WEBHOOK_SECRET = os.environ.get("AFTERSALES_NOTIFY_WEBHOOK_SECRET", "")

# --- security ---------------------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("AFTERSALES_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("AFTERSALES_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("AFTERSALES_HSTS_PRELOAD", default=True)

# --- logging: one JSON object per line, so the operations side can ship and search it ---------
LOG_LEVEL = os.environ.get("AFTERSALES_LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "json_ensure_ascii": False,
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "huey": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
    },
}

# --- API --------------------------------------------------------------------------------------
API_PAGE_SIZE_DEFAULT = 20
API_PAGE_SIZE_MAX = 100
API_TOKEN_TOUCH_SECONDS = 60  # last-used time is written at most once a minute per token
