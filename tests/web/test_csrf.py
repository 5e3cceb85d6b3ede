"""Every form route, for every role, refuses a post without its CSRF token and changes nothing.

The routes are read from the URL map, so a new form route is checked too. (The route fuzzer runs
with CSRF off so that its random forms reach the views; this is the other half.)
"""

from __future__ import annotations

from sqlalchemy import select
from werkzeug.routing import IntegerConverter

from tests.web.conftest import login
from tests.web.test_database import BOTH
from trainer.extensions import db
from trainer.models import ROLES, Attempt

SLUG = "telco-outage-home-office"


def _form_routes(app) -> list[str]:
    """Every non-API rule that takes a POST, with the ids of rows that exist filled in."""
    with app.app_context():
        attempt = db.session.scalars(select(Attempt)).first()
    rules = [
        rule
        for rule in app.url_map.iter_rules()
        if "POST" in rule.methods and not rule.endpoint.startswith("api.")
    ]
    urls = []
    for rule in sorted(rules, key=lambda rule: rule.rule):
        values = {
            name: (attempt.id if "attempt" in name else 1)
            if isinstance(converter, IntegerConverter)
            else SLUG
            for name, converter in rule._converters.items()
        }
        urls.append(rule.build(values, append_unknown=False)[1])
    return urls


def _everything(app) -> dict[str, list[tuple]]:
    """Every row of every table, to compare before and after."""
    with app.app_context():
        return {
            table.name: sorted(map(tuple, db.session.execute(table.select())), key=repr)
            for table in db.metadata.sorted_tables
        }


@BOTH
def test_no_form_post_without_its_token_goes_through(app, make_user, attempt_id):
    clients = {}
    for n, role in enumerate([*ROLES, "anonymous"]):
        # One address each: the login limit counts per address, and is not what is tested here.
        clients[role] = app.test_client()
        clients[role].environ_base["REMOTE_ADDR"] = f"192.0.2.{n + 1}"
        if role != "anonymous":
            assert login(clients[role], make_user(role, team="Owners")).status_code == 302
    urls = _form_routes(app)
    assert len(urls) >= 20, urls  # the URL map was read
    before = _everything(app)
    for role, client in clients.items():
        for url in urls:
            data = {"reply": "Hello", "name": "X", "email": "x@example.org", "confirm": "x"}
            response = client.post(url, data=data)
            assert response.status_code == 400, (role, url, response.status_code)
            forged = client.post(url, data={**data, "csrf_token": "forged"})
            assert forged.status_code == 400, (role, url, forged.status_code)
    assert _everything(app) == before
