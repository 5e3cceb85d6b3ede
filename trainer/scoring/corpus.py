"""Labelled sets: the project's corpus (rubrics/corpus/) and the JSONL format of DESIGN.md."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trainer.scoring.rubric import DIMENSIONS, FLAGS
from trainer.scoring.text import normalise

PRESENT_FROM_LEVEL = 2


class LabelledSetError(ValueError):
    """A labelled-set line is malformed; the message starts with ``file:line:``."""


@dataclass(frozen=True)
class LabelledItem:
    """One labelled reply. Dimension labels are 0/1 or None (not labelled for that dimension)."""

    text: str
    context: str
    labels: dict[str, int | None]
    #: Levels 0-3 per dimension where the source gives them (the project's corpus does).
    levels: dict[str, int] | None = None
    #: Service level 0-4, where given.
    service_level: int | None = None
    flags: tuple[str, ...] | None = None
    language: str | None = None
    source: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def slice(self) -> str:
        """The part of ``source`` before the first colon (eval sets report per slice)."""
        return self.source.split(":", 1)[0] if self.source else ""


def content_hash(text: str) -> str:
    """sha256 of the normalised text (the decontamination hash of ../shared/eval)."""
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()


def _label(value: Any, where: str, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or value not in (0, 1):
        raise LabelledSetError(f"{where}: {name} must be 0, 1 or null, not {value!r}")
    return int(value)


def _item(obj: Any, where: str, source_default: str) -> LabelledItem:
    if not isinstance(obj, dict):
        raise LabelledSetError(f"{where}: each line must be a JSON object")
    text = obj.get("text")
    if not isinstance(text, str) or not text.strip():
        raise LabelledSetError(f"{where}: text must be a non-empty string")
    context = obj.get("context", "")
    if context is None:
        context = ""
    if not isinstance(context, str):
        raise LabelledSetError(f"{where}: context must be a string")
    levels = obj.get("levels")
    if levels is not None:
        if not isinstance(levels, dict) or set(levels) != set(DIMENSIONS):
            raise LabelledSetError(f"{where}: levels must give {', '.join(DIMENSIONS)}")
        if any(isinstance(v, bool) or v not in (0, 1, 2, 3) for v in levels.values()):
            raise LabelledSetError(f"{where}: levels must be 0-3")
    labels = {d: _label(obj.get(d), where, d) for d in DIMENSIONS}
    if levels is not None:
        for d in DIMENSIONS:
            derived = int(levels[d] >= PRESENT_FROM_LEVEL)
            if labels[d] is None:
                labels[d] = derived
            elif labels[d] != derived:
                raise LabelledSetError(f"{where}: {d} is {labels[d]} but its level is {levels[d]}")
    flags = obj.get("flags")
    if flags is not None:
        if not isinstance(flags, list) or not all(f in FLAGS for f in flags):
            raise LabelledSetError(f"{where}: flags must be a list of {', '.join(FLAGS)}")
        flags = tuple(flags)
    level = obj.get("level")
    if level is not None and (isinstance(level, bool) or level not in range(5)):
        raise LabelledSetError(f"{where}: level must be 0-4")
    known = {"text", "context", "levels", "flags", "level", "language", "source", *DIMENSIONS}
    return LabelledItem(
        text=text,
        context=context,
        labels=labels,
        levels={d: int(levels[d]) for d in DIMENSIONS} if levels is not None else None,
        service_level=level,
        flags=flags,
        language=obj.get("language"),
        source=str(obj.get("source") or source_default),
        extra={k: v for k, v in obj.items() if k not in known},
    )


def read_labelled(path: Path | str) -> Iterator[LabelledItem]:
    """Read a labelled JSONL file; raise LabelledSetError (``file:line: message``) on a bad line."""
    path = Path(path)
    with path.open("rb") as fh:
        for n, raw in enumerate(fh, 1):
            where = f"{path}:{n}"
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise LabelledSetError(f"{where}: not UTF-8 text") from None
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise LabelledSetError(f"{where}: not valid JSON ({exc.msg})") from None
            except RecursionError:
                raise LabelledSetError(f"{where}: JSON nested too deeply") from None
            yield _item(obj, where, f"{path.stem}:{n}")


def default_corpus_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "rubrics" / "corpus"


def corpus_files(directory: Path | None = None) -> list[Path]:
    return sorted((directory or default_corpus_dir()).glob("*.jsonl"))


def read_corpus(files: list[Path]) -> list[LabelledItem]:
    items = [item for path in files for item in read_labelled(path)]
    if not items:
        raise LabelledSetError("the corpus is empty: no labelled items found")
    return items


def data_hash(files: list[Path]) -> str:
    """sha256 over the corpus files' names and bytes, in a fixed order."""
    digest = hashlib.sha256()
    for path in sorted(files, key=lambda p: p.name):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def to_labelled_line(item: LabelledItem) -> dict[str, Any]:
    """An item in the labelled-set format of DESIGN.md, with the corpus's extra fields."""
    line: dict[str, Any] = {"text": item.text, "context": item.context, **item.labels}
    if item.language:
        line["language"] = item.language
    if item.service_level is not None:
        line["level"] = item.service_level
    if item.flags is not None:
        line["flags"] = list(item.flags)
    if item.levels is not None:
        line["levels"] = item.levels
    line.update(item.extra)
    line["source"] = item.source
    return line
