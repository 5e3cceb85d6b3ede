"""API v1 views: authenticate the bearer token, parse JSON, call the services, commit."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from functools import wraps
from typing import Any

from flask import abort, current_app, g, jsonify, request
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import (
    BadRequest,
    HTTPException,
    RequestEntityTooLarge,
    UnsupportedMediaType,
)

from trainer.extensions import db, limiter
from trainer.models import MAX_ID, Attempt
from trainer.scoring.text import ReplyError, check_reply
from trainer.services import accounts, calibration, practice, reviews, scenarios
from trainer.services.replies import TurnError, submit
from trainer.services.scoring import ScoringUnavailable
from trainer.web import error_response
from trainer.web.api import bp
from trainer.web.api.spec import PUBLIC_ENDPOINTS
from trainer.web.params import text_problem, whole_number
from trainer.web.scorer import kit, provider


class ApiError(HTTPException):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.error_code, self.description = status, code, message


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    return error_response(exc.code, exc.error_code, exc.description)


@bp.before_request
def _authenticate() -> None:
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    user = accounts.token_user(token.strip()) if scheme.lower() == "bearer" and token else None
    if user is None:
        raise ApiError(401, "unauthorized", "a valid bearer token is required")
    g.user = user


def _api_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


def _client_key() -> str:
    # A digest, so the limiter's storage (Redis when several processes serve) holds no token.
    header = request.headers.get("Authorization", "")
    if header:
        return "token:" + hashlib.sha256(header.encode("utf-8", "surrogatepass")).hexdigest()
    return "address:" + (request.remote_addr or "")


limiter.shared_limit(
    _api_limit,
    scope="api",
    key_func=_client_key,
    exempt_when=lambda: request.endpoint in PUBLIC_ENDPOINTS,
)(bp)


def roles(*allowed: str) -> Callable:
    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def checked(*args, **kwargs):
            if g.user.role not in allowed:
                raise ApiError(403, "forbidden", f"this needs the role {' or '.join(allowed)}")
            return view(*args, **kwargs)

        return checked

    return decorate


def json_body() -> dict[str, Any]:
    try:
        data = request.get_json()
    except RequestEntityTooLarge:
        raise
    except (BadRequest, UnsupportedMediaType):
        data = None
    except RecursionError:
        raise ApiError(400, "invalid_json", "the body is nested too deeply") from None
    if not isinstance(data, dict):
        raise ApiError(
            400, "invalid_json", "the body must be a JSON object (Content-Type: application/json)"
        )
    problem = text_problem(_strings(data))
    if problem:
        raise ApiError(400, "invalid_json", f"the body {problem}")
    return data


def _strings(value: Any) -> Iterator[str]:
    """Every string in a parsed JSON value, keys included (iteratively: JSON nests deep)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


def _commit(response):
    # The only writes here are a token's last use; committed so the read ends its transaction.
    db.session.commit()
    return response


@bp.post("/score")
def score():
    data = json_body()
    reply, context = data.get("reply"), data.get("context", "")
    try:
        check_reply(reply)
        if not isinstance(context, str):
            raise ReplyError("context must be text")
    except ReplyError as exc:
        raise ApiError(422, "invalid_reply", str(exc)) from exc
    db.session.commit()
    try:
        result = provider().score(reply, context)
    except ScoringUnavailable as exc:
        raise ApiError(503, "scoring_unavailable", str(exc)) from exc
    return jsonify(result.to_dict())


@bp.get("/me")
def me():
    user = g.user
    return _commit(
        jsonify(
            id=user.id,
            email=user.email,
            name=user.name,
            role=user.role,
            team=user.team.name if user.team else None,
        )
    )


@bp.get("/scenarios")
def scenario_list():
    versions = scenarios.playable() if g.user.role in practice.PLAYERS else []
    return _commit(
        jsonify(
            [
                {
                    "slug": v.slug,
                    "version": v.version,
                    "title": v.title,
                    "language": v.language,
                    "sector": v.sector,
                    "difficulty": v.difficulty,
                    "mode": v.mode,
                }
                for v in versions
            ]
        )
    )


#: Attempts per page of GET /attempts, by default and at most.
PAGE, MAX_PAGE = 50, 200


