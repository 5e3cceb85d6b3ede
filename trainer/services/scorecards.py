"""Competency scorecards: rubric levels, service-level distributions and customer metrics.

Every figure counts only attempts that are not play-tests, and each agent turn with its levels as
they stand (``reviews.effective``): the trainer's latest review where it sets a level, else the
newest machine score. The reports are a few aggregate SQL statements each (never a query per row);
weekly bucketing and the last sums happen in Python, so the SQL is the same on SQLite and
PostgreSQL.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Subquery, and_, case, func, select
from sqlalchemy.orm import aliased

from trainer.extensions import db
from trainer.models import (
    MAX_ID,
    Attempt,
    ScenarioVersion,
    Team,
    Turn,
    TurnDimensionScore,
    TurnReview,
    TurnScore,
    User,
)
from trainer.vocabulary import DIMENSIONS

#: Service levels 0-4 (DOMAIN.md).
LEVELS: tuple[int, ...] = (0, 1, 2, 3, 4)
#: Attempt purposes a report can be filtered by (play-tests never count).
PURPOSES: tuple[str, ...] = ("practice", "certification")
LANGUAGES: tuple[str, ...] = ("en", "id")
NPS_CATEGORIES: tuple[str, ...] = ("promoter", "passive", "detractor")
#: Certification status of an agent on a scenario.
CERTIFICATION = ("none", "passed", "failed")
#: How many played scenarios are suggested for the weakest dimension (plus unplayed ones).
SUGGESTIONS = 3


# --- filters ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What a report counts: attempts started in [date_from, date_to], of a scenario, etc."""

    date_from: date | None = None
    date_to: date | None = None
    scenario: str | None = None
    language: str | None = None
    #: practice | certification (the attempt's purpose; "mode" in the query string).
    purpose: str | None = None
    team_id: int | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        """WHERE conditions on Attempt, ScenarioVersion and User (the queries join all three)."""
        where: list[ColumnElement[bool]] = [Attempt.purpose != "playtest"]
        if self.date_from is not None:
            where.append(Attempt.started_at >= _midnight(self.date_from))
        if self.date_to is not None and self.date_to < date.max:
            # Up to the end of that day; the last day there is has no day after it to stop at.
            where.append(Attempt.started_at < _midnight(self.date_to + timedelta(days=1)))
        if self.scenario:
            where.append(ScenarioVersion.slug == self.scenario)
        if self.language:
            where.append(ScenarioVersion.language == self.language)
        if self.purpose:
            where.append(Attempt.purpose == self.purpose)
        if self.team_id is not None:
            where.append(User.team_id == self.team_id)
        return where

    def to_dict(self) -> dict[str, Any]:
        """The filters that are set, by their query-string names (for links, audit and JSON)."""
        values = {
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
            "scenario": self.scenario,
            "language": self.language,
            "mode": self.purpose,
            "team": self.team_id,
        }
        return {k: v for k, v in values.items() if v is not None}


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def parse_filters(args: Mapping[str, Any]) -> tuple[Filters, list[str]]:
    """Filters from a query string; what cannot be used is left out and explained."""
    errors: list[str] = []

    def text(name: str) -> str:
        value = args.get(name)
        return value.strip() if isinstance(value, str) else ""

    def day(name: str) -> date | None:
        raw = text(name)
        if not raw:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            errors.append(f"{name}: {raw[:40]!r} is not a date (YYYY-MM-DD)")
            return None

    def choice(name: str, allowed: Sequence[str]) -> str | None:
        raw = text(name)
        if raw and raw not in allowed:
            errors.append(f"{name}: must be one of {', '.join(allowed)}")
            return None
        return raw or None

    date_from, date_to = day("from"), day("to")
    if date_from and date_to and date_from > date_to:
        errors.append("from: must not be after to")
        date_from = date_to = None
    scenario = text("scenario") or None
    if scenario and len(scenario) > 60:
        errors.append("scenario: not a scenario id")
        scenario = None
    team_id = None
    if text("team"):
        try:
            team_id = int(text("team"))
        except ValueError:
            team_id = None
        if team_id is None or not 0 < team_id <= MAX_ID:
            errors.append("team: must be a team id")
            team_id = None
    filters = Filters(
        date_from=date_from,
        date_to=date_to,
        scenario=scenario,
        language=choice("language", LANGUAGES),
        purpose=choice("mode", PURPOSES),
        team_id=team_id,
    )
    return filters, errors


