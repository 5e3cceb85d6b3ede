"""Scenario files in the database: synced as versions, offered for play, loaded for the engine."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from sqlalchemy import func, select

from trainer.authored import AuthoredFileError, Problem
from trainer.core.engine import MAX_TURNS
from trainer.core.scenario import Scenario, load_scenario
from trainer.core.simulator import Params, params_for
from trainer.extensions import db
from trainer.models import ScenarioVersion, User
from trainer.services import audit

#: The largest scenario file accepted from the browser (the loader refuses larger files too).
MAX_UPLOAD_CHARS = 256 * 1024


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class Preview:
    """A scenario as the studio shows it before anyone plays it."""

    scenario: Scenario
    #: Scripted: the nodes a conversation can reach, in reading order.
    nodes: list[str]
    #: Scripted: replies after which the customer escalates whatever the branches say.
    max_turns: int
    #: Modelled: the customer's behaviour as the simulator plays it.
    params: Params | None
    #: Modelled: the values of ``params`` the file sets; the rest follow from the difficulty.
    set_in_file: frozenset[str]


def preview(scenario: Scenario) -> Preview:
    dynamics = scenario.model.dynamics.model_dump(exclude_none=True) if scenario.model else {}
    return Preview(
        scenario=scenario,
        nodes=scenario.script.reachable() if scenario.script else [],
        max_turns=MAX_TURNS,
        params=params_for(scenario) if scenario.model else None,
        set_in_file=frozenset(dynamics),
    )


def scenario_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.yaml") if p.is_file())


def add_version(
    scenario: Scenario, source: str, actor: User | None = None, *, activate: bool = True
) -> ScenarioVersion | None:
    """Store the scenario as a version of its slug, the active one unless told otherwise; None
    when this content is stored."""
    content_hash = scenario.content_hash()
    versions = db.session.scalars(
        select(ScenarioVersion).where(ScenarioVersion.slug == scenario.id)
    ).all()
    if any(v.content_hash == content_hash for v in versions):
        return None
    if activate:
        for version in versions:
            version.active = False
    row = ScenarioVersion(
        slug=scenario.id,
        active=activate,
        version=max((v.version for v in versions), default=0) + 1,
        declared_version=scenario.version,
        content_hash=content_hash,
        title=scenario.title,
        language=scenario.language,
        sector=scenario.sector,
        difficulty=scenario.difficulty,
        mode=scenario.mode,
        target_level=scenario.target_level,
        source=source,
    )
    db.session.add(row)
    db.session.flush()
    audit.record(
        "scenario.sync", actor=actor, subject=f"scenario:{scenario.id}", version=row.version
    )
    return row


def sync_directory(directory: Path) -> SyncReport:
    """Every valid file becomes a version when its content is new; invalid files are reported."""
    report = SyncReport()
    for path in scenario_files(directory):
        try:
            scenario = load_scenario(path)
        except AuthoredFileError as exc:
            report.problems.extend(exc.problems)
            continue
        row = add_version(scenario, path.read_text(encoding="utf-8"))
        (report.added if row else report.unchanged).append(scenario.id)
    return report


def playable(
    *, language: str | None = None, sector: str | None = None, difficulty: int | None = None
) -> list[ScenarioVersion]:
    query = select(ScenarioVersion).where(ScenarioVersion.active.is_(True))
    if language:
        query = query.where(ScenarioVersion.language == language)
    if sector:
        query = query.where(ScenarioVersion.sector == sector)
    if difficulty:
        query = query.where(ScenarioVersion.difficulty == difficulty)
    return list(
        db.session.scalars(
            query.order_by(
                ScenarioVersion.language, ScenarioVersion.difficulty, ScenarioVersion.title
            )
        )
    )


def active_version(slug: str) -> ScenarioVersion | None:
    return db.session.scalar(
        select(ScenarioVersion).where(
            ScenarioVersion.slug == slug, ScenarioVersion.active.is_(True)
        )
    )


def sectors() -> list[str]:
    return list(
        db.session.scalars(
            select(ScenarioVersion.sector)
            .where(ScenarioVersion.active.is_(True))
            .group_by(ScenarioVersion.sector)
            .order_by(ScenarioVersion.sector)
        )
    )


def version_count() -> int:
    return db.session.scalar(select(func.count()).select_from(ScenarioVersion)) or 0


def scenario_of(version: ScenarioVersion) -> Scenario:
    return _parse(version.slug, version.content_hash, version.source)


@lru_cache(maxsize=256)
def _parse(slug: str, content_hash: str, source: str) -> Scenario:
    # Keyed by content: a version never changes, so parsing it once per process is enough.
    return load_scenario(Path(f"{slug}.yaml"), text=source)


def versions_of(slug: str) -> list[ScenarioVersion]:
    return list(
        db.session.scalars(
            select(ScenarioVersion)
            .where(ScenarioVersion.slug == slug)
            .order_by(ScenarioVersion.version)
        )
    )


def version(slug: str, number: int) -> ScenarioVersion | None:
    return db.session.scalar(
        select(ScenarioVersion).where(
            ScenarioVersion.slug == slug, ScenarioVersion.version == number
        )
    )


def titles(slugs: list[str]) -> dict[str, str]:
    """Each scenario's title, from its newest version."""
    newest = (
        select(ScenarioVersion.slug, ScenarioVersion.title)
        .where(ScenarioVersion.slug.in_(slugs))
        .order_by(ScenarioVersion.slug, ScenarioVersion.version)
    )
    return {slug: title for slug, title in db.session.execute(newest)}


def all_slugs() -> list[str]:
    return list(
        db.session.scalars(
            select(ScenarioVersion.slug)
            .group_by(ScenarioVersion.slug)
            .order_by(ScenarioVersion.slug)
        )
    )


def draft(source: str, filename: str) -> Scenario:
    """Validate a scenario text from the browser (raises `AuthoredFileError`); `add_version`
    stores it."""
    return load_scenario(Path(filename), text=source)


def activate(row: ScenarioVersion, actor: User) -> None:
    for other in versions_of(row.slug):
        other.active = other.id == row.id
    audit.record(
        "scenario.activate", actor=actor, subject=f"scenario:{row.slug}", version=row.version
    )


def retire(slug: str, actor: User) -> None:
    for row in versions_of(slug):
        row.active = False
    audit.record("scenario.retire", actor=actor, subject=f"scenario:{slug}")


def diff(a: ScenarioVersion, b: ScenarioVersion) -> list[str]:
    """A unified diff of two versions' files."""
    return list(
        difflib.unified_diff(
            a.source.splitlines(),
            b.source.splitlines(),
            fromfile=f"{a.slug} v{a.version}",
            tofile=f"{b.slug} v{b.version}",
            lineterm="",
        )
    )
