"""Erasing personal data: a person's on request (UU PDP, GDPR), everyone's past a retention period.

On request the account is anonymised and everything the person wrote is removed: replies, the
sentences quoted from them as evidence, dispute comments, idempotency keys, the addresses they
logged in from and their name and e-mail in the audit log. Past the retention period the same
goes for the words of finished attempts and for addresses in the audit log. What stays holds
nothing of anyone and keeps the figures true: the levels, flags and metrics, under "Erased user".
Reviews keep their levels but leave the corrections export, which no longer has the reply they
judged; a trainer's own erasure removes the reasons and resolutions they wrote. Operations only
flush; the caller commits.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select

from trainer.extensions import db
from trainer.models import (
    ApiToken,
    Attempt,
    AuditEvent,
    Dispute,
    LoginSession,
    Turn,
    TurnDimensionScore,
    TurnReview,
    TurnScore,
    User,
    utcnow,
)
from trainer.services import audit, practice
from trainer.services.accounts import AccountError

#: What replaces every text the person wrote.
ERASED_TEXT = "[erased]"
ERASED_NAME = "Erased user"
#: No Argon2 hash looks like this, so no password can ever match it.
UNUSABLE_PASSWORD = "!erased"


class ErasureError(AccountError):
    """The erasure was refused; nothing changed."""


@dataclass(frozen=True)
class Erased:
    """How much was erased, for the audit log and whoever asked for it."""

    attempts: int
    replies: int
    disputes: int
    audit_events: int

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class Erasure(Erased):
    """One person's data, on request."""

    #: Review reasons and dispute resolutions the person wrote as a trainer.
    judgements: int = 0


def erased_email(user_id: int) -> str:
    # .invalid is reserved (RFC 2606): the address can reach nobody and clash with no one.
    return f"erased-{user_id}@erased.invalid"


def erase_user(user: User, actor: User | None) -> Erasure:
    """Erase the person's data; ``actor`` None is the operator at the command line.

    Only a deactivated account can be erased, so that erasing is always a second, deliberate
    step; it cannot be undone.
    """
    if user.erased_at is not None:
        raise ErasureError("this account was erased already", "already_erased")
    if actor is not None and actor.id == user.id:
        raise ErasureError("you cannot erase your own account", "own_account")
    if user.active:
        raise ErasureError("deactivate the account first: erasing cannot be undone", "still_active")
    old_email = user.email
    attempts = list(db.session.scalars(select(Attempt).where(Attempt.user_id == user.id)))
    words = [erase_words(attempt) for attempt in attempts]
    events = _erase_from_audit(user, old_email)
    judgements = _erase_judgements(user)
    db.session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
    db.session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    user.name, user.email = ERASED_NAME, erased_email(user.id)
    user.password_hash = UNUSABLE_PASSWORD
    user.erased_at = utcnow()
    erasure = Erasure(
        len(attempts), sum(r for r, _ in words), sum(d for _, d in words), events, judgements
    )
    audit.record("user.erase", actor=actor, subject=f"user:{user.id}", **erasure.to_dict())
    db.session.flush()
    return erasure


def _erase_judgements(user: User) -> int:
    """A trainer's words about others' replies go; the levels they set keep counting."""
    reasons = db.session.execute(
        TurnReview.__table__.update()
        .where(TurnReview.reviewer_id == user.id)
        .values(reason=ERASED_TEXT)
    ).rowcount
    resolutions = db.session.execute(
        Dispute.__table__.update()
        .where(Dispute.resolved_by_id == user.id, Dispute.resolution.is_not(None))
        .values(resolution=ERASED_TEXT)
    ).rowcount
    return reasons + resolutions


