"""The scripted engine: branches on the verdict, patience, mood, outcomes."""

from __future__ import annotations

from pathlib import Path

import pytest

from trainer.core.engine import MAX_TURNS, Verdict, advance, matches, start
from trainer.core.scenario import Condition, load_scenario

ROOT = Path(__file__).resolve().parents[2]

GOOD = Verdict({"empathy": 3, "validation": 3, "solution": 3}, frozenset(), 4)
FLAT = Verdict({"empathy": 0, "validation": 0, "solution": 2}, frozenset(), 1)
BLAME = Verdict({"empathy": 0, "validation": 0, "solution": 0}, frozenset({"blame"}), 0)


def test_opening_line(demo_scenario):
    state, turn = start(demo_scenario)
    assert turn.text == "Third day without internet!"
    assert turn.mood == 9 and not state.done


def test_good_reply_resolves(demo_scenario):
    state, _ = start(demo_scenario)
    state, turn = advance(demo_scenario, state, GOOD)
    assert state.done and state.outcome == "resolved"
    assert turn.text == "Thank you." and turn.mood == 3
    assert state.path == ("opening", "resolved")


def test_blame_escalates(demo_scenario):
    state, _ = start(demo_scenario)
    state, turn = advance(demo_scenario, state, BLAME)
    assert state.outcome == "escalated" and turn.mood == 10


def test_non_answers_spend_patience_then_escalate(demo_scenario):
    state, _ = start(demo_scenario)
    moods = []
    while not state.done:
        state, turn = advance(demo_scenario, state, FLAT)
        moods.append(turn.mood)
    assert state.outcome == "escalated"
    assert state.turns == demo_scenario.customer.patience
    assert moods[:-1] == [10, 10]  # pressing raises the mood, capped at 10


def test_no_reply_after_the_end(demo_scenario):
    state, _ = start(demo_scenario)
    state, _ = advance(demo_scenario, state, GOOD)
    with pytest.raises(ValueError, match="over"):
        advance(demo_scenario, state, GOOD)


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({}, True),
        ({"min": {"validation": 2}}, True),
        ({"min": {"validation": 2, "solution": 3}}, False),
        ({"max": {"service_level": 1}}, True),
        ({"max": {"empathy": 0}, "min": {"solution": 2}}, True),
        ({"flags_any": ["blame"]}, False),
        ({"flags_any": ["jargon", "overpromise"]}, True),
    ],
)
def test_conditions(condition, expected):
    verdict = Verdict({"empathy": 0, "validation": 2, "solution": 2}, frozenset({"jargon"}), 1)
    assert matches(Condition.model_validate(condition), verdict) is expected


def _verdict_for(condition: Condition) -> Verdict:
    """A verdict that meets ``condition`` (levels at its minimums, or at its maximums)."""
    low = condition.min.model_dump(exclude_none=True) if condition.min else {}
    high = condition.max.model_dump(exclude_none=True) if condition.max else {}
    levels = {d: low.get(d, min(high.get(d, 0), 3)) for d in ("empathy", "validation", "solution")}
    service = low.get("service_level", high.get("service_level", 0))
    return Verdict(levels, frozenset(condition.flags_any[:1]), service)


def _longest_open_call(scenario) -> list[str]:
    """The longest path of replies that leaves the call open, searched over one verdict per
    branch in the scenario (each branch's way in) and a reply that meets no branch."""
    verdicts = [
        _verdict_for(b.when) for node in scenario.script.nodes.values() for b in node.branches
    ]
    verdicts.append(Verdict({"empathy": 0, "validation": 0, "solution": 0}))
    longest: list[str] = []
    seen = set()

    def walk(state) -> None:
        nonlocal longest
        if len(state.path) > len(longest):
            longest = list(state.path)
        if state.turns > MAX_TURNS or (state.node, state.presses, state.turns) in seen:
            return
        seen.add((state.node, state.presses, state.turns))
        for verdict in verdicts:
            after, _ = advance(scenario, state, verdict)
            if not after.done:
                walk(after)

    walk(start(scenario)[0])
    return longest


SCRIPTED = [
    scenario
    for scenario in (load_scenario(p) for p in sorted((ROOT / "scenarios").glob("*.yaml")))
    if scenario.mode == "scripted"
]


@pytest.mark.parametrize("scenario", SCRIPTED, ids=lambda s: s.id)
def test_every_call_ends_within_the_turn_limit(scenario):
    # The node graphs have cycles (calmer, angrier, calmer...): replies that alternate could keep
    # a call open for ever without the cap.
    path = _longest_open_call(scenario)
    assert len(path) - 1 < MAX_TURNS, path
