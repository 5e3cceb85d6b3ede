"""API v1 through the test client: the practice flow, idempotency, JSON errors."""

from __future__ import annotations

import pytest

from tests.web.conftest import FakeScorer
from trainer.extensions import db
from trainer.models import Turn

GOOD = "Great reply. I am sorry, that is awful; I will fix it today and call you at five."
BLAME = "You should have read the terms; I blame you for this."
SLUG = "telco-outage-home-office"


def start(client, headers, slug=SLUG):
    response = client.post("/api/v1/attempts", json={"scenario": slug}, headers=headers)
    assert response.status_code == 201, response.json
    return response.json


def play(client, headers, attempt_id, reply, limit=12):
    body = None
    for _ in range(limit):
        response = client.post(
            f"/api/v1/attempts/{attempt_id}/turns", json={"reply": reply}, headers=headers
        )
        assert response.status_code == 201, response.json
        body = response.json
        if body["done"]:
            return body
    raise AssertionError(f"not done after {limit} replies: {body}")


def test_me(client, agent, headers):
    body = client.get("/api/v1/me", headers=headers).json
    assert body == {
        "id": agent.id,
        "email": agent.email,
        "name": agent.name,
        "role": "agent",
        "team": None,
    }


def test_scenarios_lists_every_synced_scenario(client, headers):
    body = client.get("/api/v1/scenarios", headers=headers).json
    assert len(body) >= 10
    assert set(body[0]) == {"slug", "version", "title", "language", "sector", "difficulty", "mode"}
    assert {s["language"] for s in body} == {"en", "id"}


def test_start_attempt_returns_the_opening_line(client, headers):
    body = start(client, headers)
    assert body["done"] is False
    assert body["customer"]["text"]
    assert 0 <= body["customer"]["mood"] <= 10


def test_good_replies_resolve_and_blame_escalates(client, headers):
    good = play(client, headers, start(client, headers)["id"], GOOD)
    assert good["outcome"] == "resolved"
    assert good["attempt"]["service_level"] >= 3
    bad = play(client, headers, start(client, headers)["id"], BLAME)
    assert bad["outcome"] == "escalated"
    assert bad["attempt"]["service_level"] <= 1
    assert bad["customer"]["mood"] >= good["customer"]["mood"]


def test_turn_response_shape(client, headers):
    attempt = start(client, headers)
    body = client.post(
        f"/api/v1/attempts/{attempt['id']}/turns", json={"reply": GOOD}, headers=headers
    ).json
    assert {"turn", "scores", "service_level", "feedback", "customer", "done", "outcome"} <= set(
        body
    )
    assert body["turn"] == 1
    assert set(body["scores"]) == {"empathy", "validation", "solution"}
    assert body["scores"]["empathy"]["level"] == 3
    feedback = body["feedback"]
    assert feedback["exemplar"]
    assert set(feedback["dimensions"]) == {"empathy", "validation", "solution"}


def test_feedback_explains_flags_and_what_was_missing(client, headers):
    attempt = start(client, headers)
    body = client.post(
        f"/api/v1/attempts/{attempt['id']}/turns", json={"reply": BLAME}, headers=headers
    ).json
    assert body["feedback"]["flags"][0]["name"] == "blame"
    assert "Blames" in body["feedback"]["flags"][0]["explain"]
    assert {m["dimension"] for m in body["feedback"]["missing"]} == {
        "empathy",
        "validation",
        "solution",
    }


def test_same_idempotency_key_makes_one_turn_and_the_same_response(app, client, headers):
    attempt = start(client, headers)
    url = f"/api/v1/attempts/{attempt['id']}/turns"
    first = client.post(url, json={"reply": GOOD}, headers={**headers, "Idempotency-Key": "k-1"})
    again = client.post(url, json={"reply": GOOD}, headers={**headers, "Idempotency-Key": "k-1"})
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json == first.json
    other = client.post(url, json={"reply": GOOD}, headers={**headers, "Idempotency-Key": "k-2"})
    assert other.json["turn"] == 2
    with app.app_context():
        agent_turns = db.session.query(Turn).filter_by(attempt_id=attempt["id"], speaker="agent")
        assert agent_turns.count() == 2
    assert app.extensions["trainer.scorer"].get().calls == 2


