"""Administration: users, roles, teams, passwords, API tokens, the audit log, the model page."""

from __future__ import annotations

import re
import threading
import time

import pytest
from sqlalchemy import select

from tests.web.conftest import PASSWORD, csrf_token, login
from tests.web.test_database import BOTH
from trainer.extensions import db
from trainer.models import ApiToken, Assignment, AuditEvent, Team, User, utcnow
from trainer.services import accounts, audit

SECRET = re.compile(r"data-secret>([^<]+)<")


@pytest.fixture
def admin(client, make_user) -> User:
    """An admin, logged in on ``client``."""
    user = make_user("admin")
    assert login(client, user).status_code == 302
    return user


def post(client, path: str, data: dict | None = None):
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client, "/admin/")})


def shown_secret(response) -> str:
    match = SECRET.search(response.get_data(as_text=True))
    assert match, response.get_data(as_text=True)[:500]
    return match.group(1)


def actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def fetch_user(app, user_id: int) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def test_admin_lands_on_administration(client, make_user):
    user = make_user("admin")
    response = login(client, user)
    assert response.headers["Location"].endswith("/admin/")
    assert client.get("/").headers["Location"].endswith("/admin/")
    page = client.get("/admin/").get_data(as_text=True)
    assert user.email in page
    assert 'href="/admin/"' in client.get("/practice/history").get_data(as_text=True)
    assert "Pengguna baru" in client.get("/admin/?lang=id").get_data(as_text=True)


@BOTH
def test_users_are_filtered_by_role_team_and_search(client, admin, make_user):
    make_user("agent", team="North", email="ayu@example.org")
    make_user("trainer", team="South", email="budi@example.org")
    assert "budi@" not in client.get("/admin/?role=agent").get_data(as_text=True)
    assert "ayu@" in client.get("/admin/?role=agent").get_data(as_text=True)
    assert "ayu@" not in client.get("/admin/?q=BUDI").get_data(as_text=True)
    assert "budi@" in client.get("/admin/?q=BUDI").get_data(as_text=True)
    with client.application.app_context():
        south = db.session.scalar(select(Team.id).where(Team.name == "South"))
    page = client.get(f"/admin/?team={south}").get_data(as_text=True)
    assert "budi@" in page and "ayu@" not in page


def test_create_user_shows_the_password_once_and_it_works(app, client, admin):
    post(client, "/admin/teams", {"name": "Jakarta"})
    response = post(
        client,
        "/admin/users/new",
        {"email": " Rina@Example.org", "name": "Rina", "role": "agent", "team": "Jakarta"},
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    password = shown_secret(response)
    with app.app_context():
        rina = accounts.find_user("rina@example.org")
        assert (rina.name, rina.role, rina.team.name, rina.active) == (
            "Rina",
            "agent",
            "Jakarta",
            True,
        )
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "user.create")
        ).one()
        assert event.actor_id == admin.id
        assert password not in str(event.details)
    other = app.test_client()
    assert (
        other.post(
            "/auth/login",
            data={
                "email": "rina@example.org",
                "password": password,
                "csrf_token": csrf_token(other),
            },
        )
        .headers["Location"]
        .endswith("/practice/")
    )


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"email": "admin1@example.org", "name": "X", "role": "agent"}, "already exists"),
        ({"email": "not an address", "name": "X", "role": "agent"}, "is not an e-mail address"),
        ({"email": "new@example.org", "name": "X", "role": "root"}, "Not a valid choice"),
        ({"email": "new@example.org", "name": "", "role": "agent"}, "This field is required"),
        ({"email": "new@example.org", "name": "X", "role": "agent", "team": "Nope"}, "valid"),
    ],
)
def test_bad_new_user_is_refused_with_a_reason(app, client, admin, form, message):
    before = actions(app).count("user.create")
    response = post(client, "/admin/users/new", form)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert actions(app).count("user.create") == before


