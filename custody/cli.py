"""``flask custody …`` commands: seed-demo, create-user, permissions-doc; the audit ledger's
checkpoint, verify-audit, export-dossier and ledger-key; backup and restore."""

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
    from custody.services import mfa

    password = demo_password()
    roles = mfa.required_roles(current_app.config["CUSTODY_MFA_ROLES"])
    try:
        created = seed_demo(db.session, password, roles)
        if created and not current_app.testing:
            seed_demo_cases(db.session)
    except DomainError as error:
        db.session.rollback()
        _fail(error)
    db.session.commit()
    click.echo("Demo data loaded." if created else "Demo data already present.")
    click.echo("")
    click.echo(f"Demo accounts (password: {password})")
    secrets_shown = []
    for username, display_name, _agency, user_roles in DEMO_USERS:
        user = db.session.scalar(select(User).where(User.username == username))
        line = f"  {username:<22} {display_name:<8} {', '.join(r.value for r in user_roles)}"
        if user is not None and user.totp_secret:
            line += f"  second factor: TOTP key {user.totp_secret}"
            secrets_shown.append(username)
        click.echo(line)
    if secrets_shown:
        click.echo("")
        click.echo(
            "Accounts with a second factor log in with a code: add the TOTP key to an authenticator app, "
            "or print the current code with `flask custody demo-otp USERNAME` (demo accounts only, never "
            "in production)."
        )


@custody_cli.command("demo-otp")
@click.argument("username")
def demo_otp_command(username: str):
    """Print the current second-factor code of a demo account (development and testing only)."""
    import pyotp

    from custody.demo import DEMO_USERS
    from custody.domain import clock

    if current_app.config.get("ENV_NAME") == "production":
        click.echo("Error: demo-otp is not available in production.", err=True)
        sys.exit(1)
    if username not in {name for name, *_ in DEMO_USERS}:
        click.echo(f"Error: {username!r} is not a demo account.", err=True)
        sys.exit(1)
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or not user.totp_secret:
        click.echo(f"Error: {username!r} has no second factor.", err=True)
        sys.exit(1)
    now = clock.now().timestamp()
    step = int(now) // 30
    if user.totp_last_step is not None and user.totp_last_step >= step:
        step = user.totp_last_step + 1  # the current code was used: the next one
    code = pyotp.TOTP(user.totp_secret).at(step * 30)
    click.echo(f"{code}  (valid until {int(step * 30 + 60 - now)} s from now)")


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
@click.option(
    "--since-last",
    is_flag=True,
    help="Only what was added since the last verification that passed (custody/audit/incremental.py).",
)
def verify_audit_command(against: str | None, show: int, since_last: bool):
    """Check every item chain, recompute the Merkle log and check every checkpoint.

    Exits 0 when the audit record is intact, 1 naming the first problem otherwise. The run is
    recorded as a security event. With --since-last, only the entries added since the last run that
    passed (its cost grows with them alone); run the full verification regularly too.
    """
    if since_last:
        _verify_since_last(show)
        return

    from sqlalchemy.exc import SQLAlchemyError

    from custody.audit.ledger import current_settings
    from custody.audit.service import record_ledger_verification
    from custody.audit.verification import snapshot_session, verify_ledger
    from custody.audit.witnessing import HeldCheckpointError, held_checkpoint
    from custody.domain.actor import Origin

    document = None
    held = None
    if against:
        try:
            held = held_checkpoint(db.session, current_settings(), Path(against).read_bytes())
        except (OSError, HeldCheckpointError) as exc:
            click.echo(f"Error: cannot read {against}: {exc}", err=True)
            sys.exit(2)
        document = held.document
        db.session.rollback()
    from custody.audit.witnessing import verify_witness_records

    with snapshot_session(db.engine) as session:
        report = verify_ledger(session, current_settings(), against=document, max_problems=max(show, 1))
        witness_problems = verify_witness_records(session, current_settings())
    try:
        record_ledger_verification(
            db.session, report, origin=Origin.cli(), against=document, more_problems=witness_problems
        )
        db.session.commit()
    except (SQLAlchemyError, RuntimeError, ValueError) as exc:
        db.session.rollback()
        click.echo(f"Warning: this verification run could not be recorded: {exc}", err=True)

    failures = [*(held.problems if held is not None else []), *witness_problems]
    if report.ok and not failures:
        click.echo(
            f"OK: the audit record is intact. {report.events} events, {report.items} items, "
            f"{report.checkpoints} checkpoint(s); log of {report.log_size} entries, root {report.root.hex()}; "
            f"checked in {report.seconds:.2f} s."
        )
        click.echo(
            "The live records match their history: "
            + ", ".join(f"{count} {kind}(s)" for kind, count in report.records.items())
            + "."
        )
        if document is not None and held is not None:
            click.echo(
                f"The log extends the {held.source} of {document['timestamp']} "
                f"({document['tree_size']} entries)."
            )
            for line in held.cosigners:
                click.echo(f"  {line}")
        return
    messages = [p.text() for p in report.problems] + failures
    click.echo(f"FAILED: {messages[0]}")
    for message in messages[1:show]:
        click.echo(f"  also: {message}")
    hidden = report.problem_count + len(failures) - min(show, len(messages))
    if hidden > 0:
        click.echo(f"  … and {hidden} more problems.")
    sys.exit(1)


