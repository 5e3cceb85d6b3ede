"""From head probabilities and flags to dimension levels and the service level (0-4).

The rule, in words (also in the README):

1. A learned flag is raised when its calibrated probability (for every flag but off-context
   stacked with the lexical head's verdict) is above 0.5; off-context only when there is a
   customer's message and neither text is clearly in a language the model abstains in (the
   model card's ``off_context_abstains``); its probability is 0 otherwise. Injection is raised
   by rule (and the injected sentences are not scored); truncated when the reply overflowed the
   encoder's window.
2. A dimension's probability is its calibrated head probability (of the whole reply, or of its
   best sentence when that is higher: one validating sentence among small talk validates; the
   calibration stacks it with the lexical head's verdict on the reply's words), capped
   by every raised flag that caps that dimension below level 2 (``rubrics/flags.yaml``) at the
   probability that the flag is wrong, 1 - p(flag). The dimension is present when its
   probability is >= 0.5.
3. Its level is 2 or 3 when present and 0 or 1 when not, whichever of the pair the level head
   finds more likely; then the flags' caps apply.
4. The service level from the levels (empathy e, validation v, solution s):
   4 when e = 3, s = 3 and v >= 2;
   3 when e, v and s are all >= 2;
   2 when e >= 2 or v >= 2, or when the reply is courteous (greets, thanks, apologises, addresses
   the customer; "please wait" is not) or e or v is 1, and s >= 1;
   1 otherwise (the duty discharged, flat);
   then every raised flag caps it (blame, ping-pong, dismissive, off-context -> 0; stuffing -> 1;
   jargon, over-promise -> 2).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from trainer.scoring.rubric import DIMENSIONS, Rubric

FLAG_THRESHOLD = 0.5
PRESENT_THRESHOLD = 0.5


@dataclass(frozen=True)
class Judgement:
    """The decisions for one reply, before evidence is attached."""

    probabilities: dict[str, float]
    levels: dict[str, int]
    present: dict[str, bool]
    flags: list[str]
    service_level: int


@dataclass(frozen=True)
class NextStep:
    """What a reply lacks for the next rung of the ladder (for feedback, not for scoring)."""

    #: The next service level.
    level: int
    #: Raised flags whose cap holds the reply where it is, whatever its dimensions.
    held_by: list[str]
    #: Dimension -> the level it must reach; all of them, or one when ``either``.
    needs: dict[str, int]
    either: bool = False


#: Per service level, the dimension levels its main route asks for (rule 4 above).
ROUTES: dict[int, dict[str, int]] = {
    4: {"empathy": 3, "validation": 2, "solution": 3},
    3: {"empathy": 2, "validation": 2, "solution": 2},
    2: {"empathy": 2, "validation": 2},
}


def _reaches(levels: Mapping[str, int], level: int) -> bool:
    """Whether the dimension levels meet a service level's main route (level 2: either one)."""
    route = ROUTES[level]
    met = [levels[d] >= n for d, n in route.items()]
    return any(met) if level == 2 else all(met)


def service_level(
    levels: Mapping[str, int], flags: list[str] | set[str], courtesy: bool, rubric: Rubric
) -> int:
    e, v, s = (levels[d] for d in DIMENSIONS)
    if _reaches(levels, 4):
        level = 4
    elif _reaches(levels, 3):
        level = 3
    elif _reaches(levels, 2) or ((courtesy or e >= 1 or v >= 1) and s >= 1):
        level = 2
    else:
        level = 1
    for flag in flags:
        cap = rubric.flag(flag).caps.service_level
        if cap is not None:
            level = min(level, cap)
    return level


def next_step(
    levels: Mapping[str, int], flags: list[str], level: int, rubric: Rubric
) -> NextStep | None:
    """The step from ``level`` to the one above it, in the rule's terms; None at level 4. Level 2
    needs empathy or validation (its courtesy route is left out: courtesy alone is not the aim)."""
    if level >= 4:
        return None
    held_by = [
        f for f in flags if (cap := rubric.flag(f).caps.service_level) is not None and cap <= level
    ]
    target = level + 1
    route = ROUTES.get(target, {})
    needs = (
        {}
        if target == 2 and _reaches(levels, 2)
        else {d: n for d, n in route.items() if levels[d] < n}
    )
    return NextStep(target, held_by, needs, either=target == 2 and bool(needs))


def judge(
    level_probabilities: Mapping[str, np.ndarray],
    dimension_probabilities: Mapping[str, float],
    flag_probabilities: Mapping[str, float],
    rule_flags: list[str],
    courtesy: bool,
    rubric: Rubric,
) -> Judgement:
    """Apply the rule above to one reply's head outputs."""
    raised = [f for f, p in flag_probabilities.items() if p > FLAG_THRESHOLD]
    flags = sorted(set(raised) | set(rule_flags), key=_flag_order(rubric))
    probabilities: dict[str, float] = {}
    levels: dict[str, int] = {}
    present: dict[str, bool] = {}
    for dim in DIMENSIONS:
        p = float(dimension_probabilities[dim])
        caps = [rubric.flag(f).caps.model_dump()[dim] for f in flags]
        for flag, cap in zip(flags, caps, strict=True):
            if cap is not None and cap < 2 and flag in flag_probabilities:
                p = min(p, 1.0 - float(flag_probabilities[flag]))
        is_present = p >= PRESENT_THRESHOLD
        lp = level_probabilities[dim]
        level = (3 if lp[3] > lp[2] else 2) if is_present else (1 if lp[1] > lp[0] else 0)
        for cap in caps:
            if cap is not None:
                level = min(level, cap)
        probabilities[dim] = p
        levels[dim] = level
        present[dim] = level >= 2
    return Judgement(
        probabilities=probabilities,
        levels=levels,
        present=present,
        flags=flags,
        service_level=service_level(levels, flags, courtesy, rubric),
    )


def _flag_order(rubric: Rubric):
    order = {f.name: i for i, f in enumerate(rubric.flags.flags)}
    return lambda name: order[name]
