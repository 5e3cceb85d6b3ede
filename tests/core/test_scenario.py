"""Scenario files: schema, cross-checks with line numbers, the JSON Schema for editors."""

from __future__ import annotations

import typing
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trainer.authored import AuthoredFileError
from trainer.core.scenario import FlagName, json_schema, load_scenario
from trainer.scoring.rubric import FLAGS

from .conftest import VALID

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str, name: str = "demo-outage") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str, name: str = "demo-outage") -> list[str]:
    with pytest.raises(AuthoredFileError) as exc:
        load_scenario(write(tmp_path, text, name))
    return [f"{p.line}: {p.message}" for p in exc.value.problems]


def test_valid_scenario_loads(tmp_path):
    scenario = load_scenario(write(tmp_path, VALID))
    assert scenario.id == "demo-outage"
    assert scenario.mode == "scripted"
    assert scenario.script.nodes["opening"].branches[1].when.min.validation == 2
    assert len(scenario.content_hash()) == 64


def test_content_hash_changes_with_content(tmp_path):
    first = load_scenario(write(tmp_path, VALID)).content_hash()
    second = load_scenario(write(tmp_path, VALID.replace("Thank you.", "Thanks."))).content_hash()
    assert first != second


def test_unknown_goto_points_at_its_line(tmp_path):
    text = VALID.replace("goto: resolved", "goto: resolvd")
    assert "27: node 'resolvd' is not defined" in problems(tmp_path, text)


def test_node_without_exemplar_is_refused(tmp_path):
    text = VALID.replace(
        "      exemplars:\n        - Three days offline is awful; a technician comes at 8am "
        "and I will call you at noon.\n",
        "",
    )
    assert "18: node needs at least one exemplar reply" in problems(tmp_path, text)


def test_every_path_needs_an_escalation_end(tmp_path):
    text = VALID.replace("goto: escalated", "goto: resolved").replace(
        "    escalated:\n      customer: Supervisor, now.\n      mood: 10\n      end: escalated\n",
        "",
    )
    assert "17: no reachable end node with end: escalated" in problems(tmp_path, text)


def test_unreachable_node_is_refused(tmp_path):
    text = VALID + "    orphan:\n      customer: Hello?\n      mood: 5\n      end: abandoned\n"
    assert "37: node 'orphan' cannot be reached" in problems(tmp_path, text)


def test_reachable_nodes_come_in_reading_order(demo_scenario):
    # Breadth-first from the start: each node's branches in order, then its otherwise.
    assert demo_scenario.script.reachable() == ["opening", "escalated", "resolved"]


def test_opening_mood_must_be_the_customers(tmp_path):
    text = VALID.replace("      mood: 9\n      exemplars", "      mood: 6\n      exemplars")
    assert "20: the opening line's mood must be the customer's starting mood (9)" in problems(
        tmp_path, text
    )


def test_schema_errors_carry_lines(tmp_path):
    text = VALID.replace("  mood: 9\n  patience", "  mood: 12\n  patience").replace(
        "difficulty: 2", "difficulty: 2\ncolour: red"
    )
    found = problems(tmp_path, text)
    assert "7: colour: unknown field" in found
    assert any(p.startswith("14: customer.mood:") for p in found)


@pytest.mark.parametrize(
    ("escape", "what"), [("\\0", "a NUL character"), ("\\ud83d", "a lone surrogate")]
)
def test_escapes_the_database_cannot_store_are_refused(tmp_path, escape, what):
    text = VALID.replace("title: Internet down", f'title: "Internet {escape}down"')
    [problem] = problems(tmp_path, text)
    assert problem.startswith(f"3: this text holds {what}")


def test_lines_and_exemplars_must_be_in_the_scenarios_language(tmp_path):
    indonesian = VALID.replace(
        "- Three days offline is awful; a technician comes at 8am and I will call you at noon.",
        "- Mohon maaf Bapak, teknisi datang jam 8 dan saya telepon Bapak jam 12 siang.",
    )
    assert problems(tmp_path, indonesian) == [
        "22: this text is in Indonesian, but the scenario's language is English"
    ]
    # A line too short to tell, or mixing both languages, is the author's to judge.
    load_scenario(write(tmp_path, VALID.replace("Thank you.", "Makasih ya, thanks.")))


def test_id_must_match_the_file_name(tmp_path):
    assert "1: id 'demo-outage' must match the file name 'other'" in problems(
        tmp_path, VALID, name="other"
    )


def test_flag_names_match_the_scorer():
    assert set(typing.get_args(FlagName)) == set(FLAGS) - {"truncated"}