def _query_int(name: str, default: int | None, low: int, high: int) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = whole_number(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise ApiError(400, "invalid_filter", f"{name} must be a whole number {low}-{high}")
    return value


@bp.get("/attempts")
def attempt_list():
    """The caller's own attempts, newest first; ``next`` is the ``before`` of the next page."""
    status = request.args.get("status") or None
    if status is not None and status not in practice.STATUSES:
        raise ApiError(
            400, "invalid_filter", f"status must be one of {', '.join(practice.STATUSES)}"
        )
    limit = _query_int("limit", PAGE, 1, MAX_PAGE)
    before = _query_int("before", None, 1, MAX_ID)
    rows, following = practice.attempt_page(g.user, status=status, before=before, limit=limit)
    return _commit(jsonify(attempts=[practice.attempt_summary(a) for a in rows], next=following))


@bp.post("/attempts")
@roles(*practice.PLAYERS)
def start_attempt():
    slug = json_body().get("scenario")
    if not isinstance(slug, str):
        raise ApiError(422, "invalid_scenario", "scenario must be a scenario slug")
    key = request.headers.get("Idempotency-Key")
    if key is not None and not 0 < len(key) <= practice.MAX_KEY_LENGTH:
        raise ApiError(
            409, "conflict", f"Idempotency-Key must be 1-{practice.MAX_KEY_LENGTH} characters"
        )
    replayed = practice.attempt_with_key(g.user, key)
    if replayed is None:
        version = scenarios.active_version(slug)
        if version is None:
            raise ApiError(404, "not_found", f"no scenario {slug!r}")
        attempt = practice.start_attempt(g.user, version)
        attempt.idempotency_key = key
        try:
            db.session.commit()
        except IntegrityError:  # the same key raced in from a parallel retry
            db.session.rollback()
            replayed = practice.attempt_with_key(g.user, key)
            if replayed is None:
                raise
    if replayed is not None:
        attempt = replayed
        if attempt.scenario.slug != slug:
            raise ApiError(409, "conflict", "this Idempotency-Key started another scenario")
    opening = attempt.turns[0]
    response = jsonify(
        id=attempt.id, customer={"text": opening.text, "mood": opening.mood}, done=False
    )
    if replayed is not None:
        response.headers["Idempotent-Replayed"] = "true"
        return _commit(response), 200
    return response, 201


@bp.post("/attempts/<int:attempt_id>/turns")
@roles(*practice.PLAYERS)
def reply(attempt_id: int):
    data = json_body()
    key = request.headers.get("Idempotency-Key")
    try:
        submitted = submit(attempt_id, g.user, data.get("reply"), key, kit())
    except TurnError as exc:
        response = error_response(exc.status, exc.code, exc.message)
        if exc.turn is not None:
            response.headers["X-Turn"] = str(exc.turn)
        if exc.status in (409, 503):
            response.headers["Retry-After"] = "5"
        return response
    response = jsonify(submitted.response)
    if submitted.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response, 200 if submitted.replayed else 201


@bp.post("/attempts/<int:attempt_id>/abandon")
@roles(*practice.PLAYERS)
def abandon_attempt(attempt_id: int):
    attempt = practice.locked_attempt(attempt_id)
    if attempt is None or attempt.user_id != g.user.id:
        raise ApiError(404, "not_found", "no such attempt")
    # Abandoning twice is a retry, not a conflict: the second call reports the same ending.
    replayed = attempt.outcome == "abandoned"
    if not replayed:
        try:
            practice.abandon(attempt)
        except practice.PracticeError as exc:
            raise ApiError(exc.status, exc.code, str(exc)) from None
    db.session.commit()
    response = jsonify(
        id=attempt.id, done=True, outcome=attempt.outcome, service_level=attempt.service_level
    )
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@bp.get("/attempts/<int:attempt_id>")
def attempt(attempt_id: int):
    found = db.session.get(Attempt, attempt_id)
    if found is None or not practice.can_view(g.user, found):
        # An agent learns nothing about other people's attempts, not even that they exist.
        if found is None or g.user.role == "agent":
            raise ApiError(404, "not_found", "no such attempt")
        raise ApiError(403, "forbidden", "this attempt is not yours")
    return _commit(jsonify(practice.attempt_document(found)))


@bp.post("/attempts/<int:attempt_id>/turns/<int:number>/review")
@roles("trainer")
def review(attempt_id: int, number: int):
    data = json_body()
    found = db.session.get(Attempt, attempt_id)
    if found is None:
        raise ApiError(404, "not_found", "no such attempt")
    if not reviews.may_review(g.user, found):
        raise ApiError(403, "forbidden", "you review only the team you train")
    turn = reviews.agent_turn(found, number)
    if turn is None:
        raise ApiError(404, "not_found", f"no reply {number} in this attempt")
    try:
        reviews.review_turn(
            turn, g.user, data.get("levels") or {}, data.get("service_level"), data.get("reason")
        )
    except reviews.ReviewError as exc:
        raise ApiError(exc.status, exc.code, str(exc)) from exc
    db.session.commit()
    return jsonify(turn=number, **reviews.effective(turn).to_dict())


@bp.get("/agreement")
@roles("trainer", "hr")
def agreement():
    return _commit(jsonify(calibration.agreement_report()))


@bp.route("/<path:_rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown(_rest: str):
    abort(404)
