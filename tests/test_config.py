"""The app factory and configuration classes."""

from __future__ import annotations

import stat
from datetime import timedelta

import pytest

from config import load_config, normalise_database_url
from custody import create_app

GOOD_SECRET = "x" * 48
# RFC 8032 test key 1 (its seed, base64): fine for a configuration test, never for a deployment.
LEDGER_KEY = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A="


def test_production_refuses_to_start_without_a_real_secret_key(tmp_path):
    env = {"CUSTODY_INSTANCE_PATH": str(tmp_path), "DATABASE_URL": "postgresql://db/custody"}
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        load_config("production", env)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        load_config("production", {**env, "SECRET_KEY": "changeme"})
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        load_config("production", {**env, "SECRET_KEY": "short-but-not-placeholder"})


def test_production_needs_a_database_url(tmp_path):
    with pytest.raises(RuntimeError, match="DATABASE_URL"):
        load_config("production", {"CUSTODY_INSTANCE_PATH": str(tmp_path), "SECRET_KEY": GOOD_SECRET})


def test_production_needs_a_ledger_signing_key(tmp_path):
    env = {
        "CUSTODY_INSTANCE_PATH": str(tmp_path),
        "SECRET_KEY": GOOD_SECRET,
        "DATABASE_URL": "postgres://h/db",
    }
    with pytest.raises(RuntimeError, match="CUSTODY_LEDGER_SIGNING_KEY"):
        load_config("production", env)
    with pytest.raises(RuntimeError, match="CUSTODY_LEDGER_SIGNING_KEY"):
        load_config("production", {**env, "CUSTODY_LEDGER_SIGNING_KEY": "not-a-key"})


def test_production_cookies_are_secure_httponly_lax(tmp_path):
    config = load_config(
        "production",
        {
            "CUSTODY_INSTANCE_PATH": str(tmp_path),
            "SECRET_KEY": GOOD_SECRET,
            "DATABASE_URL": "postgres://h/db",
            "CUSTODY_LEDGER_SIGNING_KEY": LEDGER_KEY,
        },
    )
    assert config.SESSION_COOKIE_SECURE is True
    assert config.SESSION_COOKIE_HTTPONLY is True
    assert config.SESSION_COOKIE_SAMESITE == "Lax"
    assert config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://h/db"


def test_development_generates_a_private_secret_once_and_reuses_it(tmp_path):
    first = load_config("development", {"CUSTODY_INSTANCE_PATH": str(tmp_path)})
    second = load_config("development", {"CUSTODY_INSTANCE_PATH": str(tmp_path)})
    assert first.SECRET_KEY == second.SECRET_KEY
    assert len(first.SECRET_KEY) >= 32
    mode = stat.S_IMODE((tmp_path / "secret_key").stat().st_mode)
    assert mode == 0o600
    assert first.SQLALCHEMY_DATABASE_URI == f"sqlite:///{tmp_path / 'custody.db'}"


def test_environment_variables_are_read_when_the_app_is_built(tmp_path):
    config = load_config(
        "development",
        {
            "CUSTODY_INSTANCE_PATH": str(tmp_path),
            "CUSTODY_IDLE_TIMEOUT_MINUTES": "5",
            "DATABASE_URL": "postgresql://u@h:5433/x",
        },
    )
    assert config.PERMANENT_SESSION_LIFETIME == timedelta(minutes=5)
    assert config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://u@h:5433/x"
    with pytest.raises(RuntimeError, match="integer"):
        load_config(
            "development", {"CUSTODY_INSTANCE_PATH": str(tmp_path), "CUSTODY_IDLE_TIMEOUT_MINUTES": "soon"}
        )


def test_unknown_environment_name_is_refused():
    with pytest.raises(RuntimeError, match="Unknown CUSTODY_CONFIG"):
        load_config("staging", {})


def test_normalise_database_url_selects_psycopg3():
    assert normalise_database_url("postgres://a/b") == "postgresql+psycopg://a/b"
    assert normalise_database_url("postgresql://a/b") == "postgresql+psycopg://a/b"
    assert normalise_database_url("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"


def test_factory_builds_independent_apps(tmp_path):
    one = create_app(
        "testing",
        overrides={
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/a.db",
            "INSTANCE_PATH": str(tmp_path / "a"),
        },
    )
    two = create_app(
        "testing",
        overrides={
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/b.db",
            "INSTANCE_PATH": str(tmp_path / "b"),
        },
    )
    assert one is not two
    assert one.testing
    assert two.testing
    assert one.config["SQLALCHEMY_DATABASE_URI"] != two.config["SQLALCHEMY_DATABASE_URI"]
    assert one.instance_path == str(tmp_path / "a")
    # The schema is created by migrations only: a new app on an empty database has no tables.
    from sqlalchemy import inspect

    from custody.extensions import db

    with one.app_context():
        assert inspect(db.engine).get_table_names() == []


def test_production_refuses_to_drop_the_second_factor_for_administrators_or_approvers(tmp_path):
    env = {
        "CUSTODY_INSTANCE_PATH": str(tmp_path),
        "SECRET_KEY": GOOD_SECRET,
        "DATABASE_URL": "postgres://h/db",
        "CUSTODY_LEDGER_SIGNING_KEY": LEDGER_KEY,
    }
    for weaker in ("", "admin", "approver,keeper"):
        with pytest.raises(RuntimeError, match="CUSTODY_MFA_ROLES"):
            load_config("production", {**env, "CUSTODY_MFA_ROLES": weaker})
    assert load_config("production", {**env, "CUSTODY_MFA_ROLES": "all"}).CUSTODY_MFA_ROLES == "all"
    assert load_config("production", env).CUSTODY_MFA_ROLES == "admin,approver"
    # Development may be configured without (e.g. a training room), not production.
    assert load_config("development", {"CUSTODY_INSTANCE_PATH": str(tmp_path), "CUSTODY_MFA_ROLES": ""})
