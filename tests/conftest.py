"""Shared fixtures: the real scorer is loaded once per test session (it is the slow part)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_EVAL = ROOT.parent / "shared" / "eval"


@pytest.fixture(scope="session")
def scorer():
    from trainer.scoring import load_scorer

    return load_scorer()


@pytest.fixture(scope="session")
def rubric():
    from trainer.scoring.rubric import load_rubric

    return load_rubric()