@BOTH
def test_edit_role_team_and_name_is_audited(app, client, admin, make_user):
    agent = make_user("agent", team="North")
    post(client, "/admin/teams", {"name": "South"})
    form = {"name": "Sari W.", "role": "trainer", "team": "South", "active": "y"}
    response = post(client, f"/admin/users/{agent.id}", form)
    assert response.status_code == 302
    changed = fetch_user(app, agent.id)
    assert (changed.name, changed.role) == ("Sari W.", "trainer")
    with app.app_context():
        assert db.session.get(User, agent.id).team.name == "South"
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "user.update")
        ).one()
    assert event.subject == f"user:{agent.id}"
    assert event.details == {
        "name": ["Test agent", "Sari W."],
        "role": ["agent", "trainer"],
        "team": ["North", "South"],
    }
    again = client.get(f"/admin/users/{agent.id}").get_data(as_text=True)
    assert "Sari W." in again and "user.update" in again
    post(client, f"/admin/users/{agent.id}", form)
    assert "Nothing changed." in client.get(f"/admin/users/{agent.id}").get_data(as_text=True)
    assert actions(app).count("user.update") == 1


def test_deactivating_ends_sessions_and_tokens_until_reactivated(
    app, client, admin, make_user, token_for
):
    agent = make_user("agent")
    theirs = app.test_client()
    assert login(theirs, agent).status_code == 302
    headers = token_for(agent)
    assert theirs.get("/practice/").status_code == 200
    form = {"name": agent.name, "role": "agent", "team": ""}
    assert post(client, f"/admin/users/{agent.id}", form).status_code == 302
    assert theirs.get("/practice/").status_code == 302
    assert theirs.get("/api/v1/me", headers=headers).status_code == 401
    assert login(app.test_client(), agent).status_code == 200  # refused: stays on the form
    post(client, f"/admin/users/{agent.id}", {**form, "active": "y"})
    assert theirs.get("/api/v1/me", headers=headers).status_code == 200


@BOTH
def test_the_last_active_admin_cannot_step_down(app, client, admin, make_user):
    demote = {"name": admin.name, "role": "hr", "team": "", "active": "y"}
    response = post(client, f"/admin/users/{admin.id}", demote)
    assert response.status_code == 422
    assert "last active admin" in response.get_data(as_text=True)
    assert fetch_user(app, admin.id).role == "admin"
    response = post(client, f"/admin/users/{admin.id}", {**demote, "role": "admin", "active": ""})
    assert response.status_code == 422
    assert fetch_user(app, admin.id).active
    make_user("admin")
    assert post(client, f"/admin/users/{admin.id}", demote).status_code == 302
    assert fetch_user(app, admin.id).role == "hr"
    assert client.get("/admin/").status_code == 403


def test_reset_password_replaces_it_and_ends_their_sessions(app, client, admin, make_user):
    agent = make_user("agent")
    theirs = app.test_client()
    assert login(theirs, agent).status_code == 302
    response = post(client, f"/admin/users/{agent.id}/password")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    new = shown_secret(response)
    assert theirs.get("/practice/").status_code == 302
    assert login(app.test_client(), agent, password=PASSWORD).status_code == 200
    assert login(app.test_client(), agent, password=new).status_code == 302
    assert "user.password_reset" in actions(app)


def test_issue_and_revoke_an_api_token(app, client, admin, make_user):
    agent = make_user("agent")
    response = post(client, f"/admin/users/{agent.id}/tokens", {"label": "LMS sync"})
    token = shown_secret(response)
    assert token.startswith(accounts.TOKEN_PREFIX)
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=bearer).json["email"] == agent.email
    page = client.get(f"/admin/users/{agent.id}").get_data(as_text=True)
    assert "LMS sync" in page and token not in page
    with app.app_context():
        row = db.session.scalars(select(ApiToken).where(ApiToken.user_id == agent.id)).one()
    assert post(client, f"/admin/tokens/{row.id}/revoke").status_code == 302
    assert client.get("/api/v1/me", headers=bearer).status_code == 401
    post(client, f"/admin/tokens/{row.id}/revoke")
    assert "already revoked" in client.get(f"/admin/users/{agent.id}").get_data(as_text=True)
    assert actions(app).count("token.revoke") == 1
    assert post(client, "/admin/tokens/99999/revoke").status_code == 404


def test_a_token_label_too_long_issues_nothing(app, client, admin, make_user):
    agent = make_user("agent")
    response = post(client, f"/admin/users/{agent.id}/tokens", {"label": "x" * 81})
    assert response.status_code == 302
    assert "was not issued" in client.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert accounts.tokens_of(db.session.get(User, agent.id)) == []


