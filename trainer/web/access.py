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


def home_url(user: User) -> str:
    """Where a user lands after logging in: admins on administration, everyone else on practice."""
    return url_for("admin.users" if user.role == "admin" else "practice.index")
