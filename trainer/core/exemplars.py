"""A scenario's exemplar replies as the scorer sees them: the model answers trainees are shown."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from trainer.core import simulator
from trainer.core.engine import MAX_TURNS, Verdict, advance, next_node, start
from trainer.core.scenario import OPEN_INTENTS, Scenario

#: Scores (agent reply, customer line) pairs in one batch: per pair the verdict, or the scorer's
#: message when it refused the reply (empty, only emoji).
Judge = Callable[[Sequence[tuple[str, str]]], Sequence[Verdict | str]]

#: What the modelled customer makes of an agent reply to one of its lines.
Listener = Callable[[str, str], simulator.Signal]

#: Seeded plays of a modelled scenario, and the share of them its exemplars must resolve (as the
#: acceptance tests of the shipped scenarios ask).
PLAYS = 10
PLAYS_RESOLVED = 0.9

#: What can be wrong with an exemplar, most serious first.
PROBLEMS = ("unscorable", "flagged", "below_target", "escalates", "stays")


@dataclass(frozen=True)
class ExemplarCheck:
    """One exemplar reply, scored against the customer line it answers."""

    #: The node id (scripted) or the intent (modelled) whose exemplar this is.
    where: str
    #: Its position among that node's or intent's exemplars, from 0.
    index: int
    reply: str
    #: The customer line it was scored against; for a modelled intent, the line of that intent
    #: it answers best (the customer says any of them, and exemplars are written per intent).
    context: str
    #: The scorer's verdict; None when the reply could not be scored.
    verdict: Verdict | None
    #: The node the reply leads to (scripted scenarios only).
    leads_to: str | None
    #: Codes from PROBLEMS, most serious first; empty when the exemplar is sound.
    problems: tuple[str, ...]
    #: Why the scorer refused the reply, when it did.
    error: str = ""


@dataclass(frozen=True)
class ExemplarWalk:
    """A play of a scripted scenario in which every reply is the current node's first exemplar."""

    #: The nodes visited, the start first.
    path: tuple[str, ...]
    #: The service level of each reply.
    levels: tuple[int, ...]
    #: How the play ended; None when it stopped on an exemplar the scorer could not score.
    outcome: str | None

    @property
    def resolved(self) -> bool:
        return self.outcome == "resolved"


@dataclass(frozen=True)
class ExemplarPlays:
    """Seeded plays of a modelled scenario; each reply is the exemplar for the customer's intent."""

    #: How each play ended (resolved or escalated), one per seed.
    outcomes: tuple[str, ...]
    #: Replies in each play.
    turns: tuple[int, ...]

    @property
    def resolved(self) -> int:
        return self.outcomes.count("resolved")

    @property
    def needed(self) -> int:
        return math.ceil(PLAYS_RESOLVED * len(self.outcomes))

    @property
    def enough(self) -> bool:
        return self.resolved >= self.needed


@dataclass(frozen=True)
class ExemplarReport:
    """Every exemplar of one scenario version, checked against its target service level."""

    target_level: int
    exemplars: tuple[ExemplarCheck, ...]
    #: Scripted scenarios only.
    walk: ExemplarWalk | None
    #: Modelled scenarios, when the caller played them (see play_exemplars).
    plays: ExemplarPlays | None = None

    @property
    def faulty(self) -> tuple[ExemplarCheck, ...]:
        return tuple(check for check in self.exemplars if check.problems)

    @property
    def sound(self) -> bool:
        walked = self.walk is None or self.walk.resolved
        return not self.faulty and walked and (self.plays is None or self.plays.enough)


def _check(
    where: str,
    index: int,
    reply: str,
    context: str,
    verdict: Verdict | str,
    leads_to: str | None,
    target_level: int,
    *more: str,
) -> ExemplarCheck:
    if isinstance(verdict, str):
        return ExemplarCheck(where, index, reply, context, None, None, ("unscorable",), verdict)
    found = set(more)
    if verdict.flags:
        found.add("flagged")
    if verdict.service_level < target_level:
        found.add("below_target")
    problems = tuple(code for code in PROBLEMS if code in found)
    return ExemplarCheck(where, index, reply, context, verdict, leads_to, problems)


