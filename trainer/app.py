"""The application factory: configuration, extensions, blueprints, the scorer provider."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, current_app, request, session
from flask_babel import get_locale
from sqlalchemy import event
from werkzeug.middleware.proxy_fix import ProxyFix

from trainer import config as settings
from trainer.extensions import babel, csrf, db, limiter, login_manager, migrate
from trainer.services.customers import Customers
from trainer.services.scoring import ScorerProvider, real_scorer_factory

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: The interface's languages (``?lang=``); the web layer names them (terms.LANGUAGES).
UI_LANGUAGES = ("en", "id")
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    # Everything is served from here: no CDN, no inline script.
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
}


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(
        "trainer",
        instance_relative_config=True,
        template_folder="web/templates",
        static_folder="web/static",
    )
    app.config.update(settings.load(Path(app.instance_path), config))
    app.testing = app.config["TRAINER_ENV"] == "testing"
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    _init_database(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=_locale)
    app.jinja_env.globals["get_locale"] = get_locale
    factory = app.config["TRAINER_SCORER_FACTORY"] or real_scorer_factory(
        app.config["TRAINER_MODEL_DIR"]
    )
    provider = app.extensions["trainer.scorer"] = ScorerProvider(factory)
    generator = None
    if app.config["TRAINER_CUSTOMER_LM"]:
        from trainer.core.generative import LanguageModelCustomer

        generator = LanguageModelCustomer(app.config["TRAINER_CUSTOMER_LM"])
    app.extensions["trainer.customers"] = Customers(provider, generator)

    from trainer.web import register

    register(app)
    app.before_request(_remember_language)
    app.after_request(_security_headers)
    if app.config["TRAINER_PROXY_COUNT"]:
        proxies = app.config["TRAINER_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    return app


def _remember_language() -> None:
    """?lang=en|id on any page, a redirect included, is remembered in the session (the API,
    cookieless and in English, keeps none)."""
    if request.blueprint != "api" and request.args.get("lang") in UI_LANGUAGES:
        session["lang"] = request.args["lang"]


def _locale() -> str | None:
    """The remembered ?lang= choice wins over the Accept-Language header."""
    chosen = request.args.get("lang")
    if chosen in UI_LANGUAGES:
        return chosen
    return session.get("lang") or request.accept_languages.best_match(list(UI_LANGUAGES))


def _security_headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure and current_app.config["TRAINER_ENV"] == "production":
        # Browsers then refuse plain http for this host for a year (not its subdomains: an
        # intranet host shares its domain with others).
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def _init_database(app: Flask) -> None:
    uri: str = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite"):
        options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
        options.setdefault("connect_args", {}).setdefault("timeout", 30)
    db.init_app(app)
    if uri.startswith("sqlite"):
        with app.app_context():
            _sqlite_pragmas(db.engine)


def _sqlite_pragmas(engine) -> None:
    """WAL, a busy timeout, and BEGIN IMMEDIATE so that concurrent writers wait, not fail.

    A deferred transaction that reads and then writes cannot wait for the lock once another
    writer committed after its read: SQLite fails it at once with "database is locked".
    Taking the write lock at BEGIN makes every writer queue behind the busy timeout instead.
    """

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy, not the driver, emits BEGIN
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
