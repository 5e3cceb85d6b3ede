"""The audit log: who did what, written in the caller's transaction."""

from __future__ import annotations

from typing import Any

from trainer.extensions import db
from trainer.models import AuditEvent, User


def record(
    action: str,
    *,
    actor: User | None = None,
    subject: str = "",
    ip: str | None = None,
    **details: Any,
) -> AuditEvent:
    event = AuditEvent(
        action=action,
        actor_id=actor.id if actor is not None else None,
        subject=subject,
        ip=ip,
        details=details,
    )
    db.session.add(event)
    return event