def test_a_token_without_a_label_field_is_issued_unlabelled(app, client, admin, make_user):
    agent = make_user("agent")
    response = post(client, f"/admin/users/{agent.id}/tokens")
    assert response.status_code == 200
    with app.app_context():
        assert [t.label for t in accounts.tokens_of(db.session.get(User, agent.id))] == [""]


def test_buttons_without_csrf_change_nothing(app, client, admin, make_user):
    agent = make_user("agent")
    assert client.post(f"/admin/users/{agent.id}/password").status_code == 400
    assert client.post(f"/admin/users/{agent.id}/tokens", data={"label": "x"}).status_code == 400
    assert "user.password_reset" not in actions(app)


@BOTH
def test_teams_are_created_once_and_listed_with_members(app, client, admin, make_user):
    make_user("agent", team="North")
    assert post(client, "/admin/teams", {"name": " West "}).status_code == 302
    response = post(client, "/admin/teams", {"name": "West"})
    assert response.status_code == 422
    assert "already exists" in response.get_data(as_text=True)
    page = client.get("/admin/teams").get_data(as_text=True)
    assert re.search(r"North</a></td><td><a [^>]+>1<", page)
    assert re.search(r"West</a></td><td><a [^>]+>0<", page)
    assert '<option value="West">West</option>' in client.get("/admin/users/new").get_data(
        as_text=True
    )
    assert actions(app).count("team.create") == 1


def team_id(app, name: str) -> int | None:
    with app.app_context():
        return db.session.scalar(select(Team.id).where(Team.name == name))


@BOTH
def test_a_team_is_renamed_once_and_audited(app, client, admin, make_user):
    make_user("agent", team="North")
    make_user("agent", team="South")
    north = team_id(app, "North")
    response = post(client, f"/admin/teams/{north}", {"name": "South"})
    assert response.status_code == 422
    assert "already exists" in response.get_data(as_text=True)
    assert post(client, f"/admin/teams/{north}", {"name": " North-East "}).status_code == 302
    assert team_id(app, "North-East") == north
    page = client.get(f"/admin/teams/{north}").get_data(as_text=True)
    assert "Test agent" in page
    assert "before: North; after: North-East" in page
    response = post(client, f"/admin/teams/{north}", {"name": "North-East"})
    assert "Nothing changed" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert actions(app).count("team.rename") == 1
    assert '<option value="North-East">' in client.get("/admin/users/new").get_data(as_text=True)


@BOTH
def test_only_an_empty_unassigned_team_can_be_deleted(app, client, admin, make_user):
    make_user("agent", team="Staffed")
    with app.app_context():
        actor = db.session.get(User, admin.id)
        assigned = accounts.create_team("Assigned", actor)
        accounts.create_team("Empty", actor)
        db.session.add(
            Assignment(
                scenario_slug="any",
                mode="practice",
                due_at=utcnow(),
                trainer_id=admin.id,
                team_id=assigned.id,
            )
        )
        db.session.commit()
    for name, why in (("Staffed", "still has 1 user:"), ("Assigned", "kept for their history")):
        response = post(client, f"/admin/teams/{team_id(app, name)}/delete")
        assert response.status_code == 302
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "The team was not deleted" in page and why in page
        assert team_id(app, name) is not None
    page = client.get(f"/admin/teams/{team_id(app, 'Assigned')}?lang=id").get_data(as_text=True)
    assert "pernah diberi 1 penugasan" in page and "Hapus tim</button>" not in page
    empty = team_id(app, "Empty")
    assert "Hapus tim</button>" in client.get(f"/admin/teams/{empty}").get_data(as_text=True)
    assert client.post(f"/admin/teams/{empty}/delete").status_code == 400
    response = post(client, f"/admin/teams/{empty}/delete")
    assert response.headers["Location"].endswith("/admin/teams")
    assert team_id(app, "Empty") is None
    assert client.get(f"/admin/teams/{empty}").status_code == 404
    assert "team.delete" in actions(app)
    assert "Empty" not in client.get("/admin/teams").get_data(as_text=True)


