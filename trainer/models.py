"""Database models: accounts, scenario versions, attempts, turns, their scores, the audit log."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainer.extensions import db

ROLES = ("agent", "trainer", "hr", "admin")
#: The largest value an INTEGER column holds on PostgreSQL, the narrowest backend: no row has a
#: larger id, and binding one fails in the driver ("integer out of range") instead of finding none.
MAX_ID = 2**31 - 1


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Stored as naive UTC (SQLite keeps no zone), always returned timezone-aware."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None else None


class Team(db.Model):
    __tablename__ = "teams"

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: Shown to trainers and HR; unique.
    name: Mapped[str] = mapped_column(String(80), unique=True)
    #: When the team was created.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    members: Mapped[list[User]] = relationship(back_populates="team")


class User(UserMixin, db.Model):
    __tablename__ = "users"

    #: Not a column: the login session's secret, which Flask-Login keeps in the cookie.
    session_secret = None

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: Login name, stored lower-case; unique.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    #: Display name.
    name: Mapped[str] = mapped_column(String(120))
    #: agent | trainer | hr | admin.
    role: Mapped[str] = mapped_column(String(16))
    #: The team the user belongs to (agents) or trains (trainers); optional.
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    #: Argon2id hash of the password (never the password).
    password_hash: Mapped[str] = mapped_column(String(255))
    #: A disabled user can neither log in nor use API tokens.
    active: Mapped[bool] = mapped_column(default=True)
    #: When the account was created.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Last password change (every login session was ended then).
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The password was generated for the person by someone else (an admin, an import, the CLI):
    #: the web app asks them to choose their own before anything else.
    password_must_change: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: When the person's data was erased on request (trainer.services.erasure); never undone.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    team: Mapped[Team | None] = relationship(back_populates="members")
    attempts: Mapped[list[Attempt]] = relationship(back_populates="user")

    def get_id(self) -> str | None:
        return self.session_secret

    @property
    def is_active(self) -> bool:
        return self.active

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"


class LoginSession(db.Model):
    """A browser login; the cookie carries its secret, so logging out revokes it on the server."""

    __tablename__ = "login_sessions"

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: Whose session.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    #: SHA-256 of the secret in the session cookie.
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: When the user logged in.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Last request with it, to within SESSION_TOUCH_INTERVAL (null: none since the login).
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Set by logout, password change and expiry; a revoked session never authenticates again.
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class ApiToken(db.Model):
    """A bearer token for the HTTP API; only its hash is stored."""

    __tablename__ = "api_tokens"

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: Whose token.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    #: SHA-256 of the token.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: What the token is for (e.g. the LMS that uses it).
    label: Mapped[str] = mapped_column(String(80), default="")
    #: When it was issued.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Last request made with it.
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Set when revoked.
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class ScenarioVersion(db.Model):
    """One version of a scenario file; an edited file becomes a new version, old ones stay."""

    __tablename__ = "scenario_versions"
    __table_args__ = (
        UniqueConstraint("slug", "version"),
        UniqueConstraint("slug", "content_hash"),
    )

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The scenario's id (its file name without .yaml).
    slug: Mapped[str] = mapped_column(String(60), index=True)
    #: 1, 2, ... per slug, in the order the versions were synced.
    version: Mapped[int]
    #: The version number the author wrote in the file.
    declared_version: Mapped[int]
    #: SHA-256 of the validated content; the same content is never stored twice.
    content_hash: Mapped[str] = mapped_column(String(64))
    #: Title shown in the scenario list.
    title: Mapped[str] = mapped_column(String(300))
    #: en | id.
    language: Mapped[str] = mapped_column(String(8))
    #: Industry sector, e.g. telco, banking.
    sector: Mapped[str] = mapped_column(String(30))
    #: 1 (gentle) - 5 (hardest).
    difficulty: Mapped[int]
    #: scripted | model.
    mode: Mapped[str] = mapped_column(String(16))
    #: The service level the trainee should reach.
    target_level: Mapped[int]
    #: The file's text as synced; the attempt replays exactly this.
    source: Mapped[str] = mapped_column(Text)
    #: Only the active version of a slug is offered for new attempts.
    active: Mapped[bool] = mapped_column(default=True)
    #: When it was synced.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Attempt(db.Model):
    """One trainee playing one scenario version from the customer's first line to an outcome."""

    __tablename__ = "attempts"
    __table_args__ = (
        Index("ix_attempts_user_id_started_at", "user_id", "started_at"),
        Index("uq_attempts_user_id_idempotency_key", "user_id", "idempotency_key", unique=True),
    )

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The trainee.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    #: Exactly the version that was played.
    scenario_version_id: Mapped[int] = mapped_column(ForeignKey("scenario_versions.id"))
    #: active | awaiting_score (a reply is saved but not yet scored) | done.
    status: Mapped[str] = mapped_column(String(16), default="active")
    #: resolved | escalated | abandoned, once done.
    outcome: Mapped[str | None] = mapped_column(String(16))
    #: Service level 0-4 of the attempt, once done.
    service_level: Mapped[int | None]
    #: Simulated CSAT, NPS, CES, FCR, handle time... (trainer.core.metrics), once done.
    metrics: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: The scorer version that scored the replies during play.
    model_version: Mapped[str | None] = mapped_column(String(64))
    #: Random seed of the simulated customer (reproducible replays).
    seed: Mapped[int]
    #: The customer simulator's state between turns.
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: The customer's current mood 0-10.
    mood: Mapped[int]
    #: practice | certification (counts for HR) | playtest (a trainer testing; never counts).
    purpose: Mapped[str] = mapped_column(String(16), default="practice", server_default="practice")
    #: The client's Idempotency-Key when it started the attempt (a retry gets the same attempt).
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    #: The assignment this attempt was played for, if any.
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("assignments.id"))
    #: When the first customer line was shown.
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: When the attempt ended.
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the trainee's words in it were erased (on request, or past the retention period);
    #: its levels, flags and metrics stay.
    words_erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="attempts")
    scenario: Mapped[ScenarioVersion] = relationship()
    turns: Mapped[list[Turn]] = relationship(
        back_populates="attempt", order_by="Turn.position", cascade="all, delete-orphan"
    )