def test_committed_schema_is_current():
    committed = (ROOT / "scenarios" / "schema.json").read_text(encoding="utf-8")
    assert committed == json_schema(), (
        "regenerate: python -m trainer.core.scenario > scenarios/schema.json"
    )


def test_committed_scenarios_are_valid():
    files = sorted((ROOT / "scenarios").glob("*.yaml"))
    for path in files:
        load_scenario(path)


# Mutations of a valid file (Hypothesis, derandomized): whatever a trainer's edit breaks, the
# answer is a list of file:line problems, never another exception.
SCALARS = st.one_of(
    st.sampled_from(["", "~", "[]", "{}", "-1", "99", "1.5", "yes", "'", '"', "&a", "*a", "!!str"]),
    st.sampled_from(["opening", "resolved", "nowhere", "blame", "validation", "{min: 3}"]),
    st.text(
        st.characters(exclude_categories=("Cs",), exclude_characters="\r\x85\u2028\u2029"),
        max_size=12,
    ),
)


@st.composite
def mutated(draw) -> str:
    lines = VALID.splitlines()
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(lines) - 1))
        kind = draw(st.sampled_from(["drop", "repeat", "value", "indent", "key"]))
        line = lines[i]
        if kind == "drop":
            del lines[i]
        elif kind == "repeat":
            lines.insert(i, line)
        elif kind == "value" and ":" in line:
            lines[i] = line[: line.index(":") + 1] + " " + draw(SCALARS)
        elif kind == "indent":
            lines[i] = " " * draw(st.integers(0, 8)) + line.lstrip()
        else:
            lines[i] = line.replace(line.strip().split(":")[0], draw(SCALARS), 1)
        if not lines:
            break
    return "\n".join(lines) + "\n"


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(text=mutated())
def test_any_edit_gives_a_scenario_or_located_problems(tmp_path_factory, text):
    path = write(tmp_path_factory.mktemp("fuzz"), text)
    try:
        load_scenario(path)
    except AuthoredFileError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.path == str(path) and problem.line >= 1 and problem.message


def _problem_codes(module) -> set[str]:
    """The codes a module's problems can carry, read from its source: the code argument of every
    ``Problem(...)``, every value assigned to a variable named ``code``, and (as ``schema.<type>``)
    every ``PydanticCustomError`` type."""
    import ast
    import inspect

    def strings(node) -> set[str]:
        """The literal codes an argument can be: a string, or either side of ``a if c else b``
        (a code built at run time, ``schema.<pydantic type>``, is pydantic's own)."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return {node.value}
        if isinstance(node, ast.IfExp):
            return strings(node.body) | strings(node.orelse)
        return set()

    codes: set[str] = set()
    for node in ast.walk(ast.parse(inspect.getsource(module))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "Problem" and len(node.args) >= 4:
                codes |= strings(node.args[3])
            if node.func.id == "PydanticCustomError":
                codes |= {f"schema.{c}" for c in strings(node.args[0])}
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "code" for t in node.targets
        ):
            codes |= strings(node.value)
    return codes


def test_every_problem_code_has_a_message_for_the_studio():
    import trainer.authored
    import trainer.core.scenario
    from trainer.web.studio.problems import MESSAGES

    codes = _problem_codes(trainer.authored) | _problem_codes(trainer.core.scenario)
    assert len(codes) >= 20  # the reader found them
    assert codes - set(MESSAGES) == set()


@pytest.mark.parametrize(
    ("edit", "code", "params"),
    [
        (
            lambda t: t.replace("goto: ", "goto: nowhere #", 1),
            "node_undefined",
            {"node": "nowhere"},
        ),
        (
            lambda t: t.replace("difficulty: ", "difficulty: 9 #", 1),
            "schema.less_than_equal",
            {"le": "5", "where": "difficulty"},
        ),
        (lambda t: "x: &a 1\ny: *a\n", "yaml_anchor", {}),
        (lambda t: "a: [\n", "yaml_syntax", None),
    ],
)
def test_problems_carry_a_code_and_params_beside_the_english(tmp_path, edit, code, params):
    path = tmp_path / "telco-outage-home-office.yaml"
    path.write_text(
        edit((ROOT / "scenarios" / path.name).read_text(encoding="utf-8")), encoding="utf-8"
    )
    with pytest.raises(AuthoredFileError) as exc:
        load_scenario(path)
    problem = next(p for p in exc.value.problems if p.code == code)
    if params is not None:
        assert dict(problem.params) == params
    assert str(problem).startswith(f"{path}:{problem.line}: ")
