"""The app's scorer, rubric and simulated customers, built once per process and kept on the app."""

from __future__ import annotations

from flask import current_app

from trainer.scoring.rubric import Rubric, load_rubric
from trainer.services.customers import PracticeKit
from trainer.services.scoring import ScorerProvider


def provider() -> ScorerProvider:
    return current_app.extensions["trainer.scorer"]


def rubric() -> Rubric:
    cached = current_app.extensions.get("trainer.rubric")
    if cached is None:
        cached = current_app.extensions["trainer.rubric"] = load_rubric()
    return cached


def kit() -> PracticeKit:
    return PracticeKit(provider(), rubric(), current_app.extensions["trainer.customers"])
