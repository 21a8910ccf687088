"""Settings for nstsite, all read from the environment with local defaults.

Local development needs nothing set: SQLite file, an embedded Redis (see
`nstsite.embedded_redis`) and DEBUG on. Production sets DEBUG=false and must then set
SECRET_KEY and ALLOWED_HOSTS, or the site refuses to start; its HTTPS settings then default
to the strict ones `manage.py check --deploy` asks for. The README has the full table.
"""

import os
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from nstsite import cache, embedded_redis, log_config, media, print_config
from stylizer.engine import params as engine_params

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=True)

_DEV_SECRET_KEY = "django-insecure-local-development-only"
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is false.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
if not ALLOWED_HOSTS:
    # Django would answer every request 400 without saying why.
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS must be set when DEBUG is false: the comma-separated host names the site is served at, "
        "e.g. nst.example.com."
    )
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The site's address as its users reach it: links in mails sent outside a request (a
# finished stylization's, from the worker). Defaults to the first ALLOWED_HOSTS over HTTPS.
_FIRST_HOST = ALLOWED_HOSTS[0].lstrip(".")
SITE_URL = env.str(
    "SITE_URL",
    default="http://127.0.0.1:8000" if DEBUG or _FIRST_HOST in ("", "*") else f"https://{_FIRST_HOST}",
).rstrip("/")
if not SITE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(
        f"SITE_URL must start with http:// or https://, e.g. https://nst.example.com, not {SITE_URL!r}."
    )

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
    "axes",
    "gallery",
    "stylizer",
    "nstsite",  # the project itself: `manage.py runstack`
]

MIDDLEWARE = [
    # First, so that every HTML answer gets the policy, error pages included.
    "nstsite.middleware.ContentSecurityPolicyMiddleware",
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
    # A view that needs Redis while it is down answers 503, not 500.
    "nstsite.middleware.QueueOutageMiddleware",
    # Last, as django-axes asks: it turns a locked log-in into gallery.error_pages.login_locked.
    "axes.middleware.AxesMiddleware",
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
# Keep each thread's connection for a minute instead of opening one per request (a
# PostgreSQL connection costs milliseconds); a dead one is noticed before it is used.
# `?conn_max_age=N` in DATABASE_URL overrides it; 0 closes after every request.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
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
# Password-reset links work once, for an hour (the reset pages and e-mail say so).
PASSWORD_RESET_TIMEOUT = 60 * 60

# E-mail (password-reset links). Without EMAIL_HOST, mails are written to the web process's
# output (development); with it, they go out over SMTP, with STARTTLS unless told otherwise.
EMAIL_HOST = env.str("EMAIL_HOST", default="")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env.int("EMAIL_PORT", default=587)
    EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
    EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
    EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
    EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
    EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
    if EMAIL_USE_TLS and EMAIL_USE_SSL:
        raise ImproperlyConfigured(
            "EMAIL_USE_TLS (STARTTLS, usually port 587) and EMAIL_USE_SSL (implicit TLS, usually port 465) "
            "exclude each other: set one of them to false."
        )
    DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="")
    if not DEFAULT_FROM_EMAIL:
        raise ImproperlyConfigured(
            "DEFAULT_FROM_EMAIL must be set with EMAIL_HOST: the sender of the site's mails, "
            'e.g. "nstsite <noreply@nst.example.com>".'
        )
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="nstsite <noreply@localhost>")

# A form sent without its CSRF token (expired page, another site) gets our own 403 page.
CSRF_FAILURE_VIEW = "gallery.error_pages.csrf_failure"

# Client address. Behind N reverse proxies that append to X-Forwarded-For, set
# TRUSTED_PROXY_COUNT=N; otherwise REMOTE_ADDR is the client, and the header (which anyone
# can write) is ignored, so a forged one neither dodges the login lock nor the rate limits.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 (no proxy) or the number of proxies in front.")

