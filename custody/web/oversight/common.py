"""What the oversight pages share: the blueprint (every page needs a login), agency and location
names, the button that posts and returns, and the template globals of the inbox and the charts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, g, redirect, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from custody.access import current_actor
from custody.domain.deadlines import AlertRule
from custody.domain.i18n import N_
from custody.domain.policy import Action, allowed
from custody.extensions import db
from custody.services import accounts, alerts

from .. import charts
from ..helpers import submit

bp = Blueprint("oversight", __name__, url_prefix="/oversight")


@bp.before_request
@login_required
def _require_login() -> None:
    """Every oversight page needs a login; each view then asks the policy for its own action."""


INBOX_LIMIT = 5
PAGE_ALERTS = 200


def pairs_as_text(pairs):
    """(id, name) pairs with the ids as text, for a select whose blank choice is ``""``."""
    return [(str(value), label) for value, label in pairs]


def agency_names() -> dict[int, str]:
    """Every agency's name by id, read once per request."""
    if "oversight_agencies" not in g:
        g.oversight_agencies = {agency.id: agency.name for agency in accounts.list_agencies(db.session)}
    return g.oversight_agencies


def location_choices() -> list[tuple[int, str]]:
    return [(loc.id, loc.path) for loc in accounts.all_locations(db.session) if loc.is_active]


def wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return (
        best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def can_do(action: Action) -> bool:
    """Whether the signed-in user may ``action`` at all (a page offers the link or the form)."""
    return allowed(current_actor(), action)


def post_back(
    form: FlaskForm,
    call: Callable[[], Any],
    *,
    done: str | Callable[[Any], str],
    back: str,
    incomplete: str | None = None,
) -> Any:
    """A button that posts and returns to the page it sits on: the page is drawn anew by the
    redirect, so a refusal is flashed there, and ``incomplete`` when the form itself was not."""
    called = False

    def run() -> Any:
        nonlocal called
        called = True
        return call()

    outcome = submit(form, run, done=done, to=back)
    if not called and incomplete and form.is_submitted():
        flash(incomplete, "error")
    return outcome.response or redirect(back)


# The legal source of each deadline rule as the pages show it: the law's name in the user's language,
# without the [LAW]/[DESIGN] tags of the domain's notes (docs/DEADLINES.md keeps those).
RULE_SOURCES: dict[AlertRule, str] = {
    AlertRule.INTO_STORAGE: N_(
        "Provisions on the Management of Property Involved in Cases by Public Security Organs (2015)"
    ),
    AlertRule.UNRELATED_RELEASE: N_("Criminal Procedure Law, art. 145"),
    AlertRule.CHECKOUT_RETURN: N_(
        "Provisions on the Management of Property Involved in Cases by Public Security "
        "Organs: check-out only with approval, until the approved date"
    ),
    AlertRule.FREEZE_EXPIRY: N_(
        "Criminal Procedure Law, art. 144; Provisions on the Procedures for Handling "
        "Criminal Cases by Public Security Organs"
    ),
    AlertRule.SUPPLEMENTARY_INVESTIGATION: N_("Criminal Procedure Law, art. 175 (one month, at most twice)"),
    AlertRule.COURT_EXECUTION: N_(
        "Provisions on the Execution of the Property Parts of Criminal Judgments (2014)"
    ),
    AlertRule.UNCLAIMED_PROPERTY: N_(
        "Provisions on the Procedures for Handling Criminal Cases by Public Security "
        "Organs; Interpretation of the Criminal Procedure Law"
    ),
    AlertRule.HELD_AFTER_CLOSE: N_("Rule of this system: nothing stays held after the case is closed"),
}


@bp.app_template_global("bar_layout")
def bar_chart_layout(rows: list[Any], value: str = "count", fmt: Any = None) -> dict[str, Any]:
    """Where each bar, label and value of a statistics chart goes (custody.web.charts)."""

    def get(row: Any, name: str) -> Any:
        return row.get(name) if isinstance(row, dict) else getattr(row, name, None)

    labels = [_(get(r, "label")) if get(r, "label") else str(get(r, "key")) for r in rows]
    return charts.bar_layout(rows, labels, [get(r, value) or 0 for r in rows], fmt)


@bp.app_template_global("rule_source")
def rule_source(rule: Any) -> str:
    """A deadline rule's legal source in the user's language."""
    msgid = RULE_SOURCES.get(rule)
    return _(msgid) if msgid else ""


@bp.app_template_global("oversight_inbox_alerts")
def inbox_alerts(limit: int = INBOX_LIMIT) -> dict[str, Any]:
    """The signed-in user's most urgent alerts, for the inbox: ``{"rows", "total", "overdue"}``."""
    if not current_user.is_authenticated:
        return {"rows": [], "total": 0, "overdue": 0}
    if "oversight_inbox" not in g:
        found = alerts.alerts_for(db.session, current_actor())
        g.oversight_inbox = {
            "rows": found[:limit],
            "total": len(found),
            "overdue": sum(a.overdue for a in found),
        }
    return g.oversight_inbox


@bp.app_template_global("oversight_agency_name")
def agency_name(agency_id: int | None) -> str:
    return agency_names().get(agency_id, "") if agency_id else ""
