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


@pytest.mark.parametrize(
    ("variable", "value", "problem"),
    [
        ("TRAINER_PROXY_COUNT", "one", "whole number"),
        ("TRAINER_PROXY_COUNT", "-1", "0-10"),
        ("TRAINER_SECURE_COOKIES", "maybe", "1 or 0"),
    ],
)
def test_deployment_settings_are_checked(monkeypatch, tmp_path, variable, value, problem):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=problem):
        load(tmp_path)


def test_cookies_are_https_only_in_production(monkeypatch, tmp_path):
    monkeypatch.delenv("TRAINER_SECURE_COOKIES", raising=False)
    assert load(tmp_path)["SESSION_COOKIE_SECURE"] is False
    production = load(tmp_path, {"TRAINER_ENV": "production", "SECRET_KEY": "x" * 64})
    assert production["SESSION_COOKIE_SECURE"] is production["REMEMBER_COOKIE_SECURE"] is True
    monkeypatch.setenv("TRAINER_SECURE_COOKIES", "0")  # an intranet without TLS, said out loud
    production = load(tmp_path, {"TRAINER_ENV": "production", "SECRET_KEY": "x" * 64})
    assert production["SESSION_COOKIE_SECURE"] is False


def test_production_over_https_sends_hsts_and_secure_cookies(tmp_path):
    app = create_app(
        {
            "TRAINER_ENV": "production",
            "SECRET_KEY": "x" * 64,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite'}",
            "TRAINER_PROXY_COUNT": 1,
        }
    )
    client = app.test_client()
    plain = client.get("/auth/login")
    assert "Strict-Transport-Security" not in plain.headers
    behind_tls = client.get("/auth/login", headers={"X-Forwarded-Proto": "https"})
    assert behind_tls.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "Secure" in behind_tls.headers["Set-Cookie"]
