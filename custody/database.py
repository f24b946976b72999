"""Engine set-up: SQLite pragmas and real transactions; PostgreSQL via psycopg 3."""

from __future__ import annotations

import sqlite3

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine


def configure_engine_options(app: Flask) -> None:
    uri: str = app.config["SQLALCHEMY_DATABASE_URI"]
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if uri.startswith("sqlite"):
        connect_args = dict(options.get("connect_args") or {})
        # Wait up to 15 s for another writer instead of failing at once with "database is locked".
        connect_args.setdefault("timeout", 15)
        options["connect_args"] = connect_args
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, connection_record) -> None:  # noqa: ANN001
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


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(conn) -> None:  # noqa: ANN001
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN")