def test_get_attempt_has_transcript_scores_and_metrics(client, headers):
    attempt = start(client, headers)
    play(client, headers, attempt["id"], GOOD)
    body = client.get(f"/api/v1/attempts/{attempt['id']}", headers=headers).json
    assert body["outcome"] == "resolved"
    assert body["metrics"]["csat"] >= 4
    assert body["metrics"]["nps_category"] in {"promoter", "passive"}
    speakers = [t["speaker"] for t in body["transcript"]]
    assert speakers[0] == "customer" and speakers[-1] == "customer"
    agent_turns = [t for t in body["transcript"] if t["speaker"] == "agent"]
    assert all(t["scores"]["validation"]["level"] == 3 for t in agent_turns)
    assert all(t["model_version"] == FakeScorer.model_version for t in agent_turns)


def test_score_endpoint(client, headers):
    body = client.post(
        "/api/v1/score", json={"reply": GOOD, "context": "My internet is down"}, headers=headers
    ).json
    assert body["service_level"] == 4
    assert body["model_version"] == "fake-1"
    assert set(body["dimensions"]) == {"empathy", "validation", "solution"}


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "code"),
    [
        ("post", "/api/v1/score", {"data": "not json"}, 400, "invalid_json"),
        ("post", "/api/v1/score", {"json": ["a list"]}, 400, "invalid_json"),
        ("post", "/api/v1/score", {"json": {"reply": "   "}}, 422, "invalid_reply"),
        ("post", "/api/v1/score", {"json": {"reply": "🙂🙂"}}, 422, "invalid_reply"),
        ("post", "/api/v1/score", {"json": {"reply": 42}}, 422, "invalid_reply"),
        ("post", "/api/v1/attempts", {"json": {"scenario": "nope"}}, 404, "not_found"),
        ("post", "/api/v1/attempts", {"json": {"scenario": 3}}, 422, "invalid_scenario"),
        # Half an emoji, escaped in JSON: refused before it reaches the database or the scorer.
        ("post", "/api/v1/attempts", {"json": {"scenario": "\ud800"}}, 400, "invalid_json"),
        ("post", "/api/v1/score", {"json": {"reply": "ok \ud83d"}}, 400, "invalid_json"),
        ("post", "/api/v1/score", {"json": {"reply": "ok", "\udfff": 1}}, 400, "invalid_json"),
        # PostgreSQL stores no NUL; JSON this deep overflows the parser's stack.
        ("post", "/api/v1/score", {"json": {"reply": "ok\x00"}}, 400, "invalid_json"),
        ("post", "/api/v1/attempts", {"json": {"scenario": "x\x00"}}, 400, "invalid_json"),
        (
            "post",
            "/api/v1/score",
            {"data": "[" * 100_000, "content_type": "application/json"},
            400,
            "invalid_json",
        ),
        ("get", "/api/v1/attempts/999999", {}, 404, "not_found"),
        ("get", "/api/v1/nothing-here", {}, 404, "not_found"),
        (
            "post",
            "/api/v1/score",
            {"data": "x" * 300_000, "content_type": "application/json"},
            413,
            "request_entity_too_large",
        ),
    ],
)
def test_errors_are_json(client, headers, method, path, kwargs, status, code):
    response = getattr(client, method)(path, headers=headers, **kwargs)
    assert response.status_code == status
    assert response.is_json
    assert response.json["error"]["code"] == code
    assert response.json["error"]["message"]


