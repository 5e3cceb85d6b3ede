"""The app's commands: setup (migrations, sync, demo accounts once), users create, rescore."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from tests.web.conftest import ROOT, test_config
from trainer.app import create_app
from trainer.cli import cli
from trainer.extensions import db
from trainer.models import Attempt, ScenarioVersion, Turn, User
from trainer.services import accounts, assignments

SCENARIO_FILES = len(list((ROOT / "scenarios").glob("*.yaml")))


@pytest.fixture
def database(tmp_path, monkeypatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("TRAINER_SCENARIO_DIR", str(ROOT / "scenarios"))
    return url


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_setup_creates_demo_accounts_once_and_syncs_new_versions_only(database):
    first = invoke("setup")
    assert first.exit_code == 0, first.output
    lines = [line.split() for line in first.output.splitlines() if "@demo.local" in line]
    assert [role for role, _, _ in lines] == ["agent", "trainer", "hr", "admin"]
    passwords = {password for *_, password in lines}
    assert len(passwords) == 4  # generated, never hard-coded
    assert "demo history:" in first.stderr
    second = invoke("setup")
    assert second.exit_code == 0
    assert "@demo.local" not in second.output
    assert "demo history:" not in second.stderr
    assert f"0 new version(s), {SCENARIO_FILES} unchanged" in second.stderr
    app = create_app(test_config(database))
    with app.app_context():
        assert db.session.query(ScenarioVersion).count() == SCENARIO_FILES
        agent = accounts.find_user("agent@demo.local")
        password = next(p for role, _, p in lines if role == "agent")
        assert accounts.check_password(agent, password, accounts.PasswordPolicy())
        finished = db.session.query(Attempt).filter(Attempt.status == "done").count()
        assert finished > 0  # the demo colleagues' history
        assert accounts.find_user("trainer@demo.local").team is None
        # Something to do on the demo agent's assignments page: one of each mode, not yet due.
        due = assignments.assignments_for(agent)
        assert sorted(s.assignment.mode for s in due) == ["certification", "practice"]
        assert not any(s.overdue or s.done for s in due)
        db.engine.dispose()


def test_users_create_with_token(database):
    assert invoke("setup", "--no-demo").exit_code == 0
    result = invoke(
        "users",
        "create",
        "Ana@Example.org",
        "--role",
        "hr",
        "--name",
        "Ana",
        "--team",
        "Jakarta",
        "--token",
    )
    assert result.exit_code == 0, result.output
    token = result.output.splitlines()[-1]
    assert token.startswith("trn_")
    app = create_app(test_config(database))
    with app.app_context():
        user = accounts.token_user(token)
        assert (user.email, user.role, user.name, user.team.name) == (
            "ana@example.org",
            "hr",
            "Ana",
            "Jakarta",
        )
        assert token not in str(db.session.execute(db.text("select * from api_tokens")).all())
        db.session.rollback()
        db.engine.dispose()
    client = app.test_client()
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json["email"] == "ana@example.org"


def test_users_create_refuses_duplicates_and_bad_input(database):
    invoke("setup", "--no-demo")
    assert invoke("users", "create", "a@example.org", "--role", "agent").exit_code == 0
    again = invoke("users", "create", "A@example.org", "--role", "agent")
    assert again.exit_code == 1
    assert "already exists" in again.stderr
    assert invoke("users", "create", "not-an-email", "--role", "agent").exit_code == 1
    assert invoke("users", "create", "b@example.org", "--role", "boss").exit_code == 2


def test_production_without_a_secret_refuses_to_start(database, monkeypatch):
    monkeypatch.setenv("TRAINER_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    result = invoke("setup")
    assert result.exit_code == 1
    assert "SECRET_KEY" in result.stderr


@pytest.mark.slow
def test_rescore_scores_saved_replies_with_the_real_model(database, scorer):
    invoke("setup", "--no-demo")
    app = create_app(test_config(database, TRAINER_SCORER_FACTORY=_missing_model))
    client = app.test_client()
    with app.app_context():
        user, _ = accounts.create_user("t@example.org", "agent", accounts.PasswordPolicy(1024, 1))
        token = accounts.issue_token(user)
        db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    attempt = client.post(
        "/api/v1/attempts", json={"scenario": "inden-motor-lunas"}, headers=headers
    ).json["id"]
    reply = "Mohon maaf Pak, saya cek sekarang dan kabari Bapak jam 3 sore ini."
    assert (
        client.post(
            f"/api/v1/attempts/{attempt}/turns", json={"reply": reply}, headers=headers
        ).status_code
        == 503
    )

    result = invoke("rescore")
    assert result.exit_code == 0, result.output
    assert "scored 1 saved reply" in result.output
    with app.app_context():
        turn = db.session.scalar(db.select(Turn).where(Turn.speaker == "agent"))
        assert turn.score_status == "scored"
        assert turn.score.model_version == scorer.model_version
        assert db.session.query(Turn).filter_by(attempt_id=attempt).count() == 3
        db.engine.dispose()
    assert invoke("rescore").output.strip() == "scored 0 saved replies"


def _missing_model():
    raise FileNotFoundError("models/heads.npz is missing")


def test_users_create_prints_a_generated_password(database):
    invoke("setup", "--no-demo")
    result = invoke("users", "create", "c@example.org", "--role", "trainer")
    assert "password:" in result.output
    app = create_app(test_config(database))
    with app.app_context():
        assert db.session.scalar(db.select(User.role)) == "trainer"
        db.engine.dispose()
