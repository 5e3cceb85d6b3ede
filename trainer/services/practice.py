"""Practice attempts: start, save a reply before scoring it, apply the score, feedback, metrics."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select

from trainer.core.metrics import attempt_metrics
from trainer.core.scenario import Scenario
from trainer.extensions import db
from trainer.language import guess_language
from trainer.models import (
    Attempt,
    ScenarioVersion,
    Turn,
    TurnDimensionScore,
    TurnScore,
    User,
    utcnow,
)
from trainer.scoring.rubric import Rubric
from trainer.services import customers
from trainer.services.customers import PracticeKit
from trainer.services.scenarios import scenario_of
from trainer.vocabulary import DIMENSIONS

#: Roles that may play scenarios (trainers play-test them).
PLAYERS = ("agent", "trainer")
MAX_KEY_LENGTH = 100


class PracticeError(Exception):
    """A practice request that cannot be carried out; ``code`` and ``status`` for the API."""

    code = "conflict"
    status = 409


class AttemptOver(PracticeError):
    code = "attempt_over"


class ReplyPending(PracticeError):
    code = "reply_pending"


class NotPlayable(PracticeError):
    code = "not_playable"
    status = 404


def start_attempt(user: User, version: ScenarioVersion, seed: int | None = None) -> Attempt:
    seed = secrets.randbelow(2**31) if seed is None else seed
    state, opening = customers.opening(scenario_of(version), seed)
    attempt = Attempt(user=user, scenario=version, seed=seed, state=state, mood=opening.mood)
    attempt.turns.append(Turn(position=0, speaker="customer", text=opening.text, mood=opening.mood))
    db.session.add(attempt)
    db.session.flush()
    return attempt


def open_practice(user: User, slug: str, *, lock: bool = False) -> list[Attempt]:
    """The user's free-practice attempts on the scenario that are still going on, newest first
    (an assigned attempt or a play-test is ended only from its own page); ``lock`` holds them
    against a concurrent reply until the transaction ends (PostgreSQL)."""
    query = (
        select(Attempt)
        .join(ScenarioVersion, Attempt.scenario_version_id == ScenarioVersion.id)
        .where(
            Attempt.user_id == user.id,
            ScenarioVersion.slug == slug,
            Attempt.status != "done",
            Attempt.purpose == "practice",
            Attempt.assignment_id.is_(None),
        )
        .order_by(Attempt.id.desc())
    )
    return list(db.session.scalars(query.with_for_update(of=Attempt) if lock else query))


def start_over(user: User, version: ScenarioVersion) -> Attempt:
    """A new free-practice attempt; the user's open ones on the scenario end as abandoned, so
    no conversation is left hanging in their history and reports."""
    for attempt in open_practice(user, version.slug, lock=True):
        finish(attempt, "abandoned")
    return start_attempt(user, version)


def attempt_with_key(user: User, key: str | None) -> Attempt | None:
    """The attempt the user started with this Idempotency-Key, if any."""
    if not key:
        return None
    return db.session.scalar(
        select(Attempt).where(Attempt.user_id == user.id, Attempt.idempotency_key == key)
    )


def locked_attempt(attempt_id: int) -> Attempt | None:
    """The attempt, locked against a concurrent reply until the transaction ends (PostgreSQL)."""
    return db.session.scalar(select(Attempt).where(Attempt.id == attempt_id).with_for_update())


def existing_reply(attempt: Attempt, key: str | None) -> Turn | None:
    if not key:
        return None
    return db.session.scalar(
        select(Turn).where(Turn.attempt_id == attempt.id, Turn.idempotency_key == key)
    )


def save_reply(attempt: Attempt, text: str, key: str | None) -> Turn:
    """Record the agent's reply as pending, before any scoring, so nothing can lose it."""
    if key is not None and (not key or len(key) > MAX_KEY_LENGTH):
        raise PracticeError(f"Idempotency-Key must be 1-{MAX_KEY_LENGTH} characters")
    if attempt.status == "done":
        raise AttemptOver("this attempt is over; start a new one")
    if attempt.status == "awaiting_score":
        raise ReplyPending(
            "your previous reply is saved but not scored yet; it will be scored before you go on "
            "(an API client retries it with the same Idempotency-Key)"
        )
    numbers = [t.number for t in attempt.turns if t.number is not None]
    turn = Turn(
        position=len(attempt.turns),
        number=max(numbers, default=0) + 1,
        speaker="agent",
        text=text,
        idempotency_key=key,
        score_status="pending",
    )
    attempt.turns.append(turn)
    attempt.status = "awaiting_score"
    db.session.flush()
    return turn


