"""Calibration: machine-vs-trainer agreement, corrections as training data, re-scoring history."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from trainer.core.agreement import agreement
from trainer.extensions import db
from trainer.models import Attempt, Turn, TurnReview, TurnScore
from trainer.services import practice
from trainer.services.reviews import effective
from trainer.vocabulary import DIMENSIONS, LEARNED_FLAGS

#: Scales compared: each dimension (levels 0-3) and the service level (0-4).
SCALES = {**{d: 4 for d in DIMENSIONS}, "service_level": 5}
#: Turns scored this many at a time when re-scoring history.
RESCORE_BATCH = 64


def reviewed_turns() -> list[Turn]:
    return list(
        db.session.scalars(
            select(Turn)
            .where(Turn.id.in_(select(TurnReview.turn_id)))
            .options(
                selectinload(Turn.reviews),
                selectinload(Turn.scores).selectinload(TurnScore.dimensions),
                selectinload(Turn.attempt).selectinload(Attempt.scenario),
            )
            .order_by(Turn.id)
        )
    )


def agreement_report() -> dict[str, Any]:
    """Per scale, overall and per scenario: n, percent agreement and weighted kappa."""
    overall: dict[str, list[tuple[int, int]]] = defaultdict(list)
    # Kept apart from ``overall``: a scenario may be called anything, "overall" included.
    by_scenario: dict[str, dict[str, list[tuple[int, int]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for turn in reviewed_turns():
        review, machine = turn.review, effective(turn)
        slug = turn.attempt.scenario.slug
        for scale in SCALES:
            given = review.service_level if scale == "service_level" else review.level(scale)
            if given is None:
                continue
            ours = (
                machine.machine_service_level
                if scale == "service_level"
                else machine.machine_levels[scale]
            )
            overall[scale].append((ours, given))
            by_scenario[slug][scale].append((ours, given))

    def summarise(by_scale: dict[str, list[tuple[int, int]]]) -> dict[str, Any]:
        out = {}
        for scale, levels in SCALES.items():
            got = by_scale.get(scale, [])
            out[scale] = agreement([m for m, _ in got], [t for _, t in got], levels).to_dict()
        return out

    return {
        "overall": summarise(overall),
        "scenarios": {slug: summarise(v) for slug, v in sorted(by_scenario.items())},
    }


def correction_items() -> list[dict[str, Any]]:
    """Reviewed turns in the labelled-set format (levels as they count, the customer's line)."""
    items = []
    for turn in reviewed_turns():
        if turn.attempt.words_erased_at is not None:  # the reply it judged is gone
            continue
        counted = effective(turn)
        scenario = turn.attempt.scenario
        machine_flags = [f for f in turn.machine_score.flags if f in LEARNED_FLAGS]
        items.append(
            {
                "text": turn.text,
                "context": practice.customer_line_before(turn).text,
                "levels": counted.levels,
                "level": counted.service_level,
                # A trainer who lifted the reply to level 3+ vouched that no anti-pattern applies.
                "flags": [] if counted.service_level >= 3 else machine_flags,
                "language": scenario.language,
                "sector": scenario.sector,
                "source": f"correction:turn:{turn.id}",
                "reason": turn.review.reason,
            }
        )
    return items


def export_corrections(path: Path) -> int:
    items = correction_items()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for item in items:
            fh.write(json.dumps(item, ensure_ascii=False) + "\n")
    return len(items)


def rescore_history(scorer: Any) -> int:
    """Score every scored agent turn again with ``scorer`` into new rows (old rows stay).

    Turns that already have a score from this model version are skipped, so running it twice
    adds nothing. Commits per batch: a long re-score can be interrupted and resumed.
    """
    version = scorer.model_version
    done = select(TurnScore.turn_id).where(TurnScore.model_version == version)
    todo = list(
        db.session.scalars(
            select(Turn.id)
            .join(Attempt)
            # Erased words cannot be scored again: their old scores are all there is.
            .where(
                Turn.speaker == "agent",
                Turn.score_status == "scored",
                Turn.id.not_in(done),
                Attempt.words_erased_at.is_(None),
            )
            .order_by(Turn.id)
        )
    )
    for start in range(0, len(todo), RESCORE_BATCH):
        ids = todo[start : start + RESCORE_BATCH]
        turns = [db.session.get(Turn, i) for i in ids]
        pairs = [(t.text, practice.customer_line_before(t).text) for t in turns]
        db.session.commit()  # no transaction (on SQLite: no write lock) while the model runs
        results = scorer.score_many(pairs)
        for turn_id, result in zip(ids, results, strict=True):
            practice.store_score(db.session.get(Turn, turn_id), result)
        db.session.commit()
    return len(todo)
