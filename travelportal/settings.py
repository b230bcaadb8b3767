"""Django settings for the travel portal.

Everything that differs between machines comes from the environment through the typed
readers in ``travelportal.env``; with no environment at all the portal runs locally on
SQLite with Celery tasks executed in-process.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured

from travelportal.env import (
    env_bool,
    env_database,
    env_int,
    env_list,
    env_networks,
    env_redis_url,
    env_str,
)
from travelportal.operations.logs import logging_config
from travelportal.sealing.keys import check_keys, development_key
from travelportal.tokens.scopes import API_SCOPES, SCIM_SCOPES

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "dev-only-insecure-key-never-used-with-DEBUG-off"

# Fernet keys of the secrets stored encrypted (travelportal.sealing): the first encrypts,
# all decrypt, so a new key goes first and `manage.py reencrypt_secrets` moves every value
# to it. With DEBUG on and none set, one is derived from SECRET_KEY (development only).
FIELD_ENCRYPTION_KEYS = check_keys(env_list("FIELD_ENCRYPTION_KEYS", default=[]))
if not FIELD_ENCRYPTION_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS must be set when DEBUG is off")
    FIELD_ENCRYPTION_KEYS = [development_key(SECRET_KEY)]

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "oauth2_provider",
    "django_scim",
    "axes",
    "health_check",
    "django_structlog",
    "travelportal.companies",
    "travelportal.tokens",
    "travelportal.sealing",
    "travelportal.accounts",
    "travelportal.provisioning",
    "travelportal.companysettings",
    "scim",
    "approvals",
    "travelportal.api",
    "travelportal.webhooks",
    "travelportal.simulator",
    "travelportal.demo",
    "travelportal.operations",
    "auditlog",
    "travelportal.audit",
]

MIDDLEWARE = [
    # First: its process_exception hook runs after every other middleware's, turning a
    # database outage met by a view or template into a 503 page (see the module).
    "travelportal.outages.DatabaseOutageMiddleware",
    # Before SecurityMiddleware: X-Forwarded-Proto from a peer that is not one of our
    # TRUSTED_PROXIES is dropped, so a client can't claim HTTPS (travelportal.client_addresses).
    "travelportal.client_addresses.ForwardedProtoMiddleware",
    # The request id, the one log line and the request metrics (no query, no file access).
    "travelportal.operations.middleware.RequestObservationMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy and Permissions-Policy (the block "Content policy" below).
    "csp.middleware.CSPMiddleware",
    "travelportal.content_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Changes made in Django admin go to the audit trail, with the support user as actor.
    "travelportal.audit.middleware.AdminAuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # django-axes must come last so it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "travelportal.urls"
WSGI_APPLICATION = "travelportal.wsgi.application"
ASGI_APPLICATION = "travelportal.asgi.application"

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

DATABASES = {"default": env_database("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default serves concurrent requests (runserver's threads, an Entra job
    # of 8 clients): a write transaction takes SQLite's write lock when it begins and
    # waits for it, instead of failing "database is locked" when a reading transaction
    # tries to start writing; WAL lets readers go on beside the one writer.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # libpq waits for ever by default; an unreachable server (not one that refuses) must
    # give a 503 in seconds, not hold a web worker until gunicorn kills it.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env_int("DATABASE_CONNECT_TIMEOUT", 3, minimum=1)
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "companies.User"
AUTHENTICATION_BACKENDS = [
    # axes first: it refuses locked-out attempts before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "travelportal.accounts.backends.UserNameBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# userName uniqueness is a case-insensitive UniqueConstraint on live users (deleted users
# free their userName), which the field-level unique=True check cannot express.
SILENCED_SYSTEM_CHECKS = [
    "auth.W004",
    # django-oauth-toolkit refuses hashed token storage with a refresh grace period because
    # its grace period returns the stored tokens; ours returns the sealed pair instead
    # (travelportal.tokens.oauth2_validators).
    "oauth2_provider.E001",
]

# URL names, resolved by Django when it redirects (resolve_url).
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Travel Portal <no-reply@travelportal.example>")

# The absolute base the portal is reached at, used in SCIM meta.location and $ref.
# Unset: taken from each request's host.
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "")

# --- Security (production shape) -------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = 0 if DEBUG else env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# SECURE_PROXY_SSL_HEADER: only behind TRUSTED_PROXIES (the client addresses block below).
X_FRAME_OPTIONS = "DENY"

# --- Content policy and deploy checks (issue 21, travelportal.content_policy) -------------
# Pages load scripts, styles, images and fonts from the portal only, and run no inline
# script or style: what must be inline carries the per-request nonce (the docs' init
# scripts, and the <style> elements Redoc writes at run time, which it nonces itself).
# Named exceptions, each set on the one response that needs it, never here:
#  - travelportal.outages.outage_page: the 503 page keeps its inline <style> (no static
#    files may be needed while the database is down), allowed by its hash.
#  - travelportal.tokens.views.AuthorizeView: the consent form's POST is answered with a
#    redirect to the client's redirect URI, which form-action must allow (that origin only).
#  - travelportal.accounts.saml.views.sso_start: the form's answer redirects on through
#    /sso/saml/<slug>/login/ to the company's identity provider (its origin only).
#  - /api/docs/redoc/ (travelportal.api.views.docs.RedocView), REDOC_CONTENT_SECURITY_POLICY
#    below. Redoc's "API docs by Redocly" footer asks for a logo at cdn.redoc.ly: refused
#    by img-src, and Redoc then leaves the logo out (its onError), so the docs load
#    nothing from outside.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'", NONCE],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}
# Redoc's page only. Redoc's bundle writes two <style> elements (its own CSS) while it
# loads, before Redoc.init can hand it the nonce: they are allowed by their hashes, taken
# from the bundle of drf-spectacular-sidecar 2026.10.1 (REDOC_BUNDLE_SHA256; a test fails
# when the bundle changes, and tests/browser/test_content_policy.py shows the new hashes).
# Its search index runs in a Web Worker made from a blob: URL.
REDOC_BUNDLE_SHA256 = "dcaf76612bc4a3fbcc923a8966dee2f6146a5f32e5ce1b6f02dd60cbbf89500b"
REDOC_CONTENT_SECURITY_POLICY = {
    "style-src": [
        "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
        "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='",
    ],
    "worker-src": ["'self'", "blob:"],
}
# Features no page uses, refused to every page and anything it embeds.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
}
# HTTPS only with DEBUG off. SECURE_SSL_REDIRECT=0 for a TLS proxy that redirects itself.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Load balancers and orchestrators probe liveness, and Prometheus scrapes /metrics, over
# plain http inside the network, where a redirect to https would read as a failure
# (/metrics keeps its own token or address check).
SECURE_REDIRECT_EXEMPT = [r"^health/", r"^metrics$"]
SILENCED_SYSTEM_CHECKS += [
    # security.W021: HSTS preload lists the domain in browsers for months, past any
    # rollback; submitting it is the operator's decision, not a default of the code.
    "security.W021",
    # oauth2_provider.W007: refresh-token reuse protection stays off on purpose (see
    # REFRESH_TOKEN_REUSE_PROTECTION in OAUTH2_PROVIDER below).
    "oauth2_provider.W007",
]

# --- Sign-in throttling (django-axes) --------------------------------------------------
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"
# userNames compare case-insensitively, so attempts on "ALICE@…" and "alice@…" count together.
AXES_USERNAME_CALLABLE = "travelportal.accounts.throttling.get_axes_username"
AXES_LOCKOUT_CALLABLE = "travelportal.accounts.throttling.lockout_response"
# The client behind TRUSTED_PROXIES, never an X-Forwarded-For a client wrote itself.
AXES_CLIENT_IP_CALLABLE = "travelportal.client_addresses.client_address"
# Axes otherwise prints a banner on stdout at start, which would corrupt the output of
# commands that print a single value (issue_scim_token).
AXES_VERBOSE = False
# Password-reset requests per address and per client IP within an hour, counted in the
# cache (travelportal.accounts.throttling); over either, the page is the same but no email goes.
PASSWORD_RESET_LIMIT_PER_ADDRESS = env_int("PASSWORD_RESET_LIMIT_PER_ADDRESS", 5, minimum=1)
PASSWORD_RESET_LIMIT_PER_IP = env_int("PASSWORD_RESET_LIMIT_PER_IP", 20, minimum=1)

# --- OAuth 2.0 authorization server (django-oauth-toolkit) ------------------------------
# Tokens are swapped for models that belong to a company (travelportal.tokens), so a
# token outlives the admin who authorized it.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER_GRANT_MODEL = "oauth2_provider.Grant"
OAUTH2_PROVIDER_ID_TOKEN_MODEL = "oauth2_provider.IDToken"
OAUTH2_PROVIDER_DEVICE_GRANT_MODEL = "oauth2_provider.DeviceGrant"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "tokens.AccessToken"
OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL = "tokens.RefreshToken"
OAUTH2_PROVIDER = {
    # travelportal.tokens.scopes; the REST API's are never granted by default.
    "SCOPES": {**SCIM_SCOPES, **API_SCOPES},
    "DEFAULT_SCOPES": list(SCIM_SCOPES),
    "ACCESS_TOKEN_EXPIRE_SECONDS": env_int("OAUTH_ACCESS_TOKEN_SECONDS", 3600),
    "REFRESH_TOKEN_EXPIRE_SECONDS": env_int("OAUTH_REFRESH_TOKEN_SECONDS", 60 * 60 * 24 * 365),
    "REFRESH_TOKEN_GRACE_PERIOD_SECONDS": env_int("OAUTH_REFRESH_GRACE_SECONDS", 120),
    "ROTATE_REFRESH_TOKEN": True,
    # PKCE is required of every client except Entra's gallery client, which does not send
    # it (CompanyOAuth2Validator.is_pkce_required); a client that sends it is checked.
    "PKCE_REQUIRED": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    # Tokens take the company of the admin who authorized them (travelportal.tokens).
    "OAUTH2_VALIDATOR_CLASS": "travelportal.tokens.oauth2_validators.CompanyOAuth2Validator",
    "ACCESS_TOKEN_ADMIN_CLASS": "travelportal.tokens.admin.CompanyAccessTokenAdmin",
    "REFRESH_TOKEN_ADMIN_CLASS": "travelportal.tokens.admin.CompanyRefreshTokenAdmin",
    # Tokens are stored only as their SHA-256 (token_checksum, which every lookup uses);
    # the token column stays blank. The refresh grace period still hands back the pair it
    # issued first: CompanyOAuth2Validator seals it under the previous refresh token.
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    # Off on purpose: with it, one replayed old refresh token (a retry after the grace
    # period) revokes the whole family, and Entra's job would be quarantined.
    "REFRESH_TOKEN_REUSE_PROTECTION": False,
    # RFC 9207: the authorization response names its issuer (iss), so a client that
    # talks to several servers can't be sent another's code (mix-up, RFC 9700 §4.4).
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
}

# --- REST API (Django REST framework, travelportal.api) ---------------------------------
# The defaults are the API's own, so any viewset below /api/ authenticates, checks scopes
# and answers errors the same way (travelportal.api.views.base.ApiViewSet sets them too).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "travelportal.api.authentication.ApiKeyAuthentication",
        "travelportal.api.authentication.BearerTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["travelportal.api.permissions.HasRequiredScope"],
    "DEFAULT_THROTTLE_CLASSES": ["travelportal.api.throttling.CompanyRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "travelportal.api.openapi.ScopedAutoSchema",
    "EXCEPTION_HANDLER": "travelportal.api.problems.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Travel Portal API",
    "DESCRIPTION": (
        "The portal's REST API, shaped like TravelPerk's: send `Authorization: ApiKey <key>` (Company Settings > "
        "Developers) or an OAuth 2.0 bearer token, and `Api-Version: 1`. Lists take `offset`/`limit` (at most 50) "
        "or `cursor` (empty to start) for incremental sync. Errors are `application/problem+json` (RFC 9457)."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its docs are public; the operations they describe are not.
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    # Swagger UI and Redoc from the portal's own static files, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No validator badge: Swagger UI would fetch it from validator.swagger.io.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api",
    # Choices shared by several fields, or several fields named alike ("status" of trips and
    # of webhook deliveries), each get one named enum.
    "ENUM_NAME_OVERRIDES": {
        "CabinClassEnum": "travelportal.companies.models.TravelPolicy.CabinClass",
        "TripStatusEnum": "approvals.models.Trip.Status",
        "DeliveryStatusEnum": "travelportal.webhooks.models.Delivery.Status",
    },
}

# --- Celery ----------------------------------------------------------------------------
REDIS_URL = env_redis_url("REDIS_URL")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
# Without a broker the portal runs tasks in-process, so the embedded default needs no
# Redis and no worker.
CELERY_TASK_ALWAYS_EAGER = REDIS_URL is None
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
# A pool process that dies mid-task (killed, out of memory) puts its message back on the
# queue for another process instead of acknowledging it as failed; tasks are idempotent.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The worker and beat reconnect after losing Redis (their own retry loop).
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # A publish from a web request (approvals.services.outbox) makes one connection
    # attempt and gives up: kombu otherwise retries for broker_connection_timeout plus
    # its 2 s back-off, about 6 s added to every SCIM write while Redis is down. The
    # outbox and the sweep deliver the change once Redis is back.
    "max_retries": 0,
    "socket_connect_timeout": env_int("REDIS_CONNECT_TIMEOUT_MS", 100, minimum=1) / 1000,
    "socket_timeout": 5,
    # The visibility timeout stays at kombu's hour: below the longest countdown (task
    # retries back off up to 300 s, webhook deliveries longer) every waiting message
    # would be delivered twice. A whole worker lost mid-rebuild is covered by the sweep.
}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE: dict = {
    # Outbox rows no task took (broker down when the SCIM write committed, worker died).
    # Every 10 s, so a change whose task was lost (a worker killed mid-rebuild) is rebuilt
    # within about 20 s (approvals.tasks.SWEEP_AFTER); an idle sweep is one small query.
    "approvals-sweep-chain-changes": {"task": "approvals.sweep_chain_changes", "schedule": 10.0},
    # Full recompute of every company's automatic approval processes: repairs drift.
    "approvals-repair-all-chains": {"task": "approvals.repair_all_chains", "schedule": 3600.0},
    # Expired and revoked OAuth tokens and codes (travelportal.tokens.tasks), daily.
    "tokens-clear-expired-oauth-tokens": {"task": "tokens.clear_expired_oauth_tokens", "schedule": 24 * 3600.0},
    # Answers remembered for Idempotency-Key, kept 24 hours (travelportal.api.tasks), hourly.
    "api-purge-idempotency-records": {"task": "api.purge_idempotency_records", "schedule": 3600.0},
    # Webhook attempts whose task was lost (travelportal.webhooks.tasks), and the delivery
    # log older than 30 days, daily.
    "webhooks-sweep-deliveries": {"task": "webhooks.sweep_deliveries", "schedule": 60.0},
    "webhooks-prune-delivery-log": {"task": "webhooks.prune_delivery_log", "schedule": 24 * 3600.0},
    # Retention, daily, each deleting in batches (travelportal.retention): the provisioning
    # log, outbox leftovers a day old, and sign-in records (axes, ended sessions).
    "provisioning-prune-log": {"task": "provisioning.prune_provisioning_log", "schedule": 24 * 3600.0},
    "approvals-prune-chain-outbox": {"task": "approvals.prune_chain_outbox", "schedule": 24 * 3600.0},
    "accounts-prune-sign-in-records": {"task": "accounts.prune_sign_in_records", "schedule": 24 * 3600.0},
}
# Days provisioning log entries and sign-in logs (django-axes) are kept.
PROVISIONING_LOG_RETENTION_DAYS = env_int("PROVISIONING_LOG_RETENTION_DAYS", 90, minimum=1)
SIGN_IN_LOG_RETENTION_DAYS = env_int("SIGN_IN_LOG_RETENTION_DAYS", 90, minimum=1)
# How long a rebuild of approval chains waits for more people changes before it runs.
APPROVALS_COALESCE_SECONDS = float(env_int("APPROVALS_COALESCE_MS", 2000)) / 1000
# The embedded default has no worker: a thread of the web process runs each company's
# coalesced chain rebuild after the delay, rather than every write rebuilding inline.
APPROVALS_REBUILD_IN_THREAD = REDIS_URL is None

# --- Cache -----------------------------------------------------------------------------
# Shared by every web worker through Redis when there is one (counters such as the
# password-reset limits must be), else in process. Short socket timeouts: a Redis outage
# must not stall a page; callers treat a cache error as "no count".
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "travelportal",
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "travelportal"}
}

# --- Webhooks (travelportal.webhooks) ---------------------------------------------------
# Development and tests only: lets webhook URLs be http and resolve to loopback or private
# addresses (cloud metadata addresses stay refused). Off, only https to public addresses.
WEBHOOKS_ALLOW_PRIVATE_URLS = env_bool("WEBHOOKS_ALLOW_PRIVATE_URLS", default=False)

# --- SAML single sign-on (travelportal.accounts.saml) ----------------------------------
# Seconds an assertion's NotBefore/NotOnOrAfter may be off, for clocks that differ a little.
SSO_CLOCK_SKEW_SECONDS = env_int("SSO_CLOCK_SKEW_SECONDS", 60, minimum=0)
# How long a sign-in started at the portal may take at the identity provider.
SSO_REQUEST_MAX_AGE_SECONDS = env_int("SSO_REQUEST_MAX_AGE_SECONDS", 600, minimum=60)
# Development and tests only: federation metadata URLs may be http and private addresses.
SSO_METADATA_ALLOW_PRIVATE_URLS = env_bool("SSO_METADATA_ALLOW_PRIVATE_URLS", default=False)
# Where Debian's xmlsec1 is; empty: found on PATH.
XMLSEC1_PATH = env_str("XMLSEC1_PATH", "")

# --- SCIM (django-scim2) ---------------------------------------------------------------
SCIM_MAX_PAGE_SIZE = 200
SCIM_MAX_BODY_BYTES = 1024 * 1024
# Requests per second and burst of one company across all its tokens and keys (a token
# bucket, see travelportal/companies/rate_limits.py); support staff can raise one
# company's limit in Django admin. 0 switches the limit off.
SCIM_RATE_LIMIT_PER_SECOND = env_int("SCIM_RATE_LIMIT_PER_SECOND", 100)
SCIM_RATE_LIMIT_BURST = env_int("SCIM_RATE_LIMIT_BURST", 200)
RATE_LIMIT_KEY_PREFIX = "ratelimit"
# The share of each company's rate and burst that only its SCIM credentials may use, and
# the share one REST API credential's own bucket holds (travelportal.companies.rate_limits).
# An API credential's share is capped at 1 - SCIM_RESERVED_SHARE.
SCIM_RESERVED_SHARE = 0.5
API_CREDENTIAL_SHARE = 0.25
# Unauthenticated SCIM and API requests (no or a bad credential), per client address.
ANONYMOUS_RATE_LIMIT_PER_SECOND = 1
ANONYMOUS_RATE_LIMIT_BURST = 20
SCIM_SERVICE_PROVIDER = {
    "USER_ADAPTER": "scim.adapters.ScimUser",
    "USER_FILTER_PARSER": "scim.filters.UserFilter",
    "SERVICE_PROVIDER_CONFIG_MODEL": "scim.views.ServiceProviderConfig",
    "BASE_LOCATION_GETTER": "scim.adapters.base_location",
    "AUTH_CHECK_MIDDLEWARE": "scim.authentication.ScimAuthMiddleware",
    "SCHEMAS_GETTER": "scim.schemas.schema_documents",
    # Unused (BASE_LOCATION_GETTER builds URLs) but django-scim2 requires them set.
    "NETLOC": "localhost",
    "AUTHENTICATION_SCHEMES": [{"type": "oauthbearertoken", "name": "OAuth Bearer Token"}],
    "WWW_AUTHENTICATE_HEADER": 'Bearer realm="scim"',
}

# --- Audit trail of support staff (django-auditlog, travelportal.audit) -----------------
# django-auditlog over django-simple-history: one table of its own (here with the company
# each entry concerns) instead of a history table and a migration per audited model in
# every app, a registry that names the audited models in one place, and an admin view
# of the entries. Entries are written only for Django admin requests and management
# commands (travelportal.audit.context), never for SCIM or the API.
AUDITLOG_LOGENTRY_MODEL = "audit.AuditEntry"
AUDITLOG_DISABLE_ON_RAW_SAVE = True
# django-auditlog's own migrations create its LogEntry table although the model above
# replaces it; that unused table's foreign keys to people made every flush of the
# database (PostgreSQL's TRUNCATE in transactional tests) fail. Its migrations are not run.
MIGRATION_MODULES = {"auditlog": None}

# --- Operations: health, metrics, logs (travelportal.operations) -----------------------
# /health/ fails once the approval rebuild outbox's oldest change has waited this long.
HEALTH_OUTBOX_MAX_AGE_SECONDS = env_int("HEALTH_OUTBOX_MAX_AGE_SECONDS", 120, minimum=1)
# /metrics answers a bearer METRICS_TOKEN or a peer in METRICS_ALLOWED_IPS; with neither
# set metrics are off and the path is a 404.
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
METRICS_ALLOWED_IPS = env_networks("METRICS_ALLOWED_IPS")

# --- Client addresses behind proxies (travelportal.client_addresses) -------------------
# X-Forwarded-For and X-Forwarded-Proto are believed only from a direct peer in
# TRUSTED_PROXIES (the TLS proxy's addresses or networks); with none, from nobody.
TRUSTED_PROXIES = env_networks("TRUSTED_PROXIES")
if TRUSTED_PROXIES:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# django-structlog copies the log context (the request id) into the headers of every
# task a request enqueues; the worker binds it again (travelportal.celery).
DJANGO_STRUCTLOG_CELERY_ENABLED = True

# JSON lines on stderr with DEBUG off, readable ones with it on (travelportal.operations.logs).
LOGGING = logging_config(json=not DEBUG, level=env_str("LOG_LEVEL", "INFO"))
