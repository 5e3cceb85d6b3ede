"""A person's own data as one JSON document (the right of access of UU PDP and the GDPR)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from trainer.extensions import db
from trainer.models import Dispute, User, utcnow
from trainer.services import audit, practice


def personal_data(user: User, ip: str | None = None) -> dict[str, Any]:
    """The account, every attempt (transcript, scores, metrics) and every dispute; audited."""
    disputes = db.session.scalars(
        select(Dispute).where(Dispute.user_id == user.id).order_by(Dispute.id)
    )
    document = {
        "exported_at": utcnow().isoformat(),
        "account": {
            "id": user.id,
            "email": user.email,
            "name": user.name,
            "role": user.role,
            "team": user.team.name if user.team else None,
            "created_at": user.created_at.isoformat(),
        },
        "attempts": [practice.attempt_document(a) for a in reversed(practice.attempts_of(user))],
        "disputes": [
            {
                "attempt": d.turn.attempt_id,
                "turn": d.turn.number,
                "comment": d.comment,
                "status": d.status,
                "resolution": d.resolution,
                "created_at": d.created_at.isoformat(),
            }
            for d in disputes
        ],
    }
    audit.record("user.export", actor=user, subject=f"user:{user.id}", ip=ip)
    return document
