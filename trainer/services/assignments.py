"""Assignments: scenarios a trainer sets for agents or teams, by a due date, in a mode."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, or_, select

from trainer.extensions import db
from trainer.models import Assignment, Attempt, ScenarioVersion, Team, User, utcnow
from trainer.services import audit, practice, scenarios

MODES = ("practice", "certification")
#: The agents an assignment counts and tells: those who may log in, not erased.
ACTIVE_AGENT = (User.role == "agent", User.active.is_(True), User.erased_at.is_(None))


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
    #: The user's attempt for it still going on, to continue rather than start another.
    open_attempt_id: int | None = None

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


def agents_of(assignment: Assignment) -> list[User]:
    """The active agents an assignment is for: its agent, or its team's agents as it is now."""
    query = select(User).where(*ACTIVE_AGENT)
    if assignment.team_id is not None:
        query = query.where(User.team_id == assignment.team_id)
    else:
        query = query.where(User.id == assignment.user_id)
    return list(db.session.scalars(query.order_by(User.id)))


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
        used, best, open_id = db.session.execute(
            select(
                func.count(Attempt.id),
                func.max(Attempt.service_level),
                func.max(case((Attempt.status != "done", Attempt.id))),
            ).where(Attempt.assignment_id == assignment.id, Attempt.user_id == user.id)
        ).one()
        version = scenarios.active_version(assignment.scenario_slug)
        target = version.target_level if version else None
        done, overdue = _standing(assignment, best, target, now)
        statuses.append(AssignmentStatus(assignment, version, used, best, overdue, done, open_id))
    return statuses


def _standing(
    assignment: Assignment, best: int | None, target: int | None, now: datetime
) -> tuple[bool, bool]:
    """Done (the best attempt reached the active version's target) and overdue (not done by
    the due date), for one agent."""
    done = best is not None and target is not None and best >= target
    return done, not done and assignment.due_at < now


@dataclass(frozen=True)
class AssignmentProgress:
    """How far the agents an assignment is for have got with it."""

    #: Active agents it is for: its agent, or its team's agents as the team is now.
    agents: int
    #: Of them, those who started an attempt for it.
    started: int
    #: Of them, those whose best attempt reached the scenario's target.
    done: int
    #: Of them, those not done by the due date.
    overdue: int


def progress(rows: Sequence[Assignment]) -> dict[int, AssignmentProgress]:
    """Each assignment's progress by id, in three queries whatever the number of rows."""
    slugs = {a.scenario_slug for a in rows}
    targets = dict(
        db.session.execute(
            select(ScenarioVersion.slug, ScenarioVersion.target_level).where(
                ScenarioVersion.slug.in_(slugs), ScenarioVersion.active.is_(True)
            )
        ).all()
    )
    team_ids = {a.team_id for a in rows if a.team_id is not None}
    user_ids = {a.user_id for a in rows if a.user_id is not None}
    members: dict[int | None, list[int]] = {}
    active: set[int] = set()
    for user_id, team_id in db.session.execute(
        select(User.id, User.team_id).where(
            or_(User.team_id.in_(team_ids), User.id.in_(user_ids)), *ACTIVE_AGENT
        )
    ):
        members.setdefault(team_id, []).append(user_id)
        active.add(user_id)
    best: dict[tuple[int, int], int | None] = {
        (assignment_id, user_id): level
        for assignment_id, user_id, level in db.session.execute(
            select(Attempt.assignment_id, Attempt.user_id, func.max(Attempt.service_level))
            .where(Attempt.assignment_id.in_([a.id for a in rows]))
            .group_by(Attempt.assignment_id, Attempt.user_id)
        )
    }
    now = utcnow()
    result = {}
    for assignment in rows:
        if assignment.team_id is not None:
            who = members.get(assignment.team_id, [])
        else:
            who = [assignment.user_id] if assignment.user_id in active else []
        target = targets.get(assignment.scenario_slug)
        standings = [
            _standing(assignment, best.get((assignment.id, user_id)), target, now)
            for user_id in who
        ]
        result[assignment.id] = AssignmentProgress(
            agents=len(who),
            started=sum((assignment.id, user_id) in best for user_id in who),
            done=sum(done for done, _ in standings),
            overdue=sum(overdue for _, overdue in standings),
        )
    return result


def start_assigned(user: User, assignment: Assignment) -> Attempt:
    """Start an attempt for the assignment (certification: within its attempt limit), or give
    back the one still going on."""
    mine = assignment.user_id == user.id or (
        assignment.team_id is not None and assignment.team_id == user.team_id
    )
    if not mine:
        raise AssignmentError("no such assignment of yours", 404, "not_found")
    status = next(s for s in assignments_for(user) if s.assignment.id == assignment.id)
    if status.open_attempt_id is not None:
        # One conversation at a time per assignment: a second would cost a certification
        # attempt and leave the first hanging.
        return db.session.get(Attempt, status.open_attempt_id)
    if status.attempts_left == 0:
        raise AssignmentError("no attempts left for this certification", 409, "no_attempts_left")
    version = scenarios.active_version(assignment.scenario_slug)
    if version is None:
        raise AssignmentError("the scenario was retired", 409, "retired")
    attempt = practice.start_attempt(user, version)
    attempt.purpose = assignment.mode
    attempt.assignment_id = assignment.id
    return attempt
