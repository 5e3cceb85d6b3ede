"""Getting a database ready to serve: migrations, scenario sync, demo accounts on first start."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

from flask_migrate import upgrade

from trainer.models import User
from trainer.services import accounts, scenarios
from trainer.services.demo_data import DemoReport, seed_demo_data

#: The practice history seeded beside the demo accounts, so the reports have something to show.
DEMO_AGENTS, DEMO_ATTEMPTS = 8, 12


@dataclass
class Prepared:
    sync: scenarios.SyncReport
    #: Demo accounts made on this start, with their one-time passwords.
    demo: list[tuple[User, str]] = field(default_factory=list)
    #: The seeded demo history (first start only).
    history: DemoReport | None = None


def prepare(scenario_dir: Path, policy: accounts.PasswordPolicy, demo: bool = True) -> Prepared:
    """Apply migrations, sync scenario files, and on an empty database create demo accounts
    and a small practice history of demo colleagues.

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
    return Prepared(report, made, history)