def _scripted(scenario: Scenario, judge: Judge) -> ExemplarReport:
    nodes = scenario.script.nodes
    asked = [
        (node_id, index, reply, node.customer)
        for node_id, node in nodes.items()
        if not node.end
        for index, reply in enumerate(node.exemplars)
    ]
    verdicts = judge([(reply, line) for _node, _index, reply, line in asked])
    checks: list[ExemplarCheck] = []
    first: dict[str, Verdict | None] = {}
    for (node_id, index, reply, line), verdict in zip(asked, verdicts, strict=True):
        leads_to = None
        more: list[str] = []
        if not isinstance(verdict, str):
            leads_to = next_node(nodes[node_id], node_id, verdict)
            if leads_to == node_id:
                more.append("stays")
            elif nodes[leads_to].end == "escalated":
                more.append("escalates")
        checks.append(
            _check(node_id, index, reply, line, verdict, leads_to, scenario.target_level, *more)
        )
        if index == 0:
            first[node_id] = checks[-1].verdict
    return ExemplarReport(scenario.target_level, tuple(checks), _walk(scenario, first))


def _walk(scenario: Scenario, first: dict[str, Verdict | None]) -> ExemplarWalk:
    # Every reply answers its node's own line, so the verdicts already made are the walk's.
    state, _turn = start(scenario)
    levels: list[int] = []
    while not state.done and state.turns < MAX_TURNS:
        verdict = first[state.node]
        if verdict is None:
            break
        levels.append(verdict.service_level)
        state, _turn = advance(scenario, state, verdict)
    return ExemplarWalk(state.path, tuple(levels), state.outcome)


def _fit(verdict: Verdict | str) -> tuple[int, int]:
    if isinstance(verdict, str):
        return (-1, 0)
    return (verdict.service_level, -len(verdict.flags))


def _modelled(scenario: Scenario, judge: Judge) -> ExemplarReport:
    model = scenario.model
    known = {"customer_name": scenario.customer.name}
    asked: list[tuple[str, int, str, list[str]]] = []
    for intent in OPEN_INTENTS:
        # Lines that wait for a slot only the conversation can fill are left out.
        said = [simulator.fill(t, known) for t in model.lines[intent].all()]
        lines = [line for line in said if line is not None]
        if intent == "complain":
            lines.insert(0, model.opening)
        asked.extend(
            (intent, index, reply, lines)
            for index, reply in enumerate(model.exemplars.get(intent, []))
        )
    verdicts = iter(judge([(reply, line) for *_, reply, lines in asked for line in lines]))
    checks = []
    for intent, index, reply, lines in asked:
        heard = [next(verdicts) for _ in lines]
        verdict, line = max(zip(heard, lines, strict=True), key=lambda pair: _fit(pair[0]))
        checks.append(_check(intent, index, reply, line, verdict, None, scenario.target_level))
    return ExemplarReport(scenario.target_level, tuple(checks), None)


def check_exemplars(scenario: Scenario, judge: Judge) -> ExemplarReport:
    """Score every exemplar against the line it answers; in a scripted scenario, also follow
    where each one leads and play the scenario through on first exemplars.

    An exemplar is faulty when the scorer refuses it, raises an anti-pattern on it, places it
    below the scenario's target service level, or (scripted) it escalates the customer or leaves
    them on the same line. Trainees are shown exemplars as the better reply, so each of these
    teaches against the scorer that grades them.
    """
    return _scripted(scenario, judge) if scenario.mode == "scripted" else _modelled(scenario, judge)


def play_exemplars(
    scenario: Scenario,
    listen: Listener,
    bank: simulator.LineBank,
    seeds: Iterable[int] = range(PLAYS),
) -> ExemplarPlays:
    """Play a modelled scenario once per seed, always answering with the exemplar for what the
    customer is doing (as trainees are shown it): does the customer come round?"""
    outcomes: list[str] = []
    turns: list[int] = []
    for seed in seeds:
        state, turn = simulator.start(scenario, seed)
        while not state.done:
            reply = simulator.exemplar_for(scenario, state.intent, seed + state.turns)
            heard = listen(reply, turn.text)
            state, turn, _ = simulator.advance(scenario, state, reply, heard, seed, bank)
        outcomes.append(state.outcome)
        turns.append(state.turns)
    return ExemplarPlays(tuple(outcomes), tuple(turns))
