"""The scripted engine: branches on the verdict, patience, mood, outcomes."""

from __future__ import annotations

import pytest

from trainer.core.engine import Verdict, advance, matches, start
from trainer.core.scenario import Condition

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
