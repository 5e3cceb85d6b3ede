"""``trainer validate``: check scenario and rubric files and labelled sets (file:line problems)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from trainer.authored import AuthoredFileError, Problem, load_model
from trainer.core.scenario import load_scenario

AUTHORED_SUFFIXES = {".yaml", ".yml"}
LABELLED_SUFFIXES = {".jsonl"}


def _files(paths: Iterable[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file() and p.suffix in AUTHORED_SUFFIXES | LABELLED_SUFFIXES
            )
        else:
            found.append(path)
    return found


def validate_file(path: Path) -> list[Problem]:
    from trainer.scoring.corpus import LabelledSetError, read_labelled
    from trainer.scoring.rubric import rubric_file_model

    if path.suffix in LABELLED_SUFFIXES:
        try:
            for _ in read_labelled(path):
                pass
        except LabelledSetError as exc:
            where, _, message = str(exc).partition(": ")
            file, _, line = where.rpartition(":")
            return [Problem(file or str(path), int(line) if line.isdigit() else 1, message)]
        return []
    model = rubric_file_model(path)
    try:
        if model is None:
            load_scenario(path)
        else:
            load_model(model, path)
    except AuthoredFileError as exc:
        return exc.problems
    return []


def validate_paths(paths: Iterable[Path]) -> tuple[list[Problem], int]:
    """Every problem in the files under ``paths``, and how many files were checked."""
    files = _files(paths)
    problems = [problem for path in files for problem in validate_file(path)]
    return problems, len(files)