def _verify_since_last(show: int) -> None:
    from sqlalchemy.exc import SQLAlchemyError

    from custody.audit.incremental import verify_since_mark
    from custody.audit.ledger import create_checkpoint, current_settings
    from custody.audit.service import record_verification
    from custody.audit.verification import snapshot_session
    from custody.domain.actor import Origin

    # The last verification must be under a signed checkpoint: sign the head if it grew.
    create_checkpoint(db.session, current_settings(), only_if_grown=True)
    db.session.commit()
    with snapshot_session(db.engine) as session:
        report = verify_since_mark(session, current_settings(), max_problems=max(show, 1))
    try:
        record_verification(db.session, None, "ledger_since", report.summary(), origin=Origin.cli())
        db.session.commit()
    except (SQLAlchemyError, RuntimeError, ValueError) as exc:
        db.session.rollback()
        click.echo(f"Warning: this verification run could not be recorded: {exc}", err=True)
    if report.ok and report.mark is not None:
        click.echo(
            f"OK: the log grew from {report.mark.log_size} to {report.log_size} entries since the last "
            f"verification; {report.events} new events, {report.items} touched items replayed, "
            f"{report.checkpoints} checkpoint(s); root {report.root.hex()}; checked in {report.seconds:.2f} s."
        )
        return
    messages = [p.text() for p in report.problems]
    click.echo(f"FAILED: {messages[0] if messages else 'no verification to start from'}")
    for message in messages[1:show]:
        click.echo(f"  also: {message}")
    sys.exit(1)


@custody_cli.command("backup")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(out: Path):
    """Copy the database to OUT (SQLite backup API, or pg_dump). Keep the copy, and a checkpoint
    exported after it (`flask custody checkpoint --out`), in different places."""
    from custody import backup

    try:
        backup.backup(current_app.config["SQLALCHEMY_DATABASE_URI"], out)
    except backup.BackupError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    click.echo(f"Backed up to {out} ({out.stat().st_size} bytes).")


