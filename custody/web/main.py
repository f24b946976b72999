"""Home page and health check."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from flask_login import login_required
from sqlalchemy import text

from custody.access import current_actor
from custody.extensions import db

bp = Blueprint("main", __name__)


@bp.get("/")
@login_required
def home():
    return render_template("home.html", actor=current_actor())


@bp.get("/healthz")
def healthz():
    """Liveness and database reachability, for load balancers and monitoring."""
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means "database down"
        db.session.rollback()
        database = f"error: {type(exc).__name__}"
    status = 200 if database == "ok" else 503
    return jsonify(status="ok" if status == 200 else "degraded", database=database,
                   engine=db.engine.dialect.name), status
