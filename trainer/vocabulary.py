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


def N_(text: str) -> str:
    """Marks a name for the message catalogue (`pybabel extract -k N_`); the web layer
    translates it where it is shown, everything else keeps the English."""
    return text


#: The service ladder (DOMAIN.md), level -> name.
SERVICE_LEVELS: dict[int, str] = {
    0: N_("Below basic"),
    1: N_("Customer Service"),
    2: N_("Customer Satisfaction"),
    3: N_("Service Excellence"),
    4: N_("Service with Heart"),
}
