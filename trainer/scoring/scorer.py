"""The rubric scorer: one encoder pass per reply, trained heads, evidence, flags, service level."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from trainer.scoring.card import read_card
from trainer.scoring.encoder import Encoder
from trainer.scoring.features import Featurizer, reply_cues, reply_vectors, sentence_cues
from trainer.scoring.heads import (
    OFF_CONTEXT_REPLY,
    LinearHead,
    load_heads,
    load_lexical,
    off_context_agreed,
)
from trainer.scoring.ladder import PRESENT_THRESHOLD, Judgement, judge
from trainer.scoring.lexical import LexicalModel, lexical_text
from trainer.scoring.rubric import DIMENSIONS, LEARNED_FLAGS, Rubric
from trainer.scoring.text import (
    LONE_SURROGATE,
    PreparedReply,
    by_length,
    check_reply,
    judges_off_context,
    prepare,
    readable_context,
)

#: Texts encoded per forward pass in score_many.
BATCH_SIZE = 64
#: At most this many evidence sentences per dimension.
MAX_EVIDENCE = 3


@dataclass(frozen=True)
class DimensionScore:
    """One rubric dimension of one reply."""

    probability: float
    level: int
    present: bool
    evidence: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "probability": round(self.probability, 4),
            "level": self.level,
            "present": self.present,
            "evidence": list(self.evidence),
        }


@dataclass(frozen=True)
class ScoreResult:
    """The score of one reply; ``to_dict()`` is what the API and ``trainer score --json`` return."""

    dimensions: dict[str, DimensionScore]
    flags: list[str]
    service_level: int
    model_version: str
    rubric_version: str
    flag_probabilities: dict[str, float]
    #: Cosine similarity of reply and customer message in the encoder's space (None: no message,
    #: or one in the other language than the reply's, which the scorer does not read).
    relevance: float | None
    #: Sentences ignored because they addressed the scorer.
    ignored: list[str]
    #: The reply's unit vector in the encoder's space (for the simulated customer's line choice);
    #: not part of the JSON.
    vector: np.ndarray | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "dimensions": {name: dim.to_dict() for name, dim in self.dimensions.items()},
            "flags": list(self.flags),
            "service_level": self.service_level,
            "model_version": self.model_version,
            "rubric_version": self.rubric_version,
            "flag_probabilities": {k: round(v, 4) for k, v in self.flag_probabilities.items()},
            "relevance": None if self.relevance is None else round(self.relevance, 4),
            "ignored": list(self.ignored),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)


@dataclass(frozen=True)
class HeadOutputs:
    """What the heads say about a batch of replies (one row per reply)."""

    levels: dict[str, np.ndarray]
    dimensions: dict[str, np.ndarray]
    flags: dict[str, np.ndarray]


def run_heads(
    heads: dict[str, LinearHead],
    x: np.ndarray,
    sentences: np.ndarray | None = None,
    lexical: dict[str, np.ndarray] | None = None,
) -> HeadOutputs:
    """Head outputs for the rows ``x``; with ``sentences`` (the feature rows of one reply's
    sentences, ``x`` then being that one reply) a dimension is as present as its best sentence.
    ``lexical`` holds the lexical heads' verdicts on the same rows, for the heads stacked with
    them."""
    lexical = lexical or {}

    def present(d: str) -> np.ndarray:
        raw = heads[d].raw(x)
        if sentences is not None:
            raw = np.maximum(raw, heads[d].raw(sentences).max())
        return heads[d].calibrate(raw, lexical.get(d))

    return HeadOutputs(
        levels={d: heads[d].level_probabilities(x) for d in DIMENSIONS},
        dimensions={d: present(d) for d in DIMENSIONS},
        flags=off_context_agreed(
            {
                f: heads[f].probability(x, lexical.get(f))
                for f in (*LEARNED_FLAGS, OFF_CONTEXT_REPLY)
                if f in heads
            }
        ),
    )


def flag_probabilities(out: HeadOutputs, row: int, judges_context: bool) -> dict[str, float]:
    """The learned flags' probabilities for one row; off-context is 0 where it is not judged
    (text.judges_off_context): without the customer's message nothing can be off its context."""
    return {
        f: float(out.flags[f][row]) if judges_context or f != "off_context" else 0.0
        for f in LEARNED_FLAGS
    }


def judge_row(
    out: HeadOutputs,
    row: int,
    rule_flags: list[str],
    courtesy: bool,
    rubric: Rubric,
    judges_context: bool,
) -> Judgement:
    return judge(
        {d: out.levels[d][row] for d in DIMENSIONS},
        {d: float(out.dimensions[d][row]) for d in DIMENSIONS},
        flag_probabilities(out, row, judges_context),
        rule_flags,
        courtesy,
        rubric,
    )


