"""Commerce Hub settings: one module, every value from the environment (12-factor).

Defaults give the embedded mode of `make dev`: SQLite under var/, Celery on Kombu's
filesystem transport, e-mail to the console. Production sets DATABASE_URL,
CELERY_BROKER_URL, REDIS_URL, SECRET_KEY, ALLOWED_HOSTS and HTTPS=true.
"""

import os
from datetime import timedelta
from pathlib import Path

import environ
from csp import constants as csp

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="dev-only-secret-key-change-me")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# --- HTTPS and security headers (manage.py check --deploy passes with HTTPS=true) ---
HTTPS = env.bool("HTTPS", default=False)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=HTTPS)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=HTTPS)
BEHIND_PROXY = env.bool("BEHIND_PROXY", default=False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# --- Content-Security-Policy (django-csp 4; commerce/csp.py): only our own code runs ---
# Inline <script> and <style> blocks carry the request's nonce (nonce="{{ CSP_NONCE }}");
# inline event handlers (onclick=) are refused, behaviour lives in static/js/. Style
# attributes stay allowed: templates use them for small layout touches and the portal's
# colours, and CSS cannot run script. Stripe.js's origins are added per response from
# STRIPE_JS_URL (payments/stripe/csp.py). CSP_REPORT_ONLY=true sends the same policy as
# Content-Security-Policy-Report-Only: browsers report violations and block nothing.
_CSP_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF, csp.NONCE],
        "style-src": [csp.SELF, csp.NONCE],
        "style-src-attr": [csp.UNSAFE_INLINE],
        "connect-src": [csp.SELF],
        "object-src": [csp.NONE],
        "base-uri": [csp.SELF],
        "form-action": [csp.SELF],
        "frame-ancestors": [csp.NONE],
    }
}
if env.bool("CSP_REPORT_ONLY", default=False):
    CONTENT_SECURITY_POLICY_REPORT_ONLY = _CSP_POLICY
else:
    CONTENT_SECURITY_POLICY = _CSP_POLICY

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "csp",
    "commerce",
    "commerce.portals",
    "commerce.customers",
    "commerce.catalog",
    "commerce.events",
    "payments",
    "subscriptions",
    "quotes",
    "invoices",
    "reports",
    "accounting",
    "demo",
    # Public REST API v1 (api/); "ninja" for its bundled Swagger UI files (no CDN).
    "ninja",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Content-Security-Policy on every response, error pages included (commerce/csp.py).
    "commerce.csp.ContentSecurityPolicyMiddleware",
    # A NUL anywhere in the request is a 400 before any view or query sees it.
    "commerce.middleware.RejectNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "commerce.portals.middleware.PortalMiddleware",
    # Last, as django-axes asks: turns a paused sign-in into the hub's page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "commerce.urls"
WSGI_APPLICATION = "commerce.wsgi.application"

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
                "commerce.portals.context.portal_context",
                "csp.context_processors.nonce",
            ],
            "builtins": [
                "commerce.templatetags.money",
                "commerce.templatetags.css",
                "commerce.templatetags.dates",
            ],
        },
    }
]

# --- Database: SQLite file by default, PostgreSQL via DATABASE_URL ---
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'commerce.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one file: wait for locks instead of failing, and take
    # the write lock at BEGIN so two writers never deadlock on an upgrade.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Tests use a file too: the live server's threads then each get their own
    # connection instead of sharing one in-memory connection between requests.
    # One file per test process, so concurrent runs in one checkout never share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
        # Server-side binding lets psycopg prepare a query the fifth time a connection
        # runs it: PostgreSQL then skips planning, which is most of a small query's cost
        # (bench/checkout.py). Turn off behind a pooler that cannot keep them (PgBouncer
        # before 1.21 in transaction mode).
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            server_side_binding=True, prepare_threshold=5
        )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache: Redis when configured, process memory otherwise ---
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Rendered public pages, per process: their keys carry the version of what they show
# (payments/checkout/start.py payable_link_page_key), so a copy is never stale and a
# network round trip to a shared cache would cost more than the page saves.
CACHES["pages"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "pages",
    "OPTIONS": {"MAX_ENTRIES": 500},
}

