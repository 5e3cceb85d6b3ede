"""Practice pages through the test client with CSRF on: list, chat, feedback, summary, history."""

from __future__ import annotations

import re

import pytest
from flask import render_template_string

from tests.web.conftest import csrf_token
from tests.web.test_database import BOTH
from trainer.extensions import db
from trainer.models import Attempt, Turn
from trainer.web.practice import routes as practice_routes
from trainer.web.terms import mood_word

GOOD = "Great reply. I am so sorry; I will send a technician today and call you at five."
SLUG = "telco-outage-home-office"
KEY = re.compile(r'name="key" type="hidden" value="([0-9a-f]+)"')


def url_id(url: str) -> int:
    return int(url.rsplit("/", 1)[1])


def linked_attempts(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'href="/practice/attempts/(\d+)"', page)]


def start(client, slug=SLUG) -> str:
    token = csrf_token(client, f"/practice/scenarios/{slug}")
    response = client.post(f"/practice/scenarios/{slug}/attempts", data={"csrf_token": token})
    assert response.status_code == 302
    return response.headers["Location"]


def reply_form(client, url):
    html = client.get(url).get_data(as_text=True)
    return {"csrf_token": csrf_token(client, url), "key": KEY.search(html).group(1)}


def send(client, url, text, **extra):
    data = {**reply_form(client, url), "reply": text}
    return client.post(f"{url}/turns", data=data, **extra)


@pytest.fixture
def agent(logged_in):
    return logged_in("agent")


def test_scenario_list_and_filters(client, agent):
    page = client.get("/practice/").get_data(as_text=True)
    assert page.count('class="card"') >= 10
    indonesian = client.get("/practice/?language=id").get_data(as_text=True)
    assert "Kartu ATM" in indonesian and "Wrong item delivered" not in indonesian
    banking = client.get("/practice/?sector=banking&difficulty=2").get_data(as_text=True)
    assert "Kartu ATM" in banking and "Paket COD" not in banking
    assert "No scenario matches" in client.get("/practice/?difficulty=5&sector=banking").text


def test_briefing_page(client, agent):
    page = client.get(f"/practice/scenarios/{SLUG}").get_data(as_text=True)
    assert "Learning objectives" in page and "Start the conversation" in page
    indonesian = client.get("/practice/scenarios/kartu-atm-terblokir").get_data(as_text=True)
    assert '<span class="tag">Bahasa Indonesia</span>' in indonesian
    assert client.get("/practice/scenarios/no-such-thing").status_code == 404


def test_play_to_the_end_with_plain_form_posts(app, client, agent):
    url = start(client)
    page = client.get(url).get_data(as_text=True)
    assert 'id="mood-meter"' in page and "reply-form" in page
    assert send(client, url, "Flat reply.").status_code == 302
    assert "An example of a better reply" in client.get(url).get_data(as_text=True)
    for _ in range(10):
        response = send(client, url, GOOD)
        assert response.status_code == 302
        page = client.get(url).get_data(as_text=True)
        if "Attempt summary" in page:
            break
    else:
        pytest.fail("the attempt did not end")
    assert "resolved" in page
    for metric in ("CSAT", "NPS", "CES", "FCR", "Handle time"):
        assert metric in page
    assert "<mark>Great reply</mark>" in page  # the evidence sentence is highlighted
    assert "reply-form" not in page


def test_javascript_submit_gets_json_with_the_new_turns(client, agent):
    url = start(client)
    response = send(client, url, GOOD, headers={"Accept": "application/json"})
    assert response.status_code == 200
    body = response.json
    assert 'class="turn agent"' in body["html"] and 'class="turn customer"' in body["html"]
    assert 0 <= body["mood"] <= 10
    assert body["mood_word"] == mood_word(body["mood"])
    assert f"{body['mood']}/10 · {body['mood_word']}</span>" in body["html"]
    assert body["done"] is False and body["summary"] is None
    assert re.fullmatch(r"[0-9a-f]{32}", body["key"])


@pytest.mark.parametrize(
    ("mood", "word"),
    [(0, "calm"), (3, "calm"), (4, "tense"), (6, "tense"), (7, "angry"), (10, "angry")],
)
def test_the_mood_is_said_in_a_word_so_that_zero_reads_as_calm(app, mood, word):
    with app.test_request_context():
        assert mood_word(mood) == word
    with app.test_request_context(headers={"Accept-Language": "id"}):
        assert mood_word(mood) == {"calm": "tenang", "tense": "tegang", "angry": "marah"}[word]


def test_a_bad_reply_keeps_the_text_and_says_why(app, client, agent):
    url = start(client)
    response = send(client, url, "🙂 🙂 🙂")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "no words" in page
    assert "🙂 🙂 🙂" in page  # still in the box
    as_json = send(client, url, "🙂", headers={"Accept": "application/json"})
    assert as_json.status_code == 422
    assert as_json.json["error"]["code"] == "invalid_reply"