class Scorer:
    """Scores replies against the rubric; thread-safe, deterministic."""

    def __init__(
        self,
        encoder: Encoder,
        heads: dict[str, LinearHead],
        featurizer: Featurizer,
        rubric: Rubric,
        model_version: str,
        sentence_max: bool = False,
        lexical: LexicalModel | None = None,
        off_context_abstains: tuple[str, ...] = (),
    ) -> None:
        missing = {*DIMENSIONS, *LEARNED_FLAGS} - set(heads)
        if missing:
            raise ValueError(f"model has no head for {', '.join(sorted(missing))}")
        self.encoder = encoder
        self.heads = heads
        self.featurizer = featurizer
        self.rubric = rubric
        self.model_version = model_version
        self.rubric_version = rubric.version
        #: Whether a dimension is as present as the reply's best sentence (the model's training).
        self.sentence_max = sentence_max
        #: Languages in which the model does not raise off-context (text.judges_off_context).
        self.off_context_abstains = off_context_abstains
        #: The lexical channel the model's calibration stacks with its heads, if it has one.
        self.lexical = lexical
        stacked = sorted(name for name, head in heads.items() if head.stacked)
        if stacked and (lexical is None or set(stacked) - set(lexical.names)):
            raise ValueError(f"model has no lexical head for {', '.join(stacked)}")
        # torch inference is thread-safe, but one pass at a time keeps latency flat on 2 cores.
        self._lock = threading.Lock()

    def score(self, reply: str, context: str = "") -> ScoreResult:
        """Score one reply to the customer's message ``context``."""
        return self.score_many([(reply, context)])[0]

    def score_many(self, pairs: Iterable[tuple[str, str]]) -> list[ScoreResult]:
        """Score many (reply, context) pairs, batched; results in input order."""
        items = list(pairs)
        prepared = []
        contexts = []
        for i, pair in enumerate(items):
            if not isinstance(pair, Sequence) or isinstance(pair, str) or len(pair) != 2:
                raise TypeError(f"item {i}: expected a (reply, context) pair")
            reply, context = pair
            prepared.append(prepare(reply, self.rubric))
            contexts.append(readable_context(prepared[-1].text, _check_context(context)))
        if len(items) == 1:
            # One reply: a single forward pass over the reply and its message together.
            return self._score_batch(prepared, contexts, {})
        # Many replies: messages and replies are encoded apart, each sorted by length, so that
        # padding (wasted encoder work) stays small; a message shared by replies is encoded once.
        unique = by_length({c for c in contexts if c})
        context_vectors: dict[str, np.ndarray] = {}
        for start in range(0, len(unique), BATCH_SIZE):
            chunk = unique[start : start + BATCH_SIZE]
            with self._lock:
                context_vectors.update(zip(chunk, self.encoder.embed(chunk), strict=True))
        order = sorted(range(len(items)), key=lambda i: len(prepared[i].text))
        results: list[ScoreResult | None] = [None] * len(items)
        for start in range(0, len(order), BATCH_SIZE):
            chunk = order[start : start + BATCH_SIZE]
            scored = self._score_batch(
                [prepared[i] for i in chunk], [contexts[i] for i in chunk], context_vectors
            )
            for i, result in zip(chunk, scored, strict=True):
                results[i] = result
        return results  # type: ignore[return-value]

    def _score_batch(
        self,
        prepared: list[PreparedReply],
        contexts: list[str],
        context_vectors: dict[str, np.ndarray],
    ) -> list[ScoreResult]:
        """Encode the replies (and any message not in ``context_vectors``) and score them."""
        texts = [p.text for p in prepared if not p.empty]
        missing = sorted({c for c in contexts if c and c not in context_vectors})
        encoded = None
        if texts:
            with self._lock:
                encoded = self.encoder.encode_tokens(texts + missing)
            if missing:
                pooled = encoded.pooled()
                context_vectors = {
                    **context_vectors,
                    **{ctx: pooled[len(texts) + j] for j, ctx in enumerate(missing)},
                }
        results = []
        row = 0
        for prep, ctx in zip(prepared, contexts, strict=True):
            if prep.empty or encoded is None:
                results.append(self._nothing_to_score(prep))
                continue
            results.append(self._score_row(encoded, row, prep, ctx, context_vectors.get(ctx)))
            row += 1
        return results

    def _score_row(
        self, encoded, row: int, prep: PreparedReply, context: str, ctx: np.ndarray | None
    ) -> ScoreResult:
        vectors = reply_vectors(encoded, row, prep)
        has_context = ctx is not None
        judged = has_context and judges_off_context(prep.text, context, self.off_context_abstains)
        x = self.featurizer(vectors.reply, ctx, reply_cues(prep, has_context))
        sentence_x = None
        if len(vectors.sentences):
            cues = sentence_cues(prep, has_context)[: len(vectors.sentences)]
            sentence_x = self.featurizer(vectors.sentences, ctx, cues)
        several = sentence_x is not None and len(sentence_x) > 1
        out = run_heads(
            self.heads,
            x,
            sentence_x if self.sentence_max and several else None,
            self._lexical(prep),
        )
        rule_flags = []
        if prep.injected:
            rule_flags.append("injection")
        if prep.cut or bool(encoded.truncated[row]):
            rule_flags.append("truncated")
        verdict = judge_row(out, 0, rule_flags, prep.courtesy, self.rubric, judged)
        evidence = self._evidence(sentence_x, prep, verdict)
        relevance = float(vectors.reply @ ctx) if has_context else None
        return ScoreResult(
            dimensions={
                d: DimensionScore(
                    probability=verdict.probabilities[d],
                    level=verdict.levels[d],
                    present=verdict.present[d],
                    evidence=evidence[d],
                )
                for d in DIMENSIONS
            },
            flags=verdict.flags,
            service_level=verdict.service_level,
            model_version=self.model_version,
            rubric_version=self.rubric_version,
            flag_probabilities=flag_probabilities(out, 0, judged),
            relevance=relevance,
            ignored=list(prep.injected),
            vector=vectors.reply,
        )

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors of ``texts`` from the scorer's encoder (one model in memory)."""
        with self._lock:
            return self.encoder.embed(list(texts))

    def _lexical(
        self, prep: PreparedReply, spans: Sequence[tuple[int, int] | None] = (None,)
    ) -> dict[str, np.ndarray]:
        """The lexical heads' verdicts on the reply (or on its sentences at ``spans``); none
        for a model without a lexical channel."""
        if self.lexical is None:
            return {}
        return self.lexical.raw([lexical_text(prep, span) for span in spans])

    def _evidence(
        self, x: np.ndarray | None, prep: PreparedReply, verdict: Judgement
    ) -> dict[str, list[str]]:
        """Per present dimension, the sentences (feature rows ``x``) whose own score carries it;
        none when only the reply as a whole does (a sentence quoted then would be a guess), unless
        the reply is that one sentence."""
        evidence: dict[str, list[str]] = {d: [] for d in DIMENSIONS}
        if x is None or not any(verdict.present.values()):
            return evidence
        texts = prep.sources
        spans = prep.sentence_spans[: len(x)]
        lexical = self._lexical(prep, spans)
        for d in DIMENSIONS:
            if not verdict.present[d]:
                continue
            p = self.heads[d].probability(x, lexical.get(d))
            ranked = sorted(range(len(p)), key=lambda i: (-p[i], i))
            chosen = [i for i in ranked if p[i] >= PRESENT_THRESHOLD][:MAX_EVIDENCE]
            if not chosen and len(p) == 1:
                chosen = [0]
            evidence[d] = [texts[i] for i in sorted(chosen)]
        return evidence

    def _nothing_to_score(self, prep: PreparedReply) -> ScoreResult:
        """A reply made only of text addressed to the scorer: nothing of it counts."""
        flags = ["injection"] if prep.injected else []
        return ScoreResult(
            dimensions={d: DimensionScore(0.0, 0, False) for d in DIMENSIONS},
            flags=flags,
            service_level=0,
            model_version=self.model_version,
            rubric_version=self.rubric_version,
            flag_probabilities={f: 0.0 for f in LEARNED_FLAGS},
            relevance=None,
            ignored=list(prep.injected),
        )


def _check_context(context: object) -> str:
    if context is None:
        return ""
    if not isinstance(context, str) or LONE_SURROGATE.search(context):
        check_reply(context, "context")
    return context.strip()


def read_model(directory: Path, encoder: Encoder | None = None) -> Scorer:
    """Build a scorer from a model folder (heads.npz, rubric.json, model_card.json)."""
    heads_path = directory / "heads.npz"
    rubric_path = directory / "rubric.json"
    for path in (heads_path, rubric_path):
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing: run `trainer train` to build the model")
    card = read_card(directory)
    rubric = Rubric.model_validate_json(rubric_path.read_text(encoding="utf-8"))
    heads, bank = load_heads(heads_path)
    return Scorer(
        encoder or Encoder(),
        heads,
        Featurizer(bank),
        rubric,
        card["model_version"],
        sentence_max=bool(card.get("config", {}).get("sentence_max", False)),
        off_context_abstains=tuple(card.get("config", {}).get("off_context_abstains", ())),
        lexical=load_lexical(heads_path),
    )