# --- who sees what ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AgentInfo:
    id: int
    name: str
    email: str
    role: str
    team_id: int | None
    team: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "email": self.email, "team": self.team}


def agent_info(user_id: int) -> AgentInfo | None:
    row = db.session.execute(
        select(User.id, User.name, User.email, User.role, User.team_id, Team.name)
        .outerjoin(Team, Team.id == User.team_id)
        .where(User.id == user_id)
    ).first()
    return AgentInfo(*row) if row is not None else None


def may_view(viewer: Any, agent: AgentInfo) -> bool:
    """Everyone sees their own scorecard; HR every agent's; a trainer their team's (or all)."""
    if viewer.id == agent.id:
        return True
    if agent.role != "agent":
        return False
    if viewer.role == "hr":
        return True
    return viewer.role == "trainer" and viewer.team_id in (None, agent.team_id)


def scope(viewer: Any, filters: Filters) -> Filters:
    """A trainer with a team sees that team only, whatever the query string asked for."""
    if viewer.role == "trainer" and viewer.team_id is not None:
        return replace(filters, team_id=viewer.team_id)
    return filters


# --- effective turn levels -------------------------------------------------------------------


def effective_turns(
    filters: Filters, *where: ColumnElement[bool], narrow: bool = False
) -> Subquery:
    """One row per scored agent turn that counts: its effective levels and its attempt.

    The newest TurnScore of a turn is max(id) per turn_id, the latest TurnReview likewise; a
    review column that is not null beats the machine's level (COALESCE). ``narrow``: compute
    those two for the selected turns only (one agent, a date range), not for every turn.
    """
    conditions = [Turn.speaker == "agent", *filters.conditions(), *where]

    def last_of(model: type, label: str, name: str) -> Subquery:
        stmt = select(model.turn_id, func.max(model.id).label(label)).group_by(model.turn_id)
        if narrow:
            joined = stmt.join(Turn, Turn.id == model.turn_id).join(
                Attempt, Attempt.id == Turn.attempt_id
            )
            stmt = _joined(joined).where(*conditions)
        return stmt.subquery(name)

    newest = last_of(TurnScore, "score_id", "newest")
    latest = last_of(TurnReview, "review_id", "latest")
    review = aliased(TurnReview, name="review")
    dims = {name: aliased(TurnDimensionScore, name=f"dim_{name}") for name in DIMENSIONS}
    stmt = (
        select(
            Turn.id.label("turn_id"),
            Turn.attempt_id,
            Attempt.user_id,
            func.date(Attempt.started_at).label("day"),
            *(func.coalesce(getattr(review, n), dims[n].level).label(n) for n in DIMENSIONS),
            func.coalesce(review.service_level, TurnScore.service_level).label("service_level"),
        )
        .select_from(Turn)
        .join(Attempt, Attempt.id == Turn.attempt_id)
        .join(ScenarioVersion, ScenarioVersion.id == Attempt.scenario_version_id)
        .join(User, User.id == Attempt.user_id)
        .join(newest, newest.c.turn_id == Turn.id)
        .join(TurnScore, TurnScore.id == newest.c.score_id)
        .outerjoin(latest, latest.c.turn_id == Turn.id)
        .outerjoin(review, review.id == latest.c.review_id)
    )
    for name, dim in dims.items():
        stmt = stmt.outerjoin(dim, and_(dim.score_id == TurnScore.id, dim.dimension == name))
    return stmt.where(*conditions).subquery("effective")


def _tally_columns(eff: Subquery) -> list:
    """Aggregates in Tally's order: turns, (sum, count) per dimension, turns per service level."""
    columns = [func.count()]
    for name in DIMENSIONS:
        columns += [func.coalesce(func.sum(eff.c[name]), 0), func.count(eff.c[name])]
    columns += [func.sum(case((eff.c.service_level == k, 1), else_=0)) for k in LEVELS]
    return columns


_LEVEL_AT = 1 + 2 * len(DIMENSIONS)


