"""Database reachability for ``/healthz``, asked at most once per interval per process (issue 15).

Load balancers and monitors poll ``/healthz`` several times a second on every app server; each poll
used to cost a pooled connection and a round trip. The answer is kept for ``max_age`` seconds
(``CUSTODY_HEALTH_PROBE_MS``, 1,000 by default; 0 asks every time): a probe a second old says as
much about an outage as a fresh one, and the servers' other requests find a broken database anyway.
A failed probe is kept no longer than a good one, so recovery shows within the same interval.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.engine import Engine


@dataclass
class _Probe:
    at: float
    status: str


_lock = threading.Lock()
_last: weakref.WeakKeyDictionary[Engine, _Probe] = weakref.WeakKeyDictionary()
_probing_since: weakref.WeakKeyDictionary[Engine, float] = weakref.WeakKeyDictionary()


def probe(engine: Engine) -> str:
    """``"ok"``, or ``"error: <driver exception>"``: a pooled connection answers ``SELECT 1``."""
    try:
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute("SELECT 1")
            cursor.fetchone()
            cursor.close()
        finally:
            connection.close()  # back to the pool (which ends what the driver began)
        return "ok"
    except Exception as exc:  # any driver failure is an unhealthy database, reported as such
        return f"error: {type(exc).__name__}"


def database_status(
    engine: Engine, max_age: float, *, monotonic: Callable[[], float] = time.monotonic
) -> str:
    """The database's status as of at most ``max_age`` seconds ago. When the last answer is stale,
    one thread of the process probes; the others meanwhile give the last answer rather than queue —
    unless that probe has itself taken longer than ``max_age``: a database that does not answer is
    reported as such (``"error: probe timeout"``), not by an old "ok"."""
    if max_age <= 0:
        return probe(engine)
    last = _last.get(engine)
    if last is not None and monotonic() - last.at < max_age:
        return last.status
    if not _lock.acquire(blocking=last is None):
        since = _probing_since.get(engine)
        if since is not None and monotonic() - since >= max_age:
            return "error: probe timeout"
        return last.status  # type: ignore[union-attr]  # (non-blocking only when there is one)
    try:
        last = _last.get(engine)  # a thread that held the lock before us may have just probed
        if last is not None and monotonic() - last.at < max_age:
            return last.status
        _probing_since[engine] = monotonic()
        status = probe(engine)
        _last[engine] = _Probe(monotonic(), status)
        return status
    finally:
        _probing_since.pop(engine, None)
        _lock.release()
