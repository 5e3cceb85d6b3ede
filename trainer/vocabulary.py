"""The rubric's names, shared by the domain core and the scorer (DOMAIN.md)."""

from __future__ import annotations

DIMENSIONS: tuple[str, ...] = ("empathy", "validation", "solution")

#: Anti-patterns raised by the scorer's trained heads.
LEARNED_FLAGS: tuple[str, ...] = (
    "blame",
    "ping_pong",
    "dismissive",
    "jargon",
    "overpromise",
    "stuffing",
    "off_context",
)
#: Flags a scenario may branch on: the learned ones and text addressed to the scorer.
REPLY_FLAGS: tuple[str, ...] = (*LEARNED_FLAGS, "injection")
#: Every flag a score can carry; ``truncated`` marks a reply longer than the encoder's window.
FLAGS: tuple[str, ...] = (*REPLY_FLAGS, "truncated")

#: The service ladder (DOMAIN.md), level -> name.
SERVICE_LEVELS: dict[int, str] = {
    0: "Below basic",
    1: "Customer Service",
    2: "Customer Satisfaction",
    3: "Service Excellence",
    4: "Service with Heart",
}
