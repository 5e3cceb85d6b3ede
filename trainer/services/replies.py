"""Taking a trainee's reply: saved and committed before the model runs, then scored and applied.

This is the one service that commits, twice, on purpose: a reply must be durable before
scoring can fail, and no transaction may stay open while the model runs (on SQLite it would hold
the write lock). The chat page, the API and ``trainer rescore`` all go through here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from trainer.extensions import db
from trainer.models import Turn, User
from trainer.scoring.text import ReplyError, check_reply
from trainer.services import practice
from trainer.services.customers import PracticeKit
from trainer.services.scoring import ScoringUnavailable

#: Longer replies are refused before they are saved (the scorer reads 256 tokens anyway).
MAX_REPLY_CHARS = 10_000
log = logging.getLogger(__name__)


class TurnError(Exception):
    """The reply could not be taken or scored; ``status``, ``code`` and a message for the user.

    ``reason`` refines an ``invalid_reply`` (ReplyError.reason), so a page can say it in the
    trainee's language; the API gives ``message`` as it is.
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        turn: int | None = None,
        reason: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.turn = status, code, message, turn
        self.reason = reason


@dataclass(frozen=True)
class Submitted:
    response: dict[str, Any]
    #: True when an earlier identical submission's response is replayed.
    replayed: bool = False


def submit(
    attempt_id: int,
    user: User,
    text: Any,
    key: str | None,
    kit: PracticeKit,
) -> Submitted:
    """Take the agent's reply: it is committed before scoring, so a failure cannot lose it."""
    attempt = practice.locked_attempt(attempt_id)
    if attempt is None or attempt.user_id != user.id:
        raise TurnError(404, "not_found", "no such attempt of yours")
    previous = practice.existing_reply(attempt, key)
    if previous is not None:
        if previous.response is not None:
            return Submitted(practice.public_response(previous.response, attempt), replayed=True)
        if previous.score_status == "failed":  # a retry after the scorer failed: try again now
            saved = _saved(previous)
            db.session.commit()
            return Submitted(score_saved(saved, kit))
        raise TurnError(
            409, "reply_pending", "this reply is saved and still being scored", previous.number
        )
    try:
        check_reply(text)
    except ReplyError as exc:
        raise TurnError(422, "invalid_reply", str(exc), reason=exc.reason) from exc
    if len(text) > MAX_REPLY_CHARS:
        raise TurnError(
            413, "reply_too_long", f"a reply can be at most {MAX_REPLY_CHARS:,} characters"
        )
    try:
        turn = practice.save_reply(attempt, text, key)
    except practice.PracticeError as exc:
        raise TurnError(exc.status, exc.code, str(exc)) from exc
    saved = _saved(turn)
    db.session.commit()
    return Submitted(score_saved(saved, kit))


@dataclass(frozen=True)
class SavedReply:
    """What scoring needs, read before the commit so the model runs outside any transaction."""

    turn_id: int
    number: int | None
    text: str
    context: str


def _saved(turn: Turn) -> SavedReply:
    context = practice.customer_line_before(turn).text
    return SavedReply(turn.id, turn.number, turn.text, context)


def score_saved(saved: SavedReply, kit: PracticeKit) -> dict[str, Any]:
    """Score a saved reply and move the attempt on; on failure keep it unscored and say so."""
    try:
        result = kit.scorer.score(saved.text, saved.context)
    except (ScoringUnavailable, ReplyError) as exc:
        practice.mark_unscored(db.session.get(Turn, saved.turn_id), str(exc))
        db.session.commit()
        log.warning("turn %s kept unscored: %s", saved.turn_id, exc)
        raise TurnError(
            503,
            "scoring_unavailable",
            f"Your reply is saved (turn {saved.number}) but could not be scored right now; it "
            "will be scored as soon as the scorer is back, and you can go on then.",
            saved.number,
        ) from exc
    turn = db.session.get(Turn, saved.turn_id)
    response = practice.apply_score(turn, result, kit)
    response = practice.public_response(response, turn.attempt)
    db.session.commit()
    return response


def score_pending(attempt_id: int, user: User, kit: PracticeKit) -> dict:
    """Retry scoring the attempt's saved but unscored reply (the chat page's button)."""
    attempt = practice.locked_attempt(attempt_id)
    if attempt is None or attempt.user_id != user.id:
        raise TurnError(404, "not_found", "no such attempt of yours")
    turn = next((t for t in attempt.turns if t.score_status in ("pending", "failed")), None)
    if turn is None:
        raise TurnError(409, "nothing_pending", "every reply of this attempt is scored")
    saved = _saved(turn)
    db.session.commit()
    return score_saved(saved, kit)


def score_all_pending(kit: PracticeKit) -> int:
    """Score every saved reply without a score, oldest first (``trainer rescore``)."""
    pending = [_saved(t) for t in practice.pending_turns()]
    db.session.commit()
    for saved in pending:
        score_saved(saved, kit)
    return len(pending)
