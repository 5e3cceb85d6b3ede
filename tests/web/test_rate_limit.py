"""Failed logins are rate limited per client address; so is the API."""

from __future__ import annotations

import pytest

from tests.web.conftest import login


@pytest.fixture
def app_config():
    return {"LOGIN_RATE_LIMIT": "3 per minute"}


def test_login_is_rate_limited(client, make_user):
    user = make_user("agent")
    statuses = [login(client, user, "wrong password!").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert login(client, user).status_code == 429


def test_logins_that_succeed_do_not_count_against_the_address(app, client, make_user):
    # A training room: every trainee logs in at nine, each on their own browser, all from the
    # one address of its router (the test clients all come from 127.0.0.1).
    class_of_eight = [make_user("agent") for _ in range(8)]
    assert all(login(app.test_client(), user).status_code == 302 for user in class_of_eight)
    statuses = [login(client, class_of_eight[0], "wrong password!").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


@pytest.mark.parametrize("app_config", [{"API_RATE_LIMIT": "4 per minute"}])
def test_the_api_is_rate_limited_per_token_over_all_its_routes(client, make_user, token_for):
    mine, theirs = token_for(make_user("agent")), token_for(make_user("agent"))
    statuses = [
        client.get("/api/v1/me", headers=mine).status_code,
        client.get("/api/v1/scenarios", headers=mine).status_code,
        client.post("/api/v1/score", json={"reply": "Sorry."}, headers=mine).status_code,
        client.get("/api/v1/me", headers=mine).status_code,
    ]
    assert statuses == [200, 200, 200, 200]
    refused = client.get("/api/v1/scenarios", headers=mine)
    assert refused.status_code == 429
    assert refused.json["error"]["code"] == "too_many_requests"
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert client.get("/api/v1/me", headers=theirs).status_code == 200
    # The document describing the API is not counted against anyone.
    assert all(client.get("/api/v1/openapi.json").status_code == 200 for _ in range(6))


@pytest.mark.parametrize("app_config", [{"API_RATE_LIMIT": "2 per minute"}])
def test_requests_without_a_token_are_limited_per_address(client):
    statuses = [client.get("/api/v1/me").status_code for _ in range(3)]
    assert statuses == [401, 401, 429]
