"""Getting a database ready to serve: migrations, scenario sync, demo accounts on first start."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from flask_migrate import upgrade

from trainer.models import Assignment, User, utcnow
from trainer.services import accounts, assignments, scenarios
from trainer.services.demo_data import DemoReport, seed_demo_data

#: The practice history seeded beside the demo accounts, so the reports have something to show.
DEMO_AGENTS, DEMO_ATTEMPTS = 8, 12
#: What the demo trainer sets the demo agent's team: (mode, days to the due date, attempt limit).
DEMO_ASSIGNMENTS = (("practice", 7, None), ("certification", 14, 3))


@dataclass
class Prepared:
    sync: scenarios.SyncReport
    #: Demo accounts made on this start, with their one-time passwords.
    demo: list[tuple[User, str]] = field(default_factory=list)
    #: The seeded demo history (first start only).
    history: DemoReport | None = None


def prepare(scenario_dir: Path, policy: accounts.PasswordPolicy, demo: bool = True) -> Prepared:
    """Apply migrations, sync scenario files, and on an empty database create demo accounts,
    a small practice history of demo colleagues and two assignments for the demo agent.

    Runs inside an app context; flushes, the caller commits.
    """
    upgrade()
    report = scenarios.sync_directory(scenario_dir)
    made = accounts.create_demo_accounts(policy) if demo else []
    history = None
    if made:
        # Colleagues with a practice history; nobody logs in as them (an unknown password).
        history = seed_demo_data(
            agents=DEMO_AGENTS,
            attempts=DEMO_ATTEMPTS,
            password_hash=policy.hasher.hash(secrets.token_urlsafe(32)),
        )
        by_role = {user.role: user for user, _ in made}
        demo_assignments(by_role["trainer"], by_role["agent"])
    return Prepared(report, made, history)


def demo_assignments(trainer: User, agent: User) -> list[Assignment]:
    """The demo agent's team gets the easiest active scenarios to do, one per mode, so the
    assignments page is not empty on the first visit."""
    versions = sorted(scenarios.playable(), key=lambda v: (v.difficulty, v.language, v.title))
    now = utcnow()
    return [
        assignments.assign(
            trainer,
            version.slug,
            mode,
            now + timedelta(days=days),
            team=agent.team,
            max_attempts=limit,
        )
        for version, (mode, days, limit) in zip(versions, DEMO_ASSIGNMENTS, strict=False)
    ]
