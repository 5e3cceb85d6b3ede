"""``trainer evaluate``: score a labelled set; metrics per dimension, slice and flag."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from trainer.scoring.corpus import LabelledItem, read_labelled
from trainer.scoring.metrics import binary_report, roc_auc
from trainer.scoring.rubric import DIMENSIONS
from trainer.scoring.scorer import Scorer
from trainer.vocabulary import REPLY_FLAGS


def evaluate(
    path: Path | str,
    scorer: Scorer,
    dimensions: tuple[str, ...] = DIMENSIONS,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Per dimension labelled in ``path``: precision, recall, F1, support, macro-F1 of the
    ``present`` decision, the ROC AUC of its probability and the same figures with level 1
    counted as shown, per slice; and per flag, over the items that carry a ``flags`` list, the
    same for raising that flag."""
    items = list(read_labelled(path))
    results = []
    step = 64
    for start in range(0, len(items), step):
        chunk = items[start : start + step]
        results.extend(scorer.score_many([(item.text, item.context) for item in chunk]))
        if progress:
            progress(len(chunk))
    report: dict[str, Any] = {
        "file": str(path),
        "items": len(items),
        "model_version": scorer.model_version,
        "dimensions": {},
    }
    for d in dimensions:
        labelled = [
            (item, r) for item, r in zip(items, results, strict=True) if item.labels[d] is not None
        ]
        if not labelled:
            continue
        entry = _report(labelled, d)
        slices = sorted({item.slice for item, _ in labelled if item.slice})
        if len(slices) > 1:
            entry["slices"] = {
                s: _report([(i, r) for i, r in labelled if i.slice == s], d) for s in slices
            }
        report["dimensions"][d] = entry
    flagged = [(item, r) for item, r in zip(items, results, strict=True) if item.flags is not None]
    if flagged:
        report["flags"] = {
            flag: binary_report(
                [int(flag in item.flags) for item, _ in flagged],  # type: ignore[operator]
                [int(flag in result.flags) for _, result in flagged],
            )
            for flag in REPLY_FLAGS
        }
    scored = [entry["macro_f1"] for entry in report["dimensions"].values()]
    report["macro_f1"] = round(float(np.mean(scored)), 4) if scored else None
    return report


def _report(pairs: list[tuple[LabelledItem, Any]], dimension: str) -> dict[str, Any]:
    """The ``present`` decision's figures, with two readings that do not depend on where the
    rubric draws "present": ``auc`` ranks by probability alone, and ``from_level_1`` counts a
    token or vague level 1 as shown (the line some research label sets draw)."""
    labels = [item.labels[dimension] for item, _ in pairs]
    scores = [result.dimensions[dimension] for _, result in pairs]
    return {
        **binary_report(labels, [int(s.present) for s in scores]),
        "auc": roc_auc(labels, [s.probability for s in scores]),
        "from_level_1": binary_report(labels, [int(s.level >= 1) for s in scores]),
    }


def format_report(report: dict[str, Any]) -> str:
    lines = [f"{report['file']}: {report['items']} items, model {report['model_version']}"]
    lines.append(
        f"{'dimension':<12} {'slice':<16} {'prec':>6} {'recall':>6} {'F1':>6} "
        f"{'macroF1':>8} {'support':>8} {'n':>6} {'AUC':>6} {'macroF1 L1+':>11}"
    )
    for d, entry in report["dimensions"].items():
        rows = [("all", entry), *entry.get("slices", {}).items()]
        for name, m in rows:
            auc = "-" if m["auc"] is None else f"{m['auc']:.3f}"
            lines.append(
                f"{d:<12} {name:<16} {m['precision']:>6.3f} {m['recall']:>6.3f} {m['f1']:>6.3f} "
                f"{m['macro_f1']:>8.3f} {m['support']:>8} {m['n']:>6} {auc:>6} "
                f"{m['from_level_1']['macro_f1']:>11.3f}"
            )
    if report.get("flags"):
        lines.append(f"{'flag':<29} {'prec':>6} {'recall':>6} {'F1':>6} {'support':>17} {'n':>6}")
        for flag, m in report["flags"].items():
            lines.append(
                f"{flag:<29} {m['precision']:>6.3f} {m['recall']:>6.3f} {m['f1']:>6.3f} "
                f"{m['support']:>17} {m['n']:>6}"
            )
    if report["macro_f1"] is not None:
        lines.append(f"macro-F1 (mean over dimensions): {report['macro_f1']:.3f}")
    if report["dimensions"]:
        lines.append(
            "AUC: ranking by probability, whatever the threshold; "
            "macroF1 L1+: level 1 (token or vague) counted as shown"
        )
    return "\n".join(lines)
