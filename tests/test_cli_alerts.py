"""``flask custody alerts`` for cron: one line per alert, exit status 1 when anything is overdue."""

from __future__ import annotations

from datetime import timedelta

from custody.domain import clock as app_clock

from .factories import open_case, register


def test_nothing_due_exits_zero(runner):
    result = runner.invoke(args=["custody", "alerts"])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "0 alerts, 0 overdue" in result.stderr


def test_one_line_per_alert_and_non_zero_when_overdue(runner):
    case = open_case()
    late = register(case, seized_at=app_clock.now() - timedelta(hours=30))
    soon = register(case, seized_at=app_clock.now() - timedelta(hours=20))
    result = runner.invoke(args=["custody", "alerts"])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    first = lines[0].split("\t")
    assert first[0] == "OVERDUE"
    assert first[1] == "into_storage"
    assert f"items={late.label_code}" in first
    assert f"case={case.id}:{case.police_case_no}" in first
    assert "act=PDGA:keeper+officer" in first
    assert lines[1].startswith("APPROACHING\tinto_storage")
    assert soon.label_code in lines[1]
    assert "2 alerts, 1 overdue" in result.stderr

    approaching_only = runner.invoke(args=["custody", "alerts", "--rule", "checkout_return"])
    assert approaching_only.exit_code == 0
    assert approaching_only.stdout == ""
    overdue_only = runner.invoke(args=["custody", "alerts", "--overdue-only", "--agency", "pdga"])
    assert overdue_only.exit_code == 1
    assert len(overdue_only.stdout.splitlines()) == 1
    other_agency = runner.invoke(args=["custody", "alerts", "--agency", "PDFY"])
    assert other_agency.exit_code == 0
    assert other_agency.stdout == ""
    earlier = runner.invoke(
        args=["custody", "alerts", "--at", (app_clock.now() - timedelta(hours=12)).isoformat()]
    )
    assert earlier.exit_code == 0
    assert "APPROACHING" in earlier.stdout
    assert "OVERDUE" not in earlier.stdout
    assert runner.invoke(args=["custody", "alerts", "--at", "yesterday"]).exit_code == 2
    assert runner.invoke(args=["custody", "alerts", "--agency", "NOPE"]).exit_code == 2
