"""Command-line tools: seed-demo (idempotent, prints accounts) and create-user."""

from __future__ import annotations

import stat
from pathlib import Path

from sqlalchemy import func, select

from custody.demo import DEMO_USERS
from custody.extensions import db
from custody.models.user import User

from .conftest import TEST_PASSWORD


def test_seed_demo_is_idempotent_and_prints_the_accounts(runner):
    result = runner.invoke(args=["custody", "seed-demo"])
    assert result.exit_code == 0, result.output
    assert "already present" in result.output
    assert TEST_PASSWORD in result.output
    for username, *_ in DEMO_USERS:
        assert username in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == len(DEMO_USERS)


def test_demo_password_is_generated_once_and_kept_private(app, runner):
    app.config["CUSTODY_DEMO_PASSWORD"] = None
    first = runner.invoke(args=["custody", "seed-demo"])
    second = runner.invoke(args=["custody", "seed-demo"])
    path = Path(app.instance_path) / "demo_password"
    password = path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert password in first.output
    assert password in second.output
    # The demo accounts now log in with the generated password.
    client = app.test_client()
    assert client.post("/api/v1/tokens", json={"username": "judge", "password": password}).status_code == 201


def test_create_user_command(runner):
    ok = runner.invoke(
        args=[
            "custody",
            "create-user",
            "--username",
            "ops_admin",
            "--display-name",
            "运维",
            "--agency",
            "pdga",
            "--role",
            "admin",
            "--password",
            "Ops-admin-2026",
        ]
    )
    assert ok.exit_code == 0, ok.output
    weak = runner.invoke(
        args=[
            "custody",
            "create-user",
            "--username",
            "ops2",
            "--display-name",
            "x",
            "--agency",
            "PDGA",
            "--role",
            "admin",
            "--password",
            "password",
        ]
    )
    assert weak.exit_code == 1
    assert "too common" in weak.output
    no_agency = runner.invoke(
        args=[
            "custody",
            "create-user",
            "--username",
            "ops3",
            "--display-name",
            "x",
            "--agency",
            "NOPE",
            "--role",
            "admin",
            "--password",
            "Ops-admin-2026",
        ]
    )
    assert no_agency.exit_code == 1
    assert "no agency" in no_agency.output


def test_demo_cases_show_a_working_system(app, client, runner):
    """`make run` loads a few demo cases through the services: recorded, in the ledger, in inboxes."""
    from custody.demo import seed_demo_cases
    from custody.models.case import Case

    assert seed_demo_cases(db.session) == 2
    db.session.commit()
    assert seed_demo_cases(db.session) == 0  # once only
    assert db.session.scalar(select(func.count()).select_from(Case)) == 2
    verified = runner.invoke(args=["custody", "verify-audit"])
    assert verified.exit_code == 0, verified.output
    from .conftest import login

    login(client, "prosecutor")
    inbox = client.get("/").get_data(as_text=True)
    assert "张某某电信网络诈骗案" in inbox or "YS-PDGA" in inbox  # the transfer waiting to be signed for
    alerts = runner.invoke(args=["custody", "alerts"])
    assert alerts.exit_code == 1
    assert "into_storage" in alerts.output
