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


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{name.replace('_', ' ')} {n}" for name, n in counts.items())


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
        if dim.present and not dim.evidence:
            click.echo("      (shown by the reply as a whole, not by one sentence of it)")
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
@click.option(
    "--customer",
    is_flag=True,
    help="Instead: the time the modelled customer adds per turn beyond scoring.",
)
def bench(as_json: bool, inputs: int, customer: bool) -> None:
    """Scorer latency and throughput, and the bare encoder's on the same inputs, with ratios."""
    if customer:
        from trainer.services.customer_bench import format_customer_bench, run_customer_bench

        root = Path(__file__).resolve().parents[1]
        result = run_customer_bench(_scorer(), root / "scenarios")
        click.echo(json.dumps(result, indent=1) if as_json else format_customer_bench(result))
        return
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
    from trainer.scoring import default_model_dir
    from trainer.scoring.corpus import LabelledSetError
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
@click.option(
    "--exemplars",
    is_flag=True,
    help="Also score each valid scenario's exemplar replies: each must reach the target service "
    "level without an anti-pattern and move the customer on, and the first ones must resolve.",
)
def validate(paths: tuple[Path, ...], exemplars: bool) -> None:
    """Check scenario, rubric and labelled-set files (and folders of them).

    Prints file:line: message per problem and exits 1 if there is any.
    """
    from trainer.services.exemplars import exemplar_report
    from trainer.services.scoring import ScorerProvider, ScoringUnavailable
    from trainer.validate import validate_paths

    report_of = None
    if exemplars:
        provider = ScorerProvider(_scorer)
        report_of = lambda scenario: exemplar_report(scenario, provider)  # noqa: E731
    try:
        problems, checked = validate_paths(paths, report_of)
    except ScoringUnavailable as exc:
        _fail(str(exc), 1)
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(f"{len(problems)} problem(s) in {checked} file(s)", err=True)
        sys.exit(1)
    click.echo(f"{checked} file(s) valid", err=True)


def _app():
    from trainer.app import create_app
    from trainer.config import ConfigError

    try:
        return create_app()
    except ConfigError as exc:
        _fail(str(exc), 1)


def _policy(app):
    from trainer.services.accounts import PasswordPolicy

    return PasswordPolicy(app.config["PASSWORD_MEMORY_KIB"], app.config["PASSWORD_TIME_COST"])


def _prepare(app, demo: bool) -> None:
    from sqlalchemy.exc import OperationalError

    from trainer.extensions import db
    from trainer.services.bootstrap import prepare

    with app.app_context():
        try:
            prepared = prepare(Path(app.config["TRAINER_SCENARIO_DIR"]), _policy(app), demo=demo)
        except OperationalError as exc:
            _fail(f"cannot prepare the database: {exc.orig}", 1)
        db.session.commit()
        sync = prepared.sync
        click.echo(
            f"scenarios: {len(sync.added)} new version(s), {len(sync.unchanged)} unchanged",
            err=True,
        )
        for problem in sync.problems:
            click.echo(f"skipped: {problem}", err=True)
        if prepared.history:
            history = prepared.history
            click.echo(
                f"demo history: {history.attempts} attempts by {history.agents} demo colleagues",
                err=True,
            )
        if prepared.demo:
            click.echo("Demo accounts (the passwords are shown this once):")
            for user, password in prepared.demo:
                click.echo(f"  {user.role:8} {user.email:22} {password}")


@cli.command()
@click.option("--no-demo", is_flag=True, help="Do not create demo accounts on an empty database.")
def setup(no_demo: bool) -> None:
    """Apply migrations, sync scenarios/ and (on an empty database) create demo accounts."""
    _prepare(_app(), demo=not no_demo)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@click.option("--no-demo", is_flag=True, help="Do not create demo accounts on an empty database.")
def run(host: str, port: int, threads: int, no_demo: bool) -> None:
    """Serve the app (SQLite in instance/ unless DATABASE_URL is set), ready to use.

    At start: migrations, scenario sync, demo accounts on an empty database, the scorer loaded.
    """
    from waitress import serve

    from trainer.services.scoring import ScoringUnavailable

    app = _app()
    _prepare(app, demo=not no_demo)
    try:
        app.extensions["trainer.scorer"].get()
    except ScoringUnavailable as exc:
        click.echo(f"warning: {exc}; replies are kept unscored until it is fixed", err=True)
    else:
        _warm_customers(app)
    click.echo(f"Serving on http://{host}:{port}/ (Ctrl+C to stop)")
    serve(app, host=host, port=port, threads=threads, ident="trainer")


def _warm_customers(app) -> None:
    """Embed the modelled customers' lines now, not during the first trainee's reply."""
    from trainer.services.scenarios import playable, scenario_of

    with app.app_context():
        customers = app.extensions["trainer.customers"]
        for version in playable():
            if version.mode == "model":
                customers.bank(scenario_of(version))


