"""The rule from dimension levels and flags to the service ladder."""

from __future__ import annotations

import numpy as np
import pytest

from trainer.scoring.ladder import judge, next_step, service_level


def levels(e, v, s):
    return {"empathy": e, "validation": v, "solution": s}


@pytest.mark.parametrize(
    ("dims", "flags", "courtesy", "expected"),
    [
        (levels(3, 2, 3), [], False, 4),
        (levels(3, 3, 2), [], False, 3),
        (levels(2, 2, 2), [], False, 3),
        (levels(2, 1, 3), [], False, 2),
        (levels(0, 0, 2), [], True, 2),
        (levels(0, 0, 3), [], False, 1),
        (levels(0, 0, 0), [], True, 1),
        (levels(3, 3, 3), ["blame"], False, 0),
        (levels(3, 3, 3), ["ping_pong"], False, 0),
        (levels(1, 1, 1), ["stuffing"], True, 1),
        (levels(3, 3, 3), ["jargon"], False, 2),
        (levels(3, 3, 3), ["overpromise"], False, 2),
        (levels(3, 3, 3), ["injection", "truncated"], False, 4),
    ],
)
def test_service_level_rule(rubric, dims, flags, courtesy, expected):
    assert service_level(dims, flags, courtesy, rubric) == expected


def _probabilities(level):
    p = np.full(4, 0.05)
    p[level] = 0.85
    return p


def test_raised_flag_caps_probability_and_level(rubric):
    verdict = judge(
        {d: _probabilities(3) for d in ("empathy", "validation", "solution")},
        {"empathy": 0.9, "validation": 0.9, "solution": 0.9},
        {"stuffing": 0.8, "blame": 0.1},
        [],
        True,
        rubric,
    )
    assert verdict.flags == ["stuffing"]
    assert verdict.probabilities["empathy"] == pytest.approx(0.2)
    assert verdict.levels["empathy"] <= 1 and not verdict.present["empathy"]
    assert verdict.levels["solution"] == 3 and verdict.present["solution"]
    assert verdict.service_level == 1


def test_off_context_takes_the_solution_not_the_feeling(rubric):
    """An off-context reply earns no solution credit and no service level; its empathy and
    validation are left to their own heads, which read its fit to the message themselves."""
    verdict = judge(
        {d: _probabilities(3) for d in ("empathy", "validation", "solution")},
        {"empathy": 0.9, "validation": 0.9, "solution": 0.9},
        {"off_context": 0.7},
        [],
        True,
        rubric,
    )
    assert verdict.flags == ["off_context"]
    assert verdict.probabilities["solution"] == pytest.approx(0.3)
    assert verdict.levels["solution"] <= 1 and not verdict.present["solution"]
    assert verdict.present["empathy"] and verdict.present["validation"]
    assert verdict.service_level == 0


def test_present_always_agrees_with_level(rubric):
    rng = np.random.default_rng(0)
    for _ in range(200):
        verdict = judge(
            {d: rng.dirichlet(np.ones(4)) for d in ("empathy", "validation", "solution")},
            {d: float(rng.random()) for d in ("empathy", "validation", "solution")},
            {f: float(rng.random()) for f in ("stuffing", "off_context", "dismissive")},
            [],
            bool(rng.integers(2)),
            rubric,
        )
        for d, present in verdict.present.items():
            assert present == (verdict.levels[d] >= 2) == (verdict.probabilities[d] >= 0.5)


@pytest.mark.parametrize("flags", [[], ["blame"], ["stuffing"], ["jargon"], ["injection"]])
def test_the_next_step_is_what_the_rule_asks_for(rubric, flags):
    # Every combination of levels: meeting what the step names reaches the next level, and it
    # names only what is below it.
    for e, v, s in np.ndindex(4, 4, 4):
        dims = levels(int(e), int(v), int(s))
        level = service_level(dims, flags, False, rubric)
        step = next_step(dims, flags, level, rubric)
        if level == 4:
            assert step is None
            continue
        assert step.level == level + 1
        assert all(dims[d] < n for d, n in step.needs.items())
        met = dict(dims)
        for d, n in list(step.needs.items())[: 1 if step.either else None]:
            met[d] = n
        kept = [f for f in flags if f not in step.held_by]
        assert service_level(met, kept, False, rubric) >= step.level, (dims, flags, step)


def test_a_flag_that_caps_the_level_holds_it(rubric):
    step = next_step(levels(3, 3, 3), ["blame", "injection"], 0, rubric)
    assert step.held_by == ["blame"] and step.needs == {}
    step = next_step(levels(2, 2, 3), [], 3, rubric)
    assert step.level == 4 and step.needs == {"empathy": 3} and not step.either
    step = next_step(levels(1, 0, 2), [], 1, rubric)
    assert step.needs == {"empathy": 2, "validation": 2} and step.either
