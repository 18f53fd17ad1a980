"""`sync_checklist.py --serve` as a subprocess against the fake GitHub over real HTTP on
127.0.0.1: signed deliveries, refusals, the durable queue, reconciliation, the page, --notify.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

import checklist_server as srv
from sync_checklist import ChecklistRef, SyncOptions
from tests.fake_github import FakeGitHub

ROOT = Path(__file__).resolve().parent.parent
REPO = "octo/plan"
SECRET = "webhook secret for the tests"
PASSWORD = "ui password for the tests"


# ---------------------------------------------------------------------------
# Pure functions


def test_github_published_signature_example() -> None:
    # https://docs.github.com/webhooks/using-webhooks/validating-webhook-deliveries
    secret, body = b"It's a Secret to Everybody", b"Hello, World!"
    expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert srv.sign(secret, body) == expected
    assert srv.signature_valid(secret, body, expected)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "sha256=",
        "sha256=zz",
        "sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59",
        "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e18",
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17é",
    ],
)
def test_signature_refused(header: str | None) -> None:
    assert not srv.signature_valid(b"It's a Secret to Everybody", b"Hello, World!", header)


def served(key: str, repo: str = REPO, master: int | None = 1) -> srv.Served:
    return srv.Served(key, ChecklistRef(master=master), repo, master, "https://api.github.com")


def issue_event(action: str, number: int, repo: str = REPO) -> dict[str, Any]:
    return {"action": action, "issue": {"number": number}, "repository": {"full_name": repo}}


def pull_event(merged: bool, number: int, body: str) -> dict[str, Any]:
    return {
        "action": "closed",
        "pull_request": {"number": number, "merged": merged, "body": body},
        "repository": {"full_name": REPO},
    }


A, B = served("a", master=1), served("b", master=2)
LINKED: srv.Linked = {"a": {(REPO, 5), ("octo/other", 7)}, "b": {(REPO, 6)}}


@pytest.mark.parametrize(
    ("event", "payload", "linked", "outcome", "keys"),
    [
        ("issues", issue_event("closed", 5), LINKED, "queued", ["a"]),
        ("issues", issue_event("reopened", 6), LINKED, "queued", ["b"]),
        ("issues", issue_event("deleted", 6), LINKED, "queued", ["b"]),
        ("issues", issue_event("transferred", 5), LINKED, "queued", ["a"]),
        ("issues", issue_event("closed", 7, "octo/other"), LINKED, "queued", ["a"]),
        ("issues", issue_event("closed", 9), LINKED, "ignored: no served checklist", []),
        ("issues", issue_event("closed", 9), {"a": None, "b": None}, "queued", ["a", "b"]),
        ("issues", issue_event("closed", 2), LINKED, "queued", ["b"]),  # the master itself
        ("issues", issue_event("edited", 1), LINKED, "queued", ["a"]),
        ("issues", issue_event("edited", 5), LINKED, "ignored: not a served master", []),
        ("issues", issue_event("labeled", 5), LINKED, "ignored: checklist-sync does not", []),
        ("issues", {"action": "closed", "issue": {}}, LINKED, "ignored: no issue number", []),
        ("pull_request", pull_event(True, 40, "Closes #6"), LINKED, "queued", ["b"]),
        ("pull_request", pull_event(True, 40, "fixes octo/x#6"), LINKED, "ignored", []),
        ("pull_request", pull_event(False, 40, "Closes #6"), LINKED, "ignored: closed without", []),
        ("pull_request", {**pull_event(True, 5, ""), "action": "opened"}, LINKED, "ignored", []),
        ("star", {"action": "created"}, LINKED, "ignored: checklist-sync does not act on star", []),
    ],
)
def test_route_event(
    event: str, payload: dict[str, Any], linked: srv.Linked, outcome: str, keys: list[str]
) -> None:
    got_outcome, got_keys = srv.route_event(event, payload, [A, B], linked)
    assert got_outcome.startswith(outcome)
    assert got_keys == keys


@pytest.mark.parametrize(("failures", "delay"), [(0, 30), (1, 30), (2, 60), (5, 480), (20, 3600)])
def test_retry_delay(failures: int, delay: float) -> None:
    assert srv.retry_delay(failures) == delay


@pytest.mark.parametrize(
    ("ago", "text"),
    [(5, "5 s ago"), (125, "2 min ago"), (7300, "2 h ago"), (3 * 86400 + 5, "3 days ago")],
)
def test_human_time(ago: float, text: str) -> None:
    assert srv.human_time(1_700_000_000 - ago, 1_700_000_000).startswith(text + " (2023-11-")


def test_store_coalesces_backs_off_and_requeues(tmp_path: Path) -> None:
    store = srv.Store(tmp_path / "state.sqlite3")
    a = served("a")
    batch = [
        srv.Delivery("d1", "issues", issue_event("closed", 1)),
        srv.Delivery("d2", "issues", issue_event("closed", 1)),
        srv.Delivery("d1", "issues", issue_event("closed", 1)),  # redelivered in the same burst
    ]
    assert store.record_deliveries(batch, [a]) == [True, True, False]
    (job,) = store.recent("jobs", "id")
    assert (job["trigger"], job["hints"], job["delivery"]) == ("webhook", 2, "d1")

    claimed = store.claim(time.time())
    assert claimed is not None and claimed["id"] == job["id"]
    waiting = store.enqueue("a", "schedule")
    assert waiting != job["id"]  # a running job takes no more hints
    store.finish(claimed, {"exit_code": 2, "error": "boom"}, None)
    state = store.checklist_state("a")
    assert state is not None and state["failures"] == 1 and state["retry_at"] > time.time() + 20
    assert store.claim(time.time()) is None  # the waiting sync (and its retry) wait it out
    assert store.enqueue("a", "retry") == waiting  # the retry joined the waiting sync
    assert store.enqueue("a", "manual") == waiting  # so does Sync now, which skips the backoff
    manual = store.claim(time.time())
    assert manual is not None and (manual["id"], manual["trigger"]) == (waiting, "manual")

    assert store.requeue_interrupted() == 1  # killed while running: queued again
    again = store.claim(time.time())
    assert again is not None and again["id"] == manual["id"]
    store.finish(again, {"exit_code": 0, "error": None}, [[REPO, 1]])
    assert store.linked() == {"a": {(REPO, 1)}}
    assert store.checklist_state("a")["failures"] == 0  # type: ignore[index]


# ---------------------------------------------------------------------------
# The server as a subprocess


@dataclass
class Fake:
    github: FakeGitHub
    repo_json: dict[str, Any]


@pytest.fixture
def fake() -> Iterator[Fake]:
    github = FakeGitHub()
    try:
        github.start()
        yield Fake(github, github.add_repo(REPO))
    finally:
        github.stop()


@dataclass
class Server:
    proc: subprocess.Popen[str]
    state: Path
    lines: list[str] = field(default_factory=list)
    url: str = ""

    def wait_line(self, pattern: str, timeout: float = 15) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        seen = 0
        while time.monotonic() < deadline:
            for line in self.lines[seen:]:
                if match := re.search(pattern, line):
                    return match
            seen = 0
            if self.proc.poll() is not None and not any(re.search(pattern, x) for x in self.lines):
                raise AssertionError(f"server exited {self.proc.returncode}:\n" + self.log())
            time.sleep(0.02)
        raise AssertionError(f"no line matching {pattern!r} in:\n{self.log()}")

    def log(self) -> str:
        return "\n".join(self.lines)

    def jobs(self, where: str = "1") -> list[sqlite3.Row]:
        db = sqlite3.connect(self.state, timeout=10)
        db.row_factory = sqlite3.Row
        try:
            return db.execute(f"SELECT * FROM jobs WHERE {where} ORDER BY id").fetchall()
        finally:
            db.close()

    def wait_idle(self, done: int, timeout: float = 20) -> list[sqlite3.Row]:
        """Wait until `done` jobs have finished and none is queued or running."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            jobs = self.jobs()
            finished = [j for j in jobs if j["state"] in ("done", "failed")]
            busy = [j for j in jobs if j["state"] in ("queued", "running")]
            if len(finished) >= done and not busy:
                return jobs
            time.sleep(0.05)
        raise AssertionError(f"jobs: {[dict(j) for j in self.jobs()]}\n{self.log()}")

    def wait_jobs(self, where: str, count: int = 1, timeout: float = 20) -> list[sqlite3.Row]:
        deadline = time.monotonic() + timeout
        while len(jobs := self.jobs(where)) < count:
            assert time.monotonic() < deadline, self.log()
            time.sleep(0.05)
        return jobs

    def post(
        self,
        event: str,
        payload: Any,
        *,
        delivery: str | None = None,
        secret: str = SECRET,
        signature: str | None = None,
        body: bytes | None = None,
        extra: dict[str, str] | None = None,
    ) -> requests.Response:
        data = body if body is not None else json.dumps(payload).encode()
        headers = {
            "Content-Type": "application/json",
            "X-GitHub-Event": event,
            "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
            "X-Hub-Signature-256": srv.sign(secret.encode(), data)
            if signature is None
            else signature,
            "User-Agent": "GitHub-Hookshot/test",
        }
        if not headers["X-Hub-Signature-256"]:
            del headers["X-Hub-Signature-256"]  # missing altogether
        return requests.post(
            f"{self.url}/webhook", data=data, headers={**headers, **(extra or {})}, timeout=10
        )

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return requests.get(f"{self.url}{path}", timeout=10, **kwargs)


