"""Administration pages: users, agencies, storage locations (admins only)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required

from custody.access import current_actor
from custody.domain.enums import AgencyKind, Role, StorageHolds, StorageKind
from custody.domain.policy import Action, require
from custody.extensions import db
from custody.models.agency import CustodyCentre
from custody.models.user import User
from custody.services import accounts, mfa

from .forms import (
    AgencyEditForm,
    AgencyForm,
    CalendarOverrideForm,
    CentreOperatorForm,
    LocationForm,
    MfaResetForm,
    PasswordResetForm,
    RemoveOverrideForm,
    UnlockForm,
    UserCreateForm,
    UserEditForm,
    options,
    role_choices,
)
from .helpers import PageForms, Submission, submit

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def _require_login() -> None:
    """Every admin page needs a login; each view then asks the policy for its own action."""


def _agency_choices():
    return options((a.id, a.name) for a in accounts.list_agencies(db.session))


@bp.route("/users", methods=["GET", "POST"])
def users():
    actor = current_actor()
    all_users = accounts.list_users(db.session, actor)
    form = UserCreateForm()
    form.agency_id.choices = _agency_choices()
    form.roles.choices = role_choices()

    def create() -> User:
        return accounts.create_user(
            db.session,
            actor,
            username=form.username.data,
            display_name=form.display_name.data,
            agency_id=form.agency_id.data,
            roles=[Role(r) for r in form.roles.data],
            password=form.password.data,
            locale=form.locale.data,
        )

    return submit(
        form,
        create,
        done=lambda user: _("User %(username)s created.", username=user.username),
        to=url_for("admin.users"),
    ).or_render(lambda: render_template("admin/users.html", users=all_users, form=form))


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user_detail(user_id: int):
    actor = current_actor()
    user = accounts.get_user(db.session, actor, user_id)
    pages = PageForms("edit", "pw", "unlock", "mfa")
    form = pages.bind(UserEditForm, "edit", obj=user)
    form.agency_id.choices = _agency_choices()
    form.roles.choices = role_choices()
    if pages.posted != "edit":
        form.roles.data = sorted(r.value for r in user.roles)
        form.locale.data = user.locale or "zh_CN"
    password_form = pages.bind(PasswordResetForm, "pw")
    unlock_form = pages.bind(UnlockForm, "unlock")
    mfa_form = pages.bind(MfaResetForm, "mfa")
    here = url_for("admin.user_detail", user_id=user.id)
    # Each of the page's forms: the service it calls and what is said when it is done.
    calls = {
        "edit": (
            form,
            lambda: accounts.update_user(
                db.session,
                actor,
                user.id,
                display_name=form.display_name.data,
                agency_id=form.agency_id.data,
                roles=[Role(r) for r in form.roles.data],
                is_active=form.is_active.data,
                locale=form.locale.data,
            ),
            _("Saved."),
        ),
        "pw": (
            password_form,
            lambda: accounts.reset_password(db.session, actor, user.id, password_form.password.data),
            _("Password changed; the user's sessions were ended."),
        ),
        "unlock": (
            unlock_form,
            lambda: accounts.unlock_user(db.session, actor, user.id),
            _("Account unlocked."),
        ),
        "mfa": (
            mfa_form,
            lambda: mfa.remove(db.session, actor, user.id),
            _("Second factor removed: the user sets up a new one at the next login."),
        ),
    }
    outcome = Submission(None, 200)
    if pages.posted:
        posted, call, said = calls[pages.posted]
        outcome = submit(posted, call, done=said, to=here)
    return outcome.or_render(
        lambda: render_template(
            "admin/user_detail.html",
            user=user,
            own=user.id == actor.user_id,
            form=form,
            password_form=password_form,
            unlock_form=unlock_form,
            mfa_form=mfa_form,
        )
    )


@bp.route("/calendar", methods=["GET", "POST"])
def calendar_overrides():
    """The working-day calendar: days off and 调休 working days the holiday package does not know."""
    from custody.domain.clock import today
    from custody.domain.workdays import DayKind
    from custody.services import calendar

    actor = current_actor()
    require(actor, Action.MANAGE_REFERENCE_DATA)
    form = CalendarOverrideForm()
    form.kind.choices = options((k.value, _(k.label)) for k in DayKind)
    remove = RemoveOverrideForm(prefix="remove")
    here = url_for("admin.calendar_overrides")
    if remove.submit.data:
        outcome = submit(
            remove,
            lambda: calendar.remove_override(db.session, actor, remove.day.data),
            done=_("Override removed."),
            to=here,
        )
        # A refused removal is said at the top of the list it was asked from.
        return outcome.response or redirect(here)
    outcome = submit(
        form,
        lambda: calendar.set_override(
            db.session, actor, day=form.day.data, kind=DayKind(form.kind.data), note=form.note.data
        ),
        done=_("Override recorded."),
        to=here,
    )
    return outcome.or_render(
        lambda: render_template(
            "admin/calendar.html",
            form=form,
            remove=remove,
            overrides=calendar.overrides(db.session),
            missing_years=calendar.years_needing_overrides(db.session, today()),
        )
    )


@bp.route("/agencies", methods=["GET", "POST"])
def agencies():
    actor = current_actor()
    require(actor, Action.MANAGE_REFERENCE_DATA)
    form = AgencyForm()

    return submit(
        form,
        lambda: accounts.create_agency(
            db.session, actor, code=form.code.data, name=form.name.data, kind=AgencyKind(form.kind.data)
        ),
        done=lambda agency: _("Agency %(name)s added.", name=agency.name),
        to=url_for("admin.agencies"),
    ).or_render(
        lambda: render_template("admin/agencies.html", agencies=accounts.list_agencies(db.session), form=form)
    )


@bp.route("/agencies/<int:agency_id>", methods=["GET", "POST"])
def agency_detail(agency_id: int):
    actor = current_actor()
    require(actor, Action.MANAGE_REFERENCE_DATA)
    agency = accounts.get_agency(db.session, agency_id)
    form = AgencyEditForm(obj=agency)

    return submit(
        form,
        lambda: accounts.update_agency(
            db.session, actor, agency.id, name=form.name.data, is_active=form.is_active.data
        ),
        done=_("Saved."),
        to=url_for("admin.agencies"),
    ).or_render(lambda: render_template("admin/agency_detail.html", agency=agency, form=form))


@bp.route("/locations", methods=["GET", "POST"])
def locations():
    actor = current_actor()
    require(actor, Action.MANAGE_REFERENCE_DATA)
    rows = accounts.all_locations(db.session)
    centres = accounts.list_centres(db.session)
    form = LocationForm()
    form.centre_id.choices = options((c.id, c.name) for c in centres)
    form.parent_id.choices = options(
        [(0, _("— directly in the centre —"))]
        + [(loc.id, loc.path) for loc in rows if loc.kind is not StorageKind.BIN]
    )

    def create():
        return accounts.create_location(
            db.session,
            actor,
            centre_id=form.centre_id.data,
            kind=StorageKind(form.kind.data),
            code=form.code.data,
            name=form.name.data,
            parent_id=form.parent_id.data or None,
            holds=StorageHolds(form.holds.data) if form.holds.data else None,
        )

    return submit(
        form,
        create,
        done=lambda location: _("Location %(path)s added.", path=location.path),
        to=url_for("admin.locations"),
    ).or_render(
        lambda: render_template(
            "admin/locations.html",
            locations=rows,
            centres=centres,
            form=form,
            operator_forms={c.id: _operator_form(c) for c in centres},
        )
    )


def _operator_form(centre: CustodyCentre) -> CentreOperatorForm:
    form = CentreOperatorForm(
        formdata=None, prefix=f"centre{centre.id}", operator_agency_id=centre.operator_agency_id or 0
    )
    form.operator_agency_id.choices = options(
        [(0, _("— none: each custodian agency's own keepers —"))]
        + [
            (a.id, f"{a.name}（{_(a.kind.label)}）")
            for a in accounts.list_agencies(db.session)
            if a.is_active or a.id == centre.operator_agency_id
        ]
    )
    return form


@bp.route("/centres/<int:centre_id>/operator", methods=["POST"])
def centre_operator(centre_id: int):
    """三方共管 with an operator: name the agency whose keepers run this centre for every custodian."""
    actor = current_actor()
    require(actor, Action.MANAGE_REFERENCE_DATA)
    centre = accounts.get_centre(db.session, centre_id)
    form = CentreOperatorForm(prefix=f"centre{centre.id}")
    form.operator_agency_id.choices = _operator_form(centre).operator_agency_id.choices
    here = url_for("admin.locations", _anchor=f"centre-{centre_id}")
    outcome = submit(
        form,
        lambda: accounts.set_centre_operator(
            db.session, actor, centre.id, operator_agency_id=form.operator_agency_id.data or None
        ),
        done=_("Operator of %(centre)s saved.", centre=centre.name),
        to=here,
    )
    if outcome.status == 422:
        flash(_("Choose an agency from the list."), "error")
    # The form lives on the locations page: a refusal is said there.
    return outcome.response or redirect(here)
