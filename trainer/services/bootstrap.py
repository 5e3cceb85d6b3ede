"""Getting a database ready to serve: migrations, scenario sync, demo accounts on first start."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from flask_migrate import upgrade

from trainer.models import User
from trainer.services import accounts, scenarios


@dataclass
class Prepared:
    sync: scenarios.SyncReport
    #: Demo accounts made on this start, with their one-time passwords.
    demo: list[tuple[User, str]] = field(default_factory=list)


def prepare(scenario_dir: Path, policy: accounts.PasswordPolicy, demo: bool = True) -> Prepared:
    """Apply migrations, sync scenario files, and on an empty database create demo accounts.

    Runs inside an app context; flushes, the caller commits.
    """
    upgrade()
    report = scenarios.sync_directory(scenario_dir)
    made = accounts.create_demo_accounts(policy) if demo else []
    return Prepared(report, made)
