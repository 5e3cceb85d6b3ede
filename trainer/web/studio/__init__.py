"""The trainer studio: scenario authoring and versions, the review queue, disputes, agreement,
assignments."""

from flask import Blueprint

bp = Blueprint("studio", __name__, url_prefix="/studio")

from trainer.web.studio import routes  # noqa: E402, F401
