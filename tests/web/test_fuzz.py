"""Every route under arbitrary input (Hypothesis): ids, query strings, forms and JSON bodies.

Whatever a client sends, the app answers with a status it chose (400, 404, 422...), never with
the 500 of an unhandled error. The routes are read from the URL map, so a new route is fuzzed too.
CSRF is off here so that random forms reach the views instead of stopping at the token check.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.routing import IntegerConverter

from tests.core.test_scenario import mutated
from tests.web.conftest import PASSWORD
from tests.web.test_database import BOTH
from trainer.models import MAX_ID, ROLES

#: Routes whose side effect would end the fuzzing session itself.
SKIPPED = {"static", "auth.logout"}

#: Ids: small ones name rows that exist; the others straddle the INTEGER and BIGINT limits.
IDS = st.one_of(
    st.integers(0, 12),
    st.integers(MAX_ID - 2, MAX_ID + 2),
    st.integers(2**63 - 2, 2**64 + 2),
)
#: Any text a request can carry (lone surrogates cannot be encoded in one).
CHARACTERS = st.characters(exclude_categories=("Cs",))
TEXT = st.text(CHARACTERS, max_size=30)
#: Query and form values: numbers of every size, dates, words the views know, anything.
VALUES = st.one_of(
    TEXT,
    IDS.map(str),
    st.integers(-(2**70), 2**70).map(str),
    st.sampled_from(
        ["", " ", "1", "-1", "0x10", "1e9", "2026-02-30", "2026-12-01", "nan", "a\x00b"]
    ),
    st.dates().map(str),
    st.sampled_from(["practice", "certification", "agent", "admin", "en", "id", "true", "csv"]),
)
#: Parameter and field names the views read, and others.
NAMES = st.one_of(
    st.sampled_from(
        [
            "team", "actor", "before", "a", "b", "difficulty", "from", "to", "mode", "scenario",
            "agent", "q", "role", "language", "sector", "texts", "lang", "action", "subject",
            "low_confidence", "disputed", "email", "name", "password", "reply", "context",
            "label", "active", "reason", "levels", "service_level", "due_at", "max_attempts",
            "content", "message", "key", "next",
        ]
    ),
    st.text(CHARACTERS, max_size=8),
)  # fmt: skip
PARAMS = st.dictionaries(NAMES, VALUES, max_size=5)
JSON = st.recursive(
    # Any text at all: JSON can escape lone surrogates, which no database or tokenizer takes.
    st.none() | st.booleans() | IDS | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(NAMES, inner, max_size=4),
    max_leaves=10,
)
SEGMENT = st.one_of(
    st.sampled_from(["telco-outage-home-office", "x", "..", "%2e%2e"]),
    st.text(
        st.characters(exclude_categories=("Cs",), exclude_characters="/?#"), min_size=1, max_size=20
    ),
)


@pytest.fixture
def app_config() -> dict:
    return {"WTF_CSRF_ENABLED": False}


def _rules(app) -> list:
    return sorted(
        (rule for rule in app.url_map.iter_rules() if rule.endpoint not in SKIPPED),
        key=lambda rule: (rule.rule, sorted(rule.methods)),
    )


def _url(rule, draw) -> str:
    values = {
        name: draw(IDS if isinstance(converter, IntegerConverter) else SEGMENT)
        for name, converter in rule._converters.items()
    }
    return rule.build(values, append_unknown=False)[1]


@BOTH
def test_no_input_makes_a_route_fail(app, make_user, token_for, attempt_id):
    clients, tokens = {}, {}
    for role in ROLES:
        user = make_user(role, team="Owners")
        clients[role] = app.test_client()
        response = clients[role].post(
            "/auth/login", data={"email": user.email, "password": PASSWORD}
        )
        assert response.status_code == 302
        tokens[role] = token_for(user)
    clients["anonymous"], tokens["anonymous"] = app.test_client(), {}
    rules = _rules(app)
    examples = 300 if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") else 150

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(data=st.data())
    def request_anything(data):
        rule = data.draw(st.sampled_from(rules))
        method = data.draw(st.sampled_from(sorted(rule.methods - {"HEAD", "OPTIONS"})))
        role = data.draw(st.sampled_from([*ROLES, "anonymous"]))
        url = _url(rule, data.draw)
        query = data.draw(PARAMS)
        kwargs: dict = {"query_string": query}
        if method != "GET":
            if rule.endpoint.startswith("api."):
                body = data.draw(st.one_of(JSON, st.binary(max_size=64)))
                if isinstance(body, bytes):
                    kwargs |= {"data": body, "content_type": "application/json"}
                else:
                    kwargs["json"] = body
            else:
                kwargs["data"] = data.draw(PARAMS)
        api = rule.endpoint.startswith("api.")
        client = clients["anonymous" if api else role]
        response = client.open(url, method=method, headers=tokens[role] if api else {}, **kwargs)
        assert response.status_code != 500, (method, url, role, kwargs)
        if api:
            assert response.is_json or response.mimetype == "text/csv", (method, url, kwargs)

    request_anything()


#: Every query parameter read as a number, with a value past PostgreSQL's INTEGER and SQLite's
#: 64-bit limit: each must be read as "no such filter" or refused, never bound into SQL.
HUGE = str(2**64)
NUMERIC_PARAMETERS = [
    ("admin", f"/admin/?team={HUGE}"),
    ("admin", f"/admin/audit?actor={HUGE}&before={HUGE}"),
    ("agent", f"/practice/?difficulty={HUGE}"),
    ("trainer", f"/studio/scenarios/telco-outage-home-office/diff?a={HUGE}&b={HUGE}"),
    ("trainer", f"/studio/reviews?team={HUGE}"),
    ("hr", f"/reports/teams?team={HUGE}"),
    ("hr", f"/reports/attempts.csv?team={HUGE}"),
    ("hr", f"/reports/teams?team={MAX_ID + 1}"),
]


@BOTH
@pytest.mark.parametrize(("role", "path"), NUMERIC_PARAMETERS)
def test_numbers_out_of_range_are_not_bound_into_sql(client, make_user, role, path):
    user = make_user(role)
    client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert client.get(path).status_code in {200, 400, 404}


def test_any_scenario_edit_is_saved_or_shown_with_its_problems(app, make_user):
    client = app.test_client()
    trainer = make_user("trainer")
    client.post("/auth/login", data={"email": trainer.email, "password": PASSWORD})
    client.get("/studio/?lang=id")  # the problems are translated from their codes and params

    @settings(max_examples=100, deadline=None, derandomize=True, database=None)
    @given(source=mutated())
    def upload(source):
        data = {"slug": "demo-outage", "source": source}
        response = client.post("/studio/scenarios/new", data=data)
        assert response.status_code in {200, 302, 422}, source

    upload()


@BOTH
@pytest.mark.parametrize("query", ["to=9999-12-31", "from=0001-01-01&to=0001-01-01"])
@pytest.mark.parametrize("path", ["/reports/teams", "/reports/attempts.csv", "/reports/agents.csv"])
def test_the_first_and_last_days_there_are_filter(client, make_user, path, query):
    user = make_user("hr")
    client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert client.get(f"{path}?{query}").status_code == 200


@BOTH
@pytest.mark.parametrize(
    ("role", "method", "path", "data"),
    [
        ("admin", "GET", "/admin/?q=a%00b", None),
        ("admin", "POST", "/admin/teams", {"name": "North\x00"}),
        ("agent", "GET", "/practice/?sector=%00", None),
    ],
)
def test_a_nul_character_is_refused_before_the_database(app, make_user, role, method, path, data):
    # CSRF stays off here, so the form reaches the view unless the NUL is refused first.
    client = app.test_client()
    user = make_user(role)
    client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    response = client.open(path, method=method, data=data)
    assert response.status_code == 400
    assert "NUL character" in response.get_data(as_text=True)


@BOTH
def test_an_idempotency_key_with_a_nul_is_refused(client, headers):
    response = client.post(
        "/api/v1/attempts",
        json={"scenario": "telco-outage-home-office"},
        headers={**headers, "Idempotency-Key": "key\x00"},
    )
    assert response.status_code == 400
    assert "NUL character" in response.json["error"]["message"]
