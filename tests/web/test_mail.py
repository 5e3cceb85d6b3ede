"""E-mailed links to choose a password (forgotten passwords, cohort invitations), through a real
SMTP server on loopback."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import socket
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import update

from tests.web.conftest import PASSWORD, TEST_POLICY, csrf_token, login
from tests.web.test_admin import actions, admin, post  # noqa: F401 (admin is a fixture)
from tests.web.test_database import BOTH
from trainer.config import ConfigError, load
from trainer.extensions import db
from trainer.mail import Letter, MailError, MailSettings, send
from trainer.models import AuditEvent, User, utcnow
from trainer.services import accounts

LINK = re.compile(r"http://localhost(/auth/set-password/[A-Za-z0-9_.-]+)")
NEW = "a new password of mine"
SENDER = "Escalation Trainer <trainer@example.org>"


class Mailbox:
    """What an SMTP server received; it refuses recipients whose address starts with 'bounce'."""

    def __init__(self) -> None:
        self.letters: list[EmailMessage] = []
        #: Seconds the server takes over each letter (a slow or stuck server).
        self.delay = 0.0
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port: int = s.getsockname()[1]

    async def handle_RCPT(self, server, session, envelope, address, options):
        if address.startswith("bounce"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.delay)
        self.letters.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.letters if m["To"] == address]

    def link_to(self, address: str) -> str:
        (letter,) = self.to(address)
        return LINK.search(letter.get_content()).group(1)


@pytest.fixture
def mailbox():
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    yield box
    controller.stop()


@pytest.fixture
def app_config(request, mailbox):
    """The mailbox as the mail server, and what a test adds (``indirect`` parametrization)."""
    mail = {"TRAINER_MAIL_URL": f"smtp://127.0.0.1:{mailbox.port}", "TRAINER_MAIL_FROM": SENDER}
    return {**mail, **getattr(request, "param", {})}


def forgot(client, email: str):
    token = csrf_token(client, "/auth/forgot")
    # Buffered: the response is closed, as a server closes it once sent, and the letter goes.
    data = {"email": email, "csrf_token": token}
    return client.post("/auth/forgot", data=data, buffered=True)


def choose(client, link: str, password: str = NEW, confirm: str | None = None):
    data = {"new": password, "confirm": confirm or password, "csrf_token": csrf_token(client)}
    return client.post(link, data=data)


@BOTH  # the account, its sessions and the audit entries in either database
def test_a_forgotten_password_is_replaced_through_the_emailed_link_once(
    app, client, make_user, mailbox
):
    user = make_user("agent")
    assert 'href="/auth/forgot"' in client.get("/auth/login").text
    response = forgot(client, user.email.upper())
    assert response.status_code == 302
    assert f"If {user.email.upper()} has an account" in client.get("/auth/login").text
    (letter,) = mailbox.letters
    assert letter["To"] == user.email and letter["From"] == SENDER
    assert "within the next hour" in letter.get_content()
    link = mailbox.link_to(user.email)
    page = client.get(link)
    assert page.status_code == 200 and user.email in page.text
    assert "The passwords differ" in choose(client, link, NEW, "something else entirely").text
    assert choose(client, link).headers["Location"] == "/auth/login"
    assert "Your password is set" in client.get("/auth/login").text
    assert login(client, user).status_code == 200  # the old password is gone
    assert login(client, user, NEW).status_code == 302
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/practice/")})
    used = client.get(link)
    assert used.status_code == 410 and "has been used, has expired" in used.text
    assert choose(client, link, "yet another password").status_code == 410
    assert login(client, user, NEW).status_code == 302
    assert actions(app)[-6:] == [
        "user.password_link",
        "user.password",
        "user.login_failed",
        "user.login",
        "user.logout",
        "user.login",
    ]


def test_the_answer_does_not_tell_which_addresses_have_an_account(app, client, make_user, mailbox):
    user = make_user("agent")
    with app.app_context():
        db.session.get(User, user.id).active = False
        db.session.commit()
    for email in ("nobody@example.org", user.email):
        assert forgot(client, email).status_code == 302
        assert f"If {email} has an account" in client.get("/auth/login").text
    assert mailbox.letters == []
    assert "user.password_link" not in actions(app)


def test_a_link_stops_working_when_it_expires_or_the_password_changes(
    app, client, make_user, mailbox, monkeypatch
):
    user = make_user("agent")
    forgot(client, user.email)
    link = mailbox.link_to(user.email)
    assert client.get(link).status_code == 200
    monkeypatch.setitem(accounts.PASSWORD_LINK_LIFETIME, "reset", timedelta(seconds=-1))
    assert client.get(link).status_code == 410
    monkeypatch.undo()
    assert client.get(link).status_code == 200
    with app.app_context():
        accounts.change_password(db.session.get(User, user.id), "changed meanwhile", TEST_POLICY)
        db.session.commit()
    assert client.get(link).status_code == 410
    assert client.get(link[:-3] + "xyz").status_code == 410  # not whole
    assert 'href="/auth/forgot">Ask for a new link<' in client.get(link).text


@BOTH  # the count comes from the audit log, in either database
def test_the_form_sends_one_account_a_few_letters_an_hour_and_answers_the_same_after(
    app, client, make_user, mailbox
):
    user, other = make_user("agent"), make_user("agent")
    for _ in range(4):
        assert forgot(client, user.email).status_code == 302
        assert f"If {user.email} has an account" in client.get("/auth/login").text
    assert len(mailbox.to(user.email)) == 3
    assert actions(app)[-4:] == ["user.password_link"] * 3 + ["user.password_link_withheld"]
    forgot(client, other.email)  # another account is not held back
    assert len(mailbox.to(other.email)) == 1
    with app.app_context():  # an hour on, the form sends again
        earlier = utcnow() - accounts.RESET_LETTER_WINDOW
        db.session.execute(update(AuditEvent).values(at=earlier))
        db.session.commit()
    forgot(client, user.email)
    assert len(mailbox.to(user.email)) == 4


@BOTH  # the accounts are committed before the letters go
def test_the_admin_invites_a_cohort_and_a_refused_address_gets_its_password_shown(
    app,
    client,
    admin,  # noqa: F811
    mailbox,
):
    cohort = "email,role,name\nani@example.org,agent,Ani\nbounce@example.org,agent,Budi\n"
    assert 'name="invite"' in client.get("/admin/users/import").text
    response = post(client, "/admin/users/import", {"text": cohort, "invite": "y"})
    assert response.status_code == 200
    page = response.text
    assert "1 invitation e-mailed" in page and "1 e-mail could not be sent" in page
    assert "<td>ani@example.org</td>" in page and "e-mailed a link" in page
    password = page.split("<td>bounce@example.org</td>")[1].split("data-secret>")[1].split("<")[0]
    assert "ani@example.org," not in page and f"bounce@example.org,{password}" in page
    (letter,) = mailbox.letters
    assert letter["To"] == "ani@example.org" and "as agent" in letter.get_content()
    assert "http://localhost/auth/login" in letter.get_content()
    link = mailbox.link_to("ani@example.org")
    invited = app.test_client()
    assert choose(invited, link).status_code == 302
    with app.app_context():
        ani = accounts.find_user("ani@example.org")
        assert not ani.password_must_change  # chosen, not generated
        assert accounts.authenticate("ani@example.org", NEW, TEST_POLICY) == ani
        budi = accounts.find_user("bounce@example.org")
        assert accounts.authenticate(budi.email, password, TEST_POLICY) == budi


def test_without_invitations_every_password_is_shown_and_nothing_is_sent(
    client,
    admin,  # noqa: F811
    mailbox,
):
    page = post(client, "/admin/users/import", {"text": "email,role\nani@example.org,agent\n"}).text
    assert "data-secret>" in page and "invitation" not in page
    assert mailbox.letters == []


def test_a_mail_server_that_is_down_loses_no_account(app, client, admin, mailbox):  # noqa: F811
    app.config["TRAINER_MAIL"] = dataclasses.replace(
        app.config["TRAINER_MAIL"], port=Mailbox().port
    )
    page = post(
        client,
        "/admin/users/import",
        {"text": "email,role\nani@example.org,agent\n", "invite": "y"},
    ).text
    assert "1 e-mail could not be sent" in page
    password = page.split("data-secret>")[1].split("<")[0]
    with app.app_context():
        assert accounts.authenticate("ani@example.org", password, TEST_POLICY) is not None
    # The forgotten-password page still answers the same; the log has why nothing came.
    assert forgot(client, "ani@example.org").status_code == 302


def test_without_a_mail_server_no_page_offers_to_email(app, client, make_user):
    app.config["TRAINER_MAIL"] = None
    assert "/auth/forgot" not in client.get("/auth/login").text
    assert client.get("/auth/forgot").status_code == 404
    login(client, make_user("admin"))
    assert 'name="invite"' not in client.get("/admin/users/import").text


def test_the_letters_are_in_the_readers_language(client, make_user, mailbox):
    user = make_user("agent")
    client.get("/auth/login?lang=id")
    forgot(client, user.email)
    (letter,) = mailbox.letters
    assert "dalam satu jam" in letter.get_content()


# --- the mail settings and the sender, without the app ----------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.org", ("mail.example.org", 25, "none", None, None)),
        (
            "smtp+starttls://me%40example.org:p%3Ass@mail.example.org",
            ("mail.example.org", 587, "starttls", "me@example.org", "p:ss"),
        ),
        ("smtps://u:p@mail.example.org:2465", ("mail.example.org", 2465, "ssl", "u", "p")),
    ],
)
def test_mail_settings_from_a_url(url, expected):
    settings = MailSettings.from_url(url, "trainer@example.org")
    assert (
        settings.host,
        settings.port,
        settings.security,
        settings.username,
        settings.password,
    ) == expected


@pytest.mark.parametrize(
    ("url", "sender", "message"),
    [
        ("http://mail.example.org", "t@example.org", "must start with smtp://"),
        ("smtp://mail.example.org:99999", "t@example.org", "port must be a number"),
        ("smtp://", "t@example.org", "names no server"),
        ("smtp://mail.example.org", None, "sender must be an e-mail address"),
    ],
)
def test_bad_mail_settings_are_refused_before_the_app_starts(tmp_path, url, sender, message):
    with pytest.raises(MailError, match=message):
        MailSettings.from_url(url, sender)
    overrides = {"TRAINER_MAIL_URL": url, "TRAINER_MAIL_FROM": sender}
    with pytest.raises(ConfigError, match="TRAINER_MAIL_URL"):
        load(tmp_path, overrides)


def test_production_refuses_to_send_the_mail_password_in_clear(tmp_path):
    production = {"TRAINER_ENV": "production", "SECRET_KEY": "s" * 40, "TRAINER_MAIL_FROM": SENDER}
    with pytest.raises(ConfigError, match=r"unencrypted to mail\.example\.org"):
        load(tmp_path, {**production, "TRAINER_MAIL_URL": "smtp://me:pw@mail.example.org"})
    for url in (
        "smtp+starttls://me:pw@mail.example.org",
        "smtps://me:pw@mail.example.org",
        "smtp://mail.example.org",  # no login: a relay that trusts this machine
        "smtp://me:pw@localhost:1025",
    ):
        assert load(tmp_path, {**production, "TRAINER_MAIL_URL": url})["TRAINER_MAIL"]


def test_send_reports_each_letter_not_sent_and_raises_nothing(mailbox):
    settings = MailSettings.from_url(f"smtp://127.0.0.1:{mailbox.port}", SENDER)
    letters = [Letter(f"{who}@example.org", "Hello", "Body text") for who in ("a", "bounce", "c")]
    letters.insert(1, Letter("b@example.org", "Two\nlines", "A subject no header can carry"))
    undelivered = send(settings, letters)
    assert [u.letter.to for u in undelivered] == ["b@example.org", "bounce@example.org"]
    assert "linefeed" in undelivered[0].reason and "550" in undelivered[1].reason
    assert [m["To"] for m in mailbox.letters] == ["a@example.org", "c@example.org"]
    assert mailbox.letters[0]["Message-ID"].endswith("@example.org>")
    down = dataclasses.replace(settings, port=Mailbox().port, timeout=2)
    assert [u.letter.to for u in send(down, letters)] == [letter.to for letter in letters]
    assert send(down, []) == []


def test_sending_stops_in_time_and_at_a_lost_connection(mailbox):
    settings = MailSettings.from_url(f"smtp://127.0.0.1:{mailbox.port}", SENDER)
    letters = [Letter(f"agent{i}@example.org", "Hello", "Body text") for i in range(8)]
    mailbox.delay = 0.2
    undelivered = send(settings, letters, seconds=0.5)
    sent = [m["To"] for m in mailbox.letters]
    assert 1 <= len(sent) < len(letters)
    assert sent + [u.letter.to for u in undelivered] == [letter.to for letter in letters]
    assert all(u.reason == "not sent: sending stopped after 0.5 seconds" for u in undelivered)
    # A server that stops answering: the letter it holds and every later one come back at once,
    # instead of each waiting out the timeout on a connection that is out of step.
    mailbox.letters.clear()
    mailbox.delay = 1.0
    undelivered = send(dataclasses.replace(settings, timeout=0.2), letters)
    assert [u.letter.to for u in undelivered] == [letter.to for letter in letters]
    assert all("connection to the mail server was lost" in u.reason for u in undelivered)


@pytest.mark.parametrize("app_config", [{"MAIL_SEND_SECONDS": 0.5}], indirect=True)
def test_a_slow_mail_server_gets_the_invitations_it_can_and_the_page_shows_the_rest(
    client,
    admin,  # noqa: F811
    mailbox,
):
    mailbox.delay = 0.2
    cohort = "email,role,name\n" + "".join(f"agent{i}@example.org,agent,A{i}\n" for i in range(8))
    page = post(client, "/admin/users/import", {"text": cohort, "invite": "y"}).text
    emailed = {m["To"] for m in mailbox.letters}
    assert 1 <= len(emailed) < 8
    assert f"{8 - len(emailed)} e-mails could not be sent" in page
    for i in range(8):
        address = f"agent{i}@example.org"
        password_shown = f"{address}," in page
        assert password_shown == (address not in emailed)


def test_the_reset_page_is_for_the_link_only(client, make_user):
    user = make_user("agent")
    assert client.get("/auth/set-password/not-a-token").status_code == 410
    assert login(client, user, PASSWORD).status_code == 302


def test_the_letter_goes_once_the_answer_has_gone(client, make_user, mailbox):
    user = make_user("agent")
    data = {"email": user.email, "csrf_token": csrf_token(client, "/auth/forgot")}
    response = client.post("/auth/forgot", data=data)
    assert response.status_code == 302 and mailbox.letters == []
    response.close()
    assert [m["To"] for m in mailbox.letters] == [user.email]


def test_an_admin_emails_a_link_and_the_old_password_works_until_it_is_used(
    app,
    client,
    admin,  # noqa: F811
    make_user,
    mailbox,
):
    user = make_user("agent")
    page = client.get(f"/admin/users/{user.id}").text
    assert "E-mail a link" in page
    response = post(client, f"/admin/users/{user.id}/password-link")
    assert response.status_code == 302
    assert f"was e-mailed to {user.email}" in client.get(response.headers["Location"]).text
    link = mailbox.link_to(user.email)
    with app.app_context():
        assert accounts.authenticate(user.email, PASSWORD, TEST_POLICY) is not None
    assert choose(app.test_client(), link).status_code == 302
    with app.app_context():
        assert accounts.authenticate(user.email, NEW, TEST_POLICY) is not None
        db.session.get(User, user.id).active = False
        db.session.commit()
    assert "E-mail a link" not in client.get(f"/admin/users/{user.id}").text
    post(client, f"/admin/users/{user.id}/password-link")
    assert "a link would not work" in client.get(f"/admin/users/{user.id}").text
    assert len(mailbox.letters) == 1


def test_a_teams_agents_are_told_of_an_assignment_in_the_scenarios_language(
    app, client, make_user, mailbox
):
    ani = make_user("agent", team="Timur")
    gone = make_user("agent", team="Timur")
    make_user("agent", team="Barat")
    trainer = make_user("trainer")
    with app.app_context():
        db.session.get(User, gone.id).active = False
        db.session.commit()
        team_id = db.session.get(User, ani.id).team_id
    login(client, trainer)
    data = {
        "scenario": "paket-dagangan-rusak-ekspedisi",
        "target": f"team:{team_id}",
        "mode": "certification",
        "due_at": "2030-01-31T17:00",
        "max_attempts": "2",
        "csrf_token": csrf_token(client, "/studio/assignments"),
    }
    response = client.post("/studio/assignments", data=data)
    assert response.status_code == 302 and mailbox.letters == []  # sent after the answer
    response.close()
    (letter,) = mailbox.letters
    assert letter["To"] == ani.email
    assert letter["Subject"].startswith("Penugasan baru: ")
    body = letter.get_content()
    assert "sertifikasi" in body and "2030-01-31 17:00 UTC" in body and "2 percobaan" in body
    assert "http://localhost/practice/assignments" in body
    assert "1 agent is told by e-mail" in client.get("/studio/assignments").text
