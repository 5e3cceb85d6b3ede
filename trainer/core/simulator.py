"""The modelled customer: mood, trust and patience moved by the scorer's verdict; lines by intent.

How a reply moves the customer (all per turn; ``p`` are the scorer's calibrated probabilities,
``s`` the solution level, rates from ``Params``):

- **Calm**: ``calm_rate * (1.0 p_validation + 0.6 p_empathy + 0.8 p_solution [s >= 2])``.
  Validation calms most (it is the step that turns the temperature down, DOMAIN.md), then empathy,
  then a concrete plan. A stuffed or off-context reply calms nothing: words without substance, or
  an answer to someone else's problem, are not heard as care.
- **Inflame**: ``inflame_rate * (sum of the raised flags' heat + 1.5 per trigger phrase)``; heat:
  blame and dismissive 2.5, ping-pong 2.0, stuffing and off-context 1.5, jargon 0.8, over-promise
  0.5. Trigger phrases are the scenario's own (``persona.triggers``).
- **Effort**: a reply without a usable next step (solution level <= 1) makes the customer repeat
  themselves: effort + 1, and ``0.4 * effort`` more anger, so a repeated non-answer costs more
  each time (CES follows from effort).
- **Noise**: a seeded swing of up to ``volatility / 2`` either way.
- **Trust** (0-1): an inflaming reply costs 0.2 per flag or trigger; a reply at service level >= 3
  earns ``0.35 * forgiveness``, a concrete plan alone ``0.15 * forgiveness``; over-promising costs
  0.15 (the customer has heard promises before).
- **Patience** (from the scenario): spent by every inflaming or non-answering reply.
- **Offers**: a concrete plan (solution level >= 2, no blame, dismissal, ping-pong or off-context)
  counts one offer, two when it matches what would satisfy this customer (``satisfied_by``).

What the customer does next (the intent) follows from the state, in this order: patience spent,
or furious (mood >= 9.5) after an inflaming reply, or twelve replies without resolution ->
**escalate** (the attempt ends, escalated); enough offers, trust >= 0.45, mood <= 5 and at least
two replies (three from difficulty 4) ->
**accept**, or **thank** when the relief leaves them calm (mood drops by ``2 + 2 * trust``; the
attempt ends, resolved); an offer on the table while trust is low -> **doubt**; an offer but still
angry -> **push_back**; no usable next step -> **demand**; otherwise -> **complain**.

Difficulty (1-5) sets the rates: harder customers calm slower, inflame faster, swing more, forgive
less, start with less trust and need more offers (``params_for``); the scenario may override each.

The line is chosen by intent and mood band (high 7-10, mid 4-6, low 0-3), then by its fit to what
the agent just wrote (cosine in the scorer's encoder space, or word overlap without an encoder),
with a small seeded jitter; a line is never said twice in an attempt, and a line with a slot
({agent_name}, {remedy}, {deadline}, {customer_name}) only once the conversation has filled it.
Everything random comes from the attempt's seed and the turn number: the same replies with the
same seed give the same customer.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from trainer.core.engine import MAX_TURNS, CustomerTurn
from trainer.core.scenario import SLOT, CustomerModel, Scenario

MAX_MOOD = 10.0
FURIOUS = 9.5
ACCEPT_TRUST = 0.45
ACCEPT_MOOD = 5.0
CALM_AFTER_RELIEF = 2.5
FLAG_HEAT = {
    "blame": 2.5,
    "dismissive": 2.5,
    "ping_pong": 2.0,
    "stuffing": 1.5,
    "off_context": 1.5,
    "jargon": 0.8,
    "overpromise": 0.5,
}
#: Flags that make a plan worthless to this customer.
SPOILERS = frozenset({"blame", "dismissive", "ping_pong", "off_context"})
#: Flags after which nothing the reply says calms.
HOLLOW = frozenset({"stuffing", "off_context"})
TRIGGER_HEAT = 1.5
#: Cosine above which an offer matches what would satisfy the customer.
SATISFIES = 0.5
JITTER = 0.05
#: Ranking bonuses: the mood band outweighs everything; a line using the conversation's slots
#: outweighs a better word fit.
IN_BAND = 1.0
REFERS = 0.3

Embed = Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True)
class Signal:
    """The scorer's verdict on one agent reply, as the customer model needs it."""

    probabilities: Mapping[str, float]
    levels: Mapping[str, int]
    flags: frozenset[str] = frozenset()
    service_level: int = 0
    #: Sentences that carry the solution (where an offered remedy is read from).
    solution_evidence: Sequence[str] = ()
    #: The reply's unit vector in the encoder's space, when the scorer gives one.
    vector: np.ndarray | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Params:
    calm_rate: float
    inflame_rate: float
    volatility: float
    forgiveness: float
    offers_needed: int
    trust: float
    patience: int
    #: Replies before the customer will accept: nobody is won over by the first answer alone.
    min_turns: int = 2


