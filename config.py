"""Application configuration.

Three environments — development (the embedded default that ``make run`` uses), testing and
production. Values come from environment variables, read when the app is created (not at
import), so one process can build differently configured apps (the tests do).

Production fails fast: it refuses to start without a real ``SECRET_KEY``, ``DATABASE_URL`` and
``CUSTODY_LEDGER_SIGNING_KEY``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent

# Values that must never be accepted as a production secret.
_PLACEHOLDER_SECRETS = {"", "dev", "changeme", "change-me", "secret", "test", "please-change-me"}


def normalise_database_url(url: str) -> str:
    """Accept the common spellings of a PostgreSQL URL and select the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise RuntimeError(f"{name} must be an integer, got {raw!r}") from exc


def _instance_secret(instance_dir: Path) -> str:
    """A per-installation secret kept in instance/ (owner-readable only), created once."""
    path = instance_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value)
    return value


class Config:
    """Settings shared by every environment."""

    ENV_NAME = "base"
    DEBUG = False
    TESTING = False

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        env = os.environ if env is None else env
        self.INSTANCE_PATH = str(Path(env.get("CUSTODY_INSTANCE_PATH") or BASE_DIR / "instance"))
        instance = Path(self.INSTANCE_PATH)

        self.SECRET_KEY = env.get("SECRET_KEY") or None
        default_db = f"sqlite:///{instance / 'custody.db'}"
        self.SQLALCHEMY_DATABASE_URI = normalise_database_url(env.get("DATABASE_URL") or default_db)
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        self.SQLALCHEMY_RECORD_QUERIES = False

        # Sessions: HttpOnly + SameSite=Lax cookies, re-signed on every request; Flask rejects a
        # cookie older than PERMANENT_SESSION_LIFETIME, which makes that the idle timeout.
        self.CUSTODY_IDLE_TIMEOUT_MINUTES = _int(env, "CUSTODY_IDLE_TIMEOUT_MINUTES", 30)
        self.PERMANENT_SESSION_LIFETIME = timedelta(minutes=self.CUSTODY_IDLE_TIMEOUT_MINUTES)
        self.SESSION_REFRESH_EACH_REQUEST = True
        self.SESSION_COOKIE_NAME = "custody_session"
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = False
        self.CUSTODY_SESSION_MAX_HOURS = _int(env, "CUSTODY_SESSION_MAX_HOURS", 12)

        # Login throttling (issues 2, 14): 5 consecutive failures lock a username for 10 minutes ...
        self.CUSTODY_LOGIN_MAX_FAILURES = _int(env, "CUSTODY_LOGIN_MAX_FAILURES", 5)
        self.CUSTODY_LOCKOUT_MINUTES = _int(env, "CUSTODY_LOCKOUT_MINUTES", 10)
        # ... and 30 failures within 15 minutes from one client address refuse that address.
        self.CUSTODY_LOGIN_MAX_FAILURES_PER_ADDRESS = _int(env, "CUSTODY_LOGIN_MAX_FAILURES_PER_ADDRESS", 30)
        # Second factor (TOTP): required for these roles (comma-separated, or "all"); anyone may
        # enrol. Production refuses a list without admin and approver.
        self.CUSTODY_MFA_ROLES = env.get("CUSTODY_MFA_ROLES", "admin,approver")
        # Approving a disposal and exporting personal data need the user to have proved who they
        # are (second factor, or password without one) within this many minutes.
        self.CUSTODY_REAUTH_MINUTES = _int(env, "CUSTODY_REAUTH_MINUTES", 5)
        # /healthz asks the database at most this often per process (custody/health.py); 0: every time.
        self.CUSTODY_HEALTH_PROBE_MS = _int(env, "CUSTODY_HEALTH_PROBE_MS", 1000)
        # Lists count their rows up to this many, then say "more than" (custody/counting.py); 0: exact.
        self.CUSTODY_LIST_COUNT_LIMIT = _int(env, "CUSTODY_LIST_COUNT_LIMIT", 1000)
        # Statistics are computed at most this often per process and visibility scope (they read every
        # item an agency sees; services/statistics.recent_statistics); 0: on every request.
        self.CUSTODY_STATISTICS_MAX_AGE_SECONDS = _int(env, "CUSTODY_STATISTICS_MAX_AGE_SECONDS", 300)
        self.CUSTODY_TOKEN_TTL_HOURS = _int(env, "CUSTODY_TOKEN_TTL_HOURS", 24 * 30)
        # The law's "及时" (docs/DEADLINES.md): when the procuratorate's and court's check-in reminder
        # appears, and how long items may stay held after a case closed before the alert.
        self.CUSTODY_TIMELY_CHECK_IN_HOURS = _int(env, "CUSTODY_TIMELY_CHECK_IN_HOURS", 72)
        self.CUSTODY_HELD_AFTER_CLOSE_GRACE_DAYS = _int(env, "CUSTODY_HELD_AFTER_CLOSE_GRACE_DAYS", 30)
        # The State Council's holiday arrangements (the `holidays` package) move legal deadlines
        # (刑事诉讼法 art. 105 ¶4). Only the test suite turns them off, so that its dates do not depend
        # on the calendar: its holiday tests use the overrides, or turn this on with fixed dates.
        self.CUSTODY_HOLIDAY_CALENDAR = True
        self.CUSTODY_DEMO_PASSWORD = env.get("CUSTODY_DEMO_PASSWORD") or None

        # CSRF: checked on every unsafe request except bearer-token API calls (see custody.auth).
        self.WTF_CSRF_CHECK_DEFAULT = False
        self.WTF_CSRF_TIME_LIMIT = 8 * 3600

        self.BABEL_DEFAULT_LOCALE = "zh_CN"
        self.BABEL_DEFAULT_TIMEZONE = env.get("CUSTODY_TIMEZONE") or "Asia/Shanghai"
        self.CUSTODY_LOCALES = ("zh_CN", "en")

        # Tamper-evident audit ledger (docs/LEDGER.md). The Ed25519 key that signs checkpoints:
        # base64 of the raw 32-byte seed or an unencrypted PKCS#8 PEM (`flask custody ledger-key
        # --generate`). Required in production; elsewhere generated once into instance/.
        self.CUSTODY_LEDGER_SIGNING_KEY = env.get("CUSTODY_LEDGER_SIGNING_KEY") or None
        # Public keys (base64, comma- or space-separated) of earlier signing keys: their
        # checkpoints keep verifying after a key rotation.
        self.CUSTODY_LEDGER_TRUSTED_KEYS = env.get("CUSTODY_LEDGER_TRUSTED_KEYS") or ""
        # The log's name in every checkpoint; name the installation, e.g. pudong.custody/audit.
        self.CUSTODY_LEDGER_ORIGIN = env.get("CUSTODY_LEDGER_ORIGIN") or "custody-tracker/audit"
        # A checkpoint is signed automatically once this many events are unsigned, or once the
        # oldest unsigned event is this many minutes old (checked at each commit; 0 turns off).
        self.CUSTODY_CHECKPOINT_EVERY_EVENTS = _int(env, "CUSTODY_CHECKPOINT_EVERY_EVENTS", 100)
        self.CUSTODY_CHECKPOINT_EVERY_MINUTES = _int(env, "CUSTODY_CHECKPOINT_EVERY_MINUTES", 10)
        # Witnesses (docs/LEDGER.md §11): a checkpoint counts as witnessed once this many of the
        # registered agencies' witnesses have cosigned it (all of them while fewer are registered;
        # none registered: the log is unwitnessed and every page says so). Each witness gets this
        # many seconds to answer a push.
        self.CUSTODY_WITNESS_QUORUM = _int(env, "CUSTODY_WITNESS_QUORUM", 2)
        self.CUSTODY_WITNESS_TIMEOUT_SECONDS = _int(env, "CUSTODY_WITNESS_TIMEOUT_SECONDS", 5)

        # Reverse proxies in front of the app whose X-Forwarded-For / -Proto may be believed (0: none,
        # the TCP peer is the client). Set it to the number of proxy hops you run (usually 1):
        # with 0 anyone could claim any address and walk around the per-address limits.
        self.CUSTODY_TRUSTED_PROXIES = _int(env, "CUSTODY_TRUSTED_PROXIES", 0)

        # The public owner-lookup page's address printed on seizure lists next to the holder's code, e.g.
        # https://cwzx.example.gov.cn/lookup (unset: built from the host the list is printed from).
        self.CUSTODY_PUBLIC_LOOKUP_URL = env.get("CUSTODY_PUBLIC_LOOKUP_URL") or None

        self.MAX_CONTENT_LENGTH = _int(env, "CUSTODY_MAX_UPLOAD_MB", 32) * 1024 * 1024
        self.CUSTODY_UPLOAD_DIR = env.get("CUSTODY_UPLOAD_DIR") or str(instance / "uploads")

        # OpenAPI (flask-smorest); Swagger UI assets are served locally from swagger-ui-bundle.
        self.API_TITLE = "涉案财物三方共管 API"
        self.API_VERSION = "v1"
        self.OPENAPI_VERSION = "3.0.3"
        self.OPENAPI_URL_PREFIX = "/api/v1"
        self.OPENAPI_JSON_PATH = "openapi.json"
        self.OPENAPI_SWAGGER_UI_PATH = "docs"
        self.OPENAPI_SWAGGER_UI_URL = "/api/v1/docs/assets/"
        self.API_SPEC_OPTIONS = {
            "components": {
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer"},
                    "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "custody_session"},
                }
            },
            "security": [{"bearerAuth": []}, {"cookieAuth": []}],
        }

    def check(self) -> None:
        """Raise if the configuration cannot be run safely."""


