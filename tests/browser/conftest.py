"""Browser fixtures: a real `trainer run` server on a free port and a headless Debian Chromium."""

from __future__ import annotations

import os
import re
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from trainer.loadbench import free_port, stop, trainer_command
from trainer.models import ROLES

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
STARTUP_SECONDS = 90
ACCOUNT_LINE = re.compile(r"^\s*(agent|trainer|hr|admin)\s+(\S+@\S+)\s+(\S+)\s*$")
#: The briefing's start button; "a new" one while the agent has a conversation open there.
START_BUTTON = re.compile(r"^(Start the conversation|Start over)$")


def _answers_200(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    """Debian's Chromium; a missing browser fails the run unless TRAINER_SKIP_BROWSER=1."""
    if CHROMIUM.exists():
        return str(CHROMIUM)
    if os.environ.get("TRAINER_SKIP_BROWSER") == "1":
        pytest.skip(f"{CHROMIUM} is missing and TRAINER_SKIP_BROWSER=1")
    pytest.fail(
        f"{CHROMIUM} is missing: install it with `apt-get install chromium` "
        "(or set TRAINER_SKIP_BROWSER=1 to skip the browser tests)",
        pytrace=False,
    )


@pytest.fixture(scope="session")
def browser(chromium_executable):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=chromium_executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass(frozen=True)
class LiveServer:
    base_url: str
    #: role -> (e-mail, password) of the demo account `trainer run` printed for it.
    accounts: dict[str, tuple[str, str]]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[LiveServer]:
    """`trainer run` on a temporary SQLite database, with the demo accounts it printed."""
    tmp = tmp_path_factory.mktemp("live_server")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite'}",
        "SECRET_KEY": "browser-test-secret",
        "TRAINER_ENV": "development",
        "PYTHONUNBUFFERED": "1",
        # Nothing listens there: the pages that offer to e-mail are shown, nothing is sent.
        "TRAINER_MAIL_URL": f"smtp://127.0.0.1:{free_port()}",
        "TRAINER_MAIL_FROM": "trainer@example.org",
    }
    log_path = tmp / "server.log"
    # Output goes to a file, not a pipe: nothing has to drain it while the server runs.
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [*trainer_command(), "run", "--host", "127.0.0.1", "--port", str(port)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )

    def output() -> str:
        return log_path.read_text(encoding="utf-8", errors="replace")

    def fail(message: str) -> None:
        pytest.fail(f"{message}\n--- server output ---\n{output()}", pytrace=False)

    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while "Serving on" not in output():
            if server.poll() is not None:
                fail(f"`trainer run` exited with {server.returncode} before serving")
            if time.monotonic() > deadline:
                fail(f"`trainer run` did not print 'Serving on' within {STARTUP_SECONDS} s")
            time.sleep(0.1)
        lines = output().splitlines()
        accounts = {
            m.group(1): (m.group(2), m.group(3))
            for line in lines
            if (m := ACCOUNT_LINE.match(line))
        }
        if not any("Demo accounts" in line for line in lines) or set(accounts) != set(ROLES):
            fail("not one demo account per role in the output of `trainer run`")
        while not _answers_200(f"{base_url}/auth/login"):
            if server.poll() is not None:
                fail(f"`trainer run` exited with {server.returncode}")
            if time.monotonic() > deadline:
                fail(f"GET /auth/login did not answer 200 within {STARTUP_SECONDS} s")
            time.sleep(0.1)
        yield LiveServer(base_url, accounts)
    finally:
        stop(server, grace=10)
        # Captured by pytest: shown only when a test of the session failed.
        print(f"--- server output ({base_url}) ---\n{output()}")
