"""Personal data: a person erased on request, a retention period, the download of your own data."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text

from tests.web.conftest import PASSWORD, FakeScorer, csrf_token, login
from tests.web.test_database import BOTH
from trainer.cli import cli
from trainer.extensions import db
from trainer.models import Attempt, AuditEvent, Dispute, Turn, TurnReview, TurnScore, User, utcnow
from trainer.services import accounts, audit, calibration, erasure, reviews, scorecards

EMAIL = "dana.secret@example.org"
#: Everything of the person's that the set-up puts into the database.
SECRETS = ["dana.secret", "Dana Secretname", "Dana Renamed", "PINEAPPLE", "KEYMARK", "GRIEVANCE"]
REPLY = "Great reply PINEAPPLE. I will send a technician today and call you at five."


@pytest.fixture
def admin(client, make_user) -> User:
    user = make_user("admin")
    assert login(client, user).status_code == 302
    return user


@pytest.fixture
def person(app, make_user, token_for, password_hash) -> User:
    """An agent who played, replied, disputed, was reviewed, renamed and failed a login."""
    agent = make_user("agent", team="Support", email=EMAIL)
    trainer = make_user("trainer", team="Support")
    client = app.test_client()
    headers = {**token_for(agent), "Idempotency-Key": "KEYMARK-1"}
    attempt = client.post(
        "/api/v1/attempts", json={"scenario": "telco-outage-home-office"}, headers=headers
    ).json["id"]
    turn = client.post(f"/api/v1/attempts/{attempt}/turns", json={"reply": REPLY}, headers=headers)
    assert turn.status_code == 201
    assert login(app.test_client(), agent, "wrong password").status_code == 200  # refused
    assert login(app.test_client(), agent).status_code == 302
    with app.app_context():
        user = db.session.get(User, agent.id)
        user.name = "Dana Secretname"
        found = db.session.scalars(select(Turn).where(Turn.number == 1)).one()
        reviews.open_dispute(found, user, "GRIEVANCE: my reply was fine")
        reviews.review_turn(
            found, db.session.get(User, trainer.id), {"empathy": 2}, None, "too generous"
        )
        accounts.update_user(
            user, name="Dana Renamed", role="agent", team="Support", active=False, actor=user
        )
        db.session.commit()
        db.session.refresh(user)
        db.session.expunge(user)
    return user


def everything(app) -> str:
    """Every row of every table, as text."""
    with app.app_context():
        rows = []
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(table.select()):
                rows.append(json.dumps([str(v) for v in row], ensure_ascii=False))
        return "\n".join(rows)


def erase(client, person, typed=None):
    return client.post(
        f"/admin/users/{person.id}/erase",
        data={"confirm": typed or person.email, "csrf_token": csrf_token(client, "/admin/")},
        follow_redirects=True,
    )


@BOTH
def test_nothing_of_the_person_is_left_and_the_scores_stay(app, client, admin, person):
    for secret in SECRETS:
        assert secret in everything(app), secret  # the set-up put each of them in
    with app.app_context():
        scores = [(s.service_level, s.flags) for s in db.session.scalars(select(TurnScore))]
        card = scorecards.agent_scorecard(scorecards.agent_info(person.id)).to_dict()
        assert len(calibration.correction_items()) == 1

    page = erase(client, person).get_data(as_text=True)
    assert "Erased: 1 replies in 1 attempts, 1 dispute comments" in page

    left = everything(app)
    assert [s for s in SECRETS if s in left] == []
    with app.app_context():
        user = db.session.get(User, person.id)
        assert user.email == erasure.erased_email(person.id) and user.name == "Erased user"
        assert user.erased_at is not None and user.team.name == "Support"
        their_ips = db.session.scalars(
            select(AuditEvent.ip).where(AuditEvent.actor_id == person.id)
        ).all()
        assert their_ips and set(their_ips) == {None}
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "user.erase")
        ).one()
        assert event.actor_id == admin.id and event.subject == f"user:{person.id}"
        assert {k: event.details[k] for k in ("attempts", "replies", "disputes")} == {
            "attempts": 1,
            "replies": 1,
            "disputes": 1,
        }
        assert event.details["audit_events"] == 3  # the login, the failed login, the rename
        failed = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "user.login_failed")
        ).one()
        assert failed.ip is None and failed.details["email"] == erasure.ERASED_TEXT
        # The levels, flags and metrics stay: the team's figures do not change.
        assert [(s.service_level, s.flags) for s in db.session.scalars(select(TurnScore))] == scores
        after = scorecards.agent_scorecard(scorecards.agent_info(person.id)).to_dict()
        assert {k: v for k, v in after.items() if k != "agent"} == {
            k: v for k, v in card.items() if k != "agent"
        }
        assert calibration.agreement_report()["overall"]["empathy"]["n"] == 1
        # The trainer's review stays, but the correction it made has no reply left to teach.
        assert calibration.correction_items() == []


@BOTH
def test_the_account_cannot_be_used_or_brought_back(app, client, admin, person, token_for):
    assert erase(client, person).status_code == 200
    assert login(app.test_client(), person, PASSWORD).status_code == 200  # refused: the form
    with app.app_context():
        user = db.session.get(User, person.id)
        assert not accounts.check_password(user, PASSWORD, accounts.PasswordPolicy())
        assert db.session.execute(text("SELECT count(*) FROM api_tokens")).scalar() == 0
        for change in (
            lambda: accounts.update_user(
                user, name="X", role="agent", team=None, active=True, actor=user
            ),
            lambda: accounts.issue_token(user),
        ):
            with pytest.raises(accounts.AccountError, match="erased"):
                change()
    again = erase(client, person, typed=erasure.erased_email(person.id))
    assert "this account was erased already" in again.get_data(as_text=True)
    page = client.get(f"/admin/users/{person.id}").text
    assert "Erased on" in page and "Reset the password" not in page and "Issue an API" not in page


def test_erasing_is_refused_unless_deliberate(app, client, admin, make_user):
    active = make_user("agent", email="still.here@example.org")
    page = erase(client, active).get_data(as_text=True)
    assert "deactivate the account first" in page
    with app.app_context():
        user = db.session.get(User, active.id)
        user.active = False
        db.session.commit()
    page = erase(client, active, typed="someone.else@example.org").get_data(as_text=True)
    assert "not this user" in page
    with app.app_context():
        assert db.session.get(User, active.id).email == "still.here@example.org"
        with pytest.raises(erasure.ErasureError, match="your own"):
            erasure.erase_user(db.session.get(User, admin.id), db.session.get(User, admin.id))


def test_the_admin_page_offers_it_only_for_a_deactivated_account(client, admin, person, make_user):
    assert "Type the e-mail address to confirm" in client.get(f"/admin/users/{person.id}").text
    active = make_user("agent")
    page = client.get(f"/admin/users/{active.id}").text
    assert "first take away the right to log in" in page and "to confirm" not in page


def test_the_command_line_erases_a_deactivated_account(app, person, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])

    def invoke(*args: str, answer: str | None = None):
        return CliRunner().invoke(
            cli, ["users", "erase", *args], input=answer, catch_exceptions=False
        )

    refused = invoke("nobody@example.org", "--yes")
    assert refused.exit_code == 1 and "no user nobody@example.org" in refused.output
    assert invoke(EMAIL, answer="n\n").exit_code == 1  # asked, and declined
    assert "Dana Renamed" in everything(app)
    done = invoke(EMAIL, "--yes")
    assert done.exit_code == 0, done.output
    assert f"erased user {person.id}: attempts 1, replies 1, disputes 1" in done.output
    assert [s for s in SECRETS if s in everything(app)] == []


def played(app, client_headers, client, when=None) -> int:
    """A finished attempt (ended ``when``, default now) with one reply that quotes PINEAPPLE."""
    attempt = client.post(
        "/api/v1/attempts", json={"scenario": "telco-outage-home-office"}, headers=client_headers
    ).json["id"]
    client.post(f"/api/v1/attempts/{attempt}/turns", json={"reply": REPLY}, headers=client_headers)
    client.post(f"/api/v1/attempts/{attempt}/abandon", headers=client_headers)
    if when is not None:
        with app.app_context():
            db.session.get(Attempt, attempt).ended_at = when
            db.session.commit()
    return attempt


@BOTH
def test_the_retention_period_erases_old_words_and_addresses(app, make_user, token_for):
    client = app.test_client()
    headers = token_for(make_user("agent"))
    now = utcnow()
    old = played(app, headers, client, when=now - timedelta(days=400))
    recent = played(app, headers, client)

    def opened(last_said) -> int:
        """An attempt left open, with one reply, where nothing was said after ``last_said``."""
        attempt = client.post(
            "/api/v1/attempts", json={"scenario": "telco-outage-home-office"}, headers=headers
        ).json["id"]
        client.post(f"/api/v1/attempts/{attempt}/turns", json={"reply": REPLY}, headers=headers)
        with app.app_context():
            found = db.session.get(Attempt, attempt)
            found.started_at = now - timedelta(days=500)
            for turn in found.turns:
                turn.created_at = last_said
            db.session.commit()
        return attempt

    forgotten, resumed = opened(now - timedelta(days=400)), opened(now - timedelta(days=2))
    with app.app_context():
        audit.record("user.login_failed", ip="203.0.113.9", email="x@example.org")
        db.session.flush()
        stale = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        stale.at = now - timedelta(days=400)
        audit.record("user.login", ip="198.51.100.4")
        db.session.commit()

        done = erasure.purge(now - timedelta(days=365))
        db.session.commit()
        assert done.to_dict() == {
            "attempts": 2,
            "replies": 2,
            "disputes": 0,
            "audit_events": 1,
            "abandoned": 1,
        }
        texts = {
            a: [t.text for t in db.session.get(Attempt, a).turns if t.speaker == "agent"]
            for a in (old, recent, forgotten, resumed)
        }
        assert texts == {
            old: ["[erased]"],
            recent: [REPLY],
            forgotten: ["[erased]"],
            resumed: [REPLY],
        }
        assert db.session.get(Attempt, forgotten).outcome == "abandoned"
        assert db.session.get(Attempt, resumed).status == "active"
        quotes = db.session.scalars(
            select(TurnScore.result).join(Turn).where(Turn.attempt_id == old)
        ).one()
        assert all(d["evidence"] == [] for d in quotes["dimensions"].values())
        addresses = db.session.scalars(select(AuditEvent.ip).where(AuditEvent.ip.is_not(None)))
        assert "203.0.113.9" not in set(addresses)
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.ip == "198.51.100.4"))
        # The erased reply is neither scored again nor taught.
        assert calibration.rescore_history(Rescorer()) == 2  # the recent and the resumed replies
        # Nothing is left to purge a second time.
        assert erasure.purge(now - timedelta(days=365)).attempts == 0


class Rescorer(FakeScorer):
    """A newer model: the fake's levels under another version."""

    model_version = "fake-2"


