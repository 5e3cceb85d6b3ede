"""Login sessions end on their own: at most SESSION_MAX_HOURS after the login, and after
SESSION_IDLE_MINUTES without a request; reading pages keeps a session alive."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.web.conftest import csrf_token, login
from tests.web.test_database import BOTH
from trainer.extensions import db
from trainer.models import LoginSession, utcnow


def the_session(app) -> LoginSession:
    with app.app_context():
        row = db.session.scalars(select(LoginSession)).one()
        db.session.expunge(row)
        return row


def age(app, **changes) -> None:
    with app.app_context():
        row = db.session.scalars(select(LoginSession)).one()
        for name, value in changes.items():
            setattr(row, name, value)
        db.session.commit()


@pytest.fixture
def logged_in_agent(client, make_user):
    assert login(client, make_user("agent")).status_code == 302


@BOTH
def test_reading_pages_keeps_a_session_alive(app, client, logged_in_agent):
    # Nothing is written on every request: the first one after the login is recent enough.
    assert client.get("/practice/").status_code == 200
    assert the_session(app).last_seen_at is None
    an_hour_ago = utcnow() - timedelta(hours=1)
    age(app, created_at=an_hour_ago, last_seen_at=an_hour_ago)
    assert client.get("/practice/history").status_code == 200  # a read: the view commits nothing
    seen = the_session(app).last_seen_at
    assert seen is not None and utcnow() - seen < timedelta(minutes=1)
    assert client.get("/practice/").status_code == 200
    assert the_session(app).last_seen_at == seen  # written at most once a minute


@BOTH
def test_an_idle_session_ends(app, client, logged_in_agent):
    age(app, created_at=utcnow() - timedelta(hours=3), last_seen_at=utcnow() - timedelta(hours=3))
    assert client.get("/practice/").status_code == 302
    assert the_session(app).revoked_at is not None
    # Revoked for good: being active again later does not bring it back.
    age(app, last_seen_at=utcnow())
    assert client.get("/practice/").status_code == 302


def test_no_session_lasts_longer_than_the_maximum(app, client, logged_in_agent):
    age(app, created_at=utcnow() - timedelta(hours=13), last_seen_at=utcnow())
    assert client.get("/practice/").status_code == 302
    assert the_session(app).revoked_at is not None


@pytest.mark.parametrize("app_config", [{"SESSION_IDLE_MINUTES": 5}])
def test_the_idle_time_is_configurable(app, client, logged_in_agent):
    age(app, last_seen_at=utcnow() - timedelta(minutes=6))
    assert client.get("/practice/").status_code == 302


def test_a_logout_in_a_request_that_touches_the_session_stays_a_logout(
    app, client, logged_in_agent
):
    token = csrf_token(client, "/practice/")
    an_hour_ago = utcnow() - timedelta(hours=1)
    age(app, last_seen_at=an_hour_ago)
    assert client.post("/auth/logout", data={"csrf_token": token}).status_code == 302
    assert the_session(app).revoked_at is not None
    assert client.get("/practice/").status_code == 302
