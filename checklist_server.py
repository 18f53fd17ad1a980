"""`sync_checklist.py --serve`: GitHub's signed webhooks in, a durable SQLite queue, one worker
that re-syncs each affected checklist with the CLI's own sync_one(), and a status page.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import html
import json
import queue
import re
import secrets
import signal
import socket
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import prometheus_client as prom
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

import checklist_source as cs
from github_api import DEFAULT_API_URL, ToolError, redact, register_secret
from report import Reporter
from sync_checklist import DEFAULT_STATE, ChecklistRef, SyncOptions, open_checklist, sync_one

MAX_BODY = 5 * 1024 * 1024  # bytes; GitHub caps a delivery at 25 MB, ours are a few KB
DELIVERY_DAYS = 30  # GitHub lets a user redeliver for about 30 days
RETRY_BASE = 30.0  # seconds before a failing checklist is tried again, doubled per failure
RETRY_MAX = 3600.0
SHUTDOWN_WAIT = 30.0  # seconds a stop waits for the job under way
IDLE_POLL = 0.5  # seconds the idle worker sleeps between looks at the queue
HISTORY = 20  # deliveries and jobs shown on the page
ACTED_ON = {"issues": {"closed", "reopened", "deleted", "transferred", "edited"}}
_CLOSING_RE = re.compile(
    r"\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?):?\s+(?:([\w.-]+/[\w.-]+))?#(\d+)\b", re.I
)


def log(message: str) -> None:
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    print(f"{stamp} {redact(message)}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# Pure decisions: signatures, events, backoff


def sign(secret: bytes, body: bytes) -> str:
    """GitHub's X-Hub-Signature-256 value for `body`."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def signature_valid(secret: bytes, body: bytes, header: str | None) -> bool:
    """True when `header` is the SHA-256 signature of `body` (compared in constant time).
    A SHA-1 signature (X-Hub-Signature) is never enough.
    """
    if not header or not header.startswith("sha256="):
        return False
    given = header.strip().encode("utf-8", "replace")
    return hmac.compare_digest(sign(secret, body).encode(), given)


@dataclass(frozen=True)
class Served:
    """A checklist this server keeps in sync, as resolved at start-up (no request made)."""

    key: str
    ref: ChecklistRef
    repo: str  # OWNER/REPO, lower case
    master: int | None
    api_url: str

    @property
    def name(self) -> str:
        return self.ref.name

    @property
    def master_url(self) -> str | None:
        if self.master is None:
            return None
        return f"{html_base(self.api_url)}/{self.repo}/issues/{self.master}"


def html_base(api_url: str) -> str:
    """The web address next to an API base URL (github.com, GitHub Enterprise, a fake)."""
    if api_url.rstrip("/") == DEFAULT_API_URL:
        return "https://github.com"
    return api_url.rstrip("/").removesuffix("/api/v3")


Linked = dict[str, set[tuple[str, int]] | None]


def route_event(
    event: str, payload: dict[str, Any], served: list[Served], linked: Linked
) -> tuple[str, list[str]]:
    """(what the delivery means, keys of the checklists to re-sync). An event is a hint:
    the worker reads live state, so over-marking costs a sync, never a wrong box.
    """
    action = str(payload.get("action") or "")
    repo = str((payload.get("repository") or {}).get("full_name") or "").lower()
    if event == "issues" and action in ACTED_ON["issues"]:
        number = (payload.get("issue") or {}).get("number")
        if not isinstance(number, int):
            return "ignored: no issue number in the payload", []
        if action == "edited":
            keys = [s.key for s in served if s.repo == repo and s.master == number]
            return ("queued" if keys else "ignored: not a served master issue"), keys
        return _concerning(served, linked, repo, {number}, f"{repo}#{number}")
    if event == "pull_request" and action == "closed":
        pull = payload.get("pull_request") or {}
        if not pull.get("merged"):
            return "ignored: closed without merging", []
        numbers = {pull.get("number")} | {
            int(n) for r, n in _CLOSING_RE.findall(str(pull.get("body") or "")) if not r
        }
        return _concerning(served, linked, repo, numbers, f"{repo} PR #{pull.get('number')}")
    shown = f"{event}.{action}" if action else event
    return f"ignored: checklist-sync does not act on {shown}", []


def _concerning(
    served: list[Served], linked: Linked, repo: str, numbers: set[Any], what: str
) -> tuple[str, list[str]]:
    refs = {(repo, n) for n in numbers}
    keys = []
    for s in served:
        known = linked.get(s.key)
        # never synced yet: its links are unknown, so any event of its repository counts
        unknown = known is None and s.repo == repo
        if unknown or (known and refs & known) or (s.repo == repo and s.master in numbers):
            keys.append(s.key)
    return ("queued" if keys else f"ignored: no served checklist links {what}"), keys


def retry_delay(failures: int) -> float:
    """Seconds before a checklist that failed `failures` times in a row is tried again."""
    return min(RETRY_BASE * 2 ** max(failures - 1, 0), RETRY_MAX)


# ---------------------------------------------------------------------------
# State: SQLite in WAL mode, one connection per thread

SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (
    id TEXT PRIMARY KEY, received REAL NOT NULL, event TEXT, action TEXT, outcome TEXT);
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, checklist TEXT NOT NULL, trigger TEXT NOT NULL,
    dry_run INTEGER NOT NULL DEFAULT 0, state TEXT NOT NULL DEFAULT 'queued',
    queued REAL NOT NULL, started REAL, finished REAL, delivery TEXT,
    hints INTEGER NOT NULL DEFAULT 1, exit_code INTEGER, result TEXT);
CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs (state, checklist);
CREATE TABLE IF NOT EXISTS checklists (
    key TEXT PRIMARY KEY, linked TEXT, failures INTEGER NOT NULL DEFAULT 0,
    retry_at REAL NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT);
"""


@dataclass
class Delivery:
    id: str
    event: str
    payload: dict[str, Any]
    outcome: str = ""
    keys: list[str] = field(default_factory=list)

    @property
    def action(self) -> str:
        return str(self.payload.get("action") or "")


class DeliveryWriter(threading.Thread):
    """Writes deliveries for the request handlers: everything that arrived while the last
    transaction was committing goes into the next one, so a burst shares its fsyncs and the
    event loop never waits on the disk.
    """

    def __init__(self, store: Store, served: list[Served]) -> None:
        super().__init__(name="delivery-writer", daemon=True)
        self.store, self.served = store, served
        self.inbox: queue.Queue[tuple[Delivery, Future[bool]]] = queue.Queue()

    def submit(self, delivery: Delivery) -> Future[bool]:
        future: Future[bool] = Future()
        self.inbox.put((delivery, future))
        return future

    def run(self) -> None:
        while True:
            batch = [self.inbox.get()]
            with contextlib.suppress(queue.Empty):
                while len(batch) < 500:
                    batch.append(self.inbox.get_nowait())
            try:
                stored = self.store.record_deliveries([d for d, _ in batch], self.served)
            except sqlite3.Error as exc:
                for _, future in batch:
                    future.set_exception(exc)
                continue
            for (_, future), new in zip(batch, stored, strict=True):
                future.set_result(new)


class Store:
    """Deliveries seen, the job queue and history, each checklist's links and backoff."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self.db.executescript(SCHEMA)  # runs in its own transaction

    @property
    def db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")  # a 202 means the delivery is on disk
            self._local.db = db
        return db

    @contextlib.contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def record_deliveries(self, batch: list[Delivery], served: list[Served]) -> list[bool]:
        """Store deliveries and queue their checklists, in one transaction (one fsync for a
        whole burst); for each, False when its id was seen before (a redelivery: nothing queued).
        """
        out = []
        with self.tx() as db:
            linked = self.linked()
            for d in batch:
                if d.event == "ping":
                    d.outcome, d.keys = "ping", []
                else:
                    d.outcome, d.keys = route_event(d.event, d.payload, served, linked)
                seen = db.execute(
                    "INSERT OR IGNORE INTO deliveries VALUES (?, ?, ?, ?, ?)",
                    (d.id, time.time(), d.event, d.action, d.outcome),
                )
                out.append(seen.rowcount == 1)
                for key in d.keys if seen.rowcount == 1 else ():
                    self._enqueue(db, key, "webhook", False, d.id)
        return out

    def enqueue(self, key: str, trigger: str, *, dry_run: bool = False) -> int:
        with self.tx() as db:
            return self._enqueue(db, key, trigger, dry_run, None)

    @staticmethod
    def _enqueue(
        db: sqlite3.Connection, key: str, trigger: str, dry_run: bool, delivery: str | None
    ) -> int:
        if not dry_run:
            # a sync already waiting reads the same live state: the hint joins it (coalescing)
            row = db.execute(
                "SELECT id FROM jobs WHERE checklist = ? AND state = 'queued' AND dry_run = 0",
                (key,),
            ).fetchone()
            if row is not None:
                # a manual sync joining a waiting retry still skips the backoff
                db.execute(
                    "UPDATE jobs SET hints = hints + 1, trigger = CASE WHEN ? = 'manual' "
                    "THEN 'manual' ELSE trigger END WHERE id = ?",
                    (trigger, row["id"]),
                )
                return int(row["id"])
        cursor = db.execute(
            "INSERT INTO jobs (checklist, trigger, dry_run, queued, delivery) "
            "VALUES (?, ?, ?, ?, ?)",
            (key, trigger, int(dry_run), time.time(), delivery),
        )
        return int(cursor.lastrowid or 0)

    def claim(self, now: float) -> sqlite3.Row | None:
        """The oldest runnable job, marked running: a checklist in backoff waits, except for
        a manual sync or a dry run.
        """
        with self.tx() as db:
            row = db.execute(
                "SELECT j.* FROM jobs j LEFT JOIN checklists c ON c.key = j.checklist "
                "WHERE j.state = 'queued' AND (j.dry_run = 1 OR j.trigger = 'manual' "
                "OR COALESCE(c.retry_at, 0) <= ?) ORDER BY j.id LIMIT 1",
                (now,),
            ).fetchone()
            if row is not None:
                db.execute(
                    "UPDATE jobs SET state = 'running', started = ? WHERE id = ?", (now, row["id"])
                )
        return row

    def finish(self, job: sqlite3.Row, result: dict[str, Any], linked: list[Any] | None) -> None:
        failed = result["error"] is not None
        with self.tx() as db:
            db.execute(
                "UPDATE jobs SET state = ?, finished = ?, exit_code = ?, result = ? WHERE id = ?",
                (
                    "failed" if failed else "done",
                    time.time(),
                    result["exit_code"],
                    json.dumps(result),
                    job["id"],
                ),
            )
            if job["dry_run"]:
                return
            db.execute("INSERT OR IGNORE INTO checklists (key) VALUES (?)", (job["checklist"],))
            if failed:
                row = db.execute(
                    "UPDATE checklists SET failures = failures + 1 WHERE key = ? "
                    "RETURNING failures",
                    (job["checklist"],),
                ).fetchone()
                db.execute(
                    "UPDATE checklists SET retry_at = ? WHERE key = ?",
                    (time.time() + retry_delay(row["failures"]), job["checklist"]),
                )
                self._enqueue(db, job["checklist"], "retry", False, None)
            else:
                db.execute(
                    "UPDATE checklists SET failures = 0, retry_at = 0, linked = ? WHERE key = ?",
                    (json.dumps(linked), job["checklist"]),
                )

    def requeue_interrupted(self) -> int:
        """Jobs a killed process left running go back to the queue (the next sync repairs)."""
        with self.tx() as db:
            return db.execute(
                "UPDATE jobs SET state = 'queued', started = NULL WHERE state = 'running'"
            ).rowcount

    def prune(self) -> None:
        with self.tx() as db:
            db.execute(
                "DELETE FROM deliveries WHERE received < ?", (time.time() - DELIVERY_DAYS * 86400,)
            )
            db.execute(
                "DELETE FROM jobs WHERE state IN ('done', 'failed') AND finished < ? AND id NOT IN "
                "(SELECT MAX(id) FROM jobs WHERE dry_run = 0 GROUP BY checklist)",
                (time.time() - DELIVERY_DAYS * 86400,),
            )

    def linked(self) -> Linked:
        rows = self.db.execute("SELECT key, linked FROM checklists").fetchall()
        return {
            r["key"]: {(repo, number) for repo, number in json.loads(r["linked"])}
            if r["linked"]
            else None
            for r in rows
        }

    def checklist_state(self, key: str) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM checklists WHERE key = ?", (key,)).fetchone()

    def last_job(self, key: str, *, finished: bool) -> sqlite3.Row | None:
        states = "('done', 'failed')" if finished else "('queued', 'running')"
        return self.db.execute(
            f"SELECT * FROM jobs WHERE checklist = ? AND dry_run = 0 AND state IN {states} "
            "ORDER BY id DESC LIMIT 1",
            (key,),
        ).fetchone()

    def job(self, job_id: int) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()

    def recent(self, table: str, order: str) -> list[sqlite3.Row]:
        return self.db.execute(
            f"SELECT * FROM {table} ORDER BY {order} DESC LIMIT {HISTORY}"
        ).fetchall()

    def queue(self) -> tuple[int, float | None]:
        row = self.db.execute(
            "SELECT COUNT(*) AS n, MIN(queued) AS oldest FROM jobs WHERE state = 'queued'"
        ).fetchone()
        return int(row["n"]), row["oldest"]

    def writable(self) -> bool:
        try:
            with self.tx() as db:
                db.execute("INSERT OR REPLACE INTO meta VALUES ('alive', ?)", (str(time.time()),))
        except sqlite3.Error:
            return False
        return True


