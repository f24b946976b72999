"""Unbound extension instances; ``create_app`` binds them to an application."""

from typing import TYPE_CHECKING

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import Session

from custody.orm import Base


class CustodySQLAlchemy(SQLAlchemy):
    """Flask-SQLAlchemy, described to the type checker as what the code uses it for."""

    if TYPE_CHECKING:
        # ``db.session`` is a scoped_session: a per-request proxy with the whole Session interface.
        # Services are typed against Session; the proxy is declared as what it behaves as.
        session: Session  # type: ignore[assignment]


db = CustodySQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
# The models derive from custody.orm.Base directly (plain SQLAlchemy, no Flask): db.Model is built
# from Base and shares its metadata, so Flask-SQLAlchemy and Alembic see every table.
migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
api = Api()
