"""JSON API under /api/v1 (flask-smorest + marshmallow); OpenAPI at /api/v1/openapi.json.

Views parse input with schemas, build the ``Actor``, call one service, commit once, and dump
the result. Errors are JSON problems (see ``custody.errors``).
"""

from __future__ import annotations

from pathlib import Path

import swagger_ui_bundle
from flask import Blueprint, Flask, send_from_directory

from custody.extensions import api


def _swagger_assets() -> Blueprint:
    """Swagger UI served from the swagger-ui-bundle package: nothing loads from the internet."""
    assets = Blueprint("api_docs_assets", __name__)
    folder = Path(swagger_ui_bundle.swagger_ui_path)

    @assets.get("/api/v1/docs/assets/<path:filename>")
    def swagger_asset(filename: str):
        return send_from_directory(folder, filename, max_age=86400)

    return assets


def register_api(app: Flask) -> None:
    from custody.database import MAX_ID, RowIdConverter

    api.register_converter(
        RowIdConverter, lambda converter: {"type": "integer", "minimum": 0, "maximum": MAX_ID}
    )
    from . import admin, audit, cases, items, lifecycle, meta, money, oversight, tokens, transfers

    for blueprint in (
        meta.blp,
        tokens.blp,
        tokens.account_blp,
        admin.blp,
        cases.blp,
        cases.template_blp,
        items.blp,
        transfers.blp,
        lifecycle.blp,
        audit.blp,
        oversight.blp,
        money.blp,
    ):
        api.register_blueprint(blueprint)
    app.register_blueprint(_swagger_assets())
