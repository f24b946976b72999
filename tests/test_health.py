"""/healthz asks the database at most once per interval per process (custody/health.py, issue 15)."""

from __future__ import annotations

from sqlalchemy import create_engine, event

from custody import health


class Ticks:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def counted(engine):
    checkouts = []
    event.listen(engine, "checkout", lambda *args: checkouts.append(1))
    return checkouts


def test_a_probe_is_reused_within_the_interval_and_repeated_after_it(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'probe.db'}")
    checkouts, ticks = counted(engine), Ticks()
    assert health.database_status(engine, 1.0, monotonic=ticks) == "ok"
    ticks.now += 0.5
    assert health.database_status(engine, 1.0, monotonic=ticks) == "ok"
    assert len(checkouts) == 1
    ticks.now += 0.6
    assert health.database_status(engine, 1.0, monotonic=ticks) == "ok"
    assert len(checkouts) == 2
    engine.dispose()


def test_an_interval_of_zero_asks_every_time(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'probe.db'}")
    checkouts, ticks = counted(engine), Ticks()
    for _ in range(3):
        assert health.database_status(engine, 0, monotonic=ticks) == "ok"
    assert len(checkouts) == 3
    engine.dispose()


def test_an_unreachable_database_is_reported_and_not_kept_longer_than_a_good_answer(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'missing' / 'probe.db'}")  # no such folder
    ticks = Ticks()
    assert health.database_status(engine, 1.0, monotonic=ticks) == "error: OperationalError"
    ticks.now += 0.5
    assert health.database_status(engine, 1.0, monotonic=ticks) == "error: OperationalError"
    (tmp_path / "missing").mkdir()  # the database comes back
    ticks.now += 0.6
    assert health.database_status(engine, 1.0, monotonic=ticks) == "ok"
    engine.dispose()


def test_healthz_answers_503_while_the_database_is_unreachable(app, client, monkeypatch):
    monkeypatch.setattr(health, "probe", lambda engine: "error: OperationalError")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json == {
        "status": "degraded",
        "database": "error: OperationalError",
        "engine": app_engine(app),
    }


def app_engine(app) -> str:
    from custody.extensions import db

    with app.app_context():
        return db.engine.dialect.name


def _engine(tmp_path):
    return create_engine(f"sqlite:///{tmp_path / 'probe.db'}")


def test_a_probe_that_hangs_longer_than_the_interval_is_reported_not_covered_by_an_old_ok(
    tmp_path, monkeypatch
):
    import threading

    engine, ticks = _engine(tmp_path), Ticks()
    assert health.database_status(engine, 1.0, monotonic=ticks) == "ok"
    release, started = threading.Event(), threading.Event()

    def hanging(engine) -> str:
        started.set()
        release.wait(10)
        return "ok"

    monkeypatch.setattr(health, "probe", hanging)
    ticks.now += 1.5  # the answer is stale: the next caller probes, and hangs
    prober = threading.Thread(target=health.database_status, args=(engine, 1.0), kwargs={"monotonic": ticks})
    prober.start()
    assert started.wait(10)
    assert health.database_status(engine, 1.0, monotonic=ticks) == "ok"  # a probe under way, just begun
    ticks.now += 1.1
    assert health.database_status(engine, 1.0, monotonic=ticks) == "error: probe timeout"
    release.set()
    prober.join(10)
    engine.dispose()


def test_callers_queued_behind_the_first_probe_take_its_answer(tmp_path, monkeypatch):
    import threading

    engine, ticks = _engine(tmp_path), Ticks()
    calls, release, started = [], threading.Event(), threading.Event()

    def slow(engine) -> str:
        calls.append(1)
        started.set()
        release.wait(10)
        return "ok"

    monkeypatch.setattr(health, "probe", slow)
    answers: list[str] = []
    first = threading.Thread(
        target=lambda: answers.append(health.database_status(engine, 1.0, monotonic=ticks))
    )
    first.start()
    assert started.wait(10)
    second = threading.Thread(
        target=lambda: answers.append(health.database_status(engine, 1.0, monotonic=ticks))
    )
    second.start()  # no answer yet: it waits for the lock
    release.set()
    first.join(10)
    second.join(10)
    assert answers == ["ok", "ok"]
    assert len(calls) == 1
    engine.dispose()