# --- Auth ---
AUTH_USER_MODEL = "portals.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600
# Sign-in throttling (django-axes, counted in the database; commerce/portals/signin.py).
SIGN_IN_FAILURES_PER_ACCOUNT = max(1, env.int("SIGN_IN_FAILURES_PER_ACCOUNT", default=5))
SIGN_IN_FAILURES_PER_CLIENT = max(1, env.int("SIGN_IN_FAILURES_PER_CLIENT", default=20))
SIGN_IN_COOL_OFF_MINUTES = env.int("SIGN_IN_COOL_OFF_MINUTES", default=15)
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a paused sign-in
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "commerce.portals.signin.SignInThrottle"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each counted on its own
AXES_FAILURE_LIMIT = SIGN_IN_FAILURES_PER_ACCOUNT
# 0 minutes: paused until the operator unlocks (admin or `manage.py axes_reset_username`).
AXES_COOLOFF_TIME = (
    timedelta(minutes=SIGN_IN_COOL_OFF_MINUTES) if SIGN_IN_COOL_OFF_MINUTES > 0 else None
)
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"  # the field of both sign-in forms
AXES_USERNAME_CALLABLE = "commerce.portals.signin.sign_in_username"
AXES_CLIENT_IP_CALLABLE = "commerce.portals.signin.sign_in_client_address"
AXES_LOCKOUT_CALLABLE = "commerce.portals.signin.lockout_response"
AXES_DISABLE_ACCESS_LOG = True  # failures are kept; successful sign-ins are not logged
AXES_VERBOSE = False  # no start-up banner on every manage.py command
# Password-reset and invitation e-mails (commerce/ratelimit.py; 0 turns a limit off).
EMAIL_LINKS_PER_RECIPIENT_PER_HOUR = env.int("EMAIL_LINKS_PER_RECIPIENT_PER_HOUR", default=5)
EMAIL_LINKS_PER_CLIENT_PER_HOUR = env.int("EMAIL_LINKS_PER_CLIENT_PER_HOUR", default=30)

# --- I18N ---
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
# One date and one time format ("Dec 4, 2026", "12:47 PM"), in the portal's time zone.
FORMAT_MODULE_PATH = "commerce.formats"
USE_TZ = True

