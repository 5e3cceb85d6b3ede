"""The studio's "Try the scorer": any reply scored and explained in the rubric's words, unsaved."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from tests.web.conftest import csrf_token
from trainer.extensions import db
from trainer.models import Turn, TurnScore

URL = "/studio/scorer"


def score(client, reply: str, context: str = ""):
    token = csrf_token(client, URL)
    return client.post(URL, data={"reply": reply, "context": context, "csrf_token": token})


@pytest.mark.parametrize("role", ["trainer", "hr"])
def test_a_reply_is_scored_and_explained(client, app, logged_in, role):
    logged_in(role)
    response = score(client, "A great reply. The technician comes at 8am.", "No internet!")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "4 · Service with Heart</span>" in page
    assert "<mark>A great reply</mark>" in page  # the fake's evidence
    assert "p = 1.00" in page
    assert "Model fake-1" in page
    assert 'name="reply"' in page and "A great reply. The technician comes at 8am." in page
    with app.app_context():  # nothing is kept
        assert db.session.scalar(select(func.count()).select_from(Turn)) == 0
        assert db.session.scalar(select(func.count()).select_from(TurnScore)) == 0


def test_flags_and_missing_dimensions_are_explained(client, logged_in):
    logged_in("trainer")
    page = score(client, "You should not blame us.").get_data(as_text=True)
    assert "0 · Below basic</span>" in page
    assert "<strong>blame</strong>:" in page
    assert "What was missing" in page


def test_the_next_rung_of_the_ladder_is_named(client, logged_in):
    logged_in("trainer")
    flat = score(client, "Noted.").get_data(as_text=True)
    assert "For level 2 · Customer Satisfaction" in flat
    assert "Empathy or Validation at level 2" in flat
    held = score(client, "You should not blame us.").get_data(as_text=True)
    assert "without blame, which holds the reply at level 0" in held
    best = score(client, "A great reply.").get_data(as_text=True)
    assert "For level" not in best  # nothing above level 4


def test_a_message_in_the_other_language_is_said_to_be_unread(client, logged_in):
    logged_in("trainer")
    note = "is in the other language than the reply, so the scorer judged the reply alone"
    reply = "I have unblocked your card and the bank will call you today."
    assert note in score(client, reply, "Kartu saya terblokir, saya tidak bisa ambil uang!").text
    assert note not in score(client, reply, "My card is blocked and I cannot get any cash!").text
    assert note not in score(client, reply).text


def test_an_empty_reply_is_refused_with_a_message(client, logged_in):
    logged_in("trainer")
    response = score(client, "   ")
    assert response.status_code == 422
    assert "This field is required." in response.get_data(as_text=True)


def test_a_failing_scorer_answers_503_and_keeps_the_text(client, logged_in):
    logged_in("trainer")
    response = score(client, "This will explode.")
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "The scorer is not available right now" in page
    assert "This will explode." in page  # the text stays in the form


def test_too_long_a_reply_is_refused(client, logged_in):
    logged_in("trainer")
    response = score(client, "x" * 10_001)
    assert response.status_code == 422


def test_the_exemplar_check_links_a_rewrite_with_its_line(client, logged_in):
    logged_in("trainer")
    page = client.get("/studio/scenarios/telco-outage-home-office/versions/1/exemplars").get_data(
        as_text=True
    )
    assert "/studio/scorer?reply=" in page and "&amp;context=" in page
    query = urlencode({"reply": "Try this.", "context": "Still down!"})
    form = client.get(f"{URL}?{query}").get_data(as_text=True)
    assert "Try this.</textarea>" in form and "Still down!</textarea>" in form


def test_in_indonesian(client, logged_in):
    logged_in("trainer")
    client.get(f"{URL}?lang=id")
    page = score(client, "A great reply.").get_data(as_text=True)
    assert "Coba penilai" in page
