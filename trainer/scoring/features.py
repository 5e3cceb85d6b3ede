"""Feature vectors for the heads: reply meaning, its fit to the customer's message, text cues."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from trainer.scoring.encoder import Encoded, normalise_rows
from trainer.scoring.text import PreparedReply

#: Names of the hand-made cues appended to the embeddings (documented in the model card).
CUES = (
    "has_context",
    "stock_ratio",
    "question_ratio",
    "log_length",
    "sentence_count",
    "politeness",
)


@dataclass(frozen=True)
class ReplyVectors:
    """Pooled embeddings of one prepared reply: whole reply and each kept sentence."""

    reply: np.ndarray
    sentences: np.ndarray


def _overlaps(offsets: np.ndarray, spans: tuple[tuple[int, int], ...]) -> np.ndarray:
    hit = np.zeros(len(offsets), dtype=bool)
    for a, b in spans:
        hit |= (offsets[:, 0] < b) & (offsets[:, 1] > a)
    return hit


def reply_vectors(encoded: Encoded, row: int, prepared: PreparedReply) -> ReplyVectors:
    """Pool one reply's tokens into reply and sentence vectors, leaving out stock phrases.

    Sentences come from the same forward pass (their tokens pooled in context), so evidence costs
    no extra encoder call.
    """
    mask = encoded.mask[row].copy()
    offsets = encoded.offsets[row]
    real = (offsets[:, 1] > offsets[:, 0]) & (mask > 0)
    stock = _overlaps(offsets, prepared.stock_spans)
    weights = mask * ~stock
    if weights[real].sum() == 0:
        # Nothing but stock phrases: their meaning is all there is, so keep it.
        weights = mask
    tokens = encoded.tokens[row]
    reply = normalise_rows((weights @ tokens) / max(weights.sum(), 1e-9))
    rows = []
    for span in prepared.sentence_spans:
        inside = _overlaps(offsets, (span,)) & real
        w = inside * ~stock if (inside & ~stock).any() else inside
        if not w.any():
            # The sentence lies past the encoder's window.
            break
        rows.append(w.astype(np.float32) @ tokens / w.sum())
    sentences = normalise_rows(np.array(rows)) if rows else np.zeros((0, tokens.shape[1]))
    return ReplyVectors(reply, sentences)


def text_cues(
    text: str,
    stock_spans: tuple[tuple[int, int], ...],
    sentence_count: int,
    questions: int,
    polite: bool,
    has_context: bool,
) -> np.ndarray:
    stock_chars = sum(b - a for a, b in stock_spans)
    return np.array(
        [
            float(has_context),
            stock_chars / max(len(text), 1),
            questions / max(sentence_count, 1),
            math.log1p(len(text)) / 8.0,
            min(sentence_count, 10) / 10.0,
            float(polite),
        ],
        dtype=np.float64,
    )


def reply_cues(prepared: PreparedReply, has_context: bool) -> np.ndarray:
    sentences = prepared.sentences
    return text_cues(
        prepared.text,
        prepared.stock_spans,
        len(sentences),
        sum(s.rstrip().endswith("?") for s in sentences),
        prepared.polite,
        has_context,
    )


def sentence_cues(prepared: PreparedReply, has_context: bool) -> np.ndarray:
    rows = []
    for a, b in prepared.sentence_spans:
        inside = tuple(
            (max(x, a) - a, min(y, b) - a) for x, y in prepared.stock_spans if x < b and y > a
        )
        text = prepared.text[a:b]
        rows.append(
            text_cues(text, inside, 1, text.rstrip().endswith("?"), prepared.polite, has_context)
        )
    return np.array(rows).reshape(len(rows), len(CUES))


#: Relevance cues: how much closer the reply is to this customer's message than to other
#: customers' messages (a bank of messages stored with the model). Ranking against the bank makes
#: the check independent of the language's overall similarity scale.
RELEVANCE = ("relevance_margin", "relevance_rank")


@dataclass(frozen=True)
class Featurizer:
    """Builds the feature rows the heads read: [reply, reply * message, cosine, cues, relevance].

    ``bank`` holds (K, dim) embeddings of customer messages from the corpus.
    """

    bank: np.ndarray

    @property
    def dim(self) -> int:
        return int(self.bank.shape[1])

    @property
    def width(self) -> int:
        return 2 * self.dim + 1 + len(CUES) + len(RELEVANCE)

    def columns(self, part: str) -> np.ndarray:
        d, c = self.dim, len(CUES)
        spans = {
            "reply": (0, d),
            "product": (d, 2 * d),
            "cosine": (2 * d, 2 * d + 1),
            "cues": (2 * d + 1, 2 * d + 1 + c),
            "relevance": (2 * d + 1 + c, self.width),
        }
        a, b = spans[part]
        return np.arange(a, b)

    def __call__(
        self,
        reply: np.ndarray,
        context: np.ndarray | None,
        cues: np.ndarray,
        skip: np.ndarray | None = None,
    ) -> np.ndarray:
        """Rows for one or more reply vectors against one message (None: no message).

        ``skip`` masks bank entries that are this very message (training only).
        """
        reply = np.atleast_2d(reply)
        cues = np.atleast_2d(cues)
        if context is None:
            product = np.zeros_like(reply)
            cosine = np.zeros((len(reply), 1))
            relevance = np.zeros((len(reply), len(RELEVANCE)))
        else:
            product = reply * np.atleast_2d(context)
            cosine = product.sum(axis=1, keepdims=True)
            others = reply @ self.bank.T
            if skip is not None and skip.any():
                others = others[:, ~skip]
            margin = cosine[:, 0] - others.mean(axis=1)
            rank = (others < cosine).mean(axis=1)
            relevance = np.column_stack([margin, rank])
        return np.hstack([reply, product, cosine, cues, relevance]).astype(np.float64)
