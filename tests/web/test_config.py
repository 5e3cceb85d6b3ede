"""Configuration: environment overrides, production refuses a development secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from trainer.app import create_app
from trainer.config import DEVELOPMENT_SECRET, ConfigError, load


def test_defaults_use_sqlite_in_instance(monkeypatch):
    for name in ("DATABASE_URL", "SECRET_KEY", "TRAINER_ENV"):
        monkeypatch.delenv(name, raising=False)
    config = load(Path("/srv/instance"))
    assert config["SQLALCHEMY_DATABASE_URI"] == "sqlite:////srv/instance/trainer.sqlite"
    assert config["TRAINER_ENV"] == "development"


def test_environment_overrides(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db/trainer")
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    config = load(Path("/x"))
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db/trainer"
    assert config["SECRET_KEY"] == "s" * 40


@pytest.mark.parametrize("secret", [DEVELOPMENT_SECRET, "short", ""])
def test_production_refuses_a_development_secret(monkeypatch, secret):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"TRAINER_ENV": "production", "SECRET_KEY": secret})


def test_production_starts_with_a_real_secret(tmp_path):
    app = create_app(
        {
            "TRAINER_ENV": "production",
            "SECRET_KEY": "x" * 64,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite'}",
        }
    )
    assert not app.testing


def test_unknown_environment_name(tmp_path):
    with pytest.raises(ConfigError, match="TRAINER_ENV"):
        load(tmp_path, {"TRAINER_ENV": "staging"})


def test_sqlite_runs_in_wal_mode(app):
    from trainer.extensions import db

    with app.app_context():
        mode = db.session.execute(db.text("PRAGMA journal_mode")).scalar()
        db.session.rollback()
    assert mode == "wal"
