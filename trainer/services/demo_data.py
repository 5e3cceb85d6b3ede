"""A realistic demo data set for the reports, inserted in bulk, and the reports benchmark on it.

``seed_demo_data`` makes teams with a trainer each, agents with a skill profile (some improve
over the weeks), and per agent attempts spread over the last weeks across the synced scenarios:
agent turns with a machine score and its dimension rows, a few re-scores (the newest counts), a
few trainer reviews, finished attempts with metrics from ``trainer.core.metrics``, certification
attempts and some trainer play-tests (which never count). No scorer runs: levels are drawn from
the profiles. Rows go in with executemany inserts, a few statements per table.

``bench_reports`` times the agent scorecard and the team view through the Flask test client,
logged in as an HR user, and counts the SQL statements each page sends.
"""

from __future__ import annotations

import math
import random
import re
import secrets
import statistics
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event, func, insert, select, text

from trainer.core.metrics import attempt_metrics
from trainer.extensions import db
from trainer.models import (
    Attempt,
    ScenarioVersion,
    Team,
    Turn,
    TurnDimensionScore,
    TurnReview,
    TurnScore,
    User,
    utcnow,
)
from trainer.services import accounts
from trainer.vocabulary import DIMENSIONS

DEMO_DOMAIN = "demo.example.org"
TEAM_NAMES = (
    "Jakarta Care",
    "Surabaya Care",
    "Bandung Digital",
    "Medan Contact",
    "Makassar Night Shift",
    "Denpasar Premium",
    "Yogyakarta Retail",
    "Semarang Billing",
)
FIRST = (
    "Ayu", "Budi", "Citra", "Dewi", "Eko", "Fajar", "Gita", "Hadi", "Indah", "Joko", "Kartika",
    "Lina", "Maya", "Nanda", "Oki", "Putri", "Rizki", "Sari", "Tono", "Umi", "Wahyu", "Yusuf",
    "Alex", "Grace", "Daniel", "Priya", "Sam", "Maria",
)  # fmt: skip
LAST = (
    "Santoso", "Wijaya", "Pratama", "Lestari", "Hidayat", "Kusuma", "Saputra", "Nugroho",
    "Rahman", "Siregar", "Halim", "Tan", "Lim", "Gunawan",
)  # fmt: skip
CUSTOMER_LINES = {
    "en": (
        "This is the third time I am calling about this. Nobody has fixed anything!",
        "I am really upset. I was promised this would be sorted yesterday.",
        "So what exactly are you going to do about it?",
        "Fine. And when will that actually happen?",
        "Okay, that helps a bit. Thank you.",
    ),
    "id": (
        "Ini sudah ketiga kalinya saya menghubungi. Belum ada yang beres!",
        "Saya kecewa sekali. Katanya kemarin sudah selesai.",
        "Jadi Bapak/Ibu mau berbuat apa sekarang?",
        "Baik. Lalu kapan itu benar-benar dikerjakan?",
        "Oke, itu cukup membantu. Terima kasih.",
    ),
}
AGENT_REPLIES = {
    "en": {
        0: (
            "You should have read the terms. That is not our department.",
            "Please call the other number, I cannot help with that.",
        ),
        1: ("Your ticket is logged.", "We will look into it."),
        2: (
            "Thank you for contacting us. I am sorry for the inconvenience; I will check it.",
            "Good morning, thanks for your patience. Let me look at your account.",
        ),
        3: (
            "I can hear how frustrating it is to call three times. I am taking this on myself: "
            "a technician today between 2 and 4, or a credit now and a call back at 5.",
            "That sounds exhausting after yesterday's promise. Here is what I will do: escalate "
            "the repair now and text you the technician's time within the hour.",
        ),
    },
    "id": {
        0: (
            "Seharusnya Bapak membaca syarat dan ketentuan. Itu bukan bagian kami.",
            "Silakan hubungi nomor lain, saya tidak bisa bantu.",
        ),
        1: ("Tiket Anda sudah tercatat.", "Akan kami cek."),
        2: (
            "Terima kasih sudah menghubungi kami, Kak. Mohon maaf atas ketidaknyamanannya.",
            "Selamat pagi, Bu. Terima kasih atas kesabarannya, saya cek dulu.",
        ),
        3: (
            "Saya paham betapa kesalnya harus menelepon tiga kali, Pak. Saya tangani sendiri: "
            "teknisi datang hari ini jam 2-4, atau kompensasi sekarang dan saya telepon jam 5.",
            "Pasti melelahkan setelah janji kemarin, Bu. Saya eskalasi perbaikannya sekarang dan "
            "kirim jadwal teknisi lewat SMS dalam satu jam.",
        ),
    },
}
REVIEW_AGREES = "Calibration: the machine's levels stand."
REVIEW_REASONS = (
    "Calibration: the reply names the customer's situation, more than the model saw.",
    "Calibration: the apology is generic; no concrete next step.",
    "Dispute accepted: the timeline was concrete.",
)