@BOTH
def test_audit_log_filters_and_pages_back(app, client, admin):
    with app.app_context():
        for n in range(audit.PAGE_SIZE + 5):
            audit.record("scenario.sync", subject=f"scenario:s{n}")
        db.session.commit()
    page = client.get("/admin/audit?action=scenario.sync").get_data(as_text=True)
    assert "scenario:s54" in page and "scenario:s4<" not in page
    assert "<code>user.login</code>" not in page
    older = re.search(r'href="([^"]*before=\d+[^"]*)"', page).group(1).replace("&amp;", "&")
    second = client.get(older).get_data(as_text=True)
    assert "scenario:s4<" in second and "scenario:s54" not in second
    assert "Older entries" not in second
    mine = client.get(f"/admin/audit?subject=user:{admin.id}").get_data(as_text=True)
    assert "<code>user.login</code>" in mine and "<code>scenario.sync</code>" not in mine
    by_them = client.get(f"/admin/audit?actor={admin.id}").get_data(as_text=True)
    assert f"only by {admin.email}" in by_them
    assert "<code>user.login</code>" in by_them and "<code>scenario.sync</code>" not in by_them


def test_model_page_reads_the_card_without_loading_the_scorer(app, client, admin):
    page = client.get("/admin/model").get_data(as_text=True)
    with app.app_context():
        from trainer.scoring import model_directory
        from trainer.scoring.card import read_card

        card = read_card(model_directory(app.config["TRAINER_MODEL_DIR"]))
    assert card["model_version"] in page
    assert "not loaded yet" in page
    assert app.extensions["trainer.scorer"].loaded is None


@BOTH
def test_model_page_names_the_loaded_model_and_the_scores_per_version(
    app, client, admin, attempt_id
):
    page = client.get("/admin/model").get_data(as_text=True)
    assert "fake-1" in page  # loaded by the attempt fixture, and one scored turn
    assert "differs from the version on disk" in page
    assert re.search(r"fake-1</code></td><td>1<", page)


@pytest.mark.parametrize("app_config", [{"TRAINER_MODEL_DIR": "/nonexistent/models"}])
def test_model_page_without_a_model_says_so(client, admin):
    response = client.get("/admin/model")
    assert response.status_code == 200
    assert "No usable model here" in response.get_data(as_text=True)
    assert "trainer train" in response.get_data(as_text=True)


@BOTH
def test_two_admins_stepping_down_at_once_leave_one(app, make_user):
    """The first demotion holds its transaction open while the second starts: the second must
    wait for it and then see that only one admin is left (without the row lock, PostgreSQL's
    read-committed count would still see two, and both would step down)."""
    first, second = make_user("admin"), make_user("admin")
    locked = threading.Event()
    outcome: dict[int, str] = {}

    def step_down(user_id: int, hold: bool) -> None:
        with app.app_context():
            user = db.session.get(User, user_id)
            try:
                accounts.update_user(
                    user, name=user.name, role="hr", team=None, active=True, actor=user
                )
                db.session.flush()
                if hold:
                    locked.set()
                    time.sleep(0.5)
                db.session.commit()
                outcome[user_id] = "stepped down"
            except accounts.AccountError:
                db.session.rollback()
                outcome[user_id] = "refused"
            finally:
                locked.set()

    holder = threading.Thread(target=step_down, args=(first.id, True))
    holder.start()
    assert locked.wait(10)
    follower = threading.Thread(target=step_down, args=(second.id, False))
    follower.start()
    holder.join(20)
    follower.join(20)
    assert outcome == {first.id: "stepped down", second.id: "refused"}
    assert fetch_user(app, second.id).role == "admin"


def test_refusals_are_in_the_admins_language(app, client, admin, make_user):
    client.get("/admin/?lang=id")
    post(client, "/admin/teams", {"name": "Jakarta"})
    page = post(client, "/admin/teams", {"name": "Jakarta"}).get_data(as_text=True)
    assert "tim Jakarta sudah ada" in page and "already exists" not in page
    active = make_user("agent")
    page = client.post(
        f"/admin/users/{active.id}/erase",
        data={"confirm": active.email, "csrf_token": csrf_token(client, "/admin/")},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "nonaktifkan akun terlebih dahulu" in page
    with app.app_context():
        admin_row = db.session.get(User, admin.id)
        with pytest.raises(accounts.AccountError) as refused:
            accounts.update_user(
                admin_row, name="A", role="agent", team=None, active=True, actor=admin_row
            )
    assert refused.value.code == "last_admin"  # the CLI and the API keep the English message
    assert str(refused.value).startswith("this is the last active admin")
