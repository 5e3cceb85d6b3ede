"""Trained linear heads with Platt calibration, evaluated in numpy (no sklearn at score time)."""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from trainer.scoring.lexical import LexicalModel


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
    out-of-fold predictions. A model with a lexical channel stacks the lexical head's raw
    probability in as well: (a, b, c) gives sigmoid(a * logit(raw) + b + c * logit(lexical)).
    """

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    calibration: tuple[float, ...] = (1.0, 0.0)

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

    @property
    def stacked(self) -> bool:
        """Whether the calibration reads the lexical head's verdict too."""
        return len(self.calibration) == 3

    def calibrate(self, raw: np.ndarray, lexical: np.ndarray | None = None) -> np.ndarray:
        a, b, *c = self.calibration
        z = a * logit(raw) + b
        if c:
            if lexical is None:
                raise ValueError("this head is stacked with a lexical head: pass its verdict")
            z = z + c[0] * logit(lexical)
        return sigmoid(z)

    def probability(self, x: np.ndarray, lexical: np.ndarray | None = None) -> np.ndarray:
        return self.calibrate(self.raw(x), lexical)


#: The second off-context judge: it reads the reply's own vector beside its relevance to the
#: message, so it knows what a reply that ignores the complaint looks like, while the
#: ``off_context`` head knows only how close reply and message are. Each alone raises many false
#: flags, on different replies; a model that has both raises the flag only when both agree.
OFF_CONTEXT_REPLY = "off_context_reply"


def off_context_agreed(flags: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The learned flags' probabilities from their heads' (``flags`` keyed by head name):
    off-context is as likely as the less convinced of its two judges, where the model has two."""
    flags = dict(flags)
    second = flags.pop(OFF_CONTEXT_REPLY, None)
    if second is not None:
        flags["off_context"] = np.minimum(flags["off_context"], second)
    return flags


BANK = "relevance_bank"
#: The lexical channel's arrays: its terms (UTF-8, one per line), their idf, the head names
#: (one per line) and a row of weights and an intercept per head.
LEXICAL = ("lexical.terms", "lexical.idf", "lexical.names", "lexical.coef", "lexical.intercept")


def _utf8_lines(lines: Sequence[str]) -> np.ndarray:
    return np.frombuffer("\n".join(lines).encode("utf-8"), dtype=np.uint8)


def _from_utf8_lines(array: np.ndarray) -> list[str]:
    return array.tobytes().decode("utf-8").split("\n")


def save_heads(
    path: Path,
    heads: dict[str, LinearHead],
    bank: np.ndarray,
    lexical: LexicalModel | None = None,
) -> None:
    """Write the heads, the relevance bank and the lexical channel as plain arrays."""
    arrays: dict[str, np.ndarray] = {BANK: bank}
    for name, head in heads.items():
        arrays[f"{name}.mean"] = head.mean
        arrays[f"{name}.scale"] = head.scale
        arrays[f"{name}.coef"] = head.coef
        arrays[f"{name}.intercept"] = head.intercept
        arrays[f"{name}.calibration"] = np.array(head.calibration)
    if lexical is not None:
        # Single precision halves the largest arrays; the verdicts move by less than 1e-6.
        values = (
            _utf8_lines(lexical.vocabulary.terms),
            lexical.vocabulary.idf.astype(np.float32),
            _utf8_lines(lexical.names),
            lexical.coef.astype(np.float32),
            lexical.intercept,
        )
        arrays.update(zip(LEXICAL, values, strict=True))
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
        own = {BANK, *LEXICAL}
        names = sorted({key.rsplit(".", 1)[0] for key in data.files if key not in own})
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


def load_lexical(path: Path) -> LexicalModel | None:
    """The lexical channel written by save_heads (None for a model without one)."""
    from trainer.scoring.lexical import LexicalModel, Vocabulary

    with np.load(path, allow_pickle=False) as data:
        if LEXICAL[0] not in data.files:
            return None
        terms, idf, names, coef, intercept = (data[key] for key in LEXICAL)
        return LexicalModel(
            vocabulary=Vocabulary(_from_utf8_lines(terms), idf),
            names=tuple(_from_utf8_lines(names)),
            coef=coef,
            intercept=intercept,
        )
