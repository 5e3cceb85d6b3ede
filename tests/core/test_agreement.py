"""Kappa as scikit-learn computes it, on fixed examples."""

from __future__ import annotations

import pytest
from sklearn.metrics import cohen_kappa_score

from trainer.core.agreement import agreement, weighted_kappa

MACHINE = [0, 1, 2, 3, 2, 2, 1, 0, 3, 3, 2, 1]
TRAINER = [0, 2, 2, 3, 1, 2, 1, 1, 3, 2, 2, 0]


def test_quadratic_kappa_matches_scikit_learn():
    expected = cohen_kappa_score(MACHINE, TRAINER, weights="quadratic")
    assert weighted_kappa(MACHINE, TRAINER, 4) == pytest.approx(expected, abs=1e-12)


def test_service_levels_0_to_4():
    a, b = [0, 1, 2, 3, 4, 4, 3, 2], [0, 1, 3, 3, 4, 2, 3, 1]
    assert weighted_kappa(a, b, 5) == pytest.approx(cohen_kappa_score(a, b, weights="quadratic"))


def test_percent_and_counts():
    result = agreement(MACHINE, TRAINER, 4)
    assert result.n == 12
    assert result.percent == round(7 / 12, 4)


def test_undefined_cases():
    assert agreement([], [], 4).kappa is None
    assert agreement([2], [1], 4).kappa is None
    assert agreement([2, 2], [2, 2], 4).kappa is None
    assert agreement([2, 2], [2, 2], 4).percent == 1.0
