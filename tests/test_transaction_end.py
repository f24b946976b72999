"""How a request's transaction ends (``custody.database.end_read_only_transaction``, issue 15).

On PostgreSQL a request that wrote nothing ends with COMMIT, so psycopg keeps the statements it
prepared on the connection — a ROLLBACK makes it forget them all, and PostgreSQL then plans every
statement of every request again. Whatever wrote, and every request that failed, is rolled back as
before; on SQLite nothing changes.
"""

from __future__ import annotations

from sqlalchemy import event, select, update

from custody.database import end_read_only_transaction
from custody.domain.enums import AgencyKind
from custody.extensions import db
from custody.models.agency import Agency

from .conftest import bearer
from .factories import stored_items


class TransactionEnds:
    """The commits and rollbacks the app's engine performs while listening."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.engine = db.engine

    def __enter__(self) -> TransactionEnds:
        event.listen(self.engine, "commit", self._commit)
        event.listen(self.engine, "rollback", self._rollback)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "commit", self._commit)
        event.remove(self.engine, "rollback", self._rollback)

    def _commit(self, conn) -> None:
        self.seen.append("commit")

    def _rollback(self, conn) -> None:
        self.seen.append("rollback")


def test_a_request_that_only_read_commits_on_postgresql_and_rolls_back_on_sqlite(app, auth_headers):
    _case, [item] = stored_items(1)
    headers = auth_headers("police_officer")
    client = app.test_client()
    client.get(f"/api/v1/items/{item.id}", headers=headers)  # the token's first use is recorded
    with TransactionEnds() as ends:
        for path in (
            f"/api/v1/items/{item.id}",
            f"/api/v1/items/{item.id}/events",
            f"/api/v1/cases/{item.case_id}",
        ):
            assert client.get(path, headers=headers).status_code == 200
    expected = "commit" if db.engine.dialect.name == "postgresql" else "rollback"
    assert ends.seen == [expected] * 3


def _agency_named(name: str) -> Agency | None:
    db.session.remove()
    return db.session.scalar(select(Agency).where(Agency.name == name))


def test_a_request_that_wrote_without_committing_is_rolled_back(app):
    # Flushed rows: nothing pending in the session any more, but the database has them.
    with app.test_request_context("/"):
        db.session.add(Agency(code="LINSHI", name="临时机关", kind=AgencyKind.POLICE))
        db.session.flush()
        end_read_only_transaction(None)
    assert _agency_named("临时机关") is None
    # A write that never went through the session's objects (a Core UPDATE).
    court = db.session.scalar(select(Agency).where(Agency.code == "PDFY"))
    with app.test_request_context("/"):
        db.session.execute(update(Agency).where(Agency.id == court.id).values(name="改过的名称"))
        end_read_only_transaction(None)
    assert _agency_named("改过的名称") is None
    # Objects changed but not flushed.
    with app.test_request_context("/"):
        db.session.get(Agency, court.id).name = "没提交的名称"
        end_read_only_transaction(None)
    assert _agency_named("没提交的名称") is None


def test_a_request_that_failed_is_rolled_back_even_if_it_only_read(app):
    with app.test_request_context("/"), TransactionEnds() as ends:
        db.session.scalar(select(Agency).limit(1))
        end_read_only_transaction(RuntimeError("the view failed"))
        db.session.remove()
    assert ends.seen == ["rollback"]


def test_statements_stay_prepared_between_requests_on_postgresql(postgres_app):
    """psycopg prepares a statement on its fifth execution on a connection; before, every request's
    ROLLBACK made it forget, so the server held none."""
    _case, [item] = stored_items(1)
    client = postgres_app.test_client()
    headers = bearer(client, "police_officer")
    db.session.remove()
    for _ in range(8):
        assert client.get(f"/api/v1/items/{item.id}", headers=headers).status_code == 200
    idle = [db.engine.connect() for _ in range(max(db.engine.pool.checkedin(), 1))]
    try:
        prepared = [c.exec_driver_sql("SELECT count(*) FROM pg_prepared_statements").scalar() for c in idle]
    finally:
        for connection in idle:
            connection.close()
    assert max(prepared) >= 2  # the signed-in user's and the item's statements, at least