def _near(level: int, top: int, rng: random.Random) -> int:
    """A trainer's level beside the machine's: the same three times in four, else one apart."""
    if rng.random() < 0.75:
        return level
    return max(0, min(top, level + rng.choice((-1, 1))))


class DemoDataError(RuntimeError):
    """The database is not ready for demo data (no scenarios synced, ...)."""


@dataclass(frozen=True)
class DemoReport:
    teams: int
    trainers: int
    agents: int
    attempts: int
    turns: int
    scores: int
    reviews: int
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Profile:
    """An agent's skill per dimension at the start and its change over the whole period."""

    base: dict[str, float]
    slope: float
    language: str


def _service_level(levels: Sequence[int], rng: random.Random) -> tuple[int, list[str]]:
    mean = sum(levels) / len(levels)
    if mean < 0.6:
        return 0, [rng.choice(("blame", "ping_pong", "dismissive"))]
    if mean < 1.3:
        return 1, []
    if mean < 2.0:
        return 2, []
    return (4, []) if mean >= 2.5 and rng.random() < 0.4 else (3, [])


def _insert_returning(model: type, rows: list[dict[str, Any]]) -> list[int]:
    if not rows:
        return []
    # Core insert on the table: the ORM bulk path splits RETURNING batches and splices their
    # rows back one by one, which made 5,000 attempts take a minute instead of a second.
    result = db.session.execute(
        insert(model.__table__).returning(model.__table__.c.id, sort_by_parameter_order=True), rows
    )
    return list(result.scalars())


def _next_number(prefix: str) -> int:
    """The next free n of demo e-mails ``prefix-n@DEMO_DOMAIN`` (a second run adds to the first)."""
    emails = db.session.scalars(
        select(User.email).where(User.email.like(f"{prefix}-%@{DEMO_DOMAIN}"))
    )
    numbers = [int(m.group(1)) for e in emails if (m := re.match(rf"{prefix}-(\d+)@", e))]
    return max(numbers, default=0) + 1


#: The latest an attempt starts before now, so that its turns, re-scores and reviews are past.
AFTERMATH = timedelta(days=3)


