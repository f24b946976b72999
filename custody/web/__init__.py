"""HTML pages (Jinja + Flask-WTF) calling the same services as the JSON API."""

from __future__ import annotations

from flask import Flask


def register_web(app: Flask) -> None:
    from . import admin, auth, cases, items, lifecycle, lookup, main, money, oversight, storage, transfers

    for module in (auth, main, admin, cases, items, storage, transfers, lifecycle, oversight, lookup, money):
        app.register_blueprint(module.bp)
