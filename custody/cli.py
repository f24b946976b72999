"""``flask custody …`` commands: seed-demo, create-user, permissions-doc; the audit ledger's
checkpoint, verify-audit, export-dossier and ledger-key."""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from custody.domain.deadlines import AlertRule
from custody.domain.enums import Role
from custody.domain.errors import DomainError, must_exist
from custody.extensions import db
from custody.models.agency import Agency
from custody.models.user import User

custody_cli = AppGroup("custody", help="Custody tracker administration.")


def _fail(error: DomainError) -> None:
    message = error.message % error.params if error.params else error.message
    details = "; ".join(f"{k}: {', '.join(v)}" for k, v in error.fields.items())
    click.echo(f"Error: {message}" + (f" ({details})" if details else ""), err=True)
    sys.exit(1)


@custody_cli.command("create-user")
@click.option("--username", required=True)
@click.option("--display-name", required=True)
@click.option("--agency", "agency_code", required=True, help="Agency code, e.g. PDGA")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice([r.value for r in Role]))
@click.option(
    "--password", prompt=True, hide_input=True, confirmation_prompt=True, help="Prompted for when not given."
)
def create_user_command(
    username: str, display_name: str, agency_code: str, roles: tuple[str, ...], password: str
):
    """Create a user account (for bootstrapping the first administrator)."""
    from custody.services import accounts

    agency = db.session.scalar(select(Agency).where(Agency.code == agency_code.upper()))
    if agency is None:
        click.echo(f"Error: no agency with code {agency_code!r}", err=True)
        sys.exit(1)
    try:
        user = accounts.create_user(
            db.session,
            None,
            username=username,
            display_name=display_name,
            agency_id=agency.id,
            roles=[Role(r) for r in roles],
            password=password,
        )
    except DomainError as error:
        db.session.rollback()
        _fail(error)
    db.session.commit()
    click.echo(f"Created user {user.username} ({agency.name}; {', '.join(roles)})")


def demo_password() -> str:
    """CUSTODY_DEMO_PASSWORD if set, else a password generated once and kept in instance/."""
    configured = current_app.config.get("CUSTODY_DEMO_PASSWORD")
    if configured:
        return configured
    path = Path(current_app.instance_path) / "demo_password"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    password = "Demo-" + secrets.token_urlsafe(9)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(password)
    return password


@custody_cli.command("seed-demo")
def seed_demo_command():
    """Load the Pudong demo agencies, centre, locations and accounts (once), print the accounts."""
    from custody.demo import DEMO_USERS, seed_demo, seed_demo_cases

    password = demo_password()
    try:
        created = seed_demo(db.session, password)
        if created and not current_app.testing:
            seed_demo_cases(db.session)
    except DomainError as error:
        db.session.rollback()
        _fail(error)
    db.session.commit()
    click.echo("Demo data loaded." if created else "Demo data already present.")
    click.echo("")
    click.echo(f"Demo accounts (password: {password})")
    for username, display_name, _agency, roles in DEMO_USERS:
        click.echo(f"  {username:<22} {display_name:<8} {', '.join(r.value for r in roles)}")


@custody_cli.command("permissions-doc")
@click.option("--output", type=click.Path(dir_okay=False), default=None, help="Write here instead of stdout.")
def permissions_doc_command(output: str | None):
    """Render the policy table (custody.domain.policy) as Markdown."""
    from custody.domain.permissions_doc import render_permissions_markdown

    text = render_permissions_markdown()
    if output:
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"Wrote {output}")
    else:
        click.echo(text, nl=False)


@custody_cli.command("list-users")
def list_users_command():
    for user in db.session.scalars(select(User).order_by(User.username)):
        state = "active" if user.is_active else "disabled"
        click.echo(f"{user.username:<22} {user.agency.code:<8} {','.join(sorted(user.roles)):<20} {state}")


# -- the tamper-evident audit ledger (docs/LEDGER.md) -------------------------------------------


def _write(path: str, data: bytes) -> None:
    Path(path).write_bytes(data)


