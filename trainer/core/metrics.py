"""Attempt metrics derived from the simulated customer: CSAT, NPS, CES, FCR, handle time, level.

The customer's final mood (0 calm - 10 furious) stands in for what a survey would ask:

- CSAT 1-5: ``5 - mood * 0.45`` rounded, clamped to 1-5; an escalated contact scores at most 2.
- NPS 0-10 would-recommend: ``10 - mood``, at most 6 (a detractor) when escalated; category
  promoter (9-10), passive (7-8), detractor (0-6).
- CES 1-7 (customer effort, lower is better): 1 plus every time the customer had to repeat
  themselves (a reply that left them on the same line), plus one when escalated, at most 7.
- FCR: resolved in this contact, without escalation.
- Handle time: seconds from the customer's first line to the end.
- Attempt service level: the lower median of the agent's turn levels (a single brilliant or
  terrible reply does not decide it); an escalated attempt is capped at 1, because the contact
  failed the customer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

ESCALATED_CSAT_CAP = 2
ESCALATED_NPS_CAP = 6
ESCALATED_LEVEL_CAP = 1


@dataclass(frozen=True)
class AttemptMetrics:
    csat: int
    nps: int
    nps_category: str
    ces: int
    fcr: bool
    escalated: bool
    handle_seconds: int
    agent_turns: int
    service_level: int | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def nps_category(score: int) -> str:
    if score >= 9:
        return "promoter"
    return "passive" if score >= 7 else "detractor"


def attempt_service_level(turn_levels: Sequence[int], outcome: str | None) -> int | None:
    """Lower median of the turn levels, capped when the customer escalated; None without turns."""
    if not turn_levels:
        return None
    ordered = sorted(turn_levels)
    level = ordered[(len(ordered) - 1) // 2]
    if outcome == "escalated":
        level = min(level, ESCALATED_LEVEL_CAP)
    return level


def attempt_metrics(
    *,
    final_mood: int,
    outcome: str,
    repeats: int,
    turn_levels: Sequence[int],
    started_at: datetime,
    ended_at: datetime,
) -> AttemptMetrics:
    if not 0 <= final_mood <= 10:
        raise ValueError(f"mood must be 0-10, not {final_mood}")
    escalated = outcome == "escalated"
    csat = max(1, min(5, round(5 - final_mood * 0.45)))
    nps = 10 - final_mood
    if escalated:
        csat = min(csat, ESCALATED_CSAT_CAP)
        nps = min(nps, ESCALATED_NPS_CAP)
    ces = min(7, 1 + repeats + (1 if escalated else 0))
    return AttemptMetrics(
        csat=csat,
        nps=nps,
        nps_category=nps_category(nps),
        ces=ces,
        fcr=outcome == "resolved",
        escalated=escalated,
        handle_seconds=max(0, round((ended_at - started_at).total_seconds())),
        agent_turns=len(turn_levels),
        service_level=attempt_service_level(turn_levels, outcome),
    )
