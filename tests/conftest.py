"""Shared fixtures: an app per test on a fresh, migrated, demo-seeded database.

Every test that uses ``app`` runs on SQLite, and again on PostgreSQL when
``TEST_DATABASE_URL`` points at a server (``make test`` and ``.ci/run`` set it). The schema is
built once per engine by the real Alembic migrations and seeded with the demo reference data and
accounts; each test then gets its own copy (a file copy on SQLite, ``CREATE DATABASE …
TEMPLATE`` on PostgreSQL), so tests never see each other's rows and can commit freely.
"""

from __future__ import annotations

import contextvars
import os
import re
import shutil
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from config import normalise_database_url
from custody import create_app
from custody.domain import clock as app_clock
from custody.extensions import db

TEST_PASSWORD = "Test-password-2026"
PG_URL = os.environ.get("TEST_DATABASE_URL")
ENGINES = ["sqlite"] + (["postgresql"] if PG_URL else [])


# -- the clock ------------------------------------------------------------------------------
#
# Tests never read the calendar. The session's "now" is the process clock when the session starts
# (so ``faketime`` moves it, which CI does) or ``CUSTODY_TEST_NOW`` (an ISO moment with a zone, to
# run the suite at a chosen moment on any engine). Every test runs with the application's clock
# pinned to that session timeline and derives its dates from the ``now``/``clock`` fixtures.


def _session_now() -> datetime:
    configured = os.environ.get("CUSTODY_TEST_NOW")
    if not configured:
        return app_clock.SystemClock().now()
    moment = datetime.fromisoformat(configured)
    if moment.tzinfo is None:
        raise pytest.UsageError("CUSTODY_TEST_NOW needs a time zone, e.g. 2028-02-29T23:30:00+08:00")
    return moment


SESSION_NOW = _session_now()
_SESSION_STARTED = time.monotonic()


def session_moment() -> datetime:
    """The session timeline: SESSION_NOW plus the time the session has been running."""
    return SESSION_NOW + timedelta(seconds=time.monotonic() - _SESSION_STARTED)


@pytest.fixture(autouse=True)
def clock() -> Iterator[app_clock.PinnedClock]:
    """The application's clock, pinned for this test (``clock.advance(timedelta(days=2))`` moves it).

    It starts on the session timeline and keeps ticking, so the shared live server of the browser
    tests sees time move forward from test to test, as in production.
    """
    pinned = app_clock.PinnedClock(session_moment())
    with app_clock.use(pinned):
        yield pinned


@pytest.fixture
def now(clock: app_clock.PinnedClock) -> datetime:
    """The moment this test starts at (aware, UTC); derive every date of the test from it."""
    return clock.now()


def pytest_report_header(config: pytest.Config) -> str:
    engines = ", ".join(ENGINES)
    note = "" if PG_URL else " (set TEST_DATABASE_URL to add PostgreSQL)"
    return (
        f"custody: database engines under test: {engines}{note}\n"
        f"custody: the session's now is {SESSION_NOW.isoformat()}"
    )


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    terminalreporter.write_line(f"custody: tests ran on: {', '.join(ENGINES)}")


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def build_app(database_url: str, instance_path: Path, **overrides) -> Flask:
    settings = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "INSTANCE_PATH": str(instance_path),
        "CUSTODY_UPLOAD_DIR": str(instance_path / "uploads"),
        "CUSTODY_DEMO_PASSWORD": TEST_PASSWORD,
        **overrides,
    }
    return create_app("testing", overrides=settings)


def migrate_and_seed(database_url: str, instance_path: Path) -> None:
    from custody.demo import seed_demo

    app = build_app(database_url, instance_path)
    with app_clock.use(app_clock.PinnedClock(session_moment())), app.app_context():
        upgrade()
        seed_demo(db.session, TEST_PASSWORD)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


# -- per-engine templates -------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sqlite-template")
    path = folder / "template.db"
    migrate_and_seed(f"sqlite:///{path}", folder)
    return path


class PostgresDatabases:
    """Creates throw-away databases on the server named by TEST_DATABASE_URL."""

    def __init__(self, url: str) -> None:
        self.base = make_url(normalise_database_url(url))
        self.admin = create_engine(self.base, isolation_level="AUTOCOMMIT", pool_size=1)
        # Unique per process: parallel workers (and parallel developers) never share databases.
        self.prefix = f"custody_{_worker()}_{os.getpid()}"

    def url(self, name: str) -> str:
        return self.base.set(database=name).render_as_string(hide_password=False)

    def recreate(self, name: str, template: str | None = None) -> str:
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            clause = f' TEMPLATE "{template}"' if template else ""
            conn.execute(text(f'CREATE DATABASE "{name}"{clause}'))
        return self.url(name)

    def drop(self, name: str) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresDatabases]:
    if not PG_URL:
        pytest.skip("PostgreSQL not configured (set TEST_DATABASE_URL)")
    servers = PostgresDatabases(PG_URL)
    yield servers
    for suffix in ("tmpl", "test"):
        servers.drop(f"{servers.prefix}_{suffix}")
    servers.admin.dispose()


@pytest.fixture(scope="session")
def postgres_template(postgres: PostgresDatabases, tmp_path_factory: pytest.TempPathFactory) -> str:
    name = f"{postgres.prefix}_tmpl"
    url = postgres.recreate(name)
    migrate_and_seed(url, tmp_path_factory.mktemp("pg-template"))
    return name


# -- per-test database and app --------------------------------------------------------------