def params_for(scenario: Scenario) -> Params:
    """Difficulty sets the behaviour; the scenario's ``dynamics`` override single values."""
    d = scenario.difficulty
    dynamics = scenario.model.dynamics if scenario.model else None
    defaults = {
        "calm_rate": 1.5 - 0.15 * d,
        "inflame_rate": 0.7 + 0.15 * d,
        "volatility": 0.1 + 0.1 * d,
        "forgiveness": 1.0 - 0.12 * d,
        "offers_needed": 1 + (d >= 3) + (d >= 5),
    }
    if dynamics is not None:
        defaults.update(dynamics.model_dump(exclude_none=True))
    return Params(
        **defaults,
        trust=0.55 - 0.05 * d,
        patience=scenario.customer.patience,
        min_turns=2 + (d >= 4),
    )


@dataclass(frozen=True)
class CustomerState:
    """Where a modelled customer stands; plain values so it can be stored and replayed."""

    mood: float
    trust: float
    patience: int
    intent: str = "complain"
    effort: int = 0
    offers: int = 0
    turns: int = 0
    #: Lines said so far (their templates), never said again.
    used: tuple[str, ...] = ()
    #: Slot values learnt from the conversation.
    slots: tuple[tuple[str, str], ...] = ()
    outcome: str | None = None

    @property
    def done(self) -> bool:
        return self.outcome is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "mood": self.mood,
            "trust": self.trust,
            "patience": self.patience,
            "intent": self.intent,
            "effort": self.effort,
            "offers": self.offers,
            "turns": self.turns,
            "used": list(self.used),
            "slots": dict(self.slots),
            "outcome": self.outcome,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CustomerState:
        return cls(
            **{
                **data,
                "used": tuple(data.get("used", ())),
                "slots": tuple(sorted(dict(data.get("slots", {})).items())),
            }
        )


@dataclass(frozen=True)
class Reaction:
    """Why the customer reacted as they did (for feedback and tests)."""

    calm: float
    inflame: float
    triggers: tuple[str, ...]
    generated: bool = False
    #: Why a generated line was refused (the line bank answered instead).
    refused: str | None = None


def mood_band(mood: float) -> str:
    if mood >= 7:
        return "high"
    return "mid" if mood >= 4 else "low"


def shown_mood(mood: float) -> int:
    return int(min(MAX_MOOD, max(0.0, math.floor(mood + 0.5))))


def _rng(seed: int, turn: int) -> random.Random:
    return random.Random(seed * 1_000_003 + turn)


# -- slots -------------------------------------------------------------------------------------

