"""Settings for the clonazepam e-learning site.

Everything that differs between machines comes from the environment (see
README.md). Safe defaults: an SQLite file, DEBUG off, and a secret key that is
required whenever DEBUG is off.
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local `.env` (written by `make run`, never committed) fills in what the
# environment does not set, so the README's commands work as written.
environ.Env.read_env(env.str("DJANGO_ENV_FILE", default=str(BASE_DIR / ".env")))

DEBUG = env.bool("DJANGO_DEBUG", default=False)

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off."
        )
    SECRET_KEY = "django-insecure-local-development-only"  # noqa: S105

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "whitenoise.runserver_nostatic",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "axes",
    "csp",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "edu.accounts",
    "edu.courses",
    "edu.teaching",
    "quizzes",
    "lti_tool",
    "edu.lti",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "edu.middleware.RejectNulMiddleware",
    # Before SessionMiddleware: an LTI session's cookies work in the LMS iframe.
    "edu.lti.middleware.LtiCookieMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "edu.middleware.UserTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # After CSPMiddleware and XFrameOptionsMiddleware: LMS framing (edu/lti).
    "edu.lti.middleware.LtiFramingMiddleware",
    "edu.middleware.AdminStylesCSPMiddleware",
    # Last: it locks out a user and address after repeated failed logins.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "edu.urls"
WSGI_APPLICATION = "edu.wsgi.application"

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
                "edu.context_processors.frame",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers take the lock when their transaction starts and wait for each
    # other, instead of failing midway with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend, with the signed-in user read from the cache.
    "edu.accounts.backends.CachedModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
CSRF_FAILURE_VIEW = "edu.errors.csrf_failure"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "courses:start"
# The assessment engine shows an instructor in the admin only the attempts of
# the learners this function returns for them (see quizzes.admin).
QUIZZES_VISIBLE_LEARNERS = "edu.courses.selectors.visible_learners"
LOGOUT_REDIRECT_URL = "courses:home"

EMAIL_CONFIG = env.email_url("DJANGO_EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="webmaster@localhost")

REST_FRAMEWORK = {
    # Token first, so an unauthenticated request gets 401 with WWW-Authenticate.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "edu.accounts.authentication.CachedTokenAuthentication",  # knox's, from the cache
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "token": env.str("DJANGO_THROTTLE_TOKEN", default="10/min"),
        "signup": env.str("DJANGO_THROTTLE_SIGNUP", default="10/hour"),
        "password_reset": env.str("DJANGO_THROTTLE_PASSWORD_RESET", default="5/hour"),
        "join": env.str("DJANGO_THROTTLE_JOIN", default="10/min"),
    },
    "EXCEPTION_HANDLER": "edu.errors.api_exception_handler",
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "edu.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["edu.parsers.JSONParser"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Clonazepam learning module API",
    "DESCRIPTION": (
        "What a learner can do (courses, lessons, quizzes, attempts, progress) and what "
        "an instructor can read (their cohorts' gradebooks and item analysis). "
        "Authenticate with `Authorization: Token <key>` (POST /api/v1/auth/token/) or the "
        "site's session. Educational use only, not medical advice."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "edu.schema.declare_errors",
    ],
    "ENUM_NAME_OVERRIDES": {
        "AttemptStateEnum": "quizzes.models.Attempt.State",
        "QuestionKindEnum": "quizzes.models.Question.Kind",
    },
}
# Requests larger than this are refused (413) before any view runs.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

# The cache: Redis when REDIS_URL is set (production, CI), local memory
# otherwise. Login lockouts, throttles and sessions' cache live here.
# Sessions are read from the cache, with the database behind it.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
REDIS_URL = env.str("REDIS_URL", default="")
CACHES = {
    "default": (
        {"BACKEND": "edu.cache.Cache", "LOCATION": REDIS_URL,
         "KEY_PREFIX": env.str("DJANGO_CACHE_PREFIX", default="klonopin")}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Login lockout (django-axes): after 5 failures for one username from one
# address, that pair is locked out for 15 minutes. Counted in Redis when there
# is one (shared by every app server), else in the database (local memory is
# not shared between processes).
AXES_FAILURE_LIMIT = env.int("DJANGO_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("DJANGO_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "axes.handlers.%s" % (
    "cache.AxesCacheHandler" if REDIS_URL else "database.AxesDatabaseHandler"
)
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = env.int("DJANGO_PROXY_COUNT", default=0)
AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]

# API tokens (django-rest-knox): stored hashed, expire, revoked on password change.
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=env.int("DJANGO_API_TOKEN_DAYS", default=30)),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}

# Content Security Policy (django-csp): no inline script or style anywhere on
# the site; the API docs page widens it only for what Swagger UI needs.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

CERTIFICATE_FONT = env.list(  # TrueType fonts, tried in order for each character
    "DJANGO_CERTIFICATE_FONT",
    default=[
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    ],
)

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("DJANGO_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Security: strict unless DEBUG is on. Behind a TLS-terminating proxy, set
# DJANGO_SECURE_PROXY_SSL_HEADER=1 so Django trusts X-Forwarded-Proto.
if env.bool("DJANGO_SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("DJANGO_SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("DJANGO_CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool(
    "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG
)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
# Probes may speak plain HTTP to the app server.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# LTI 1.3 (LMS integration, edu/lti) ------------------------------------------
# Outbound calls to a platform (its keyset, token, line item and roster URLs)
# give up after this many seconds.
LTI_HTTP_TIMEOUT = env.float("DJANGO_LTI_HTTP_TIMEOUT", default=10.0)
# The grade outbox: a worker holds a row this long while sending it, and a
# failed send waits 30 s, 1 min, 2 min, ... at most this long before the next try.
LTI_GRADE_LEASE = env.int("DJANGO_LTI_GRADE_LEASE", default=300)
LTI_GRADE_MAX_BACKOFF = env.int("DJANGO_LTI_GRADE_MAX_BACKOFF", default=6 * 3600)
# Inside an LMS iframe the site is a third party: over HTTPS, an LTI session's
# session and CSRF cookies are sent SameSite=None; Secure (LtiCookieMiddleware),
# everyone else's stay Lax. A browser that blocks third-party cookies anyway
# gets the tool's "open in a new window" page, never a password form.
LTI_IFRAME_COOKIES = env.bool("DJANGO_LTI_IFRAME_COOKIES", default=True)
# ------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
}