# ---------------------------------------------------------------------------
# Metrics


class Metrics:
    def __init__(self) -> None:
        self.registry = prom.CollectorRegistry()
        r = self.registry
        self.deliveries = prom.Counter(
            "checklist_sync_deliveries", "Webhook deliveries by event and outcome",
            ["event", "outcome"], registry=r,
        )  # fmt: skip
        self.bad_signatures = prom.Counter(
            "checklist_sync_signature_failures", "Deliveries refused for their signature",
            registry=r,
        )  # fmt: skip
        self.queue_depth = prom.Gauge("checklist_sync_queue_depth", "Jobs waiting", registry=r)
        self.queue_age = prom.Gauge(
            "checklist_sync_queue_oldest_age_seconds", "Age of the oldest waiting job", registry=r
        )
        self.syncs = prom.Counter(
            "checklist_sync_syncs", "Syncs by checklist and result", ["checklist", "result"],
            registry=r,
        )  # fmt: skip
        self.duration = prom.Histogram(
            "checklist_sync_sync_duration_seconds", "Time one sync took", ["checklist"],
            registry=r,
        )  # fmt: skip
        self.requests = prom.Counter(
            "checklist_sync_github_requests", "GitHub API requests spent", ["checklist"],
            registry=r,
        )  # fmt: skip
        self.rate_limit = prom.Gauge(
            "checklist_sync_rate_limit_remaining", "GitHub rate limit left after the last sync",
            registry=r,
        )  # fmt: skip


# ---------------------------------------------------------------------------
# The worker: one job at a time, so no two syncs ever write to one issue together


