"""Authored YAML: safe parsing and file:line errors."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ConfigDict

from trainer.authored import MAX_FILE_BYTES, AuthoredFileError, load_model


class Thing(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    size: int


def problems(text: str) -> list[str]:
    with pytest.raises(AuthoredFileError) as exc:
        load_model(Thing, "thing.yaml", text=text)
    return [str(p) for p in exc.value.problems]


def test_valid_file_loads():
    assert load_model(Thing, "thing.yaml", text="name: a\nsize: 3\n") == Thing(name="a", size=3)


def test_wrong_type_points_at_its_line():
    assert problems("name: a\nsize: big\n") == [
        "thing.yaml:2: size: Input should be a valid integer, unable to parse string as an integer"
    ]


def test_unknown_field_points_at_its_line():
    assert problems("name: a\nsize: 1\ncolour: red\n") == ["thing.yaml:3: colour: unknown field"]


def test_duplicate_keys_are_refused():
    [problem] = problems("name: a\nsize: 1\nname: b\n")
    assert problem.startswith("thing.yaml:3:") and "duplicate" in problem


def test_aliases_and_anchors_are_refused():
    found = problems("name: &n a\nsize: 1\nother: *n\n")
    assert "thing.yaml:1: YAML anchors are not allowed" in found
    assert "thing.yaml:3: YAML aliases are not allowed" in found


def test_tags_are_refused():
    assert problems("name: !!python/name:os.system a\nsize: 1\n")[0].startswith(
        "thing.yaml:1: YAML tags are not allowed"
    )


def test_syntax_errors_carry_a_line():
    [problem] = problems("name: a\nsize: [1, 2\n")
    assert problem.startswith("thing.yaml:")


def test_oversized_files_are_refused():
    assert "larger than" in problems("name: " + "x" * MAX_FILE_BYTES)[0]
