"""Helpers for ledger tests: verify the database, act as a DBA past the triggers, copy a database."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url

from custody.audit.ledger import current_settings
from custody.audit.verification import LedgerReport, snapshot_session, verify_ledger
from custody.extensions import db

from ..helpers import fresh


def verify(against: object | None = None) -> LedgerReport:
    fresh()
    with snapshot_session(db.engine) as session:
        return verify_ledger(session, current_settings(), against=against)


def problem_texts(report: LedgerReport) -> list[str]:
    return [p.text() for p in report.problems]


@contextmanager
def as_dba() -> Iterator[Connection]:
    """A connection that gets past the append-only triggers, as a database administrator would.

    PostgreSQL: ``SET LOCAL session_replication_role = replica`` (the test role is a superuser),
    which skips ordinary triggers — the append-only ones and the foreign-key checks. SQLite has no
    such switch: the triggers are dropped for the duration and put back afterwards.
    """
    fresh()
    try:
        yield from _dba_connection()
    finally:
        fresh()  # the test's session starts again after the change (a SQLite snapshot goes stale)


def _dba_connection() -> Iterator[Connection]:
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            yield conn
        return
    with db.engine.connect() as conn:
        raw = conn.connection.driver_connection  # outside any transaction: PRAGMAs take effect
        raw.execute("PRAGMA foreign_keys = OFF")
        try:
            with conn.begin():
                triggers = conn.execute(
                    text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
                ).all()
                for name, _ in triggers:
                    conn.execute(text(f'DROP TRIGGER "{name}"'))
                yield conn
                for _, sql in triggers:
                    conn.execute(text(sql))
        finally:
            raw.execute("PRAGMA foreign_keys = ON")


def dialect() -> str:
    return db.engine.dialect.name


@contextmanager
def _admin(url: str) -> Iterator[Connection]:
    engine = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def backup_database(tmp_path: Path) -> str:
    """A copy of the test database as it is now (file copy / CREATE DATABASE … TEMPLATE)."""
    fresh()
    db.session.remove()
    db.engine.dispose()
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        copy = tmp_path / "backup.db"
        shutil.copyfile(url.database, copy)
        return str(copy)
    name = f"{url.database}_backup"
    with _admin(url.render_as_string(hide_password=False)) as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{url.database}"'))
    return name


def restore_database(backup: str) -> None:
    """Put the copy back in place of the live database, as a DBA restoring a dump would."""
    db.session.remove()
    db.engine.dispose()
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        for suffix in ("-wal", "-shm"):
            Path(url.database + suffix).unlink(missing_ok=True)
        shutil.copyfile(backup, url.database)
        return
    with _admin(url.render_as_string(hide_password=False)) as conn:
        conn.execute(text(f'DROP DATABASE "{url.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{url.database}" TEMPLATE "{backup}"'))
        conn.execute(text(f'DROP DATABASE "{backup}"'))


def drop_backup(backup: str) -> None:
    """Remove a PostgreSQL copy left behind by a test that failed before restoring it."""
    url = db.engine.url
    if url.get_backend_name() != "sqlite":
        with _admin(url.render_as_string(hide_password=False)) as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{backup}" WITH (FORCE)'))
