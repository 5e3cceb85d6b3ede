"""The audit log: who did what, written in the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from trainer.extensions import db
from trainer.models import AuditEvent, User

#: How many events a page of the log shows.
PAGE_SIZE = 50


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


def count_since(action: str, subject: str, since: datetime) -> int:
    """How many ``action`` events on ``subject`` the log holds from ``since`` on."""
    query = select(func.count()).where(
        AuditEvent.action == action, AuditEvent.subject == subject, AuditEvent.at >= since
    )
    return db.session.scalar(query) or 0


def events(
    *,
    action: str | None = None,
    actor_id: int | None = None,
    subject: str | None = None,
    before: int | None = None,
    limit: int = PAGE_SIZE,
) -> list[AuditEvent]:
    """The newest events first, filtered; ``before`` (an event id) pages back through the log."""
    query = select(AuditEvent).options(selectinload(AuditEvent.actor))
    if action:
        query = query.where(AuditEvent.action == action)
    if actor_id:
        query = query.where(AuditEvent.actor_id == actor_id)
    if subject:
        query = query.where(AuditEvent.subject == subject)
    if before:
        query = query.where(AuditEvent.id < before)
    return list(db.session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit)))


def actions() -> list[str]:
    """Every action the log holds, for a filter."""
    return list(
        db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action))
    )
