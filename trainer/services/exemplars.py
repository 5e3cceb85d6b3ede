"""A scenario's exemplars read by the scorer, and a modelled customer played with them."""

from __future__ import annotations

from dataclasses import replace
from functools import cache

from trainer.core import simulator
from trainer.core.exemplars import ExemplarReport, check_exemplars, play_exemplars
from trainer.core.scenario import Scenario
from trainer.services.customers import signal_of
from trainer.services.scoring import ScorerProvider


def exemplar_report(
    scenario: Scenario, scorer: ScorerProvider, bank: simulator.LineBank | None = None
) -> ExemplarReport:
    """Every exemplar checked; a modelled scenario is also played with them, seed by seed (with
    the practice loop's line bank when given, else one embedded here)."""
    report = check_exemplars(scenario, scorer.judge)
    if scenario.mode != "model" or any(c.verdict is None for c in report.exemplars):
        return report  # a play would stop on the exemplar the scorer refuses
    if bank is None:
        bank = simulator.LineBank(scenario.model, getattr(scorer.get(), "embed", None))

    @cache  # plays with other seeds meet the same exemplar and line again
    def listen(reply: str, line: str) -> simulator.Signal:
        return signal_of(scorer.score(reply, line))

    return replace(report, plays=play_exemplars(scenario, listen, bank))