@custody_cli.command("checkpoint")
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    default=None,
    help="Also write the checkpoint as JSON, to hand to an agency or keep offline.",
)
@click.option(
    "--if-needed",
    is_flag=True,
    help="Sign only if events were recorded since the last checkpoint (for a cron job).",
)
def checkpoint_command(out: str | None, if_needed: bool):
    """Sign the audit log's current head now (a checkpoint)."""
    import json

    from custody.audit import ledger

    checkpoint = ledger.create_checkpoint(db.session, ledger.current_settings(), only_if_grown=if_needed)
    db.session.commit()
    if checkpoint is None:
        checkpoint = must_exist(ledger.latest_checkpoint(db.session), "the latest checkpoint")
        click.echo(f"No events since checkpoint {checkpoint.id}; nothing new signed.")
    else:
        click.echo(
            f"Signed checkpoint {checkpoint.id}: {checkpoint.tree_size} entries, "
            f"root {checkpoint.root_hash}, key {checkpoint.key_id}."
        )
    if out:
        _write(out, (json.dumps(ledger.checkpoint_document(checkpoint), indent=1) + "\n").encode("utf-8"))
        click.echo(f"Wrote {out}")


@custody_cli.command("verify-audit")
@click.option(
    "--against",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="A checkpoint exported earlier (JSON): the log must still extend it.",
)
@click.option("--show", default=20, show_default=True, help="How many problems to list.")
def verify_audit_command(against: str | None, show: int):
    """Check every item chain, recompute the Merkle log and check every checkpoint.

    Exits 0 when the audit record is intact, 1 naming the first problem otherwise. The run is
    recorded as a security event.
    """
    import json

    from sqlalchemy.exc import SQLAlchemyError

    from custody.audit.ledger import current_settings
    from custody.audit.service import record_ledger_verification
    from custody.audit.verification import snapshot_session, verify_ledger
    from custody.domain.actor import Origin

    document = None
    if against:
        try:
            document = json.loads(Path(against).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            click.echo(f"Error: cannot read {against}: {exc}", err=True)
            sys.exit(2)
    with snapshot_session(db.engine) as session:
        report = verify_ledger(session, current_settings(), against=document, max_problems=max(show, 1))
    try:
        record_ledger_verification(db.session, report, origin=Origin.cli(), against=document)
        db.session.commit()
    except (SQLAlchemyError, RuntimeError, ValueError) as exc:
        db.session.rollback()
        click.echo(f"Warning: this verification run could not be recorded: {exc}", err=True)

    if report.ok:
        click.echo(
            f"OK: the audit record is intact. {report.events} events, {report.items} items, "
            f"{report.checkpoints} checkpoint(s); log of {report.log_size} entries, root {report.root.hex()}; "
            f"checked in {report.seconds:.2f} s."
        )
        if document is not None:
            click.echo(
                f"The log extends the exported checkpoint of {document['timestamp']} "
                f"({document['tree_size']} entries)."
            )
        return
    click.echo(f"FAILED: {report.problems[0].text()}")
    for problem in report.problems[1:show]:
        click.echo(f"  also: {problem.text()}")
    hidden = report.problem_count - min(show, len(report.problems))
    if hidden > 0:
        click.echo(f"  … and {hidden} more problems.")
    sys.exit(1)


@custody_cli.command("export-dossier")
@click.option("--item", "item_id", type=int, default=None, help="Item id.")
@click.option("--case", "case_id", type=int, default=None, help="Case id (all its events and items).")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Where to write the JSON bundle.")
@click.option(
    "--pdf",
    type=click.Path(dir_okay=False),
    default=None,
    help="Also write the chain-of-custody certificate (PDF).",
)
def export_dossier_command(item_id: int | None, case_id: int | None, out: str, pdf: str | None):
    """Export the self-contained, verifiable dossier of an item or a case."""
    import hashlib

    from custody.audit.bundle import bundle_json
    from custody.audit.ledger import current_settings
    from custody.audit.service import export_dossier
    from custody.domain.actor import Origin

    try:
        export = export_dossier(
            db.session,
            current_settings(),
            None,
            item_id=item_id,
            case_id=case_id,
            document="json+pdf" if pdf else "json",
            origin=Origin.cli(),
        )
    except DomainError as error:
        db.session.rollback()
        _fail(error)
    db.session.commit()
    data = bundle_json(export.bundle)
    _write(out, data)
    checkpoint = export.bundle["checkpoint"]
    click.echo(
        f"Wrote {out}: {len(export.bundle['events'])} events, proven against checkpoint of "
        f"{checkpoint['tree_size']} entries ({checkpoint['timestamp']}). "
        f"Check it with: python -m custody.verify {out}"
    )
    if pdf:
        from custody.audit.certificate import certificate_pdf

        _write(pdf, certificate_pdf(export.bundle, bundle_sha256=hashlib.sha256(data).hexdigest()))
        click.echo(f"Wrote {pdf}")


@custody_cli.command("ledger-key")
@click.option(
    "--generate", is_flag=True, help="Print a new private signing key (for CUSTODY_LEDGER_SIGNING_KEY)."
)
def ledger_key_command(generate: bool):
    """Show the public key that signs checkpoints, or generate a new private key."""
    from custody.audit.ledger import current_settings, public_key_document
    from custody.audit.signing import generate_private_key_text

    if generate:
        click.echo(generate_private_key_text())
        return
    document = public_key_document(current_settings())
    click.echo(f"origin:     {document['origin']}")
    click.echo(f"key id:     {document['key_id']}")
    click.echo(f"public key: {document['public_key']}")


@custody_cli.command("alerts")
@click.option("--rule", type=click.Choice([r.value for r in AlertRule]), help="Only this rule.")
@click.option(
    "--agency", "agency_code", default=None, help="Only alerts this agency (code, e.g. PDGA) must act on."
)
@click.option("--overdue-only", is_flag=True, help="Leave out alerts that are only approaching.")
@click.option("--at", "at", default=None, help="Evaluate at this ISO time instead of now (what-if).")
def alerts_command(rule: str | None, agency_code: str | None, overdue_only: bool, at: str | None):
    """Legal-deadline alerts, one line each (for cron): exit status 1 when anything is overdue."""
    from datetime import UTC, datetime

    from custody.domain.clock import LOCAL_TZ
    from custody.services.alerts import all_alerts, filter_alerts

    now = None
    if at:
        try:
            now = datetime.fromisoformat(at)
        except ValueError:
            click.echo(f"Error: --at {at!r} is not an ISO date-time", err=True)
            sys.exit(2)
        now = now if now.tzinfo else now.replace(tzinfo=LOCAL_TZ)
        now = now.astimezone(UTC)
    agencies = {a.id: a for a in db.session.scalars(select(Agency))}
    agency_id = None
    if agency_code:
        matches = [a.id for a in agencies.values() if a.code == agency_code.upper()]
        if not matches:
            click.echo(f"Error: no agency with code {agency_code!r}", err=True)
            sys.exit(2)
        agency_id = matches[0]
    found = filter_alerts(
        all_alerts(db.session, now),
        rule=AlertRule(rule) if rule else None,
        overdue=True if overdue_only else None,
        agency_id=agency_id,
    )
    for alert in found:
        agency = agencies.get(alert.agency_id)
        items = ",".join(alert.labels[:5]) + (f",+{len(alert.labels) - 5}" if len(alert.labels) > 5 else "")
        click.echo(
            "\t".join(
                [
                    "OVERDUE" if alert.overdue else "APPROACHING",
                    alert.code,
                    alert.due_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M%z"),
                    f"case={alert.case_id}:{alert.case_ref}",
                    f"record={alert.record_type}:{alert.record_ref or alert.record_id or ''}",
                    f"items={items or '-'}",
                    f"act={agency.code if agency else alert.agency_id}:{'+'.join(sorted(r.value for r in alert.roles))}",
                ]
            )
        )
    overdue = sum(alert.overdue for alert in found)
    click.echo(f"{len(found)} alerts, {overdue} overdue", err=True)
    sys.exit(1 if overdue else 0)


@custody_cli.command("lapse-freezes")
def lapse_freezes_command():
    """Record freezes whose last day has passed without renewal as lapsed (run daily from cron)."""
    from custody.services.freezes import record_lapses

    lapsed = record_lapses(db.session)
    db.session.commit()
    for freeze in lapsed:
        click.echo(
            f"lapsed: freeze {freeze.id} (item {freeze.item_id}, {freeze.institution}, "
            f"expired {freeze.expires_on.isoformat()})"
        )
    click.echo(f"{len(lapsed)} freeze(s) lapsed.")