# --- Static files: WhiteNoise serves them; the manifest is built by collectstatic ---
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns about a missing root
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env.bool("STATIC_MANIFEST", default=False)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- E-mail ---
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Commerce Hub <hub@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery: embedded filesystem broker by default, Redis in production and CI ---
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery" / "queue"
    _processed_dir = VAR_DIR / "celery" / "processed"
    _control_dir = VAR_DIR / "celery" / "control"
    for _d in (_queue_dir, _processed_dir, _control_dir):
        _d.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(_processed_dir),
        "control_folder": str(_control_dir),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE: dict = {
    "sweep-stripe-events": {"task": "payments.tasks.sweep_stripe_events", "schedule": 60.0},
    "refresh-pending-stripe-accounts": {
        "task": "payments.tasks.refresh_pending_accounts",
        "schedule": 15 * 60.0,
    },
    "reconcile-stripe-events": {
        "task": "payments.tasks.reconcile_stripe_events",
        "schedule": 24 * 3600.0,
    },
    # Expires quotes at the end of their expiry day (portal time zone) and sends the
    # three-days-before reminders; idempotent, so the interval only bounds the delay.
    "sweep-quotes": {"task": "quotes.tasks.sweep_quotes", "schedule": 5 * 60.0},
    # Invoices turn past due after their due date (portal time zone); reminders once each.
    "sweep-invoices": {"task": "invoices.tasks.sweep_invoices", "schedule": 5 * 60.0},
    # Fee sync: one run per connected account with activity since its last sync (finding
    # them is one query and idle accounts cost no Stripe call, so every minute is cheap).
    "sync-fees": {"task": "payments.tasks.sync_fees_due", "schedule": 60.0},
    # Payout sync: accounts that may have an unseen payout (one query; idle ones cost no
    # call). Webhooks keep payouts current; this is the safety net.
    "sync-payouts": {"task": "payments.tasks.sync_payouts_due", "schedule": 15 * 60.0},
}
# Subscription billing run: claims due periods and retries (subscriptions/billing.py).
CELERY_BEAT_SCHEDULE["subscription-billing-run"] = {
    "task": "subscriptions.tasks.billing_run",
    "schedule": env.float("SUBSCRIPTION_BILLING_RUN_INTERVAL_SECONDS", default=5 * 60.0),
    "options": {"queue": "billing"},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- Outbound webhooks (commerce/events/): the event log delivered to endpoints ---
# http:// endpoints are refused unless DEBUG or this; addresses that are not public
# (loopback, private, link-local, metadata) are refused unless the second is true.
# `make dev` and the test suite set both: their receivers listen on 127.0.0.1.
WEBHOOK_ALLOW_HTTP = env.bool("WEBHOOK_ALLOW_HTTP", default=False)
WEBHOOK_ALLOW_PRIVATE_NETWORKS = env.bool("WEBHOOK_ALLOW_PRIVATE_NETWORKS", default=False)
# A worker's claim on due deliveries lasts this long: one killed mid-delivery leaves
# them due again afterwards. Above the 15 s timeout plus margin.
WEBHOOK_DELIVERY_LEASE_SECONDS = max(40, env.int("WEBHOOK_DELIVERY_LEASE_SECONDS", default=120))
WEBHOOK_DELIVERY_BATCH_SIZE = env.int("WEBHOOK_DELIVERY_BATCH_SIZE", default=100)
WEBHOOK_DELIVERY_RUN_SECONDS = env.float("WEBHOOK_DELIVERY_RUN_SECONDS", default=60.0)
WEBHOOK_SWEEP_MAX_TASKS = env.int("WEBHOOK_SWEEP_MAX_TASKS", default=8)
# Seconds before each attempt; empty: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
WEBHOOK_RETRY_SCHEDULE_SECONDS = env.list("WEBHOOK_RETRY_SCHEDULE_SECONDS", cast=float, default=[])
CELERY_BEAT_SCHEDULE["sweep-events"] = {
    "task": "commerce.events.tasks.sweep_events",
    "schedule": env.float("WEBHOOK_SWEEP_INTERVAL_SECONDS", default=10.0),
}
# Subscription billing (subscriptions/billing.py, subscriptions/dunning.py).
# Subscriptions per billing task. A batch's bookkeeping is a constant number of queries
# (tests/subscriptions/test_billing.py), so a bigger batch costs less per charge:
# bench/billing.py gives about 0.6 of the bare SDK loop at 20, 0.8 at 50 and 0.85 at 100.
# A task killed mid-batch re-sends at most this many charges, with the same idempotency
# keys, so Stripe answers each with the intent it already made.
SUBSCRIPTION_BILLING_BATCH_SIZE = env.int("SUBSCRIPTION_BILLING_BATCH_SIZE", default=100)
SUBSCRIPTION_BILLING_MAX_PER_RUN = env.int("SUBSCRIPTION_BILLING_MAX_PER_RUN", default=20000)
# A claim outlives a crashed worker by at most this long (above the task time limit).
SUBSCRIPTION_BILLING_LEASE_SECONDS = env.int("SUBSCRIPTION_BILLING_LEASE_SECONDS", default=600)
# Background Stripe requests per second across all workers (Stripe allows 100 per
# second in live mode; leave room for checkouts). 0 disables the budget.
SUBSCRIPTION_STRIPE_REQUESTS_PER_SECOND = env.int(
    "SUBSCRIPTION_STRIPE_REQUESTS_PER_SECOND", default=50
)
# Fee sync's Stripe reads per second, per worker process (payments/fees.py); 0: no budget.
# A share of Stripe's limit (25/s in test mode, 100/s live) for a background job.
FEE_SYNC_REQUESTS_PER_SECOND = env.int("FEE_SYNC_REQUESTS_PER_SECOND", default=20)

CELERY_BEAT_SCHEDULE["purge-api-idempotency-records"] = {
    "task": "api.tasks.purge_idempotency_records",
    "schedule": 3600.0,
}
# Public API: requests per second per API key (api/ratelimit.py), shared through Redis
# when REDIS_URL is set. 0 turns the limit off.
API_RATE_LIMIT_PER_SECOND = env.int("API_RATE_LIMIT_PER_SECOND", default=100)
# The moving window the rate is counted over: at most PER_SECOND times WINDOW requests of a
# key in any WINDOW seconds (1: a burst is held to one second's worth).
API_RATE_LIMIT_WINDOW_SECONDS = env.int("API_RATE_LIMIT_WINDOW_SECONDS", default=1)
SUBSCRIPTION_CARD_LINK_MAX_AGE = env.int("SUBSCRIPTION_CARD_LINK_MAX_AGE", default=7 * 24 * 3600)
# The demo clock (manage.py advance_demo_clock) exists only in development.
SUBSCRIPTION_DEMO_CLOCK_FILE = env.str(
    "SUBSCRIPTION_DEMO_CLOCK_FILE", default=str(VAR_DIR / "demo-clock") if DEBUG else ""
)

# --- Stripe (used through payments/stripe_api.py only) ---
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRETS = env.list("STRIPE_WEBHOOK_SECRETS", default=[])
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")
STRIPE_JS_URL = env.str("STRIPE_JS_URL", default="https://js.stripe.com/v3/")
STRIPE_TIMEOUT_SECONDS = env.float("STRIPE_TIMEOUT_SECONDS", default=30.0)
STRIPE_MAX_RETRIES = env.int("STRIPE_MAX_RETRIES", default=4)
STRIPE_RETRY_BASE_SECONDS = env.float("STRIPE_RETRY_BASE_SECONDS", default=0.5)
STRIPE_RETRY_MAX_SECONDS = env.float("STRIPE_RETRY_MAX_SECONDS", default=8.0)
# Webhook events not processed after this many attempts stop being retried by the sweeper.
STRIPE_EVENT_MAX_ATTEMPTS = env.int("STRIPE_EVENT_MAX_ATTEMPTS", default=10)
# A burst of webhooks queues at most two processing runs per window, per web process.
STRIPE_EVENT_ENQUEUE_WINDOW_SECONDS = env.float("STRIPE_EVENT_ENQUEUE_WINDOW_SECONDS", default=0.5)

# --- Logging: to stdout, never secrets (the Stripe seam scrubs keys) ---
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # The SDK logs every request at INFO; our seam logs what matters.
        "stripe": {"level": "WARNING"},
        # axes logs every sign-in at INFO; failures and pauses are WARNINGs.
        "axes": {"level": "WARNING"},
    },
}

ADMINS = [("Ops", a) for a in env.list("ADMIN_EMAILS", default=[])]