@pytest.mark.parametrize(
    ("text", "english", "indonesian"),
    [
        ("🙂 🙂 🙂", "has no words, only emoji", "tidak berisi kata, hanya emoji"),
        ("x" * 10_001, "at most 10,000 characters", "paling banyak 10.000 karakter"),
    ],
)
def test_a_refused_reply_is_explained_in_the_trainees_language(
    client, agent, text, english, indonesian
):
    url = start(client)
    page = send(client, url, text).get_data(as_text=True)
    assert english in page
    client.get("/practice/?lang=id")
    page = send(client, url, text).get_data(as_text=True)
    assert indonesian in page and english not in page
    assert text in page  # still in the box
    as_json = send(client, url, text, headers={"Accept": "application/json"})
    assert indonesian in as_json.json["error"]["message"]
    # The chat script's own messages come from the page, in the same language.
    assert 'data-offline="Server tidak dapat dihubungi.' in client.get(url).text


def test_feedback_is_in_the_trainees_language(client, agent):
    url = start(client)
    client.get("/practice/?lang=id")
    page = send(client, url, "Flat reply.", follow_redirects=True).text
    # The rubric's descriptors, tips and dimension names, from the catalogue.
    assert "Sekadar basa-basi - kalimat template" in page
    assert "Fokus solusi: Tawarkan dua atau tiga pilihan konkret" in page
    assert "Token - a stock phrase" not in page
    # And the next rung of the ladder.
    assert "Untuk level 2 · Customer Satisfaction" in page
    assert "Empati atau Validasi di level 2" in page


def test_a_reply_in_another_language_than_the_customers_is_pointed_out(client, agent, token_for):
    url = start(client, "kartu-atm-terblokir")  # an Indonesian customer
    english = "I am so sorry, I will unblock your card today and call you back at five."
    page = send(client, url, english, follow_redirects=True).text
    note = "You replied in English, but this customer writes in Indonesian."
    assert note in page
    client.get("/practice/?lang=id")
    page = send(client, url, "Mohon maaf Pak, kartu Bapak saya buka hari ini ya.").text
    page = client.get(url).text
    assert "Anda membalas dalam bahasa Inggris" in page and page.count("Anda membalas") == 1
    attempt = client.post(
        "/api/v1/attempts", json={"scenario": "kartu-atm-terblokir"}, headers=token_for(agent)
    ).json
    turn = client.post(
        f"/api/v1/attempts/{attempt['id']}/turns", json={"reply": english}, headers=token_for(agent)
    ).json
    assert turn["feedback"]["reply_language"] == "en"


def test_the_api_keeps_the_services_english(client, agent, token_for):
    headers = {**token_for(agent), "Accept-Language": "id"}
    attempt = client.post("/api/v1/attempts", json={"scenario": SLUG}, headers=headers).json
    refused = client.post(
        f"/api/v1/attempts/{attempt['id']}/turns", json={"reply": "🙂"}, headers=headers
    )
    assert refused.status_code == 422
    assert refused.json["error"]["message"] == (
        "reply has no words (only emoji, symbols or punctuation)"
    )


def test_double_submit_of_one_form_makes_one_turn(app, client, agent):
    url = start(client)
    data = {**reply_form(client, url), "reply": GOOD}
    first = client.post(f"{url}/turns", data=data)
    second = client.post(f"{url}/turns", data=data)
    assert first.status_code == second.status_code == 302
    attempt_id = int(url.rsplit("/", 1)[1])
    with app.app_context():
        count = db.session.query(Turn).filter_by(attempt_id=attempt_id, speaker="agent").count()
    assert count == 1


def test_abandon(app, client, agent):
    url = start(client)
    token = csrf_token(client, url)
    assert client.post(f"{url}/abandon", data={"csrf_token": token}).status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "abandoned" in page and "reply-form" not in page
    # The outcome is in the trainee's language; the API keeps the stored value.
    assert "<strong>ditinggalkan</strong>" in client.get(f"{url}?lang=id").text
    assert "<td>ditinggalkan</td>" in client.get("/practice/history").text


def test_history_shows_only_my_attempts(app, client, agent, make_user):
    start(client)
    other = make_user("agent")
    with app.app_context():
        from trainer.services import practice, scenarios

        practice.start_attempt(
            db.session.get(type(other), other.id), scenarios.active_version(SLUG)
        )
        db.session.commit()
        total = db.session.query(Attempt).count()
    page = client.get("/practice/history").get_data(as_text=True)
    assert total == 2
    assert page.count("/practice/attempts/") == 1


@BOTH  # keyset paging in SQL
def test_history_pages_from_the_newest(app, client, agent, monkeypatch):
    monkeypatch.setattr(practice_routes, "HISTORY_PAGE", 2)
    urls = [start(client) for _ in range(3)]
    first = client.get("/practice/history").text
    assert linked_attempts(first) == [url_id(urls[2]), url_id(urls[1])]
    older = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    assert older == f"/practice/history?before={url_id(urls[1])}"
    second = client.get(older).text
    assert linked_attempts(second) == [url_id(urls[0])]
    assert 'rel="next"' not in second and 'href="/practice/history">Newest<' in second
    beyond = client.get(f"/practice/history?before={url_id(urls[0])}").text
    assert "No older attempts." in beyond and "No attempts yet." not in beyond
    assert client.get("/practice/history?before=x").text.count("/practice/attempts/") == 2


