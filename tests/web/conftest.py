"""Web fixtures: an app on a fresh migrated database, a fake scorer, users, login and tokens."""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.web.contract import ContractClient
from trainer.app import create_app
from trainer.extensions import db
from trainer.models import User
from trainer.scoring.scorer import DimensionScore, ScoreResult
from trainer.scoring.text import readable_context
from trainer.services import accounts
from trainer.services.bootstrap import prepare

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"
#: The PostgreSQL server the database tests use; CI starts it (.ci/run).
POSTGRES_URL = os.environ.get("TRAINER_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
#: Cheap hashing in tests; the real cost is the default configuration.
TEST_POLICY = accounts.PasswordPolicy(memory_kib=1024, time_cost=1)


class FakeScorer:
    """A stand-in for the model in tests about the web: levels from marker words in the reply.

    "great reply" scores 3/3/3 and service level 4; "blame" raises the blame flag (level 0);
    "explode" raises an error as a broken model would; anything else is a flat level 1. Like the
    model, it does not read a customer's message in the other language than the reply.
    """

    model_version = "fake-1"

    def __init__(self) -> None:
        self.calls = 0

    def score(self, reply: str, context: str = "") -> ScoreResult:
        self.calls += 1
        lowered = reply.lower()
        if "explode" in lowered:
            raise RuntimeError("the model file is corrupt")
        flags: list[str] = []
        if "blame" in lowered:
            flags, level, service = ["blame"], 0, 0
        elif "great reply" in lowered:
            level, service = 3, 4
        else:
            level, service = 1, 1
        evidence = [reply.split(".")[0]] if level >= 2 else []
        dims = {
            name: DimensionScore(level / 3, level, level >= 2, list(evidence))
            for name in ("empathy", "validation", "solution")
        }
        return ScoreResult(
            dimensions=dims,
            flags=flags,
            service_level=service,
            model_version=self.model_version,
            rubric_version="rubric-test",
            flag_probabilities={f: 0.9 for f in flags},
            relevance=0.5 if readable_context(reply, context.strip()) else None,
            ignored=[],
        )

    def score_many(self, pairs) -> list[ScoreResult]:
        return [self.score(reply, context) for reply, context in pairs]


def test_config(database_url: str, **overrides) -> dict:
    config = {
        "TRAINER_ENV": "testing",
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "TRAINER_SCORER_FACTORY": FakeScorer,
        "PASSWORD_MEMORY_KIB": TEST_POLICY.memory_kib,
        "PASSWORD_TIME_COST": TEST_POLICY.time_cost,
        "TRAINER_SCENARIO_DIR": str(ROOT / "scenarios"),
    }
    config.update(overrides)
    return config


test_config.__test__ = False  # a helper, not a test


def migrate_and_sync(app) -> None:
    with app.app_context():
        prepare(ROOT / "scenarios", TEST_POLICY, demo=False)
        db.session.commit()


@pytest.fixture(scope="session")
def password_hash() -> str:
    """Hashed once per test session: every test user gets this password."""
    return TEST_POLICY.hasher.hash(PASSWORD)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A migrated SQLite database with the scenarios synced, copied for each test."""
    path = tmp_path_factory.mktemp("template") / "trainer.sqlite"
    app = create_app(test_config(f"sqlite:///{path}"))
    migrate_and_sync(app)
    with app.app_context():
        db.engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A database of its own on this machine's PostgreSQL, migrated once, dropped at the end."""
    if os.environ.get("TRAINER_SKIP_POSTGRES") == "1":
        pytest.skip("TRAINER_SKIP_POSTGRES=1")
    import psycopg

    name = f"trainer_test_{uuid.uuid4().hex[:8]}"
    admin_url = POSTGRES_URL
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = re.sub(r"/[^/]*$", f"/{name}", admin_url)
    app = create_app(test_config(url))
    migrate_and_sync(app)
    with app.app_context():
        db.engine.dispose()
    yield url
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite"])
def database_url(request, tmp_path, sqlite_template) -> str:
    """SQLite by default; database tests parametrize this with postgresql too."""
    if request.param == "postgresql":
        return request.getfixturevalue("postgres_database")
    path = tmp_path / "trainer.sqlite"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


def _reset_postgres(app) -> None:
    with app.app_context():
        tables = [t.name for t in db.metadata.sorted_tables if t.name != "scenario_versions"]
        db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        db.session.execute(text("DELETE FROM scenario_versions"))
        db.session.commit()
    migrate_and_sync(app)


@pytest.fixture
def app_config() -> dict:
    """Extra configuration for the app fixture (override in a module to change it)."""
    return {}


@pytest.fixture
def app(database_url, app_config):
    app = create_app(test_config(database_url, **app_config))
    app.test_client_class = ContractClient
    if database_url.startswith("postgresql"):
        _reset_postgres(app)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_user(app, password_hash) -> Callable[..., User]:
    """A user of the given role (password PASSWORD), committed."""
    counter = iter(range(1, 10_000))

    def make(role: str = "agent", team: str | None = None, email: str | None = None) -> User:
        with app.app_context():
            user = User(
                email=email or f"{role}{next(counter)}@example.org",
                name=f"Test {role}",
                role=role,
                team=accounts.team_named(team) if team else None,
                password_hash=password_hash,
            )
            db.session.add(user)
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
            return user

    return make


@pytest.fixture
def token_for(app) -> Callable[[User], dict[str, str]]:
    """Authorization headers with a fresh API token for the user."""

    def issue(user: User) -> dict[str, str]:
        with app.app_context():
            token = accounts.issue_token(db.session.get(User, user.id))
            db.session.commit()
        return {"Authorization": f"Bearer {token}"}

    return issue


@pytest.fixture
def agent(make_user) -> User:
    return make_user("agent")


@pytest.fixture
def headers(agent, token_for) -> dict[str, str]:
    """The agent's API headers."""
    return token_for(agent)


@pytest.fixture
def attempt_id(app, make_user, password_hash) -> int:
    """An attempt of another agent (on the telco scenario) with one scored reply, turn 1."""
    from trainer.services import practice, replies, scenarios
    from trainer.web.scorer import kit

    owner = make_user("agent", team="Owners")
    with app.app_context():
        user = db.session.get(User, owner.id)
        attempt = practice.start_attempt(user, scenarios.active_version("telco-outage-home-office"))
        db.session.commit()
        attempt_id = attempt.id
        with app.test_request_context():
            replies.submit(attempt_id, user, "A flat reply.", "first", kit())
    return attempt_id


CSRF = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)


def csrf_token(client, path: str = "/auth/login") -> str:
    """The CSRF token of a form page (CSRF stays on in tests)."""
    html = client.get(path).get_data(as_text=True)
    match = CSRF.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


def login(client, user: User, password: str = PASSWORD):
    return client.post(
        "/auth/login",
        data={"email": user.email, "password": password, "csrf_token": csrf_token(client)},
    )


@pytest.fixture
def logged_in(client, make_user):
    """A client logged in as a new user of the given role."""

    def as_role(role: str = "agent", **kwargs) -> User:
        user = make_user(role, **kwargs)
        response = login(client, user)
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return as_role