@dataclass
class JobReporter(Reporter):
    """The CLI's reporter, with its lines kept for the page and logged with the checklist."""

    label: str = ""
    lines: list[str] = field(default_factory=list)

    def _echo(self, message: str) -> None:
        message = redact(message)
        self.lines.append(message)
        log(f"[{self.label}] {message}")

    def diff(self, text: str) -> None:
        if text:
            self.facts.setdefault("diffs", []).append(redact(text))


class Worker(threading.Thread):
    def __init__(
        self,
        store: Store,
        served: list[Served],
        options: SyncOptions,
        metrics: Metrics,
        *,
        reconcile_every: float,
        quiet: bool,
        verbose: bool,
    ) -> None:
        super().__init__(name="checklist-worker", daemon=True)
        self.store = store
        self.served = {s.key: s for s in served}
        self.options = options
        self.metrics = metrics
        self.reconcile_every = reconcile_every
        self.quiet, self.verbose = quiet, verbose
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.busy: str | None = None

    def run(self) -> None:
        next_reconcile = time.monotonic() + self.reconcile_every
        next_prune = 0.0
        while not self.stopping.is_set():
            now = time.monotonic()
            if self.reconcile_every > 0 and now >= next_reconcile:
                for key in self.served:
                    self.store.enqueue(key, "schedule")
                next_reconcile = now + self.reconcile_every
            if now >= next_prune:
                self.store.prune()
                next_prune = now + 3600
            job = self.store.claim(time.time())
            if job is None:
                self.wake.wait(IDLE_POLL)
                self.wake.clear()
                continue
            self.run_job(job)

    def run_job(self, job: sqlite3.Row) -> None:
        served = self.served.get(job["checklist"])
        if served is None:  # a checklist of an earlier start that is no longer served
            self.store.finish(job, {"exit_code": 2, "error": "no longer served"}, None)
            return
        self.busy = served.name
        reporter = JobReporter(quiet=self.quiet, verbose=self.verbose, label=served.name)
        kind = "dry run" if job["dry_run"] else "sync"
        log(f"[{served.name}] {kind} #{job['id']} ({job['trigger']}, {job['hints']} hint(s))")
        options = replace(self.options, dry_run=bool(job["dry_run"]))
        started = time.monotonic()
        try:
            outcome = sync_one(served.ref, options, reporter)
            error = outcome.error
        except Exception as exc:  # a bug must not stop the other checklists' syncs
            outcome, error = None, f"internal error: {type(exc).__name__}: {exc}"
            log(f"[{served.name}] {error}")
        duration = time.monotonic() - started
        result = job_result(reporter, outcome, error, duration)
        self.store.finish(job, result, reporter.facts.get("linked"))
        self.busy = None
        state = "failed" if error else ("warnings" if result["exit_code"] else "ok")
        if not job["dry_run"]:
            self.metrics.syncs.labels(served.name, state).inc()
            self.metrics.duration.labels(served.name).observe(duration)
        self.metrics.requests.labels(served.name).inc(result["requests"])
        if result["rate_limit_remaining"] is not None:
            self.metrics.rate_limit.set(result["rate_limit_remaining"])


def job_result(
    reporter: JobReporter, outcome: Any, error: str | None, duration: float
) -> dict[str, Any]:
    """What the page shows of one job, stored as JSON."""
    groups, rows = reporter.facts.get("progress") or ({}, [])
    return {
        "exit_code": outcome.exit_code if outcome else 2,
        "error": error,
        "counts": reporter.counts,
        "changes": [c for c in reporter.changes if c["action"] not in ("error", "warning")],
        "warnings": [c["message"] for c in reporter.changes if c["action"] == "warning"],
        "requests": outcome.requests if outcome else 0,
        "rate_limit_remaining": outcome.rate_limit_remaining if outcome else None,
        "groups": groups,
        "rows": [asdict(r) for r in rows],
        "diff": "".join(reporter.facts.get("diffs") or []),
        "lines": reporter.lines,
        "duration": round(duration, 3),
    }


# ---------------------------------------------------------------------------
# The status page (plain HTML forms: it works without JavaScript)

E = html.escape
CSS = """
body{font:15px/1.45 system-ui,sans-serif;margin:1.5rem auto;max-width:72rem;padding:0 1rem;
color:#1f2328}h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}h3{margin:0 0 .3rem}
.card{border:1px solid #d0d7de;border-left:6px solid #1a7f37;border-radius:8px;padding:1rem;
margin:1rem 0}.card.warnings{border-left-color:#bf8700}.card.never,.card.queued{
border-left-color:#8c959f}.card.failed{border:2px solid #cf222e;border-left:6px solid #cf222e;
background:#ffebe9}.badge{display:inline-block;border-radius:1rem;padding:0 .6rem;
font-size:.8rem;color:#fff;vertical-align:middle;background:#6e7781}.badge.ok{
background:#1a7f37}.badge.warnings{background:#9a6700}.badge.failed{background:#cf222e}
.bar{display:flex;height:.9rem;border-radius:.45rem;overflow:hidden;background:#eaeef2;
margin:.5rem 0}.bar span{display:block}.b-done{background:#1a7f37}.b-open{background:#afb8c1}
.b-np{background:#8250df}.b-bad{background:#cf222e}.error{color:#a40e26;font-weight:600}
table{border-collapse:collapse;width:100%;font-size:.9rem}td,th{text-align:left;
padding:.2rem .5rem;border-bottom:1px solid #eaeef2;vertical-align:top}
form{display:inline}button{font:inherit;padding:.25rem .8rem;margin:.3rem .4rem .3rem 0}
pre{background:#f6f8fa;padding:.6rem;overflow:auto;font-size:.85rem}.muted{color:#656d76}
details{margin-top:.5rem}
"""


