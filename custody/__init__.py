"""涉案财物三方共管 — tri-party custody tracker for seized criminal-case property."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # Flask is imported lazily: the stand-alone verifier imports custody.audit alone
    from flask import Flask

    from config import Config


def create_app(config: Config | str | None = None, overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the application.

    ``config`` is a ``Config`` instance or the name of an environment (default: the
    ``CUSTODY_CONFIG`` variable, else development); ``overrides`` replaces single settings
    (the tests use it for the database URL). The schema is never created here: run
    ``flask db upgrade`` at deploy time.
    """
    from flask import Flask

    from config import Config, load_config

    if not isinstance(config, Config):
        config = load_config(config)
    overrides = dict(overrides or {})
    instance_path = overrides.get("INSTANCE_PATH", config.INSTANCE_PATH)
    from custody.clean_request import CleanRequest

    app = Flask(__name__, instance_path=instance_path, instance_relative_config=False)
    app.request_class = CleanRequest
    app.config.from_object(config)
    app.config.update(overrides)
    from custody.database import RowIdConverter

    app.url_map.converters["int"] = RowIdConverter  # before any route is added
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    trust_proxies(app)
    register_extensions(app)
    _install_settings_reader()
    register_blueprints(app)
    register_error_handlers(app)
    register_cli(app)
    return app


def trust_proxies(app: Flask) -> None:
    """Believe ``X-Forwarded-For``/``-Proto`` only from the configured number of proxy hops."""
    hops = int(app.config.get("CUSTODY_TRUSTED_PROXIES") or 0)
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]


def register_extensions(app: Flask) -> None:
    from custody import access, database, headers, i18n
    from custody.audit import sequencer
    from custody.extensions import api, csrf, db, login_manager, migrate

    if app.testing:
        from custody.security import use_cheap_hashing

        use_cheap_hashing()
    import custody.models  # noqa: F401 - registers every model on the metadata

    database.configure_engine_options(app)
    db.init_app(app)
    database.init_app(app)  # read-only requests end with COMMIT on PostgreSQL (keeps prepared statements)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    access.init_app(app)
    i18n.init_app(app)
    api.init_app(app)
    sequencer.init_app(app)  # every committed audit event gets its place in the global log
    headers.init_app(app)


def register_blueprints(app: Flask) -> None:
    from custody.api import register_api
    from custody.web import register_web

    register_api(app)
    register_web(app)


def register_error_handlers(app: Flask) -> None:
    # After api.init_app: replaces flask-smorest's app-wide JSON handler with one that answers
    # JSON problems under /api/ and HTML pages everywhere else.
    from custody import errors

    errors.init_app(app)


def register_cli(app: Flask) -> None:
    from custody.cli import custody_cli

    app.cli.add_command(custody_cli)


def _install_settings_reader() -> None:
    """Services read deployment settings (custody/services/settings.py) from the current app's config."""
    from typing import Any as _Any

    from flask import current_app, has_app_context

    from custody.services import settings

    def read(name: str, default: _Any) -> _Any:
        return current_app.config.get(name, default) if has_app_context() else default

    settings.install(read)
