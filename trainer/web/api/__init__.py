"""HTTP API v1 (DESIGN.md): bearer tokens, JSON in and out, JSON errors."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from trainer.web.api import reports, routes, spec  # noqa: E402, F401