def seed_demo_data(
    *,
    agents: int = 50,
    attempts: int = 100,
    seed: int = 1,
    weeks: int = 12,
    password_hash: str,
    now: datetime | None = None,
) -> DemoReport:
    """Insert the data set (flushes; the caller commits). ``attempts`` is per agent."""
    started = time.perf_counter()
    rng = random.Random(seed)
    now = now or utcnow()
    versions = db.session.execute(
        select(
            ScenarioVersion.id,
            ScenarioVersion.slug,
            ScenarioVersion.language,
            ScenarioVersion.target_level,
        ).where(ScenarioVersion.active.is_(True))
    ).all()
    if not versions:
        raise DemoDataError("no scenarios in the database: run `trainer setup` first")
    by_language = {lang: [v for v in versions if v.language == lang] for lang in ("en", "id")}

    # Teams (reused by name) and one trainer per team.
    team_count = max(1, min(len(TEAM_NAMES), math.ceil(agents / 10)))
    names = TEAM_NAMES[:team_count]
    existing = dict(
        db.session.execute(select(Team.name, Team.id).where(Team.name.in_(names))).all()
    )
    new_ids = _insert_returning(
        Team, [{"name": n, "created_at": now} for n in names if n not in existing]
    )
    existing.update(zip([n for n in names if n not in existing], new_ids, strict=True))
    team_ids = [existing[n] for n in names]

    def person(n: int) -> str:
        return f"{FIRST[n % len(FIRST)]} {LAST[(n * 7 + n // len(FIRST)) % len(LAST)]}"

    first_trainer = _next_number("trainer")
    trainer_rows = [
        {
            "email": f"trainer-{first_trainer + i}@{DEMO_DOMAIN}",
            "name": f"{person(1000 + i)} (trainer)",
            "role": "trainer",
            "team_id": team_id,
            "password_hash": password_hash,
            "active": True,
            "created_at": now,
            "password_changed_at": now,
        }
        for i, team_id in enumerate(team_ids)
    ]
    trainer_ids = _insert_returning(User, trainer_rows)
    trainer_of = dict(zip(team_ids, trainer_ids, strict=True))

    first_agent = _next_number("agent")
    agent_rows = [
        {
            "email": f"agent-{first_agent + i}@{DEMO_DOMAIN}",
            "name": person(first_agent + i),
            "role": "agent",
            "team_id": team_ids[i % len(team_ids)],
            "password_hash": password_hash,
            "active": True,
            "created_at": now - timedelta(weeks=weeks + 1),
            "password_changed_at": now,
        }
        for i in range(agents)
    ]
    agent_ids = _insert_returning(User, agent_rows)

    # Attempts start at least AFTERMATH before now: a re-score comes a day after the reply and a
    # review two days after, and none of them may lie in the future.
    period = (timedelta(weeks=weeks) - AFTERMATH).total_seconds()
    start = now - timedelta(weeks=weeks)
    attempt_rows: list[dict[str, Any]] = []
    # Per attempt, what its turns will be: (language, [(agent dimension levels, service, flags)]).
    plans: list[tuple[str, list[tuple[dict[str, int], int, list[str]]], datetime]] = []
    players = [
        (agent_id, row["team_id"], False)
        for agent_id, row in zip(agent_ids, agent_rows, strict=True)
    ]
    players += [(trainer_id, team_id, True) for team_id, trainer_id in trainer_of.items()]
    for player_id, _team_id, is_trainer in players:
        profile = _Profile(
            base={d: rng.uniform(0.5, 2.3) for d in DIMENSIONS},
            slope=rng.uniform(0.6, 1.5) if rng.random() < 0.4 else rng.uniform(-0.3, 0.3),
            language="id" if rng.random() < 0.3 and by_language["id"] else "en",
        )
        count = 2 if is_trainer else attempts
        offsets = sorted(rng.uniform(0, period) for _ in range(count))
        unfinished = not is_trainer and rng.random() < 0.15
        for index, offset in enumerate(offsets):
            progress = offset / period
            pool = by_language[profile.language] if rng.random() < 0.8 else versions
            version = rng.choice(pool or versions)
            purpose = (
                "playtest"
                if is_trainer
                else "certification"
                if rng.random() < 0.05 + 0.15 * progress
                else "practice"
            )
            turns = []
            for _ in range(rng.randint(2, 6)):
                levels = {
                    d: max(
                        0,
                        min(
                            3, round(profile.base[d] + profile.slope * progress + rng.gauss(0, 0.6))
                        ),
                    )
                    for d in DIMENSIONS
                }
                service, flags = _service_level(list(levels.values()), rng)
                turns.append((levels, service, flags))
            began = start + timedelta(seconds=offset)
            mean = sum(t[1] for t in turns) / len(turns)
            finished = not (unfinished and index == count - 1)
            if not finished:
                outcome = None
            elif rng.random() < 0.04:
                outcome = "abandoned"
            elif mean < 1.2 + rng.gauss(0, 0.4):
                outcome = "escalated"
            else:
                outcome = "resolved"
            mood = max(0, min(10, round(9.5 - 2.6 * mean + rng.gauss(0, 1.0))))
            handle = sum(rng.randint(25, 140) for _ in turns)
            ended = began + timedelta(seconds=handle) if finished else None
            row: dict[str, Any] = {
                "user_id": player_id,
                "scenario_version_id": version.id,
                "status": "done" if finished else "active",
                "outcome": outcome,
                "service_level": None,
                "metrics": None,
                "model_version": "demo-1",
                "seed": rng.randrange(2**31),
                "state": {"demo": True},
                "mood": mood,
                "purpose": purpose,
                "assignment_id": None,
                "started_at": began,
                "ended_at": ended,
            }
            if finished:
                metrics = attempt_metrics(
                    final_mood=mood,
                    outcome=outcome,
                    repeats=sum(1 for t in turns if t[1] <= 1),
                    turn_levels=[t[1] for t in turns],
                    started_at=began,
                    ended_at=ended,
                )
                row["metrics"] = metrics.to_dict()
                row["service_level"] = metrics.service_level
            attempt_rows.append(row)
            plans.append((version.language, turns, began))
    attempt_ids = _insert_returning(Attempt, attempt_rows)

    turn_rows: list[dict[str, Any]] = []
    scored: list[tuple[int, dict[str, int], int, list[str], datetime, int]] = []
    for attempt_id, (language, turns, began) in zip(attempt_ids, plans, strict=True):
        at = began
        position = 0
        customer = CUSTOMER_LINES[language]
        for number, (levels, service, flags) in enumerate(turns, start=1):
            turn_rows.append(
                _turn(attempt_id, position, None, "customer", customer[min(number - 1, 4)], at)
            )
            at += timedelta(seconds=rng.randint(25, 140))
            position += 1
            text = rng.choice(AGENT_REPLIES[language][min(service, 3)])
            turn_rows.append(_turn(attempt_id, position, number, "agent", text, at))
            scored.append((len(turn_rows) - 1, levels, service, flags, at, attempt_id))
            position += 1
        turn_rows.append(_turn(attempt_id, position, None, "customer", customer[-1], at))
    turn_ids = _insert_returning(Turn, turn_rows)

    score_rows: list[dict[str, Any]] = []
    score_levels: list[dict[str, int]] = []
    review_rows: list[dict[str, Any]] = []
    player_of_attempt = {
        attempt_id: row["user_id"]
        for attempt_id, row in zip(attempt_ids, attempt_rows, strict=True)
    }
    team_of_user = {uid: row["team_id"] for uid, row in zip(agent_ids, agent_rows, strict=True)}
    for index, levels, service, flags, at, attempt_id in scored:
        turn_id = turn_ids[index]
        versions_of_turn = [("demo-1", levels, service, flags, at)]
        if rng.random() < 0.05:  # re-scored by a newer model: that score counts
            moved = {d: max(0, min(3, v + rng.choice((-1, 0, 1)))) for d, v in levels.items()}
            level, new_flags = _service_level(list(moved.values()), rng)
            versions_of_turn.append(("demo-2", moved, level, new_flags, at + timedelta(days=1)))
        for model_version, dims, level, turn_flags, when in versions_of_turn:
            score_rows.append(
                {
                    "turn_id": turn_id,
                    "model_version": model_version,
                    "rubric_version": "demo",
                    "service_level": level,
                    "flags": turn_flags,
                    "result": {"service_level": level, "levels": dims, "flags": turn_flags},
                    "created_at": when,
                }
            )
            score_levels.append(dims)
        user_id = player_of_attempt[attempt_id]
        if user_id in team_of_user and rng.random() < 0.04:
            # A calibration review of the newest score: every level set, most of them the same.
            given = {d: _near(dims[d], 3, rng) for d in DIMENSIONS}
            given_service = _near(level, 4, rng)
            agrees = given == dims and given_service == level
            review_rows.append(
                {
                    "turn_id": turn_id,
                    "reviewer_id": trainer_of[team_of_user[user_id]],
                    **given,
                    "service_level": given_service,
                    "reason": REVIEW_AGREES if agrees else rng.choice(REVIEW_REASONS),
                    "dispute_id": None,
                    "created_at": at + timedelta(days=2),
                }
            )
    score_ids = _insert_returning(TurnScore, score_rows)
    dimension_rows = [
        {
            "score_id": score_id,
            "dimension": d,
            "probability": round(min(0.99, (level + 0.5) / 3.5), 3),
            "level": level,
            "present": level >= 2,
            "evidence": [],
        }
        for score_id, dims in zip(score_ids, score_levels, strict=True)
        for d, level in dims.items()
    ]
    db.session.execute(insert(TurnDimensionScore), dimension_rows)
    if review_rows:
        db.session.execute(insert(TurnReview), review_rows)
    db.session.flush()
    return DemoReport(
        teams=len(team_ids),
        trainers=len(trainer_ids),
        agents=len(agent_ids),
        attempts=len(attempt_ids),
        turns=len(turn_ids),
        scores=len(score_ids),
        reviews=len(review_rows),
        seconds=round(time.perf_counter() - started, 2),
    )


