"""Scenario files: the schema of scenarios/*.yaml, loaded and cross-checked (file:line errors)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from trainer.authored import AuthoredFileError, Problem, line_of, load_data
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


class Customer(_Authored):
    name: Text
    #: Who they are and what they need, for the trainee's briefing.
    persona: Text
    #: Mood at the start, 0 calm - 10 furious.
    mood: Mood
    #: How many replies that do not help the customer tolerates before escalating.
    patience: int = Field(ge=1, le=10)


class Scenario(_Authored):
    """A scripted escalation scenario (``mode: scripted``)."""

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
    script: Script

    @field_validator("objectives")
    @classmethod
    def _distinct(cls, objectives: list[str]) -> list[str]:
        if len(set(objectives)) != len(objectives):
            raise ValueError("objectives must be distinct")
        return objectives

    @property
    def mode(self) -> str:
        return "scripted"

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
        problems.append(
            Problem(path, at("start"), f"start node {scenario.script.start!r} is not defined")
        )
    elif nodes[scenario.script.start].mood != scenario.customer.mood:
        problems.append(
            Problem(
                path,
                at("nodes", scenario.script.start, "mood"),
                f"the opening line's mood must be the customer's starting mood "
                f"({scenario.customer.mood})",
            )
        )
    for node_id, node in nodes.items():
        targets = [(("branches", i, "goto"), b.goto) for i, b in enumerate(node.branches)]
        if node.otherwise:
            targets.append((("otherwise",), node.otherwise))
        for loc, target in targets:
            if target not in nodes:
                problems.append(
                    Problem(path, at("nodes", node_id, *loc), f"node {target!r} is not defined")
                )
        if node.end:
            if node.branches or node.otherwise:
                problems.append(
                    Problem(path, at("nodes", node_id, "end"), "an end node cannot lead anywhere")
                )
        else:
            if not node.exemplars:
                problems.append(
                    Problem(path, at("nodes", node_id), "node needs at least one exemplar reply")
                )
            if not node.branches and not node.otherwise:
                problems.append(
                    Problem(path, at("nodes", node_id), "node needs branches or otherwise")
                )
    reachable = _reachable(scenario)
    for node_id in nodes:
        if node_id not in reachable:
            problems.append(
                Problem(path, at("nodes", node_id), f"node {node_id!r} cannot be reached")
            )
    outcomes = {nodes[n].end for n in reachable if n in nodes}
    for needed in ("resolved", "escalated"):
        if needed not in outcomes:
            problems.append(Problem(path, at("nodes"), f"no reachable end node with end: {needed}"))
    return problems


def _reachable(scenario: Scenario) -> set[str]:
    nodes = scenario.script.nodes
    seen: set[str] = set()
    todo = [scenario.script.start]
    while todo:
        node_id = todo.pop()
        if node_id in seen or node_id not in nodes:
            continue
        seen.add(node_id)
        node = nodes[node_id]
        todo.extend(b.goto for b in node.branches)
        if node.otherwise:
            todo.append(node.otherwise)
    return seen


def load_scenario(path: Path | str, *, text: str | None = None) -> Scenario:
    """Read, validate and cross-check one scenario file; raise AuthoredFileError on problems."""
    name = str(path)
    scenario, data = load_data(Scenario, path, text=text)
    problems = _script_problems(scenario, data, name)
    if Path(name).stem != scenario.id:
        message = f"id {scenario.id!r} must match the file name {Path(name).stem!r}"
        problems.append(Problem(name, line_of(data, ("id",)), message))
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