def server_env(fake: Fake, **env: str | None) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "CHECKLIST_"))}
    merged: dict[str, str | None] = {
        **base,
        **fake.github.env(),
        "CHECKLIST_WRITE_INTERVAL": "0",
        "CHECKLIST_WEBHOOK_SECRET": SECRET,
        "CHECKLIST_UI_PASSWORD": PASSWORD,
        **env,
    }
    return {k: v for k, v in merged.items() if v is not None}


def measured() -> list[str]:
    """The interpreter, under coverage when this test run measures it: the server runs as a
    subprocess, and its coverage data joins the run's.
    """
    import coverage

    if coverage.Coverage.current() is None:
        return [sys.executable]
    config = ROOT / "pyproject.toml"
    data = ROOT / ".coverage"
    return [sys.executable, "-m", "coverage", "run", "--parallel-mode", f"--rcfile={config}",
            f"--data-file={data}"]  # fmt: skip


@pytest.fixture
def start(tmp_path: Path, fake: Fake) -> Iterator[Callable[..., Server]]:
    servers: list[Server] = []

    def launch(
        *args: str, wait: bool = True, state: Path | None = None, **env: str | None
    ) -> Server:
        state = state or tmp_path / "state.sqlite3"
        command = [*measured(), str(ROOT / "sync_checklist.py"), "--serve", "--port", "0"]
        proc = subprocess.Popen(
            [*command, "--state", str(state), *args],
            cwd=tmp_path,
            env=server_env(fake, **env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        server = Server(proc, state)
        servers.append(server)

        def pump() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                server.lines.append(line.rstrip("\n"))

        threading.Thread(target=pump, daemon=True).start()
        if wait:
            server.url = server.wait_line(r"webhook endpoint: (http://\S+)/webhook")[1]
        return server

    yield launch
    for server in servers:
        if server.proc.poll() is None:
            server.proc.terminate()  # a clean stop (which also saves its coverage data)
            try:
                server.proc.wait(15)
            except subprocess.TimeoutExpired:
                server.proc.kill()
        server.proc.wait(10)
        for secret in (SECRET, PASSWORD, fake.github.token):
            assert secret not in server.log()
        assert "Traceback" not in server.log(), server.log()


def master_with(fake: Fake, *titles: str) -> tuple[int, list[int]]:
    numbers = [fake.github.create_issue(REPO, t)["number"] for t in titles]
    body = "".join(f"- [ ] {t} (#{n})\n" for t, n in zip(titles, numbers, strict=True))
    return fake.github.create_issue(REPO, "Checklist", body=body)["number"], numbers


def closed_payload(fake: Fake, number: int) -> dict[str, Any]:
    """An `issues` `closed` delivery as GitHub shapes it: the issue as the REST API shows it."""
    issue = fake.github.close_issue(REPO, number)
    return {
        "action": "closed",
        "issue": issue,
        "repository": fake.repo_json,
        "sender": issue["user"],
    }


def body_of(fake: Fake, number: int) -> str:
    return str(fake.github.issue(REPO, number)["body"])


# ---------------------------------------------------------------------------
# Start-up


def test_startup_without_secret_refuses(start: Callable[..., Server]) -> None:
    server = start("--master-issue", "1", wait=False, CHECKLIST_WEBHOOK_SECRET=None)
    assert server.proc.wait(15) == 2
    server.wait_line("error: CHECKLIST_WEBHOOK_SECRET is not set: set it")
    assert len(server.lines) == 1


def test_startup_lines_and_page_off_without_password(
    start: Callable[..., Server], fake: Fake
) -> None:
    master, _ = master_with(fake, "alpha")
    server = start("--master-issue", str(master), CHECKLIST_UI_PASSWORD=None)
    server.wait_line(rf"serving issue #{master} \(master issue {REPO}#{master}\)")
    server.wait_line(r"status page: off \(set CHECKLIST_UI_PASSWORD")
    assert re.match(r"http://127\.0\.0\.1:\d+$", server.url)
    assert server.get("/").status_code == 404
    assert requests.post(f"{server.url}/checklists/0/sync", timeout=5).status_code == 404
    assert server.get("/healthz").status_code == 200


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_it_cleanly(start: Callable[..., Server], fake: Fake, sig: int) -> None:
    master, _ = master_with(fake, "alpha")
    server = start("--master-issue", str(master))
    server.wait_idle(1)
    server.proc.send_signal(sig)
    assert server.proc.wait(15) == 0
    server.wait_line("stopping: the job under way finishes")


# ---------------------------------------------------------------------------
# Webhooks


def test_refusals(start: Callable[..., Server], fake: Fake) -> None:
    master, (alpha,) = master_with(fake, "alpha")
    server = start("--master-issue", str(master))
    server.wait_idle(1)
    payload = issue_event("closed", alpha)
    data = json.dumps(payload).encode()
    sha1 = "sha1=" + hmac.new(SECRET.encode(), data, hashlib.sha1).hexdigest()
    assert server.post("issues", payload, signature="").status_code == 401
    only_sha1 = {"X-Hub-Signature": sha1}
    assert server.post("issues", payload, signature="", extra=only_sha1).status_code == 401
    assert server.post("issues", payload, signature=sha1).status_code == 401
    assert server.post("issues", payload, signature="sha256=nothex").status_code == 401
    assert server.post("issues", payload, secret="wrong").status_code == 401
    assert server.post("issues", None, body=b"{not json").status_code == 400
    assert server.post("issues", None, body=b"[1, 2]").status_code == 400
    assert server.post("ping", {"zen": "Design for failure."}).status_code == 200
    assert server.post("star", {"action": "created"}).status_code == 204
    assert server.post("issues", issue_event("closed", 999)).status_code == 204
    # over the cap: refused from the declared length, without the body ever being sent
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(
            b"POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 26214400\r\nX-GitHub-Event: issues\r\n\r\n" + data
        )
        assert sock.recv(100).startswith(b"HTTP/1.1 413")
    # chunked, no length: read up to the cap only
    chunks = (b"x" * 65536 for _ in range(200))
    answer = requests.post(
        f"{server.url}/webhook", data=chunks, headers={"X-GitHub-Event": "issues"}, timeout=10
    )
    assert answer.status_code == 413
    assert len(server.jobs()) == 1  # the start-up sync only
    assert "error" not in body_of(fake, master)
    metrics = server.get("/metrics").text
    assert "checklist_sync_signature_failures_total 5.0" in metrics


def test_issues_closed_ticks_the_box_and_redelivery_queues_nothing(
    start: Callable[..., Server], fake: Fake
) -> None:
    master, (alpha, beta) = master_with(fake, "alpha", "beta")
    server = start("--master-issue", str(master))
    server.wait_idle(1)
    payload = closed_payload(fake, alpha)
    delivery = str(uuid.uuid4())

    began = time.monotonic()
    answer = server.post("issues", payload, delivery=delivery)
    assert answer.status_code == 202
    assert time.monotonic() - began < 1.0
    jobs = server.wait_idle(2)
    assert jobs[-1]["trigger"] == "webhook" and jobs[-1]["delivery"] == delivery
    assert f"- [x] alpha (#{alpha})" in body_of(fake, master)
    assert f"- [ ] beta (#{beta})" in body_of(fake, master)

    assert server.post("issues", payload, delivery=delivery).status_code == 200
    time.sleep(0.3)
    assert len(server.jobs()) == 2
    server.wait_line(f"delivery {delivery} \\(issues.closed\\) seen before: nothing queued")


def test_a_burst_coalesces(start: Callable[..., Server], fake: Fake) -> None:
    titles = [f"item {i}" for i in range(10)]
    master, numbers = master_with(fake, *titles)
    server = start("--master-issue", str(master))
    server.wait_idle(1)
    fake.github.latency = 0.02  # a sync takes a while, as on GitHub
    for number in numbers:
        assert server.post("issues", closed_payload(fake, number)).status_code == 202
    jobs = server.wait_idle(2)
    webhook_jobs = [j for j in jobs if j["trigger"] == "webhook"]
    assert 1 <= len(webhook_jobs) <= 2
    assert sum(j["hints"] for j in webhook_jobs) == 10
    assert body_of(fake, master).count("- [x]") == 10


def test_kill_after_202_is_acted_on_after_restart(start: Callable[..., Server], fake: Fake) -> None:
    master, (alpha,) = master_with(fake, "alpha")
    server = start("--master-issue", str(master))
    server.wait_idle(1)
    fake.github.latency = 2.0  # the sync is still reading GitHub when the kill comes
    delivery = str(uuid.uuid4())
    assert server.post("issues", closed_payload(fake, alpha), delivery=delivery).status_code == 202
    server.wait_jobs("state = 'running'")
    server.proc.kill()
    server.proc.wait(10)
    fake.github.latency = 0.0
    assert "- [ ] alpha" in body_of(fake, master)

    again = start("--master-issue", str(master), state=server.state)
    again.wait_line(r"1 job\(s\) interrupted by the last stop are queued again")
    jobs = again.wait_idle(2)
    acted = [j for j in jobs if j["delivery"] == delivery]
    assert [j["state"] for j in acted] == ["done"]
    assert "- [x] alpha" in body_of(fake, master)
    assert again.post("issues", {}, delivery=delivery).status_code == 200  # still known


def test_reconcile_repairs_a_change_no_webhook_announced(
    start: Callable[..., Server], fake: Fake
) -> None:
    master, (alpha,) = master_with(fake, "alpha")
    server = start("--master-issue", str(master), "--reconcile-every", "1s")
    server.wait_idle(1)
    fake.github.close_issue(REPO, alpha)  # GitHub never delivers this one
    deadline = time.monotonic() + 10
    while "- [x] alpha" not in body_of(fake, master):
        assert time.monotonic() < deadline, server.log()
        time.sleep(0.1)
    assert any(j["trigger"] == "schedule" for j in server.jobs())


def test_a_failing_checklist_backs_off_and_the_others_go_on(
    start: Callable[..., Server], fake: Fake
) -> None:
    good, (alpha,) = master_with(fake, "alpha")
    doomed, _ = master_with(fake, "beta")
    server = start("--master-issue", str(good), "--master-issue", str(doomed))
    server.wait_idle(2)
    fake.github.delete_issue(REPO, doomed)
    server.post("issues", issue_event("deleted", doomed))
    server.post("issues", closed_payload(fake, alpha))
    deadline = time.monotonic() + 10
    while "- [x] alpha" not in body_of(fake, good):
        assert time.monotonic() < deadline, server.log()
        time.sleep(0.1)
    failed = server.jobs("state = 'failed'")
    assert failed and "master issue" in json.loads(failed[-1]["result"])["error"]
    retry = server.jobs("state = 'queued' AND trigger = 'retry'")
    assert len(retry) == 1  # waiting out its backoff, not retried in a loop
    page = server.get("/", auth=("anyone", PASSWORD)).text
    assert 'class="card failed"' in page and "Failing: 1 attempt(s) in a row" in page

    # Sync now does not wait out the backoff
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    assert token
    requests.post(
        f"{server.url}/checklists/1/sync", auth=("x", PASSWORD), data={"csrf": token[1]}, timeout=5
    )
    failed = server.wait_jobs("state = 'failed'", 2)
    assert failed[-1]["trigger"] == "manual"


# ---------------------------------------------------------------------------
# Page, health, metrics


def test_page_needs_the_password_and_a_csrf_token(start: Callable[..., Server], fake: Fake) -> None:
    master, _ = master_with(fake, "<script>alert(1)</script>")
    server = start("--master-issue", str(master))
    server.wait_idle(1)
    assert server.get("/").status_code == 401
    assert server.get("/", auth=("admin", "wrong")).status_code == 401
    good = server.get("/", auth=("whoever", PASSWORD))
    assert good.status_code == 200
    assert "<script>alert(1)</script>" not in good.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in good.text
    for secret in (SECRET, PASSWORD, fake.github.token):
        assert secret not in good.text and secret not in server.get("/metrics").text
    token = re.search(r'name="csrf" value="([^"]+)"', good.text)
    assert token
    url = f"{server.url}/checklists/0/sync"
    auth = ("x", PASSWORD)
    assert requests.post(url, auth=auth, data={"csrf": "forged"}, timeout=5).status_code == 403
    cross = {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
    answer = requests.post(url, auth=auth, data={"csrf": token[1]}, headers=cross, timeout=5)
    assert answer.status_code == 403
    assert requests.post(url, data={"csrf": token[1]}, timeout=5).status_code == 401
    answer = requests.post(url, auth=auth, data={"csrf": token[1]}, timeout=5)
    assert answer.status_code == 200 and "/jobs/" in answer.url
    jobs = server.wait_idle(2)
    assert jobs[-1]["trigger"] == "manual"
    basic = base64.b64encode(f"x:{PASSWORD}".encode()).decode()
    assert basic not in server.log()


def test_dry_run_button_shows_the_diff_and_writes_nothing(
    start: Callable[..., Server], fake: Fake
) -> None:
    master, (alpha,) = master_with(fake, "alpha")
    server = start("--master-issue", str(master), "--reconcile-every", "0")
    server.wait_idle(1)
    fake.github.close_issue(REPO, alpha)
    page = server.get("/", auth=("x", PASSWORD)).text
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    assert token
    fake.github.reset_log()
    answer = requests.post(
        f"{server.url}/checklists/0/dry-run",
        auth=("x", PASSWORD),
        data={"csrf": token[1]},
        timeout=5,
    )
    job_url = answer.url
    server.wait_idle(2)
    shown = requests.get(job_url, auth=("x", PASSWORD), timeout=5).text
    assert "What a sync would write" in shown
    assert f"+- [x] alpha (#{alpha})" in shown
    assert "- [ ] alpha" in body_of(fake, master)
    assert not [r for r in fake.github.requests if r.method != "GET" and r.path != "/graphql"]


def test_metrics(start: Callable[..., Server], fake: Fake) -> None:
    master, (alpha,) = master_with(fake, "alpha")
    server = start("--master-issue", str(master))
    server.wait_idle(1)
    server.post("issues", closed_payload(fake, alpha))
    server.wait_idle(2)
    text = server.get("/metrics").text
    assert 'checklist_sync_deliveries_total{event="issues",outcome="queued"} 1.0' in text
    assert f'checklist_sync_syncs_total{{checklist="issue #{master}",result="ok"}} 2.0' in text
    assert "checklist_sync_queue_depth 0.0" in text
    assert "checklist_sync_rate_limit_remaining" in text
    assert "checklist_sync_sync_duration_seconds_count" in text
    requests_line = re.search(r"checklist_sync_github_requests_total\{[^}]*\} (\d+)", text)
    assert requests_line and int(requests_line[1]) > 0


# ---------------------------------------------------------------------------
# --notify


def test_notify_keeps_one_comment_edits_it_and_resolves_it(
    start: Callable[..., Server], fake: Fake
) -> None:
    master, (alpha, beta, gamma) = master_with(fake, "alpha", "beta", "gamma")
    server = start("--master-issue", str(master), "--notify", "--reconcile-every", "0")
    server.wait_idle(1)
    assert fake.github.comments(REPO, master) == []  # nothing wrong: no comment

    fake.github.delete_issue(REPO, alpha)
    server.post("issues", issue_event("deleted", alpha))
    server.wait_idle(2)
    (notice,) = fake.github.comments(REPO, master)
    assert f"issue #{alpha} not found" in notice["body"]
    assert "What to do" in notice["body"]

    fake.github.delete_issue(REPO, beta)
    server.post("issues", issue_event("deleted", beta))
    server.wait_idle(3)
    (edited,) = fake.github.comments(REPO, master)
    assert edited["id"] == notice["id"]
    assert f"issue #{beta} not found" in edited["body"]

    fake.github.edit_issue_body(REPO, master, f"- [ ] gamma (#{gamma})\n")
    server.post("issues", issue_event("edited", master))
    server.wait_idle(4)
    (resolved,) = fake.github.comments(REPO, master)
    assert resolved["id"] == notice["id"]
    assert resolved["body"].startswith("**Resolved**")

    server.post("issues", issue_event("edited", master))  # still fine: nothing more written
    server.wait_idle(5)
    assert fake.github.comments(REPO, master)[0]["body"] == resolved["body"]


def test_the_plain_cli_never_imports_the_web_stack() -> None:
    code = (
        "import sys, sync_checklist; print(sorted(m for m in sys.modules if m in "
        "('starlette', 'uvicorn', 'prometheus_client', 'checklist_server')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------------------
# GitHub App auth


def rsa_key_pair() -> tuple[str, str]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


def test_github_app_installation_tokens_are_renewed_before_they_expire(
    start: Callable[..., Server], fake: Fake, tmp_path: Path
) -> None:
    private, public = rsa_key_pair()
    fake.github.add_app(4242, public, [REPO])
    fake.github.app_token_ttl = 22  # PyGithub renews 20 s before expiry: stale after 2 s
    key_file = tmp_path / "app.pem"
    key_file.write_text(private)
    master, (alpha,) = master_with(fake, "alpha")
    server = start(
        "--master-issue", str(master),
        GITHUB_TOKEN=None, GITHUB_APP_ID="4242", GITHUB_APP_PRIVATE_KEY_FILE=str(key_file),
    )  # fmt: skip
    server.wait_line("GitHub access: GitHub App 4242")
    server.wait_idle(1)
    assert len(fake.github.app_tokens_minted) == 1
    time.sleep(2.2)
    server.post("issues", closed_payload(fake, alpha))
    jobs = server.wait_idle(2)
    assert [j["state"] for j in jobs] == ["done", "done"], server.log()
    assert "- [x] alpha" in body_of(fake, master)
    assert len(fake.github.app_tokens_minted) == 2  # renewed, not used after it expired
    unauthorized = [r for r in fake.github.requests if r.status == 401]
    assert unauthorized == []
    log = server.log()
    assert "PRIVATE KEY" not in log
    assert not any(token in log for token in fake.github.app_tokens_minted)


def test_github_app_with_a_key_github_does_not_know_fails_the_sync(
    start: Callable[..., Server], fake: Fake
) -> None:
    _private, public = rsa_key_pair()
    other_private, _ = rsa_key_pair()
    fake.github.add_app(4242, public, [REPO])
    master, _ = master_with(fake, "alpha")
    server = start(
        "--master-issue", str(master),
        GITHUB_TOKEN=None, GITHUB_APP_ID="4242", GITHUB_APP_PRIVATE_KEY=other_private,
    )  # fmt: skip
    jobs = server.wait_jobs("state = 'failed'")
    error = json.loads(jobs[0]["result"])["error"]
    assert error.startswith("GitHub rejected the App's JWT (401")
    assert "PRIVATE KEY" not in server.log()


# ---------------------------------------------------------------------------
# The status page in a real browser (Debian's chromium, driven by Playwright)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def test_status_page_in_a_browser(start: Callable[..., Server], fake: Fake, tmp_path: Path) -> None:
    if not Path(CHROMIUM).exists():
        # CI (.ci/run installs it) must never skip this; a developer's machine without a
        # browser is told how to get one
        assert not os.environ.get("CI"), f"{CHROMIUM} is missing: .ci/run installs it"
        pytest.skip("Debian's chromium is not installed: apt-get install chromium")
    from playwright.sync_api import expect, sync_playwright

    master, (alpha, hostile) = master_with(fake, "alpha", "<script>alert(1)</script>")
    beta = fake.github.create_issue(REPO, "beta")["number"]
    plan = tmp_path / "plan.md"
    plan.write_text(f"# Plan\n- [ ] beta ([#{beta}](https://github.com/{REPO}/issues/{beta}))\n")
    server = start("--master-issue", str(master), "plan.md", "--reconcile-every", "0")
    server.wait_idle(2)
    fake.github.close_issue(REPO, alpha)

    dialogs: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            anonymous = browser.new_context()
            assert anonymous.request.get(server.url + "/").status == 401
            context = browser.new_context(
                http_credentials={"username": "maintainer", "password": PASSWORD}
            )
            page = context.new_page()
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(server.url + "/")
            plan_card = page.locator("section#c0")  # plans come first, then master issues
            issue_card = page.locator("section#c1")
            expect(issue_card).to_contain_text(f"issue #{master}")
            expect(issue_card).to_contain_text("0 of 2 done")
            expect(plan_card).to_contain_text("plan.md")
            expect(plan_card).to_contain_text("0 of 1 done")
            expect(plan_card).to_contain_text("no master issue bound")

            issue_card.get_by_text("Linked items (2)").click()
            expect(issue_card.get_by_role("cell", name="<script>alert(1)</script>")).to_be_visible()

            issue_card.get_by_role("button", name="Sync now").click()
            expect(page.locator("h1")).to_contain_text(f"Sync #3 of issue #{master}")
            expect(page.locator("body")).to_contain_text("state done", timeout=10_000)
            expect(page.locator("pre")).to_contain_text(
                f"checked line 1 'alpha' (#{alpha} closed as completed)"
            )
            page.get_by_text("all checklists").click()
            expect(page.locator("section#c1")).to_contain_text("1 of 2 done")
            expect(page.locator("section#c1")).to_contain_text("trigger manual")
        finally:
            browser.close()
    assert dialogs == []  # the script in the item never ran
    assert f"- [x] alpha (#{alpha})" in body_of(fake, master)
    assert f"(#{hostile})" in body_of(fake, master)


def test_healthz_is_503_when_the_worker_is_not_running(tmp_path: Path) -> None:
    import asyncio

    from starlette.requests import Request

    store = srv.Store(tmp_path / "state.sqlite3")
    worker = srv.Worker(
        store, [], SyncOptions(), srv.Metrics(), reconcile_every=0, quiet=True, verbose=False
    )
    app = srv.App(store, [], worker, srv.DeliveryWriter(store, []), srv.Metrics(), b"s", None)
    request = Request({"type": "http", "method": "GET", "path": "/healthz", "headers": []})

    def status() -> int:
        return asyncio.run(app.healthz(request)).status_code

    assert status() == 503  # never started
    worker.start()
    assert status() == 200
    worker.stopping.set()
    worker.join(5)
    assert status() == 503
