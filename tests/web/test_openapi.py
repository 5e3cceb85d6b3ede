"""The OpenAPI document: valid, served without a token, and the same routes as the app.

Every API response the web tests receive is checked against it (tests/web/contract.py); the
tests here show that the check catches a departure.
"""

from __future__ import annotations

import re

import pytest
from flask import Response
from openapi_spec_validator import validate

from tests.web.contract import PREFIX, contract
from trainer.services.practice import MAX_KEY_LENGTH
from trainer.services.replies import MAX_REPLY_CHARS
from trainer.web.api.spec import document

CATCH_ALL = "/api/v1/<path:_rest>"
IGNORED_METHODS = {"HEAD", "OPTIONS"}


def test_the_document_is_valid_openapi_3_1():
    spec = document()
    validate(spec)
    assert spec["openapi"].startswith("3.1")


def test_it_is_served_without_a_token(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.json == document()


def _documented() -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, item in document()["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }


def test_it_documents_exactly_the_routes_the_app_serves(app):
    served = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX + "/") or rule.rule == CATCH_ALL:
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule.removeprefix(PREFIX))
        served |= {(m, path) for m in rule.methods - IGNORED_METHODS}
    assert served == _documented()


def _operations():
    for path, item in document()["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post"}:
                yield method, path, operation


@pytest.mark.parametrize(("method", "path", "operation"), list(_operations()))
def test_every_operation_documents_its_common_errors(method, path, operation):
    statuses = set(operation["responses"])
    if operation.get("security") == []:
        return
    expected = {"400", "401", "429"}
    if "requestBody" in operation:
        expected |= {"413", "422"}
    if "{" in path:
        expected.add("404")
    assert expected <= statuses, f"{method} {path} lacks {sorted(expected - statuses)}"


def test_the_documented_limits_are_the_apps():
    spec = document()
    turn_body = spec["paths"]["/attempts/{attempt_id}/turns"]["post"]["requestBody"]
    reply = turn_body["content"]["application/json"]["schema"]["properties"]["reply"]
    assert reply["maxLength"] == MAX_REPLY_CHARS
    key = spec["components"]["parameters"]["IdempotencyKey"]["schema"]
    assert key["maxLength"] == MAX_KEY_LENGTH


def _response(status: int, body: str, mimetype: str = "application/json", **headers) -> Response:
    return Response(body, status=status, mimetype=mimetype, headers=headers)


def test_the_check_passes_a_documented_response():
    body = '{"id": 1, "email": "a@b.c", "name": "A", "role": "agent", "team": null}'
    assert contract().problems("GET", "/api/v1/me", _response(200, body)) == []


@pytest.mark.parametrize(
    ("method", "path", "response", "expected"),
    [
        (
            "GET",
            "/api/v1/me",
            _response(200, '{"id": 1, "email": "a@b.c", "name": "A", "role": "agent"}'),
            "'team' is a required property",
        ),
        (
            "GET",
            "/api/v1/me",
            _response(200, '{"id": 1, "email": "a", "name": "A", "role": "boss", "team": null}'),
            "role: 'boss' is not one of",
        ),
        ("GET", "/api/v1/me", _response(418, "{}"), "status 418 is not documented"),
        ("GET", "/api/v1/me", _response(200, "x", "text/html"), "text/html is not among"),
        (
            "GET",
            "/api/v1/attempts/7",
            _response(404, '{"error": {"code": "not_found"}}'),
            "'message' is a required property",
        ),
        (
            "POST",
            "/api/v1/score",
            _response(429, '{"error": {"code": "too_many_requests", "message": "slow down"}}'),
            "header Retry-After is missing",
        ),
        (
            "GET",
            "/api/v1/agreement",
            _response(200, '{"overall": {}, "scenarios": {}}'),
            "'empathy' is a required property",
        ),
        ("GET", "/api/v1/nowhere", _response(200, "{}"), "is not documented, yet it answered"),
        (
            "GET",
            "/api/v1/attempts/3",
            _response(200, '{"id": 3}', **{"X-Turn": "2"}),
            "'transcript' is a required property",
        ),
    ],
)
def test_the_check_catches_a_departure(method, path, response, expected):
    problems = "\n".join(contract().problems(method, path, response))
    assert expected in problems