def customer_line_before(turn: Turn) -> Turn:
    return next(t for t in reversed(turn.attempt.turns[: turn.position]) if t.speaker == "customer")


def mark_unscored(turn: Turn, message: str) -> None:
    turn.score_status = "failed"
    turn.score_error = message


def pending_turns() -> list[Turn]:
    """Agent replies saved but not scored, oldest first (what `trainer rescore` works through)."""
    return list(
        db.session.scalars(
            select(Turn)
            .join(Attempt)
            # An erased reply has nothing left to score.
            .where(
                Turn.speaker == "agent",
                Turn.score_status.in_(("pending", "failed")),
                Attempt.words_erased_at.is_(None),
            )
            .order_by(Turn.attempt_id, Turn.position)
        )
    )


def store_score(turn: Turn, result: Any) -> TurnScore:
    score = TurnScore(
        model_version=result.model_version,
        rubric_version=result.rubric_version,
        service_level=result.service_level,
        flags=list(result.flags),
        result=result.to_dict(),
    )
    for name in DIMENSIONS:
        dim = result.dimensions[name]
        score.dimensions.append(
            TurnDimensionScore(
                dimension=name,
                probability=float(dim.probability),
                level=dim.level,
                present=dim.present,
                evidence=list(dim.evidence),
            )
        )
    turn.scores.append(score)
    return score


def apply_score(turn: Turn, result: Any, kit: PracticeKit) -> dict[str, Any]:
    """Store the score, move the customer on, finish the attempt if it ended; the API response."""
    attempt = turn.attempt
    history = [(t.speaker, t.text) for t in attempt.turns]
    scenario = scenario_of(attempt.scenario)
    answer = customers.answer(
        scenario,
        attempt.state,
        turn.text,
        result,
        attempt.seed,
        kit.customers,
        history,
    )
    store_score(turn, result)
    turn.score_status = "scored"
    turn.score_error = None
    attempt.model_version = result.model_version
    customer: dict[str, Any] | None = None
    if attempt.status == "done":
        # Abandoned while the reply waited for the scorer: the reply counts in the attempt's
        # level, but the customer has hung up and says nothing more.
        measure(attempt)
    else:
        customer = {"text": answer.customer.text, "mood": answer.customer.mood}
        attempt.turns.append(Turn(position=len(attempt.turns), speaker="customer", **customer))
        attempt.state = answer.state
        attempt.mood = answer.customer.mood
        attempt.status = "active"
        if answer.outcome is not None:
            finish(attempt, answer.outcome)
    done = attempt.status == "done"
    response = {
        "turn": turn.number,
        "scores": {name: result.dimensions[name].to_dict() for name in DIMENSIONS},
        "flags": list(result.flags),
        "service_level": result.service_level,
        "model_version": result.model_version,
        "feedback": feedback(result, answer, kit.rubric, other_language(turn.text, scenario)),
        "customer": customer,
        "done": done,
        "outcome": attempt.outcome,
    }
    if done:
        response["attempt"] = {"service_level": attempt.service_level, "metrics": attempt.metrics}
    turn.response = response
    db.session.flush()
    return response


