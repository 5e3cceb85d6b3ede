"""Assignments: scenarios a trainer sets for agents or teams, by a due date, in a mode."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select

from trainer.extensions import db
from trainer.models import Assignment, Attempt, ScenarioVersion, Team, User, utcnow
from trainer.services import audit, practice, scenarios

MODES = ("practice", "certification")


class AssignmentError(ValueError):
    def __init__(self, message: str, status: int = 422, code: str = "invalid_assignment") -> None:
        super().__init__(message)
        self.status, self.code = status, code


@dataclass(frozen=True)
class AssignmentStatus:
    assignment: Assignment
    #: The scenario's active version (None once it is retired).
    version: ScenarioVersion | None
    attempts_used: int
    best_level: int | None
    overdue: bool
    done: bool

    @property
    def attempts_left(self) -> int | None:
        limit = self.assignment.max_attempts
        return None if limit is None else max(0, limit - self.attempts_used)


def assign(
    trainer: User,
    slug: str,
    mode: str,
    due_at: datetime,
    *,
    user: User | None = None,
    team: Team | None = None,
    max_attempts: int | None = None,
) -> Assignment:
    if (user is None) == (team is None):
        raise AssignmentError("assign to one agent or one team")
    if mode not in MODES:
        raise AssignmentError(f"mode must be {' or '.join(MODES)}")
    if scenarios.active_version(slug) is None:
        raise AssignmentError(f"no active scenario {slug!r}", 404, "not_found")
    if user is not None and user.role != "agent":
        raise AssignmentError("scenarios are assigned to agents")
    if trainer.team_id is not None and (user.team_id if user else team.id) != trainer.team_id:
        raise AssignmentError("you can assign only to the team you train", 403, "forbidden")
    if max_attempts is not None and max_attempts < 1:
        raise AssignmentError("max attempts must be at least 1")
    row = Assignment(
        scenario_slug=slug,
        mode=mode,
        due_at=due_at,
        trainer_id=trainer.id,
        user_id=user.id if user else None,
        team_id=team.id if team else None,
        max_attempts=max_attempts if mode == "certification" else None,
    )
    db.session.add(row)
    db.session.flush()
    audit.record(
        "assignment.create", actor=trainer, subject=f"assignment:{row.id}", scenario=slug, mode=mode
    )
    return row


def assignments_for(user: User) -> list[AssignmentStatus]:
    """The agent's own and their team's assignments, soonest due first."""
    query = select(Assignment).where(
        or_(
            Assignment.user_id == user.id,
            Assignment.team_id == user.team_id if user.team_id else False,
        )
    )
    now = utcnow()
    statuses = []
    for assignment in db.session.scalars(query.order_by(Assignment.due_at)):
        used, best = db.session.execute(
            select(func.count(Attempt.id), func.max(Attempt.service_level)).where(
                Attempt.assignment_id == assignment.id, Attempt.user_id == user.id
            )
        ).one()
        version = scenarios.active_version(assignment.scenario_slug)
        done = best is not None and version is not None and best >= version.target_level
        statuses.append(
            AssignmentStatus(
                assignment,
                version,
                used,
                best,
                overdue=not done and assignment.due_at < now,
                done=done,
            )
        )
    return statuses


def start_assigned(user: User, assignment: Assignment) -> Attempt:
    """Start an attempt for the assignment (certification: within its attempt limit)."""
    mine = assignment.user_id == user.id or (
        assignment.team_id is not None and assignment.team_id == user.team_id
    )
    if not mine:
        raise AssignmentError("no such assignment of yours", 404, "not_found")
    status = next(s for s in assignments_for(user) if s.assignment.id == assignment.id)
    if status.attempts_left == 0:
        raise AssignmentError("no attempts left for this certification", 409, "no_attempts_left")
    version = scenarios.active_version(assignment.scenario_slug)
    if version is None:
        raise AssignmentError("the scenario was retired", 409, "retired")
    attempt = practice.start_attempt(user, version)
    attempt.purpose = assignment.mode
    attempt.assignment_id = assignment.id
    return attempt
