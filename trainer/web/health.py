"""Health checks for a load balancer or an orchestrator: alive (/healthz) and ready (/readyz)."""

from __future__ import annotations

from functools import cache

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from trainer.app import MIGRATIONS
from trainer.extensions import db
from trainer.services.scoring import ScoringUnavailable
from trainer.web.scorer import provider


def register(app: Flask) -> None:
    app.add_url_rule("/healthz", "healthz", healthz)
    app.add_url_rule("/readyz", "readyz", readyz)


def healthz():
    """The process answers (nothing else is checked: a restart would not help the rest)."""
    return jsonify(status="ok")


@cache
def _head(directory: str) -> str | None:
    return ScriptDirectory(directory).get_current_head()


def readyz():
    """Ready for traffic: the database answers at the latest migration and the scorer is loaded.

    The first call loads the scorer (seconds), so a process is ready only once it can score.
    """
    checks: dict[str, str] = {}
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            current = MigrationContext.configure(connection).get_current_revision()
        checks["database"] = "ok"
        checks["migrations"] = "current" if current == _head(str(MIGRATIONS)) else "behind"
    except SQLAlchemyError:
        checks["database"] = "unavailable"
    try:
        provider().get()
        checks["scorer"] = "ok"
    except ScoringUnavailable:
        checks["scorer"] = "unavailable"
    ready = checks.get("database") == "ok" and checks.get("migrations") == "current"
    ready = ready and checks["scorer"] == "ok"
    return jsonify(status="ready" if ready else "not_ready", checks=checks), 200 if ready else 503