@dataclass
class Tally:
    """Sums of effective turn levels (adding tallies keeps averages exact).

    A flat list, because the team view adds a few thousand of them per request: turns, then
    (sum, count) per dimension, then turns per service level 0-4.
    """

    values: list[int] = field(default_factory=lambda: [0] * (_LEVEL_AT + len(LEVELS)))

    @classmethod
    def of(cls, numbers: Sequence[Any]) -> Tally:
        return cls([int(v or 0) for v in numbers])

    def add(self, other: Tally) -> None:
        self.values = [a + b for a, b in zip(self.values, other.values, strict=True)]

    @property
    def turns(self) -> int:
        return self.values[0]

    @property
    def levels(self) -> dict[int, int]:
        return {k: self.values[_LEVEL_AT + k] for k in LEVELS}

    def averages(self) -> dict[str, float | None]:
        v = self.values
        return {
            n: v[1 + 2 * i] / v[2 + 2 * i] if v[2 + 2 * i] else None
            for i, n in enumerate(DIMENSIONS)
        }


def _day(value: Any) -> date:
    """func.date() gives text on SQLite and a date on PostgreSQL."""
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def week_of(day: date) -> date:
    """The Monday that starts the ISO week of the day."""
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class TrendPoint:
    """Average effective levels of the turns of attempts started in one week."""

    week: date
    levels: dict[str, float | None]
    turns: int

    def to_dict(self) -> dict[str, Any]:
        return {"week": self.week.isoformat(), "levels": _rounded(self.levels), "turns": self.turns}


def _trend(by_week: Mapping[date, Tally]) -> list[TrendPoint]:
    return [TrendPoint(w, t.averages(), t.turns) for w, t in sorted(by_week.items()) if t.turns]


# --- customer metrics ------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerMetrics:
    """The simulated customer's verdicts over finished attempts (Attempt.metrics)."""

    attempts: int
    csat: float | None
    #: Average would-recommend score 0-10.
    nps: float | None
    #: Net promoter score: % promoters - % detractors (-100 to 100).
    nps_score: float | None
    nps_categories: dict[str, int]
    ces: float | None
    #: Shares 0-1 of the finished attempts.
    fcr_rate: float | None
    escalation_rate: float | None
    #: Average handle time in seconds.
    handle_seconds: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "attempts": self.attempts,
            "csat": _round(self.csat),
            "nps": _round(self.nps),
            "nps_score": _round(self.nps_score),
            "nps_categories": dict(self.nps_categories),
            "ces": _round(self.ces),
            "fcr_rate": _round(self.fcr_rate),
            "escalation_rate": _round(self.escalation_rate),
            "handle_seconds": _round(self.handle_seconds),
        }


@dataclass
class MetricSums:
    """Sums behind CustomerMetrics, so that groups add up exactly."""

    attempts: int = 0
    sums: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    categories: dict[str, int] = field(default_factory=lambda: dict.fromkeys(NPS_CATEGORIES, 0))

    NUMBERS = ("csat", "nps", "ces", "handle_seconds", "fcr", "escalated")

    def add_metrics(self, metrics: Mapping[str, Any] | None) -> None:
        if not metrics:
            return
        self.attempts += 1
        for key in self.NUMBERS:
            value = metrics.get(key)
            if value is None:
                continue
            self.sums[key] = self.sums.get(key, 0) + float(value)
            self.counts[key] = self.counts.get(key, 0) + 1
        category = metrics.get("nps_category")
        if category in self.categories:
            self.categories[category] += 1

    def add(self, other: MetricSums) -> None:
        self.attempts += other.attempts
        for key, value in other.sums.items():
            self.sums[key] = self.sums.get(key, 0) + value
            self.counts[key] = self.counts.get(key, 0) + other.counts[key]
        for key, value in other.categories.items():
            self.categories[key] += value

    def mean(self, key: str) -> float | None:
        return self.sums[key] / self.counts[key] if self.counts.get(key) else None

    def result(self) -> CustomerMetrics:
        rated = sum(self.categories.values())
        nps_score = (
            100 * (self.categories["promoter"] - self.categories["detractor"]) / rated
            if rated
            else None
        )
        return CustomerMetrics(
            attempts=self.attempts,
            csat=self.mean("csat"),
            nps=self.mean("nps"),
            nps_score=nps_score,
            nps_categories=dict(self.categories),
            ces=self.mean("ces"),
            fcr_rate=self.mean("fcr"),
            escalation_rate=self.mean("escalated"),
            handle_seconds=self.mean("handle_seconds"),
        )