def erase_words(attempt: Attempt) -> tuple[int, int]:
    """Remove what the trainee wrote in the attempt; returns (replies, dispute comments)."""
    attempt.idempotency_key = None
    if attempt.state.get("slots"):  # what the modelled customer picked up from the replies
        attempt.state = {**attempt.state, "slots": {}}
    replies = 0
    for turn in attempt.turns:
        if turn.speaker != "agent":
            continue
        turn.text = ERASED_TEXT
        turn.idempotency_key = turn.score_error = turn.response = None
        for score in turn.scores:
            score.result = _without_quotes(score.result)
        replies += 1
    turn_ids = select(Turn.id).where(Turn.attempt_id == attempt.id)
    db.session.execute(
        TurnDimensionScore.__table__.update()
        .where(
            TurnDimensionScore.score_id.in_(
                select(TurnScore.id).where(TurnScore.turn_id.in_(turn_ids))
            )
        )
        .values(evidence=[])
    )
    disputes = db.session.execute(
        Dispute.__table__.update().where(Dispute.turn_id.in_(turn_ids)).values(comment=ERASED_TEXT)
    ).rowcount
    attempt.words_erased_at = utcnow()
    return replies, disputes


@dataclass(frozen=True)
class Purge(Erased):
    """What the retention period took."""

    #: Of those, attempts left open with nothing said since the cutoff, abandoned first.
    abandoned: int = 0


def purge(before: datetime, actor: User | None = None) -> Purge:
    """Erase the words of attempts that ended before ``before`` and audit addresses from then.

    An attempt left open with nothing said in it since then is abandoned first: nobody will come
    back to it, and its words would otherwise outlive every retention period.
    """
    last_said = (
        select(func.max(Turn.created_at)).where(Turn.attempt_id == Attempt.id).scalar_subquery()
    )
    stale = list(
        db.session.scalars(
            select(Attempt).where(
                Attempt.ended_at.is_(None), func.coalesce(last_said, Attempt.started_at) < before
            )
        )
    )
    for attempt in stale:
        practice.abandon(attempt)
    finished = list(
        db.session.scalars(
            select(Attempt).where(Attempt.ended_at < before, Attempt.words_erased_at.is_(None))
        )
    )
    words = [erase_words(attempt) for attempt in [*finished, *stale]]
    events = 0
    for event in db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.at < before,
            or_(AuditEvent.ip.is_not(None), AuditEvent.action == "user.login_failed"),
        )
    ):
        details = dict(event.details or {})
        if event.action == "user.login_failed" and details.get("email") != ERASED_TEXT:
            details["email"] = ERASED_TEXT
        elif event.ip is None:
            continue
        event.details, event.ip = details, None
        events += 1
    done = Purge(len(words), sum(r for r, _ in words), sum(d for _, d in words), events, len(stale))
    audit.record("data.purge", actor=actor, before=before.isoformat(), **done.to_dict())
    db.session.flush()
    return done


def _without_quotes(result: dict[str, Any]) -> dict[str, Any]:
    """A stored score without the sentences it quoted from the reply."""
    dimensions = {
        name: {**dim, "evidence": []} for name, dim in (result.get("dimensions") or {}).items()
    }
    return {**result, "dimensions": dimensions, "ignored": []}


def _erase_from_audit(user: User, old_email: str) -> int:
    changed = 0
    subject = f"user:{user.id}"
    rows = db.session.scalars(
        select(AuditEvent).where(
            or_(
                AuditEvent.actor_id == user.id,
                AuditEvent.subject == subject,
                AuditEvent.action == "user.login_failed",
            )
        )
    )
    for event in rows:
        details = dict(event.details or {})
        typed = str(details.get("email", "")).strip().lower()
        if event.action == "user.login_failed" and typed != old_email:
            continue
        before = (dict(details), event.ip)
        if "email" in details:
            details["email"] = ERASED_TEXT
        if event.subject == subject and "name" in details:
            details["name"] = [ERASED_TEXT, ERASED_TEXT]
        if event.actor_id == user.id and "reason" in details:  # a trainer's review, in their words
            details["reason"] = ERASED_TEXT
        ip = None if event.actor_id == user.id or event.action == "user.login_failed" else event.ip
        if (details, ip) != before:
            event.details, event.ip = details, ip
            changed += 1
    return changed
