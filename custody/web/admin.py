"""Administration pages: users, agencies, storage locations (admins only)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from custody.access import current_actor
from custody.domain.enums import AgencyKind, Role, StorageHolds, StorageKind
from custody.domain.errors import DomainError
from custody.domain.policy import Action, require
from custody.extensions import db
from custody.models.agency import Agency, CustodyCentre
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
from .helpers import show_domain_error, submit_form

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

    def create() -> tuple[str, str]:
        user = accounts.create_user(
            db.session,
            actor,
            username=form.username.data,
            display_name=form.display_name.data,
            agency_id=form.agency_id.data,
            roles=[Role(r) for r in form.roles.data],
            password=form.password.data,
            locale=form.locale.data,
        )
        return _("User %(username)s created.", username=user.username), url_for("admin.users")

    done, status = submit_form(form, create)
    return done or (render_template("admin/users.html", users=all_users, form=form), status)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user_detail(user_id: int):
    actor = current_actor()
    user = accounts.get_user(db.session, actor, user_id)
    form = UserEditForm(prefix="edit", obj=user)
    form.agency_id.choices = _agency_choices()
    form.roles.choices = role_choices()
    if not form.is_submitted():
        form.roles.data = sorted(r.value for r in user.roles)
        form.locale.data = user.locale or "zh_CN"
    password_form = PasswordResetForm(prefix="pw")
    unlock_form = UnlockForm(prefix="unlock")
    mfa_form = MfaResetForm(prefix="mfa")
    status = 200
    try:
        if form.submit.data and form.validate_on_submit():
            accounts.update_user(
                db.session,
                actor,
                user.id,
                display_name=form.display_name.data,
                agency_id=form.agency_id.data,
                roles=[Role(r) for r in form.roles.data],
                is_active=form.is_active.data,
                locale=form.locale.data,
            )
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("admin.user_detail", user_id=user.id))
        if password_form.submit.data and password_form.validate_on_submit():
            accounts.reset_password(db.session, actor, user.id, password_form.password.data)
            db.session.commit()
            flash(_("Password changed; the user's sessions were ended."), "success")
            return redirect(url_for("admin.user_detail", user_id=user.id))
        if unlock_form.submit.data and unlock_form.validate_on_submit():
            accounts.unlock_user(db.session, actor, user.id)
            db.session.commit()
            flash(_("Account unlocked."), "success")
            return redirect(url_for("admin.user_detail", user_id=user.id))
        if mfa_form.submit.data and mfa_form.validate_on_submit():
            mfa.remove(db.session, actor, user.id)
            db.session.commit()
            flash(_("Second factor removed: the user sets up a new one at the next login."), "success")
            return redirect(url_for("admin.user_detail", user_id=user.id))
        if form.is_submitted() and (form.errors or password_form.errors):
            status = 422
    except DomainError as error:
        db.session.rollback()
        show_domain_error(password_form if password_form.submit.data else form, error)
        status = error.status
    return render_template(
        "admin/user_detail.html",
        user=user,
        own=user.id == actor.user_id,
        form=form,
        password_form=password_form,
        unlock_form=unlock_form,
        mfa_form=mfa_form,
    ), status


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
    if remove.submit.data and remove.validate_on_submit():
        try:
            calendar.remove_override(db.session, actor, remove.day.data)
            db.session.commit()
            flash(_("Override removed."), "success")
        except DomainError as error:
            db.session.rollback()
            show_domain_error(None, error)
        return redirect(url_for("admin.calendar_overrides"))

    def create() -> tuple[str, str]:
        calendar.set_override(
            db.session, actor, day=form.day.data, kind=DayKind(form.kind.data), note=form.note.data
        )
        return _("Override recorded."), url_for("admin.calendar_overrides")

    done, status = (None, 200) if remove.submit.data else submit_form(form, create)
    return done or (
        render_template(
            "admin/calendar.html",
            form=form,
            remove=remove,
            overrides=calendar.overrides(db.session),
            missing_years=calendar.years_needing_overrides(db.session, today()),
        ),
        status,
    )


@bp.route("/agencies", methods=["GET", "POST"])
def agencies():
    actor = current_actor()
    require(actor, Action.MANAGE_REFERENCE_DATA)
    form = AgencyForm()

    def create() -> tuple[str, str]:
        agency = accounts.create_agency(
            db.session, actor, code=form.code.data, name=form.name.data, kind=AgencyKind(form.kind.data)
        )
        return _("Agency %(name)s added.", name=agency.name), url_for("admin.agencies")

    done, status = submit_form(form, create)
    rows = accounts.list_agencies(db.session)
    return done or (render_template("admin/agencies.html", agencies=rows, form=form), status)


@bp.route("/agencies/<int:agency_id>", methods=["GET", "POST"])
def agency_detail(agency_id: int):
    actor = current_actor()
    require(actor, Action.MANAGE_REFERENCE_DATA)
    agency = db.get_or_404(Agency, agency_id)
    form = AgencyEditForm(obj=agency)

    def save() -> tuple[str, str]:
        accounts.update_agency(
            db.session, actor, agency.id, name=form.name.data, is_active=form.is_active.data
        )
        return _("Saved."), url_for("admin.agencies")

    done, status = submit_form(form, save)
    return done or (render_template("admin/agency_detail.html", agency=agency, form=form), status)


@bp.route("/locations", methods=["GET", "POST"])
def locations():
    actor = current_actor()
    require(actor, Action.MANAGE_REFERENCE_DATA)
    rows = accounts.all_locations(db.session)
    centres = db.session.scalars(select(CustodyCentre).order_by(CustodyCentre.id)).all()
    form = LocationForm()
    form.centre_id.choices = options((c.id, c.name) for c in centres)
    form.parent_id.choices = options(
        [(0, _("— directly in the centre —"))]
        + [(loc.id, loc.path) for loc in rows if loc.kind is not StorageKind.BIN]
    )

    def create() -> tuple[str, str]:
        location = accounts.create_location(
            db.session,
            actor,
            centre_id=form.centre_id.data,
            kind=StorageKind(form.kind.data),
            code=form.code.data,
            name=form.name.data,
            parent_id=form.parent_id.data or None,
            holds=StorageHolds(form.holds.data) if form.holds.data else None,
        )
        return _("Location %(path)s added.", path=location.path), url_for("admin.locations")

    done, status = submit_form(form, create)
    return done or (
        render_template(
            "admin/locations.html",
            locations=rows,
            centres=centres,
            form=form,
            operator_forms={c.id: _operator_form(c) for c in centres},
        ),
        status,
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
    centre = db.get_or_404(CustodyCentre, centre_id)
    form = CentreOperatorForm(prefix=f"centre{centre.id}")
    form.operator_agency_id.choices = _operator_form(centre).operator_agency_id.choices
    if form.validate_on_submit():
        try:
            accounts.set_centre_operator(
                db.session, actor, centre.id, operator_agency_id=form.operator_agency_id.data or None
            )
            db.session.commit()
            flash(_("Operator of %(centre)s saved.", centre=centre.name), "success")
        except DomainError as error:
            db.session.rollback()
            show_domain_error(None, error)
    else:
        flash(_("Choose an agency from the list."), "error")
    return redirect(url_for("admin.locations", _anchor=f"centre-{centre_id}"))