@pytest.mark.parametrize(
    "authorization", [None, "Bearer", "Bearer nope", "Basic dXNlcjpwYXNz", "trn_abc"]
)
def test_without_a_valid_token_401(client, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"


def test_session_cookie_is_not_enough_for_the_api(client, logged_in):
    logged_in("agent")
    assert client.get("/api/v1/me").status_code == 401


def test_reply_errors(client, headers):
    attempt = start(client, headers)
    url = f"/api/v1/attempts/{attempt['id']}/turns"
    assert client.post(url, json={"reply": ""}, headers=headers).status_code == 422
    assert client.post(url, json={}, headers=headers).status_code == 422
    long = client.post(url, json={"reply": "word " * 3000}, headers=headers)
    assert long.status_code == 413
    assert long.json["error"]["code"] == "reply_too_long"
    key = client.post(url, json={"reply": GOOD}, headers={**headers, "Idempotency-Key": "x" * 101})
    assert key.status_code == 409


def test_attempt_over_409(client, headers):
    attempt = start(client, headers)
    play(client, headers, attempt["id"], GOOD)
    response = client.post(
        f"/api/v1/attempts/{attempt['id']}/turns", json={"reply": GOOD}, headers=headers
    )
    assert response.status_code == 409
    assert response.json["error"]["code"] == "attempt_over"


def test_an_agent_abandons_an_attempt_once_and_a_retry_says_the_same(client, headers):
    attempt = start(client, headers)
    url = f"/api/v1/attempts/{attempt['id']}"
    first = client.post(url + "/abandon", headers=headers)
    assert first.status_code == 200
    assert "Idempotent-Replayed" not in first.headers
    document = client.get(url, headers=headers).json
    assert first.json == {
        "id": attempt["id"],
        "done": True,
        "outcome": "abandoned",
        "service_level": document["service_level"],
    }
    assert document["outcome"] == "abandoned"
    again = client.post(url + "/abandon", headers=headers)
    assert (again.status_code, again.json) == (200, first.json)
    assert again.headers["Idempotent-Replayed"] == "true"
    turn = client.post(url + "/turns", json={"reply": GOOD}, headers=headers)
    assert (turn.status_code, turn.json["error"]["code"]) == (409, "attempt_over")


def test_a_finished_attempt_cannot_be_abandoned(client, headers):
    attempt = start(client, headers)
    done = play(client, headers, attempt["id"], GOOD)
    response = client.post(f"/api/v1/attempts/{attempt['id']}/abandon", headers=headers)
    assert (response.status_code, response.json["error"]["code"]) == (409, "attempt_over")
    url = f"/api/v1/attempts/{attempt['id']}"
    assert client.get(url, headers=headers).json["outcome"] == done["outcome"] != "abandoned"


def test_agents_cannot_reply_to_or_read_other_peoples_attempts(
    client, headers, make_user, token_for
):
    attempt = start(client, headers)
    other = token_for(make_user("agent"))
    url = f"/api/v1/attempts/{attempt['id']}"
    assert client.get(url, headers=other).status_code == 404
    assert client.post(url + "/turns", json={"reply": GOOD}, headers=other).status_code == 404
    for role in ("trainer", "hr"):
        assert client.get(url, headers=token_for(make_user(role))).status_code == 200
    assert client.get(url, headers=token_for(make_user("admin"))).status_code == 403


def test_revoked_or_disabled_users_tokens_stop_working(app, client, agent, headers):
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    with app.app_context():
        from trainer.models import User

        db.session.get(User, agent.id).active = False
        db.session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_a_retried_start_with_the_same_key_returns_the_same_attempt(app, client, headers):
    keyed = {**headers, "Idempotency-Key": "start-1"}
    first = client.post("/api/v1/attempts", json={"scenario": SLUG}, headers=keyed)
    again = client.post("/api/v1/attempts", json={"scenario": SLUG}, headers=keyed)
    assert first.status_code == 201 and again.status_code == 200
    assert again.json == first.json
    other = client.post(
        "/api/v1/attempts", json={"scenario": "hospital-surprise-bill"}, headers=keyed
    )
    assert other.status_code == 409
    fresh = client.post("/api/v1/attempts", json={"scenario": SLUG}, headers=headers)
    assert fresh.json["id"] != first.json["id"]


def test_list_my_attempts_page_by_page(client, headers, make_user, token_for):
    ids = [start(client, headers)["id"] for _ in range(3)]
    play(client, headers, ids[0], GOOD)
    start(client, token_for(make_user("agent")))  # someone else's: never listed
    first = client.get("/api/v1/attempts?limit=2", headers=headers).json
    assert [a["id"] for a in first["attempts"]] == [ids[2], ids[1]]
    assert first["next"] == ids[1]
    rest = client.get(f"/api/v1/attempts?limit=2&before={first['next']}", headers=headers).json
    assert [a["id"] for a in rest["attempts"]] == [ids[0]] and rest["next"] is None
    assert rest["attempts"][0]["outcome"] == "resolved"
    assert rest["attempts"][0]["scenario"]["slug"] == SLUG
    done = client.get("/api/v1/attempts?status=done", headers=headers).json
    assert [a["id"] for a in done["attempts"]] == [ids[0]]


@pytest.mark.parametrize(
    "query", ["status=lost", "limit=0", "limit=201", "limit=ten", "before=-1", "before=1e3"]
)
def test_list_filters_that_cannot_be_used_are_refused(client, headers, query):
    response = client.get(f"/api/v1/attempts?{query}", headers=headers)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_filter"
