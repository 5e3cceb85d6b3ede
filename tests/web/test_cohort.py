"""A cohort's accounts from a CSV file: checked whole, all made or none, passwords shown once."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from tests.web.conftest import TEST_POLICY
from tests.web.test_admin import actions, admin, post  # noqa: F401 (admin is a fixture)
from tests.web.test_cli_app import database, invoke  # noqa: F401 (database is a fixture)
from tests.web.test_database import BOTH
from trainer.extensions import db
from trainer.models import User
from trainer.services import accounts
from trainer.services.cohort import CohortError, import_cohort, read_cohort

TOO_MANY = "email,role\n" + "".join(f"u{i}@example.org,agent\n" for i in range(501))
COHORT = "email,role,name,team\nAni@Example.org,agent,Ani Lestari,North\nbudi@example.org,Agent,,\n"


def user_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(User.id)))


def problems_of(app, text: str) -> list[tuple[int, str, str]]:
    with app.app_context(), pytest.raises(CohortError) as exc:
        import_cohort(text, TEST_POLICY, actor=None)
    return [(p.line, p.error.code, str(p.error)) for p in exc.value.problems]


def test_rows_are_read_in_any_column_order_with_commas_or_semicolons():
    text = "\ufeffRole;Email;Team\n\nagent;a@example.org;North\n trainer ; b@example.org ;\n"
    rows = read_cohort(text)
    assert [(r.line, r.email, r.role, r.name, r.team) for r in rows] == [
        (3, "a@example.org", "agent", "", "North"),
        (4, "b@example.org", "trainer", "", ""),
    ]


@BOTH
def test_a_cohort_is_made_with_passwords_that_log_in(app, make_user):
    make_user("trainer", team="North")
    with app.app_context():
        made = import_cohort(COHORT, TEST_POLICY, actor=None)
        db.session.commit()
        assert [(u.email, u.name, u.role, u.team.name if u.team else None) for u, _ in made] == [
            ("ani@example.org", "Ani Lestari", "agent", "North"),
            ("budi@example.org", "budi", "agent", None),
        ]
        for user, password in made:
            assert accounts.authenticate(user.email, password, TEST_POLICY) == user
    assert actions(app).count("user.create") == 2
    assert actions(app)[-1] == "users.import"


@BOTH
def test_every_problem_is_reported_by_line_and_nothing_is_made(app, make_user):
    make_user("agent", email="taken@example.org", team="North")
    before = user_count(app)
    text = (
        "email,role,name,team\n"
        "ok@example.org,agent,,North\n"
        "not-an-address,agent,,\n"
        "taken@example.org,agent,,\n"
        "new@example.org,boss,,\n"
        "ok@example.org,trainer,,\n"
        "other@example.org,agent,,Nroth\n"
        f"long@example.org,agent,{'x' * 121},\n"
    )
    assert [(line, code) for line, code, _ in problems_of(app, text)] == [
        (3, "not_an_email"),
        (4, "user_exists"),
        (5, "bad_role"),
        (6, "cohort_duplicate"),
        (7, "no_team"),
        (8, "name_long"),
    ]
    assert user_count(app) == before
    assert "users.import" not in actions(app)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "cohort_columns"),
        ("name,team\nAni,North\n", "cohort_columns"),
        ("email,role,phone\n", "cohort_unknown_column"),
        ("email,role\n", "cohort_empty"),
        ("email,role\na@example.org,agent,extra\n", "cohort_values"),
        (TOO_MANY, "cohort_too_large"),
        ("email,role,name\na@example.org,agent,A\x00\n", "cohort_csv"),
        ("email,role\n" + "x" * 200_000 + ",agent\n", "cohort_csv"),
    ],
)  # fmt: skip
def test_a_file_that_is_not_a_cohort_is_refused(app, text, code):
    assert [c for _, c, _ in problems_of(app, text)] == [code]


def test_the_admin_imports_pasted_csv_and_sees_each_password_once(app, client, admin, make_user):  # noqa: F811
    make_user("trainer", team="North")
    response = post(client, "/admin/users/import", {"text": COHORT})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    with app.app_context():
        for email in ("ani@example.org", "budi@example.org"):
            user = accounts.find_user(email)
            password = page.split(f"<td>{email}</td>")[1].split("data-secret>")[1].split("<")[0]
            assert accounts.authenticate(email, password, TEST_POLICY) == user
            assert f"{email},{password}" in page  # the CSV to copy


def test_an_uploaded_file_with_problems_creates_nothing_and_says_why(app, client, admin):  # noqa: F811
    before = user_count(app)
    client.get("/admin/?lang=id")
    data = {"file": (io.BytesIO(b"email,role\nnope,agent\nb@example.org,boss\n"), "cohort.csv")}
    response = client.post(
        "/admin/users/import",
        data={**data, "csrf_token": _token(client)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "baris 2: nope bukan alamat email" in page
    assert "baris 3: peran harus salah satu dari agent, trainer, hr, admin, bukan boss" in page
    assert user_count(app) == before
    latin1 = {"file": (io.BytesIO("email,role\nsé@example.org,agent\n".encode("latin-1")), "c.csv")}
    response = client.post(
        "/admin/users/import",
        data={**latin1, "csrf_token": _token(client)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "UTF-8" in response.get_data(as_text=True)


def _token(client) -> str:
    from tests.web.conftest import csrf_token

    return csrf_token(client, "/admin/users/import")


def test_the_cli_prints_email_and_password_or_every_problem(database, tmp_path):  # noqa: F811
    assert invoke("setup", "--no-demo").exit_code == 0
    path = tmp_path / "cohort.csv"
    path.write_text("email;role\nc@example.org;agent\nd@example.org;hr\n", encoding="utf-8")
    result = invoke("users", "import", str(path))
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "email,password"
    assert [line.split(",")[0] for line in lines[1:]] == ["c@example.org", "d@example.org"]
    again = invoke("users", "import", str(path))
    assert again.exit_code == 1
    assert again.stderr.splitlines() == [
        f"{path}:2: a user c@example.org already exists",
        f"{path}:3: a user d@example.org already exists",
    ]