def _metric_columns() -> list:
    """SUMs of the metrics over the finished attempts of a group, and how many those are.

    Every finished attempt carries every key (``AttemptMetrics.to_dict``), so one count is the
    denominator of every average, and each key is extracted once per row: PostgreSQL parses a
    json column again for every extraction, which made this query the slowest of the team view.
    """
    m = Attempt.metrics
    rated = and_(Attempt.status == "done", m.is_not(None))
    columns = [func.sum(case((rated, 1), else_=0)).label("m_attempts")]
    for key in ("csat", "nps", "ces", "handle_seconds"):
        columns.append(func.sum(case((rated, m[key].as_float()))).label(f"m_{key}"))
    for key in ("fcr", "escalated"):
        hit = and_(rated, m[key].as_boolean())
        columns.append(func.sum(case((hit, 1), else_=0)).label(f"m_{key}"))
    category = m["nps_category"].as_string()
    for name in NPS_CATEGORIES:
        columns.append(
            func.sum(case((and_(rated, category == name), 1), else_=0)).label(f"m_{name}")
        )
    return columns


def _metric_sums(row: Any) -> MetricSums:
    m = row._mapping
    sums = MetricSums(attempts=int(m["m_attempts"] or 0))
    if sums.attempts:
        for key in MetricSums.NUMBERS:
            sums.sums[key] = float(m[f"m_{key}"] or 0)
            sums.counts[key] = sums.attempts
    sums.categories = {c: int(m[f"m_{c}"] or 0) for c in NPS_CATEGORIES}
    return sums


# --- the agent scorecard ---------------------------------------------------------------------


@dataclass(frozen=True)
class ScenarioCard:
    """One scenario (all its versions) on an agent's scorecard."""

    slug: str
    title: str
    language: str
    target_level: int
    attempts: int
    finished: int
    dimensions: dict[str, float | None]
    turn_levels: dict[int, int]
    attempt_levels: dict[int, int]
    first_level: int | None
    best_level: int | None
    latest_level: int | None
    #: Latest minus first finished attempt's level (None with fewer than two).
    delta: int | None
    #: none | passed | failed (certification attempts only).
    certification: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "title": self.title,
            "language": self.language,
            "target_level": self.target_level,
            "attempts": self.attempts,
            "finished": self.finished,
            "dimensions": _rounded(self.dimensions),
            "turn_levels": _levels(self.turn_levels),
            "attempt_levels": _levels(self.attempt_levels),
            "first_level": self.first_level,
            "best_level": self.best_level,
            "latest_level": self.latest_level,
            "delta": self.delta,
            "certification": self.certification,
        }


@dataclass(frozen=True)
class Suggestion:
    """A scenario that trains the weakest dimension: played with a low average, or not yet."""

    slug: str
    title: str
    language: str
    #: The weakest dimension's average on it (None: not played yet).
    average: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "title": self.title,
            "language": self.language,
            "average": _round(self.average),
        }


@dataclass(frozen=True)
class AgentScorecard:
    agent: AgentInfo
    filters: Filters
    #: Attempts that count (any status) and the finished ones among them.
    attempts: int
    finished: int
    #: Scored agent turns that count.
    turns: int
    dimensions: dict[str, float | None]
    turn_levels: dict[int, int]
    attempt_levels: dict[int, int]
    trend: list[TrendPoint]
    scenarios: list[ScenarioCard]
    metrics: CustomerMetrics
    weakest: str | None
    suggestions: list[Suggestion]

    @property
    def certification(self) -> dict[str, int]:
        counts = dict.fromkeys(CERTIFICATION, 0)
        for card in self.scenarios:
            counts[card.certification] += 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        return {
            "agent": self.agent.to_dict(),
            "filters": self.filters.to_dict(),
            "attempts": self.attempts,
            "finished": self.finished,
            "turns": self.turns,
            "dimensions": _rounded(self.dimensions),
            "turn_levels": _levels(self.turn_levels),
            "attempt_levels": _levels(self.attempt_levels),
            "trend": [p.to_dict() for p in self.trend],
            "scenarios": [s.to_dict() for s in self.scenarios],
            "metrics": self.metrics.to_dict(),
            "certification": self.certification,
            "weakest": self.weakest,
            "suggestions": [s.to_dict() for s in self.suggestions],
        }


def _joined(stmt):
    return stmt.join(ScenarioVersion, ScenarioVersion.id == Attempt.scenario_version_id).join(
        User, User.id == Attempt.user_id
    )


