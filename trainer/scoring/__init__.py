"""The local rubric scorer: ``load_scorer().score(reply, context="")``."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trainer.scoring.scorer import DimensionScore, Scorer, ScoreResult

__all__ = [
    "DimensionScore",
    "ReplyError",
    "ScoreResult",
    "Scorer",
    "load_scorer",
    "model_directory",
]

_lock = threading.Lock()
_loaded: dict[Path, Scorer] = {}


def load_scorer(model_dir: Path | str | None = None) -> Scorer:
    """The scorer for ``model_dir`` (default: $TRAINER_MODEL_DIR, else ``models/``), loaded once
    per process: the encoder and heads are read on the first call and shared afterwards."""
    from trainer.scoring.scorer import read_model

    directory = model_directory(model_dir)
    with _lock:
        if directory not in _loaded:
            _loaded[directory] = read_model(directory)
        return _loaded[directory]


def default_model_dir() -> Path:
    """``models/`` at the top of the source tree this package runs from."""
    return Path(__file__).resolve().parents[2] / "models"


def model_directory(model_dir: Path | str | None = None) -> Path:
    """The model folder: ``model_dir``, else $TRAINER_MODEL_DIR, else ``default_model_dir()``."""
    if model_dir is None:
        model_dir = os.environ.get("TRAINER_MODEL_DIR") or default_model_dir()
    return Path(model_dir).resolve()


def __getattr__(name: str):
    # The result types live beside torch-free code, but keep `import trainer.scoring` light anyway.
    if name in {"DimensionScore", "Scorer", "ScoreResult"}:
        from trainer.scoring import scorer

        return getattr(scorer, name)
    if name == "ReplyError":
        from trainer.scoring.text import ReplyError

        return ReplyError
    raise AttributeError(name)
