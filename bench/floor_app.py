"""The floor: the cheapest Flask + SQLAlchemy version of what the app's requests do (issue 15).

Used only by ``bench/http_ratios.py``, which serves it with the same gunicorn settings as the app, on
the same database engine, and divides the app's request rate by the floor's:

    GET  /floor/bare         bare JSON, no database               (against /healthz)
    GET  /floor/rows/<id>    one get by primary key, as JSON        (against the app's reads)
    POST /floor/rows         one insert and commit, answers its id  (against the app's custody writes)

``FLOOR_DATABASE_URL`` names its database (a table of its own, ``floor_row``). Nothing else: no
authentication, no CSRF, no audit event, no templates — what any request costs at least.
"""

from __future__ import annotations

import os
import sqlite3

from flask import Flask, jsonify, request
from sqlalchemy import String, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column


class Base(DeclarativeBase):
    pass


class FloorRow(Base):
    __tablename__ = "floor_row"

    id: Mapped[int] = mapped_column(primary_key=True)
    payload: Mapped[str] = mapped_column(String(200))


def make_engine(url: str):
    options = {"connect_args": {"timeout": 15}} if url.startswith("sqlite") else {"pool_pre_ping": True}
    engine = create_engine(url, **options)
    if url.startswith("sqlite"):

        @event.listens_for(engine, "connect")
        def _wal(dbapi_connection, record) -> None:  # the app's SQLite settings (custody/database.py)
            if isinstance(dbapi_connection, sqlite3.Connection):
                dbapi_connection.execute("PRAGMA journal_mode=WAL")

    return engine


def create_floor_tables(url: str, rows: int = 1000) -> None:
    """The floor's table with ``rows`` rows to read (called by the bench before serving)."""
    engine = make_engine(url)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add_all(FloorRow(payload=f"row {n}") for n in range(rows))
        session.commit()
    engine.dispose()


def create_app(url: str | None = None) -> Flask:
    engine = make_engine(url or os.environ["FLOOR_DATABASE_URL"])
    app = Flask(__name__)

    @app.get("/floor/bare")
    def bare():
        return jsonify(status="ok")

    @app.get("/floor/rows/<int:row_id>")
    def get_row(row_id: int):
        with Session(engine) as session:
            row = session.get(FloorRow, row_id)
            if row is None:
                return jsonify(error="not found"), 404
            return jsonify(id=row.id, payload=row.payload)

    @app.post("/floor/rows")
    def insert_row():
        with Session(engine) as session:
            row = FloorRow(payload=str((request.get_json(silent=True) or {}).get("payload", ""))[:200])
            session.add(row)
            session.commit()
            return jsonify(id=row.id), 201

    return app


if os.environ.get("FLOOR_DATABASE_URL"):  # served by gunicorn: bench.floor_app:app
    app = create_app()
