"""Rubric definitions: dimensions, anti-pattern flags and special phrases, validated from YAML."""

from __future__ import annotations

import hashlib
import json
import re
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from trainer.authored import AuthoredFileError, Problem, load_model
from trainer.vocabulary import DIMENSIONS, FLAGS, LEARNED_FLAGS

__all__ = [
    "DIMENSIONS",
    "FLAGS",
    "LEARNED_FLAGS",
    "Rubric",
    "default_rubric_dir",
    "load_rubric",
    "rubric_file_model",
]

Dimension = Literal["empathy", "validation", "solution"]
Language = Literal["en", "id"]

RUBRIC_FILES = ("dimensions.yaml", "flags.yaml", "phrases.yaml")


class _Authored(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_patterns(patterns: list[str]) -> list[str]:
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from None
    return patterns


class DimensionSpec(_Authored):
    name: Dimension
    title: str
    question: str
    levels: dict[int, str]
    tip: str

    @field_validator("levels")
    @classmethod
    def _all_levels(cls, levels: dict[int, str]) -> dict[int, str]:
        if sorted(levels) != [0, 1, 2, 3]:
            raise ValueError("levels must describe 0, 1, 2 and 3")
        return levels


def _each_once(specs: list, names: tuple[str, ...], what: str) -> list:
    if sorted(spec.name for spec in specs) != sorted(names):
        raise ValueError(f"{what} must be exactly {', '.join(names)}, each once")
    return specs


class DimensionsFile(_Authored):
    version: int
    dimensions: list[DimensionSpec]

    _each_once = field_validator("dimensions")(lambda v: _each_once(v, DIMENSIONS, "dimensions"))


class Caps(_Authored):
    service_level: int | None = Field(default=None, ge=0, le=4)
    empathy: int | None = Field(default=None, ge=0, le=3)
    validation: int | None = Field(default=None, ge=0, le=3)
    solution: int | None = Field(default=None, ge=0, le=3)


class FlagSpec(_Authored):
    name: Literal[FLAGS]  # type: ignore[valid-type]
    title: str
    explain: str
    caps: Caps = Caps()
    patterns: list[str] = []

    _valid_patterns = field_validator("patterns")(_check_patterns)


class FlagsFile(_Authored):
    version: int
    flags: list[FlagSpec]

    _each_once = field_validator("flags")(lambda v: _each_once(v, FLAGS, "flags"))


class PhrasesFile(_Authored):
    version: int
    stock: dict[Language, list[str]]
    courtesy: list[str]
    requests: list[str]

    @field_validator("stock")
    @classmethod
    def _valid_stock(cls, stock: dict[str, list[str]]) -> dict[str, list[str]]:
        for patterns in stock.values():
            _check_patterns(patterns)
        return stock

    _valid_courtesy = field_validator("courtesy", "requests")(_check_patterns)


class Rubric(_Authored):
    """Everything the scorer needs from ``rubrics/``; ``version`` is a hash of the content."""

    dimensions: DimensionsFile
    flags: FlagsFile
    phrases: PhrasesFile

    @cached_property
    def version(self) -> str:
        blob = json.dumps(self.model_dump(mode="json"), sort_keys=True).encode()
        return "rubric-" + hashlib.sha256(blob).hexdigest()[:12]

    def dimension(self, name: str) -> DimensionSpec:
        return next(d for d in self.dimensions.dimensions if d.name == name)

    def flag(self, name: str) -> FlagSpec:
        return next(f for f in self.flags.flags if f.name == name)

    @cached_property
    def injection_pattern(self) -> re.Pattern[str]:
        return _union(self.flag("injection").patterns)

    @cached_property
    def stock_pattern(self) -> re.Pattern[str]:
        return _union([p for patterns in self.phrases.stock.values() for p in patterns])

    @cached_property
    def courtesy_pattern(self) -> re.Pattern[str]:
        return _union(self.phrases.courtesy)

    @cached_property
    def politeness_pattern(self) -> re.Pattern[str]:
        return _union(self.phrases.courtesy + self.phrases.requests)


def _union(patterns: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


def default_rubric_dir() -> Path:
    """``rubrics/`` at the top of the source tree this package runs from."""
    return Path(__file__).resolve().parents[2] / "rubrics"


def load_rubric(directory: Path | str | None = None) -> Rubric:
    """Load and validate the three rubric files; raise AuthoredFileError listing every problem."""
    directory = Path(directory) if directory is not None else default_rubric_dir()
    parts: dict[str, BaseModel] = {}
    problems: list[Problem] = []
    for filename, model in zip(RUBRIC_FILES, (DimensionsFile, FlagsFile, PhrasesFile), strict=True):
        path = directory / filename
        if not path.is_file():
            problems.append(Problem(str(path), 1, "rubric file is missing"))
            continue
        try:
            parts[filename.removesuffix(".yaml")] = load_model(model, path)
        except AuthoredFileError as exc:
            problems.extend(exc.problems)
    if problems:
        raise AuthoredFileError(problems)
    return Rubric.model_validate(parts)


def rubric_file_model(path: Path) -> type[BaseModel] | None:
    """The model that validates a rubric file of this name, or None if it is not one."""
    models = dict(zip(RUBRIC_FILES, (DimensionsFile, FlagsFile, PhrasesFile), strict=True))
    return models.get(path.name)