def agent_scorecard(agent: AgentInfo, filters: Filters | None = None) -> AgentScorecard:
    """The scorecard in three queries: the attempts, their turn tallies, the active scenarios."""
    filters = filters or Filters()
    attempts = db.session.execute(
        _joined(
            select(
                Attempt.id,
                Attempt.started_at,
                Attempt.status,
                Attempt.service_level,
                Attempt.metrics,
                Attempt.purpose,
                ScenarioVersion.slug,
                ScenarioVersion.title,
                ScenarioVersion.language,
                ScenarioVersion.target_level,
            )
        )
        .where(Attempt.user_id == agent.id, *filters.conditions())
        .order_by(Attempt.started_at, Attempt.id)
    ).all()
    eff = effective_turns(filters, Attempt.user_id == agent.id, narrow=True)
    tallies = {
        row[0]: Tally.of(row[1:])
        for row in db.session.execute(
            select(eff.c.attempt_id, *_tally_columns(eff)).group_by(eff.c.attempt_id)
        )
    }

    overall, by_week = Tally(), defaultdict(Tally)
    per_scenario: dict[str, list] = defaultdict(list)
    levels = dict.fromkeys(LEVELS, 0)
    metrics = MetricSums()
    for a in attempts:
        tally = tallies.get(a.id)
        if tally is not None:
            overall.add(tally)
            by_week[week_of(a.started_at.date())].add(tally)
        per_scenario[a.slug].append(a)
        if a.status == "done":
            metrics.add_metrics(a.metrics)
            if a.service_level is not None:
                levels[a.service_level] += 1

    cards = [_scenario_card(rows, tallies) for rows in per_scenario.values()]
    cards.sort(key=lambda c: (c.title.lower(), c.slug))
    dimensions = overall.averages()
    weakest, suggestions = _weakest(dimensions, cards, filters)
    return AgentScorecard(
        agent=agent,
        filters=filters,
        attempts=len(attempts),
        finished=sum(1 for a in attempts if a.status == "done"),
        turns=overall.turns,
        dimensions=dimensions,
        turn_levels=overall.levels,
        attempt_levels=levels,
        trend=_trend(by_week),
        scenarios=cards,
        metrics=metrics.result(),
        weakest=weakest,
        suggestions=suggestions,
    )


def _scenario_card(rows: Sequence[Any], tallies: Mapping[int, Tally]) -> ScenarioCard:
    latest = rows[-1]
    tally = Tally()
    for a in rows:
        if a.id in tallies:
            tally.add(tallies[a.id])
    finished = [a for a in rows if a.status == "done" and a.service_level is not None]
    attempt_levels = dict.fromkeys(LEVELS, 0)
    for a in finished:
        attempt_levels[a.service_level] += 1
    certifications = [a for a in finished if a.purpose == "certification"]
    if not certifications:
        certification = "none"
    elif any(a.service_level >= a.target_level for a in certifications):
        certification = "passed"
    else:
        certification = "failed"
    return ScenarioCard(
        slug=latest.slug,
        title=latest.title,
        language=latest.language,
        target_level=latest.target_level,
        attempts=len(rows),
        finished=sum(1 for a in rows if a.status == "done"),
        dimensions=tally.averages(),
        turn_levels=tally.levels,
        attempt_levels=attempt_levels,
        first_level=finished[0].service_level if finished else None,
        best_level=max((a.service_level for a in finished), default=None),
        latest_level=finished[-1].service_level if finished else None,
        delta=finished[-1].service_level - finished[0].service_level if len(finished) > 1 else None,
        certification=certification,
    )


def _weakest(
    dimensions: Mapping[str, float | None], cards: Sequence[ScenarioCard], filters: Filters
) -> tuple[str | None, list[Suggestion]]:
    """The dimension with the lowest average, and the scenarios to practise it on."""
    scored = [(avg, DIMENSIONS.index(n), n) for n, avg in dimensions.items() if avg is not None]
    weakest = min(scored)[2] if scored else None
    played = [c for c in cards if weakest is not None and c.dimensions[weakest] is not None]
    played.sort(key=lambda c: (c.dimensions[weakest], c.title.lower()))
    suggestions = [
        Suggestion(c.slug, c.title, c.language, c.dimensions[weakest]) for c in played[:SUGGESTIONS]
    ]
    seen = {c.slug for c in cards}
    query = select(ScenarioVersion.slug, ScenarioVersion.title, ScenarioVersion.language).where(
        ScenarioVersion.active.is_(True)
    )
    if filters.language:
        query = query.where(ScenarioVersion.language == filters.language)
    unplayed = [
        Suggestion(slug, title, language, None)
        for slug, title, language in db.session.execute(query.order_by(ScenarioVersion.title))
        if slug not in seen
    ]
    return weakest, suggestions + unplayed[:SUGGESTIONS]


