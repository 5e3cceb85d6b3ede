"""The simulated customers' shared resources: line banks per scenario content, the optional LM."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from trainer.core import engine, simulator
from trainer.core.generative import guard
from trainer.core.scenario import Scenario
from trainer.scoring.rubric import Rubric
from trainer.services.scoring import ScorerProvider, verdict_of
from trainer.vocabulary import DIMENSIONS

#: Line banks kept per process, the least recently used dropped first; drafts checked in the studio
#: make banks too, so the cache is bounded (an evicted bank is embedded again when next needed).
BANKS_KEPT = 64


class Customers:
    """Line banks are embedded once per scenario content with the scorer's own encoder."""

    def __init__(
        self, scorer: ScorerProvider, generator: simulator.Generator | None = None
    ) -> None:
        self.scorer = scorer
        self.generator = generator
        self._banks: OrderedDict[str, simulator.LineBank] = OrderedDict()
        self._lock = threading.Lock()

    def bank(self, scenario: Scenario) -> simulator.LineBank:
        key = scenario.content_hash()
        with self._lock:
            if key in self._banks:
                self._banks.move_to_end(key)
            else:
                self._banks[key] = simulator.LineBank(scenario.model, self._embedder())
                if len(self._banks) > BANKS_KEPT:
                    self._banks.popitem(last=False)
            return self._banks[key]

    def _embedder(self) -> Callable | None:
        try:
            return getattr(self.scorer.get(), "embed", None)
        except Exception:  # no scorer: word overlap chooses the lines
            return None


@dataclass(frozen=True)
class PracticeKit:
    """Everything a reply needs on its way: the scorer, the rubric, the simulated customers."""

    scorer: ScorerProvider
    rubric: Rubric
    customers: Customers


def signal_of(result: Any) -> simulator.Signal:
    return simulator.Signal(
        probabilities={d: float(result.dimensions[d].probability) for d in DIMENSIONS},
        levels={d: result.dimensions[d].level for d in DIMENSIONS},
        flags=frozenset(result.flags),
        service_level=result.service_level,
        solution_evidence=tuple(result.dimensions["solution"].evidence),
        vector=getattr(result, "vector", None),
    )


@dataclass(frozen=True)
class Answer:
    """The customer's answer to one reply, whatever kind of customer gave it."""

    state: dict[str, Any]
    customer: engine.CustomerTurn
    outcome: str | None
    #: An example of a better reply to the line the agent answered.
    exemplar: str | None
    #: Trigger phrases of this customer the reply used, with why they inflame.
    triggers: list[dict[str, str]]


def opening(scenario: Scenario, seed: int) -> tuple[dict[str, Any], engine.CustomerTurn]:
    if scenario.mode == "model":
        state, line = simulator.start(scenario, seed)
        return {"kind": "model", **state.to_dict()}, line
    script_state, line = engine.start(scenario)
    return {"kind": "script", **_script_dict(script_state)}, line


def answer(
    scenario: Scenario,
    state: dict[str, Any],
    reply: str,
    result: Any,
    seed: int,
    customers: Customers,
    history: list[tuple[str, str]],
) -> Answer:
    """Move the customer on from ``state`` after the scored reply."""
    data = {k: v for k, v in state.items() if k != "kind"}
    if scenario.mode == "model":
        before = simulator.CustomerState.from_dict(data)
        after, line, reaction = simulator.advance(
            scenario,
            before,
            reply,
            signal_of(result),
            seed,
            customers.bank(scenario),
            generator=customers.generator,
            guard=guard if customers.generator else None,
            history=history,
        )
        return Answer(
            {"kind": "model", **after.to_dict()},
            line,
            after.outcome,
            simulator.exemplar_for(scenario, before.intent, seed),
            _triggers(scenario, reaction.triggers),
        )
    script = engine.ScriptState(**{**data, "path": tuple(data.get("path", ()))})
    answered = scenario.script.nodes[script.node]
    after, line = engine.advance(scenario, script, verdict_of(result))
    return Answer(
        {"kind": "script", **_script_dict(after)},
        line,
        after.outcome,
        answered.exemplars[seed % len(answered.exemplars)] if answered.exemplars else None,
        [],
    )


def repeats(state: dict[str, Any]) -> int:
    """Times the customer had to repeat themselves (effort): a scripted line said again, or the
    modelled customer's effort."""
    if state.get("kind") == "model":
        return int(state.get("effort", 0))
    return sum(1 for a, b in pairwise(state.get("path", [])) if a == b)


def _script_dict(state: engine.ScriptState) -> dict[str, Any]:
    return {
        "node": state.node,
        "mood": state.mood,
        "turns": state.turns,
        "presses": state.presses,
        "outcome": state.outcome,
        "path": list(state.path),
    }


def _triggers(scenario: Scenario, hits: tuple[str, ...]) -> list[dict[str, str]]:
    found = []
    for trigger in scenario.model.persona.triggers:
        said = [p for p in trigger.says if p in hits]
        if said:
            found.append({"said": said[0], "why": trigger.why})
    return found
