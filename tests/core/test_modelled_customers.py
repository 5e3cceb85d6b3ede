"""Every modelled scenario, simulated over 20 seeds with the real scorer (issue acceptance).

Strong replies (the scenario's exemplars for what the customer is doing) resolve with falling
mood and CSAT >= 4; dismissive or blaming replies escalate with rising mood; keyword-stuffed
replies do not calm; a hostile conversation never has the furious customer apologise, thank, or
speak as the agent.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pytest

from trainer.core import simulator
from trainer.core.generative import _AGENT, _APOLOGY, _THANKS
from trainer.core.metrics import attempt_metrics
from trainer.core.scenario import load_scenario
from trainer.services.customers import signal_of

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
MODELLED = [
    p for p in sorted((ROOT / "scenarios").glob("*.yaml")) if load_scenario(p).mode == "model"
]
SEEDS = range(20)
SHARE = 0.9
HOSTILE = {
    "dismissive": {
        "en": "Calm down, it's not a big deal. There's nothing I can do, just wait like everyone.",
        "id": "Sabar aja Kak, gitu doang kok. Saya nggak bisa apa-apa, tunggu aja kayak yang lain.",
    },
    "blaming": {
        "en": "That's not my problem. You should have read the terms before complaining.",
        "id": "Itu bukan urusan kami ya, harusnya Kakak baca syarat dan ketentuannya dulu.",
    },
}
STUFFED = {
    "en": "I understand, I understand your frustration, I'm so sorry, I truly empathise, I hear "
    "you, I apologise for the inconvenience, I understand how you feel, I'm sorry.",
    "id": "Saya paham, saya sangat mengerti perasaan Kakak, mohon maaf, mohon maaf atas "
    "ketidaknyamanannya, saya turut prihatin, saya paham sekali, mohon maaf ya Kak.",
}
T0 = datetime(2026, 12, 6, tzinfo=UTC)


def test_there_are_enough_modelled_scenarios():
    languages = [load_scenario(p).language for p in MODELLED]
    assert len(MODELLED) >= 6 and languages.count("id") >= 2


@pytest.fixture(scope="module")
def score(scorer):
    @cache
    def cached(reply: str, context: str):
        return scorer.score(reply, context=context)

    return cached


@pytest.fixture(scope="module")
def banks(scorer):
    return {p: simulator.LineBank(load_scenario(p).model, scorer.embed) for p in MODELLED}


def simulate(path, seed, reply_for, score, banks):
    scenario = load_scenario(path)
    state, turn = simulator.start(scenario, seed)
    moods, lines = [turn.mood], [(turn.text, turn.mood)]
    while not state.done:
        reply = reply_for(scenario, state, seed)
        signal = signal_of(score(reply, turn.text))
        state, turn, _ = simulator.advance(scenario, state, reply, signal, seed, banks[path])
        moods.append(turn.mood)
        lines.append((turn.text, turn.mood))
    return state, moods, lines


def strong(scenario, state, seed):
    return simulator.exemplar_for(scenario, state.intent, seed + state.turns)


@pytest.mark.parametrize("path", MODELLED, ids=lambda p: p.stem)
def test_strong_replies_resolve_with_falling_mood_and_csat_4(path, score, banks):
    good = 0
    for seed in SEEDS:
        state, moods, _ = simulate(path, seed, strong, score, banks)
        csat = attempt_metrics(
            final_mood=moods[-1],
            outcome=state.outcome or "",
            repeats=0,
            turn_levels=[],
            started_at=T0,
            ended_at=T0,
        ).csat
        good += state.outcome == "resolved" and moods[-1] < moods[0] and csat >= 4
    assert good >= SHARE * len(SEEDS), f"{good}/{len(SEEDS)}"


@pytest.mark.parametrize("kind", sorted(HOSTILE))
@pytest.mark.parametrize("path", MODELLED, ids=lambda p: p.stem)
def test_hostile_replies_escalate_with_rising_mood(path, kind, score, banks):
    def hostile(scenario, state, seed):
        return HOSTILE[kind][scenario.language]

    escalated = 0
    for seed in SEEDS:
        state, moods, _ = simulate(path, seed, hostile, score, banks)
        escalated += state.outcome == "escalated" and moods[-1] >= moods[0]
    assert escalated >= SHARE * len(SEEDS), f"{escalated}/{len(SEEDS)}"


@pytest.mark.parametrize("path", MODELLED, ids=lambda p: p.stem)
def test_keyword_stuffing_does_not_calm(path, score, banks):
    def stuffed(scenario, state, seed):
        return STUFFED[scenario.language]

    for seed in SEEDS:
        state, moods, _ = simulate(path, seed, stuffed, score, banks)
        assert state.outcome != "resolved"
        assert min(moods) >= moods[0] - 1, moods  # at most the seeded swing, never calmed


def test_the_furious_customer_stays_in_character(score, banks):
    """At least 200 customer turns against hostile replies: no apology, thanks or agent talk."""
    said = []
    for path in MODELLED:
        for kind in sorted(HOSTILE):
            for seed in SEEDS:

                def hostile(scenario, state, seed, kind=kind):
                    return HOSTILE[kind][scenario.language]

                _, _, lines = simulate(path, seed, hostile, score, banks)
                said.extend(lines[1:])
    furious = [text for text, mood in said if mood >= 7]
    assert len(said) >= 200
    broken = [t for t in furious if _APOLOGY.search(t) or _THANKS.search(t) or _AGENT.search(t)]
    assert broken == []
