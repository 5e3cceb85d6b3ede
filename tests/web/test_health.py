"""Health checks: alive, and ready only with the database migrated and the scorer loaded."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.web.conftest import test_config
from tests.web.test_database import BOTH
from trainer.app import create_app
from trainer.extensions import db


@BOTH
def test_a_migrated_app_with_its_scorer_is_ready(client):
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "current", "scorer": "ok"},
    }


def _broken():
    raise OSError("models/heads.npz is missing")


@pytest.mark.parametrize("app_config", [{"TRAINER_SCORER_FACTORY": _broken}])
def test_without_its_scorer_it_is_alive_but_not_ready(client):
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json["checks"]["scorer"] == "unavailable"
    assert "heads.npz" not in ready.get_data(as_text=True)  # no internals to the outside


def test_a_database_behind_its_migrations_is_not_ready(app, client):
    with app.app_context():
        db.session.execute(text("UPDATE alembic_version SET version_num = '0004'"))
        db.session.commit()
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json["checks"]["migrations"] == "behind"


def test_an_unreachable_database_is_not_ready():
    app = create_app(test_config("postgresql://nobody@127.0.0.1:1/none"))
    ready = app.test_client().get("/readyz")
    assert ready.status_code == 503
    assert ready.json["checks"]["database"] == "unavailable"
