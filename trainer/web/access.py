"""Role checks for pages: who may open which route."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING

from flask import abort, url_for
from flask_login import current_user, login_required

if TYPE_CHECKING:
    from trainer.models import User


def roles_required(*roles: str) -> Callable:
    """Logged in (else the login page), and one of ``roles`` (else 403)."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def checked(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return checked

    return decorate


#: Where each role lands after logging in: the page of its daily work.
HOME = {
    "agent": "practice.index",
    "trainer": "studio.index",
    "hr": "reports.team",
    "admin": "admin.users",
}


def home_url(user: User) -> str:
    """Where a user lands after logging in (and at ``/``)."""
    return url_for(HOME[user.role])
