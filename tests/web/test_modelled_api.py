"""Modelled scenarios play through the same API and pages as scripted ones (fake scorer)."""

from __future__ import annotations

import pytest

from tests.web.conftest import ROOT
from tests.web.test_api import BLAME, GOOD, play, start
from trainer.core.scenario import load_scenario

MODELLED = sorted(
    p.stem for p in (ROOT / "scenarios").glob("*.yaml") if load_scenario(p).mode == "model"
)


@pytest.fixture
def slug():
    if not MODELLED:
        pytest.fail("no modelled scenario in scenarios/")
    return MODELLED[0]


def test_listed_with_mode_model(client, headers, slug):
    listing = {s["slug"]: s for s in client.get("/api/v1/scenarios", headers=headers).json}
    assert listing[slug]["mode"] == "model"


def test_good_replies_resolve_and_blame_escalates(client, headers, slug):
    good = play(client, headers, start(client, headers, slug)["id"], GOOD)
    assert good["outcome"] == "resolved"
    assert good["feedback"]["exemplar"]
    bad_attempt = start(client, headers, slug)
    bad = play(client, headers, bad_attempt["id"], BLAME)
    assert bad["outcome"] == "escalated"
    assert bad["customer"]["mood"] >= bad_attempt["customer"]["mood"]


def test_same_seed_same_replies_same_customer(app, client, headers, slug, agent):
    from trainer.extensions import db
    from trainer.models import User
    from trainer.services import practice, scenarios

    transcripts = []
    for _ in range(2):
        with app.app_context():
            attempt = practice.start_attempt(
                db.session.get(User, agent.id), scenarios.active_version(slug), seed=42
            )
            db.session.commit()
            attempt_id = attempt.id
        for reply in ("Flat reply.", GOOD, "Another flat one.", GOOD):
            client.post(
                f"/api/v1/attempts/{attempt_id}/turns", json={"reply": reply}, headers=headers
            )
        document = client.get(f"/api/v1/attempts/{attempt_id}", headers=headers).json
        transcripts.append(
            [(t["speaker"], t["text"], t.get("mood")) for t in document["transcript"]]
        )
    assert transcripts[0] == transcripts[1]


def test_chat_page_shows_the_mood_meter(client, logged_in, slug):
    from tests.web.test_practice_pages import send
    from tests.web.test_practice_pages import start as start_page

    logged_in("agent")
    url = start_page(client, slug)
    assert 'id="mood-meter"' in client.get(url).get_data(as_text=True)
    assert send(client, url, GOOD).status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert page.count('class="turn customer"') == 2
