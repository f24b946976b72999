"""Backups and restores that cannot silently turn back the clock [DESIGN, issue 14].

``flask custody backup OUT`` copies the database: SQLite through its online backup API (a
consistent copy while the app runs), PostgreSQL with ``pg_dump`` (custom format).

``flask custody restore BACKUP --checkpoint FILE`` first restores the backup into a *scratch*
database (a temporary file; a temporary PostgreSQL database) and verifies the audit ledger there
against a signed checkpoint kept **outside** the database — the file exported by ``flask custody
checkpoint --out`` after the backup, or the copy another agency holds. Only then is the live
database replaced:

- the log extends the checkpoint: restored, and recorded as a security event;
- the checkpoint is *ahead* of the restored log: the backup is older than history that was already
  signed — a **rollback**. Refused unless ``--accept-rollback`` says the loss is known and
  intended (then restored, and the rollback recorded with how many entries were lost);
- anything else (signature, rewritten or forked history, broken chains): refused.

Restoring replaces the live database: stop the app first. On PostgreSQL the restoring role must
own the tables and may create databases (the DBA's role, not the app's).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from custody.audit.ledger import LedgerSettings
from custody.audit.verification import LedgerReport, snapshot_session, verify_ledger


class BackupError(RuntimeError):
    """The backup or restore could not be done (the message says why)."""


@dataclass
class RestoreCheck:
    report: LedgerReport
    rollback: bool  # the checkpoint is ahead of the backup's log
    checkpoint_size: int
    log_size: int

    @property
    def only_rollback(self) -> bool:
        """Nothing wrong but the age of the backup (every problem is the checkpoint being ahead)."""
        return self.rollback and all(p.code == "exported.beyond" for p in self.report.problems)


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(url.database)


def _pg_env(url: URL, database: str | None = None) -> dict[str, str]:
    """libpq's environment for ``url``: the password never appears on a command line."""
    env = dict(os.environ)
    for key, value in (
        ("PGHOST", url.host),
        ("PGPORT", str(url.port) if url.port else None),
        ("PGUSER", url.username),
        ("PGPASSWORD", url.password),
        ("PGDATABASE", database or url.database),
    ):
        if value:
            env[key] = str(value)
    return env


def _run(command: list[str], env: dict[str, str]) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed (Debian: apt-get install postgresql-client)")
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip() or done.stdout.strip()}")


def backup(database_url: str, out: Path) -> Path:
    """Copy the database to ``out`` (refuses to overwrite)."""
    url = make_url(database_url)
    if out.exists():
        raise BackupError(f"{out} exists; choose a new file name")
    out.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(_sqlite_path(url))
        target = sqlite3.connect(out)
        try:
            with target:
                source.backup(target)  # a consistent snapshot, even while the app writes
        finally:
            target.close()
            source.close()
    elif url.get_backend_name() == "postgresql":
        _run(["pg_dump", "--format=custom", "--no-owner", f"--file={out}"], _pg_env(url))
    else:
        raise BackupError(f"no backup method for {url.get_backend_name()}")
    os.chmod(out, 0o600)  # the copy holds personal data
    return out


@contextmanager
def _scratch(database_url: str, backup_file: Path) -> Iterator[str]:
    """The backup restored into a throw-away database; yields its URL."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        with tempfile.TemporaryDirectory(prefix="custody-restore-") as folder:
            copy = Path(folder) / "scratch.db"
            _sqlite_copy(backup_file, copy)
            yield url.set(database=str(copy)).render_as_string(hide_password=False)
        return
    name = f"custody_restore_check_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            _run(
                ["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={name}", str(backup_file)],
                _pg_env(url, name),
            )
            yield url.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def _sqlite_copy(source_path: Path, target_path: Path) -> None:
    if not source_path.exists():
        raise BackupError(f"{source_path} does not exist")
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
    target = sqlite3.connect(target_path)
    try:
        source.execute("SELECT count(*) FROM sqlite_master").fetchone()  # a database at all?
        with target:
            source.backup(target)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{source_path} is not a SQLite backup: {exc}") from exc
    finally:
        target.close()
        source.close()


def check_backup(
    database_url: str, backup_file: Path, settings: LedgerSettings, checkpoint: dict[str, Any]
) -> RestoreCheck:
    """Verify the backup's audit ledger against ``checkpoint`` without touching the live database."""
    with _scratch(database_url, backup_file) as scratch_url:
        engine = create_engine(scratch_url)
        try:
            with snapshot_session(engine) as session:
                report = verify_ledger(session, settings, against=checkpoint, max_problems=50)
        finally:
            engine.dispose()
    rollback = any(p.code == "exported.beyond" for p in report.problems)
    return RestoreCheck(report, rollback, int(checkpoint.get("tree_size") or 0), report.log_size)


def replace_live(database_url: str, backup_file: Path) -> None:
    """Put the backup in place of the live database (the app must be stopped)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        _sqlite_copy(backup_file, _sqlite_path(url))
        return
    _run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={url.database}",
            str(backup_file),
        ],
        _pg_env(url),
    )
