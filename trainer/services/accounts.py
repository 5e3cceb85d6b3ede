"""Accounts: users, Argon2id passwords, login sessions revocable on the server, API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import selectinload

from trainer.extensions import db
from trainer.models import ROLES, ApiToken, Assignment, LoginSession, Team, User, utcnow
from trainer.services import audit

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 10
#: Prefix that makes a leaked token easy to recognise (and to scan for).
TOKEN_PREFIX = "trn_"
TOKEN_TOUCH_INTERVAL = timedelta(minutes=5)
#: How often a login session's last request is written (so a page view is rarely a write).
SESSION_TOUCH_INTERVAL = timedelta(minutes=1)
#: How long a link to choose a password works, by why it was sent.
PASSWORD_LINK_LIFETIME = {"reset": timedelta(hours=1), "invitation": timedelta(days=7)}
PASSWORD_LINK_SALT = "trainer.password-link"
#: The window in which the forgotten-password form sends an account at most
#: ``PASSWORD_RESET_LETTERS`` letters with a password link (counting those sent otherwise too).
RESET_LETTER_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class SessionPolicy:
    """How long a login lasts: at most ``max_age`` after logging in, ``idle`` after the last
    request (OWASP ASVS 3.3: a browser left open on a shared training PC logs itself out)."""

    max_age: timedelta = timedelta(hours=12)
    idle: timedelta = timedelta(hours=2)


@dataclass(frozen=True)
class SessionCheck:
    """The user of a valid session; ``touched`` when its last request should be written."""

    user: User | None
    expired: bool = False
    touched: LoginSession | None = None


class AccountError(ValueError):
    """A request about accounts that cannot be carried out (the message says why).

    ``code`` and ``params`` let a page say it in the reader's language.
    """

    def __init__(self, message: str, code: str = "invalid", **params: object) -> None:
        super().__init__(message)
        self.code, self.params = code, params


@cache
def _hasher(memory_kib: int, time_cost: int) -> PasswordHasher:
    return PasswordHasher(memory_cost=memory_kib, time_cost=time_cost, parallelism=1)


@dataclass(frozen=True)
class PasswordPolicy:
    memory_kib: int = 19 * 1024
    time_cost: int = 2

    @property
    def hasher(self) -> PasswordHasher:
        return _hasher(self.memory_kib, self.time_cost)


def hash_password(password: str, policy: PasswordPolicy) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            f"a password needs at least {MIN_PASSWORD_LENGTH} characters",
            "password_short",
            n=MIN_PASSWORD_LENGTH,
        )
    return policy.hasher.hash(password)


def check_password(user: User, password: str, policy: PasswordPolicy) -> bool:
    try:
        ok = policy.hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if ok and policy.hasher.check_needs_rehash(user.password_hash):
        user.password_hash = policy.hasher.hash(password)
    return ok


def authenticate(email: str, password: str, policy: PasswordPolicy) -> User | None:
    """The active user with this e-mail and password, else None (same work either way)."""
    user = find_user(email)
    if user is None:
        # Hash anyway, so response time does not tell which e-mail addresses exist.
        policy.hasher.hash(password)
        return None
    if not check_password(user, password, policy) or not user.active:
        return None
    return user


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if not EMAIL.match(email) or len(email) > 254:
        raise AccountError(f"{email!r} is not an e-mail address", "not_an_email", email=email)
    return email


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def team_named(name: str) -> Team:
    team = db.session.scalar(select(Team).where(Team.name == name))
    if team is None:
        team = Team(name=name)
        db.session.add(team)
    return team


def check_new_account(email: str, role: str) -> str:
    """The normalised address of an account that can be made; AccountError if it cannot."""
    email = normalise_email(email)
    if role not in ROLES:
        raise AccountError(
            f"role must be one of {', '.join(ROLES)}, not {role!r}",
            "bad_role",
            role=role,
            roles=", ".join(ROLES),
        )
    if find_user(email) is not None:
        raise AccountError(f"a user {email} already exists", "user_exists", email=email)
    return email


def create_user(
    email: str,
    role: str,
    policy: PasswordPolicy,
    *,
    name: str | None = None,
    team: str | None = None,
    password: str | None = None,
    actor: User | None = None,
    temporary: bool = True,
) -> tuple[User, str]:
    """A new user and their password (generated when not given; shown once, stored hashed). A
    generated password is ``temporary``: the user must choose their own at the first login."""
    email = check_new_account(email, role)
    generated = password is None
    password = password or secrets.token_urlsafe(12)
    user = User(
        email=email,
        name=name or email.split("@")[0],
        role=role,
        team=team_named(team) if team else None,
        password_hash=hash_password(password, policy),
        password_must_change=generated and temporary,
    )
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", actor=actor, subject=f"user:{user.id}", role=role)
    return user, password


def change_password(user: User, new_password: str, policy: PasswordPolicy) -> None:
    """Set the password and end every session and nothing else: API tokens are separate."""
    _set_password(user, new_password, policy)
    audit.record("user.password", actor=user, subject=f"user:{user.id}")


def reset_password(user: User, policy: PasswordPolicy, actor: User) -> str:
    """A new generated password for someone who lost theirs (shown once); their sessions end."""
    _refuse_erased(user)
    password = secrets.token_urlsafe(12)
    _set_password(user, password, policy, temporary=True)
    audit.record("user.password_reset", actor=actor, subject=f"user:{user.id}")
    return password


def password_link_token(user: User, kind: str, secret_key: str) -> str:
    """The signed token of a link that lets the user choose a password. It names the password
    they have now, so it works once (any new password voids it), and for
    ``PASSWORD_LINK_LIFETIME[kind]``; nothing about it is stored."""
    if kind not in PASSWORD_LINK_LIFETIME:
        raise ValueError(f"kind must be one of {', '.join(PASSWORD_LINK_LIFETIME)}")
    _refuse_erased(user)
    serializer = URLSafeTimedSerializer(secret_key, salt=PASSWORD_LINK_SALT)
    return serializer.dumps([user.id, kind, _password_mark(user)])


def reset_letter_allowed(user: User, limit: int) -> bool:
    """Whether another reset letter may go to ``user``: not when ``limit`` letters with a password
    link (of any kind) went in the last RESET_LETTER_WINDOW, so that the forgotten-password form,
    asked from however many addresses, cannot flood a mailbox."""
    since = utcnow() - RESET_LETTER_WINDOW
    return audit.count_since("user.password_link", f"user:{user.id}", since) < limit


def password_link_user(token: str, secret_key: str) -> User | None:
    """The active user a password link is for, unless it is forged, expired or used."""
    serializer = URLSafeTimedSerializer(secret_key, salt=PASSWORD_LINK_SALT)
    try:
        (user_id, kind, mark), signed_at = serializer.loads(token, return_timestamp=True)
    except (BadData, ValueError, TypeError):
        return None
    if not isinstance(user_id, int) or not isinstance(mark, str):
        return None
    lifetime = PASSWORD_LINK_LIFETIME.get(kind)
    if lifetime is None or utcnow() - signed_at > lifetime:
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active or user.erased_at is not None:
        return None
    return user if secrets.compare_digest(mark, _password_mark(user)) else None


def _password_mark(user: User) -> str:
    # The hash's salt is new with every password, so the mark changes even for the same one.
    return digest(user.password_hash)[:20]


def _set_password(
    user: User, password: str, policy: PasswordPolicy, *, temporary: bool = False
) -> None:
    user.password_hash = hash_password(password, policy)
    user.password_changed_at = utcnow()
    user.password_must_change = temporary
    revoke_sessions(user)


def update_user(
    user: User,
    *,
    name: str,
    role: str,
    team: str | None,
    active: bool,
    actor: User,
) -> dict[str, list]:
    """Change a user's name, role, team and whether they may log in; returns what changed.

    The last active admin cannot stop being one, or nobody could manage accounts any more.
    Deactivating ends the user's sessions; their API tokens stop working while inactive.
    """
    _refuse_erased(user)
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    name = name.strip()
    if not name:
        raise AccountError("a user needs a name", "name_required")
    if _is_active_admin(user) and (role != "admin" or not active) and _active_admins() == 1:
        raise AccountError(
            "this is the last active admin: make someone else admin first", "last_admin"
        )
    team_row = team_named(team) if team else None
    before = {"name": user.name, "role": user.role, "team": _team_name(user), "active": user.active}
    user.name, user.role, user.team, user.active = name, role, team_row, active
    after = {"name": name, "role": role, "team": team or None, "active": active}
    changes = {key: [before[key], after[key]] for key in before if before[key] != after[key]}
    if changes:
        if not active:
            revoke_sessions(user)
        audit.record("user.update", actor=actor, subject=f"user:{user.id}", **changes)
    return changes


def _refuse_erased(user: User) -> None:
    if user.erased_at is not None:
        raise AccountError("this account was erased: it cannot be changed or used again", "erased")


def _is_active_admin(user: User) -> bool:
    return user.role == "admin" and user.active


def _active_admins() -> int:
    # FOR UPDATE (PostgreSQL): two admins stepping down at once queue here, and the second then
    # counts without the first, so both cannot pass. SQLite's BEGIN IMMEDIATE already serialises.
    query = select(User.id).where(User.role == "admin", User.active).with_for_update()
    return len(db.session.scalars(query).all())


def _team_name(user: User) -> str | None:
    return user.team.name if user.team is not None else None


def users(
    *, role: str | None = None, team_id: int | None = None, search: str | None = None
) -> list[User]:
    """Users by e-mail, filtered by role, team and a piece of their name or e-mail."""
    query = select(User).options(selectinload(User.team)).order_by(User.email)
    if role:
        query = query.where(User.role == role)
    if team_id:
        query = query.where(User.team_id == team_id)
    if search:
        pattern = f"%{search.strip().lower()}%"
        query = query.where(or_(User.email.like(pattern), func.lower(User.name).like(pattern)))
    return list(db.session.scalars(query))


def teams() -> list[tuple[Team, int]]:
    """Every team by name, with how many users it has."""
    query = (
        select(Team, func.count(User.id))
        .outerjoin(User, User.team_id == Team.id)
        .group_by(Team.id)
        .order_by(Team.name)
    )
    return [(team, members) for team, members in db.session.execute(query)]


def _valid_team_name(name: str, team: Team | None = None) -> str:
    """``name`` stripped, if it is a valid name no other team has."""
    name = name.strip()
    if not name or len(name) > 80:
        raise AccountError("a team needs a name of 1 to 80 characters", "team_name")
    holder = db.session.scalar(select(Team).where(Team.name == name))
    if holder is not None and holder is not team:
        raise AccountError(f"a team {name} already exists", "team_exists", name=name)
    return name


def create_team(name: str, actor: User) -> Team:
    team = Team(name=_valid_team_name(name))
    db.session.add(team)
    db.session.flush()
    audit.record("team.create", actor=actor, subject=f"team:{team.id}", name=team.name)
    return team


def rename_team(team: Team, name: str, actor: User) -> bool:
    """Rename ``team``; False when the name is unchanged (nothing is recorded then)."""
    name = _valid_team_name(name, team)
    if name == team.name:
        return False
    audit.record(
        "team.rename", actor=actor, subject=f"team:{team.id}", before=team.name, after=name
    )
    team.name = name
    db.session.flush()
    return True


def team_assignments(team: Team) -> int:
    """How many assignments were given to ``team`` (they keep it, so it cannot be deleted)."""
    return db.session.scalar(select(func.count(Assignment.id)).where(Assignment.team_id == team.id))


def delete_team(team: Team, actor: User) -> None:
    """Delete a team nobody is in and nothing was assigned to; others would lose their history."""
    assignments = team_assignments(team)
    if assignments:
        raise AccountError(
            f"team {team.name} was given {_count(assignments, 'assignment')} "
            "and is kept for their history",
            "team_has_assignments",
            name=team.name,
            n=assignments,
        )
    if team.members:
        raise AccountError(
            f"team {team.name} still has {_count(len(team.members), 'user')}: "
            "move them to another team first",
            "team_has_members",
            name=team.name,
            n=len(team.members),
        )
    audit.record("team.delete", actor=actor, subject=f"team:{team.id}", name=team.name)
    db.session.delete(team)
    db.session.flush()


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def open_session(user: User) -> str:
    """A new login session; the returned secret goes in the session cookie."""
    secret = secrets.token_urlsafe(32)
    db.session.add(LoginSession(user_id=user.id, secret_hash=digest(secret)))
    return secret


def session_user(secret: str, policy: SessionPolicy | None = None) -> SessionCheck:
    """The session's user, unless it is revoked, expired (then revoked now) or the user inactive."""
    policy = policy or SessionPolicy()
    row = db.session.scalar(
        select(LoginSession).where(
            LoginSession.secret_hash == digest(secret), LoginSession.revoked_at.is_(None)
        )
    )
    if row is None or not row.user.active:
        return SessionCheck(None)
    now = utcnow()
    last_seen = row.last_seen_at or row.created_at
    if now - row.created_at > policy.max_age or now - last_seen > policy.idle:
        row.revoked_at = now
        return SessionCheck(None, expired=True, touched=row)
    touched = row if now - last_seen > SESSION_TOUCH_INTERVAL else None
    if touched is not None:
        row.last_seen_at = now
    return SessionCheck(row.user, touched=touched)


