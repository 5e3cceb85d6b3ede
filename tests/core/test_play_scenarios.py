"""Every committed scenario, played with the real scorer: exemplars resolve, hostility escalates."""

from __future__ import annotations

from pathlib import Path

import pytest

from trainer.core.engine import Verdict, advance, start
from trainer.core.scenario import load_scenario
from trainer.services.scoring import verdict_of

pytestmark = pytest.mark.slow

SCENARIOS = [
    p
    for p in sorted((Path(__file__).resolve().parents[2] / "scenarios").glob("*.yaml"))
    if load_scenario(p).mode == "scripted"
]
HOSTILE = {
    "en": "That's not my problem. You should have read the terms before complaining.",
    "id": "Itu bukan urusan kami ya, harusnya Bapak baca syarat dan ketentuannya dulu.",
}


def verdict(scorer, reply: str, context: str) -> Verdict:
    return verdict_of(scorer.score(reply, context=context))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_exemplars_resolve_at_service_level_3(scorer, path):
    scenario = load_scenario(path)
    state, turn = start(scenario)
    levels = []
    while not state.done and state.turns < 12:
        exemplar = scenario.script.nodes[state.node].exemplars[0]
        v = verdict(scorer, exemplar, turn.text)
        levels.append(v.service_level)
        state, turn = advance(scenario, state, v)
    assert state.outcome == "resolved", state.path
    assert min(levels) >= 3, levels
    assert state.turns >= 4


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_hostile_replies_escalate(scorer, path):
    scenario = load_scenario(path)
    state, turn = start(scenario)
    while not state.done and state.turns < 12:
        v = verdict(scorer, HOSTILE[scenario.language], turn.text)
        assert v.service_level <= 1
        state, turn = advance(scenario, state, v)
    assert state.outcome == "escalated", state.path


def test_the_exemplar_check_finds_the_shipped_exemplars_sound(scorer):
    """The studio's check with the real scorer: every scripted scenario, and a modelled one played
    with its exemplars (the others are played over 20 seeds in test_modelled_customers)."""
    from trainer.services.exemplars import exemplar_report
    from trainer.services.scoring import ScorerProvider

    provider = ScorerProvider(lambda: scorer)
    modelled = SCENARIOS[0].parent / "bank-double-charge-rent.yaml"
    for path in [*SCENARIOS, modelled]:
        report = exemplar_report(load_scenario(path), provider)
        assert report.sound, (path.stem, report.faulty, report.walk, report.plays)
    assert report.plays is not None and report.plays.enough
