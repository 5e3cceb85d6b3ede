"""Authored YAML files (rubrics, scenarios) parsed safely and validated with file:line errors."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

Model = TypeVar("Model", bound=BaseModel)

#: Authored files are small; anything larger is a mistake or an attack (billion laughs and kin).
MAX_FILE_BYTES = 256 * 1024
#: Half of a UTF-16 pair on its own: what undecodable bytes or a cut emoji leave in a str.
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def unstorable(text: str) -> str | None:
    """Why ``text`` cannot be stored as text, if it cannot: PostgreSQL refuses NUL, and no
    database driver encodes a lone surrogate."""
    if "\x00" in text:
        return "holds a NUL character, which is not text"
    if LONE_SURROGATE.search(text):
        return "holds a lone surrogate (half an emoji), which is not text"
    return None


@dataclass(frozen=True)
class Problem:
    """One problem in an authored file, printed as ``file:line: message``.

    ``message`` is English (the CLI and logs); ``code`` and ``params`` say the same for a
    reader in another language: ``schema.<pydantic error type>`` with ``where`` (the field's dotted
    path) and the error's context, or one of the cross-checks' own codes.
    """

    path: str
    line: int
    message: str
    code: str = ""
    params: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class AuthoredFileError(ValueError):
    """An authored file is invalid; ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def _yaml():
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    return yaml


def _structural_problems(text: str, path: str) -> list[Problem]:
    """Aliases, anchors and explicit tags are refused (authored data is plain mappings and lists),
    and so is text no database stores."""
    from ruamel.yaml.events import AliasEvent, CollectionStartEvent, ScalarEvent

    problems = []
    for event in _yaml().parse(text):
        line = event.start_mark.line + 1
        if isinstance(event, AliasEvent):
            problems.append(Problem(path, line, "YAML aliases are not allowed", "yaml_alias"))
        elif isinstance(event, ScalarEvent | CollectionStartEvent):
            if event.anchor:
                problems.append(Problem(path, line, "YAML anchors are not allowed", "yaml_anchor"))
            implicit = event.implicit if isinstance(event, ScalarEvent) else (event.implicit,)
            if event.tag and not any(implicit):
                message = f"YAML tags are not allowed ({event.tag})"
                problems.append(Problem(path, line, message, "yaml_tag", {"tag": event.tag}))
            if isinstance(event, ScalarEvent) and (problem := unstorable(event.value)):
                # An escape ("\0", "\ud800") puts in what the database will not store.
                code = "not_text_nul" if "\x00" in event.value else "not_text_surrogate"
                problems.append(Problem(path, line, f"this text {problem}", code))
    return problems


def parse_yaml(text: str, path: str = "<string>") -> Any:
    """Parse one YAML document; raise AuthoredFileError with line numbers on any problem."""
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        raise AuthoredFileError([_too_large(path)])
    try:
        problems = _structural_problems(text, path)
        if problems:
            raise AuthoredFileError(problems)
        return _yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        message = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        message = message or "invalid YAML"
        problem = Problem(path, line, message, "yaml_syntax", {"detail": message})
        raise AuthoredFileError([problem]) from None
    except YAMLError as exc:
        message = str(exc).splitlines()[0]
        problem = Problem(path, 1, message, "yaml_syntax", {"detail": message})
        raise AuthoredFileError([problem]) from None


def _too_large(path: str) -> Problem:
    message = f"file is larger than {MAX_FILE_BYTES} bytes"
    return Problem(path, 1, message, "file_too_large", {"limit": str(MAX_FILE_BYTES)})


def line_of(data: Any, loc: tuple[int | str, ...]) -> int:
    """The 1-based line of the node at ``loc`` in round-trip-loaded data (nearest known parent)."""
    line = 1
    node = data
    for key in loc:
        lc = getattr(node, "lc", None)
        try:
            if lc is not None and isinstance(key, int) and isinstance(node, list):
                line = lc.item(key)[0] + 1
            elif lc is not None and isinstance(node, dict) and key in node:
                line = lc.key(key)[0] + 1
            node = node[key]
        except (KeyError, IndexError, TypeError):
            break
    return line


def validation_problems(exc: ValidationError, data: Any, path: str) -> list[Problem]:
    """Turn a pydantic ValidationError into problems that point at lines of the file."""
    problems = []
    for error in exc.errors():
        loc = tuple(part for part in error["loc"] if isinstance(part, int | str))
        where = ".".join(str(part) for part in loc)
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown field"
        context = {key: str(value) for key, value in (error.get("ctx") or {}).items()}
        problems.append(
            Problem(
                path,
                line_of(data, loc),
                f"{where}: {message}" if where else message,
                f"schema.{error['type']}",
                {**context, "where": where},
            )
        )
    return problems


def read_text(path: Path | str) -> str:
    """An authored file's text; AuthoredFileError if it is too large or not UTF-8."""
    raw = Path(path).read_bytes()
    if len(raw) > MAX_FILE_BYTES:
        raise AuthoredFileError([_too_large(str(path))])
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        problem = Problem(str(path), 1, "file is not UTF-8 text", "not_utf8")
        raise AuthoredFileError([problem]) from None


def load_data(
    model: type[Model], path: Path | str, *, text: str | None = None
) -> tuple[Model, Any]:
    """Read, parse and validate one authored file: the model, and the parsed data (for lines)."""
    name = str(path)
    data = parse_yaml(read_text(path) if text is None else text, name)
    if data is None:
        raise AuthoredFileError([Problem(name, 1, "file is empty", "empty")])
    try:
        return model.model_validate(data), data
    except ValidationError as exc:
        raise AuthoredFileError(validation_problems(exc, data, name)) from None


def load_model(model: type[Model], path: Path | str, *, text: str | None = None) -> Model:
    """Read, parse and validate one authored file into ``model``."""
    return load_data(model, path, text=text)[0]
