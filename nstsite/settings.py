"""Settings for nstsite, all read from the environment with local defaults.

Local development needs nothing set: SQLite file, an embedded Redis (see
`nstsite.embedded_redis`) and DEBUG on. Production sets DEBUG=false and must then set
SECRET_KEY, or the site refuses to start. The README has the full table.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from nstsite import embedded_redis

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=True)

_DEV_SECRET_KEY = "django-insecure-local-development-only"
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is false.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Runtime files of the local stack (embedded Redis socket, worker pid files).
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_rq",
    "gallery",
    "stylizer",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before anything reads request.POST (CsrfViewMiddleware does): see nstsite.middleware.
    "nstsite.middleware.StrictFileNamesMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After the user is known, so the 413 page shows the signed-in site; reads no body.
    "nstsite.middleware.RequestSizeLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "nstsite.urls"
WSGI_APPLICATION = "nstsite.wsgi.application"

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

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web process and the worker write to the same file: WAL lets readers go on
    # while the worker writes progress, IMMEDIATE avoids upgrade deadlocks, and the
    # timeout waits out the other writer instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE", "timeout": 20}
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "gallery:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))

# Uploaded and generated images. Never served under a public URL: every image goes
# through a view that checks who is asking (gallery.views), so MEDIA_URL is unused.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Queue. REDIS_URL unset means the embedded Redis that `manage.py runstack` starts.
REDIS_URL = env.str("REDIS_URL", default="") or embedded_redis.url(VAR_DIR)
RQ_QUEUE = "stylize"
RQ_QUEUES = {RQ_QUEUE: {"URL": REDIS_URL}}
RQ = {"WORKER_CLASS": "stylizer.worker.StylizerWorker"}
RQ_SHOW_ADMIN_LINK = True

# Cache: API rate limits count in it. The default is per process; with several gunicorn
# workers set CACHE_URL to a Redis server (redis://host:6379/1) so they share the counts.
CACHE_URL = env.str("CACHE_URL", default="")
if CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
elif CACHE_URL:
    raise ImproperlyConfigured(f"CACHE_URL must be a redis://, rediss:// or unix:// URL, not {CACHE_URL!r}.")
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# REST API (gallery.api). Token authentication comes first so that a request without
# credentials gets 401 with `WWW-Authenticate: Token` (DRF takes the header from the first
# class); the browser's session works too. Rates: "N/second|minute|hour|day", per user.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "gallery.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "gallery.api.exceptions.exception_handler",
    # Uploads refuse file names with folders (nstsite.http.StrictMultiPartParser).
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "gallery.api.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "auth": env.str("API_RATE_AUTH", default="20/minute"),
        "uploads": env.str("API_RATE_UPLOADS", default="60/hour"),
        "stylizations": env.str("API_RATE_STYLIZATIONS", default="60/hour"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "nstsite API",
    "DESCRIPTION": "Neural style transfer: photos, styles and stylizations. See the README's REST API section.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Uploads. A photo above either limit is refused with a message naming the limit.
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=20 * 1024 * 1024)
UPLOAD_MAX_PIXELS = env.int("UPLOAD_MAX_PIXELS", default=40_000_000)
# A whole request body: the create form carries two images (photo and style) and its fields.
# Larger is refused with 413 before it is read (nstsite.middleware.RequestSizeLimitMiddleware).
REQUEST_MAX_BYTES = env.int("REQUEST_MAX_BYTES", default=2 * UPLOAD_MAX_BYTES + 1024 * 1024)
if REQUEST_MAX_BYTES < UPLOAD_MAX_BYTES:
    raise ImproperlyConfigured("REQUEST_MAX_BYTES must be at least UPLOAD_MAX_BYTES (one image must fit).")
DATA_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Stylization jobs.
STYLIZER_DEVICE = env.str("STYLIZER_DEVICE", default="auto")
STYLIZER_TORCHVISION_WEIGHTS = env.str("STYLIZER_TORCHVISION_WEIGHTS", default="")
STYLIZER_SIZES = tuple(env.list("STYLIZER_SIZES", cast=int, default=[256, 384, 512, 768, 1024]))
STYLIZER_MAX_ACTIVE_JOBS = env.int("STYLIZER_MAX_ACTIVE_JOBS", default=3)
STYLIZER_PROGRESS_INTERVAL = env.float("STYLIZER_PROGRESS_INTERVAL", default=1.0)
STYLIZER_PREVIEW_EVERY = env.int("STYLIZER_PREVIEW_EVERY", default=10)
# Optional cap on optimizer steps per job (0 = none), e.g. for a CPU-only demo server.
STYLIZER_MAX_STEPS = env.int("STYLIZER_MAX_STEPS", default=0)
STYLIZER_HEARTBEAT_INTERVAL = env.float("STYLIZER_HEARTBEAT_INTERVAL", default=5.0)
STYLIZER_STALE_AFTER = env.float("STYLIZER_STALE_AFTER", default=60.0)
STYLIZER_JOB_TIMEOUT_SCALE = env.float("STYLIZER_JOB_TIMEOUT_SCALE", default=1.0)
if STYLIZER_STALE_AFTER <= 2 * STYLIZER_HEARTBEAT_INTERVAL:
    raise ImproperlyConfigured("STYLIZER_STALE_AFTER must be more than twice STYLIZER_HEARTBEAT_INTERVAL.")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
