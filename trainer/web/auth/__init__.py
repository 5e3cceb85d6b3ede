"""Log in, log out, change password."""

from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/auth")

from trainer.web.auth import routes  # noqa: E402, F401
