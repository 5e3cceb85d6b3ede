"""Configuration: defaults in one place, overrides from the environment, read by the factory."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from trainer.mail import MailError, MailSettings

#: The secret used when none is configured; refused in production.
DEVELOPMENT_SECRET = "dev-only-not-secret"
#: Environment variables read into the configuration (name -> config key).
ENVIRONMENT = {
    "SECRET_KEY": "SECRET_KEY",
    "DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
    "TRAINER_ENV": "TRAINER_ENV",
    "TRAINER_MODEL_DIR": "TRAINER_MODEL_DIR",
    "TRAINER_SCENARIO_DIR": "TRAINER_SCENARIO_DIR",
    "TRAINER_CUSTOMER_LM": "TRAINER_CUSTOMER_LM",
    "RATELIMIT_STORAGE_URI": "RATELIMIT_STORAGE_URI",
    "API_RATE_LIMIT": "API_RATE_LIMIT",
    "TRAINER_PROXY_COUNT": "TRAINER_PROXY_COUNT",
    "TRAINER_SECURE_COOKIES": "TRAINER_SECURE_COOKIES",
    "TRAINER_SESSION_MAX_HOURS": "SESSION_MAX_HOURS",
    "TRAINER_SESSION_IDLE_MINUTES": "SESSION_IDLE_MINUTES",
    "TRAINER_MAIL_URL": "TRAINER_MAIL_URL",
    "TRAINER_MAIL_FROM": "TRAINER_MAIL_FROM",
}
#: How the environment spells yes and no for a switch.
SWITCH = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False}


class ConfigError(RuntimeError):
    """The configuration cannot run the app (e.g. production with a development secret)."""


def defaults(instance_path: Path) -> dict[str, Any]:
    return {
        #: development | production | testing
        "TRAINER_ENV": "development",
        "SECRET_KEY": DEVELOPMENT_SECRET,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance_path / 'trainer.sqlite'}",
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "TRAINER_MODEL_DIR": None,
        "TRAINER_SCENARIO_DIR": str(Path(__file__).resolve().parents[1] / "scenarios"),
        #: A folder with a local causal language model for generated customer lines (optional).
        "TRAINER_CUSTOMER_LM": None,
        #: Builds the scorer on first use; tests put a fake here.
        "TRAINER_SCORER_FACTORY": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 256 * 1024,
        #: Login attempts per address (Flask-Limiter syntax); memory:// for one process,
        #: redis://127.0.0.1:6379 when several processes serve.
        "LOGIN_RATE_LIMIT": "10 per minute",
        #: API requests per bearer token (per address without one), all routes together: room
        #: for any client that waits for its answers, not for one token to hold the scorer.
        "API_RATE_LIMIT": "600 per minute",
        #: Reverse proxies in front of the app (nginx, a load balancer) whose X-Forwarded-For,
        #: -Proto and -Host are trusted: then rate limits and the audit log see the client's
        #: address, not the proxy's, and cookies know the request came over https. 0: none.
        "TRAINER_PROXY_COUNT": 0,
        #: Session cookies only over https; None: on in production, off otherwise.
        "TRAINER_SECURE_COOKIES": None,
        #: A login ends this long after it began, and after this long without a request.
        "SESSION_MAX_HOURS": 12,
        "SESSION_IDLE_MINUTES": 120,
        #: Days after a reply in which the trainee may dispute its score.
        "DISPUTE_WINDOW_DAYS": 14,
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        "BABEL_DEFAULT_LOCALE": "en",
        "LANGUAGES": ["en", "id"],
        #: Argon2id cost: memory in KiB and passes (OWASP's minimum is 19 MiB, 2 passes).
        "PASSWORD_MEMORY_KIB": 19 * 1024,
        "PASSWORD_TIME_COST": 2,
        #: The SMTP server for password links and invitations (trainer.mail.MailSettings.from_url)
        #: and the sender's address; without them no e-mail is sent and admins hand out passwords.
        "TRAINER_MAIL_URL": None,
        "TRAINER_MAIL_FROM": None,
        #: Seconds a page may spend sending letters (a cohort's invitations) before it shows the
        #: passwords of those not sent instead: under a reverse proxy's timeout (nginx: 60).
        "MAIL_SEND_SECONDS": 20,
        #: Letters with a password link one account may be sent in an hour before the
        #: forgotten-password form sends it no more (the page answers the same either way).
        "PASSWORD_RESET_LETTERS": 3,
    }


def load(instance_path: Path, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Defaults, then the environment, then explicit overrides; checked before the app starts."""
    config = defaults(instance_path)
    for variable, key in ENVIRONMENT.items():
        if os.environ.get(variable):
            config[key] = os.environ[variable]
    config.update(overrides or {})
    uri = config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgres://"):  # Heroku-style URLs name a dialect SQLAlchemy dropped.
        uri = "postgresql://" + uri.removeprefix("postgres://")
    if uri.startswith("postgresql://"):
        uri = "postgresql+psycopg://" + uri.removeprefix("postgresql://")
    config["SQLALCHEMY_DATABASE_URI"] = uri
    _deployment(config)
    _mail(config)
    check(config)
    return config