class DevelopmentConfig(Config):
    """The embedded default: SQLite under instance/, a secret generated once and kept there."""

    ENV_NAME = "development"

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        super().__init__(env)
        if not self.SECRET_KEY:
            self.SECRET_KEY = _instance_secret(Path(self.INSTANCE_PATH))


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        super().__init__(env)
        self.SECRET_KEY = "testing-secret-key-not-for-production-use-0123456789"
        self.SQLALCHEMY_DATABASE_URI = "sqlite://"  # the test fixtures always override this
        self.CUSTODY_HOLIDAY_CALENDAR = False  # see Config: tests get the calendar's overrides only
        self.CUSTODY_HEALTH_PROBE_MS = 0  # every /healthz asks the database (custody/health.py)
        self.CUSTODY_STATISTICS_MAX_AGE_SECONDS = 0  # figures as of now (their tests set an age)


class ProductionConfig(Config):
    ENV_NAME = "production"

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        super().__init__(env)
        env = os.environ if env is None else env
        self._database_from_env = bool(env.get("DATABASE_URL"))
        self.SESSION_COOKIE_SECURE = True

    def check(self) -> None:
        key = self.SECRET_KEY or ""
        if key.lower() in _PLACEHOLDER_SECRETS or len(key) < 32:
            raise RuntimeError(
                "Production needs a real SECRET_KEY (at least 32 random characters), "
                "e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        if not self._database_from_env:
            raise RuntimeError("Production needs DATABASE_URL (postgresql+psycopg://...)")
        mfa_roles = {r.strip().lower() for r in self.CUSTODY_MFA_ROLES.split(",")}
        if "all" not in mfa_roles and not {"admin", "approver"} <= mfa_roles:
            raise RuntimeError(
                "Production needs the second factor for administrators and approvers: "
                "CUSTODY_MFA_ROLES must include admin and approver (or be all)"
            )
        self._check_ledger_key()

    def _check_ledger_key(self) -> None:
        from custody.audit.signing import load_private_key

        if not self.CUSTODY_LEDGER_SIGNING_KEY:
            raise RuntimeError(
                "Production needs CUSTODY_LEDGER_SIGNING_KEY, the Ed25519 key that signs audit "
                "checkpoints; create one with `flask custody ledger-key --generate` and keep it secret"
            )
        try:
            load_private_key(self.CUSTODY_LEDGER_SIGNING_KEY)
        except ValueError as exc:
            raise RuntimeError(f"CUSTODY_LEDGER_SIGNING_KEY: {exc}") from exc


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def load_config(name: str | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Build the configuration named by ``name`` or ``CUSTODY_CONFIG`` (default: development)."""
    env = os.environ if env is None else env
    name = name or env.get("CUSTODY_CONFIG") or "development"
    try:
        cls = CONFIGS[name]
    except KeyError as exc:
        raise RuntimeError(f"Unknown CUSTODY_CONFIG {name!r}; choose one of {sorted(CONFIGS)}") from exc
    config = cls(env)
    config.check()
    return config
