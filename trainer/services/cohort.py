"""A cohort's accounts from one CSV file: every row checked first, then all made or none."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from sqlalchemy import select

from trainer.authored import unstorable
from trainer.extensions import db
from trainer.models import Team, User
from trainer.services import accounts, audit
from trainer.services.accounts import AccountError, PasswordPolicy

#: Accounts one file may hold: every password is hashed with Argon2 while the admin waits.
MAX_ROWS = 500
COLUMNS = ("email", "role", "name", "team")
REQUIRED = ("email", "role")
NAME_LENGTH = 120


@dataclass(frozen=True)
class CohortRow:
    """One account to make, as the file gives it (``line`` is its line in the file)."""

    line: int
    email: str
    role: str
    name: str
    team: str


@dataclass(frozen=True)
class CohortProblem:
    line: int
    error: AccountError

    def __str__(self) -> str:
        return f"line {self.line}: {self.error}"


class CohortError(ValueError):
    """The file cannot be imported; ``problems`` lists every problem found, by line."""

    def __init__(self, problems: list[CohortProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def _refuse(line: int, message: str, code: str, **params) -> CohortError:
    return CohortError([CohortProblem(line, AccountError(message, code, **params))])


def read_cohort(text: str) -> list[CohortRow]:
    """The rows of a cohort file: a header line naming the columns (any order, ``email`` and
    ``role`` required), comma- or semicolon-separated (spreadsheets in an Indonesian locale save
    with semicolons)."""
    text = text.lstrip("\ufeff")  # the byte-order mark spreadsheets put before UTF-8
    for number, line in enumerate(text.split("\n"), 1):
        if problem := unstorable(line):
            raise _refuse(number, f"this line {problem}", "cohort_csv")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        return _rows(reader)
    except csv.Error as exc:  # e.g. a field longer than the csv module takes
        raise _refuse(reader.line_num or 1, f"not CSV: {exc}", "cohort_csv") from None


def _rows(reader) -> list[CohortRow]:
    header = [column.strip().lower() for column in next(reader, [])]
    missing = [column for column in REQUIRED if column not in header]
    if missing:
        raise _refuse(
            1,
            f"the first line must name the columns {', '.join(COLUMNS)} "
            f"(missing: {', '.join(missing)})",
            "cohort_columns",
            missing=", ".join(missing),
        )
    unknown = [column for column in header if column not in COLUMNS]
    if unknown:
        raise _refuse(
            1,
            f"unknown column {unknown[0]!r} (known: {', '.join(COLUMNS)})",
            "cohort_unknown_column",
            column=unknown[0],
        )
    rows = []
    for values in reader:
        if not any(value.strip() for value in values):
            continue
        if len(values) > len(header):
            raise _refuse(
                reader.line_num,
                f"{len(values)} values for {len(header)} columns",
                "cohort_values",
                n=len(values),
                columns=len(header),
            )
        cells = dict(zip(header, (value.strip() for value in values), strict=False))
        rows.append(
            CohortRow(
                line=reader.line_num,
                email=cells.get("email", ""),
                role=cells.get("role", "").lower(),
                name=cells.get("name", ""),
                team=cells.get("team", ""),
            )
        )
    return rows


def check_cohort(rows: list[CohortRow]) -> list[CohortProblem]:
    """Every row's first problem: an address that is not one, used twice in the file or already
    taken; a role that is not one; a team that does not exist (a typo must not make a team)."""
    if not rows:
        return [CohortProblem(1, AccountError("the file holds no accounts", "cohort_empty"))]
    if len(rows) > MAX_ROWS:
        message = f"one file can hold at most {MAX_ROWS} accounts, not {len(rows)}"
        return [CohortProblem(1, AccountError(message, "cohort_too_large", n=MAX_ROWS))]
    teams = set(db.session.scalars(select(Team.name)))
    first_line: dict[str, int] = {}
    problems = []
    for row in rows:
        try:
            email = accounts.normalise_email(row.email)
            if email in first_line:
                raise AccountError(
                    f"{email} is on line {first_line[email]} already",
                    "cohort_duplicate",
                    email=email,
                    line=first_line[email],
                )
            first_line[email] = row.line
            accounts.check_new_account(email, row.role)
            if row.team and row.team not in teams:
                raise AccountError(
                    f"there is no team {row.team!r}: create it first", "no_team", name=row.team
                )
            if len(row.name) > NAME_LENGTH:
                raise AccountError(
                    f"a name can be at most {NAME_LENGTH} characters", "name_long", n=NAME_LENGTH
                )
        except AccountError as exc:
            problems.append(CohortProblem(row.line, exc))
    return problems


def import_cohort(text: str, policy: PasswordPolicy, actor: User | None) -> list[tuple[User, str]]:
    """Make every account of a cohort file, or none: each with a generated password (returned,
    to be shown once). Raises CohortError with every problem found."""
    rows = read_cohort(text)
    problems = check_cohort(rows)
    if problems:
        raise CohortError(problems)
    made = [
        accounts.create_user(
            row.email,
            row.role,
            policy,
            name=row.name or None,
            team=row.team or None,
            actor=actor,
        )
        for row in rows
    ]
    audit.record("users.import", actor=actor, count=len(made))
    return made
