"""Practice pages: scenario list, briefing, the chat with feedback, the summary, history."""

from flask import Blueprint

bp = Blueprint("practice", __name__, url_prefix="/practice")

from trainer.web.practice import routes  # noqa: E402, F401
