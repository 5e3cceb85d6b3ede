"""``trainer validate``: check scenario and rubric files and labelled sets (file:line problems)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from trainer.authored import AuthoredFileError, Problem, line_of, load_model, parse_yaml, read_text
from trainer.core.exemplars import ExemplarCheck, ExemplarReport
from trainer.core.scenario import Scenario, load_scenario

#: A scenario -> its exemplars checked (trainer.services.exemplars with the real scorer).
ReportOf = Callable[[Scenario], ExemplarReport]

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


def validate_paths(
    paths: Iterable[Path], report_of: ReportOf | None = None
) -> tuple[list[Problem], int]:
    """Every problem in the files under ``paths``, and how many files were checked; with
    ``report_of``, also what the scorer finds wrong with each valid scenario's exemplars."""
    from trainer.scoring.rubric import rubric_file_model

    files = _files(paths)
    problems = []
    for path in files:
        found = validate_file(path)
        problems.extend(found)
        scenario = path.suffix in AUTHORED_SUFFIXES and rubric_file_model(path) is None
        if report_of is not None and scenario and not found:
            problems.extend(exemplar_problems(path, report_of))
    return problems, len(files)


def _exemplar_message(check: ExemplarCheck, code: str, target_level: int) -> str:
    verdict = check.verdict
    if code == "unscorable":
        return f"the scorer cannot score it: {check.error}"
    if code == "flagged":
        return f"the scorer raises {', '.join(sorted(verdict.flags))}"
    if code == "below_target":
        return f"service level {verdict.service_level}, below the target {target_level}"
    if code == "escalates":
        return f"it leads to the escalation end {check.leads_to!r}"
    return "it leaves the customer on the same line"


def exemplar_problems(path: Path, report_of: ReportOf) -> list[Problem]:
    """What the scorer finds wrong with a valid scenario file's exemplars, by line."""
    scenario = load_scenario(path)
    data = parse_yaml(read_text(path), str(path))
    report = report_of(scenario)
    problems = []
    for check in report.exemplars:
        if scenario.mode == "model":
            loc: tuple[str | int, ...] = ("model", "exemplars", check.where, check.index)
            where = f"intent {check.where!r} exemplar {check.index + 1}"
        else:
            loc = ("script", "nodes", check.where, "exemplars", check.index)
            where = f"node {check.where!r} exemplar {check.index + 1}"
        problems.extend(
            Problem(
                str(path),
                line_of(data, loc),
                f"{where}: {_exemplar_message(check, code, report.target_level)}",
                f"exemplar_{code}",
            )
            for code in check.problems
        )
    walk = report.walk
    if walk is not None and not walk.resolved:
        ending = f"ends {walk.outcome}" if walk.outcome else "stops on an exemplar it cannot score"
        message = (
            f"played with each line's first exemplar, the conversation {ending} after "
            f"{len(walk.levels)} replies ({' -> '.join(walk.path)})"
        )
        start = line_of(data, ("script", "start"))
        problems.append(Problem(str(path), start, message, "exemplar_walk"))
    plays = report.plays
    if plays is not None and not plays.enough:
        message = (
            f"played {len(plays.outcomes)} times with its exemplars, the customer came round "
            f"{plays.resolved} times (at least {plays.needed} should)"
        )
        line = line_of(data, ("model", "exemplars"))
        problems.append(Problem(str(path), line, message, "exemplar_plays"))
    return problems