# Login throttling (django-axes), shared by the site's log-in, the admin's and the API's
# token endpoint: LOGIN_FAILURE_LIMIT failures lock for LOGIN_COOLOFF_MINUTES, counted from
# the last failure; a successful log-in clears the count. Locked by the pair (username,
# client address): by username alone anyone could lock any user out, and by address alone
# one person's typos would lock out everyone behind the same office or mobile network.
# Guessing many usernames from one address is held back by the per-address limit on failed
# log-ins (RATE_LIMITS["logins"], below). Attempts during a lock are refused without
# extending it, so "try again in N minutes" holds. Staff can lift a lock in the admin
# (Axes > Access attempts).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.float("LOGIN_COOLOFF_MINUTES", default=15))
if AXES_FAILURE_LIMIT < 1 or AXES_COOLOFF_TIME <= timedelta(0):
    raise ImproperlyConfigured("LOGIN_FAILURE_LIMIT must be at least 1 and LOGIN_COOLOFF_MINUTES more than 0.")
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "gallery.http.client_ip"
AXES_LOCKOUT_CALLABLE = "gallery.error_pages.login_locked"
# Only failures are kept (to count them), not a record of every successful log-in.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False  # no banner on every manage.py command

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))

# Uploaded and generated images: in MEDIA_ROOT, or an S3-compatible bucket (nstsite.media), never
# under a public URL: a view checks who asks, then streams or (MEDIA_SERVE=redirect) presigns.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
MEDIA_STORAGE = media.storage_kind(os.environ)
MEDIA_REDIRECT_SECONDS = media.redirect_seconds(os.environ)
MEDIA_SERVE = media.serve_mode(os.environ, kind=MEDIA_STORAGE)
STORAGES = {
    # Files appear complete or not at all: a crash mid-write never leaves half an image.
    "default": media.default_storage(os.environ, redirect_seconds=MEDIA_REDIRECT_SECONDS),
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

# Cache: rate limits count in it, so every web process must share it. By default it is the
# queue's Redis, in the next database (db 0 -> db 1); CACHE_URL names another Redis. While
# it is unreachable the limits count nothing rather than fail requests (nstsite.cache).
CACHE_URL = env.str("CACHE_URL", default="") or cache.url_beside(REDIS_URL)
if not CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured(f"CACHE_URL must be a redis://, rediss:// or unix:// URL, not {CACHE_URL!r}.")
CACHES = {"default": {"BACKEND": "nstsite.cache.SharedCache", "LOCATION": CACHE_URL, "OPTIONS": cache.OPTIONS}}

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
    # Every unreadable body is a 400 parse_error; uploads refuse file names with folders.
    "DEFAULT_PARSER_CLASSES": [
        "gallery.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "gallery.api.parsers.MultiPartParser",
    ],
    # DRF's own throttles would believe any X-Forwarded-For; ours (RATE_LIMITS) use gallery.http.client_ip.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}


def _rate(name: str, default: str) -> tuple[int, int]:
    """An "N/second|minute|hour|day" rate from the environment, as (N, seconds)."""
    value = env.str(name, default=default)
    count, _, period = value.partition("/")
    seconds = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}.get(period.strip())
    if not count.strip().isdigit() or int(count) < 1 or seconds is None:
        raise ImproperlyConfigured(
            f"{name} must be a rate such as 60/hour (per second, minute, hour or day), not {value!r}."
        )
    return int(count), seconds


