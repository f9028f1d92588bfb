"""BZPEER settings: one file, every deploy-time value from the environment.

The defaults are the embedded development setup: a SQLite file, no Redis (Celery tasks run
eagerly, the cache lives in process memory) and DEBUG on. Production sets DEBUG=0,
SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL (PostgreSQL) and REDIS_URL.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "django_htmx",
    "template_partials",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.orcid",
    "profiles",
    "works",
    "graph",
    "bzpeer.lib.outbox",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every response, error pages included
    "csp.middleware.CSPMiddleware",
    # 413 by Content-Length and 400 for control characters, before anything reads the body
    "bzpeer.lib.request_limits.RequestLimitsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "api.middleware.ApiMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "bzpeer.urls"
WSGI_APPLICATION = "bzpeer.wsgi.application"

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
            "builtins": ["template_partials.templatetags.partials"],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's, with a health check that reads the socket instead of a SELECT 1 round trip
    # before each request's first query (bzpeer/lib/postgresql/base.py).
    DATABASES["default"]["ENGINE"] = "bzpeer.lib.postgresql"
# A web request's SQL statement that runs longer than this is cancelled by PostgreSQL (the
# request fails instead of holding a worker and a connection). Web processes only:
# bzpeer/wsgi.py marks them; workers, imports and commands are not limited. 0: no limit.
WEB_STATEMENT_TIMEOUT_MS = int(os.environ.get("WEB_STATEMENT_TIMEOUT_MS", "30000"))
if (
    os.environ.get("BZPEER_PROCESS") == "web"
    and WEB_STATEMENT_TIMEOUT_MS
    and DATABASES["default"]["ENGINE"].endswith("postgresql")
):
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c statement_timeout={WEB_STATEMENT_TIMEOUT_MS}"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Covering indexes (INCLUDE) are a PostgreSQL speed-up; SQLite builds them without it.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
    # runserver answers in threads, each with its own connection. A transaction that reads
    # first and writes later (get_or_create) fails at once with "database is locked" when
    # another holds the write lock (an import is one transaction): SQLite cannot wait there.
    # Taking the write lock at BEGIN lets it wait, up to the timeout, for the import to end.
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 30}

# Redis is optional: without it the app is a single process that needs nothing else.
REDIS_URL = os.environ.get("REDIS_URL", "")
# Redis is a helper, never a single point of failure: a request that finds it away must
# learn so in a fraction of a second (connection refused is immediate; these bound a
# blackholed host or a stalled server), then carry on without it.
REDIS_CONNECT_TIMEOUT = float(os.environ.get("REDIS_CONNECT_TIMEOUT", "0.5"))
REDIS_SOCKET_TIMEOUT = float(os.environ.get("REDIS_SOCKET_TIMEOUT", "1"))
# After the cache failed to answer, a process leaves it alone this long (bzpeer/lib/cache.py).
CACHE_RETRY_SECONDS = float(os.environ.get("CACHE_RETRY_SECONDS", "5"))


def redis_cache(url: str) -> dict:
    """The cache on Redis at `url`, with the short timeouts (tests reuse it on their own Redis)."""
    return {
        # Django's, with a breaker (after a failure no call tries Redis for a few seconds)
        # and one Redis client per connection pool (bzpeer/lib/redis_cache.py).
        "BACKEND": "bzpeer.lib.cache.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "bzpeer"),
        "TIMEOUT": 60 * 60,
        "OPTIONS": {
            "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
            "socket_timeout": REDIS_SOCKET_TIMEOUT,
        },
    }


if REDIS_URL:
    CACHES = {"default": redis_cache(REDIS_URL)}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Sessions stay in the database alone (Django's default), not cached_db: with Redis away a
# cached session read would fail every signed-in request, and a logout whose cache delete
# failed could see its session come back with Redis. profiles.sessions is Django's database
# store with the user's id also kept as a column, so the signed-in profile page reads its
# session, user and author in one query (profiles/signed_in.py).
SESSION_ENGINE = "profiles.sessions"

CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = REDIS_URL or None
# Publishing from a request fails fast (bzpeer/lib/outbox: the task waits in PostgreSQL
# instead); the result store likewise gives up at once instead of retrying 20 times a second.
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_CONNECT_TIMEOUT
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = REDIS_CONNECT_TIMEOUT
CELERY_REDIS_SOCKET_TIMEOUT = REDIS_SOCKET_TIMEOUT
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"retry_policy": {"max_retries": 0}}
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
# Queues are chosen per task, by name, never by module glob: moving a task to another module
# must not move it to another queue. Every task names its queue in its decorator
# (`@shared_task(queue="imports")`); tests/test_task_queues.py pins each one.
CELERY_TASK_ROUTES: dict[str, dict] = {}
# A task a dead worker held comes back after visibility_timeout; every retry countdown
# (TRUST_RETRY_BACKOFF_MAX) stays below it, so a waiting retry is never handed out twice.
CELERY_BROKER_VISIBILITY_TIMEOUT = int(os.environ.get("CELERY_BROKER_VISIBILITY_TIMEOUT", "3600"))
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT,
    # How often a worker looks for such tasks (interval × throttle seconds).
    "unacked_restore_interval": min(10, CELERY_BROKER_VISIBILITY_TIMEOUT),
    "unacked_restore_throttle": 1,
    "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
    "socket_timeout": REDIS_SOCKET_TIMEOUT,
    # A publisher's (re)connection is tried once, not every 2 s for as long as it takes: the
    # worker's consumer reconnects on its own terms (broker_connection_max_retries).
    "max_retries": 0,
}
# The trust engine's safety net: dirty authors are also kicked on commit (profiles.tasks).
CELERY_BEAT_SCHEDULE = {
    "trust-dirty-recompute": {
        "task": "profiles.tasks.trust_dirty_recompute",
        "schedule": float(os.environ.get("TRUST_DIRTY_EVERY_SECONDS", "30")),
        "options": {"expires": 25},
    },
}
# Follow digests (opt-in), on the default queue: profiles.digests. A user gets at most one
# digest per period.
FOLLOW_DIGEST_EVERY_SECONDS = float(os.environ.get("FOLLOW_DIGEST_EVERY_SECONDS", "86400"))
CELERY_BEAT_SCHEDULE["follow-digests"] = {
    "task": "profiles.tasks.follow_digests_send",
    "schedule": min(FOLLOW_DIGEST_EVERY_SECONDS, 3600.0),
}
# Tasks requests could not hand to the broker wait in PostgreSQL (bzpeer/lib/outbox); beat
# sends them on. After a failed publish a process leaves the broker alone this long.
OUTBOX_DRAIN_EVERY_SECONDS = float(os.environ.get("OUTBOX_DRAIN_EVERY_SECONDS", "5"))
OUTBOX_DRAIN_BATCH = int(os.environ.get("OUTBOX_DRAIN_BATCH", "500"))
OUTBOX_BROKER_RETRY_SECONDS = float(os.environ.get("OUTBOX_BROKER_RETRY_SECONDS", "5"))
CELERY_BEAT_SCHEDULE["outbox-drain"] = {
    "task": "bzpeer.lib.outbox.tasks.outbox_drain",
    "schedule": OUTBOX_DRAIN_EVERY_SECONDS,
    "options": {"expires": max(OUTBOX_DRAIN_EVERY_SECONDS - 1, 1)},
}
# What waits for curators (claims, disputes, "not mine", likely duplicates), mailed to staff
# once a day when anything does: profiles.review_queues.
CELERY_BEAT_SCHEDULE["staff-review-digest"] = {
    "task": "profiles.tasks.staff_review_digest",
    "schedule": float(os.environ.get("STAFF_REVIEW_DIGEST_EVERY_SECONDS", "86400")),
}
CELERY_TIMEZONE = "UTC"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Accounts (django-allauth): email login, verified by a link before it counts; ORCID sign-in.
# The admin login goes through the same login page (bzpeer/urls.py), so its rate limits apply.
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "profiles:following"
ACCOUNT_LOGOUT_REDIRECT_URL = "profiles:home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
# Usernames are random handles ("member-3f9a1c0b2d"), never made from the email address;
# other people see a user's public name (profiles.public_names).
ACCOUNT_ADAPTER = "profiles.account_adapter.AccountAdapter"
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[BZPEER] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
# "<n>/<period>/<ip|key|user>"; login_failed counts wrong passwords per IP and per email.
ACCOUNT_RATE_LIMITS = {
    "login": os.environ.get("RATE_LIMIT_LOGIN", "30/m/ip"),
    "login_failed": os.environ.get("RATE_LIMIT_LOGIN_FAILED", "10/m/ip,5/300s/key"),
    "signup": os.environ.get("RATE_LIMIT_SIGNUP", "20/m/ip"),
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/180s/key",
}
# How many proxies in front of gunicorn append to X-Forwarded-For (the documented TLS proxy:
# 1). The client address rate limits count by is that many entries from the right; 0 (no
# proxy) uses REMOTE_ADDR. Behind a proxy, 0 would make every client share one counter.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
# ORCID sign-in: register an app at https://orcid.org/developer-tools (or the sandbox) with
# the redirect URI https://<host>/accounts/orcid/login/callback/. Without ORCID_CLIENT_ID the
# ORCID buttons are hidden.
ORCID_CLIENT_ID = os.environ.get("ORCID_CLIENT_ID", "")
SOCIALACCOUNT_PROVIDERS = {
    "orcid": {
        "BASE_DOMAIN": os.environ.get("ORCID_BASE_DOMAIN", "orcid.org"),
        "MEMBER_API": env_bool("ORCID_MEMBER_API", False),
        "APPS": [
            {
                "client_id": ORCID_CLIENT_ID,
                "secret": os.environ.get("ORCID_SECRET", ""),
                "key": "",
            }
        ]
        if ORCID_CLIENT_ID
        else [],
    }
}
# An ORCID sign-in never logs into an existing account because an email matches.
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_STORE_TOKENS = False

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Until collectstatic has run (development, tests) WhiteNoise looks files up per request
# instead of warning that STATIC_ROOT is missing; production scans STATIC_ROOT once.
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "media/"

# Absolute links in emails (invitations, messages, digests): the public address of the site.
# Required when DEBUG is off (check --deploy: profiles/checks.py).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000" if DEBUG else "")
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "BZPEER <noreply@localhost>")

# Behind a TLS-terminating proxy in production; every cookie and redirect is HTTPS-only.
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # Load balancers and the compose health checks ask over plain HTTP from inside.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): scripts and styles from this site's files only, no
# inline script, no eval (htmx is configured for that in base.html), never framed. ORCID's
# authorize page is where the "Sign in with ORCID" form ends up, after a redirect.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'", "https://" + SOCIALACCOUNT_PROVIDERS["orcid"]["BASE_DOMAIN"]],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# Product knobs.
WORKS_PER_PAGE = 20
TRUST_RECOMPUTE_CHUNK = int(os.environ.get("TRUST_RECOMPUTE_CHUNK", "2000"))
# One beat run recomputes at most this many chunks, then re-enqueues itself.
TRUST_DIRTY_MAX_CHUNKS = int(os.environ.get("TRUST_DIRTY_MAX_CHUNKS", "20"))
# recompute_trust --all keeps at most this many chunk tasks in flight.
TRUST_RECOMPUTE_WINDOW = int(os.environ.get("TRUST_RECOMPUTE_WINDOW", "8"))
TRUST_RETRY_BACKOFF_MAX = min(300, CELERY_BROKER_VISIBILITY_TIMEOUT // 2)
# bench/ only: mounts bench/reference_view.py at /_bench/reference/. Never set in production.
BENCH_REFERENCE_VIEW = env_bool("BENCH_REFERENCE_VIEW", False)
# How many claims, disputes, invitations and messages one user may send: "<n>/<s|m|h|d>"
# (bzpeer/lib/ratelimit.py).
BZPEER_RATE_LIMITS = {
    "claim": os.environ.get("RATE_LIMIT_CLAIM", "10/h"),
    "dispute": os.environ.get("RATE_LIMIT_DISPUTE", "5/d"),
    "invitation": os.environ.get("RATE_LIMIT_INVITATION", "10/d"),
    "message": os.environ.get("RATE_LIMIT_MESSAGE", "60/h"),
    # the read-only JSON API, per signed-in user or client IP (api.middleware)
    "api": os.environ.get("RATE_LIMIT_API", "300/m"),
}
# The "Following" page lists works added in this many days; the digest covers the same.
FOLLOWING_NEW_WORKS_DAYS = int(os.environ.get("FOLLOWING_NEW_WORKS_DAYS", "30"))
# Imports: a gzip bomb stops here, however small the file on disk.
IMPORT_MAX_DECOMPRESSED_BYTES = int(os.environ.get("IMPORT_MAX_DECOMPRESSED_BYTES", str(8 << 30)))
# Imports: the largest record (a JSON Lines line, a JSON array element, an XML record, a
# BibTeX entry) a reader holds, in characters; a bigger one is reported by line and skipped.
IMPORT_MAX_RECORD_BYTES = int(os.environ.get("IMPORT_MAX_RECORD_BYTES", str(32 << 20)))
# The largest file the admin upload form accepts (the proxy's body limit should match).
IMPORT_MAX_UPLOAD_BYTES = int(os.environ.get("IMPORT_MAX_UPLOAD_BYTES", str(1 << 30)))
# On PostgreSQL the loader writes works, authors, bylines and topics with COPY (bzpeer.lib.pgcopy);
# IMPORT_COPY=0 makes it use the ORM's bulk_create / bulk_update as on SQLite. Records per
# chunk: the loader's memory and query count are per chunk.
IMPORT_COPY = env_bool("IMPORT_COPY", True)
IMPORT_CHUNK_SIZE = int(os.environ.get("IMPORT_CHUNK_SIZE", "1000"))
IMPORT_COPY_CHUNK_SIZE = int(os.environ.get("IMPORT_COPY_CHUNK_SIZE", "5000"))
# Staged imports (works.imports.staged, `import_works --staged`, PostgreSQL): processes that
# stage parts on this machine, and the parts one large JSON Lines file is cut into.
IMPORT_STAGE_WORKERS = int(os.environ.get("IMPORT_STAGE_WORKERS", "2"))
IMPORT_STAGE_PARTS = int(os.environ.get("IMPORT_STAGE_PARTS", "8"))
# Which source's value a field of a work, author or byline keeps when sources disagree,
# highest first (README "Many sources, one record"): a lower source fills empty fields only.
# "admin" is an edit in the admin or by the profile's owner; "publication-list" the curated
# seed lists (load_demo). A source not listed ranks below all of them.
IMPORT_SOURCE_PRECEDENCE = ("admin", "openalex", "crossref", "arxiv", "bibtex", "publication-list")
# The duplicate finder's typo-tolerant (pg_trgm) search runs for imports of at most this many
# works; larger ones compare titles by their first words (README "Many sources, one record").
IMPORT_DUPLICATES_TRGM_MAX_WORKS = int(os.environ.get("IMPORT_DUPLICATES_TRGM_MAX_WORKS", "5000"))

# Anonymous profile pages are served from the cache (profiles/page_cache.py); 0 turns it off.
PROFILE_PAGE_CACHE_SECONDS = int(os.environ.get("PROFILE_PAGE_CACHE_SECONDS", "3600"))
# Search answers (the /search/ page's results, API search and researcher bodies) are served
# from the cache under the works data version (works/search_cache.py); 0 turns it off.
SEARCH_CACHE_SECONDS = int(os.environ.get("SEARCH_CACHE_SECONDS", "600"))
