"""Engine set-up: SQLite pragmas and real transactions; PostgreSQL via psycopg 3."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TypeVar, cast

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import scoped_session
from werkzeug.routing import IntegerConverter

MAX_ID = 2**63 - 1  # the largest BIGINT: anything above cannot name a row
T = TypeVar("T")


class RowIdConverter(IntegerConverter):
    """``<int:…>`` in URLs, bounded to what a database key can hold (a larger number is a 404)."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def configure_engine_options(app: Flask) -> None:
    uri: str = app.config["SQLALCHEMY_DATABASE_URI"]
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if uri.startswith("sqlite"):
        connect_args = dict(options.get("connect_args") or {})
        # Wait up to 15 s for another writer instead of failing at once with "database is locked".
        connect_args.setdefault("timeout", 15)
        options["connect_args"] = connect_args
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def init_app(app: Flask) -> None:
    # A request's teardown runs before the app context's, where Flask-SQLAlchemy closes the session:
    # the transaction is still open here, and the close afterwards finds nothing to roll back.
    app.teardown_request(end_read_only_transaction)


def end_read_only_transaction(exc: BaseException | None = None) -> None:
    """End a request's transaction that wrote nothing with COMMIT rather than ROLLBACK (PostgreSQL).

    psycopg forgets every statement it prepared on a connection when that connection rolls back (an
    object dropped in the transaction may be recreated), and Flask-SQLAlchemy ends each request by
    closing its session, which rolls back: so nothing was ever prepared, and PostgreSQL planned every
    statement of every request anew — about 2 ms for an item's statement with its joined loads,
    against 0.2 ms prepared (issue 15). A transaction to which PostgreSQL assigned no transaction id
    wrote nothing (a row lock, ``SELECT … FOR UPDATE``, assigns one), so committing it changes
    nothing; any other transaction is rolled back as before. A failed request has been rolled back
    already by its error handler (custody/errors.py); one that ends in an exception here is too."""
    if exc is not None:
        return
    from custody.extensions import db

    scoped = cast("scoped_session[OrmSession]", db.session)
    if not scoped.registry.has():
        return  # the request never used the database (``/healthz`` between its probes, static files)
    session = scoped()
    if not session.in_transaction() or session.new or session.dirty or session.deleted:
        return
    if session.get_bind().dialect.name != "postgresql":
        return  # SQLite: the session's close rolls back, and must not start a transaction here
    try:
        connection = session.connection()
        if connection.exec_driver_sql("SELECT txid_current_if_assigned()").scalar() is None:
            session.commit()
    except SQLAlchemyError:
        session.rollback()  # e.g. the connection was lost: the session's close rolls back as before


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, connection_record) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Let SQLAlchemy emit BEGIN itself (below): pysqlite's own transaction handling starts
    # transactions late, so a read-then-write would not be one transaction.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    database = cursor.execute("PRAGMA database_list").fetchone()[2]
    if database:  # a file, not an in-memory database
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def writes_on_get(view):
    """Mark a view (function or MethodView class) that writes although it answers GET — a download
    that records who took it — so that on SQLite its transaction also takes the write lock first."""
    view.custody_writes = True
    return view


def run_apart(work: Callable[[], T]) -> T:
    """Run ``work`` (which commits in sessions of its own) apart from the request's transaction.

    The request's session may have read (the signed-in user) but must not have written: its
    transaction is ended first, so on SQLite it holds no lock that ``work`` would wait for, and
    afterwards the request's next transaction takes the write lock again as its view expects.
    """
    from flask import g, has_request_context

    from custody.extensions import db

    db.session.rollback()
    committed = g.get("custody_committed") if has_request_context() else None
    try:
        return work()
    finally:
        if has_request_context() and not committed:
            g.pop("custody_committed", None)


def _will_write() -> bool:
    """Whether the current request is expected to write: an unsafe HTTP method, or a view marked
    with ``writes_on_get`` that has not committed its record yet (what it streams afterwards is
    read in an ordinary transaction, which does not hold up writers under WAL)."""
    from flask import current_app, g, has_request_context, request

    if not has_request_context():
        return False
    if g.get("custody_committed") and g.get("custody_answering"):
        return False  # the view has committed and returned: its answer's lazy loads only read
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        return True
    if g.get("custody_committed"):
        return False
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(
        getattr(view, "custody_writes", False)
        or getattr(getattr(view, "view_class", None), "custody_writes", False)
    )


def answering() -> None:
    """The API view has returned what it answers: any transaction the request opens from now on (the
    answer's lazy loads, after the view committed) only reads, and on SQLite must not queue for the
    write lock — nor hold it while the answer is serialised (issue 15)."""
    from flask import g

    g.custody_answering = True


def outside_transaction(session: OrmSession, work: Callable[[], T]) -> T:
    """Run slow work that needs no database (parsing an uploaded file) with no transaction open.

    On SQLite a writing request's transaction takes the database's single write lock with its first
    statement (loading the user); parsing a 10,000-row spreadsheet inside it would make every other
    writer wait. Only reads may precede this call: they are rolled back, and what is used afterwards
    reloads in the request's next transaction."""
    session.rollback()
    return work()


@event.listens_for(OrmSession, "after_commit")
def _note_commit(session: OrmSession) -> None:
    from flask import g, has_request_context

    if has_request_context():
        g.custody_committed = True


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(conn) -> None:
    if conn.dialect.name != "sqlite":
        return
    if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
        return  # e.g. a migration's autocommit block (PRAGMA foreign_keys works only outside BEGIN)
    # A deferred transaction that reads, then writes after another writer committed, fails at once
    # with "database is locked" (its snapshot is stale). Requests that will write therefore take the
    # write lock up front and wait their turn (busy timeout); reads stay concurrent under WAL.
    conn.exec_driver_sql("BEGIN IMMEDIATE" if _will_write() else "BEGIN")