# Rate limits (gallery.ratelimit), one set for the pages and the API. Per user: photo uploads,
# and creating or retrying stylizations. Per client address: sign-ups, and failed log-ins
# across all usernames (the site's, the admin's and the API token's together). Counted in the
# default cache, so set CACHE_URL when more than one web process runs.
RATE_LIMITS = {
    "uploads": _rate("RATE_LIMIT_UPLOADS", "60/hour"),
    "stylizations": _rate("RATE_LIMIT_STYLIZATIONS", "60/hour"),
    "signups": _rate("RATE_LIMIT_SIGNUPS", "10/hour"),
    "password_resets": _rate("RATE_LIMIT_PASSWORD_RESETS", "5/hour"),
    "logins": _rate("RATE_LIMIT_LOGINS", "30/hour"),
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
# Unset: the engine's own limit (stylizer.engine.pixels.MAX_PIXELS, 40 MP), read through
# gallery.images.max_pixels() by the upload checks and by the jobs, so the two never disagree.
UPLOAD_MAX_PIXELS = env.int("UPLOAD_MAX_PIXELS", default=None)
if UPLOAD_MAX_PIXELS is not None and UPLOAD_MAX_PIXELS < 1:
    raise ImproperlyConfigured("UPLOAD_MAX_PIXELS must be a positive number of pixels, or unset (the engine's).")
# A whole request body: the create form carries two images (photo and style) and its fields.
# Larger is refused with 413 before it is read (nstsite.middleware.RequestSizeLimitMiddleware).
REQUEST_MAX_BYTES = env.int("REQUEST_MAX_BYTES", default=2 * UPLOAD_MAX_BYTES + 1024 * 1024)
if REQUEST_MAX_BYTES < UPLOAD_MAX_BYTES:
    raise ImproperlyConfigured("REQUEST_MAX_BYTES must be at least UPLOAD_MAX_BYTES (one image must fit).")
# Any other body (JSON, a form without files) is parsed in memory: it gets a small limit of
# its own, enforced the same way, and so do the form fields beside an upload.
REQUEST_DATA_MAX_BYTES = env.int("REQUEST_DATA_MAX_BYTES", default=256 * 1024)
if not 1024 <= REQUEST_DATA_MAX_BYTES <= REQUEST_MAX_BYTES:
    raise ImproperlyConfigured("REQUEST_DATA_MAX_BYTES must be from 1024 (1 KB) to REQUEST_MAX_BYTES.")
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_DATA_MAX_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Stylization jobs.
STYLIZER_DEVICE = env.str("STYLIZER_DEVICE", default="auto")
if STYLIZER_DEVICE not in engine_params.DEVICES:
    raise ImproperlyConfigured(
        f"STYLIZER_DEVICE must be one of {', '.join(engine_params.DEVICES)}, not {STYLIZER_DEVICE!r}."
    )
STYLIZER_TORCHVISION_WEIGHTS = env.str("STYLIZER_TORCHVISION_WEIGHTS", default="")
# Torch threads per engine process; 0: this host's usable cores / STYLIZER_WORKERS_PER_HOST
# (`runstack --workers N` sets it), so CPU workers sharing a host do not oversubscribe it.
STYLIZER_TORCH_THREADS = env.int("STYLIZER_TORCH_THREADS", default=0)
STYLIZER_WORKERS_PER_HOST = env.int("STYLIZER_WORKERS_PER_HOST", default=1)
# Output sizes offered (long side, px), ascending; the largest is the API's maximum too.
_sizes = env.str("STYLIZER_SIZES", default="256,384,512,768,1024")
try:
    STYLIZER_SIZES = tuple(sorted({int(size) for size in _sizes.split(",")}))
except ValueError:
    STYLIZER_SIZES = ()
if not STYLIZER_SIZES or not all(engine_params.MIN_SIZE <= size <= engine_params.MAX_SIZE for size in STYLIZER_SIZES):
    raise ImproperlyConfigured(
        f"STYLIZER_SIZES must be a comma-separated list of whole numbers of pixels from {engine_params.MIN_SIZE} "
        f"to {engine_params.MAX_SIZE}, e.g. 256,512,1024; not {_sizes!r}."
    )
STYLIZER_MAX_ACTIVE_JOBS = env.int("STYLIZER_MAX_ACTIVE_JOBS", default=3)
STYLIZER_PROGRESS_INTERVAL = env.float("STYLIZER_PROGRESS_INTERVAL", default=1.0)
STYLIZER_PREVIEW_EVERY = env.int("STYLIZER_PREVIEW_EVERY", default=10)
# Optional cap on optimizer steps per job (0 = none), e.g. for a CPU-only demo server.
STYLIZER_MAX_STEPS = env.int("STYLIZER_MAX_STEPS", default=0)
STYLIZER_PRINT_SIDES, STYLIZER_PRINT_MAX_SIDE = print_config.print_settings(env)  # README, Prints
# Fault handling (stylizer/worker.py): the worker writes a running job's heartbeat; a row silent
# STALE_AFTER s lost its worker. Every worker reconciles every RECONCILE_INTERVAL s; a queued row
# waits QUEUE_GRACE s for Redis; a cancelled job's engine process is killed after CANCEL_GRACE s.
STYLIZER_HEARTBEAT_INTERVAL = env.float("STYLIZER_HEARTBEAT_INTERVAL", default=2.0)
STYLIZER_STALE_AFTER = env.float("STYLIZER_STALE_AFTER", default=30.0)
STYLIZER_RECONCILE_INTERVAL = env.int("STYLIZER_RECONCILE_INTERVAL", default=15)
STYLIZER_QUEUE_GRACE = env.float("STYLIZER_QUEUE_GRACE", default=30.0)
STYLIZER_CANCEL_GRACE = env.float("STYLIZER_CANCEL_GRACE", default=2.0)
# A worker's engine process is replaced after this many jobs (0: never).
STYLIZER_ENGINE_MAX_JOBS = env.int("STYLIZER_ENGINE_MAX_JOBS", default=100)
STYLIZER_JOB_TIMEOUT_BASE = env.int("STYLIZER_JOB_TIMEOUT_BASE", default=180)
STYLIZER_JOB_TIMEOUT_SCALE = env.float("STYLIZER_JOB_TIMEOUT_SCALE", default=1.0)
if STYLIZER_STALE_AFTER <= 2 * STYLIZER_HEARTBEAT_INTERVAL:
    raise ImproperlyConfigured("STYLIZER_STALE_AFTER must be more than twice STYLIZER_HEARTBEAT_INTERVAL.")
if STYLIZER_RECONCILE_INTERVAL < 1:
    raise ImproperlyConfigured("STYLIZER_RECONCILE_INTERVAL must be at least 1 (seconds).")

# Per-user limits and quotas (gallery.quotas), checked before any upload is decoded. A
# stylization blends at most STYLIZER_MAX_STYLES styles (the form's own style image counts).
# Photos are stored at most max(STYLIZER_SIZES) px on the long side as JPEG (150-400 KB at
# 1024 px), so 500 photos take about 200 MB. Queued compute is in megapixel-steps (a 1024 px
# `high` job on a square photo: 67), so the job cap binds first; a lone job always fits.
STYLIZER_MAX_STYLES = env.int("STYLIZER_MAX_STYLES", default=5)
QUOTA_PHOTOS = env.int("QUOTA_PHOTOS", default=500)
QUOTA_PHOTO_MB = env.float("QUOTA_PHOTO_MB", default=250)
QUOTA_PRIVATE_STYLES = env.int("QUOTA_PRIVATE_STYLES", default=50)
QUOTA_QUEUED_WORK = env.float("QUOTA_QUEUED_WORK", default=400)
_limits = (STYLIZER_MAX_ACTIVE_JOBS, STYLIZER_MAX_STYLES, QUOTA_PHOTOS, QUOTA_PHOTO_MB, QUOTA_PRIVATE_STYLES)
if min(*_limits, QUOTA_QUEUED_WORK) <= 0:
    raise ImproperlyConfigured(
        "STYLIZER_MAX_ACTIVE_JOBS, STYLIZER_MAX_STYLES, QUOTA_PHOTOS, QUOTA_PHOTO_MB, QUOTA_PRIVATE_STYLES and "
        "QUOTA_QUEUED_WORK must each be more than 0."
    )

LOGGING = log_config.logging_config(env.str("LOG_LEVEL", default="INFO"))

if not DEBUG:
    # HTTPS only, behind a TLS proxy that sets X-Forwarded-Proto (and must strip a client's).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    # HSTS: browsers that saw the site once use only HTTPS for it, for a year.
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    # Preloading is the domain owner's call: once the header says "preload", anyone may
    # submit the domain to the browsers' built-in list, which covers every subdomain and
    # takes months to leave. So it is off unless asked for, and the deploy check's
    # reminder about it (security.W021) is silenced only while it is off on purpose.
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
