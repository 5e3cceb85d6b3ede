"""Access to the studio, reviews, disputes, agreement and assignments, per role."""

from __future__ import annotations

import pytest

from tests.web.test_access import cases, check_access, expect

SLUG = "telco-outage-home-office"
LEVELS = {"reason": "too generous", "empathy": "1"}

ROUTES = [
    ("studio.index", "GET", "/studio/", None, expect(302, 403, 200, 403, 403)),
    ("studio.edit", "GET", "/studio/scenarios/new", None, expect(302, 403, 200, 403, 403)),
    ("studio.activate", "POST", f"/studio/scenarios/{SLUG}/versions/1/activate", {},
     expect(302, 403, 302, 403, 403)),
    ("studio.retire", "POST", f"/studio/scenarios/{SLUG}/retire", {},
     expect(302, 403, 302, 403, 403)),
    ("studio.playtest", "POST", f"/studio/scenarios/{SLUG}/versions/1/playtest", {},
     expect(302, 403, 302, 403, 403)),
    ("studio.diff", "GET", f"/studio/scenarios/{SLUG}/diff?a=1&b=1", None,
     expect(302, 403, 200, 403, 403)),
    ("studio.preview", "GET", f"/studio/scenarios/{SLUG}/versions/1", None,
     expect(302, 403, 200, 403, 403)),
    ("studio.exemplars", "GET", f"/studio/scenarios/{SLUG}/versions/1/exemplars", None,
     expect(302, 403, 200, 403, 403)),
    ("studio.try_scorer", "GET", "/studio/scorer", None, expect(302, 403, 200, 200, 403)),
    ("studio.try_scorer", "POST", "/studio/scorer", {"reply": "A great reply."},
     expect(302, 403, 200, 200, 403)),
    ("studio.queue", "GET", "/studio/reviews", None, expect(302, 403, 200, 403, 403)),
    ("studio.review_attempt", "GET", "/studio/attempts/{attempt}", None,
     expect(302, 403, 200, 403, 403)),
    ("studio.review_turn", "POST", "/studio/attempts/{attempt}/turns/1/review", LEVELS,
     expect(302, 403, 302, 403, 403)),
    ("studio.settle", "POST", "/studio/disputes/999", {"decision": "reject", "reason": "no"},
     expect(302, 403, 404, 403, 403)),
    ("studio.agreement", "GET", "/studio/agreement", None, expect(302, 403, 200, 200, 403)),
    ("studio.assignment_list", "GET", "/studio/assignments", None,
     expect(302, 403, 200, 403, 403)),
    ("practice.dispute", "POST", "/practice/attempts/{attempt}/turns/1/dispute",
     {"comment": "unfair"}, expect(302, 404, 404, 403, 403)),
    ("practice.assignments", "GET", "/practice/assignments", None,
     expect(302, 200, 403, 403, 403)),
    ("practice.start_assignment", "POST", "/practice/assignments/999/attempts", {},
     expect(302, 404, 403, 403, 403)),
    ("api.review", "POST", "/api/v1/attempts/{attempt}/turns/1/review",
     {"levels": {"empathy": 2}, "reason": "kinder than it looks"}, expect(401, 403, 200, 403, 403)),
    ("api.agreement", "GET", "/api/v1/agreement", None, expect(401, 403, 200, 200, 403)),
]  # fmt: skip


@pytest.mark.parametrize(("endpoint", "method", "path", "body", "role", "status"), cases(ROUTES))
def test_access(
    client, make_user, token_for, attempt_id, endpoint, method, path, body, role, status
):
    check_access(
        client, make_user, token_for, attempt_id, endpoint, method, path, body, role, status
    )


def test_a_trainer_reviews_only_the_team_they_train(client, make_user, token_for, attempt_id):
    other_team = token_for(make_user("trainer", team="Elsewhere"))
    own_team = token_for(make_user("trainer", team="Owners"))
    body = {"levels": {"empathy": 2}, "reason": "fair"}
    url = f"/api/v1/attempts/{attempt_id}/turns/1/review"
    assert client.post(url, json=body, headers=other_team).status_code == 403
    assert client.post(url, json=body, headers=own_team).status_code == 200
