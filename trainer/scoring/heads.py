"""Trained linear heads with Platt calibration, evaluated in numpy (no sklearn at score time)."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


@dataclass(frozen=True)
class LinearHead:
    """A standardised logistic regression: binary (one row of weights) or over levels 0-3.

    ``calibration`` (a, b) maps the raw probability of "present" (binary: the positive class;
    levels: level >= 2) to a calibrated one, sigmoid(a * logit(raw) + b), fitted on
    out-of-fold predictions.
    """

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    calibration: tuple[float, float] = (1.0, 0.0)

    @property
    def levels(self) -> bool:
        return self.coef.shape[0] > 1

    def level_probabilities(self, x: np.ndarray) -> np.ndarray:
        """(n, 4) probabilities of levels 0-3 (level heads only)."""
        z = ((x - self.mean) / self.scale) @ self.coef.T + self.intercept
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def raw(self, x: np.ndarray) -> np.ndarray:
        """Uncalibrated probability of "present" for each row of ``x``."""
        if self.levels:
            return self.level_probabilities(x)[:, 2:].sum(axis=1)
        z = ((x - self.mean) / self.scale) @ self.coef[0] + self.intercept[0]
        return sigmoid(z)

    def calibrate(self, raw: np.ndarray) -> np.ndarray:
        a, b = self.calibration
        return sigmoid(a * logit(raw) + b)

    def probability(self, x: np.ndarray) -> np.ndarray:
        return self.calibrate(self.raw(x))


BANK = "relevance_bank"


def save_heads(path: Path, heads: dict[str, LinearHead], bank: np.ndarray) -> None:
    """Write the heads and the relevance bank as plain arrays."""
    arrays: dict[str, np.ndarray] = {BANK: bank}
    for name, head in heads.items():
        arrays[f"{name}.mean"] = head.mean
        arrays[f"{name}.scale"] = head.scale
        arrays[f"{name}.coef"] = head.coef
        arrays[f"{name}.intercept"] = head.intercept
        arrays[f"{name}.calibration"] = np.array(head.calibration)
    # Plain arrays, no pickles: a model file must not be able to run code. A fixed timestamp
    # per entry keeps retraining on the same data byte-identical (np.savez stamps the clock).
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(arrays):
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w") as entry:
                np.lib.format.write_array(entry, np.ascontiguousarray(arrays[name]))


def load_heads(path: Path) -> tuple[dict[str, LinearHead], np.ndarray]:
    """The heads and the relevance bank written by save_heads."""
    with np.load(path, allow_pickle=False) as data:
        names = sorted({key.rsplit(".", 1)[0] for key in data.files if key != BANK})
        heads = {
            name: LinearHead(
                mean=data[f"{name}.mean"],
                scale=data[f"{name}.scale"],
                coef=data[f"{name}.coef"],
                intercept=data[f"{name}.intercept"],
                calibration=tuple(float(v) for v in data[f"{name}.calibration"]),
            )
            for name in names
        }
        return heads, data[BANK]
