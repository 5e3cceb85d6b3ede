"""Trainer reviews: the effective score of a turn (trainer overrides win), review, disputes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload, selectinload

from trainer.extensions import db
from trainer.models import (
    Attempt,
    Dispute,
    ScenarioVersion,
    Turn,
    TurnDimensionScore,
    TurnReview,
    TurnScore,
    User,
    utcnow,
)
from trainer.services import audit
from trainer.vocabulary import DIMENSIONS

#: How long after a turn a trainee may dispute its score (the default; configurable).
DISPUTE_WINDOW = timedelta(days=14)
#: A dimension probability in this band is a close call, worth a trainer's look.
LOW_CONFIDENCE = (0.35, 0.65)
#: Attempts per page of the review queue.
QUEUE_PAGE = 50


class ReviewError(ValueError):
    """A review or dispute that cannot be made; ``status`` for the API."""

    def __init__(self, message: str, status: int = 422, code: str = "invalid_review") -> None:
        super().__init__(message)
        self.status, self.code = status, code


@dataclass(frozen=True)
class Effective:
    """A turn's levels as they count: the trainer's where reviewed, else the machine's."""

    levels: dict[str, int]
    service_level: int
    #: The machine's, for showing beside the trainer's.
    machine_levels: dict[str, int]
    machine_service_level: int
    reviewed: bool
    model_version: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "levels": self.levels,
            "service_level": self.service_level,
            "machine": {
                "levels": self.machine_levels,
                "service_level": self.machine_service_level,
                "model_version": self.model_version,
            },
            "reviewed": self.reviewed,
        }


def effective(turn: Turn) -> Effective | None:
    """None for a turn without a machine score (unscored replies count nowhere yet)."""
    machine = turn.machine_score
    if machine is None:
        return None
    machine_levels = {d.dimension: d.level for d in machine.dimensions}
    review = turn.review
    levels = dict(machine_levels)
    service_level = machine.service_level
    if review is not None:
        for name in DIMENSIONS:
            if review.level(name) is not None:
                levels[name] = review.level(name)
        if review.service_level is not None:
            service_level = review.service_level
    return Effective(
        levels,
        service_level,
        machine_levels,
        machine.service_level,
        review is not None,
        machine.model_version,
    )


def may_review(trainer: User, attempt: Attempt) -> bool:
    """Trainers review attempts of the team they train; a trainer without a team, anyone's."""
    if trainer.role != "trainer":
        return False
    return trainer.team_id is None or attempt.user.team_id == trainer.team_id


def agent_turn(attempt: Attempt, number: int) -> Turn | None:
    return next((t for t in attempt.turns if t.number == number), None)


def review_turn(
    turn: Turn,
    reviewer: User,
    levels: dict[str, Any],
    service_level: Any,
    reason: Any,
    dispute: Dispute | None = None,
) -> TurnReview:
    """Record the trainer's levels for the turn; flushes, the caller commits."""
    if turn.speaker != "agent" or turn.machine_score is None:
        raise ReviewError("only a scored agent reply can be reviewed", 409, "not_reviewable")
    if not isinstance(reason, str) or not reason.strip():
        raise ReviewError("a reason is required")
    if not isinstance(levels, dict) or set(levels) - set(DIMENSIONS):
        raise ReviewError(f"levels must map some of {', '.join(DIMENSIONS)} to 0-3")
    for name, value in levels.items():
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 3:
            raise ReviewError(f"{name} must be a level 0-3")
    if service_level is not None and (
        not isinstance(service_level, int)
        or isinstance(service_level, bool)
        or not 0 <= service_level <= 4
    ):
        raise ReviewError("service_level must be 0-4")
    if not levels and service_level is None:
        raise ReviewError("set at least one level")
    review = TurnReview(
        turn=turn,
        reviewer_id=reviewer.id,
        service_level=service_level,
        reason=reason.strip(),
        dispute_id=dispute.id if dispute else None,
        **levels,
    )
    db.session.add(review)
    db.session.flush()
    audit.record(
        "turn.review",
        actor=reviewer,
        subject=f"turn:{turn.id}",
        levels=levels,
        service_level=service_level,
        reason=review.reason,
        machine=effective(turn).machine_levels,
    )
    return review


def open_dispute(
    turn: Turn, user: User, comment: Any, window: timedelta = DISPUTE_WINDOW
) -> Dispute:
    if turn.attempt.user_id != user.id or turn.speaker != "agent":
        raise ReviewError("you can dispute only your own replies", 404, "not_found")
    if not isinstance(comment, str) or not comment.strip():
        raise ReviewError("say what is wrong with the score")
    if utcnow() - turn.created_at > window:
        raise ReviewError(
            f"disputes are open for {window.days} days after the reply",
            409,
            "dispute_window_closed",
        )
    if any(d.status == "open" for d in disputes_of(turn)):
        raise ReviewError("this reply already has an open dispute", 409, "dispute_open")
    dispute = Dispute(turn_id=turn.id, user_id=user.id, comment=comment.strip()[:2000])
    db.session.add(dispute)
    db.session.flush()
    audit.record("dispute.open", actor=user, subject=f"turn:{turn.id}", dispute=dispute.id)
    return dispute