@cli.group()
def users() -> None:
    """Manage user accounts."""


@users.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(["agent", "trainer", "hr", "admin"]))
@click.option("--name", default=None, help="Display name (default: the e-mail's local part).")
@click.option("--team", default=None, help="Team name (created when new).")
@click.option(
    "--token", is_flag=True, help="Also issue an API token, printed alone on the last line."
)
def users_create(email: str, role: str, name: str | None, team: str | None, token: bool) -> None:
    """Create a user with a generated password (printed once; only its hash is stored)."""
    from trainer.extensions import db
    from trainer.services import accounts

    app = _app()
    with app.app_context():
        try:
            user, password = accounts.create_user(email, role, _policy(app), name=name, team=team)
        except accounts.AccountError as exc:
            _fail(str(exc), 1)
        secret = accounts.issue_token(user, label="cli") if token else None
        db.session.commit()
        click.echo(f"created {user.role} {user.email} (id {user.id}); password: {password}")
        if secret:
            click.echo(secret)


@users.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def users_import(file: Path) -> None:
    """Create a cohort's accounts from a CSV file with the columns email, role, name, team.

    Every row is checked first; on any problem nothing is created and each is printed as
    FILE:LINE: message. Otherwise prints email,password per account as CSV (the passwords are
    shown this once; only their hashes are stored).
    """
    import csv

    from trainer.extensions import db
    from trainer.services.cohort import CohortError, import_cohort

    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        _fail(f"{file}: not UTF-8 text (save the sheet as CSV UTF-8)", 1)
    app = _app()
    with app.app_context():
        try:
            made = import_cohort(text, _policy(app), actor=None)
        except CohortError as exc:
            for problem in exc.problems:
                click.echo(f"{file}:{problem.line}: {problem.error}", err=True)
            sys.exit(1)
        passwords = [(user.email, password) for user, password in made]
        db.session.commit()
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["email", "password"])
    out.writerows(passwords)


@users.command("erase")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def users_erase(email: str, yes: bool) -> None:
    """Erase a deactivated user's personal data on request (cannot be undone).

    The name, e-mail, replies, dispute comments and audit-log addresses go; the levels and
    metrics stay under "Erased user".
    """
    from trainer.extensions import db
    from trainer.services import accounts, erasure

    app = _app()
    with app.app_context():
        user = accounts.find_user(email)
        if user is None:
            _fail(f"no user {email}", 1)
        if not yes:
            click.confirm(f"Erase the personal data of {user.email} for good?", abort=True)
        try:
            done = erasure.erase_user(user, actor=None)
        except erasure.ErasureError as exc:
            _fail(str(exc), 1)
        db.session.commit()
        click.echo(f"erased user {user.id}: {_counts(done.to_dict())}")


@cli.command()
@click.option(
    "--model-version",
    default=None,
    help="Re-score every scored reply with this model version into new rows (old rows stay).",
)
@click.option(
    "--model-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where that model is (default: $TRAINER_MODEL_DIR or models/).",
)
def rescore(model_version: str | None, model_dir: Path | None) -> None:
    """Score saved replies that have no score yet; with --model-version, re-score history."""
    from trainer.services.replies import TurnError, score_all_pending
    from trainer.web.scorer import kit

    app = _app()
    with app.app_context():
        if model_version is None:
            try:
                scored = score_all_pending(kit())
            except TurnError as exc:
                _fail(exc.message, 1)
            click.echo(f"scored {scored} saved repl{'y' if scored == 1 else 'ies'}")
            return
        from trainer.scoring import load_scorer
        from trainer.services.calibration import rescore_history

        try:
            scorer = load_scorer(model_dir or app.config["TRAINER_MODEL_DIR"])
        except (OSError, ValueError) as exc:
            _fail(str(exc), 1)
        if scorer.model_version != model_version:
            _fail(f"the model there is {scorer.model_version}, not {model_version}", 1)
        added = rescore_history(scorer)
        click.echo(f"re-scored {added} repl{'y' if added == 1 else 'ies'} with {model_version}")