def public_response(response: dict[str, Any], attempt: Attempt) -> dict[str, Any]:
    """What the trainee may see now: a certification shows scores only once it has ended."""
    if attempt.purpose != "certification" or response.get("done"):
        return response
    hidden = {"scores": None, "service_level": None, "flags": [], "feedback": None}
    return {**response, **hidden, "certification": True}


def turn_levels(attempt: Attempt) -> list[int]:
    return [t.score.service_level for t in attempt.turns if t.speaker == "agent" and t.score]


def finish(attempt: Attempt, outcome: str) -> None:
    attempt.status = "done"
    attempt.outcome = outcome
    attempt.ended_at = utcnow()
    measure(attempt)


def measure(attempt: Attempt) -> None:
    """Work out an ended attempt's metrics and service level from its scored replies."""
    metrics = attempt_metrics(
        final_mood=attempt.mood,
        outcome=attempt.outcome,
        repeats=customers.repeats(attempt.state),
        turn_levels=turn_levels(attempt),
        started_at=attempt.started_at,
        ended_at=attempt.ended_at,
    )
    attempt.metrics = metrics.to_dict()
    attempt.service_level = metrics.service_level


def abandon(attempt: Attempt) -> None:
    if attempt.status == "done":
        raise AttemptOver("this attempt is already over")
    finish(attempt, "abandoned")


def explain(result: Any, rubric: Rubric) -> dict[str, Any]:
    """A score in the rubric's words: per dimension its level's descriptor and the evidence,
    flags explained, and tips for the dimensions below level 2."""
    dimensions = {}
    missing = []
    for name in DIMENSIONS:
        spec = rubric.dimension(name)
        dim = result.dimensions[name]
        dimensions[name] = {
            "title": spec.title,
            "level": dim.level,
            "descriptor": spec.levels[dim.level],
            "evidence": list(dim.evidence),
        }
        if dim.level < 2:
            missing.append({"dimension": name, "title": spec.title, "tip": spec.tip})
    return {
        "dimensions": dimensions,
        "flags": [{"name": f, "explain": rubric.flag(f).explain} for f in result.flags],
        "missing": missing,
    }


def feedback(
    result: Any, answer: customers.Answer, rubric: Rubric, reply_language: str | None = None
) -> dict[str, Any]:
    """What the trainee reads after a reply: the score explained, a better reply, and the reply's
    language when it is not the customer's (see ``other_language``)."""
    return {
        **explain(result, rubric),
        "exemplar": answer.exemplar,
        "customer_triggers": answer.triggers,
        "reply_language": reply_language,
    }


def other_language(reply: str, scenario: Scenario) -> str | None:
    """The reply's language when it is clearly not the one the customer writes in, for the
    trainee to be told (the scorer does not hold it against the reply, text.readable_context)."""
    replied = guess_language(reply)
    return replied if replied and replied != scenario.language else None


def scenario_for(attempt: Attempt) -> Scenario:
    return scenario_of(attempt.scenario)


def transcript(attempt: Attempt) -> list[dict[str, Any]]:
    rows = []
    for t in attempt.turns:
        row: dict[str, Any] = {"position": t.position, "speaker": t.speaker, "text": t.text}
        if t.speaker == "customer":
            row["mood"] = t.mood
        else:
            score = t.score
            row.update(
                turn=t.number,
                score_status=t.score_status,
                score_error=t.score_error,
                service_level=score.service_level if score else None,
                flags=score.flags if score else [],
                scores={
                    d.dimension: {
                        "probability": round(d.probability, 4),
                        "level": d.level,
                        "present": d.present,
                        "evidence": d.evidence,
                    }
                    for d in score.dimensions
                }
                if score
                else None,
                model_version=score.model_version if score else None,
                at=t.created_at.isoformat(),
            )
        rows.append(row)
    return rows