def disputes_of(turn: Turn) -> list[Dispute]:
    return list(db.session.scalars(select(Dispute).where(Dispute.turn_id == turn.id)))


def settle_dispute(
    dispute: Dispute,
    trainer: User,
    accept: bool,
    reason: Any,
    levels: dict[str, Any] | None = None,
    service_level: Any = None,
) -> None:
    """Accept (the trainer's levels become a review) or reject with a reason."""
    if dispute.status != "open":
        raise ReviewError("this dispute is already settled", 409, "dispute_settled")
    if not isinstance(reason, str) or not reason.strip():
        raise ReviewError("a reason is required")
    if accept:
        review_turn(dispute.turn, trainer, levels or {}, service_level, reason, dispute)
    dispute.status = "accepted" if accept else "rejected"
    dispute.resolved_by_id = trainer.id
    dispute.resolved_at = utcnow()
    dispute.resolution = reason.strip()
    audit.record(
        "dispute.settle", actor=trainer, subject=f"dispute:{dispute.id}", status=dispute.status
    )


def low_confidence(turn: Turn) -> bool:
    """Whether the newest machine score of the turn is a close call on some dimension."""
    score = turn.machine_score
    low, high = LOW_CONFIDENCE
    return bool(score) and any(low <= d.probability <= high for d in score.dimensions)


@dataclass(frozen=True)
class QueueRow:
    attempt: Attempt
    #: Agent turns whose newest score is a close call.
    low: int
    #: Agent turns a trainer reviewed, of ``turns``.
    reviewed: int
    turns: int
    #: The attempt has an open dispute.
    disputed: bool


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    page: int
    has_next: bool


def review_queue(
    *,
    team_id: int | None = None,
    slug: str | None = None,
    only_low: bool = False,
    only_disputed: bool = False,
    page: int = 1,
) -> QueuePage:
    """Finished attempts for review, a page at a time: those with an open dispute first (a
    trainee is waiting), then the newest."""
    page = max(page, 1)
    disputed = (
        select(Turn.attempt_id)
        .join(Dispute, Dispute.turn_id == Turn.id)
        .where(Dispute.status == "open")
    )
    query = (
        select(Attempt)
        .join(Attempt.user)
        .where(Attempt.status == "done", Attempt.purpose != "playtest")
    )
    if team_id is not None:
        query = query.where(User.team_id == team_id)
    if slug:
        query = query.join(Attempt.scenario).where(ScenarioVersion.slug == slug)
    if only_disputed:
        query = query.where(Attempt.id.in_(disputed))
    if only_low:
        newest = select(func.max(TurnScore.id)).group_by(TurnScore.turn_id)
        close = (
            select(Turn.attempt_id)
            .join(TurnScore, TurnScore.turn_id == Turn.id)
            .join(TurnDimensionScore, TurnDimensionScore.score_id == TurnScore.id)
            .where(
                TurnScore.id.in_(newest), TurnDimensionScore.probability.between(*LOW_CONFIDENCE)
            )
        )
        query = query.where(Attempt.id.in_(close))
    query = (
        query.order_by(
            case((Attempt.id.in_(disputed), 0), else_=1),
            Attempt.ended_at.desc(),
            Attempt.id.desc(),
        )
        .offset((page - 1) * QUEUE_PAGE)
        .limit(QUEUE_PAGE + 1)
        .options(
            joinedload(Attempt.user),
            joinedload(Attempt.scenario),
            selectinload(Attempt.turns)
            .selectinload(Turn.scores)
            .selectinload(TurnScore.dimensions),
            selectinload(Attempt.turns).selectinload(Turn.reviews),
        )
    )
    attempts = list(db.session.scalars(query).unique())
    shown = attempts[:QUEUE_PAGE]
    open_ids = set(db.session.scalars(disputed.where(Turn.attempt_id.in_([a.id for a in shown]))))
    rows = []
    for attempt in shown:
        turns = [t for t in attempt.turns if t.speaker == "agent"]
        rows.append(
            QueueRow(
                attempt=attempt,
                low=sum(low_confidence(t) for t in turns),
                reviewed=sum(bool(t.reviews) for t in turns),
                turns=len(turns),
                disputed=attempt.id in open_ids,
            )
        )
    return QueuePage(rows, page, has_next=len(attempts) > QUEUE_PAGE)
