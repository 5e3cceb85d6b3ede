"""The administration routes x anonymous and the four roles (see test_access.py).

``{user}`` is the owner of the ``attempt_id`` attempt, ``{token}`` an API token of theirs and
``{team}`` an empty team; only an admin gets in, whatever the route.
"""

from __future__ import annotations

import pytest

from tests.web.test_access import cases, check_access, expect
from trainer.extensions import db
from trainer.models import Attempt
from trainer.services import accounts

ADMIN_ONLY = expect(302, 403, 403, 403, 200)

# endpoint, method, path, form or JSON body, status per role
ROUTES = [
    ("admin.users", "GET", "/admin/", None, ADMIN_ONLY),
    ("admin.new_user", "GET", "/admin/users/new", None, ADMIN_ONLY),
    ("admin.import_users", "GET", "/admin/users/import", None, ADMIN_ONLY),
    ("admin.import_users", "POST", "/admin/users/import", {"text": "email,role\n"},
     expect(302, 403, 403, 403, 422)),
    ("admin.user", "GET", "/admin/users/{user}", None, ADMIN_ONLY),
    ("admin.reset_password", "POST", "/admin/users/{user}/password", {}, ADMIN_ONLY),
    # Without a mail server (as here) there is no link to e-mail.
    ("admin.email_password_link", "POST", "/admin/users/{user}/password-link", {},
     expect(302, 403, 403, 403, 404)),
    ("admin.issue_token", "POST", "/admin/users/{user}/tokens", {"label": "ci"}, ADMIN_ONLY),
    ("admin.erase_user", "POST", "/admin/users/{user}/erase", {"confirm": "nobody@example.org"},
     expect(302, 403, 403, 403, 302)),
    ("admin.revoke_token", "POST", "/admin/tokens/{token}/revoke", {},
     expect(302, 403, 403, 403, 302)),
    ("admin.teams", "GET", "/admin/teams", None, ADMIN_ONLY),
    ("admin.team", "GET", "/admin/teams/{team}", None, ADMIN_ONLY),
    ("admin.team", "POST", "/admin/teams/{team}", {"name": "Renamed"},
     expect(302, 403, 403, 403, 302)),
    ("admin.delete_team", "POST", "/admin/teams/{team}/delete", {},
     expect(302, 403, 403, 403, 302)),
    ("admin.audit_log", "GET", "/admin/audit", None, ADMIN_ONLY),
    ("admin.model", "GET", "/admin/model", None, ADMIN_ONLY),
]  # fmt: skip


@pytest.mark.parametrize(("endpoint", "method", "path", "body", "role", "status"), cases(ROUTES))
def test_access(
    app, client, make_user, token_for, attempt_id, endpoint, method, path, body, role, status
):
    with app.app_context():
        owner = db.session.get(Attempt, attempt_id).user
        accounts.issue_token(owner, "theirs")
        db.session.commit()
        token = accounts.tokens_of(owner)[0].id
        owner_id = owner.id
        team = accounts.create_team("Empty", owner).id
        db.session.commit()
    path = (
        path.replace("{user}", str(owner_id))
        .replace("{token}", str(token))
        .replace("{team}", str(team))
    )
    check_access(
        client, make_user, token_for, attempt_id, endpoint, method, path, body, role, status
    )