class Turn(db.Model):
    """One line of the conversation: the customer's, or the agent's reply."""

    __tablename__ = "turns"
    __table_args__ = (
        UniqueConstraint("attempt_id", "position"),
        Index(
            "uq_turns_attempt_id_idempotency_key",
            "attempt_id",
            "idempotency_key",
            unique=True,
        ),
    )

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The attempt it belongs to.
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"))
    #: 0, 1, 2 ... in conversation order.
    position: Mapped[int]
    #: For agent turns, 1, 2, ... (the n of /turns/<n>); null for customer lines.
    number: Mapped[int | None]
    #: customer | agent.
    speaker: Mapped[str] = mapped_column(String(16))
    #: What was said, exactly as submitted.
    text: Mapped[str] = mapped_column(Text)
    #: Customer lines: the customer's mood 0-10 when saying it.
    mood: Mapped[int | None]
    #: Agent turns: the client's Idempotency-Key (or the form's), unique per attempt.
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    #: Agent turns: pending | scored | failed (kept, scored later by `trainer rescore`).
    score_status: Mapped[str | None] = mapped_column(String(16))
    #: Why scoring failed, for the trainee and the operator.
    score_error: Mapped[str | None] = mapped_column(Text)
    #: Agent turns: the response first returned for this reply (replayed on a retry).
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: When the line was received or said.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    attempt: Mapped[Attempt] = relationship(back_populates="turns")
    scores: Mapped[list[TurnScore]] = relationship(
        back_populates="turn", order_by="TurnScore.id", cascade="all, delete-orphan"
    )

    reviews: Mapped[list[TurnReview]] = relationship(
        back_populates="turn", order_by="TurnReview.id", cascade="all, delete-orphan"
    )

    @property
    def score(self) -> TurnScore | None:
        """The score the attempt was played with (the first one)."""
        return self.scores[0] if self.scores else None

    @property
    def machine_score(self) -> TurnScore | None:
        """The newest machine score (after a re-score with a newer model, that one)."""
        return self.scores[-1] if self.scores else None

    @property
    def review(self) -> TurnReview | None:
        """The trainer's latest review; it overrides the machine where it sets a level."""
        return self.reviews[-1] if self.reviews else None


class TurnScore(db.Model):
    """One scoring of an agent turn by one model version; re-scoring adds rows, never replaces."""

    __tablename__ = "turn_scores"
    __table_args__ = (UniqueConstraint("turn_id", "model_version"),)

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The agent turn scored.
    turn_id: Mapped[int] = mapped_column(ForeignKey("turns.id"), index=True)
    #: The scorer's model version.
    model_version: Mapped[str] = mapped_column(String(64))
    #: The rubric version the model was trained on.
    rubric_version: Mapped[str] = mapped_column(String(64))
    #: Service level 0-4.
    service_level: Mapped[int]
    #: Anti-pattern flags raised.
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: The full scorer result (to_dict), for audit and the API.
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: When it was scored.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    turn: Mapped[Turn] = relationship(back_populates="scores")
    dimensions: Mapped[list[TurnDimensionScore]] = relationship(
        back_populates="score", cascade="all, delete-orphan"
    )