@custody_cli.command("restore")
@click.argument("backup_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--checkpoint",
    "checkpoint_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A signed checkpoint kept outside the database (exported after the backup, or another agency's copy).",
)
@click.option(
    "--accept-rollback",
    is_flag=True,
    help="Restore even though the backup is older than the checkpoint: the events after it are lost.",
)
def restore_command(backup_file: Path, checkpoint_file: Path, accept_rollback: bool):
    """Restore BACKUP_FILE after verifying its audit ledger against a checkpoint held outside.

    Exit 0: restored and verified. 3: the backup is older than the checkpoint (a rollback) —
    nothing restored unless --accept-rollback. 1: the backup fails verification — nothing
    restored. Stop the app before restoring.
    """
    import json

    from custody import backup
    from custody.audit.ledger import current_settings
    from custody.audit.recorder import record_event
    from custody.domain.actor import Origin
    from custody.domain.enums import EventCategory, Outcome

    try:
        checkpoint = json.loads(checkpoint_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        click.echo(f"Error: cannot read {checkpoint_file}: {exc}", err=True)
        sys.exit(2)
    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    try:
        check = backup.check_backup(url, backup_file, current_settings(), checkpoint)
    except backup.BackupError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    report = check.report
    if not report.ok and not check.only_rollback:
        click.echo(f"REFUSED: the backup fails verification: {report.problems[0].text()}")
        for problem in report.problems[1:10]:
            click.echo(f"  also: {problem.text()}")
        click.echo("Nothing was restored.")
        sys.exit(1)
    lost = check.checkpoint_size - check.log_size
    if check.rollback:
        click.echo(
            f"ROLLBACK: the backup's audit log has {check.log_size} entries, but the checkpoint of "
            f"{checkpoint.get('timestamp')} already signed {check.checkpoint_size}: restoring it would "
            f"lose the last {lost} recorded events."
        )
        if not accept_rollback:
            click.echo("Nothing was restored. Restore a newer backup, or repeat with --accept-rollback.")
            sys.exit(3)
    db.session.close()
    db.engine.dispose()  # no connection of ours holds the tables being replaced
    try:
        backup.replace_live(url, backup_file)
    except backup.BackupError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    record_event(
        db.session,
        category=EventCategory.SECURITY,
        action="backup.restore",
        outcome=Outcome.SUCCESS,
        actor=None,
        origin=Origin.cli(),
        data={
            "backup": backup_file.name,
            "log_size": check.log_size,
            "checkpoint": {k: checkpoint.get(k) for k in ("tree_size", "root_hash", "timestamp", "key_id")},
            "rollback": check.rollback,
            "lost_entries": max(lost, 0) if check.rollback else 0,
        },
    )
    db.session.commit()
    if check.rollback:
        click.echo(f"Restored with an acknowledged rollback of {lost} entries (recorded).")
    else:
        click.echo(
            f"Restored and verified: {report.events} events; the log ({check.log_size} entries) extends "
            f"the checkpoint of {checkpoint.get('timestamp')}."
        )


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
    from custody.audit.witnessing import push_if_configured
    from custody.domain.actor import Origin

    push_if_configured(db.engine, current_settings(), origin=Origin.cli())
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
    click.echo(
        f"vkey:       {document['vkey']}  (for witnesses: python -m custody.witness init … --log-vkey)"
    )
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


# -- witnesses of the audit log (docs/LEDGER.md §11) ----------------------------------------------------


@custody_cli.command("witness-key")
@click.option(
    "--name", required=True, help="The witness's key name, e.g. witness.pudong-police.example/custody"
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write a new private key here (readable by its owner only).",
)
@click.option(
    "--key",
    "key_file",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Print the verifier key of this existing key file instead.",
)
def witness_key_command(name: str, out: str | None, key_file: str | None):
    """Create an agency's witness key (kept by the agency) and print only its public verifier key.

    The private key never appears on screen; the printed verifier key is what the agency registers
    with the log (``flask custody witness register``). The stand-alone witness
    (``python -m custody.witness``) uses the same key file.
    """
    from custody.audit.note import NoteError, valid_key_name
    from custody.witness.core import WitnessError, generate_key_file, read_key_file, witness_vkey

    if not valid_key_name(name):
        click.echo("Error: a key name has no spaces and no '+'", err=True)
        sys.exit(2)
    if (out is None) == (key_file is None):
        click.echo("Error: give either --out (a new key) or --key (an existing one)", err=True)
        sys.exit(2)
    try:
        key = generate_key_file(Path(out)) if out else read_key_file(Path(str(key_file)))
    except FileExistsError:
        click.echo(f"Error: {out} exists already; a witness key is never overwritten", err=True)
        sys.exit(2)
    except (WitnessError, NoteError, OSError) as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    click.echo(witness_vkey(name, key).vkey)


witness_cli = AppGroup("witness", help="The witnesses that cosign the audit log's checkpoints.")
custody_cli.add_command(witness_cli)


def _registry(change) -> None:
    """Run one registry change as the operator, commit it, print the resulting policy version."""
    from custody.audit.ledger import current_settings
    from custody.audit.witnessing import latest_recorded_policy
    from custody.domain.actor import Origin

    try:
        change(current_settings(), Origin.cli())
    except DomainError as error:
        db.session.rollback()
        _fail(error)
    db.session.commit()
    policy = latest_recorded_policy(db.session)
    if policy is not None:
        click.echo(f"Trust policy version {policy.version} (sha256 {policy.sha256[:16]}…) is on the record.")


@witness_cli.command("register")
@click.option("--name", required=True, help="Its name in the policy, e.g. the agency code PDGA.")
@click.option(
    "--vkey", required=True, help="Its verifier key (printed by witness-key or the witness's init)."
)
@click.option("--agency", "agency_code", default=None, help="The agency that runs it (code).")
@click.option("--display-name", default=None)
@click.option("--url", default=None, help="Its submission prefix, to push checkpoints (omit if it polls).")
def witness_register_command(
    name: str, vkey: str, agency_code: str | None, display_name: str | None, url: str | None
):
    """Register a witness and its first key (an audited change of the trust policy)."""
    from custody.audit.witnessing import register_witness

    _registry(
        lambda settings, origin: register_witness(
            db.session,
            settings,
            None,
            name=name,
            vkey=vkey,
            agency_code=agency_code,
            display_name=display_name,
            url=url,
            origin=origin,
        )
    )
    click.echo(f"Registered witness {name}.")


@witness_cli.command("add-key")
@click.option("--name", required=True)
@click.option("--vkey", required=True)
def witness_add_key_command(name: str, vkey: str):
    """Add a witness's new key: the start of a rotation (both count until the old one is retired)."""
    from custody.audit.witnessing import add_key

    _registry(
        lambda settings, origin: add_key(db.session, settings, None, name=name, vkey=vkey, origin=origin)
    )
    click.echo(f"Added a key to witness {name}.")


@witness_cli.command("retire-key")
@click.argument("key")
def witness_retire_key_command(key: str):
    """Stop trusting one witness key (its verifier key or 8-hex-digit key ID): the end of a rotation."""
    from custody.audit.witnessing import retire_key

    _registry(lambda settings, origin: retire_key(db.session, settings, None, key=key, origin=origin))
    click.echo(f"Retired key {key}.")


@witness_cli.command("retire")
@click.option("--name", required=True)
def witness_retire_command(name: str):
    """Stop counting a witness altogether."""
    from custody.audit.witnessing import retire_witness

    _registry(lambda settings, origin: retire_witness(db.session, settings, None, name=name, origin=origin))
    click.echo(f"Retired witness {name}.")


@witness_cli.command("set-url")
@click.option("--name", required=True)
@click.option("--url", default=None, help="The submission prefix; omit to switch the witness to polling.")
def witness_set_url_command(name: str, url: str | None):
    """Where checkpoints are pushed to a witness (not part of the trust policy, but recorded)."""
    from custody.audit.witnessing import set_url

    _registry(lambda settings, origin: set_url(db.session, settings, None, name=name, url=url, origin=origin))
    click.echo(f"Witness {name}: {'push to ' + url if url else 'polls the log'}.")


@witness_cli.command("policy")
@click.option(
    "--record", is_flag=True, help="Record the policy as it now stands (after a key or quorum change)."
)
def witness_policy_command(record: bool):
    """Print the trust policy (C2SP tlog-policy) that verifiers take with --policy."""
    from custody.audit.ledger import current_settings
    from custody.audit.witnessing import (
        current_policy,
        policy_is_recorded,
        policy_text,
        record_current_policy,
    )

    settings = current_settings()
    if record:
        _registry(lambda settings, origin: record_current_policy(db.session, settings, None, origin))
    click.echo(policy_text(current_policy(db.session, settings)), nl=False)
    if not policy_is_recorded(db.session, settings):
        click.echo(
            "Warning: this policy is not the last one recorded (a key or the quorum changed): run with --record.",
            err=True,
        )


@witness_cli.command("list")
def witness_list_command():
    """Each witness: its keys, what it last cosigned, how far it lags, how the last push went."""
    from custody.audit.ledger import current_settings
    from custody.audit.witnessing import witness_overview

    overview = witness_overview(db.session, current_settings())
    witnessed = overview["witnessed_checkpoint"]
    click.echo(f"log {overview['origin']}: {overview['log_size']} entries; quorum {overview['quorum']}")
    click.echo(
        "latest witnessed checkpoint: "
        + (
            f"{witnessed.tree_size} entries ({', '.join(overview['witnessed_by']) or 'no witness needed'})"
            if witnessed
            else "none"
        )
    )
    for row in overview["witnesses"]:
        state = "" if row["active"] else " (retired)"
        last = (
            f"cosigned {row['last_cosigned_size']} entries at {row['last_cosigned_at']:%Y-%m-%d %H:%M:%S}Z"
            if row["last_cosigned_size"] is not None
            else "never cosigned"
        )
        click.echo(
            f"{row['name']}{state} [{row['mode']}]: {last}; lag {row['lag']}; last push: {row['last_status']}"
            + (f" — {row['last_message']}" if row["last_message"] else "")
        )
        for key in row["keys"]:
            click.echo(f"  key {key['key_id']}{' retired' if key['retired_at'] else ''}: {key['vkey']}")


@witness_cli.command("push")
@click.option("--watch", type=float, default=None, help="Keep pushing every this many seconds.")
@click.option("--no-sign", is_flag=True, help="Only send the latest checkpoint; do not sign the head first.")
def witness_push_command(watch: float | None, no_sign: bool):
    """Sign the head if it grew, send the latest checkpoint to the push witnesses, store their cosignatures.

    Exit status 1 when a witness refused (evidence: see the audit log page), else 0.
    """
    import time

    from custody.audit.ledger import current_settings
    from custody.audit.witnessing import push
    from custody.domain.actor import Origin

    while True:
        results = push(db.engine, current_settings(), sign=not no_sign, origin=Origin.cli())
        for result in results:
            click.echo(f"{result.witness}: {result.status}: {result.message}")
        if not results:
            click.echo("No push witness needed this checkpoint.")
        if watch is None:
            sys.exit(1 if any(r.status == "refused" for r in results) else 0)
        time.sleep(watch)
