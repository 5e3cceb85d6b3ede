"""The trainer studio: authoring with file:line errors, versions, play-test, diff, review,
disputes, agreement, assignments and certification."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.web.conftest import ROOT, csrf_token, login
from tests.web.test_api import BLAME, GOOD, play, start
from tests.web.test_database import BOTH
from trainer.extensions import db
from trainer.models import (
    Assignment,
    Attempt,
    AuditEvent,
    Dispute,
    ScenarioVersion,
    Turn,
    User,
    utcnow,
)
from trainer.services import reviews, scenarios

SLUG = "telco-outage-home-office"
SOURCE = (ROOT / "scenarios" / f"{SLUG}.yaml").read_text(encoding="utf-8")


@pytest.fixture
def trainer(logged_in):
    return logged_in("trainer")


def post(client, path, data, token_page="/studio/"):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, token_page)})


def test_upload_shows_file_line_errors_beside_the_text(client, trainer):
    broken = SOURCE.replace("difficulty: ", "difficulty: 9 #", 1)
    response = post(client, "/studio/scenarios/new", {"slug": SLUG, "source": broken})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    line = next(i for i, text in enumerate(broken.splitlines(), 1) if "difficulty" in text)
    assert f"{SLUG}.yaml:{line}: difficulty" in page
    assert f'<li value="{line}" class="bad">' in page
    assert "difficulty: 9" in page  # the text stays in the editor


def test_upload_problems_are_in_the_trainers_language(client, trainer):
    broken = SOURCE.replace("difficulty: ", "difficulty: 9 #", 1).replace(
        "sector: ", "colour: blue\nsector: ", 1
    )
    client.get("/studio/?lang=id")
    response = post(client, "/studio/scenarios/new", {"slug": SLUG, "source": broken})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    line = next(i for i, text in enumerate(broken.splitlines(), 1) if "difficulty" in text)
    # Field names and node ids are the file's own; what is wrong with them is in Indonesian.
    assert f"{SLUG}.yaml:{line}: difficulty: harus paling banyak 5" in page
    assert "colour: kolom tidak dikenal" in page
    assert "less than or equal" not in page and "unknown field" not in page
    assert f'<li value="{line}" class="bad">' in page
    # The cross-checks run once the schema holds.
    broken = SOURCE.replace("goto: ", "goto: nowhere #", 1)
    page = post(client, "/studio/scenarios/new", {"slug": SLUG, "source": broken}).get_data(
        as_text=True
    )
    assert "node &#39;nowhere&#39; tidak ada" in page and "is not defined" not in page


@pytest.mark.parametrize(
    "edit",
    [
        lambda t: t.replace("start: ", "start: nowhere #", 1),
        lambda t: t.replace("language: ", "language: fr #", 1),
        lambda t: t.replace("sector: ", "sector: X #", 1),
        lambda t: t.replace("title: ", "titel: ", 1),
        lambda t: t.replace("difficulty: ", "difficulty: 2.5 #", 1),
        lambda t: t.replace("objectives:", "objectives: []\nold_objectives:", 1),
        lambda t: t.replace("end: escalated", "end: resolved"),
        lambda t: "a: !!python/object x\n",
        lambda t: "a: [\n",
        lambda t: "",
    ],
)
def test_every_problem_reads_in_indonesian(app, tmp_path, edit):
    from trainer.authored import AuthoredFileError
    from trainer.core.scenario import load_scenario
    from trainer.web.studio.problems import describe

    path = tmp_path / f"{SLUG}.yaml"
    path.write_text(edit(SOURCE), encoding="utf-8")
    with pytest.raises(AuthoredFileError) as exc:
        load_scenario(path)
    with app.test_request_context(headers={"Accept-Language": "id"}):
        for problem in exc.value.problems:
            assert problem.code, problem
            assert describe(problem) != str(problem), problem
            assert describe(problem).startswith(f"{path}:{problem.line}: ")


def test_upload_a_new_version_then_activate_retire_and_diff(app, client, trainer):
    edited = SOURCE.replace("title: ", "title: Revised ", 1)
    response = post(client, "/studio/scenarios/new", {"slug": SLUG, "source": edited})
    assert response.status_code == 302
    with app.app_context():
        versions = db.session.query(ScenarioVersion).filter_by(slug=SLUG).all()
        assert [(v.version, v.active) for v in versions] == [(1, False), (2, True)]
    same = post(client, "/studio/scenarios/new", {"slug": SLUG, "source": edited})
    assert same.status_code == 302  # nothing new
    diff = client.get(f"/studio/scenarios/{SLUG}/diff?a=1&b=2").get_data(as_text=True)
    assert 'class="add">+title: Revised' in diff
    assert post(client, f"/studio/scenarios/{SLUG}/versions/1/activate", {}).status_code == 302
    with app.app_context():
        assert (
            db.session.query(ScenarioVersion).filter_by(slug=SLUG, active=True).one().version == 1
        )
    post(client, f"/studio/scenarios/{SLUG}/retire", {})
    assert f"/practice/scenarios/{SLUG}" not in client.get("/practice/").get_data(as_text=True)
    with app.app_context():
        actions = {a for (a,) in db.session.query(AuditEvent.action)}
    assert {"scenario.sync", "scenario.activate", "scenario.retire"} <= actions


def test_a_version_saved_without_activating_waits_for_its_play_test(
    app, client, trainer, make_user, token_for
):
    edited = SOURCE.replace("title: ", "title: Revised ", 1)
    data = {"slug": SLUG, "source": edited, "inactive": "y"}
    response = post(client, "/studio/scenarios/new", data)
    assert response.status_code == 302
    studio = client.get("/studio/").text
    assert "Saved as version 2, not active yet." in studio
    assert "<strong>newer, not active yet</strong>" in studio
    with app.app_context():
        versions = db.session.query(ScenarioVersion).filter_by(slug=SLUG).all()
        assert [(v.version, v.active) for v in versions] == [(1, True), (2, False)]
    # Trainees still play version 1; the trainer play-tests version 2.
    attempt = start(client, token_for(make_user("agent")))["id"]
    playtest = post(client, f"/studio/scenarios/{SLUG}/versions/2/playtest", {})
    playtest_id = int(playtest.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        assert db.session.get(Attempt, attempt).scenario.version == 1
        assert db.session.get(Attempt, playtest_id).scenario.version == 2


def test_a_new_scenario_saved_without_activating_is_not_offered(app, client, trainer):
    source = SOURCE.replace(f"id: {SLUG}", "id: telco-outage-draft", 1)
    data = {"slug": "telco-outage-draft", "source": source, "inactive": "y"}
    assert post(client, "/studio/scenarios/new", data).status_code == 302
    assert "telco-outage-draft" in client.get("/studio/").text
    assert "/practice/scenarios/telco-outage-draft" not in client.get("/practice/").text
    assert client.get("/practice/scenarios/telco-outage-draft").status_code == 404


def test_editing_keeps_old_attempts_on_their_version(app, client, trainer, make_user, token_for):
    headers = token_for(make_user("agent"))
    attempt = start(client, headers)["id"]
    post(
        client,
        "/studio/scenarios/new",
        {"slug": SLUG, "source": SOURCE.replace("title: ", "title: New ", 1)},
    )
    with app.app_context():
        assert db.session.get(Attempt, attempt).scenario.version == 1


def test_playtest_attempts_never_count(app, client, trainer):
    response = post(client, f"/studio/scenarios/{SLUG}/versions/1/playtest", {})
    attempt_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        assert db.session.get(Attempt, attempt_id).purpose == "playtest"
    assert "Dispute this score" not in client.get(f"/practice/attempts/{attempt_id}").text


def finished_attempt(client, make_user, token_for, reply=GOOD, team=None):
    agent = make_user("agent", team=team)
    headers = token_for(agent)
    attempt = start(client, headers)["id"]
    play(client, headers, attempt, reply)
    return agent, headers, attempt


def test_review_in_the_browser_keeps_the_machine_score_beside(app, client, make_user, token_for):
    _, _, attempt = finished_attempt(client, make_user, token_for)
    login(client, make_user("trainer"))
    page = client.get(f"/studio/attempts/{attempt}").get_data(as_text=True)
    assert "Machine" in page and "fake-1" in page
    assert '<th scope="row">Solution focus</th>' in page  # the rubric's title, not "solution"
    assert '<th scope="row">Service level</th>' in page
    response = post(
        client,
        f"/studio/attempts/{attempt}/turns/1/review",
        {"empathy": "1", "service_level": "2", "reason": "stock phrases"},
        token_page=f"/studio/attempts/{attempt}",
    )
    assert response.status_code == 302
    with app.app_context():
        turn = db.session.query(Turn).filter_by(attempt_id=attempt, number=1).one()
        counted = reviews.effective(turn)
        assert counted.levels == {"empathy": 1, "validation": 3, "solution": 3}
        assert counted.service_level == 2 and counted.machine_service_level == 4
        event = db.session.query(AuditEvent).filter_by(action="turn.review").one()
        assert event.details["reason"] == "stock phrases"


def test_review_through_the_api(client, make_user, token_for):
    _, _, attempt = finished_attempt(client, make_user, token_for)
    trainer = token_for(make_user("trainer"))
    url = f"/api/v1/attempts/{attempt}/turns/1/review"
    body = {"levels": {"validation": 2}, "service_level": 3, "reason": "named the feeling"}
    response = client.post(url, json=body, headers=trainer)
    assert response.status_code == 200
    assert response.json["levels"]["validation"] == 2
    assert response.json["service_level"] == 3
    assert response.json["machine"]["service_level"] == 4
    for bad, code in [
        ({"levels": {"validation": 5}, "reason": "x"}, 422),
        ({"levels": {"tone": 2}, "reason": "x"}, 422),
        ({"levels": {"validation": 2}}, 422),
        ({"levels": {}, "reason": "nothing set"}, 422),
    ]:
        assert client.post(url, json=bad, headers=trainer).status_code == code
    missing = client.post(f"/api/v1/attempts/{attempt}/turns/99/review", json=body, headers=trainer)
    assert missing.status_code == 404


def test_dispute_accepted_becomes_an_override_and_the_trainee_sees_it(
    app, client, make_user, token_for
):
    agent, _, attempt = finished_attempt(client, make_user, token_for, BLAME)
    login(client, agent)
    url = f"/practice/attempts/{attempt}"
    assert "Dispute this score" in client.get(url).text
    post(
        client,
        f"{url}/turns/1/dispute",
        {"comment": "I explained the terms kindly"},
        token_page=url,
    )
    again = post(client, f"{url}/turns/1/dispute", {"comment": "again"}, token_page=url)
    assert again.status_code == 302
    assert "already has an open dispute" in client.get(url).text
    with app.app_context():
        dispute = db.session.query(Dispute).one()
        dispute_id = dispute.id
    trainer_client = app.test_client()
    login(trainer_client, make_user("trainer"))
    review_page = f"/studio/attempts/{attempt}"
    assert "I explained the terms kindly" in trainer_client.get(review_page).text
    assert "Sanggahan (terbuka)" in trainer_client.get(f"{review_page}?lang=id").text
    trainer_client.get(f"{review_page}?lang=en")
    assert "disputed" in trainer_client.get("/studio/reviews?disputed=1").text
    post(
        trainer_client,
        f"/studio/disputes/{dispute_id}",
        {"decision": "accept", "solution": "2", "reason": "fair point"},
        token_page=review_page,
    )
    with app.app_context():
        dispute = db.session.get(Dispute, dispute_id)
        assert dispute.status == "accepted"
        turn = dispute.turn
        assert reviews.effective(turn).levels["solution"] == 2
        assert turn.review.dispute_id == dispute_id
    assert "accepted" in client.get(url).text and "fair point" in client.get(url).text
    # The status is in the trainee's language; the API keeps the stored value.
    assert "<strong>diterima</strong>" in client.get(f"{url}?lang=id").text


def test_dispute_rejected_and_the_window(app, client, make_user, token_for):
    agent, _, attempt = finished_attempt(client, make_user, token_for, BLAME)
    trainer_id = make_user("trainer").id
    with app.app_context():
        turn = db.session.query(Turn).filter_by(attempt_id=attempt, number=1).one()
        user = db.session.get(User, agent.id)
        dispute = reviews.open_dispute(turn, user, "unfair")
        trainer = db.session.get(User, trainer_id)
        with pytest.raises(reviews.ReviewError, match="reason"):
            reviews.settle_dispute(dispute, trainer, False, " ")
        reviews.settle_dispute(dispute, trainer, False, "the reply blamed the customer")
        assert dispute.status == "rejected" and turn.review is None
        turn.created_at = utcnow() - timedelta(days=30)
        with pytest.raises(reviews.ReviewError, match="14 days"):
            reviews.open_dispute(turn, user, "late")
        db.session.rollback()


def queued(client, query: str = "") -> list[int]:
    page = client.get(f"/studio/reviews{query}").get_data(as_text=True)
    return [int(n) for n in re.findall(r'href="/studio/attempts/(\d+)"', page)]


@BOTH  # the ordering and the filters are SQL: PostgreSQL runs them too
def test_the_queue_pages_puts_open_disputes_first_and_filters_every_attempt(
    app, client, make_user, token_for, monkeypatch
):
    monkeypatch.setattr(reviews, "QUEUE_PAGE", 2)
    agent, _, oldest = finished_attempt(client, make_user, token_for, BLAME)
    _, _, middle = finished_attempt(client, make_user, token_for)
    _, _, newest = finished_attempt(client, make_user, token_for)
    login(client, agent)
    url = f"/practice/attempts/{oldest}"
    post(client, f"{url}/turns/1/dispute", {"comment": "I was kind"}, token_page=url)
    with app.app_context():
        turn = db.session.scalars(
            select(Turn).where(Turn.attempt_id == middle, Turn.speaker == "agent")
        ).first()
        turn.machine_score.dimensions[0].probability = 0.5  # a close call
        db.session.commit()
    trainer = app.test_client()
    login(trainer, make_user("trainer"))
    # The disputed attempt is the oldest, and it comes first: a trainee is waiting.
    assert queued(trainer) == [oldest, newest]
    assert 'rel="next"' in trainer.get("/studio/reviews").text
    assert queued(trainer, "?page=2") == [middle]
    assert 'rel="prev"' in trainer.get("/studio/reviews?page=2").text
    # The filters hold in the database, not only on the page shown (they were applied after a
    # cut at 200 attempts, so an older dispute could never be found).
    assert queued(trainer, "?low_confidence=1") == [middle]
    assert queued(trainer, "?disputed=1") == [oldest]
    assert queued(trainer, "?page=9") == []
    # The scenario filter names each scenario by its title.
    page = trainer.get("/studio/reviews").text
    assert f'<option value="{SLUG}" >Internet down for three days' in page


def test_agreement_page_and_api(app, client, make_user, token_for):
    trainer = token_for(make_user("trainer"))
    for _ in range(2):
        _, _, attempt = finished_attempt(client, make_user, token_for)
        for n, level in ((1, 3), (2, 1)):
            client.post(
                f"/api/v1/attempts/{attempt}/turns/{n}/review",
                json={"levels": {"empathy": level}, "reason": "checked"},
                headers=trainer,
            )
    body = client.get("/api/v1/agreement", headers=trainer).json
    empathy = body["overall"]["empathy"]
    assert empathy["n"] == 4 and empathy["percent"] == 0.5
    assert body["overall"]["service_level"]["n"] == 0
    assert SLUG in body["scenarios"]
    hr = app.test_client()
    login(hr, make_user("hr"))
    page = hr.get("/studio/agreement").get_data(as_text=True)
    assert "50.0%" in page
    # By scenario: one row each, named by its title; "50% · κ" for empathy there too.
    assert page.count('<tr><th scope="row">') == 1 and "Internet down for three days" in page
    assert "50% · κ" in page and "n 4</small>" in page


def test_a_scenario_called_overall_stays_a_scenario(app, client, make_user, token_for):
    source = (ROOT / "scenarios" / f"{SLUG}.yaml").read_text(encoding="utf-8")
    source = source.replace(f"id: {SLUG}", "id: overall")
    with app.app_context():
        scenarios.add_version(scenarios.draft(source, "overall.yaml"), source)
        db.session.commit()
    trainer = token_for(make_user("trainer"))
    headers = token_for(make_user("agent"))
    attempt = start(client, headers, slug="overall")["id"]
    play(client, headers, attempt, GOOD)
    client.post(
        f"/api/v1/attempts/{attempt}/turns/1/review",
        json={"levels": {"empathy": 3}, "reason": "checked"},
        headers=trainer,
    )
    body = client.get("/api/v1/agreement", headers=trainer).json
    assert (
        body["overall"]["empathy"]["n"] == 1 and body["scenarios"]["overall"]["empathy"]["n"] == 1
    )


def test_assignments_and_certification(app, client, make_user, token_for):
    agent = make_user("agent", team="Blue")
    trainer = make_user("trainer")
    login(client, trainer)
    with app.app_context():
        team_id = db.session.get(User, agent.id).team_id
    due = (utcnow() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = post(
        client,
        "/studio/assignments",
        {
            "scenario": SLUG,
            "target": f"team:{team_id}",
            "mode": "certification",
            "due_at": due,
            "max_attempts": "1",
        },
        token_page="/studio/assignments",
    )
    assert response.status_code == 302
    agent_client = app.test_client()
    login(agent_client, agent)
    page = agent_client.get("/practice/assignments").get_data(as_text=True)
    assert "overdue" in page and "<td>certification</td>" in page
    assert "<td>sertifikasi</td>" in agent_client.get("/practice/assignments?lang=id").text
    agent_client.get("/practice/assignments?lang=en")
    with app.app_context():
        assignment_id = db.session.query(Assignment).one().id
    started = post(
        agent_client,
        f"/practice/assignments/{assignment_id}/attempts",
        {},
        token_page="/practice/assignments",
    )
    url = started.headers["Location"]
    attempt_id = int(url.rsplit("/", 1)[1])
    page = agent_client.get("/practice/assignments").text
    assert f'href="{url}">Continue<' in page and ">Start<" not in page
    # A second start (a stale page, a double click) is the conversation already going on.
    again = post(
        agent_client,
        f"/practice/assignments/{assignment_id}/attempts",
        {},
        token_page="/practice/assignments",
    )
    assert again.headers["Location"] == url
    headers = token_for(agent)
    first = agent_client.post(
        f"/api/v1/attempts/{attempt_id}/turns", json={"reply": GOOD}, headers=headers
    ).json
    assert first["feedback"] is None and first["scores"] is None and first["certification"]
    assert "feedback at the end of the certification" in agent_client.get(url).text
    assert '<span class="tag">certification</span>' in agent_client.get("/practice/history").text
    last = play(agent_client, headers, attempt_id, GOOD)
    assert last["feedback"] is not None and last["outcome"] == "resolved"
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.purpose == "certification" and attempt.assignment_id == assignment_id
    again = post(
        agent_client,
        f"/practice/assignments/{assignment_id}/attempts",
        {},
        token_page="/practice/assignments",
    )
    assert again.headers["Location"].endswith("/practice/assignments")
    assert "No attempts are left" in agent_client.get("/practice/assignments").text


@BOTH  # grouped and filtered in SQL
def test_assignment_progress_counts_the_team_as_it_is_now(app, client, make_user):
    from trainer.services import assignments, practice

    done, behind, idle, gone = (make_user("agent", team="Green").id for _ in range(4))
    trainer = make_user("trainer")
    with app.app_context():
        users = {i: db.session.get(User, i) for i in (done, behind, idle, gone)}
        users[gone].active = False  # left the company: no longer counted
        boss = db.session.get(User, trainer.id)
        yesterday, tomorrow = utcnow() - timedelta(days=1), utcnow() + timedelta(days=1)
        team = assignments.assign(boss, SLUG, "practice", yesterday, team=users[done].team)
        solo = assignments.assign(boss, SLUG, "practice", tomorrow, user=users[done])
        left = assignments.assign(boss, SLUG, "practice", tomorrow, user=users[gone])
        version = scenarios.active_version(SLUG)
        for user_id, level in ((done, 3), (behind, 1), (behind, None)):  # 3 is the target
            attempt = practice.start_attempt(users[user_id], version)
            attempt.assignment_id, attempt.service_level = team.id, level
        db.session.flush()
        progress = assignments.progress([team, solo, left])
        # A fresh assignment counts nothing yet; one for an inactive agent is for nobody.
        assert progress == {
            team.id: assignments.AssignmentProgress(agents=3, started=2, done=1, overdue=2),
            solo.id: assignments.AssignmentProgress(agents=1, started=0, done=0, overdue=0),
            left.id: assignments.AssignmentProgress(agents=0, started=0, done=0, overdue=0),
        }
        db.session.commit()
    login(client, trainer)
    page = client.get("/studio/assignments").text
    assert "1 of 3 agents reached the target" in page and "2 overdue</strong>" in page
    assert "0 of 1 agent reached the target" in page


def test_a_team_trainer_assigns_only_to_their_team(app, make_user):
    from trainer.services import assignments

    trainer_id = make_user("trainer", team="Red").id
    outsider_id = make_user("agent", team="Blue").id
    with app.app_context():
        trainer = db.session.get(User, trainer_id)
        outsider = db.session.get(User, outsider_id)
        with pytest.raises(assignments.AssignmentError, match="team you train"):
            assignments.assign(trainer, SLUG, "practice", utcnow(), user=outsider)
