"""Machine-vs-trainer agreement: quadratic weighted Cohen kappa for ordinal levels, % agreement."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Agreement:
    n: int
    #: Share of pairs where machine and trainer gave the same level.
    percent: float | None
    #: Quadratic weighted kappa; None when undefined (fewer than two pairs, or no variation).
    kappa: float | None

    def to_dict(self) -> dict:
        return asdict(self)


def weighted_kappa(a: Sequence[int], b: Sequence[int], levels: int) -> float | None:
    """Cohen's kappa with quadratic weights over levels 0..levels-1 (scikit-learn's definition)."""
    if len(a) != len(b):
        raise ValueError("the two raters must rate the same items")
    n = len(a)
    if n == 0:
        return None
    observed = [[0.0] * levels for _ in range(levels)]
    for x, y in zip(a, b, strict=True):
        observed[x][y] += 1
    rows = [sum(r) for r in observed]
    cols = [sum(observed[i][j] for i in range(levels)) for j in range(levels)]
    weight = [[(i - j) ** 2 for j in range(levels)] for i in range(levels)]
    disagree_observed = sum(
        weight[i][j] * observed[i][j] for i in range(levels) for j in range(levels)
    )
    disagree_expected = sum(
        weight[i][j] * rows[i] * cols[j] / n for i in range(levels) for j in range(levels)
    )
    if disagree_expected == 0:
        return None
    return 1 - disagree_observed / disagree_expected


def agreement(machine: Sequence[int], trainer: Sequence[int], levels: int) -> Agreement:
    n = len(machine)
    same = sum(x == y for x, y in zip(machine, trainer, strict=True))
    # One pair has no variation to measure chance against: sklearn's formula gives 0 there.
    kappa = weighted_kappa(machine, trainer, levels) if n >= 2 else None
    return Agreement(
        n=n,
        percent=round(same / n, 4) if n else None,
        kappa=round(kappa, 4) if kappa is not None else None,
    )