_NOT_NAMES = {
    "sorry", "so", "really", "here", "happy", "glad", "afraid", "truly", "very", "sure", "not",
    "going", "calling", "checking", "ibu", "bapak", "pak", "bu", "kak", "mas", "mbak", "akan",
    "sangat", "mohon", "minta", "bisa", "sudah", "juga", "paham", "mengerti",
}  # fmt: skip
_NAME = re.compile(
    r"\b(?i:my name is|I'm|I am|this is|nama saya|saya|dengan|sama)\s+([A-Z][a-z]{1,15})\b"
)
_DEADLINE = re.compile(
    r"\b(?:(?:by|before|within|until|at|in)\s+(?:the\s+)?"
    r"(?:\d{1,2}(?:[:.]\d{2})?\s*(?:am|pm)|noon|midnight|end of (?:the\s+)?(?:day|week)|"
    r"tomorrow(?:\s+(?:morning|afternoon|evening))?|tonight|today|"
    r"\d+\s+(?:hours?|minutes?|(?:working |business )?days?))|"
    r"tomorrow(?:\s+(?:morning|afternoon|evening))?(?:\s+by\s+\d{1,2}\s*(?:am|pm))?|"
    r"(?:besok|hari ini|malam ini|sore ini|siang ini)(?:\s+(?:pagi|siang|sore|malam))?"
    r"(?:\s+(?:jam|pukul)\s+\d{1,2}(?:[.:]\d{2})?)?|"
    r"(?:dalam|maksimal|paling lambat)\s+\d+\s*(?:jam|menit|hari(?: kerja)?)|"
    r"(?:jam|pukul)\s+\d{1,2}(?:[.:]\d{2})?(?:\s*(?:pagi|siang|sore|malam|WIB))?)",
    re.IGNORECASE,
)
_OFFER = re.compile(
    r"\b(?:I(?:'ll| will| can|'ve| have| am going to)|we(?:'ll| will| can|'ve)|"
    r"saya (?:akan|bisa|sudah)|kami (?:akan|bisa|sudah)|akan saya|sudah saya)\s+"
    r"(?!(?:understand|imagine|see|hear|know|paham|mengerti|bayangkan)\b)"
    r"([^,.;!?\n]{6,90})",
    re.IGNORECASE,
)
MAX_REMEDY_WORDS = 9


def learn_slots(reply: str, signal: Signal) -> dict[str, str]:
    """Slot values the reply gives: the agent's name, a deadline, what was offered."""
    found: dict[str, str] = {}
    name = next(
        (m.group(1) for m in _NAME.finditer(reply) if m.group(1).lower() not in _NOT_NAMES), None
    )
    if name:
        found["agent_name"] = name
    deadline = _DEADLINE.search(reply)
    if deadline:
        found["deadline"] = deadline.group(0).strip()
    if signal.levels.get("solution", 0) >= 2:
        for sentence in (*signal.solution_evidence, reply):
            offer = _OFFER.search(sentence)
            if offer:
                # The offer alone: a deadline has its own slot, a second action is not the remedy.
                clause = _DEADLINE.split(offer.group(1))[0]
                clause = re.split(r"\s+(?:and|dan|lalu|then)\s+", clause)[0]
                words = clause.split()[:MAX_REMEDY_WORDS]
                remedy = " ".join(words).rstrip(" ,;:-")
                if len(words) >= 2:
                    found["remedy"] = remedy
                    break
    return found


def fill(template: str, slots: Mapping[str, str]) -> str | None:
    """The line with its slots filled, or None while a slot is still unknown."""
    names = SLOT.findall(template)
    if any(n not in slots for n in names):
        return None
    return SLOT.sub(lambda m: slots[m.group(1)], template)


# -- line choice -------------------------------------------------------------------------------

_WORD = re.compile(r"[a-z0-9]+")


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


