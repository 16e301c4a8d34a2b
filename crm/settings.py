"""Settings for the CRM, configured entirely from the environment (django-environ).

The defaults give the embedded setup: a SQLite file, Celery on kombu's filesystem transport
(works across processes, no Redis), DEBUG off. Set DATABASE_URL / CELERY_BROKER_URL for
PostgreSQL and Redis; docs/operations.md lists every variable.
"""

import datetime as dt
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A developer's .env (never committed) is read when present; real deployments use the environment.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

VAR_DIR = Path(env.str("CRM_VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DEBUG", default=False)


def _local_secret_key(path: Path) -> str:
    """The embedded setup's key: made once per installation and kept out of the repository.
    Deployments with several hosts set SECRET_KEY so that every process shares one."""
    if not path.exists():
        from django.core.management.utils import get_random_secret_key

        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(get_random_secret_key())
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env.str("SECRET_KEY", default="") or _local_secret_key(VAR_DIR / "secret_key")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "django_celery_beat",
    "simple_history",
    "crm",
    "customers",
    "leads",
    "opportunities",
    "orders",
    "service",
    "notifications",
    "performance",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "crm.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "crm.urls"
WSGI_APPLICATION = "crm.wsgi.application"

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
                "crm.context_processors.navigation",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'crm.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server, the worker and beat all write to one file: WAL lets readers go on while one
    # writes, IMMEDIATE takes the write lock up front (no upgrade deadlock), timeout waits for it.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -------------------------------------------------------------------------------------
AUTH_USER_MODEL = "crm.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# django-axes first: it refuses a locked-out username + address before any password is checked.
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

# --- i18n -------------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
LANGUAGE_COOKIE_AGE = 60 * 60 * 24 * 365

# --- Static files -----------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "media/"

# Shared by every process (rate limits of the leads API): Redis or the database in production.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

# Web-to-lead API (docs/leads.md): posts per token per minute, and the window in which an
# identical lead is answered with the existing one instead of a duplicate.
LEADS_API_RATE_LIMIT = env.int("LEADS_API_RATE_LIMIT", default=60)
LEADS_API_DEDUPE_MINUTES = env.int("LEADS_API_DEDUPE_MINUTES", default=10)
# Contracts (docs/orders.md): numbering, and the amount above which the manager approves.
CRM_CONTRACT_NUMBER_PATTERN = env.str("CRM_CONTRACT_NUMBER_PATTERN", default="HT-{yyyy}-{seq:05d}")
CRM_CONTRACT_APPROVAL_THRESHOLD = env.str("CRM_CONTRACT_APPROVAL_THRESHOLD", default="100000.00")
# SMS for care messages (docs/service.md): console:// prints them; see the provider URL forms.
SMS_URL = env.str("SMS_URL", default="console://")
# TrueType CJK fonts for PDFs, first found wins (crm/pdf.py; Debian: fonts-wqy-microhei).
CRM_PDF_FONTS = env.list(
    "CRM_PDF_FONTS",
    default=[
        "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
        "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
        "/usr/share/fonts/truetype/arphic/uming.ttc",
    ],
)
# Money is shown in this currency (ISO 4217 code); amounts are Decimal with two places.
CRM_CURRENCY = env.str("CRM_CURRENCY", default="CNY")

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Security (strict unless DEBUG; every value can be overridden) -----------------------------
# Trust X-Forwarded-Proto only behind a proxy that overwrites it (else a client could claim HTTPS).
if env.bool("TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# W021 asks for HSTS preload. Preloading is a one-way commitment for the whole domain and every
# subdomain, which is the deploying company's call, not ours: off by default, and the check
# silenced so that `check --deploy` stays clean. Set SECURE_HSTS_PRELOAD=true to opt in.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 12)
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SAMESITE = "Lax"

# Login protection (django-axes, docs/security.md): after AXES_FAILURE_LIMIT failed logins for one
# username from one address, that pair is locked for AXES_COOLOFF_MINUTES (an admin can unlock
# earlier on the audit page). The pair, not the address alone: a whole office behind one NAT
# address is not locked out by one person's typos, and not the username alone: nobody can lock a
# colleague out from elsewhere. Failed and successful logins are kept for the audit page.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_CALLABLE = "crm.security.lockout_response"
AXES_VERBOSE = False
# The client address: REMOTE_ADDR, unless a reverse proxy that sets X-Forwarded-For is trusted
# (like TRUST_X_FORWARDED_PROTO: a client could otherwise pick any address per attempt).
if env.bool("TRUST_X_FORWARDED_FOR", default=False):
    AXES_IPWARE_PROXY_COUNT = env.int("PROXY_COUNT", default=1)
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

# Content-Security-Policy (django-csp): scripts and styles only from our own static files (no
# inline <script>, no style attributes: static/js/app.js sets progress widths), nothing framed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
X_FRAME_OPTIONS = "DENY"
# /healthz is probed over plain HTTP by load balancers inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
globals().update(EMAIL_CONFIG)
# Links in emails (notifications, digests) point here.
CRM_SITE_URL = env.str("CRM_SITE_URL", default="http://127.0.0.1:8000")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="CRM <crm@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery -----------------------------------------------------------------------------------
# Embedded default: kombu's filesystem transport, a folder that the web process, the worker and
# beat share, so background work really runs in other processes without Redis.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_DIR = VAR_DIR / "broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        # Exchange bindings: kombu's default is ./control relative to the working directory.
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
    _default_result_backend = f"file://{VAR_DIR / 'celery-results'}"
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
    _default_result_backend = CELERY_BROKER_URL
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=_default_result_backend)
CELERY_RESULT_EXPIRES = 60 * 60 * 24
CELERY_TASK_IGNORE_RESULT = True  # tasks that callers wait on opt back in with ignore_result=False
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# A task is acknowledged after it ran, so a worker that dies mid-task does not lose it; tasks
# must therefore be idempotent (they are: they load ids and call a service that re-checks state).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=360)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES = [Queue(name) for name in ("default", "assignment", "notifications", "reports")]
CELERY_TASK_ROUTES = {
    "leads.tasks.*": {"queue": "assignment"},
    "service.tasks.*": {"queue": "notifications"},
    "notifications.tasks.*": {"queue": "notifications"},
    "performance.tasks.*": {"queue": "reports"},
}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Default periodic tasks, created in django-celery-beat's tables after migrate when missing and
# never overwritten, so an admin's change of schedule in the admin survives restarts and deploys.
# name: (task, seconds between runs or a crontab "minute hour day month weekday", queue)
# Reverting a record from its history in the admin would bypass the services (e.g. give a customer
# back to a former owner without an ownership log entry): history is for reading.
SIMPLE_HISTORY_REVERT_DISABLED = True

CRM_PERIODIC_TASKS = {
    "crm: worker heartbeat": ("crm.tasks.heartbeat", 60, "default"),
    # At night, in TIME_ZONE: reps never see customers vanish to the pool mid-morning.
    "customers: public pool reclaim": (
        "customers.tasks.pool_reclaim_task",
        "30 1 * * *",
        "default",
    ),
    "customers: RFM segments": ("customers.tasks.segments_recompute_task", "0 2 * * *", "reports"),
    "crm: purge old import files": ("crm.tasks.import_files_purge_task", "30 3 * * *", "default"),
    # Leads: nothing waits for long even after a worker outage (docs/leads.md).
    "leads: assign waiting leads": ("leads.tasks.assign_sweep_task", 60, "assignment"),
    "leads: response SLA check": ("leads.tasks.sla_check_task", 300, "assignment"),
    "orders: expire contracts": ("orders.tasks.contracts_expire_task", "10 0 * * *", "default"),
    # Care messages go out in the morning of the customer's day, in TIME_ZONE.
    "service: customer care": ("service.tasks.care_run_task", "0 9 * * *", "notifications"),
    "service: retry care messages": ("service.tasks.care_retry_task", 600, "notifications"),
    "notifications: queue pending emails": (
        "notifications.tasks.notification_email_sweep_task",
        300,
        "notifications",
    ),
    "service: staff reminders": ("service.tasks.reminders_task", "0 8 * * *", "notifications"),
    # Scorecards of the current month, every night; published ones checked for changed figures.
    "performance: nightly scorecards": (
        "performance.tasks.scorecards_nightly_task",
        "30 2 * * *",
        "reports",
    ),
    "performance: published figures check": (
        "performance.tasks.published_drift_check_task",
        "0 4 * * *",
        "reports",
    ),
}
# Uploaded import files (raw customer data) are deleted this many days after their job ended.
CRM_IMPORT_FILE_DAYS = env.int("CRM_IMPORT_FILE_DAYS", default=30)
# Where the RFM segmentation reads its order facts (docs/segmentation.md): a dotted path to a
# function(today=date) returning dicts with customer_id, last_order_on, orders_12m, revenue_12m.
CRM_RFM_FACTS_SOURCE = "customers.segments.order_facts"
# The worker heartbeat is reported as stale by /healthz after this many seconds.
CRM_HEARTBEAT_STALE_AFTER = env.int("CRM_HEARTBEAT_STALE_AFTER", default=300)

# --- Logging ----------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
