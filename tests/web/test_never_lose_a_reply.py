"""A submitted reply survives a broken scorer and concurrent submits; it is scored later."""

from __future__ import annotations

import threading

import pytest

from tests.web.conftest import FakeScorer
from trainer.extensions import db
from trainer.models import Attempt, Turn
from trainer.services import replies
from trainer.web.scorer import kit

GOOD = "Great reply. I am sorry; a technician comes today and I will call you at five."


class Switchable:
    """A scorer factory that fails to load until switched on (a missing or corrupt model)."""

    broken = True

    def __call__(self):
        if Switchable.broken:
            raise FileNotFoundError("models/heads.npz is missing")
        return FakeScorer()


@pytest.fixture
def app_config():
    Switchable.broken = True
    return {"TRAINER_SCORER_FACTORY": Switchable()}


def test_reply_is_kept_when_the_model_is_missing_and_scored_later(app, client, headers):
    attempt = client.post(
        "/api/v1/attempts", json={"scenario": "saas-outage-payroll"}, headers=headers
    ).json
    url = f"/api/v1/attempts/{attempt['id']}/turns"
    response = client.post(url, json={"reply": GOOD}, headers=headers)
    assert response.status_code == 503
    assert response.json["error"]["code"] == "scoring_unavailable"
    assert "saved" in response.json["error"]["message"]
    assert response.headers["X-Turn"] == "1"
    with app.app_context():
        turn = db.session.scalar(db.select(Turn).where(Turn.speaker == "agent"))
        assert turn.text == GOOD
        assert turn.score_status == "failed"
        assert "heads.npz" in turn.score_error
        assert db.session.get(Attempt, attempt["id"]).status == "awaiting_score"
    blocked = client.post(url, json={"reply": GOOD}, headers=headers)
    assert blocked.status_code == 409
    assert blocked.json["error"]["code"] == "reply_pending"

    Switchable.broken = False
    with app.app_context():
        assert replies.score_all_pending(kit()) == 1
    document = client.get(f"/api/v1/attempts/{attempt['id']}", headers=headers).json
    agent_turn = next(t for t in document["transcript"] if t["speaker"] == "agent")
    assert agent_turn["score_status"] == "scored"
    assert agent_turn["service_level"] == 4
    assert document["transcript"][-1]["speaker"] == "customer"
    assert document["status"] == "active"
    assert client.post(url, json={"reply": GOOD}, headers=headers).status_code == 201


def test_a_scorer_that_raises_keeps_the_reply(app, client, headers):
    Switchable.broken = False
    attempt = client.post(
        "/api/v1/attempts", json={"scenario": "saas-outage-payroll"}, headers=headers
    ).json
    url = f"/api/v1/attempts/{attempt['id']}/turns"
    response = client.post(url, json={"reply": "This will explode the model"}, headers=headers)
    assert response.status_code == 503
    with app.app_context():
        turn = db.session.scalar(db.select(Turn).where(Turn.speaker == "agent"))
        assert turn.text == "This will explode the model"
        assert "corrupt" in turn.score_error


def test_the_chat_page_says_the_reply_is_saved_and_offers_to_score_it(app, client, logged_in):
    from tests.web.test_practice_pages import send, start

    logged_in("agent")
    url = start(client)
    response = send(client, url, GOOD)
    assert response.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "is saved but not scored yet" in page
    assert GOOD.split(".")[0] in page
    Switchable.broken = False
    from tests.web.conftest import csrf_token

    client.post(f"{url}/rescore", data={"csrf_token": csrf_token(client, url)})
    page = client.get(url).get_data(as_text=True)
    assert "is saved but not scored yet" not in page
    assert "Service with Heart" in page