class TurnDimensionScore(db.Model):
    """One rubric dimension of one scoring, queryable for scorecards."""

    __tablename__ = "turn_dimension_scores"
    __table_args__ = (
        UniqueConstraint("score_id", "dimension"),
        Index(
            "ix_turn_dimension_scores_score_id_dimension_level", "score_id", "dimension", "level"
        ),
    )

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The scoring it belongs to.
    score_id: Mapped[int] = mapped_column(ForeignKey("turn_scores.id"))
    #: empathy | validation | solution.
    dimension: Mapped[str] = mapped_column(String(16))
    #: Calibrated probability that the dimension is present.
    probability: Mapped[float]
    #: Level 0-3.
    level: Mapped[int]
    #: The binary decision.
    present: Mapped[bool]
    #: Sentences that carry it.
    evidence: Mapped[list[str]] = mapped_column(JSON, default=list)

    score: Mapped[TurnScore] = relationship(back_populates="dimensions")


class AuditEvent(db.Model):
    """Who did what: logins, accounts, tokens, scenario syncs, re-scoring."""

    __tablename__ = "audit_events"

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: When.
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: Who (null: the system or an anonymous request).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: What, e.g. user.login, user.create, token.create, scenario.sync.
    action: Mapped[str] = mapped_column(String(40))
    #: What it was done to, e.g. "user:3".
    subject: Mapped[str] = mapped_column(String(80), default="")
    #: Details (never a password or a token).
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: The client's address, when from a request.
    ip: Mapped[str | None] = mapped_column(String(45))

    actor: Mapped[User | None] = relationship()


class TurnReview(db.Model):
    """A trainer's levels for an agent turn; the latest one is effective where it sets a level."""

    __tablename__ = "turn_reviews"

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The agent turn reviewed.
    turn_id: Mapped[int] = mapped_column(ForeignKey("turns.id"), index=True)
    #: The trainer who reviewed it.
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: Empathy level 0-3 the trainer set (null: the machine's stands).
    empathy: Mapped[int | None]
    #: Validation level 0-3 the trainer set (null: the machine's stands).
    validation: Mapped[int | None]
    #: Solution level 0-3 the trainer set (null: the machine's stands).
    solution: Mapped[int | None]
    #: Service level 0-4 the trainer set (null: the machine's stands).
    service_level: Mapped[int | None]
    #: Why (required; shown to the trainee and kept for calibration).
    reason: Mapped[str] = mapped_column(Text)
    #: The dispute this review settled, if it came from one.
    dispute_id: Mapped[int | None] = mapped_column(ForeignKey("disputes.id"))
    #: When.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    turn: Mapped[Turn] = relationship(back_populates="reviews")
    reviewer: Mapped[User] = relationship()

    def level(self, name: str) -> int | None:
        return getattr(self, name)


class Dispute(db.Model):
    """A trainee's objection to a turn's score, settled by a trainer."""

    __tablename__ = "disputes"

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The disputed agent turn.
    turn_id: Mapped[int] = mapped_column(ForeignKey("turns.id"), index=True)
    #: The trainee who disputes it.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: What the trainee says is wrong.
    comment: Mapped[str] = mapped_column(Text)
    #: open | accepted | rejected.
    status: Mapped[str] = mapped_column(String(16), default="open")
    #: When it was raised.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The trainer who settled it.
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: When it was settled.
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The trainer's reason (required when rejecting).
    resolution: Mapped[str | None] = mapped_column(Text)

    turn: Mapped[Turn] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class Assignment(db.Model):
    """A scenario a trainer assigns to an agent or a team, by a due date, in a mode."""

    __tablename__ = "assignments"

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The scenario (its active version is played).
    scenario_slug: Mapped[str] = mapped_column(String(60))
    #: The agent it is assigned to (or null with a team).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    #: The team it is assigned to (or null with an agent).
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    #: The trainer who assigned it.
    trainer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: practice (feedback after every reply) | certification (feedback at the end, counts for HR).
    mode: Mapped[str] = mapped_column(String(16))
    #: When it is due.
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Attempts allowed (certification); null means unlimited.
    max_attempts: Mapped[int | None]
    #: When it was made.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    team: Mapped[Team | None] = relationship()