def refresh_statistics() -> None:
    """ANALYZE the loaded tables on PostgreSQL (in the caller's transaction).

    Right after a bulk load its planner still believes the tables are nearly empty (autovacuum
    analyzes them later) and picks nested loops that made the team view take two seconds.
    """
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for model in (Team, User, Attempt, Turn, TurnScore, TurnDimensionScore, TurnReview):
        db.session.execute(text(f"ANALYZE {model.__tablename__}"))


def _turn(
    attempt_id: int, position: int, number: int | None, speaker: str, text: str, at: datetime
) -> dict[str, Any]:
    agent = speaker == "agent"
    return {
        "attempt_id": attempt_id,
        "position": position,
        "number": number,
        "speaker": speaker,
        "text": text,
        "mood": None if agent else 5,
        "idempotency_key": f"demo-{position}" if agent else None,
        "score_status": "scored" if agent else None,
        "score_error": None,
        "response": None,
        "created_at": at,
    }


# --- the reports benchmark -------------------------------------------------------------------

BENCH_EMAIL = "reports-bench@example.org"
#: Median goals per page (ms).
GOALS = {"agent_scorecard": 150.0, "team_view": 300.0}
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def bench_reports(app: Any, policy: accounts.PasswordPolicy, repeat: int = 20) -> dict[str, Any]:
    """Median time and SQL statements of the agent scorecard and the team view (HR login)."""
    with app.app_context():
        busiest = db.session.execute(
            select(Attempt.user_id, func.count())
            .join(User, User.id == Attempt.user_id)
            .where(User.role == "agent", Attempt.purpose != "playtest")
            .group_by(Attempt.user_id)
            .order_by(func.count().desc(), Attempt.user_id)
            .limit(1)
        ).first()
        if busiest is None:
            raise DemoDataError("no agent has attempts: run `trainer demo-data` first")
        password = secrets.token_urlsafe(16)
        user = accounts.find_user(BENCH_EMAIL)
        if user is None:
            accounts.create_user(
                BENCH_EMAIL, "hr", policy, name="Reports benchmark", password=password
            )
        else:
            user.role, user.active = "hr", True
            user.password_hash = accounts.hash_password(password, policy)
        agent_id, agent_attempts = busiest
        totals = {
            "agents": db.session.scalar(select(func.count()).where(User.role == "agent")),
            "attempts": db.session.scalar(select(func.count()).select_from(Attempt)),
            "turns": db.session.scalar(select(func.count()).select_from(Turn)),
        }
        db.session.commit()
        engine = db.engine

    client = app.test_client()
    token = CSRF.search(client.get("/auth/login").get_data(as_text=True))
    response = client.post(
        "/auth/login",
        data={
            "email": BENCH_EMAIL,
            "password": password,
            "csrf_token": token.group(1) if token else "",
        },
    )
    if response.status_code != 302:
        raise DemoDataError(f"the benchmark user could not log in ({response.status_code})")

    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    pages = {
        "agent_scorecard": f"/reports/agents/{agent_id}",
        "team_view": "/reports/teams",
    }
    results: dict[str, Any] = {}
    event.listen(engine, "before_cursor_execute", count)
    try:
        for name, path in pages.items():
            results[name] = _time_page(client, path, repeat, statements)
            results[name]["goal_ms"] = GOALS[name]
            results[name]["ok"] = results[name]["median_ms"] <= GOALS[name]
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return {
        "repeat": repeat,
        "database": engine.dialect.name,
        "data": {**totals, "agent_attempts": agent_attempts},
        "pages": results,
    }


