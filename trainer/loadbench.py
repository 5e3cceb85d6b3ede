"""``trainer loadbench``: concurrent API clients play attempts; throughput, latency, lost turns."""

from __future__ import annotations

import http.client
import itertools
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

#: The first reply of an attempt when it is not dismissive, by scenario language.
OPENING_REPLIES = {
    "en": (
        "I'm so sorry - that sounds really stressful, and you have every right to be upset. "
        "Let me fix this for you now: I'll take this on myself, sort it out today and call you "
        "back by 4 pm to confirm it is done."
    ),
    "id": (
        "Mohon maaf sekali, saya paham ini sangat membuat Anda kesal dan wajar Anda marah. "
        "Saya tangani sendiri sekarang: masalahnya saya selesaikan hari ini dan saya telepon "
        "Anda kembali sebelum jam 4 sore untuk memastikan sudah beres."
    ),
}
#: What a careless agent says, so that some attempts escalate.
DISMISSIVE_REPLIES = {
    "en": "That's our policy, there's nothing I can do about it. Please calm down.",
    "id": "Itu sudah kebijakan kami, saya tidak bisa berbuat apa-apa. Tolong tenang dulu.",
}
#: An attempt still going after this many replies is left (scenarios end well before).
MAX_REPLIES_PER_ATTEMPT = 25
#: Attempts at one request before it counts as failed (network errors and 5xx only).
MAX_TRIES = 4
REQUEST_TIMEOUT = 60.0
#: Server log lines worth reporting.
PROBLEM_LINE = re.compile(r"Traceback|ERROR|database is locked|deadlock|Exception", re.IGNORECASE)
WARNING_LINE = re.compile(r"^WARNING:|^warning:")


class NetworkError(Exception):
    """No HTTP response: the connection failed, was reset or timed out."""


@dataclass
class AttemptRecord:
    """What one client knows of an attempt it started."""

    id: int
    token: str
    scenario: str
    #: Turn number -> the reply text the server acknowledged (201, or 200 on a replay).
    acknowledged: dict[int, str] = field(default_factory=dict)
    #: Replies sent whose fate the client does not know (no answer, 5xx, 409 reply_pending).
    in_flight: int = 0
    #: Acknowledgements of a turn number already acknowledged for another reply.
    double_acks: int = 0
    outcome: str | None = None
    done: bool = False


@dataclass
class LoadReport:
    clients: int
    seconds: float
    elapsed_s: float
    database: str | None
    attempts_started: int
    attempts_finished: int
    outcomes: dict[str, int]
    turns_acknowledged: int
    turns_per_second: float
    latency_ms: dict[str, float]
    errors: dict[str, int]
    retries: int
    replies: dict[str, int]
    attempts_verified: int
    lost_turns: int
    mismatched_turns: int
    duplicate_turns: int
    unscored_turns: int
    problems: list[str] = field(default_factory=list)
    server_log_problems: list[str] = field(default_factory=list)
    #: Server warnings, counted by message with the numbers taken out.
    server_log_warnings: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def ok(self) -> bool:
        return self.lost_turns == 0 and self.duplicate_turns == 0 and self.mismatched_turns == 0


class ApiClient:
    """One keep-alive HTTP connection with a bearer token; reconnects after a network error."""

    def __init__(self, base_url: str, token: str, timeout: float = REQUEST_TIMEOUT) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https"):
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        self._https = parts.scheme == "https"
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port
        self._prefix = parts.path.rstrip("/")
        self.token = token
        self._timeout = timeout
        self._conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            self._conn = cls(self._host, self._port, timeout=self._timeout)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        """(status, parsed JSON body or None); NetworkError when no response came back."""
        sent = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        sent.update(headers or {})
        try:
            conn = self._connection()
            conn.request(method, self._prefix + path, body=data, headers=sent)
            response = conn.getresponse()
            raw = response.read()
            if response.getheader("Connection", "").lower() == "close":
                self.close()
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise NetworkError(f"{type(exc).__name__}: {exc}") from exc
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        return response.status, parsed


