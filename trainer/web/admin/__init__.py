"""Administration: users, roles, teams, API tokens, the model in use, the audit log."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from trainer.web.admin import routes  # noqa: E402, F401
