"""The report routes x anonymous and the four roles (see test_access.py).

``{agent}`` is the owner of the ``attempt_id`` attempt: an agent of the team "Owners", never the
agent making the request, so "agent" here asks for someone else's scorecard.
"""

from __future__ import annotations

import pytest

from tests.web.test_access import cases, check_access, expect
from trainer.extensions import db
from trainer.models import Attempt

# endpoint, method, path, form or JSON body, status per role
ROUTES = [
    ("reports.agent", "GET", "/reports/agents/{agent}", None, expect(302, 404, 200, 200, 403)),
    ("reports.agent_pdf", "GET", "/reports/agents/{agent}/scorecard.pdf", None,
     expect(302, 404, 200, 200, 403)),
    ("reports.team", "GET", "/reports/teams", None, expect(302, 403, 200, 200, 403)),
    ("reports.agents_csv", "GET", "/reports/agents.csv", None, expect(302, 403, 200, 200, 403)),
    ("reports.attempts_csv", "GET", "/reports/attempts.csv", None,
     expect(302, 403, 200, 200, 403)),
    ("api.agent_scorecard", "GET", "/api/v1/agents/{agent}/scorecard", None,
     expect(401, 404, 200, 200, 403)),
    ("api.attempts_csv", "GET", "/api/v1/reports/attempts.csv", None,
     expect(401, 403, 200, 200, 403)),
]  # fmt: skip


@pytest.mark.parametrize(("endpoint", "method", "path", "body", "role", "status"), cases(ROUTES))
def test_access(
    app, client, make_user, token_for, attempt_id, endpoint, method, path, body, role, status
):
    with app.app_context():
        owner = db.session.get(Attempt, attempt_id).user_id
    path = path.replace("{agent}", str(owner))
    csv_export = path.endswith((".csv", ".pdf")) and status == 200
    check_access(
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
        json_response=not csv_export,
    )