def test_purge_from_the_command_line(app, make_user, token_for, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
    played(app, token_for(make_user("agent")), app.test_client(), utcnow() - timedelta(days=40))
    result = CliRunner().invoke(cli, ["purge", "--older-than", "30", "--yes"])
    assert result.exit_code == 0, result.output
    assert "attempts 1, replies 1, disputes 0" in result.output
    assert "PINEAPPLE" not in everything(app)
    assert CliRunner().invoke(cli, ["purge", "--older-than", "0", "--yes"]).exit_code == 2


def test_erasing_a_trainer_removes_what_they_wrote_about_others(app, person):
    with app.app_context():
        trainer = db.session.scalars(select(User).where(User.role == "trainer")).one()
        dispute = db.session.scalars(select(Dispute)).one()
        reviews.settle_dispute(dispute, trainer, False, "REJECTWORDS: the score stands")
        trainer.active = False
        db.session.commit()
        levels = [(r.empathy, r.reviewer_id) for r in db.session.scalars(select(TurnReview))]
        done = erasure.erase_user(trainer, actor=None)
        db.session.commit()
        assert done.judgements == 2  # the review's reason and the dispute's resolution
        left = everything(app)
        assert "too generous" not in left and "REJECTWORDS" not in left
        assert [
            (r.empathy, r.reviewer_id) for r in db.session.scalars(select(TurnReview))
        ] == levels


def test_a_person_downloads_everything_stored_about_them(app, client, make_user, token_for):
    agent = make_user("agent", team="Support", email=EMAIL)
    attempt = played(app, token_for(agent), app.test_client())
    login(client, agent)
    assert "/practice/my-data.json" in client.get("/practice/history").text
    response = client.get("/practice/my-data.json")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="my-data.json"'
    assert response.headers["Cache-Control"] == "no-store"
    document = response.json
    assert document["account"]["email"] == EMAIL and document["account"]["team"] == "Support"
    assert [a["id"] for a in document["attempts"]] == [attempt]
    replies = [t["text"] for t in document["attempts"][0]["transcript"] if t["speaker"] == "agent"]
    assert replies == [REPLY]
    with app.app_context():
        exported = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "user.export")
        ).one()
        assert exported.actor_id == agent.id
    # Nobody else's data is in it.
    other = make_user("agent")
    played(app, token_for(other), app.test_client())
    assert len(client.get("/practice/my-data.json").json["attempts"]) == 1
