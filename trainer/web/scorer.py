"""The app's scorer, rubric and simulated customers, built once per process and kept on the app."""

from __future__ import annotations

from flask import current_app

from trainer.core.exemplars import ExemplarReport
from trainer.core.scenario import Scenario
from trainer.scoring.rubric import Rubric, load_rubric
from trainer.services.customers import PracticeKit
from trainer.services.exemplars import exemplar_report as report_of
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


#: Exemplar reports kept per process; each costs a second or a few of scoring.
EXEMPLAR_REPORTS_KEPT = 64


def exemplar_report(scenario: Scenario) -> ExemplarReport:
    """The scenario's exemplars checked by the loaded model. Kept by content until the model
    changes, so a draft checked in the editor is not checked again once saved as a version."""
    reports = current_app.extensions.setdefault("trainer.exemplar_reports", {})
    key = (scenario.content_hash(), provider().get().model_version)
    if key not in reports:
        if len(reports) >= EXEMPLAR_REPORTS_KEPT:
            # Oldest first; list() takes the keys at once while other threads serve.
            reports.pop(next(iter(list(reports))), None)
        bank = (
            current_app.extensions["trainer.customers"].bank(scenario) if scenario.model else None
        )
        reports[key] = report_of(scenario, provider(), bank)
    return reports[key]