def _time_page(client: Any, path: str, repeat: int, statements: list[str]) -> dict[str, Any]:
    for _ in range(2):  # warm-up: templates compiled, caches filled
        response = client.get(path)
        if response.status_code != 200:
            raise DemoDataError(f"{path} answered {response.status_code}")
    times, queries = [], []
    for _ in range(repeat):
        statements.clear()
        began = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - began) * 1000)
        queries.append(len(statements))
        if response.status_code != 200:
            raise DemoDataError(f"{path} answered {response.status_code}")
    ordered = sorted(times)
    return {
        "path": path,
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)], 1),
        "min_ms": round(ordered[0], 1),
        "queries": max(queries),
        "bytes": len(response.get_data()),
    }


def format_bench(result: dict[str, Any]) -> str:
    data = result["data"]
    lines = [
        f"reports benchmark on {result['database']}: {data['agents']} agents, "
        f"{data['attempts']} attempts, {data['turns']} turns; {result['repeat']} requests per page",
    ]
    for name, page in result["pages"].items():
        verdict = "ok" if page["ok"] else "MISSED"
        lines.append(
            f"  {name:<16} median {page['median_ms']:7.1f} ms  p95 {page['p95_ms']:7.1f} ms  "
            f"{page['queries']:3d} SQL queries  goal <= {page['goal_ms']:.0f} ms: {verdict}"
            f"   ({page['path']})"
        )
    return "\n".join(lines)