# --- the team view ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AgentRow:
    """One agent in the team view and the agents export."""

    id: int
    name: str
    email: str
    team: str | None
    attempts: int
    finished: int
    turns: int
    dimensions: dict[str, float | None]
    turn_levels: dict[int, int]
    attempt_levels: dict[int, int]
    #: Average service level of the finished attempts.
    level: float | None
    metrics: CustomerMetrics
    certifications_passed: int
    certifications_failed: int

    def sort_value(self, key: str) -> Any:
        if key in DIMENSIONS:
            return self.dimensions[key]
        if key == "csat":
            return self.metrics.csat
        if key == "fcr":
            return self.metrics.fcr_rate
        if key == "escalation":
            return self.metrics.escalation_rate
        if key == "certified":
            return self.certifications_passed
        value = getattr(self, key)
        return value.lower() if isinstance(value, str) else value


#: Team view columns that can be sorted on (``sort=-key`` for descending).
SORT_KEYS: tuple[str, ...] = (
    "name",
    "team",
    "attempts",
    "turns",
    *DIMENSIONS,
    "level",
    "csat",
    "fcr",
    "escalation",
    "certified",
)


def normal_sort(sort: str | None) -> str:
    """``key`` or ``-key`` for one of SORT_KEYS; anything else sorts by name."""
    sort = (sort or "").strip()
    return sort if sort.lstrip("-") in SORT_KEYS and sort.count("-") <= 1 else "name"


def sort_rows(rows: Iterable[AgentRow], sort: str) -> list[AgentRow]:
    """Sorted by the column; missing values last in both directions; ties by name."""
    sort = normal_sort(sort)
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    rows = sorted(rows, key=lambda r: (r.name.lower(), r.id))
    present = [r for r in rows if r.sort_value(key) is not None]
    missing = [r for r in rows if r.sort_value(key) is None]
    present.sort(key=lambda r: r.sort_value(key), reverse=descending)
    return present + missing


@dataclass(frozen=True)
class TeamReport:
    filters: Filters
    sort: str
    rows: list[AgentRow]
    turns: int
    dimensions: dict[str, float | None]
    turn_levels: dict[int, int]
    attempt_levels: dict[int, int]
    metrics: CustomerMetrics
    trend: list[TrendPoint]

    @property
    def attempts(self) -> int:
        return sum(r.attempts for r in self.rows)