def human_time(when: float | None, now: float) -> str:
    """`3 min ago (21:40 UTC)`: how long ago first, the clock time for the record."""
    if not when:
        return "never"
    ago = max(now - when, 0)
    if ago < 60:
        rel = f"{int(ago)} s ago"
    elif ago < 3600:
        rel = f"{int(ago // 60)} min ago"
    elif ago < 86400:
        rel = f"{int(ago // 3600)} h ago"
    else:
        rel = f"{int(ago // 86400)} days ago"
    return f"{rel} ({time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime(when))})"


def page(title: str, body: str, *, refresh: int | None = None) -> str:
    meta = f'<meta http-equiv="refresh" content="{refresh}">' if refresh else ""
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">{meta}'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{E(title)}</title><style>{CSS}</style></head><body>{body}</body></html>"
    )


def progress_bar(groups: dict[str, int]) -> str:
    total = sum(groups.values()) or 1
    parts = (
        ("Done", "b-done"),
        ("Open", "b-open"),
        ("Not planned / duplicate", "b-np"),
        ("Unreadable (deleted, transferred)", "b-bad"),
    )
    spans = "".join(
        f'<span class="{css}" style="width:{100 * groups.get(label, 0) / total:.1f}%" '
        f'title="{E(label)}: {groups.get(label, 0)}"></span>'
        for label, css in parts
    )
    done = groups.get("Done", 0)
    counts = (
        f"<b>{done} of {sum(groups.values())} done</b> · {groups.get('Open', 0)} open · "
        f"{groups.get('Not planned / duplicate', 0)} not planned or duplicate · "
        f"{groups.get('Unreadable (deleted, transferred)', 0)} unreadable · "
        f"{groups.get('Not linked', 0)} not linked"
    )
    return f'<div class="bar" role="img" aria-label="{done} done">{spans}</div>{counts}'


@dataclass(frozen=True)
class CardData:
    index: int
    served: Served
    last: sqlite3.Row | None
    pending: sqlite3.Row | None
    state: sqlite3.Row | None


def checklist_card(card: CardData, csrf: str, now: float) -> str:
    served, last = card.served, card.last
    result = json.loads(last["result"]) if last is not None and last["result"] else {}
    status = "never" if last is None else last["state"]
    if status == "done":
        status = "warnings" if result.get("exit_code") else "ok"
    label = {"never": "not synced yet", "ok": "in sync", "warnings": "needs attention"}
    master = (
        f' · master issue <a href="{E(served.master_url)}">#{served.master}</a>'
        if served.master_url
        else " · no master issue bound"
    )
    out = [
        f'<section class="card {status}" id="c{card.index}"><h3>{E(served.name)} '
        f'<span class="badge {status}">{E(label.get(status, status))}</span></h3>'
        f'<div class="muted">{E(served.repo)}{master}</div>'
    ]
    if result.get("groups"):
        out.append(progress_bar(result["groups"]))
    out.append(last_sync_html(last, result, card.state, now))
    if card.pending is not None:
        out.append(
            f'<p class="muted">a sync is {E(card.pending["state"])} '
            f"({E(card.pending['trigger'])}, queued {human_time(card.pending['queued'], now)})</p>"
        )
    token = f'<input type="hidden" name="csrf" value="{E(csrf)}">'
    out.append(
        f'<form method="post" action="/checklists/{card.index}/sync">{token}'
        f'<button type="submit">Sync now</button></form>'
        f'<form method="post" action="/checklists/{card.index}/dry-run">{token}'
        f'<button type="submit">Dry run</button></form>'
    )
    if result.get("rows"):
        out.append(items_table(result["rows"]))
    out.append("</section>")
    return "".join(out)


def last_sync_html(
    last: sqlite3.Row | None, result: dict[str, Any], state: sqlite3.Row | None, now: float
) -> str:
    if last is None:
        return "<p>No sync has finished yet.</p>"
    counts = result.get("counts") or {}
    rate = result.get("rate_limit_remaining")
    out = [
        f"<p>Last sync {human_time(last['finished'], now)}, trigger <b>{E(last['trigger'])}</b>, "
        f"{counts.get('checked', 0)} checked, {counts.get('unchecked', 0)} unchecked, "
        f"{len(result.get('changes') or [])} change(s), {result.get('requests', 0)} API "
        f"requests, rate limit left {'unknown' if rate is None else rate} · "
        f'<a href="/jobs/{last["id"]}">details</a></p>'
    ]
    if result.get("error"):
        out.append(f'<p class="error">Last error: {E(result["error"])}</p>')
    if state is not None and state["failures"]:
        out.append(
            f'<p class="error">Failing: {state["failures"]} attempt(s) in a row; next try '
            f"{'now' if state['retry_at'] <= now else 'in ' + str(int(state['retry_at'] - now))}"
            " s (or press Sync now)</p>"
        )
    for warning in result.get("warnings") or []:
        out.append(f'<p class="error">Warning: {E(warning)}</p>')
    return "".join(out)


