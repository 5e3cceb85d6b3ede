"""Metrics agree with scikit-learn's."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import (
    cohen_kappa_score,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
)

from trainer.scoring.metrics import agreement, binary_report, quadratic_kappa, roc_auc


def test_binary_report_matches_sklearn():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 200)
    p = np.where(rng.random(200) < 0.7, y, 1 - y)
    report = binary_report(y, p)
    assert report["precision"] == pytest.approx(precision_score(y, p), abs=1e-4)
    assert report["recall"] == pytest.approx(recall_score(y, p), abs=1e-4)
    assert report["f1"] == pytest.approx(f1_score(y, p), abs=1e-4)
    assert report["macro_f1"] == pytest.approx(f1_score(y, p, average="macro"), abs=1e-4)
    assert report["support"] == int(y.sum())


def test_quadratic_kappa_matches_sklearn():
    y = [0, 1, 2, 3, 4, 2, 1, 0, 4, 3, 2, 2]
    p = [0, 2, 2, 3, 3, 1, 1, 0, 4, 4, 2, 3]
    expected = cohen_kappa_score(y, p, weights="quadratic", labels=[0, 1, 2, 3, 4])
    assert quadratic_kappa(y, p, 5) == pytest.approx(expected)


def test_agreement_counts_exact_and_within_one():
    result = agreement([0, 1, 2, 3], [0, 2, 0, 3], 4)
    assert result["exact"] == 0.5
    assert result["within_one"] == 0.75
    assert result["n"] == 4


def test_roc_auc_matches_sklearn_with_ties():
    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, 300)
    # Rounded scores tie often, which is where a rank-based AUC goes wrong if ties are mishandled.
    score = np.round(0.3 * y + rng.random(300), 1)
    assert roc_auc(y, score) == pytest.approx(roc_auc_score(y, score), abs=1e-4)


def test_roc_auc_is_none_without_both_classes():
    assert roc_auc([1, 1, 1], [0.2, 0.5, 0.9]) is None
    assert roc_auc([0, 1], [0.1, 0.9]) == 1.0
