"""Benchmark `sync_checklist.py --serve` under a burst: signed `issues.closed` deliveries for
three checklists, sent concurrently, against the fake GitHub with latency.

Run `python bench/bench_server.py [--deliveries 1000] [--checklists 3] [--items 50]
[--latency 0.02] [--senders 20]`. Prints response times, syncs per checklist, GitHub requests
spent, deliveries lost (must be 0) and whether every closed issue's box ended ticked.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from checklist_server import sign  # noqa: E402
from tests.fake_github import FakeGitHub  # noqa: E402

REPO = "octo/plan"
SECRET = "bench secret"


def start_server(fake: FakeGitHub, state: Path, masters: list[int]) -> tuple[Any, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "CHECKLIST_"))}
    env.update(fake.env(), CHECKLIST_WRITE_INTERVAL="0", CHECKLIST_WEBHOOK_SECRET=SECRET)
    args = [str(a) for m in masters for a in ("--master-issue", m)]
    command = [sys.executable, str(ROOT / "sync_checklist.py"), "--serve", "--port", "0", "-q"]
    proc = subprocess.Popen(
        [*command, "--state", str(state), *args],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    for line in proc.stderr:
        if match := re.search(r"webhook endpoint: (http://\S+)/webhook", line):
            threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()
            return proc, match[1]
    raise SystemExit(f"the server did not start (exit {proc.wait()})")


def wait_idle(state: Path, finished: int, timeout: float = 600) -> list[sqlite3.Row]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db = sqlite3.connect(state, timeout=10)
        db.row_factory = sqlite3.Row
        jobs = db.execute("SELECT * FROM jobs").fetchall()
        db.close()
        done = [j for j in jobs if j["state"] in ("done", "failed")]
        if len(done) >= finished and not [j for j in jobs if j["state"] in ("queued", "running")]:
            return jobs
        time.sleep(0.05)
    raise SystemExit("the queue did not drain")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=1000)
    parser.add_argument("--checklists", type=int, default=3)
    parser.add_argument("--items", type=int, default=50, help="items per checklist")
    parser.add_argument("--latency", type=float, default=0.02, help="fake GitHub, seconds")
    parser.add_argument("--senders", type=int, default=20, help="concurrent connections")
    args = parser.parse_args()

    fake = FakeGitHub().start()
    repo_json = fake.add_repo(REPO)
    masters, issues = [], []
    for c in range(args.checklists):
        numbers = [fake.create_issue(REPO, f"c{c} item {i}")["number"] for i in range(args.items)]
        body = "".join(f"- [ ] c{c} item {i} (#{n})\n" for i, n in enumerate(numbers))
        masters.append(fake.create_issue(REPO, f"Checklist {c}", body=body)["number"])
        issues.append(numbers)
    state = Path(tempfile.mkdtemp()) / "state.sqlite3"
    proc, url = start_server(fake, state, masters)
    try:
        wait_idle(state, args.checklists)  # the start-up syncs
        fake.latency = args.latency
        # the burst: every issue closed at once, then deliveries naming them round-robin
        payloads = []
        flat = [n for numbers in issues for n in numbers]
        for n in flat:
            issue = fake.close_issue(REPO, n)
            payloads.append({"action": "closed", "issue": issue, "repository": repo_json})
        bodies = [json.dumps(payloads[i % len(payloads)]).encode() for i in range(args.deliveries)]
        ids = [str(uuid.uuid4()) for _ in bodies]
        before = len(fake.requests)
        local = threading.local()

        def send(index: int) -> tuple[float, int]:
            session = getattr(local, "session", None) or requests.Session()
            local.session = session
            headers = {
                "Content-Type": "application/json",
                "X-GitHub-Event": "issues",
                "X-GitHub-Delivery": ids[index],
                "X-Hub-Signature-256": sign(SECRET.encode(), bodies[index]),
            }
            began = time.perf_counter()
            answer = session.post(f"{url}/webhook", data=bodies[index], headers=headers)
            return time.perf_counter() - began, answer.status_code

        began = time.perf_counter()
        with ThreadPoolExecutor(args.senders) as pool:
            results = list(pool.map(send, range(len(bodies))))
        burst = time.perf_counter() - began
        jobs = wait_idle(state, args.checklists + 1)
        drained = time.perf_counter() - began
        spent = len(fake.requests) - before

        db = sqlite3.connect(state)
        stored = db.execute(
            f"SELECT COUNT(*) FROM deliveries WHERE id IN ({','.join('?' * len(ids))})", ids
        ).fetchone()[0]
        db.close()
        times = sorted(t for t, _ in results)
        statuses = {s: sum(1 for _, x in results if x == s) for _, s in results}
        ticked = all(fake.issue(REPO, m)["body"].count("- [x]") == args.items for m in masters)
        webhook_syncs = [
            sum(1 for j in jobs if j["trigger"] in ("webhook", "retry") and j["checklist"] == key)
            for key in sorted({j["checklist"] for j in jobs})
        ]
        print(f"deliveries sent         {len(bodies)} ({args.senders} concurrent senders)")
        print(f"answers                 {statuses}")
        print(f"response time p50       {statistics.median(times) * 1000:.1f} ms")
        print(f"response time p99       {times[int(len(times) * 0.99) - 1] * 1000:.1f} ms")
        print(f"response time max       {times[-1] * 1000:.1f} ms")
        print(f"burst sent in           {burst:.2f} s; queue drained after {drained:.2f} s")
        print(f"syncs per checklist     {webhook_syncs} (for {args.items} items each)")
        print(f"GitHub requests spent   {spent} (fake latency {args.latency * 1000:.0f} ms)")
        print(f"deliveries lost         {len(bodies) - stored}")
        print(f"every box ticked        {ticked}")
        return 0 if stored == len(bodies) and ticked else 1
    finally:
        proc.terminate()
        proc.wait(30)
        fake.stop()


if __name__ == "__main__":
    sys.exit(main())