def record_session_use(session_id: int, at: datetime, expired: bool) -> None:
    """Write what session_user found, its last request or its expiry; flushes.

    A session revoked meanwhile (a logout in this very request) stays revoked.
    """
    values = {"revoked_at": at} if expired else {"last_seen_at": at}
    db.session.execute(
        update(LoginSession)
        .where(LoginSession.id == session_id, LoginSession.revoked_at.is_(None))
        .values(**values)
    )


def revoke_session(secret: str) -> None:
    db.session.execute(
        update(LoginSession)
        .where(LoginSession.secret_hash == digest(secret), LoginSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def revoke_sessions(user: User) -> None:
    db.session.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def issue_token(user: User, label: str = "", actor: User | None = None) -> str:
    """A new API token for the user; only its hash is stored, so it is shown once."""
    _refuse_erased(user)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, token_hash=digest(token), label=label)
    db.session.add(row)
    db.session.flush()
    audit.record("token.create", actor=actor or user, subject=f"user:{user.id}", token=row.id)
    return token


def tokens_of(user: User) -> list[ApiToken]:
    """The user's API tokens, newest first, revoked ones included (for the record)."""
    query = select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
    return list(db.session.scalars(query))


def revoke_token(row: ApiToken, actor: User) -> bool:
    """Stop the token working; False when it already did not."""
    if row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    audit.record("token.revoke", actor=actor, subject=f"user:{row.user_id}", token=row.id)
    return True


def token_user(token: str) -> User | None:
    row = db.session.scalar(
        select(ApiToken).where(ApiToken.token_hash == digest(token), ApiToken.revoked_at.is_(None))
    )
    if row is None or not row.user.active:
        return None
    now = utcnow()
    # Coarse, so that a read through the API is not a write on every request.
    if row.last_used_at is None or now - row.last_used_at > TOKEN_TOUCH_INTERVAL:
        row.last_used_at = now
    return row.user


def user_count() -> int:
    return db.session.scalar(select(func.count()).select_from(User)) or 0


def create_demo_accounts(policy: PasswordPolicy) -> list[tuple[User, str]]:
    """One account per role on an empty database, with generated passwords (shown once)."""
    if user_count():
        return []
    # The demo agent has a team; the demo trainer trains no team in particular, so it sees all.
    return [
        create_user(
            f"{role}@demo.local",
            role,
            policy,
            name=f"Demo {role}",
            team="Demo team" if role == "agent" else None,
            # Demo accounts on a laptop are for trying the app, not for keeping a secret.
            temporary=False,
        )
        for role in ROLES
    ]
