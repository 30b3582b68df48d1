"""pacta's one settings module, driven by environment variables.

SQLite is the embedded default; `DATABASE_URL` selects another database
(PostgreSQL in production). Secrets may be read from `<NAME>_FILE`.
"""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent


def env(name: str, default: str | None = None) -> str | None:
    """Return the variable `name`, or the contents of the file `name_FILE`."""
    path = os.environ.get(name + "_FILE")
    if path:
        return Path(path).read_text().strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


DEMO = env_bool("PACTA_DEMO")
# "As of" clock override: pacta behaves as if it were this moment (ISO 8601 with
# offset). The Northwind demo uses it, since its data ends in May 1998.
PACTA_CLOCK = env("PACTA_CLOCK") or None
DEBUG = env_bool("DEBUG", default=DEMO)
VAR_DIR = Path(env("PACTA_VAR_DIR", str(PROJECT_DIR / "var")))

SECRET_KEY = env("SECRET_KEY") or ""
if not SECRET_KEY:
    # Fine for the demo and the tests; `pacta check --deploy` flags it, and
    # production sets SECRET_KEY or SECRET_KEY_FILE.
    SECRET_KEY = "django-insecure-pacta-development-key-set-SECRET_KEY-in-production"

ALLOWED_HOSTS = [h.strip() for h in (env("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]") or "").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in (env("CSRF_TRUSTED_ORIGINS", "") or "").split(",") if o.strip()]
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "pacta.accounts",
    "pacta.core",
    "pacta.front",
    "pacta.api",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "pacta.lib.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "pacta.accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "pacta.urls"
WSGI_APPLICATION = "pacta.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "pacta.front.context.pacta",
            ],
        },
    },
]

if not env("DATABASE_URL"):
    VAR_DIR.mkdir(parents=True, exist_ok=True)  # the embedded database lives in var/
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'pacta.sqlite3'}",
        conn_max_age=int(env("DB_CONN_MAX_AGE", "0") or 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while the watcher or an import writes.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault(
        "init_command",
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;",
    )
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
    DATABASES["default"].setdefault("TEST", {})
    DATABASES["default"]["TEST"].setdefault("NAME", "")  # in-memory unless a test needs a file

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "front:dashboard"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Internationalisation: English, Dutch, German, Norwegian Bokmål.
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("nl", _("Dutch")),
    ("de", _("German")),
    ("nb", _("Norwegian Bokmål")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env("TIME_ZONE", "Europe/Amsterdam")

STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(VAR_DIR / "static")))
if not env("STATIC_ROOT"):
    # whitenoise warns about a missing root; `pacta serve` fills it with collectstatic.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True

# Reviews (docs/review.md): the cost of an hour of our work, the estimated
# margin as a percent of revenue (where the data has no cost prices), and the
# share of the margin a special agreement may cost before it is flagged.
PACTA_HOURLY_RATE = env("PACTA_HOURLY_RATE", "50")
PACTA_MARGIN_PERCENT = env("PACTA_MARGIN_PERCENT", "20")
PACTA_COST_SHARE_LIMIT = env("PACTA_COST_SHARE_LIMIT", "10")

# The REST API: requests per token and minute unless the token sets its own limit.
PACTA_API_RATE_LIMIT = int(env("PACTA_API_RATE_LIMIT", "600") or 600)
PACTA_API_LOG_DAYS = int(env("PACTA_API_LOG_DAYS", "90") or 0)
# Seconds the dashboard reuses the figures of the whole portfolio it counted (0: counts on every request).
PACTA_DASHBOARD_CACHE = int(env("PACTA_DASHBOARD_CACHE", "15") or 0)

# Uploads: agreement and event files are read in memory up to this size.
DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
PACTA_MAX_UPLOAD_BYTES = int(env("PACTA_MAX_UPLOAD_BYTES", str(200 * 1024 * 1024)) or 0)
# Attachments of agreements (signed amendments, scans, e-mails): the largest file taken.
PACTA_MAX_ATTACHMENT_BYTES = int(env("PACTA_MAX_ATTACHMENT_BYTES", str(25 * 1024 * 1024)) or 0)
# pacta.lib.uploads.UploadGuard first: it tells a file that did not arrive whole, or too large.
FILE_UPLOAD_HANDLERS = [
    "pacta.lib.uploads.UploadGuard",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# E-mail: SMTP configured by environment; the console backend in demo mode.
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "25") or 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL")
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "pacta <pacta@localhost>")

# Production hardening (off in DEBUG).
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "31536000") or 0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # Served over https (SITE_URL says so): plain http is redirected, also when a
    # proxy in front terminates TLS and says so in X-Forwarded-Proto.
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", (SITE_URL or "").startswith("https://"))
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
# Wrong passwords are slowed, then blocked (pacta.accounts.throttle), on the web
# sign-in page and wherever else passwords are checked.
AUTHENTICATION_BACKENDS = ["pacta.accounts.throttle.ThrottledBackend"]
# Behind a proxy, the header (as in request.META) that carries the client's address,
# e.g. HTTP_X_REAL_IP; the proxy must set it. Empty: the connection's address.
PACTA_CLIENT_IP_HEADER = env("PACTA_CLIENT_IP_HEADER", "") or ""
# The throttle's counters live in the cache: per process by default; with several
# web processes, a table in the database shared by all (`pacta createcachetable`).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if env("PACTA_CACHE_TABLE"):
    CACHES["default"] = {"BACKEND": "django.core.cache.backends.db.DatabaseCache",
                         "LOCATION": env("PACTA_CACHE_TABLE")}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "WARNING")},
}
