"""The schema comes only from Alembic migrations, and they match the models on both engines."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from custody.extensions import db

from .conftest import ENGINES, build_app


@pytest.fixture(params=ENGINES)
def empty_database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    postgres = request.getfixturevalue("postgres")
    name = f"{postgres.prefix}_migr"
    url = postgres.recreate(name)
    yield url
    postgres.drop(name)


def test_upgrade_empty_database_to_head_matches_models_and_downgrades_cleanly(empty_database_url, tmp_path):
    app = build_app(empty_database_url, tmp_path / "instance")
    with app.app_context():
        try:
            upgrade()
            with db.engine.connect() as conn:
                diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
            assert diff == [], f"models and migrations disagree: {diff}"
            tables = set(inspect(db.engine).get_table_names())
            assert {"agency", "user_account", "audit_event", "storage_location"} <= tables

            downgrade(revision="base")
            assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
            upgrade()
            assert set(inspect(db.engine).get_table_names()) == tables
        finally:
            db.session.remove()
            db.engine.dispose()
