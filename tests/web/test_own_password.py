"""A password generated for someone (admin, import, CLI, reset) is replaced at the first login."""

from __future__ import annotations

from tests.web.conftest import TEST_POLICY, csrf_token, test_config
from tests.web.test_admin import admin, post, shown_secret  # noqa: F401 (admin is a fixture)
from tests.web.test_cli_app import database, invoke  # noqa: F401 (database is a fixture)
from tests.web.test_database import BOTH
from trainer.app import create_app
from trainer.extensions import db
from trainer.services import accounts
from trainer.services.cohort import import_cohort

NEW = "a long new password of my own"


def log_in(app, email: str, password: str):
    client = app.test_client()
    data = {"email": email, "password": password, "csrf_token": csrf_token(client)}
    assert client.post("/auth/login", data=data).status_code == 302
    return client


def choose(client, current: str) -> None:
    data = {"current": current, "new": NEW, "confirm": NEW}
    data["csrf_token"] = csrf_token(client, "/auth/password")
    assert client.post("/auth/password", data=data).status_code == 302


def must_change(app, email: str) -> bool:
    with app.app_context():
        return accounts.find_user(email).password_must_change


@BOTH
def test_an_account_an_admin_made_chooses_its_own_password_before_anything(app, client, admin):  # noqa: F811
    made = post(
        client, "/admin/users/new", {"email": "new@example.org", "name": "New", "role": "agent"}
    )
    password = shown_secret(made)
    person = log_in(app, "new@example.org", password)
    for path in ("/practice/", "/practice/history", "/reports/agents/1"):
        response = person.get(path)
        assert response.status_code == 302, path
        assert response.location.endswith("/auth/password"), path
    refused = person.get("/practice/", headers={"Accept": "application/json"})
    assert refused.status_code == 403
    assert refused.json["error"]["code"] == "password_must_change"
    assert "Choose your own password first" in person.get("/auth/password").get_data(as_text=True)
    # The admin sees who has not chosen their own password yet (so is yet to log in).
    assert "has not chosen a password yet" in client.get("/admin/?q=new@").get_data(as_text=True)
    choose(person, password)
    assert not must_change(app, "new@example.org")
    assert person.get("/practice/").status_code == 200
    assert "has not chosen a password yet" not in client.get("/admin/?q=new@").get_data(
        as_text=True
    )


@BOTH
def test_a_reset_password_is_replaced_too_and_tokens_are_not_held_up(
    app,
    client,
    admin,  # noqa: F811
    make_user,
    token_for,
):
    agent = make_user("agent")
    assert not must_change(app, agent.email)  # accounts from before keep working as they were
    password = shown_secret(post(client, f"/admin/users/{agent.id}/password"))
    assert must_change(app, agent.email)
    assert client.get("/admin/").status_code == 200  # the admin is not affected
    person = log_in(app, agent.email, password)
    assert person.get("/practice/").status_code == 302
    assert person.get("/api/v1/me", headers=token_for(agent)).status_code == 200
    choose(person, password)
    assert person.get("/practice/").status_code == 200


def test_imported_and_cli_accounts_must_change_and_demo_accounts_need_not(app, database):  # noqa: F811
    with app.app_context():
        made = import_cohort("email,role\ncohort@example.org,agent\n", TEST_POLICY, actor=None)
        assert [user.password_must_change for user, _ in made] == [True]
        mine, _ = accounts.create_user("chosen@example.org", "agent", TEST_POLICY, password=NEW)
        assert not mine.password_must_change
        db.session.rollback()
    assert invoke("setup").exit_code == 0
    assert invoke("users", "create", "cli@example.org", "--role", "hr").exit_code == 0
    cli_app = create_app(test_config(database))
    with cli_app.app_context():
        assert accounts.find_user("cli@example.org").password_must_change
        demo = [accounts.find_user(f"{role}@demo.local") for role in ("agent", "admin")]
        assert [user.password_must_change for user in demo] == [False, False]
        db.session.rollback()
        db.engine.dispose()
