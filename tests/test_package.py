"""Importing the package has no side effects: no torch, no environment reads."""

from __future__ import annotations

import subprocess
import sys


def test_import_is_light():
    code = (
        "import sys, trainer, trainer.scoring, trainer.cli, trainer.scoring.scorer;"
        "heavy = {'torch', 'transformers', 'sklearn'} & set(sys.modules);"
        "print(sorted(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