def _deployment(config: dict[str, Any]) -> None:
    """Proxy count, session lengths and the cookie switch, from text where the environment gave
    text."""
    count = config["TRAINER_PROXY_COUNT"]
    try:
        config["TRAINER_PROXY_COUNT"] = int(count)
    except (TypeError, ValueError):
        raise ConfigError(f"TRAINER_PROXY_COUNT must be a whole number, not {count!r}") from None
    if not 0 <= config["TRAINER_PROXY_COUNT"] <= 10:
        raise ConfigError("TRAINER_PROXY_COUNT must be 0-10")
    for key in ("SESSION_MAX_HOURS", "SESSION_IDLE_MINUTES"):
        try:
            config[key] = int(config[key])
        except (TypeError, ValueError):
            raise ConfigError(f"{key} must be a whole number, not {config[key]!r}") from None
        if config[key] < 1:
            raise ConfigError(f"{key} must be at least 1")
    secure = config["TRAINER_SECURE_COOKIES"]
    if isinstance(secure, str):
        if secure.strip().lower() not in SWITCH:
            raise ConfigError(f"TRAINER_SECURE_COOKIES must be 1 or 0, not {secure!r}")
        secure = SWITCH[secure.strip().lower()]
    if secure is None:
        secure = config["TRAINER_ENV"] == "production"
    config["TRAINER_SECURE_COOKIES"] = bool(secure)
    config.setdefault("SESSION_COOKIE_SECURE", config["TRAINER_SECURE_COOKIES"])
    config.setdefault("REMEMBER_COOKIE_SECURE", config["TRAINER_SECURE_COOKIES"])


def _mail(config: dict[str, Any]) -> None:
    """``TRAINER_MAIL``: the parsed mail settings, or None when no mail URL is set."""
    url = config["TRAINER_MAIL_URL"]
    try:
        config["TRAINER_MAIL"] = (
            MailSettings.from_url(url, config["TRAINER_MAIL_FROM"]) if url else None
        )
    except MailError as exc:
        raise ConfigError(f"TRAINER_MAIL_URL / TRAINER_MAIL_FROM: {exc}") from None
    mail = config["TRAINER_MAIL"]
    if mail and mail.sends_password_in_clear and config["TRAINER_ENV"] == "production":
        raise ConfigError(
            "TRAINER_MAIL_URL would send the mail password unencrypted to "
            f"{mail.host}: use smtp+starttls:// or smtps://"
        )


def check(config: Mapping[str, Any]) -> None:
    if config["TRAINER_ENV"] not in {"development", "production", "testing"}:
        raise ConfigError(
            f"TRAINER_ENV must be development, production or testing, not {config['TRAINER_ENV']!r}"
        )
    if config["TRAINER_ENV"] == "production":
        secret = config.get("SECRET_KEY") or ""
        if secret == DEVELOPMENT_SECRET or len(secret) < 32:
            raise ConfigError(
                "production needs SECRET_KEY set to a random value of at least 32 characters "
                "(python -c 'import secrets; print(secrets.token_hex(32))')"
            )
