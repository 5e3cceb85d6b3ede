"""E-mail over SMTP: the server from one URL, letters sent on one connection, failures returned."""

from __future__ import annotations

import contextlib
import smtplib
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from urllib.parse import unquote, urlsplit

#: URL scheme -> (how the connection is secured, default port).
SCHEMES = {"smtp": ("none", 25), "smtp+starttls": ("starttls", 587), "smtps": ("ssl", 465)}
#: Seconds to wait for the mail server before a letter counts as not sent.
TIMEOUT = 10


class MailError(ValueError):
    """The mail settings cannot work (a bad URL or sender address)."""


@dataclass(frozen=True)
class MailSettings:
    """Where and as whom letters are sent."""

    host: str
    port: int
    #: none | starttls | ssl
    security: str
    #: The From address, e.g. "Escalation Trainer <trainer@example.org>".
    sender: str
    username: str | None = None
    password: str | None = None
    timeout: float = TIMEOUT

    @property
    def sends_password_in_clear(self) -> bool:
        """A login over a connection that is not encrypted, to another machine."""
        local = self.host in ("localhost", "127.0.0.1", "::1")
        return self.security == "none" and self.username is not None and not local

    @classmethod
    def from_url(cls, url: str, sender: str | None) -> MailSettings:
        """``smtp://host[:port]``, ``smtp+starttls://user:password@host[:port]`` or
        ``smtps://user:password@host[:port]``; user and password percent-encoded."""
        parts = urlsplit(url.strip())
        if parts.scheme not in SCHEMES:
            raise MailError(
                f"the mail URL must start with {', '.join(s + '://' for s in SCHEMES)}, "
                f"not {url.split(':', 1)[0]!r}"
            )
        try:
            port = parts.port
        except ValueError:
            raise MailError("the mail URL's port must be a number from 1 to 65535") from None
        if not parts.hostname:
            raise MailError("the mail URL names no server")
        if not sender or "@" not in parseaddr(sender)[1]:
            raise MailError("the sender must be an e-mail address, e.g. trainer@example.org")
        security, default_port = SCHEMES[parts.scheme]
        return cls(
            host=parts.hostname,
            port=port or default_port,
            security=security,
            sender=sender,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )


@dataclass(frozen=True)
class Letter:
    to: str
    subject: str
    body: str


@dataclass(frozen=True)
class Undelivered:
    letter: Letter
    reason: str


def send(
    settings: MailSettings, letters: Sequence[Letter], seconds: float | None = None
) -> list[Undelivered]:
    """Send the letters on one connection; those not sent come back with the reason. Nothing is
    raised: a mail server that is down must not undo the work that wrote the letters.

    ``seconds`` bounds the whole run, so that a slow server cannot hold a page past a proxy's
    timeout: the letters not begun by then come back as not sent. A lost connection (a timeout
    leaves the conversation out of step) ends the run, and the rest come back with why."""
    if not letters:
        return []
    deadline = None if seconds is None else time.monotonic() + seconds
    try:
        server = _connect(settings)
    except (OSError, smtplib.SMTPException) as exc:
        reason = f"the mail server {settings.host}:{settings.port} could not be used: {exc}"
        return [Undelivered(letter, reason) for letter in letters]
    undelivered: list[Undelivered] = []
    lost = False
    try:
        for i, letter in enumerate(letters):
            if deadline is not None and time.monotonic() > deadline:
                reason = f"not sent: sending stopped after {seconds:g} seconds"
                undelivered.extend(Undelivered(rest, reason) for rest in letters[i:])
                break
            try:
                server.send_message(_message(settings, letter))
            # ValueError: a header the message cannot carry (a line break in a subject).
            except (OSError, ValueError) as exc:
                if _connection_lost(exc):
                    reason = f"the connection to the mail server was lost: {exc}"
                    undelivered.extend(Undelivered(rest, reason) for rest in letters[i:])
                    lost = True
                    break
                undelivered.append(Undelivered(letter, _reason(exc)))
    finally:
        # Every letter's fate is known by now; a failed goodbye changes none of them, and a
        # lost connection gets none (a server that stopped answering would be waited for again).
        if lost:
            server.close()
        else:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                server.quit()
    return undelivered


def _connect(settings: MailSettings) -> smtplib.SMTP:
    context = ssl.create_default_context()
    server: smtplib.SMTP
    if settings.security == "ssl":
        server = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=settings.timeout, context=context
        )
    else:
        server = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    try:
        if settings.security == "starttls":
            server.starttls(context=context)
        if settings.username:
            server.login(settings.username, settings.password or "")
    except BaseException:
        server.close()
        raise
    return server


def _message(settings: MailSettings, letter: Letter) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = letter.to
    message["Subject"] = letter.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=parseaddr(settings.sender)[1].rsplit("@", 1)[1])
    message.set_content(letter.body)
    return message


def _connection_lost(exc: Exception) -> bool:
    """A socket's error or a hang-up, after which the connection is no use; not a refusal of one
    letter (SMTPException is an OSError too)."""
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return True
    return isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException)


def _reason(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(exc.recipients.values()))
        return f"refused by the mail server ({code} {text.decode(errors='replace')})"
    return f"not sent: {exc}"