def items_table(rows: list[dict[str, Any]]) -> str:
    body = "".join(
        f"<tr><td>{E(r['text']) or '(no text)'}</td><td>{link(r['issue'], r['issue_url'])}</td>"
        f"<td>{E(r['why'])}</td><td>{link(r['pr'], r['pr_url']) if r['pr'] else ''}</td></tr>"
        for r in rows
    )
    return (
        f"<details><summary>Linked items ({len(rows)})</summary><table><tr><th>Item</th>"
        f"<th>Issue</th><th>State</th><th>Pull request</th></tr>{body}</table></details>"
    )


def link(label: str, url: str | None) -> str:
    if url and url.startswith(("https://", "http://")):
        return f'<a href="{E(url)}">{E(label)}</a>'
    return E(label)


def history_tables(
    deliveries: list[sqlite3.Row], jobs: list[sqlite3.Row], names: dict[str, str], now: float
) -> str:
    rows = "".join(
        f"<tr><td>{human_time(d['received'], now)}</td><td>{E(d['event'] or '')}"
        f"{'.' + E(d['action']) if d['action'] else ''}</td><td><code>{E(d['id'])}</code></td>"
        f"<td>{E(d['outcome'] or '')}</td></tr>"
        for d in deliveries
    )
    job_rows = "".join(
        f'<tr><td><a href="/jobs/{j["id"]}">#{j["id"]}</a></td>'
        f"<td>{E(names.get(j['checklist'], j['checklist']))}</td>"
        f"<td>{'dry run' if j['dry_run'] else 'sync'} ({E(j['trigger'])})</td>"
        f"<td>{E(j['state'])}</td><td>{human_time(j['finished'] or j['queued'], now)}</td></tr>"
        for j in jobs
    )
    return (
        "<h2>Recent deliveries</h2><table><tr><th>When</th><th>Event</th><th>Delivery</th>"
        f"<th>Outcome</th></tr>{rows or '<tr><td colspan=4>none yet</td></tr>'}</table>"
        "<h2>Recent jobs</h2><table><tr><th>Job</th><th>Checklist</th><th>Kind</th>"
        f"<th>State</th><th>When</th></tr>{job_rows or '<tr><td colspan=5>none yet</td></tr>'}"
        "</table>"
    )


def job_page(job: sqlite3.Row, name: str, now: float) -> str:
    result = json.loads(job["result"]) if job["result"] else {}
    kind = "Dry run" if job["dry_run"] else "Sync"
    out = [
        f'<p><a href="/">← all checklists</a></p><h1>{kind} #{job["id"]} of {E(name)}</h1>',
        f"<p>Trigger <b>{E(job['trigger'])}</b>; state <b>{E(job['state'])}</b>; queued "
        f"{human_time(job['queued'], now)}; finished {human_time(job['finished'], now)}.</p>",
    ]
    if result.get("error"):
        out.append(f'<p class="error">Error: {E(result["error"])}</p>')
    if job["dry_run"] and job["state"] in ("done", "failed"):
        diff = result.get("diff") or ""
        out.append(
            f"<h2>What a sync would write</h2><pre>{E(diff)}</pre>"
            if diff
            else "<p>Nothing to write: the checklist is in sync.</p>"
        )
    if result.get("lines"):
        out.append(f"<h2>Log</h2><pre>{E(chr(10).join(result['lines']))}</pre>")
    done = job["state"] in ("done", "failed")
    return page(f"{kind} #{job['id']}", "".join(out), refresh=None if done else 1)


# ---------------------------------------------------------------------------
# The web application


