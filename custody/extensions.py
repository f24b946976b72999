"""Unbound extension instances; ``create_app`` binds them to an application."""

import http
from typing import TYPE_CHECKING, Any

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import Session

from custody.orm import Base
from custody.problems import PAGINATION_HEADER, PROBLEM_CONTENT_TYPE, HttpProblemSchema


class CustodySQLAlchemy(SQLAlchemy):
    """Flask-SQLAlchemy, described to the type checker as what the code uses it for."""

    if TYPE_CHECKING:
        # ``db.session`` is a scoped_session: a per-request proxy with the whole Session interface.
        # Services are typed against Session; the proxy is declared as what it behaves as.
        session: Session  # type: ignore[assignment]


db = CustodySQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
# The models derive from custody.orm.Base directly (plain SQLAlchemy, no Flask): db.Model is built
# from Base and shares its metadata, so Flask-SQLAlchemy and Alembic see every table.


class CustodyApi(Api):
    """flask-smorest's Api, documenting what the API really answers: errors as JSON problems
    (``application/problem+json``, RFC 9457) and ``X-Pagination`` as the JSON text it is."""

    ERROR_SCHEMA = HttpProblemSchema

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["content"] = {PROBLEM_CONTENT_TYPE: {"schema": HttpProblemSchema}}
            self.spec.components.response(status.name, response, lazy=True)
        self.spec.components.response(
            "DEFAULT_ERROR",
            {
                "description": "An error, as a JSON problem",
                "content": {PROBLEM_CONTENT_TYPE: {"schema": HttpProblemSchema}},
            },
            lazy=True,
        )

    def _register_pagination_header(self) -> None:
        self.spec.components.header("PAGINATION", PAGINATION_HEADER, lazy=True)


migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
api = CustodyApi()
