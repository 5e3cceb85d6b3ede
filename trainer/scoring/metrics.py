"""Classification and agreement metrics (plain numpy; checked against scikit-learn in tests)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def binary_report(y_true: Sequence[int], y_pred: Sequence[int]) -> dict[str, float | int]:
    """Precision, recall and F1 of the positive class, support, accuracy, and macro-F1."""
    y = np.asarray(y_true, dtype=int)
    p = np.asarray(y_pred, dtype=int)
    tp = int(((y == 1) & (p == 1)).sum())
    fp = int(((y == 0) & (p == 1)).sum())
    fn = int(((y == 1) & (p == 0)).sum())
    tn = int(((y == 0) & (p == 0)).sum())
    precision, recall, f1 = _f1(tp, fp, fn)
    _, _, f1_negative = _f1(tn, fn, fp)
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "macro_f1": round((f1 + f1_negative) / 2, 4),
        "accuracy": round((tp + tn) / len(y), 4) if len(y) else 0.0,
        "support": int(y.sum()),
        "n": len(y),
    }


def roc_auc(y_true: Sequence[int], score: Sequence[float]) -> float | None:
    """Area under the ROC curve: the chance that a random positive scores above a random
    negative (ties count half); None when one class is missing."""
    y = np.asarray(y_true, dtype=int)
    s = np.asarray(score, dtype=float)
    positives = int(y.sum())
    negatives = len(y) - positives
    if not positives or not negatives:
        return None
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s))
    ranks[order] = np.arange(1, len(s) + 1)
    # Tied scores share the mean of their ranks.
    _, inverse, counts = np.unique(s, return_inverse=True, return_counts=True)
    sums = np.zeros(len(counts))
    np.add.at(sums, inverse, ranks)
    ranks = (sums / counts)[inverse]
    u = ranks[y == 1].sum() - positives * (positives + 1) / 2
    return round(float(u / (positives * negatives)), 4)


def quadratic_kappa(y_true: Sequence[int], y_pred: Sequence[int], categories: int) -> float:
    """Cohen's kappa with quadratic weights over ordinal categories 0..categories-1."""
    y = np.asarray(y_true, dtype=int)
    p = np.asarray(y_pred, dtype=int)
    if not len(y):
        return 0.0
    observed = np.zeros((categories, categories))
    np.add.at(observed, (y, p), 1)
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / len(y)
    grid = np.arange(categories)
    weights = (grid[:, None] - grid[None, :]) ** 2 / (categories - 1) ** 2
    denominator = (weights * expected).sum()
    if denominator == 0:
        return 1.0
    return float(1 - (weights * observed).sum() / denominator)


def agreement(y_true: Sequence[int], y_pred: Sequence[int], categories: int) -> dict[str, float]:
    """Exact and within-one agreement and quadratic weighted kappa of two ordinal labellings."""
    y = np.asarray(y_true, dtype=int)
    p = np.asarray(y_pred, dtype=int)
    n = len(y)
    return {
        "exact": round(float((y == p).mean()), 4) if n else 0.0,
        "within_one": round(float((abs(y - p) <= 1).mean()), 4) if n else 0.0,
        "quadratic_kappa": round(quadratic_kappa(y, p, categories), 4),
        "n": n,
    }
