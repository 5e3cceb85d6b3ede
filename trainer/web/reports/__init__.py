"""HR and trainer reports: agent scorecards, the team view, exports."""

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")

from trainer.web.reports import routes  # noqa: E402, F401