@pytest.fixture(params=ENGINES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    postgres: PostgresDatabases = request.getfixturevalue("postgres")
    template = request.getfixturevalue("postgres_template")
    return postgres.recreate(f"{postgres.prefix}_test", template)


class IsolatedClient(FlaskClient):
    """A test client whose requests never share the test's app context.

    The ``app`` fixture keeps an app context open so tests can use ``db.session`` directly.
    Flask would reuse that context for client requests, sharing ``g`` and the database session
    between requests — unlike production. Each request here runs in a fresh ``contextvars``
    context, so it gets its own app context, ``g`` and session, exactly as under gunicorn.
    """

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


def check_live_rows_replay(request: pytest.FixtureRequest) -> None:
    """After every test: each live row (items, cases, transfers, check-outs, disposals, freezes,
    corrections) holds what its history replays to (custody/audit/replay.py), so every operation a
    test performs is shown to record enough to be verified. Tests that change rows outside the
    services on purpose say so with ``@pytest.mark.live_rows_diverge(reason=...)``."""
    if request.node.get_closest_marker("live_rows_diverge") is not None:
        return
    from custody.audit.verification import check_live_state, snapshot_session

    with snapshot_session(db.engine) as session:
        report = check_live_state(session, max_problems=5)
    if not report.ok:
        pytest.fail(
            "the live rows do not replay from their history:\n  "
            + "\n  ".join(problem.text() for problem in report.problems),
            pytrace=False,
        )


@pytest.fixture
def app(database_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Flask]:
    application = build_app(database_url, tmp_path / "instance")
    application.test_client_class = IsolatedClient
    with application.app_context():
        yield application
        db.session.remove()
        check_live_rows_replay(request)
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def postgres_app(
    postgres: PostgresDatabases, postgres_template: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Flask]:
    """An app on PostgreSQL only: for what must be proven with real row locks and connections."""
    url = postgres.recreate(f"{postgres.prefix}_test", postgres_template)
    application = build_app(url, tmp_path / "instance")
    application.test_client_class = IsolatedClient
    with application.app_context():
        yield application
        db.session.remove()
        check_live_rows_replay(request)  # concurrent journeys replay in commit order too
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


@pytest.fixture
def session(app: Flask):
    """The request-scoped SQLAlchemy session, for service-level tests."""
    return db.session


# -- users and actors -----------------------------------------------------------------------


def get_user(username: str):
    from custody.models.user import User

    user = db.session.scalar(select(User).where(User.username == username))
    assert user is not None, f"no demo user {username}"
    return user


@pytest.fixture
def actor(app: Flask):
    """``actor("police_officer")`` → the demo user as an ``Actor`` for service calls."""
    from .factories import act  # the one helper: the demo user as an Actor

    return act


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    response = client.get(path)
    match = CSRF_RE.search(response.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def next_totp(secret: str, last_step: int | None) -> str:
    """The code an authenticator app would show for ``secret`` now, or the next one when the
    current code was already used (a code is accepted only once): if that one is not due yet, the
    pinned clock moves on to it — as a person waits for their app's next code."""
    import pyotp

    from custody.services.mfa import STEP_SECONDS

    current = int(app_clock.now().timestamp()) // STEP_SECONDS
    # The current code (the server accepts one step either side, so a step boundary passing
    # before it checks does no harm), or the next one when the current was used already.
    step = current if last_step is None or last_step < current else last_step + 1
    if step > current + 1:
        clock_now = app_clock.current_clock()
        assert isinstance(clock_now, app_clock.PinnedClock), "tests run on the pinned clock"
        clock_now.advance(timedelta(seconds=(step - current - 1) * STEP_SECONDS))
    return pyotp.TOTP(secret).at(step * STEP_SECONDS)


def otp_for(username: str) -> str | None:
    """A valid second-factor code for the user (None if they have no second factor)."""
    from custody.models.user import User

    db.session.commit()  # see what the requests committed
    row = db.session.execute(
        select(User.totp_secret, User.totp_last_step).where(User.username == username)
    ).one()
    db.session.commit()  # no read transaction left open under the requests that follow
    return next_totp(row.totp_secret, row.totp_last_step) if row.totp_secret else None


def login(client: FlaskClient, username: str, password: str = TEST_PASSWORD):
    """Log in through the form — and its second step (the authenticator code) when the account
    has a second factor. Returns the last answer."""
    token = csrf_token(client)
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    if response.status_code == 302 and response.location.endswith("/login/mfa"):
        token = csrf_token(client, "/login/mfa")
        response = client.post("/login/mfa", data={"code": otp_for(username), "csrf_token": token})
    return response


@pytest.fixture
def login_as(client: FlaskClient):
    def do(username: str) -> FlaskClient:
        response = login(client, username)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return do


def bearer(client: FlaskClient, username: str, password: str = TEST_PASSWORD) -> dict[str, str]:
    body = {"username": username, "password": password}
    code = otp_for(username)
    if code:
        body["otp"] = code
    response = client.post("/api/v1/tokens", json=body)
    assert response.status_code == 201, response.json
    return {"Authorization": f"Bearer {response.json['token']}"}


@pytest.fixture
def auth_headers(client: FlaskClient):
    """``auth_headers("judge")`` → headers carrying a fresh bearer token for that demo user."""
    cache: dict[str, dict[str, str]] = {}

    def make(username: str) -> dict[str, str]:
        if username not in cache:
            cache[username] = bearer(client, username)
        return cache[username]

    return make