def team_report(filters: Filters | None = None, sort: str = "name") -> TeamReport:
    """Every agent in scope x dimensions, in four aggregate queries."""
    filters = filters or Filters()
    sort = normal_sort(sort)
    agents_query = (
        select(User.id, User.name, User.email, Team.name.label("team"))
        .outerjoin(Team, Team.id == User.team_id)
        .where(User.role == "agent")
    )
    if filters.team_id is not None:
        agents_query = agents_query.where(User.team_id == filters.team_id)
    agents = db.session.execute(agents_query).all()

    is_agent = User.role == "agent"
    eff = effective_turns(filters, is_agent, narrow=filters != Filters())
    per_agent: dict[int, Tally] = defaultdict(Tally)
    by_week: dict[date, Tally] = defaultdict(Tally)
    for row in db.session.execute(
        select(eff.c.user_id, eff.c.day, *_tally_columns(eff)).group_by(eff.c.user_id, eff.c.day)
    ):
        tally = Tally.of(row[2:])
        per_agent[row[0]].add(tally)
        by_week[week_of(_day(row[1]))].add(tally)

    level_columns = [
        func.sum(
            case((and_(Attempt.status == "done", Attempt.service_level == k), 1), else_=0)
        ).label(f"a{k}")
        for k in LEVELS
    ]
    attempt_stats = {
        row.user_id: row
        for row in db.session.execute(
            _joined(
                select(
                    Attempt.user_id,
                    func.count(Attempt.id).label("attempts"),
                    func.sum(case((Attempt.status == "done", 1), else_=0)).label("finished"),
                    *level_columns,
                    *_metric_columns(),
                )
            )
            .where(is_agent, *filters.conditions())
            .group_by(Attempt.user_id)
        )
    }
    passed = case((Attempt.service_level >= ScenarioVersion.target_level, 1), else_=0)
    certified: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for user_id, _slug, best in db.session.execute(
        _joined(select(Attempt.user_id, ScenarioVersion.slug, func.max(passed)))
        .where(
            is_agent,
            Attempt.purpose == "certification",
            Attempt.status == "done",
            Attempt.service_level.is_not(None),
            *filters.conditions(),
        )
        .group_by(Attempt.user_id, ScenarioVersion.slug)
    ):
        certified[user_id][0 if best else 1] += 1

    rows, total, levels, metrics = [], Tally(), dict.fromkeys(LEVELS, 0), MetricSums()
    for agent in agents:
        tally = per_agent.get(agent.id, Tally())
        stats = attempt_stats.get(agent.id)
        attempt_levels = {k: int(getattr(stats, f"a{k}") or 0) for k in LEVELS} if stats else {}
        attempt_levels = {k: attempt_levels.get(k, 0) for k in LEVELS}
        agent_metrics = _metric_sums(stats) if stats is not None else MetricSums()
        graded = sum(attempt_levels.values())
        total.add(tally)
        metrics.add(agent_metrics)
        for k in LEVELS:
            levels[k] += attempt_levels[k]
        rows.append(
            AgentRow(
                id=agent.id,
                name=agent.name,
                email=agent.email,
                team=agent.team,
                attempts=int(stats.attempts) if stats else 0,
                finished=int(stats.finished or 0) if stats else 0,
                turns=tally.turns,
                dimensions=tally.averages(),
                turn_levels=tally.levels,
                attempt_levels=attempt_levels,
                level=sum(k * n for k, n in attempt_levels.items()) / graded if graded else None,
                metrics=agent_metrics.result(),
                certifications_passed=certified[agent.id][0] if agent.id in certified else 0,
                certifications_failed=certified[agent.id][1] if agent.id in certified else 0,
            )
        )
    return TeamReport(
        filters=filters,
        sort=sort,
        rows=sort_rows(rows, sort),
        turns=total.turns,
        dimensions=total.averages(),
        turn_levels=total.levels,
        attempt_levels=levels,
        metrics=metrics.result(),
        trend=_trend(by_week),
    )


@dataclass(frozen=True)
class FilterOptions:
    scenarios: list[tuple[str, str, str]]
    teams: list[tuple[int, str]]


def filter_options(with_teams: bool = True) -> FilterOptions:
    """The scenarios (slug, title, language; every version's slug once) and teams to filter by."""
    titles: dict[str, tuple[str, str, str]] = {}
    for slug, title, language in db.session.execute(
        select(ScenarioVersion.slug, ScenarioVersion.title, ScenarioVersion.language).order_by(
            ScenarioVersion.slug, ScenarioVersion.version
        )
    ):
        titles[slug] = (slug, title, language)
    teams = (
        [tuple(r) for r in db.session.execute(select(Team.id, Team.name).order_by(Team.name))]
        if with_teams
        else []
    )
    return FilterOptions(sorted(titles.values(), key=lambda s: s[1].lower()), teams)


# --- exports ---------------------------------------------------------------------------------

ATTEMPT_COLUMNS: tuple[str, ...] = (
    "attempt_id", "agent_id", "agent_name", "email", "team", "scenario", "scenario_version",
    "language", "purpose", "status", "outcome", "service_level", "csat", "nps", "nps_category",
    "ces", "fcr", "escalated", "handle_seconds", "agent_turns", "empathy", "validation",
    "solution", "started_at", "ended_at", "model_version",
)  # fmt: skip
#: The extra column of ``texts=1``: the agent's replies, in order, separated by a blank line.
TEXTS_COLUMN = "agent_replies"
METRIC_KEYS = (
    "csat", "nps", "nps_category", "ces", "fcr", "escalated", "handle_seconds", "agent_turns",
)  # fmt: skip