@dataclass
class App:
    store: Store
    served: list[Served]
    worker: Worker
    writer: DeliveryWriter
    metrics: Metrics
    secret: bytes
    password: str | None
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))

    # -- webhook ------------------------------------------------------------

    async def webhook(self, request: Request) -> Response:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY:
            return self.refuse(413, "too_large", f"body of {declared} bytes is over the cap")
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY:
                return self.refuse(413, "too_large", "body over the cap")
        if not signature_valid(
            self.secret, bytes(body), request.headers.get("x-hub-signature-256")
        ):
            self.metrics.bad_signatures.inc()
            return self.refuse(401, "bad_signature", "missing or wrong X-Hub-Signature-256")
        event = request.headers.get("x-github-event", "")
        delivery = request.headers.get("x-github-delivery", "")
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
        if not isinstance(payload, dict) or not delivery or not event:
            return self.refuse(400, "bad_request", "not a JSON object with event and delivery id")
        return await self.accept(event, delivery, payload)

    def refuse(self, status: int, outcome: str, why: str) -> Response:
        log(f"webhook refused ({status}): {why}")
        self.metrics.deliveries.labels("unknown", outcome).inc()
        return PlainTextResponse(f"{why}\n", status_code=status)

    async def accept(self, event: str, delivery: str, payload: dict[str, Any]) -> Response:
        d = Delivery(delivery, event, payload)
        try:
            new = await asyncio.wrap_future(self.writer.submit(d))
        except sqlite3.Error as exc:
            log(f"delivery {delivery} could not be stored: {exc}")
            return PlainTextResponse("could not store the delivery\n", status_code=503)
        shown = f"{event}.{d.action}" if d.action else event
        if not new:
            self.metrics.deliveries.labels(event, "duplicate").inc()
            log(f"delivery {delivery} ({shown}) seen before: nothing queued")
            return PlainTextResponse("already received\n", status_code=200)
        self.metrics.deliveries.labels(event, d.outcome.split(":")[0]).inc()
        log(f"delivery {delivery} {shown}: {d.outcome}")
        if event == "ping":
            return PlainTextResponse("pong\n", status_code=200)
        if d.keys:
            self.worker.wake.set()
            return PlainTextResponse("queued\n", status_code=202)
        return Response(status_code=204)

    # -- the page -------------------------------------------------------------

    def authorized(self, request: Request) -> Response | None:
        """None when the request may see the page; else the answer to give."""
        if not self.password:
            return PlainTextResponse("Not Found\n", status_code=404)
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        given = b""
        if scheme.lower() == "basic":
            with contextlib.suppress(ValueError):
                given = base64.b64decode(value.strip(), validate=True).partition(b":")[2]
        if hmac.compare_digest(given, self.password.encode()):
            return None
        return PlainTextResponse(
            "password required\n",
            status_code=401,
            headers={"WWW-Authenticate": 'Basic realm="checklist-sync", charset="UTF-8"'},
        )

    async def index(self, request: Request) -> Response:
        if (denied := self.authorized(request)) is not None:
            return denied
        now = time.time()
        cards = [
            checklist_card(
                CardData(
                    i,
                    s,
                    self.store.last_job(s.key, finished=True),
                    self.store.last_job(s.key, finished=False),
                    self.store.checklist_state(s.key),
                ),
                self.csrf,
                now,
            )
            for i, s in enumerate(self.served)
        ]
        names = {s.key: s.name for s in self.served}
        depth, _oldest = self.store.queue()
        busy = f"syncing {E(self.worker.busy)}" if self.worker.busy else "idle"
        body = (
            f"<h1>checklist-sync</h1><p class=muted>{len(self.served)} checklist(s) · worker "
            f"{busy} · {depth} job(s) queued · page refreshes every 30 s</p>"
            + "".join(cards)
            + history_tables(
                self.store.recent("deliveries", "received"),
                self.store.recent("jobs", "id"),
                names,
                now,
            )
        )
        return HTMLResponse(page("checklist-sync", body, refresh=30))

    async def job(self, request: Request) -> Response:
        if (denied := self.authorized(request)) is not None:
            return denied
        job = self.store.job(int(request.path_params["job"]))
        if job is None:
            return PlainTextResponse("no such job\n", status_code=404)
        names = {s.key: s.name for s in self.served}
        return HTMLResponse(
            job_page(job, names.get(job["checklist"], job["checklist"]), time.time())
        )

    async def trigger(self, request: Request) -> Response:
        if (denied := self.authorized(request)) is not None:
            return denied
        # browsers say where a form post comes from; a reverse proxy leaves this header alone
        # (unlike Host, which it may rewrite), so the check holds behind one
        if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
            return PlainTextResponse("cross-site request refused\n", status_code=403)
        form = parse_qs((await request.body())[:4096].decode("latin-1"))
        if not hmac.compare_digest((form.get("csrf") or [""])[0].encode(), self.csrf.encode()):
            return PlainTextResponse("bad or missing CSRF token\n", status_code=403)
        index = int(request.path_params["index"])
        if index >= len(self.served):
            return PlainTextResponse("no such checklist\n", status_code=404)
        dry = request.path_params["kind"] == "dry-run"
        job = self.store.enqueue(self.served[index].key, "manual", dry_run=dry)
        self.worker.wake.set()
        return RedirectResponse(f"/jobs/{job}", status_code=303)

    # -- health and metrics ---------------------------------------------------

    async def healthz(self, request: Request) -> Response:
        if self.worker.is_alive() and self.store.writable():
            return PlainTextResponse("ok\n")
        return PlainTextResponse("worker stopped or state file not writable\n", status_code=503)

    async def prometheus(self, request: Request) -> Response:
        depth, oldest = self.store.queue()
        self.metrics.queue_depth.set(depth)
        self.metrics.queue_age.set(time.time() - oldest if oldest else 0)
        return Response(
            prom.generate_latest(self.metrics.registry), media_type=prom.CONTENT_TYPE_LATEST
        )

    def starlette(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/webhook", self.webhook, methods=["POST"]),
                Route("/", self.index, methods=["GET"]),
                Route("/jobs/{job:int}", self.job, methods=["GET"]),
                Route(
                    "/checklists/{index:int}/{kind:str}",
                    self.trigger,
                    methods=["POST"],
                ),
                Route("/healthz", self.healthz, methods=["GET"]),
                Route("/metrics", self.prometheus, methods=["GET"]),
            ]
        )