def attempt_document(attempt: Attempt) -> dict[str, Any]:
    """The attempt as the API returns it: transcript, scores, levels, metrics."""
    version = attempt.scenario
    return {
        "id": attempt.id,
        "user": {"id": attempt.user.id, "name": attempt.user.name},
        "scenario": {"slug": version.slug, "version": version.version, "title": version.title},
        "status": attempt.status,
        "outcome": attempt.outcome,
        "service_level": attempt.service_level,
        "mood": attempt.mood,
        "metrics": attempt.metrics,
        "model_version": attempt.model_version,
        "seed": attempt.seed,
        "started_at": attempt.started_at.isoformat(),
        "ended_at": attempt.ended_at.isoformat() if attempt.ended_at else None,
        "transcript": transcript(attempt),
    }


#: What an attempt can be doing (Attempt.status).
STATUSES = ("active", "awaiting_score", "done")


def attempt_page(
    user: User, *, status: str | None = None, before: int | None = None, limit: int = 50
) -> tuple[list[Attempt], int | None]:
    """The user's attempts, newest first, ``limit`` at a time from below id ``before``; and the
    ``before`` of the next page (None on the last)."""
    query = select(Attempt).where(Attempt.user_id == user.id)
    if status is not None:
        query = query.where(Attempt.status == status)
    if before is not None:
        query = query.where(Attempt.id < before)
    rows = list(db.session.scalars(query.order_by(Attempt.id.desc()).limit(limit + 1)))
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


def attempt_summary(attempt: Attempt) -> dict[str, Any]:
    """An attempt in a list: what it is and how it ended, without the transcript."""
    version = attempt.scenario
    return {
        "id": attempt.id,
        "scenario": {"slug": version.slug, "version": version.version, "title": version.title},
        "purpose": attempt.purpose,
        "status": attempt.status,
        "outcome": attempt.outcome,
        "service_level": attempt.service_level,
        "started_at": attempt.started_at.isoformat(),
        "ended_at": attempt.ended_at.isoformat() if attempt.ended_at else None,
    }


def attempts_of(user: User) -> list[Attempt]:
    return list(
        db.session.scalars(
            select(Attempt).where(Attempt.user_id == user.id).order_by(Attempt.started_at.desc())
        )
    )


@dataclass(frozen=True)
class ScenarioRecord:
    """A player's own record on one scenario, over all its versions (play-tests left out)."""

    #: Attempts started, finished or not.
    attempts: int
    #: The best service level of a finished attempt; None before one ends.
    best_level: int | None
    #: The newest attempt still going on, to pick up again; None when every attempt is over.
    open_attempt_id: int | None

    def reached(self, target: int) -> bool:
        return self.best_level is not None and self.best_level >= target


#: Where a player stands on a scenario: not tried, tried but below its target, target reached.
PROGRESS = ("new", "below", "reached")


def progress(record: ScenarioRecord | None, target: int) -> str:
    if record is None:
        return "new"
    return "reached" if record.reached(target) else "below"


def scenario_records(user: User, slug: str | None = None) -> dict[str, ScenarioRecord]:
    """The user's record per scenario slug (of one, when ``slug`` is given), for the scenarios
    they have tried."""
    done = Attempt.status == "done"
    query = (
        select(
            ScenarioVersion.slug,
            func.count(Attempt.id),
            func.max(case((done, Attempt.service_level))),
            func.max(case((~done, Attempt.id))),
        )
        .join(ScenarioVersion, Attempt.scenario_version_id == ScenarioVersion.id)
        .where(Attempt.user_id == user.id, Attempt.purpose != "playtest")
        .group_by(ScenarioVersion.slug)
    )
    if slug is not None:
        query = query.where(ScenarioVersion.slug == slug)
    rows = db.session.execute(query)
    return {key: ScenarioRecord(n, best, open_id) for key, n, best, open_id in rows}


def can_view(user: User, attempt: Attempt) -> bool:
    return attempt.user_id == user.id or user.role in ("trainer", "hr")