def test_concurrent_submits_on_sqlite_lose_nothing(app, make_user, token_for):
    """Eight trainees reply at once, five times each: no "database is locked", no lost turn."""
    Switchable.broken = False
    users = [make_user("agent") for _ in range(8)]
    headers = [token_for(u) for u in users]
    errors: list[str] = []
    acknowledged: dict[int, int] = {}

    def play(h):
        client = app.test_client()
        attempt = client.post(
            "/api/v1/attempts", json={"scenario": "backoffice-claim-delay"}, headers=h
        ).json["id"]
        acknowledged[attempt] = 0
        for i in range(5):
            r = client.post(
                f"/api/v1/attempts/{attempt}/turns",
                json={"reply": f"Flat reply number {i}."},
                headers=h,
            )
            if r.status_code != 201:
                errors.append(f"{r.status_code} {r.get_data(as_text=True)}")
                return
            acknowledged[attempt] += 1
            if r.json["done"]:
                return

    threads = [threading.Thread(target=play, args=(h,)) for h in headers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with app.app_context():
        for attempt_id, count in acknowledged.items():
            stored = db.session.query(Turn).filter_by(attempt_id=attempt_id, speaker="agent")
            assert stored.count() == count
            assert all(t.score_status == "scored" for t in stored)


def test_retrying_the_same_key_scores_the_saved_reply_once_the_scorer_is_back(app, client, headers):
    attempt = client.post(
        "/api/v1/attempts", json={"scenario": "saas-outage-payroll"}, headers=headers
    ).json
    url = f"/api/v1/attempts/{attempt['id']}/turns"
    keyed = {**headers, "Idempotency-Key": "retry-me"}
    assert client.post(url, json={"reply": GOOD}, headers=keyed).status_code == 503
    assert client.post(url, json={"reply": GOOD}, headers=keyed).status_code == 503
    Switchable.broken = False
    scored = client.post(url, json={"reply": GOOD}, headers=keyed)
    assert scored.status_code == 201  # the first response with a score
    assert scored.json["turn"] == 1 and scored.json["service_level"] == 4
    assert client.post(url, json={"reply": GOOD}, headers=keyed).json == scored.json
    with app.app_context():
        assert db.session.query(Turn).filter_by(speaker="agent").count() == 1


def test_a_reply_scored_after_its_attempt_was_abandoned_does_not_reopen_it(app, client, headers):
    attempt = client.post(
        "/api/v1/attempts", json={"scenario": "saas-outage-payroll"}, headers=headers
    ).json
    base = f"/api/v1/attempts/{attempt['id']}"
    assert client.post(f"{base}/turns", json={"reply": GOOD}, headers=headers).status_code == 503
    ended = client.post(f"{base}/abandon", headers=headers).json
    assert ended["outcome"] == "abandoned" and ended["service_level"] is None

    Switchable.broken = False
    with app.app_context():
        assert replies.score_all_pending(kit()) == 1
    document = client.get(base, headers=headers).json
    assert document["status"] == "done" and document["outcome"] == "abandoned"
    # Scored for the record, but the customer, gone, says nothing more.
    assert [t["speaker"] for t in document["transcript"]] == ["customer", "agent"]
    assert document["transcript"][1]["score_status"] == "scored"
    assert document["transcript"][1]["service_level"] == 4
    assert document["service_level"] == 4
    assert document["metrics"]["agent_turns"] == 1
    late = client.post(f"{base}/turns", json={"reply": GOOD}, headers=headers)
    assert late.status_code == 409 and late.json["error"]["code"] == "attempt_over"


def test_retrying_a_reply_after_abandoning_scores_it_and_the_customer_stays_silent(
    app, client, headers
):
    attempt = client.post(
        "/api/v1/attempts", json={"scenario": "saas-outage-payroll"}, headers=headers
    ).json
    base = f"/api/v1/attempts/{attempt['id']}"
    keyed = {**headers, "Idempotency-Key": "late"}
    assert client.post(f"{base}/turns", json={"reply": GOOD}, headers=keyed).status_code == 503
    assert client.post(f"{base}/abandon", headers=headers).status_code == 200
    Switchable.broken = False
    scored = client.post(f"{base}/turns", json={"reply": GOOD}, headers=keyed)
    assert scored.status_code == 201
    assert scored.json["service_level"] == 4 and scored.json["customer"] is None
    assert scored.json["done"] is True and scored.json["outcome"] == "abandoned"
    assert scored.json["attempt"]["service_level"] == 4
