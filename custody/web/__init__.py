"""HTML pages (Jinja + Flask-WTF) calling the same services as the JSON API."""

from __future__ import annotations

from flask import Flask


def register_web(app: Flask) -> None:
    from . import admin, auth, main

    app.register_blueprint(auth.bp)
    app.register_blueprint(main.bp)
    app.register_blueprint(admin.bp)