class LineBank:
    """A scenario's customer lines with their vectors, built once per scenario version."""

    def __init__(self, model: CustomerModel, embed: Embed | None = None) -> None:
        self.model = model
        self.templates = sorted({line for bank in model.lines.values() for line in bank.all()})
        self.embed = embed
        self.vectors: dict[str, np.ndarray] = {}
        self.offer_vectors: np.ndarray | None = None
        if embed is not None:
            plain = [SLOT.sub(" ", t) for t in self.templates]
            self.vectors = dict(zip(self.templates, embed(plain), strict=True))
            self.offer_vectors = embed(list(model.persona.satisfied_by))

    def candidates(self, intent: str, band: str) -> list[str]:
        """Lines for the intent, the mood band first, then the nearest bands."""
        bank = self.model.lines[intent]
        order = {"high": ("high", "mid", "low"), "mid": ("mid", "high", "low"),
                 "low": ("low", "mid", "high")}[band]  # fmt: skip
        return [line for b in order for line in getattr(bank, b)]

    def fit(self, reply: str, vector: np.ndarray | None, templates: list[str]) -> list[float]:
        if vector is not None and self.vectors:
            return [float(self.vectors[t] @ vector) for t in templates]
        said = _words(reply)
        return [len(said & _words(t)) / (len(_words(t)) or 1) for t in templates]

    def satisfies(self, reply: str, vector: np.ndarray | None) -> bool:
        if vector is not None and self.offer_vectors is not None:
            return float(np.max(self.offer_vectors @ vector)) >= SATISFIES
        said = _words(reply)
        return any(
            len(said & _words(o)) >= max(3, len(_words(o)) // 2)
            for o in self.model.persona.satisfied_by
        )


def choose_line(
    bank: LineBank,
    intent: str,
    mood: float,
    reply: str,
    vector: np.ndarray | None,
    state: CustomerState,
    rng: random.Random,
) -> tuple[str, str]:
    """(template, filled line): by intent and band, then fit to the reply; never repeated."""
    slots = dict(state.slots)
    used = set(state.used)
    ready = [
        (t, line)
        for t in bank.candidates(intent, mood_band(mood))
        if t not in used and (line := fill(t, slots)) is not None
    ]
    if not ready:  # every fitting line said: the least recently used one, rather than silence
        ready = [
            (t, line)
            for t in sorted(
                bank.candidates(intent, mood_band(mood)),
                key=lambda t: state.used.index(t) if t in state.used else -1,
            )
            if (line := fill(t, slots)) is not None
        ][:1]
    band = set(getattr(bank.model.lines[intent], mood_band(mood)))
    scores = bank.fit(reply, vector, [t for t, _ in ready])

    def rank(item: tuple[tuple[str, str], float]) -> float:
        (template, _), fit = item
        # The mood band first; then a line that refers to the conversation; then the fit.
        in_band = IN_BAND if template in band else 0.0
        refers = REFERS if SLOT.search(template) else 0.0
        return -(in_band + refers + fit + rng.uniform(0, JITTER))

    return sorted(zip(ready, scores, strict=True), key=rank)[0][0]


# -- the model ---------------------------------------------------------------------------------


def start(scenario: Scenario, seed: int) -> tuple[CustomerState, CustomerTurn]:
    """The customer's opening line and first state."""
    if scenario.model is None:
        raise ValueError("not a modelled scenario")
    params = params_for(scenario)
    mood = float(scenario.customer.mood)
    state = CustomerState(
        mood=mood,
        trust=params.trust,
        patience=params.patience,
        slots=(("customer_name", scenario.customer.name),),
    )
    return state, CustomerTurn(scenario.model.opening, shown_mood(mood))


def triggered(model: CustomerModel, reply: str) -> tuple[str, ...]:
    lowered = reply.lower()
    return tuple(
        phrase
        for trigger in model.persona.triggers
        for phrase in trigger.says
        if phrase.lower() in lowered
    )


#: (scenario, state, intent, mood band, last turns as (speaker, text), seed) -> a line or None.
Generator = Callable[
    [Scenario, CustomerState, str, str, Sequence[tuple[str, str]], int], str | None
]


def advance(
    scenario: Scenario,
    state: CustomerState,
    reply: str,
    signal: Signal,
    seed: int,
    bank: LineBank,
    *,
    generator: Generator | None = None,
    guard: Callable[[str, Scenario, CustomerState, str], str | None] | None = None,
    history: Sequence[tuple[str, str]] = (),
) -> tuple[CustomerState, CustomerTurn, Reaction]:
    """The customer's answer to the agent's reply and the new state (done when it ended)."""
    if state.done:
        raise ValueError("the attempt is over")
    model = scenario.model
    params = params_for(scenario)
    rng = _rng(seed, state.turns + 1)
    p = signal.probabilities
    solution = signal.levels.get("solution", 0)
    flags = signal.flags
    hits = triggered(model, reply)

    calm = params.calm_rate * (
        1.0 * p.get("validation", 0.0)
        + 0.6 * p.get("empathy", 0.0)
        + 0.8 * p.get("solution", 0.0) * (solution >= 2)
    )
    if flags & HOLLOW:
        calm = 0.0
    heat = sum(FLAG_HEAT.get(f, 0.0) for f in flags) + TRIGGER_HEAT * len(hits)
    inflame = params.inflame_rate * heat
    non_answer = solution <= 1
    effort = state.effort + non_answer
    if non_answer:
        inflame += 0.4 * effort
    noise = rng.uniform(-1, 1) * params.volatility / 2
    mood = min(MAX_MOOD, max(0.0, state.mood + inflame - calm + noise))

    inflaming = bool(flags & FLAG_HEAT.keys() - {"overpromise"}) or bool(hits)
    trust = state.trust
    if inflaming:
        trust -= 0.2 * (len(flags & FLAG_HEAT.keys()) + len(hits))
    elif signal.service_level >= 3:
        trust += 0.35 * params.forgiveness
    elif solution >= 2:
        trust += 0.15 * params.forgiveness
    if "overpromise" in flags:
        trust -= 0.15
    trust = min(1.0, max(0.0, trust))
    patience = state.patience - (inflaming or non_answer)
    offered = solution >= 2 and not flags & SPOILERS
    offers = state.offers + (offered * (2 if bank.satisfies(reply, signal.vector) else 1))
    turns = state.turns + 1

    if patience <= 0 or (mood >= FURIOUS and inflaming) or turns >= MAX_TURNS:
        intent, outcome = "escalate", "escalated"
    elif (
        offers >= params.offers_needed
        and trust >= ACCEPT_TRUST
        and mood <= ACCEPT_MOOD
        and turns >= params.min_turns
    ):
        mood = max(0.0, mood - (2 + 2 * trust))
        intent, outcome = ("thank" if mood <= CALM_AFTER_RELIEF else "accept"), "resolved"
    elif offered and trust < ACCEPT_TRUST:
        intent, outcome = "doubt", None
    elif offered:
        intent, outcome = "push_back", None
    elif non_answer:
        intent, outcome = "demand", None
    else:
        intent, outcome = "complain", None

    slots = {**dict(state.slots), **learn_slots(reply, signal)}
    new_state = CustomerState(
        mood=mood,
        trust=trust,
        patience=patience,
        intent=intent,
        effort=effort,
        offers=offers,
        turns=turns,
        used=state.used,
        slots=tuple(sorted(slots.items())),
        outcome=outcome,
    )
    template, line = choose_line(bank, intent, mood, reply, signal.vector, new_state, rng)
    generated, refused = False, None
    if generator is not None:
        text = generator(scenario, new_state, intent, mood_band(mood), history, seed)
        refused = guard(text or "", scenario, new_state, intent) if guard else None
        if text and refused is None:
            template, line, generated = text, text, True
    new_state = replace(new_state, used=(*state.used, template))
    return (
        new_state,
        CustomerTurn(line, shown_mood(mood)),
        Reaction(calm, inflame, hits, generated, refused if generator is not None else None),
    )


def exemplar_for(scenario: Scenario, intent: str, seed: int) -> str | None:
    """An example of a better reply to a line of this intent."""
    replies = scenario.model.exemplars.get(intent) if scenario.model else None
    return replies[seed % len(replies)] if replies else None