# ---------------------------------------------------------------------------
# Start-up and shutdown


def resolve_served(checklists: list[ChecklistRef], options: SyncOptions) -> list[Served]:
    """Where each checklist lives, read from the plans and settings alone (no request)."""
    served = []
    quiet = Reporter(quiet=True)
    for ref in checklists:
        opened = open_checklist(ref, options, quiet)
        repo = opened.settings.repo.lower()
        key = f"plan:{ref.plan.resolve()}" if ref.plan else f"issue:{repo}#{ref.master}"
        served.append(Served(key, ref, repo, opened.master, opened.settings.api_url))
    return served


def open_store(state: Path | None) -> Store:
    path = (state or Path(DEFAULT_STATE)).expanduser()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return Store(path)
    except (OSError, sqlite3.Error) as exc:
        raise ToolError(
            f"cannot open the state file {path}: {exc}; pass --state FILE in a writable place",
            exit_code=2,
        ) from None


def listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ToolError(
            f"cannot listen on {host}:{port}: {exc.strerror}; pick another --port or --host",
            exit_code=2,
        ) from None
    sock.listen(128)
    return sock


def startup_lines(served: list[Served], url: str, password: str | None, options: Any) -> list[str]:
    lines = []
    for s in served:
        where = f"master issue {s.repo}#{s.master}" if s.master else f"{s.repo}, no master issue"
        lines.append(f"serving {s.name} ({where})")
    lines.append(f"webhook endpoint: {url}/webhook")
    if password:
        lines.append(f"status page: {url}/ (any user name, the CHECKLIST_UI_PASSWORD password)")
    else:
        lines.append("status page: off (set CHECKLIST_UI_PASSWORD to turn it on)")
    auth = f"GitHub App {options.app.app_id}" if options.app else "token"
    lines.append(f"GitHub access: {auth}; metrics at {url}/metrics, health at {url}/healthz")
    return lines


def serve(
    checklists: list[ChecklistRef],
    options: SyncOptions,
    *,
    quiet: bool,
    verbose: bool,
    host: str | None,
    port: int | None,
    state: Path | None,
    reconcile_every: float | None,
) -> int:
    """Run the server until SIGTERM or SIGINT; the exit status."""
    try:
        return _serve(checklists, options, quiet, verbose, host, port, state, reconcile_every)
    except ToolError as exc:
        exc.show()
        return exc.exit_code


def _serve(
    checklists: list[ChecklistRef],
    options: SyncOptions,
    quiet: bool,
    verbose: bool,
    host: str | None,
    port: int | None,
    state: Path | None,
    reconcile_every: float | None,
) -> int:
    if options.check or options.dry_run:
        raise ToolError(
            "--check and --dry-run do not apply to --serve: its page has a Dry run button",
            exit_code=2,
        )
    secret = cs.env_setting("CHECKLIST_WEBHOOK_SECRET")
    if not secret:
        raise ToolError(
            "CHECKLIST_WEBHOOK_SECRET is not set: set it (environment or .env) to the secret "
            "of the repository's webhook, e.g. the output of `openssl rand -hex 32`",
            exit_code=2,
        )
    password = cs.env_setting("CHECKLIST_UI_PASSWORD")
    for value in (secret, password or ""):
        register_secret(value)
    served = resolve_served(checklists, options)
    store = open_store(state)
    sock = listen(host or "127.0.0.1", 8080 if port is None else port)
    metrics = Metrics()
    worker = Worker(
        store,
        served,
        options,
        metrics,
        reconcile_every=3600.0 if reconcile_every is None else reconcile_every,
        quiet=quiet,
        verbose=verbose,
    )
    writer = DeliveryWriter(store, served)
    app = App(store, served, worker, writer, metrics, secret.encode(), password)
    bound_host, bound_port = sock.getsockname()[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    for line in startup_lines(served, f"http://{shown}:{bound_port}", password, options):
        log(line)
    interrupted = store.requeue_interrupted()
    if interrupted:
        log(f"{interrupted} job(s) interrupted by the last stop are queued again")
    for s in served:
        store.enqueue(s.key, "start-up")  # joins a webhook job the last run accepted
    worker.start()
    writer.start()
    run_http(app.starlette(), sock)
    log("stopping: the job under way finishes, the queue waits for the next start")
    worker.stopping.set()
    worker.wake.set()
    worker.join(SHUTDOWN_WAIT)
    return 0


def run_http(application: Starlette, sock: socket.socket) -> None:
    """uvicorn until SIGTERM or SIGINT. uvicorn re-raises the signal once it has stopped;
    our own handlers, in place before it starts, make that a no-op so the worker can finish.
    """
    previous: dict[int, Callable[..., Any] | int | None] = {}
    for sig in (signal.SIGTERM, signal.SIGINT):
        previous[sig] = signal.signal(sig, lambda *_: None)
    config = uvicorn.Config(
        application,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=5,
    )
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
