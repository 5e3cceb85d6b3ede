"""Scenario files: the schema of scenarios/*.yaml, loaded and cross-checked (file:line errors)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from trainer.authored import AuthoredFileError, Problem, line_of, load_data
from trainer.language import LANGUAGE_NAMES, guess_language
from trainer.vocabulary import REPLY_FLAGS

Level = Annotated[int, Field(ge=0, le=3)]
ServiceLevel = Annotated[int, Field(ge=0, le=4)]
Mood = Annotated[int, Field(ge=0, le=10)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
NodeId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
FlagName = Literal[REPLY_FLAGS]  # type: ignore[valid-type]
Outcome = Literal["resolved", "escalated", "abandoned"]
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class _Authored(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Thresholds(_Authored):
    """Levels to compare a scored reply with (each optional)."""

    empathy: Level | None = None
    validation: Level | None = None
    solution: Level | None = None
    service_level: ServiceLevel | None = None


class Condition(_Authored):
    """When a branch is taken: every part that is given must hold."""

    #: Each given level must be reached (>=).
    min: Thresholds | None = None
    #: Each given level must not be exceeded (<=).
    max: Thresholds | None = None
    #: At least one of these flags was raised on the reply.
    flags_any: list[FlagName] = []


class Branch(_Authored):
    #: The condition on the scored reply; named `if` in the file.
    when: Condition = Field(alias="if")
    #: The node the conversation moves to.
    goto: NodeId


class Node(_Authored):
    """One customer turn: what the customer says, and where the agent's reply leads."""

    #: The customer's line.
    customer: Text
    #: The customer's mood while saying it (0 calm - 10 furious).
    mood: Mood
    #: Agent replies at service level 3 or 4 that answer this line ("an example of a better reply").
    exemplars: list[Text] = []
    #: Checked in order; the first that holds is taken.
    branches: list[Branch] = []
    #: Where to go when no branch holds; the node itself means the customer presses again.
    otherwise: NodeId | None = None
    #: Set on the customer's last line: how the conversation ended.
    end: Outcome | None = None


class Script(_Authored):
    start: NodeId
    nodes: dict[NodeId, Node]

    def reachable(self) -> list[str]:
        """The nodes a conversation can reach, breadth-first from the start: the order a reader
        follows (each node's branches, then its ``otherwise``)."""
        order: list[str] = []
        todo = [self.start]
        while todo:
            node_id = todo.pop(0)
            if node_id in order or node_id not in self.nodes:
                continue
            order.append(node_id)
            node = self.nodes[node_id]
            todo.extend(b.goto for b in node.branches)
            if node.otherwise:
                todo.append(node.otherwise)
        return order


class Customer(_Authored):
    name: Text
    #: Who they are and what they need, for the trainee's briefing.
    persona: Text
    #: Mood at the start, 0 calm - 10 furious.
    mood: Mood
    #: How many replies that do not help the customer tolerates before escalating.
    patience: int = Field(ge=1, le=10)


#: What a modelled customer can do on a turn.
INTENTS = ("complain", "demand", "doubt", "push_back", "accept", "thank", "escalate")
#: Intents that end the conversation.
FINAL_INTENTS = ("accept", "thank", "escalate")
#: Intents the agent answers, each with exemplar replies.
OPEN_INTENTS = ("complain", "demand", "doubt", "push_back")
#: Slots a line may use, filled from the conversation.
SLOTS = ("agent_name", "remedy", "deadline", "customer_name")
SLOT = re.compile(r"\{([a-z_]+)\}")
Intent = Literal[INTENTS]  # type: ignore[valid-type]
OpenIntent = Literal[OPEN_INTENTS]  # type: ignore[valid-type]


class Trigger(_Authored):
    """Words that make this customer angrier, and why (shown in feedback)."""

    #: Phrases matched case-insensitively in the agent's reply.
    says: list[Text] = Field(min_length=1)
    #: Why it inflames this customer.
    why: Text


class Persona(_Authored):
    """What the modelled customer needs; ``customer.persona`` says who they are."""

    #: What they need from this contact.
    needs: Text
    #: Offers that would satisfy them (compared with what the agent offers).
    satisfied_by: list[Text] = Field(min_length=1)
    #: What makes it worse.
    triggers: list[Trigger] = []


class Dynamics(_Authored):
    """Mood dynamics; each unset value follows from the scenario's difficulty."""

    #: How strongly validation, empathy and a concrete plan calm the customer.
    calm_rate: float | None = Field(default=None, ge=0.1, le=3)
    #: How strongly anti-patterns and triggers inflame them.
    inflame_rate: float | None = Field(default=None, ge=0.1, le=3)
    #: Random mood swing per turn (seeded).
    volatility: float | None = Field(default=None, ge=0, le=2)
    #: How fast trust comes back after good replies (0-1).
    forgiveness: float | None = Field(default=None, ge=0, le=1)
    #: Concrete offers needed before the customer accepts.
    offers_needed: int | None = Field(default=None, ge=1, le=4)


