"""The web layer: blueprints per audience, error pages and JSON errors, the login loader."""

from __future__ import annotations

from datetime import timedelta

from flask import (
    Flask,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from trainer.core.engine import Verdict
from trainer.extensions import csrf, db, login_manager
from trainer.models import User
from trainer.scoring.ladder import NextStep, next_step
from trainer.services import accounts
from trainer.services.practice import PLAYERS
from trainer.web import letters, terms
from trainer.web.access import home_url
from trainer.web.params import RowIdConverter, text_problem
from trainer.web.scorer import rubric


def register(app: Flask) -> None:
    from trainer.web import health
    from trainer.web.admin import bp as admin_bp
    from trainer.web.api import bp as api_bp
    from trainer.web.auth import bp as auth_bp
    from trainer.web.practice import bp as practice_bp
    from trainer.web.reports import bp as reports_bp
    from trainer.web.studio import bp as studio_bp

    # Before any rule is added: every <int:...> in a route is bounded (see RowIdConverter).
    app.url_map.converters["int"] = RowIdConverter
    app.register_blueprint(auth_bp)
    app.register_blueprint(practice_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(studio_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(api_bp)
    csrf.exempt(api_bp)  # bearer tokens, no cookies: nothing for a forged request to ride on

    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
    login_manager.user_loader(_load_user)
    app.before_request(_refuse_unstorable_text)
    app.before_request(_require_own_password)
    app.after_request(_keep_session_use)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    app.add_url_rule("/", "index", _index)
    health.register(app)

    app.add_template_filter(highlight)
    app.add_template_filter(duration)
    app.add_template_filter(terms.mood_word)
    app.add_template_filter(terms.sector_name)
    app.add_template_global(terms.SERVICE_LEVEL_NAMES, "service_levels")
    app.add_template_global(terms.LANGUAGES, "languages")
    app.add_template_global(terms.LANGUAGE_NAMES, "language_names")
    app.add_template_global(terms.OUTCOMES, "outcomes")
    app.add_template_global(terms.DISPUTE_STATUSES, "dispute_statuses")
    app.add_template_global(terms.ROLE_NAMES, "role_names")
    app.add_template_global(terms.PURPOSES, "purposes")
    app.add_template_global(PLAYERS, "players")
    app.add_template_global(terms.scale_title)
    app.add_template_global(terms.level_descriptor)
    app.add_template_global(step_above)
    app.add_template_global(letters.can_mail)
    app.add_template_global(verdict_step)


def step_above(feedback: dict, level: int) -> NextStep | None:
    """What a scored reply lacks for the next service level, from its explained feedback."""
    levels = {name: d["level"] for name, d in feedback["dimensions"].items()}
    return next_step(levels, [f["name"] for f in feedback["flags"]], level, rubric())


def verdict_step(verdict: Verdict) -> NextStep | None:
    """What a reply the engine judged (an exemplar in the check) lacks for the next level."""
    return next_step(verdict.levels, sorted(verdict.flags), verdict.service_level, rubric())


def highlight(text: str, sentences: list[str]) -> Markup:
    """The text, escaped, with each evidence sentence marked."""
    html = str(escape(text))
    for sentence in sorted(set(sentences), key=len, reverse=True):
        needle = str(escape(sentence))
        if needle and needle in html:
            html = html.replace(needle, f"<mark>{needle}</mark>", 1)
    return Markup(html)


def duration(seconds: int | None) -> str:
    if seconds is None:
        return "-"
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"


def _load_user(secret: str) -> User | None:
    config = current_app.config
    policy = accounts.SessionPolicy(
        max_age=timedelta(hours=config["SESSION_MAX_HOURS"]),
        idle=timedelta(minutes=config["SESSION_IDLE_MINUTES"]),
    )
    check = accounts.session_user(secret, policy)
    if check.touched is not None:
        row = check.touched
        g.session_use = (row.id, row.revoked_at or row.last_seen_at, check.expired)
    if check.user is not None:
        check.user.session_secret = secret
    return check.user


def _keep_session_use(response):
    """A page that only reads commits nothing: the session's last request is written here."""
    use = g.pop("session_use", None)
    if use is None or response.is_streamed:
        return response
    db.session.rollback()  # what the view did not commit was not meant to last
    accounts.record_session_use(*use)
    db.session.commit()
    return response


def _index():
    if current_user.is_authenticated:
        return redirect(home_url(current_user))
    return redirect(url_for("practice.index"))


def _refuse_unstorable_text() -> None:
    """A query or form value, or an idempotency key (stored with the reply it names), that the
    database could not store is refused before any view runs."""
    key = request.headers.get("Idempotency-Key")
    for values in (request.args, request.form, MultiDict({"Idempotency-Key": key} if key else {})):
        for name, texts in values.lists():
            problem = text_problem([name, *texts])
            if problem:
                abort(400, f"{name[:40]!r} {problem}")


#: What someone with a generated password may still do: choose their own, or leave.
OWN_PASSWORD_EXEMPT = {
    "auth.password",
    "auth.set_password",
    "auth.logout",
    "static",
    "healthz",
    "readyz",
}


def _require_own_password():
    """A password generated for someone (by an admin, an import, the CLI) has been on a screen or
    in a file: they choose their own before anything else. API tokens are issued deliberately and
    are not held up."""
    if request.blueprint == "api" or request.endpoint in OWN_PASSWORD_EXEMPT:
        return None
    if not (current_user.is_authenticated and current_user.password_must_change):
        return None
    if wants_json():
        return error_response(
            403, "password_must_change", "choose your own password first at /auth/password"
        )
    flash(_("Choose your own password first: the one you were given was made for you."), "info")
    return redirect(url_for("auth.password"))


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def error_response(status: int, code: str, message: str):
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    return response


def _http_error(exc: HTTPException):
    code = (exc.name or "error").lower().replace(" ", "_")
    if wants_json():
        response = error_response(exc.code or 500, code, exc.description or exc.name)
        if exc.code == 429 and exc.response is not None:
            response.headers.update(
                {k: v for k, v in exc.response.headers.items() if k.startswith(("Retry", "X-Rate"))}
            )
        return response
    return render_template("errors/error.html", error=exc), exc.code


def _unexpected_error(exc: Exception):
    db.session.rollback()
    from flask import current_app

    current_app.logger.exception("unhandled error")
    if wants_json():
        return error_response(500, "internal_error", "something went wrong on our side")
    return render_template(
        "errors/error.html", error=HTTPException(description="Something went wrong on our side.")
    ), 500
