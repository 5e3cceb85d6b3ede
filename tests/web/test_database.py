"""Database behaviour on SQLite and on this machine's real PostgreSQL (CI runs both)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from tests.web.conftest import ROOT
from tests.web.test_api import BLAME, GOOD, play, start
from trainer.core.scenario import load_scenario
from trainer.extensions import db
from trainer.models import Attempt, ScenarioVersion, Turn, User
from trainer.services import practice, scenarios

BOTH = pytest.mark.parametrize(
    "database_url",
    ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
    indirect=True,
)
pytestmark = BOTH


def test_migrations_match_the_models(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def test_downgrade_and_upgrade_again(app):
    with app.app_context():
        downgrade(revision="base")
        upgrade()
        assert db.session.query(ScenarioVersion).count() == 0


def test_play_through_the_api(client, make_user, token_for):
    headers = token_for(make_user("agent"))
    assert play(client, headers, start(client, headers)["id"], GOOD)["outcome"] == "resolved"
    assert play(client, headers, start(client, headers)["id"], BLAME)["outcome"] == "escalated"


def test_idempotency_key_is_unique_per_attempt(app, client, make_user, token_for):
    plain = token_for(make_user("agent"))
    keyed = {**plain, "Idempotency-Key": "same"}
    attempts = [start(client, plain)["id"] for _ in range(2)]
    for attempt in attempts:
        for _ in range(2):
            client.post(f"/api/v1/attempts/{attempt}/turns", json={"reply": GOOD}, headers=keyed)
    with app.app_context():
        assert db.session.query(Turn).filter_by(speaker="agent").count() == 2
    # The same key on attempt starts: one attempt, on both databases.
    started = {start_keyed(client, keyed) for _ in range(2)}
    assert len(started) == 1


def start_keyed(client, headers) -> int:
    response = client.post(
        "/api/v1/attempts", json={"scenario": "saas-outage-payroll"}, headers=headers
    )
    assert response.status_code in (200, 201)
    return response.json["id"]


def test_an_edited_scenario_is_a_new_version_and_old_attempts_keep_theirs(
    app, make_user, tmp_path: Path
):
    slug = "hospital-surprise-bill"
    source = (ROOT / "scenarios" / f"{slug}.yaml").read_text(encoding="utf-8")
    user = make_user("agent")
    with app.app_context():
        old = scenarios.active_version(slug)
        attempt = practice.start_attempt(db.session.get(User, user.id), old)
        db.session.commit()
        attempt_id, old_id = attempt.id, old.id

        (tmp_path / f"{slug}.yaml").write_text(
            source.replace("title: ", "title: Revised ", 1), encoding="utf-8"
        )
        report = scenarios.sync_directory(tmp_path)
        db.session.commit()
        assert report.problems == []
        assert report.added == [slug]
        assert scenarios.sync_directory(tmp_path).added == []  # same content: nothing new

        new = scenarios.active_version(slug)
        assert new.version == old.version + 1
        assert new.title.startswith("Revised ")
        assert db.session.get(ScenarioVersion, old_id).active is False
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.scenario_version_id == old_id
        assert not practice.scenario_for(attempt).title.startswith("Revised")
        assert load_scenario(tmp_path / f"{slug}.yaml").title.startswith("Revised")


def test_concurrent_replies_to_one_attempt_make_no_duplicate_turns(app, make_user, token_for):
    """Two clients race on one attempt: each reply is either taken once or refused with 409."""
    headers = token_for(make_user("agent"))
    client = app.test_client()
    attempt = start(client, headers)["id"]
    statuses: list[int] = []

    def reply(i: int) -> None:
        r = app.test_client().post(
            f"/api/v1/attempts/{attempt}/turns", json={"reply": f"Flat reply {i}."}, headers=headers
        )
        statuses.append(r.status_code)

    threads = [threading.Thread(target=reply, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(statuses) <= {201, 409}
    with app.app_context():
        turns = db.session.query(Turn).filter_by(attempt_id=attempt).order_by(Turn.position).all()
        positions = [t.position for t in turns]
        assert positions == list(range(len(turns)))
        agent_turns = [t for t in turns if t.speaker == "agent"]
        assert len(agent_turns) == statuses.count(201)
        assert all(t.score_status == "scored" for t in agent_turns)


def test_migrations_keep_the_data(app, client, headers):
    attempt = start(client, headers)["id"]
    client.post(f"/api/v1/attempts/{attempt}/turns", json={"reply": GOOD}, headers=headers)
    with app.app_context():
        downgrade(revision="0001")
        upgrade()
        assert db.session.get(Attempt, attempt).purpose == "practice"
        assert db.session.query(Turn).filter_by(attempt_id=attempt).count() == 3
