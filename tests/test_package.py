"""Importing the package has no side effects: no torch, no environment reads."""

from __future__ import annotations

import subprocess
import sys


def test_import_is_light():
    code = (
        "import sys, trainer, trainer.scoring, trainer.cli, trainer.scoring.scorer, trainer.app;"
        "heavy = {'torch', 'transformers', 'sklearn'} & set(sys.modules);"
        "print(sorted(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_import_reads_no_environment_and_opens_no_database(tmp_path):
    """The factory, not the import, reads DATABASE_URL: an import with a bad one works."""
    code = "import trainer.app, trainer.models, trainer.web; print('ok')"
    env = {
        "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
        "TRAINER_ENV": "production",
        "PATH": "/usr/bin:/bin",
    }
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=True,
    )
    assert out.stdout.strip() == "ok"
    assert not (tmp_path / "instance").exists()