def error_key(status: int, body: Any) -> str:
    code = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        code = body["error"].get("code")
    return f"{status} {code or 'no_code'}"


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (inclusive method), 0.0 for no values."""
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


class _Shared:
    """What every client thread adds to, under one lock."""

    def __init__(self, scenarios: list[dict[str, Any]]) -> None:
        self.lock = threading.Lock()
        self.scenarios = scenarios
        self._next_scenario = itertools.count()
        self.attempts: list[AttemptRecord] = []
        self.latencies: list[float] = []
        self.errors: Counter[str] = Counter()
        self.replies: Counter[str] = Counter()
        self.retries = 0
        self.problems: list[str] = []

    def next_scenario(self) -> dict[str, Any]:
        with self.lock:
            return self.scenarios[next(self._next_scenario) % len(self.scenarios)]

    def error(self, key: str, detail: str | None = None) -> None:
        with self.lock:
            self.errors[key] += 1
            if detail and len(self.problems) < 50:
                self.problems.append(detail)


class _Client:
    def __init__(
        self, base_url: str, token: str, shared: _Shared, rng: random.Random, dismissive: float
    ) -> None:
        self.api = ApiClient(base_url, token)
        self.shared = shared
        self.rng = rng
        self.dismissive = dismissive

    def call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int | None, Any, float]:
        """The request, retried (same headers, so the same Idempotency-Key) on no answer or 5xx.

        Returns (status or None when every try failed, body, seconds the last try took).
        """
        status: int | None = None
        parsed: Any = None
        elapsed = 0.0
        for attempt in range(MAX_TRIES):
            if attempt:
                with self.shared.lock:
                    self.shared.retries += 1
                time.sleep(min(0.2 * 2**attempt, 2.0))
            t0 = time.perf_counter()
            try:
                status, parsed = self.api.request(method, path, body, headers)
            except NetworkError as exc:
                elapsed = time.perf_counter() - t0
                status, parsed = None, None
                self.shared.error("network", f"{method} {path}: {exc}")
                continue
            elapsed = time.perf_counter() - t0
            if status < 500:
                return status, parsed, elapsed
            self.shared.error(error_key(status, parsed), f"{method} {path}: {status} {parsed}")
        return status, parsed, elapsed

    def pick_reply(self, language: str, previous: dict[str, Any] | None) -> tuple[str, str]:
        if self.rng.random() < self.dismissive:
            return "dismissive", DISMISSIVE_REPLIES.get(language, DISMISSIVE_REPLIES["en"])
        exemplar = ((previous or {}).get("feedback") or {}).get("exemplar")
        if isinstance(exemplar, str) and exemplar.strip():
            return "exemplar", exemplar
        return "generic", OPENING_REPLIES.get(language, OPENING_REPLIES["en"])

    def play(self, deadline: float) -> None:
        try:
            while time.monotonic() < deadline:
                self.play_attempt(deadline)
        finally:
            self.api.close()

    def play_attempt(self, deadline: float) -> None:
        scenario = self.shared.next_scenario()
        slug, language = scenario["slug"], scenario.get("language", "en")
        key = {"Idempotency-Key": uuid.uuid4().hex}  # a retried start returns the same attempt
        status, body, _ = self.call("POST", "/api/v1/attempts", {"scenario": slug}, key)
        if status not in (200, 201) or not isinstance(body, dict):
            if status is not None and status < 500:
                self.shared.error(error_key(status, body), f"start {slug}: {status} {body}")
            time.sleep(0.5)  # do not spin on a failing server
            return
        record = AttemptRecord(id=body["id"], token=self.api.token, scenario=slug)
        with self.shared.lock:
            self.shared.attempts.append(record)
        previous: dict[str, Any] | None = None
        for _ in range(MAX_REPLIES_PER_ATTEMPT):
            if time.monotonic() >= deadline:
                return
            source, text = self.pick_reply(language, previous)
            key = uuid.uuid4().hex
            status, body, elapsed = self.call(
                "POST",
                f"/api/v1/attempts/{record.id}/turns",
                {"reply": text},
                {"Idempotency-Key": key},
            )
            if status in (200, 201) and isinstance(body, dict):
                number = body.get("turn")
                with self.shared.lock:
                    self.shared.replies[source] += 1
                    if status == 201:
                        self.shared.latencies.append(elapsed * 1000)
                    if number in record.acknowledged:
                        record.double_acks += 1
                    record.acknowledged[number] = text
                previous = body
                if body.get("done"):
                    record.done, record.outcome = True, body.get("outcome")
                    return
                continue
            # No usable answer: the reply may or may not be stored; the attempt is left.
            record.in_flight += 1
            if status is not None and status < 500:
                self.shared.error(
                    error_key(status, body), f"reply to attempt {record.id}: {status} {body}"
                )
            return


def fetch_scenarios(base_url: str, token: str) -> list[dict[str, Any]]:
    api = ApiClient(base_url, token)
    try:
        status, body = api.request("GET", "/api/v1/scenarios")
    except NetworkError as exc:
        raise RuntimeError(f"cannot reach {base_url}: {exc}") from exc
    finally:
        api.close()
    if status != 200 or not isinstance(body, list) or not body:
        raise RuntimeError(f"no playable scenarios: GET /api/v1/scenarios -> {status} {body}")
    return body


def _verify(base_url: str, record: AttemptRecord) -> tuple[dict[str, int], list[str]]:
    """Compare the stored transcript with what the client had acknowledged."""
    api = ApiClient(base_url, record.token)
    status: int | None = None
    body: Any = None
    try:
        for attempt in range(MAX_TRIES):
            if attempt:
                time.sleep(0.5 * attempt)
            try:
                status, body = api.request("GET", f"/api/v1/attempts/{record.id}")
            except NetworkError:
                continue
            if status < 500:
                break
    finally:
        api.close()
    counts = {"verified": 0, "lost": 0, "mismatched": 0, "duplicates": 0, "unscored": 0}
    if status != 200 or not isinstance(body, dict):
        return counts, [f"attempt {record.id}: GET answered {status} {body}"]
    counts["verified"] = 1
    problems = []
    agent = [row for row in body.get("transcript", []) if row.get("speaker") == "agent"]
    stored: dict[Any, list[str]] = {}
    for row in agent:
        stored.setdefault(row.get("turn"), []).append(row.get("text", ""))
        if row.get("score_status") != "scored":
            counts["unscored"] += 1
    for number, text in sorted(record.acknowledged.items()):
        texts = stored.get(number)
        if not texts:
            counts["lost"] += 1
            problems.append(f"attempt {record.id}: acknowledged turn {number} is not stored")
        elif text not in texts:
            counts["mismatched"] += 1
            problems.append(f"attempt {record.id}: turn {number} is stored with another text")
    extra = len(agent) - len(record.acknowledged) - record.in_flight
    same_number = sum(len(texts) - 1 for texts in stored.values())
    duplicates = max(extra, same_number, 0) + record.double_acks
    if duplicates:
        counts["duplicates"] = duplicates
        problems.append(
            f"attempt {record.id}: {len(agent)} agent turns stored, {len(record.acknowledged)} "
            f"acknowledged, {record.in_flight} in flight, {record.double_acks} double acks"
        )
    if record.done and body.get("status") != "done":
        problems.append(f"attempt {record.id}: finished for the client, {body.get('status')!r}")
    return counts, problems


def run_load(
    base_url: str,
    tokens: list[str],
    seconds: float,
    clients: int | None = None,
    dismissive: float = 0.1,
    seed: int = 7,
    database: str | None = None,
) -> LoadReport:
    """``clients`` threads (default: one per token) play attempts for ``seconds``, then verify.

    Tokens are shared round-robin when there are fewer than clients. Each turn's latency is
    the time of the request that got the 201; a reply is retried with the same key on a
    network error or a 5xx. After the run every attempt is read back: an acknowledged turn
    missing from its transcript is lost; more agent turns than acknowledged plus in-flight
    replies are duplicates.
    """
    if not tokens:
        raise ValueError("at least one API token is needed")
    clients = clients or len(tokens)
    shared = _Shared(fetch_scenarios(base_url, tokens[0]))
    workers = [
        _Client(base_url, tokens[i % len(tokens)], shared, random.Random(seed + i), dismissive)
        for i in range(clients)
    ]
    start = time.monotonic()
    deadline = start + seconds
    threads = [
        threading.Thread(target=w.play, args=(deadline,), name=f"loadbench-{i}", daemon=True)
        for i, w in enumerate(workers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - start

    totals: Counter[str] = Counter()
    problems = list(shared.problems)
    for record in shared.attempts:
        counts, found = _verify(base_url, record)
        totals.update(counts)
        problems.extend(found)

    latencies = sorted(shared.latencies)
    acknowledged = sum(len(r.acknowledged) for r in shared.attempts)
    outcomes = Counter(r.outcome or "unknown" for r in shared.attempts if r.done)
    return LoadReport(
        clients=clients,
        seconds=seconds,
        elapsed_s=round(elapsed, 2),
        database=database,
        attempts_started=len(shared.attempts),
        attempts_finished=sum(1 for r in shared.attempts if r.done),
        outcomes=dict(sorted(outcomes.items())),
        turns_acknowledged=acknowledged,
        turns_per_second=round(acknowledged / elapsed, 2) if elapsed else 0.0,
        latency_ms={
            "p50": round(percentile(latencies, 50), 1),
            "p95": round(percentile(latencies, 95), 1),
            "max": round(latencies[-1], 1) if latencies else 0.0,
            "mean": round(statistics.fmean(latencies), 1) if latencies else 0.0,
        },
        errors=dict(sorted(shared.errors.items())),
        retries=shared.retries,
        replies=dict(sorted(shared.replies.items())),
        attempts_verified=totals["verified"],
        lost_turns=totals["lost"],
        mismatched_turns=totals["mismatched"],
        duplicate_turns=totals["duplicates"],
        unscored_turns=totals["unscored"],
        problems=problems[:50],
    )


def database_kind(url: str) -> str:
    """sqlite, postgresql, ... from a database URL."""
    scheme = url.split(":", 1)[0].split("+", 1)[0].lower()
    return "postgresql" if scheme.startswith("postgres") else scheme


def trainer_command() -> list[str]:
    """The `trainer` console script of this interpreter's environment."""
    script = Path(sys.executable).parent / "trainer"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from trainer.cli import main; main()"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop(server: subprocess.Popen, grace: float = 30) -> None:
    """Terminate a server process, killing it when it does not stop within ``grace`` seconds."""
    server.terminate()
    try:
        server.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def _trainer(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(
        [*trainer_command(), *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        last = "\n".join(done.stderr.strip().splitlines()[-3:])
        raise RuntimeError(f"trainer {' '.join(args)} exited {done.returncode}:\n{last}")
    return done.stdout


def _wait_ready(base_url: str, token: str, server: subprocess.Popen, timeout: float) -> None:
    api = ApiClient(base_url, token, timeout=5)
    give_up = time.monotonic() + timeout
    try:
        while time.monotonic() < give_up:
            if server.poll() is not None:
                raise RuntimeError(f"the server exited with status {server.returncode}")
            try:
                status, _ = api.request("GET", "/api/v1/me")
                if status == 200:
                    return
            except NetworkError:
                pass
            time.sleep(0.25)
    finally:
        api.close()
    raise RuntimeError(f"the server did not answer within {timeout:.0f} s")


def run_self_contained(
    clients: int,
    seconds: float,
    database_url: str | None = None,
    log: Callable[[str], None] = lambda _: None,
    ready_timeout: float = 180.0,
) -> LoadReport:
    """Fresh database, ``clients`` agents with tokens, ``trainer run`` on a free port, the load."""
    with tempfile.TemporaryDirectory(prefix="trainer-loadbench-") as tmp:
        url = database_url or f"sqlite:///{Path(tmp) / 'loadbench.sqlite'}"
        # The load measures the app, not the per-token limit that protects it in service.
        env = {**os.environ, "DATABASE_URL": url, "API_RATE_LIMIT": "1000000 per minute"}
        log(f"database {database_kind(url)}; trainer setup --no-demo")
        _trainer(["setup", "--no-demo"], env)
        # A run tag keeps the e-mails unique when --database-url is reused between runs.
        tag = uuid.uuid4().hex[:6]
        tokens = []
        for n in range(1, clients + 1):
            out = _trainer(
                ["users", "create", f"load{n}-{tag}@bench.local", "--role", "agent", "--token"],
                env,
            )
            tokens.append(out.strip().splitlines()[-1].strip())
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        err_path = Path(tmp) / "server.err"
        log(f"{clients} agents created; starting trainer run on port {port}")
        with (Path(tmp) / "server.out").open("w") as out, err_path.open("w") as err:
            server = subprocess.Popen(
                [*trainer_command(), "run", "--no-demo", "--port", str(port)],
                env=env,
                stdout=out,
                stderr=err,
            )
            try:
                _wait_ready(base_url, tokens[0], server, ready_timeout)
                log(f"server ready; {clients} clients for {seconds:g} s")
                report = run_load(base_url, tokens, seconds, database=database_kind(url))
            except BaseException:
                stop(server)
                sys.stderr.write(err_path.read_text(errors="replace")[-4000:])
                raise
            stop(server)
        lines = err_path.read_text(errors="replace").splitlines()
        report.server_log_problems = [line for line in lines if PROBLEM_LINE.search(line)][:50]
        warnings = Counter(re.sub(r"\d+", "N", line) for line in lines if WARNING_LINE.search(line))
        report.server_log_warnings = dict(warnings.most_common(10))
        return report


def format_report(report: LoadReport) -> str:
    lat = report.latency_ms
    outcomes = ", ".join(f"{k} {v}" for k, v in report.outcomes.items()) or "none"
    errors = ", ".join(f"{k}: {v}" for k, v in report.errors.items()) or "none"
    replies = ", ".join(f"{k} {v}" for k, v in report.replies.items()) or "none"
    lines = [
        f"{report.clients} clients for {report.seconds:g} s (ran {report.elapsed_s} s), "
        f"database {report.database or 'unknown'}",
        f"attempts      {report.attempts_started} started, {report.attempts_finished} finished "
        f"({outcomes})",
        f"turns         {report.turns_acknowledged} acknowledged, "
        f"{report.turns_per_second} turns/s  (replies: {replies})",
        f"latency       p50 {lat['p50']} ms  p95 {lat['p95']} ms  max {lat['max']} ms  "
        f"mean {lat['mean']} ms",
        f"errors        {errors}; {report.retries} retries",
        f"verified      {report.attempts_verified} of {report.attempts_started} attempts: "
        f"lost turns {report.lost_turns}, duplicate turns {report.duplicate_turns}, "
        f"mismatched {report.mismatched_turns}, unscored {report.unscored_turns}",
    ]
    if report.problems:
        lines.append("problems:")
        lines.extend(f"  {p}" for p in report.problems[:20])
    if report.server_log_warnings:
        lines.append("server warnings:")
        lines.extend(f"  {n} x {w}" for w, n in report.server_log_warnings.items())
    if report.server_log_problems:
        lines.append(f"server log ({len(report.server_log_problems)} problem line(s)):")
        lines.extend(f"  {p}" for p in report.server_log_problems[:20])
    return "\n".join(lines)
