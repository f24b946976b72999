"""``flask custody …`` commands: seed-demo, create-user, permissions-doc."""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from custody.domain.enums import Role
from custody.domain.errors import DomainError
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
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Prompted for when not given.")
def create_user_command(username: str, display_name: str, agency_code: str, roles: tuple[str, ...], password: str):
    """Create a user account (for bootstrapping the first administrator)."""
    from custody.services import accounts

    agency = db.session.scalar(select(Agency).where(Agency.code == agency_code.upper()))
    if agency is None:
        click.echo(f"Error: no agency with code {agency_code!r}", err=True)
        sys.exit(1)
    try:
        user = accounts.create_user(
            db.session, None, username=username, display_name=display_name,
            agency_id=agency.id, roles=[Role(r) for r in roles], password=password,
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
    from custody.demo import DEMO_USERS, seed_demo

    password = demo_password()
    try:
        created = seed_demo(db.session, password)
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