class LineBank(_Authored):
    """Customer lines for one intent, by mood band: high 7-10, mid 4-6, low 0-3."""

    high: list[Text] = []
    mid: list[Text] = []
    low: list[Text] = []

    def all(self) -> list[str]:
        return [*self.high, *self.mid, *self.low]


class CustomerModel(_Authored):
    """The ``model`` section: a simulated customer driven by mood, trust and patience."""

    #: The customer's first line.
    opening: Text
    persona: Persona
    dynamics: Dynamics = Dynamics()
    #: Lines per intent and mood band; {agent_name}, {remedy}, {deadline}, {customer_name} slots.
    lines: dict[Intent, LineBank]
    #: Agent replies at service level 3-4 answering each open intent ("an example of a better
    #: reply"; tests play them).
    exemplars: dict[OpenIntent, list[Text]]


class Scenario(_Authored):
    """An escalation scenario: scripted (``script``) or modelled (``mode: model``, ``model``)."""

    id: Annotated[str, StringConstraints(pattern=SLUG.pattern, max_length=60)]
    version: int = Field(ge=1)
    title: Text
    language: Literal["en", "id"]
    sector: Annotated[str, StringConstraints(pattern=r"^[a-z_]{2,30}$")]
    difficulty: int = Field(ge=1, le=5)
    #: The service level a trainee should reach.
    target_level: ServiceLevel
    objectives: list[Text] = Field(min_length=1)
    customer: Customer
    #: scripted (a script of customer lines) or model (a simulated customer).
    mode: Literal["scripted", "model"] = "scripted"
    script: Script | None = None
    model: CustomerModel | None = None

    @model_validator(mode="after")
    def _one_customer(self) -> Scenario:
        if self.mode == "scripted" and (self.script is None or self.model is not None):
            raise PydanticCustomError(
                "scripted_needs_script", "a scripted scenario needs `script` and no `model`"
            )
        if self.mode == "model" and (self.model is None or self.script is not None):
            raise PydanticCustomError(
                "model_needs_model",
                "a modelled scenario (mode: model) needs `model` and no `script`",
            )
        return self

    @field_validator("objectives")
    @classmethod
    def _distinct(cls, objectives: list[str]) -> list[str]:
        if len(set(objectives)) != len(objectives):
            raise PydanticCustomError("objectives_distinct", "objectives must be distinct")
        return objectives

    def content_hash(self) -> str:
        blob = json.dumps(self.model_dump(mode="json", by_alias=True), sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()


def _script_problems(scenario: Scenario, data: Any, path: str) -> list[Problem]:
    """Cross-references a schema cannot express: targets exist, every path can end, exemplars."""
    nodes = scenario.script.nodes
    problems: list[Problem] = []

    def at(*loc: str | int) -> int:
        return line_of(data, ("script", *loc))

    if scenario.script.start not in nodes:
        start = scenario.script.start
        problems.append(
            Problem(
                path,
                at("start"),
                f"start node {start!r} is not defined",
                "start_undefined",
                {"node": start},
            )
        )
    elif nodes[scenario.script.start].mood != scenario.customer.mood:
        problems.append(
            Problem(
                path,
                at("nodes", scenario.script.start, "mood"),
                f"the opening line's mood must be the customer's starting mood "
                f"({scenario.customer.mood})",
                "opening_mood",
                {"mood": str(scenario.customer.mood)},
            )
        )
    for node_id, node in nodes.items():
        targets = [(("branches", i, "goto"), b.goto) for i, b in enumerate(node.branches)]
        if node.otherwise:
            targets.append((("otherwise",), node.otherwise))
        for loc, target in targets:
            if target not in nodes:
                problems.append(
                    Problem(
                        path,
                        at("nodes", node_id, *loc),
                        f"node {target!r} is not defined",
                        "node_undefined",
                        {"node": target},
                    )
                )
        if node.end:
            if node.branches or node.otherwise:
                problems.append(
                    Problem(
                        path,
                        at("nodes", node_id, "end"),
                        "an end node cannot lead anywhere",
                        "end_leads_on",
                    )
                )
        else:
            if not node.exemplars:
                problems.append(
                    Problem(
                        path,
                        at("nodes", node_id),
                        "node needs at least one exemplar reply",
                        "node_needs_exemplar",
                    )
                )
            if not node.branches and not node.otherwise:
                problems.append(
                    Problem(
                        path,
                        at("nodes", node_id),
                        "node needs branches or otherwise",
                        "node_needs_branches",
                    )
                )
    reachable = set(scenario.script.reachable())
    for node_id in nodes:
        if node_id not in reachable:
            problems.append(
                Problem(
                    path,
                    at("nodes", node_id),
                    f"node {node_id!r} cannot be reached",
                    "node_unreachable",
                    {"node": node_id},
                )
            )
    outcomes = {nodes[n].end for n in reachable if n in nodes}
    for needed in ("resolved", "escalated"):
        if needed not in outcomes:
            problems.append(
                Problem(
                    path,
                    at("nodes"),
                    f"no reachable end node with end: {needed}",
                    "no_end",
                    {"outcome": needed},
                )
            )
    return problems


#: Lines an open intent needs so that a long attempt never repeats one.
MIN_LINES = 3


def _model_problems(scenario: Scenario, data: Any, path: str) -> list[Problem]:
    """What the schema cannot say about a customer model: every intent speaks, slots exist."""
    model = scenario.model
    problems: list[Problem] = []

    def at(*loc: str | int) -> int:
        return line_of(data, ("model", *loc))

    for intent in INTENTS:
        bank = model.lines.get(intent)
        count = len(bank.all()) if bank else 0
        needed = 1 if intent in FINAL_INTENTS else MIN_LINES
        if count < needed:
            problems.append(
                Problem(
                    path,
                    at("lines"),
                    f"intent {intent!r} needs at least {needed} line(s)",
                    "intent_lines",
                    {"intent": intent, "n": str(needed)},
                )
            )
        for band in ("high", "mid", "low"):
            for i, line in enumerate(getattr(bank, band) if bank else []):
                for slot in SLOT.findall(line):
                    if slot not in SLOTS:
                        problems.append(
                            Problem(
                                path,
                                at("lines", intent, band, i),
                                f"unknown slot {{{slot}}} (known: {', '.join(SLOTS)})",
                                "unknown_slot",
                                {"slot": slot, "known": ", ".join(SLOTS)},
                            )
                        )
    for intent in OPEN_INTENTS:
        if not model.exemplars.get(intent):
            problems.append(
                Problem(
                    path,
                    at("exemplars"),
                    f"intent {intent!r} needs an exemplar reply",
                    "intent_exemplar",
                    {"intent": intent},
                )
            )
    if SLOT.search(model.opening):
        problems.append(
            Problem(path, at("opening"), "the opening line cannot use slots", "opening_slots")
        )
    return problems


def _spoken(scenario: Scenario) -> list[tuple[tuple[str | int, ...], str]]:
    """Where each line the customer says and each exemplar reply is, with its text."""
    if scenario.script is not None:
        said: list[tuple[tuple[str | int, ...], str]] = []
        for node_id, node in scenario.script.nodes.items():
            said.append((("script", "nodes", node_id, "customer"), node.customer))
            said += [
                (("script", "nodes", node_id, "exemplars", i), text)
                for i, text in enumerate(node.exemplars)
            ]
        return said
    model = scenario.model
    said = [(("model", "opening"), model.opening)]
    for intent, bank in model.lines.items():
        for band in ("high", "mid", "low"):
            said += [
                (("model", "lines", intent, band, i), text)
                for i, text in enumerate(getattr(bank, band))
            ]
    for intent, texts in model.exemplars.items():
        said += [(("model", "exemplars", intent, i), text) for i, text in enumerate(texts)]
    return said


def _language_problems(scenario: Scenario, data: Any, path: str) -> list[Problem]:
    """A customer line or an exemplar clearly in the other language than the scenario's: the
    trainee would answer a customer who switched languages, and the scorer does not compare a
    reply with a message in the other language (scoring.text.readable_context)."""
    problems = []
    for loc, text in _spoken(scenario):
        found = guess_language(text)
        if found is not None and found != scenario.language:
            problems.append(
                Problem(
                    path,
                    line_of(data, loc),
                    f"this text is in {LANGUAGE_NAMES[found]}, but the scenario's language is "
                    f"{LANGUAGE_NAMES[scenario.language]}",
                    "wrong_language",
                    {"found": found, "language": scenario.language},
                )
            )
    return problems


def load_scenario(path: Path | str, *, text: str | None = None) -> Scenario:
    """Read, validate and cross-check one scenario file; raise AuthoredFileError on problems."""
    name = str(path)
    scenario, data = load_data(Scenario, path, text=text)
    if scenario.mode == "model":
        problems = _model_problems(scenario, data, name)
    else:
        problems = _script_problems(scenario, data, name)
    problems += _language_problems(scenario, data, name)
    if Path(name).stem != scenario.id:
        message = f"id {scenario.id!r} must match the file name {Path(name).stem!r}"
        params = {"id": scenario.id, "name": Path(name).stem}
        problems.append(Problem(name, line_of(data, ("id",)), message, "id_mismatch", params))
    if problems:
        raise AuthoredFileError(problems)
    return scenario


def json_schema() -> str:
    """The JSON Schema of scenario files, for editors (scenarios/schema.json)."""
    schema = Scenario.model_json_schema(by_alias=True)
    schema["title"] = "Escalation trainer scenario"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    print(json_schema(), end="")