@cli.command()
@click.option(
    "--older-than",
    "days",
    type=click.IntRange(min=1),
    required=True,
    help="Erase the words of attempts that ended more than this many days ago.",
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def purge(days: int, yes: bool) -> None:
    """Apply a retention period: past it, replies and dispute comments are erased, and the
    addresses in the audit log; the levels, flags and metrics stay (run it daily from cron)."""
    from datetime import timedelta

    from trainer.extensions import db
    from trainer.models import utcnow
    from trainer.services import erasure

    app = _app()
    with app.app_context():
        before = utcnow() - timedelta(days=days)
        if not yes:
            click.confirm(
                f"Erase the words of attempts that ended before {before:%Y-%m-%d}?", abort=True
            )
        done = erasure.purge(before)
        db.session.commit()
        click.echo(f"erased before {before:%Y-%m-%d %H:%M} UTC: {_counts(done.to_dict())}")


@cli.command("export-corrections")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The JSONL file to write (default: instance/corrections.jsonl).",
)
def export_corrections(output: Path | None) -> None:
    """Write trainer-reviewed replies in the labelled-set format (for train --with-corrections)."""
    from trainer.services.calibration import export_corrections as export

    app = _app()
    with app.app_context():
        path = output or Path(app.instance_path) / "corrections.jsonl"
        count = export(path)
    click.echo(f"wrote {count} correction(s) to {path}")


@cli.command()
@click.option("--clients", default=8, show_default=True, help="Concurrent API clients.")
@click.option("--seconds", default=60.0, show_default=True, help="How long the clients play.")
@click.option("--url", default=None, help="A running server (needs --token); default: start one.")
@click.option(
    "--token", "tokens", multiple=True, help="API token for --url (repeat; shared round-robin)."
)
@click.option(
    "--database-url",
    default=None,
    help="Database of the server started here (default: a temporary SQLite file).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def loadbench(
    clients: int,
    seconds: float,
    url: str | None,
    tokens: tuple[str, ...],
    database_url: str | None,
    as_json: bool,
) -> None:
    """Concurrent clients play attempts: turns/s, turn latency, errors, lost and duplicate turns.

    Without --url it starts its own server on a fresh database. Exits 1 if a turn is lost or
    stored twice.
    """
    from trainer.loadbench import format_report, run_load, run_self_contained

    if clients < 1 or seconds <= 0:
        _fail("--clients and --seconds must be positive")
    try:
        if url:
            if not tokens:
                _fail("--url needs at least one --token")
            report = run_load(url, list(tokens), seconds, clients=clients)
        else:
            report = run_self_contained(
                clients, seconds, database_url, log=lambda m: click.echo(m, err=True)
            )
    except (RuntimeError, ValueError) as exc:
        _fail(str(exc), 1)
    click.echo(json.dumps(report.to_dict(), indent=1) if as_json else format_report(report))
    if not report.ok:
        sys.exit(1)


@cli.command("demo-data")
@click.option("--agents", default=50, show_default=True, type=click.IntRange(1, 5000))
@click.option(
    "--attempts",
    default=100,
    show_default=True,
    type=click.IntRange(1, 2000),
    help="Attempts per agent, spread over the last 12 weeks.",
)
@click.option("--seed", default=1, show_default=True, type=int, help="Random seed (repeatable).")
def demo_data(agents: int, attempts: int, seed: int) -> None:
    """Seed demo teams, agents and scored attempts into the configured database (bulk inserts).

    Run `trainer setup` first (the scenarios must be synced). The demo users share one password,
    printed once.
    """
    import secrets

    from sqlalchemy.exc import DBAPIError

    from trainer.extensions import db
    from trainer.services import accounts
    from trainer.services.demo_data import DemoDataError, refresh_statistics, seed_demo_data

    app = _app()
    password = secrets.token_urlsafe(12)
    with app.app_context():
        try:
            report = seed_demo_data(
                agents=agents,
                attempts=attempts,
                seed=seed,
                password_hash=accounts.hash_password(password, _policy(app)),
            )
            db.session.commit()
            refresh_statistics()
            db.session.commit()
        except DemoDataError as exc:
            _fail(str(exc), 1)
        except DBAPIError as exc:
            _fail(f"cannot seed the database ({exc.orig}); run `trainer setup` first", 1)
    click.echo(
        f"seeded {report.teams} teams, {report.trainers} trainers, {report.agents} agents, "
        f"{report.attempts} attempts, {report.turns} turns, {report.scores} scores, "
        f"{report.reviews} reviews in {report.seconds:.1f} s"
    )
    click.echo(f"demo users' password (shown this once): {password}")


@cli.command("bench-reports")
@click.option("--repeat", default=20, show_default=True, type=click.IntRange(1, 1000))
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def bench_reports(repeat: int, as_json: bool) -> None:
    """Median time and SQL query count of the agent scorecard and the team view (as HR).

    Run it on a database seeded with `trainer demo-data`. Exits 1 if a page misses its goal.
    """
    from trainer.services.demo_data import DemoDataError, format_bench
    from trainer.services.demo_data import bench_reports as run

    app = _app()
    try:
        result = run(app, _policy(app), repeat=repeat)
    except DemoDataError as exc:
        _fail(str(exc), 1)
    click.echo(json.dumps(result, indent=1) if as_json else format_bench(result))
    if not all(page["ok"] for page in result["pages"].values()):
        sys.exit(1)


def main() -> None:
    cli(prog_name="trainer")
