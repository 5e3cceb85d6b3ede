"""Accounts in the browser: login, CSRF, server-side logout, password change, rate limit."""

from __future__ import annotations

import pytest

from tests.web.conftest import PASSWORD, csrf_token, login
from trainer.extensions import db
from trainer.models import AuditEvent, LoginSession, User


def test_login_page_renders(client):
    response = client.get("/auth/login")
    assert response.status_code == 200
    assert b'name="csrf_token"' in response.data


def test_login_and_out(client, make_user):
    user = make_user("agent")
    response = login(client, user)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/practice/")
    assert client.get("/practice/").status_code == 200
    token = csrf_token(client, "/practice/")
    assert client.post("/auth/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/practice/").status_code == 302


@pytest.mark.parametrize(
    ("role", "home"),
    [
        ("agent", "/practice/"),
        ("trainer", "/studio/"),
        ("hr", "/reports/teams"),
        ("admin", "/admin/"),
    ],
)
def test_each_role_lands_on_the_page_of_its_work(client, make_user, role, home):
    response = login(client, make_user(role))
    assert response.headers["Location"] == home
    assert client.get("/").headers["Location"] == home
    page = client.get(home)
    assert page.status_code == 200
    # Only those who play scenarios have a history of their own to open.
    assert ('href="/practice/history"' in page.text) is (role in ("agent", "trainer"))


def test_wrong_password_is_refused_and_audited(app, client, make_user):
    user = make_user("agent")
    response = login(client, user, password="not the password")
    assert response.status_code == 200
    assert b"E-mail or password is wrong" in response.data
    assert client.get("/practice/").status_code == 302
    with app.app_context():
        actions = db.session.scalars(db.select(AuditEvent.action)).all()
    assert "user.login_failed" in actions


def test_unknown_email_gets_the_same_answer(client):
    response = client.post(
        "/auth/login",
        data={
            "email": "nobody@example.org",
            "password": PASSWORD,
            "csrf_token": csrf_token(client),
        },
    )
    assert b"E-mail or password is wrong" in response.data


def test_csrf_is_required(client, make_user):
    user = make_user("agent")
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert b"CSRF" in response.data
    assert client.get("/practice/").status_code == 302
    login(client, user)
    assert client.post("/auth/logout").status_code == 400


def test_disabled_user_cannot_log_in(app, client, make_user):
    user = make_user("agent")
    with app.app_context():
        db.session.get(User, user.id).active = False
        db.session.commit()
    assert login(client, user).status_code == 200


def test_a_cookie_copied_before_logout_does_not_work_after(app, client, make_user):
    user = make_user("agent")
    login(client, user)
    copied = client.get_cookie("session").value
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/practice/")})
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/practice/").status_code == 302
    with app.app_context():
        sessions = db.session.scalars(db.select(LoginSession)).all()
    assert all(s.revoked_at is not None for s in sessions)


def test_password_change_ends_other_sessions(app, client, make_user):
    user = make_user("agent")
    other = app.test_client()
    login(other, user)
    login(client, user)
    token = csrf_token(client, "/auth/password")
    response = client.post(
        "/auth/password",
        data={
            "current": PASSWORD,
            "new": "a brand new passphrase",
            "confirm": "a brand new passphrase",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    assert client.get("/practice/").status_code == 200  # this session goes on
    assert other.get("/practice/").status_code == 302  # the other one is over
    fresh = app.test_client()
    assert login(fresh, user).status_code == 200  # the old password no longer works
    assert login(fresh, user, "a brand new passphrase").status_code == 302


def test_password_change_needs_the_current_password(client, logged_in):
    logged_in("agent")
    response = client.post(
        "/auth/password",
        data={
            "current": "wrong wrong wrong",
            "new": "a brand new passphrase",
            "confirm": "a brand new passphrase",
            "csrf_token": csrf_token(client, "/auth/password"),
        },
    )
    assert response.status_code == 200
    assert b"not your current password" in response.data


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x"])
def test_next_never_leaves_the_site(client, make_user, target):
    user = make_user("agent")
    response = client.post(
        f"/auth/login?next={target}",
        data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(client)},
    )
    assert response.headers["Location"] == "/practice/"


def test_passwords_are_stored_as_argon2id(app):
    from trainer.services import accounts

    with app.app_context():
        user, password = accounts.create_user(
            "new@example.org", "agent", accounts.PasswordPolicy(memory_kib=1024, time_cost=1)
        )
        assert user.password_hash.startswith("$argon2id$")
        assert password not in user.password_hash
        assert accounts.check_password(user, password, accounts.PasswordPolicy(1024, 1))


def test_security_headers(client):
    response = client.get("/auth/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
