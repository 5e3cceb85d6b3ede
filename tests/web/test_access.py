"""Every route x anonymous and the four roles: who gets in, who is refused (indico access tests).

The attempt in the paths belongs to another agent, so "agent" here is never the owner; the
owner's own access is covered by the practice and API tests.
"""

from __future__ import annotations

import importlib
import pkgutil

import pytest

from tests.web.conftest import csrf_token, login

ROLES = ("anonymous", "agent", "trainer", "hr", "admin")
SLUG = "telco-outage-home-office"
REPLY = {"reply": "Great reply. A technician comes today."}


def expect(anonymous, agent, trainer, hr, admin):
    return dict(zip(ROLES, (anonymous, agent, trainer, hr, admin), strict=True))


# endpoint, method, path, form or JSON body, status per role
PAGES = [
    ("index", "GET", "/", None, expect(302, 302, 302, 302, 302)),
    ("healthz", "GET", "/healthz", None, expect(200, 200, 200, 200, 200)),
    ("readyz", "GET", "/readyz", None, expect(200, 200, 200, 200, 200)),
    ("auth.login", "GET", "/auth/login", None, expect(200, 302, 302, 302, 302)),
    ("auth.logout", "POST", "/auth/logout", {}, expect(302, 302, 302, 302, 302)),
    ("auth.password", "GET", "/auth/password", None, expect(302, 200, 200, 200, 200)),
    # Without a mail server (as here) nothing is e-mailed; a link that is not one is gone.
    ("auth.forgot", "GET", "/auth/forgot", None, expect(404, 404, 404, 404, 404)),
    ("auth.set_password", "GET", "/auth/set-password/x", None, expect(410, 410, 410, 410, 410)),
    ("practice.index", "GET", "/practice/", None, expect(302, 200, 200, 200, 200)),
    (
        "practice.scenario",
        "GET",
        f"/practice/scenarios/{SLUG}",
        None,
        expect(302, 200, 200, 200, 200),
    ),
    (
        "practice.start",
        "POST",
        f"/practice/scenarios/{SLUG}/attempts",
        {},
        expect(302, 302, 302, 403, 403),
    ),
    (
        "practice.attempt",
        "GET",
        "/practice/attempts/{attempt}",
        None,
        expect(302, 404, 200, 200, 403),
    ),
    (
        "practice.reply",
        "POST",
        "/practice/attempts/{attempt}/turns",
        {**REPLY, "key": "k"},
        expect(302, 404, 404, 403, 403),
    ),
    (
        "practice.rescore",
        "POST",
        "/practice/attempts/{attempt}/rescore",
        {},
        expect(302, 404, 404, 403, 403),
    ),
    (
        "practice.abandon",
        "POST",
        "/practice/attempts/{attempt}/abandon",
        {},
        expect(302, 404, 404, 403, 403),
    ),
    ("practice.history", "GET", "/practice/history", None, expect(302, 200, 200, 200, 200)),
    ("practice.my_data", "GET", "/practice/my-data.json", None, expect(302, 200, 200, 200, 200)),
]
API = [
    ("api.me", "GET", "/api/v1/me", None, expect(401, 200, 200, 200, 200)),
    ("api.scenario_list", "GET", "/api/v1/scenarios", None, expect(401, 200, 200, 200, 200)),
    ("api.attempt_list", "GET", "/api/v1/attempts", None, expect(401, 200, 200, 200, 200)),
    ("api.score", "POST", "/api/v1/score", REPLY, expect(401, 200, 200, 200, 200)),
    ("api.start_attempt", "POST", "/api/v1/attempts", {"scenario": SLUG},
     expect(401, 201, 201, 403, 403)),
    ("api.reply", "POST", "/api/v1/attempts/{attempt}/turns", REPLY,
     expect(401, 404, 404, 403, 403)),
    ("api.attempt", "GET", "/api/v1/attempts/{attempt}", None, expect(401, 404, 200, 200, 403)),
    ("api.abandon_attempt", "POST", "/api/v1/attempts/{attempt}/abandon", None,
     expect(401, 404, 404, 403, 403)),
    ("api.unknown", "GET", "/api/v1/no/such/route", None, expect(401, 404, 404, 404, 404)),
    ("api.openapi", "GET", "/api/v1/openapi.json", None, expect(200, 200, 200, 200, 200)),
]  # fmt: skip


def contributed() -> list[tuple]:
    """The route tables of the other areas' access tests (tests/web/test_access_*.py: ROUTES)."""
    import tests.web as package

    rows = []
    for module in pkgutil.iter_modules(package.__path__):
        if module.name.startswith("test_access_"):
            rows += importlib.import_module(f"tests.web.{module.name}").ROUTES
    return rows


def test_every_route_is_in_a_matrix(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint != "static"}
    covered = {endpoint for endpoint, *_ in (*PAGES, *API, *contributed())}
    assert endpoints == covered


def cases(table) -> list:
    """Pytest parameters, one per route and role, for a table of routes."""
    return [
        pytest.param(endpoint, method, path, body, role, status, id=f"{endpoint}-{role}")
        for endpoint, method, path, body, row in table
        for role, status in row.items()
    ]


@pytest.mark.parametrize(
    ("endpoint", "method", "path", "body", "role", "status"), cases([*PAGES, *API])
)
def test_access(
    client, make_user, token_for, attempt_id, endpoint, method, path, body, role, status
):
    check_access(
        client, make_user, token_for, attempt_id, endpoint, method, path, body, role, status
    )


def check_access(
    client,
    make_user,
    token_for,
    attempt_id,
    endpoint,
    method,
    path,
    body,
    role,
    status,
    *,
    json_response: bool = True,
):
    """Request the route as the role; the status must be the expected one.

    ``json_response=False``: the API route answers something else than JSON (a CSV export).
    """
    path = path.format(attempt=attempt_id)
    headers = {}
    user = None if role == "anonymous" else make_user(role)
    if endpoint.startswith("api."):
        if user is not None:
            headers = token_for(user)
        response = client.open(path, method=method, json=body, headers=headers)
        assert response.is_json or not json_response
    else:
        if user is not None:
            assert login(client, user).status_code == 302
        data = None
        if method == "POST":
            token_page = "/auth/login" if user is None else "/practice/history"
            data = {**body, "csrf_token": csrf_token(client, token_page)}
        response = client.open(path, method=method, data=data)
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    if role == "anonymous" and status == 302 and endpoint != "index":
        assert "/auth/login" in response.headers["Location"]
