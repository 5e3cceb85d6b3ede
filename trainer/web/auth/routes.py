"""Account views: thin, the services do the work; each commits once."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from trainer.extensions import db, limiter
from trainer.models import User
from trainer.services import accounts, audit
from trainer.web.access import home_url
from trainer.web.auth import bp
from trainer.web.auth.forms import ForgotForm, LoginForm, NewPasswordForm, PasswordForm
from trainer.web.letters import can_mail, password_letter, send_after


def password_policy() -> accounts.PasswordPolicy:
    config = current_app.config
    return accounts.PasswordPolicy(config["PASSWORD_MEMORY_KIB"], config["PASSWORD_TIME_COST"])


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _turned_away(response: Response) -> bool:
    """Only a login that let nobody in counts against the address: a class that logs in at
    once from one address (a training room behind one router) must not be refused."""
    return response.status_code != 302


def _safe_next(target: str | None, user: User) -> str:
    # Only paths on this site: an absolute or scheme-relative URL would be an open redirect.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return home_url(user)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_turned_away)
def login():
    if current_user.is_authenticated:
        return redirect(home_url(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data, password_policy())
        if user is not None:
            user.session_secret = accounts.open_session(user)
            audit.record(
                "user.login", actor=user, subject=f"user:{user.id}", ip=request.remote_addr
            )
            db.session.commit()
            login_user(user)
            return redirect(_safe_next(request.args.get("next"), user))
        audit.record("user.login_failed", ip=request.remote_addr, email=form.email.data[:254])
        db.session.commit()
        flash(_("E-mail or password is wrong."), "error")
    return render_template("auth/login.html", form=form)


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def forgot():
    if not can_mail():
        abort(404)
    form = ForgotForm()
    if form.validate_on_submit():
        user = accounts.find_user(form.email.data)
        letters = []
        if user is not None and user.active and user.erased_at is None:
            limit = current_app.config["PASSWORD_RESET_LETTERS"]
            if accounts.reset_letter_allowed(user, limit):
                letters.append(password_letter(user, "reset", actor=None))
            else:
                audit.record(
                    "user.password_link_withheld", subject=f"user:{user.id}", ip=request.remote_addr
                )
            db.session.commit()
        # The same answer, as fast, whether or not the address has an account: the page tells
        # nobody which addresses exist.
        flash(
            _(
                "If %(email)s has an account, a link to choose a new password is on its way. "
                "It works for an hour.",
                email=form.email.data.strip(),
            ),
            "info",
        )
        return send_after(redirect(url_for("auth.login")), letters)
    return render_template("auth/forgot.html", form=form)


@bp.route("/set-password/<token>", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def set_password(token: str):
    user = accounts.password_link_user(token, current_app.config["SECRET_KEY"])
    if user is None:
        page = render_template("auth/link_expired.html")
        return page, 410
    form = NewPasswordForm()
    if form.validate_on_submit():
        accounts.change_password(user, form.new.data, password_policy())
        db.session.commit()
        logout_user()  # whoever was logged in on this browser, the link's owner logs in anew
        flash(_("Your password is set. Log in with it."), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/set_password.html", form=form, user=user)


@bp.post("/logout")
@login_required
def logout():
    accounts.revoke_session(current_user.session_secret)
    audit.record("user.logout", actor=current_user, subject=f"user:{current_user.id}")
    db.session.commit()
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        policy = password_policy()
        if not accounts.check_password(current_user, form.current.data, policy):
            form.current.errors.append(_("This is not your current password."))
        else:
            user = current_user._get_current_object()
            accounts.change_password(user, form.new.data, policy)
            # Every session ended, this one included; the user goes on in a fresh one.
            user.session_secret = accounts.open_session(user)
            db.session.commit()
            login_user(user)
            flash(_("Password changed; every other session is logged out."), "info")
            return redirect(url_for("practice.index"))
    return render_template("auth/password.html", form=form)
