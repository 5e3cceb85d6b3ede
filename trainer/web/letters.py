"""The e-mails the app sends (links to choose a password), in the reader's language."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from flask import Response, current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from trainer.mail import Letter, MailSettings, Undelivered, send
from trainer.models import Assignment, ScenarioVersion, User
from trainer.services import accounts, audit
from trainer.web.terms import PURPOSES, ROLE_NAMES

log = logging.getLogger(__name__)


def mail_settings() -> MailSettings | None:
    """The mail server, or None when none is configured (then no page offers to e-mail)."""
    return current_app.config.get("TRAINER_MAIL")


def can_mail() -> bool:
    """Whether pages may offer to e-mail (also a template global)."""
    return mail_settings() is not None


def password_letter(user: User, kind: str, actor: User | None) -> Letter:
    """A link to choose a password: ``reset`` for someone who forgot theirs, ``invitation`` for
    a new account. Recorded in the audit log (never the link)."""
    token = accounts.password_link_token(user, kind, current_app.config["SECRET_KEY"])
    link = url_for("auth.set_password", token=token, _external=True)
    audit.record("user.password_link", actor=actor, subject=f"user:{user.id}", kind=kind)
    if kind == "reset":
        return Letter(
            user.email,
            _("Choose a new password for the escalation trainer"),
            _(
                "Hello %(name)s,\n\nSomeone, we hope you, asked to choose a new password for "
                "%(email)s. This link lets you do so within the next hour, once:\n\n%(link)s\n\n"
                "If it was not you, ignore this e-mail: your password stays as it is.\n",
                name=user.name,
                email=user.email,
                link=link,
            ),
        )
    return Letter(
        user.email,
        _("Your account on the escalation trainer"),
        _(
            "Hello %(name)s,\n\nAn account was made for you on the escalation trainer: "
            "%(email)s, as %(role)s. Choose your password with this link within 7 days:\n\n"
            "%(link)s\n\nThen log in at %(login)s.\n",
            name=user.name,
            email=user.email,
            role=ROLE_NAMES[user.role],
            link=link,
            login=url_for("auth.login", _external=True),
        ),
    )


def assignment_letter(user: User, assignment: Assignment, version: ScenarioVersion) -> Letter:
    """An agent's notice of a new assignment, in the scenario's language (the language the
    agent is trained to serve in; no other preference of theirs is stored)."""
    with force_locale(version.language):
        attempts = (
            _("%(n)s attempts are allowed.", n=assignment.max_attempts)
            if assignment.max_attempts
            else ""
        )
        return Letter(
            user.email,
            _("New assignment: %(title)s", title=version.title),
            _(
                "Hello %(name)s,\n\nYou have a new scenario to play, as %(mode)s: %(title)s. "
                "It is due by %(due)s UTC. %(attempts)s\n\nYour assignments: %(link)s\n",
                name=user.name,
                mode=PURPOSES[assignment.mode],
                title=version.title,
                due=assignment.due_at.strftime("%Y-%m-%d %H:%M"),
                attempts=attempts,
                link=url_for("practice.assignments", _external=True),
            ),
        )


def send_letters(letters: Sequence[Letter]) -> list[Undelivered]:
    """Send through the configured server while a page waits, for at most MAIL_SEND_SECONDS;
    the letters not sent, each logged with why."""
    return _send_logged(_configured(), letters, current_app.config["MAIL_SEND_SECONDS"])


def send_after(response: Response, letters: Sequence[Letter]) -> Response:
    """Send once the response has gone out: the page does not wait for the mail server, and
    takes as long whether or not there was a letter to send."""
    settings = _configured()
    response.call_on_close(lambda: _send_logged(settings, letters))
    return response


def _configured() -> MailSettings:
    settings = mail_settings()
    if settings is None:
        raise RuntimeError("no mail server is configured (TRAINER_MAIL_URL)")
    return settings


def _send_logged(
    settings: MailSettings, letters: Sequence[Letter], seconds: float | None = None
) -> list[Undelivered]:
    undelivered = send(settings, letters, seconds)
    for failure in undelivered:
        log.warning("e-mail to %s not sent: %s", failure.letter.to, failure.reason)
    return undelivered