@BOTH  # grouped in SQL
def test_my_record_on_the_list_and_the_briefing(app, client, agent, make_user):
    def card(page: str) -> str:
        return page.split(f'href="/practice/scenarios/{SLUG}"', 1)[1].split("</li>", 1)[0]

    def shown(progress: str) -> list[str]:
        page = client.get(f"/practice/?progress={progress}").text
        return re.findall(r'href="/practice/scenarios/([^"]+)"', page)

    assert "Not tried yet" in card(client.get("/practice/").text)
    assert SLUG in shown("new") and shown("below") == shown("reached") == []
    url = start(client)
    listed = card(client.get("/practice/").text)
    assert "1 attempt ·" in listed and "none finished yet" in listed
    assert shown("below") == [SLUG] and SLUG not in shown("new")
    assert f'href="{url}">continue<' in listed
    briefing = client.get(f"/practice/scenarios/{SLUG}").text
    assert f'href="{url}">Continue your conversation<' in briefing
    assert "Start over" in briefing
    other = make_user("agent")
    with app.app_context():
        from trainer.services import practice, scenarios

        mine = db.session.get(Attempt, url_id(url))
        mine.status, mine.service_level = "done", 3  # this scenario's target
        version = scenarios.active_version(SLUG)
        for level, user, purpose in ((4, other, "practice"), (4, agent, "playtest")):
            attempt = practice.start_attempt(db.session.get(type(user), user.id), version)
            attempt.status, attempt.service_level, attempt.purpose = "done", level, purpose
        db.session.commit()
        records = practice.scenario_records(db.session.get(type(agent), agent.id))
    # Neither a colleague's attempt nor a play-test counts toward my record.
    assert records == {SLUG: practice.ScenarioRecord(1, 3, None)}
    listed = card(client.get("/practice/").text)
    assert "3 · Service Excellence" in listed and "target reached" in listed
    assert "continue" not in listed
    assert shown("reached") == [SLUG] and shown("below") == []
    briefing = client.get(f"/practice/scenarios/{SLUG}").text
    assert "Continue your conversation" not in briefing and "Start the conversation" in briefing
    scorecard = client.get(f"/reports/agents/{agent.id}").text
    assert 'id="attempts">1</strong> attempt (1 finished)' in scorecard  # one, not "1 attempts"
    start(client)
    listed = card(client.get("/practice/?lang=id").text)
    assert "2 percobaan" in listed and "lanjutkan" in listed


def test_reply_form_post_without_csrf_is_refused(client, agent):
    url = start(client)
    response = client.post(f"{url}/turns", data={"reply": GOOD, "key": "k"})
    assert response.status_code == 400


def test_no_cdn_assets(client, agent):
    url = start(client)
    page = client.get(url).get_data(as_text=True)
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources
    assert all(not s.startswith(("http:", "https:", "//")) for s in sources)
    with client.get("/static/chat.js") as script:  # closes the file it streams
        assert script.status_code == 200


@BOTH  # the open attempts are found and locked in SQL
def test_starting_over_ends_the_open_conversation(app, client, agent):
    first = start(client)
    assert send(client, first, GOOD).status_code == 302
    briefing = client.get(f"/practice/scenarios/{SLUG}").text
    assert f'href="{first}">Continue your conversation<' in briefing
    assert "ends your open conversation as abandoned" in briefing
    second = start(client)
    assert second != first
    with app.app_context():
        ended = db.session.get(Attempt, url_id(first))
        assert (ended.status, ended.outcome, ended.service_level) == ("done", "abandoned", 4)
        assert db.session.get(Attempt, url_id(second)).status == "active"
    assert (
        f'href="{second}">Continue your conversation<'
        in client.get(f"/practice/scenarios/{SLUG}").text
    )
    assert "<td>abandoned</td>" in client.get("/practice/history").text


@pytest.mark.parametrize(
    ("level", "evidence", "note"), [(2, [], True), (2, ["Sorry."], False), (1, [], False)]
)
def test_a_dimension_shown_by_the_whole_reply_says_so(app, level, evidence, note):
    # The scorer quotes no sentence when none carries the dimension on its own.
    macro = '{% import "_explained.html" as e %}{{ e.dimensions(fb) }}'
    empathy = {"title": "Empathy", "level": level, "descriptor": "d", "evidence": evidence}
    dims = {"empathy": empathy}
    with app.test_request_context():
        html = render_template_string(macro, fb={"dimensions": dims, "flags": []})
    assert ("Shown by the reply as a whole" in html) is note
    assert ("<mark>Sorry.</mark>" in html) is bool(evidence)