def attempt_rows(filters: Filters | None = None, texts: bool = False) -> list[list[Any]]:
    """One row per counted attempt of an agent (ATTEMPT_COLUMNS, then the replies if asked)."""
    filters = filters or Filters()
    is_agent = User.role == "agent"
    attempts = db.session.execute(
        _joined(
            select(
                Attempt.id,
                Attempt.user_id,
                User.name,
                User.email,
                Team.name.label("team"),
                ScenarioVersion.slug,
                ScenarioVersion.version,
                ScenarioVersion.language,
                Attempt.purpose,
                Attempt.status,
                Attempt.outcome,
                Attempt.service_level,
                Attempt.metrics,
                Attempt.started_at,
                Attempt.ended_at,
                Attempt.model_version,
            )
        )
        .outerjoin(Team, Team.id == User.team_id)
        .where(is_agent, *filters.conditions())
        .order_by(Attempt.started_at, Attempt.id)
    ).all()
    eff = effective_turns(filters, is_agent, narrow=filters != Filters())
    tallies = {
        row[0]: Tally.of(row[1:])
        for row in db.session.execute(
            select(eff.c.attempt_id, *_tally_columns(eff)).group_by(eff.c.attempt_id)
        )
    }
    replies: dict[int, list[str]] = defaultdict(list)
    if texts:
        for attempt_id, text in db.session.execute(
            _joined(select(Turn.attempt_id, Turn.text).join(Attempt, Attempt.id == Turn.attempt_id))
            .where(Turn.speaker == "agent", is_agent, *filters.conditions())
            .order_by(Turn.attempt_id, Turn.position)
        ):
            replies[attempt_id].append(text)
    rows = []
    for a in attempts:
        metrics = a.metrics or {}
        averages = tallies[a.id].averages() if a.id in tallies else dict.fromkeys(DIMENSIONS)
        row = [
            a.id,
            a.user_id,
            a.name,
            a.email,
            a.team,
            a.slug,
            a.version,
            a.language,
            a.purpose,
            a.status,
            a.outcome,
            a.service_level,
            *(metrics.get(key) for key in METRIC_KEYS),
            *(_round(averages[n], 3) for n in DIMENSIONS),
            _iso(a.started_at),
            _iso(a.ended_at),
            a.model_version,
        ]
        if texts:
            row.append("\n\n".join(replies.get(a.id, [])))
        rows.append(row)
    return rows


AGENT_COLUMNS: tuple[str, ...] = (
    "agent_id", "agent_name", "email", "team", "attempts", "finished_attempts", "scored_turns",
    "empathy", "validation", "solution",
    *(f"turn_level_{k}" for k in LEVELS),
    *(f"attempt_level_{k}" for k in LEVELS),
    "average_attempt_level", "csat", "nps", "nps_score", "promoters", "passives", "detractors",
    "ces", "fcr_rate", "escalation_rate", "handle_seconds", "certifications_passed",
    "certifications_failed",
)  # fmt: skip


def agent_csv_rows(report: TeamReport) -> list[list[Any]]:
    """The team view's figures, one row per agent (AGENT_COLUMNS)."""
    rows = []
    for r in report.rows:
        m = r.metrics
        rows.append(
            [
                r.id,
                r.name,
                r.email,
                r.team,
                r.attempts,
                r.finished,
                r.turns,
                *(_round(r.dimensions[n], 3) for n in DIMENSIONS),
                *(r.turn_levels[k] for k in LEVELS),
                *(r.attempt_levels[k] for k in LEVELS),
                _round(r.level, 3),
                _round(m.csat, 3),
                _round(m.nps, 3),
                _round(m.nps_score, 1),
                *(m.nps_categories[c] for c in NPS_CATEGORIES),
                _round(m.ces, 3),
                _round(m.fcr_rate, 3),
                _round(m.escalation_rate, 3),
                _round(m.handle_seconds, 1),
                r.certifications_passed,
                r.certifications_failed,
            ]
        )
    return rows


#: A spreadsheet runs a cell that starts with one of these as a formula (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """The cell as text, with a leading quote where a spreadsheet would see a formula."""
    if value is None:
        return ""
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(c) for c in columns])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return out.getvalue()


# --- helpers ---------------------------------------------------------------------------------


def _round(value: float | None, digits: int = 4) -> float | None:
    return round(value, digits) if value is not None else None


def _rounded(values: Mapping[str, float | None]) -> dict[str, float | None]:
    return {k: _round(v) for k, v in values.items()}


def _levels(counts: Mapping[int, int]) -> dict[str, int]:
    return {str(k): counts.get(k, 0) for k in LEVELS}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
