"""Attempt metrics from the simulated customer (CSAT, NPS, CES, FCR, handle time, level)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from trainer.core.metrics import attempt_metrics, attempt_service_level, nps_category

T0 = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def metrics(**kwargs):
    defaults = {
        "final_mood": 2,
        "outcome": "resolved",
        "repeats": 0,
        "turn_levels": [3, 3, 4],
        "started_at": T0,
        "ended_at": T0 + timedelta(seconds=125),
    }
    return attempt_metrics(**{**defaults, **kwargs})


def test_a_calm_resolved_customer():
    m = metrics()
    assert (m.csat, m.nps, m.nps_category, m.ces, m.fcr, m.escalated) == (
        4,
        8,
        "passive",
        1,
        True,
        False,
    )
    assert m.handle_seconds == 125
    assert m.agent_turns == 3
    assert m.service_level == 3


def test_an_escalated_customer_is_capped():
    m = metrics(final_mood=1, outcome="escalated", repeats=2, turn_levels=[3, 3, 3])
    assert m.csat <= 2 and m.nps <= 6 and m.nps_category == "detractor"
    assert m.ces == 4
    assert not m.fcr
    assert m.service_level == 1


@pytest.mark.parametrize(("mood", "csat"), [(0, 5), (2, 4), (4, 3), (6, 2), (9, 1), (10, 1)])
def test_csat_falls_with_mood(mood, csat):
    assert metrics(final_mood=mood).csat == csat


@pytest.mark.parametrize(
    ("score", "category"),
    [
        (10, "promoter"),
        (9, "promoter"),
        (8, "passive"),
        (7, "passive"),
        (6, "detractor"),
        (0, "detractor"),
    ],
)
def test_nps_category(score, category):
    assert nps_category(score) == category


def test_ces_is_capped_at_seven():
    assert metrics(repeats=12, outcome="escalated").ces == 7


@pytest.mark.parametrize(("levels", "outcome", "expected"), [
    ([], "resolved", None), ([4], "resolved", 4), ([1, 4], "resolved", 1),
    ([0, 3, 4], "resolved", 3), ([2, 3, 3, 4], "resolved", 3), ([4, 4, 4], "escalated", 1),
    ([0, 0], "abandoned", 0),
])  # fmt: skip
def test_attempt_level_is_the_lower_median(levels, outcome, expected):
    assert attempt_service_level(levels, outcome) == expected


def test_mood_out_of_range():
    with pytest.raises(ValueError, match="mood"):
        metrics(final_mood=11)
