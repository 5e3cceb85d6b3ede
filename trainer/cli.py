"""The ``trainer`` console command."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

#: Exit status for input the command cannot use (the reply, a labelled line, an option).
BAD_INPUT = 2


def _fail(message: str, status: int = BAD_INPUT) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(status)


def _scorer():
    from trainer.scoring import load_scorer

    try:
        return load_scorer()
    except FileNotFoundError as exc:
        _fail(str(exc), 1)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="escalation-trainer")
def cli() -> None:
    """Escalation trainer: practise angry-customer escalations, scored by a local classifier."""


@cli.command()
@click.argument("reply")
@click.option("--context", default="", help="The customer message the reply answers.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def score(reply: str, context: str, as_json: bool) -> None:
    """Score one REPLY (use - to read it from standard input)."""
    from trainer.scoring.text import ReplyError

    if reply == "-":
        reply = sys.stdin.read()
    scorer = _scorer()
    try:
        result = scorer.score(reply, context=context)
    except ReplyError as exc:
        _fail(str(exc))
    if as_json:
        click.echo(result.to_json())
        return
    click.echo(f"service level {result.service_level}  (model {result.model_version})")
    for name, dim in result.dimensions.items():
        click.echo(f"  {name:<11} level {dim.level}  p={dim.probability:.2f}")
        for sentence in dim.evidence:
            click.echo(f"      > {sentence}")
    click.echo(f"  flags: {', '.join(result.flags) or 'none'}")
    if result.ignored:
        click.echo(f"  ignored (addressed to the scorer): {' '.join(result.ignored)}")


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--dimension",
    "dimensions",
    multiple=True,
    type=click.Choice(["empathy", "validation", "solution"]),
    help="Only these dimensions (default: every dimension labelled in FILE).",
)
def evaluate(file: Path, as_json: bool, dimensions: tuple[str, ...]) -> None:
    """Score a labelled JSONL FILE: precision, recall, F1, support and macro-F1 per dimension."""
    from trainer.scoring.corpus import LabelledSetError
    from trainer.scoring.evaluate import evaluate as run
    from trainer.scoring.evaluate import format_report
    from trainer.scoring.rubric import DIMENSIONS
    from trainer.scoring.text import ReplyError

    scorer = _scorer()
    try:
        report = run(file, scorer, dimensions or DIMENSIONS)
    except (LabelledSetError, ReplyError) as exc:
        _fail(str(exc))
    click.echo(json.dumps(report, indent=1) if as_json else format_report(report))


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("-n", "--inputs", default=200, show_default=True, help="Pairs drawn from the corpus.")
def bench(as_json: bool, inputs: int) -> None:
    """Scorer latency and throughput, and the bare encoder's on the same inputs, with ratios."""
    from trainer.scoring.bench import bench_pairs, format_bench, run_bench

    result = run_bench(_scorer(), bench_pairs(inputs))
    click.echo(json.dumps(result, indent=1) if as_json else format_bench(result))


@cli.command()
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Model folder to write (default: models/).",
)
@click.option(
    "--with-corrections",
    "corrections",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Extra labelled JSONL (exported trainer corrections) to train on.",
)
@click.option("--folds", default=5, show_default=True, help="Cross-validation folds.")
@click.option("--quiet", is_flag=True, help="No progress bars.")
def train(output: Path | None, corrections: tuple[Path, ...], folds: int, quiet: bool) -> None:
    """Rebuild the scorer's model folder from rubrics/ (deterministic)."""
    from dataclasses import replace

    from trainer.authored import AuthoredFileError
    from trainer.scoring.corpus import LabelledSetError
    from trainer.scoring.scorer import default_model_dir
    from trainer.scoring.train import TrainConfig
    from trainer.scoring.train import train as run

    if folds < 2:
        _fail("--folds must be at least 2")
    try:
        run(
            output or default_model_dir(),
            extra_files=list(corrections),
            config=replace(TrainConfig(), folds=folds),
            show_progress=not quiet,
            log=click.echo,
        )
    except (AuthoredFileError, LabelledSetError) as exc:
        _fail(str(exc))


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
def validate(paths: tuple[Path, ...]) -> None:
    """Check scenario, rubric and labelled-set files (and folders of them).

    Prints file:line: message per problem and exits 1 if there is any.
    """
    from trainer.validate import validate_paths

    problems, checked = validate_paths(paths)
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(f"{len(problems)} problem(s) in {checked} file(s)", err=True)
        sys.exit(1)
    click.echo(f"{checked} file(s) valid", err=True)


def main() -> None:
    cli(prog_name="trainer")
