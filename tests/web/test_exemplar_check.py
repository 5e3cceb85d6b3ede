"""The studio's exemplar check: how the scorer reads the replies trainees are shown."""

from __future__ import annotations

import pytest

from tests.core.conftest import VALID
from tests.core.test_exemplars import OPENING_EXEMPLAR
from tests.web.conftest import csrf_token

GOOD = "Three days offline is awful, a great reply; a technician comes at 8am."
SOUND = VALID.replace(OPENING_EXEMPLAR, f"        - {GOOD}\n")
FAULTY = SOUND.replace(
    f"        - {GOOD}\n", f"        - {GOOD}\n        - Your router, so blame yourself.\n"
)
URL = "/studio/scenarios/demo-outage/versions/1/exemplars"


@pytest.fixture
def trainer(logged_in):
    return logged_in("trainer")


def upload(client, source: str) -> None:
    token = csrf_token(client, "/studio/scenarios/new")
    response = client.post(
        "/studio/scenarios/new", data={"slug": "demo-outage", "source": source, "csrf_token": token}
    )
    assert response.status_code == 302, response.get_data(as_text=True)


def fake(app):
    return app.extensions["trainer.scorer"].get()


def test_sound_exemplars_and_the_play_through(client, app, trainer):
    upload(client, SOUND)
    response = client.get(URL)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "The 1 exemplar is sound." in page
    assert "Target service level: 3." in page
    assert "<strong>resolved</strong>" in page and "after 1 reply" in page
    assert "opening → resolved" in page
    assert GOOD in page and "Third day without internet!" in page


def test_each_problem_is_explained(client, app, trainer):
    upload(client, FAULTY)
    page = client.get(URL).get_data(as_text=True)
    assert "1 of 2 exemplars needs attention." in page
    assert "<strong>Anti-pattern</strong>: blame" in page
    assert "service level 0, the scenario asks for 3" in page
    assert "without blame, which holds the reply at level 0" in page  # what it lacks
    assert "<strong>Escalates</strong>" in page
    # The summary links to the faulty row only.
    assert 'href="#exemplar-2"><code>opening</code> #2</a>' in page
    assert 'href="#exemplar-1"' not in page and '<tr id="exemplar-1">' in page
    # The first exemplar still resolves the play-through.
    assert "<strong>resolved</strong>" in page


def test_the_page_is_in_the_trainers_language(client, app, trainer):
    upload(client, FAULTY)
    page = client.get(URL + "?lang=id").get_data(as_text=True)
    assert "Pemeriksaan contoh balasan" in page
    assert "1 dari 2 contoh balasan perlu diperbaiki." in page
    assert "tingkat layanan 0, skenario meminta 3" in page


def test_a_shipped_scenario_against_the_flat_fake(client, app, trainer):
    # The fake scorer gives every reply without its marker words service level 1.
    page = client.get("/studio/scenarios/telco-outage-home-office/versions/1/exemplars").get_data(
        as_text=True
    )
    assert "exemplars need attention." in page
    assert "<strong>Goes nowhere</strong>" in page or "<strong>Escalates</strong>" in page
    assert "For level 2 · Customer Satisfaction" in page  # the next rung, for each of them


def test_the_report_is_kept_until_the_model_changes(client, app, trainer):
    upload(client, FAULTY)
    client.get(URL)
    calls = fake(app).calls
    assert client.get(URL).status_code == 200
    assert fake(app).calls == calls
    fake(app).model_version = "fake-2"
    assert client.get(URL).status_code == 200
    assert fake(app).calls == calls + 2


def test_a_failing_scorer_answers_503_and_says_so(client, app, trainer):
    upload(client, SOUND.replace("a great reply", "an explode"))
    response = client.get(URL)
    assert response.status_code == 503
    assert "The scorer is not available right now" in response.get_data(as_text=True)


def test_an_unknown_version_is_404(client, trainer):
    assert client.get("/studio/scenarios/demo-outage/versions/9/exemplars").status_code == 404
    assert client.get("/studio/scenarios/nothing/versions/1/exemplars").status_code == 404


def test_the_studio_links_every_version_to_its_check(client, trainer):
    page = client.get("/studio/").get_data(as_text=True)
    assert 'href="/studio/scenarios/telco-outage-home-office/versions/1/exemplars"' in page


def test_a_modelled_customer_is_played_with_its_exemplars(client, app, trainer):
    # The flat fake hears no plan in any exemplar, so the customer never comes round.
    response = client.get("/studio/scenarios/bank-double-charge-rent/versions/1/exemplars")
    page = response.get_data(as_text=True)
    assert "Played 10 times, one per seed" in page
    assert "the customer came round in 0 of 10</strong> (at least 9 should)" in page
    assert '<th scope="col">Intent</th>' in page


def check_draft(client, source: str, url: str = "/studio/scenarios/new"):
    token = csrf_token(client, "/studio/scenarios/new")
    return client.post(
        url,
        data={
            "slug": "demo-outage",
            "source": source,
            "check": "Check exemplars",
            "csrf_token": token,
        },
    )


def test_a_draft_is_checked_in_the_editor_and_nothing_is_saved(client, app, trainer):
    response = check_draft(client, FAULTY)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Exemplar check of this draft" in page
    assert "1 of 2 exemplars needs attention." in page
    assert "<strong>Anti-pattern</strong>: blame" in page
    assert "Your router, so blame yourself." in page.split("<textarea")[1].split("</textarea>")[0]
    assert client.get(URL).status_code == 404


def test_a_saved_version_of_a_checked_draft_is_not_scored_again(client, app, trainer):
    check_draft(client, SOUND)
    calls = fake(app).calls
    upload(client, SOUND)
    page = client.get(URL).get_data(as_text=True)
    assert "The 1 exemplar is sound." in page
    assert fake(app).calls == calls


def test_a_stored_version_is_checked_from_its_edit_page(client, app, trainer):
    upload(client, SOUND)
    page = check_draft(client, FAULTY, "/studio/scenarios/demo-outage/versions/1/edit").get_data(
        as_text=True
    )
    assert "1 of 2 exemplars needs attention." in page
    assert client.get("/studio/scenarios/demo-outage/versions/2/exemplars").status_code == 404


def test_an_invalid_draft_gets_its_problems_not_a_check(client, app, trainer):
    response = check_draft(client, VALID.replace("target_level: 3", "target_level: 9"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "problem(s)" in page
    assert "Exemplar check of this draft" not in page
    assert fake(app).calls == 0


def test_a_draft_checked_while_the_scorer_fails_keeps_its_text(client, app, trainer):
    draft = SOUND.replace("a great reply", "an explode")
    response = check_draft(client, draft)
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "The scorer is not available right now" in page
    assert "an explode" in page.split("<textarea")[1]


def test_the_draft_check_is_in_the_trainers_language(client, app, trainer):
    page = check_draft(client, FAULTY, "/studio/scenarios/new?lang=id").get_data(as_text=True)
    assert "Pemeriksaan contoh balasan untuk draf ini" in page
    assert "Lompat ke:" in page
