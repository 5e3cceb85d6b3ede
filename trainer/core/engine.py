"""The scripted customer: scenario + state + the verdict on the agent's reply -> the next line."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from trainer.core.scenario import Condition, Node, Scenario, Thresholds

MAX_MOOD = 10
#: Replies a customer stays on the line for: the node graph has cycles (angrier, calmer, angrier),
#: so without it replies that alternate could keep a call going for ever.
MAX_TURNS = 12


@dataclass(frozen=True)
class Verdict:
    """What the scorer said about one agent reply, as the engine needs it."""

    #: Level 0-3 per rubric dimension (empathy, validation, solution).
    levels: Mapping[str, int]
    #: Anti-pattern flags raised on the reply.
    flags: frozenset[str] = frozenset()
    #: Service level 0-4 of the reply.
    service_level: int = 0

    def level(self, name: str) -> int:
        return self.service_level if name == "service_level" else self.levels[name]


@dataclass(frozen=True)
class CustomerTurn:
    text: str
    mood: int


@dataclass(frozen=True)
class ScriptState:
    """Where a scripted attempt stands; small and immutable so it can be stored and replayed."""

    node: str
    mood: int
    #: Agent replies so far.
    turns: int = 0
    #: Replies in a row that left the customer on the same line (patience spent).
    presses: int = 0
    outcome: str | None = None
    path: tuple[str, ...] = field(default=())

    @property
    def done(self) -> bool:
        return self.outcome is not None


def _holds(thresholds: Thresholds | None, verdict: Verdict, at_least: bool) -> bool:
    if thresholds is None:
        return True
    for name, bound in thresholds.model_dump(exclude_none=True).items():
        value = verdict.level(name)
        if (value < bound) if at_least else (value > bound):
            return False
    return True


def matches(condition: Condition, verdict: Verdict) -> bool:
    """Every part of the condition that is given holds for the verdict."""
    if condition.flags_any and not set(condition.flags_any) & verdict.flags:
        return False
    return _holds(condition.min, verdict, True) and _holds(condition.max, verdict, False)


def next_node(node: Node, node_id: str, verdict: Verdict) -> str:
    """Where the reply leads before patience counts: the first branch that holds, else
    ``otherwise``, else the node itself (the customer presses again)."""
    target = next((b.goto for b in node.branches if matches(b.when, verdict)), None)
    return target or node.otherwise or node_id


def start(scenario: Scenario) -> tuple[ScriptState, CustomerTurn]:
    """The customer's opening line."""
    node = scenario.script.nodes[scenario.script.start]
    mood = scenario.customer.mood
    state = ScriptState(node=scenario.script.start, mood=mood, path=(scenario.script.start,))
    return state, CustomerTurn(node.customer, mood)


def _escalation_node(scenario: Scenario) -> str:
    return next(n for n, node in scenario.script.nodes.items() if node.end == "escalated")


def advance(
    scenario: Scenario, state: ScriptState, verdict: Verdict
) -> tuple[ScriptState, CustomerTurn]:
    """The customer's answer to the agent's reply; the state says whether the attempt is over.

    The first branch whose condition holds is taken, else ``otherwise``. A reply that leaves the
    customer on the same line spends patience and raises the mood by one; when patience runs out,
    or the call reaches MAX_TURNS replies without an end, the customer escalates.
    """
    if state.done:
        raise ValueError("the attempt is over")
    nodes = scenario.script.nodes
    target = next_node(nodes[state.node], state.node, verdict)
    presses = state.presses + 1 if target == state.node else 0
    last_turn = state.turns + 1 >= MAX_TURNS and not nodes[target].end
    if presses >= scenario.customer.patience or last_turn:
        target = _escalation_node(scenario)
    node: Node = nodes[target]
    mood = min(MAX_MOOD, state.mood + 1) if target == state.node else node.mood
    new_state = replace(
        state,
        node=target,
        mood=mood,
        turns=state.turns + 1,
        presses=presses if target == state.node else 0,
        outcome=node.end,
        path=(*state.path, target),
    )
    return new_state, CustomerTurn(node.customer, mood)
