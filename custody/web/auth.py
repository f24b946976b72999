"""Log in, log out, switch language."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from custody.access import request_origin
from custody.errors import translate
from custody.extensions import db
from custody.services import auth as auth_service

from .forms import LanguageForm, LoginForm, LogoutForm
from .helpers import is_safe_next

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    next_url = request.args.get("next")
    if not is_safe_next(next_url):
        next_url = None
    if current_user.is_authenticated:
        return redirect(next_url or url_for("main.home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        config = current_app.config
        outcome = auth_service.authenticate(
            db.session,
            form.username.data,
            form.password.data,
            request_origin(),
            policy=auth_service.LoginPolicy(
                max_failures=config["CUSTODY_LOGIN_MAX_FAILURES"],
                lockout=timedelta(minutes=config["CUSTODY_LOCKOUT_MINUTES"]),
            ),
        )
        if outcome.ok:
            chosen = session.get("locale")
            if chosen and chosen != outcome.user.locale:  # a language picked on the login page sticks
                outcome.user.locale = chosen
            login = auth_service.start_login_session(db.session, outcome.user, request_origin())
            db.session.commit()
            locale = session.get("locale")
            session.clear()  # no session fixation: a fresh session for the new login
            if locale:
                session["locale"] = locale
            login_user(outcome.user)
            session.permanent = True  # the idle timeout applies to permanent sessions
            current_app.logger.info("login %s session %s", outcome.user.username, login.id)
            return redirect(next_url or url_for("main.home"))
        db.session.commit()  # the failure count and the security event
        flash(translate(outcome.error), "error")
        status = 401 if outcome.code == "auth.invalid_credentials" else 403
    elif request.method == "POST":
        status = 422
    return render_template("auth/login.html", form=form, next=next_url), status


@bp.post("/logout")
@login_required
def logout():
    form = LogoutForm()
    if form.validate_on_submit():
        credential = current_user.current_credential
        if isinstance(credential, auth_service.LoginSession):
            auth_service.end_login_session(db.session, credential, "logout", request_origin())
            db.session.commit()
        logout_user()
        locale = session.get("locale")
        session.clear()
        if locale:
            session["locale"] = locale
        flash(_("You have been logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/language")
def language():
    form = LanguageForm()
    if form.validate_on_submit():
        session["locale"] = form.locale.data
        if current_user.is_authenticated:
            current_user.locale = form.locale.data
            db.session.commit()
    target = request.form.get("next")
    return redirect(target if is_safe_next(target) else url_for("main.home"))
