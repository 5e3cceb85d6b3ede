"""``trainer bench``: scorer latency and throughput against the bare encoder on the same inputs."""

from __future__ import annotations

import resource
import time
from pathlib import Path
from typing import Any

import numpy as np

from trainer.scoring.corpus import corpus_files, read_labelled
from trainer.scoring.scorer import Scorer

BATCH = 64


def bench_pairs(n: int, seed: int = 7, corpus_dir: Path | None = None) -> list[tuple[str, str]]:
    """``n`` (reply, customer message) pairs drawn from the corpus with a fixed seed."""
    items = [item for path in corpus_files(corpus_dir) for item in read_labelled(path)]
    if not items:
        raise ValueError("no corpus to draw benchmark inputs from")
    rng = np.random.default_rng(seed)
    picked = rng.choice(len(items), size=min(n, len(items)), replace=False)
    return [(items[i].text, items[i].context) for i in sorted(picked)]


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def _rss_mb() -> dict[str, float]:
    current = 0.0
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmRSS:"):
                current = int(line.split()[1]) / 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"rss_mb": round(current, 1), "peak_rss_mb": round(peak, 1)}


def run_bench(scorer: Scorer, pairs: list[tuple[str, str]], rounds: int = 3) -> dict[str, Any]:
    """Time ``scorer`` and the bare encoder, interleaved so that machine noise hits both alike.

    Single reply: the scorer on (reply, message) versus the encoder's forward pass and pooling
    of the same two texts. Batch: score_many over all pairs versus the encoder over all replies
    and distinct messages in batches of the same size.
    """
    encoder = scorer.encoder

    def bare_single(reply: str, context: str) -> None:
        encoder.embed([reply, context] if context else [reply])

    def bare_batch() -> None:
        texts = [r for r, _ in pairs] + sorted({c for _, c in pairs if c})
        texts.sort(key=len)
        for start in range(0, len(texts), BATCH):
            encoder.embed(texts[start : start + BATCH])

    for reply, context in pairs[:10]:
        scorer.score(reply, context)
        bare_single(reply, context)
    scored, bare = [], []
    for i, (reply, context) in enumerate(pairs):
        # Alternate which goes first so neither always runs on a warmer cache.
        runs = [("s", scorer.score), ("b", bare_single)]
        for name, fn in runs if i % 2 == 0 else runs[::-1]:
            t0 = time.perf_counter()
            fn(reply, context)
            elapsed = (time.perf_counter() - t0) * 1000
            (scored if name == "s" else bare).append(elapsed)
    batch_scored, batch_bare = [], []
    for _ in range(rounds):
        t0 = time.perf_counter()
        scorer.score_many(pairs)
        batch_scored.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        bare_batch()
        batch_bare.append(time.perf_counter() - t0)
    s_tp = len(pairs) / float(np.median(batch_scored))
    b_tp = len(pairs) / float(np.median(batch_bare))
    single = {
        "scorer_p50_ms": round(_percentile(scored, 50), 2),
        "scorer_p95_ms": round(_percentile(scored, 95), 2),
        "encoder_p50_ms": round(_percentile(bare, 50), 2),
        "encoder_p95_ms": round(_percentile(bare, 95), 2),
    }
    single["p50_ratio"] = round(single["scorer_p50_ms"] / single["encoder_p50_ms"], 3)
    single["p95_ratio"] = round(single["scorer_p95_ms"] / single["encoder_p95_ms"], 3)
    return {
        "model_version": scorer.model_version,
        "inputs": len(pairs),
        "single": single,
        "batch": {
            "scorer_replies_per_s": round(s_tp, 1),
            "encoder_replies_per_s": round(b_tp, 1),
            "throughput_ratio": round(s_tp / b_tp, 3),
            "rounds": rounds,
        },
        "memory": _rss_mb(),
    }


def format_bench(result: dict[str, Any]) -> str:
    s, b, m = result["single"], result["batch"], result["memory"]
    return "\n".join(
        [
            f"model {result['model_version']}, {result['inputs']} (reply, message) pairs",
            f"single reply  scorer p50 {s['scorer_p50_ms']} ms  p95 {s['scorer_p95_ms']} ms",
            f"              encoder p50 {s['encoder_p50_ms']} ms  p95 {s['encoder_p95_ms']} ms",
            f"              ratio p50 {s['p50_ratio']}x  p95 {s['p95_ratio']}x",
            f"batch         scorer {b['scorer_replies_per_s']} replies/s, encoder "
            f"{b['encoder_replies_per_s']} replies/s, ratio {b['throughput_ratio']}x",
            f"memory        RSS {m['rss_mb']} MB (peak {m['peak_rss_mb']} MB)",
        ]
    )
