"""Request counts and wall time of generate_issues.py against the fake GitHub server.

Run `python bench/bench_generate.py [--issues T] [--items N] [--latency S]`; it checks the spec's
budget: N creations + ⌈T/100⌉ list pages + O(1) others, no per-item GET, a rerun with no write.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import generate_issues  # noqa: E402
from tests.fake_github import FakeGitHub  # noqa: E402

REPO = "octo/plan"
# O(1) others of a first run: repository, label check + creation, master re-read + update.
OTHERS_BOUND = 8


def endpoint(path: str) -> str:
    """A request path with numbers folded, so requests group by endpoint."""
    path = re.sub(r"^/repositories/\d+", "/repos/{owner}/{repo}", path)
    path = path.replace(f"/repos/{REPO}", "/repos/{owner}/{repo}")
    return re.sub(r"/\d+(?=/|$)", "/{number}", path)


def seed(fake: FakeGitHub, count: int) -> None:
    """`count` issues and pull requests nobody's plan mentions: every fifth one a PR."""
    for n in range(count):
        if n % 5 == 0:
            fake.create_pull(REPO, f"Refactor module {n}", head=f"branch-{n}")
        else:
            fake.create_issue(REPO, f"Bug report {n}", state="closed" if n % 2 else "open")


def plan_text(items: int) -> str:
    lines = ["# Benchmark plan", ""]
    for n in range(items):
        if n % 25 == 0:
            lines += ["", f"## Area {n // 25}", ""]
        lines.append(f"- [ ] case {n}: the loader handles input number {n}")
    return "\n".join(lines) + "\n"


def run(fake: FakeGitHub, plan: Path) -> tuple[float, Counter[tuple[str, str]], int]:
    fake.reset_log()
    env = {**fake.env(), "CHECKLIST_WRITE_INTERVAL": "0"}
    started = time.perf_counter()
    result = CliRunner().invoke(generate_issues.main, [str(plan), "-q"], env=env)
    elapsed = time.perf_counter() - started
    if result.exit_code != 0:
        raise SystemExit(f"generate_issues.py exited {result.exit_code}:\n{result.output}")
    counts = Counter((r.method, endpoint(r.path)) for r in fake.requests)
    return elapsed, counts, len(fake.requests)


def show(
    title: str, elapsed: float, counts: Counter[tuple[str, str]], total: int, latency: float
) -> None:
    print(
        f"\n{title}: {total} requests in {elapsed:.2f}s "
        f"(their latency alone: {total * latency:.2f}s)"
    )
    for (method, path), count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {count:5d}  {method:6s} {path}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=1000, help="issues already in the repo (T)")
    parser.add_argument("--items", type=int, default=250, help="new items in the plan (N)")
    parser.add_argument("--latency", type=float, default=0.02, help="seconds per response")
    args = parser.parse_args()
    for name in ("GITHUB_TOKEN", "GH_TOKEN", "GITHUB_REPOSITORY", "GITHUB_API_URL"):
        os.environ.pop(name, None)

    with FakeGitHub() as fake, tempfile.TemporaryDirectory() as tmp:
        fake.add_repo(REPO)
        seed(fake, args.issues)
        fake.latency = args.latency
        plan = Path(tmp, "plan.md")
        plan.write_text(plan_text(args.items), encoding="utf-8")
        os.chdir(tmp)

        pages = math.ceil(args.issues / 100)
        print(
            f"repository: {args.issues} issues and pull requests; plan: {args.items} new items; "
            f"latency {args.latency * 1000:.0f} ms per response, write pacing off"
        )
        print(
            f"spec minimum, first run: {args.items} item creations + 1 master issue + "
            f"⌈{args.issues}/100⌉ = {pages} list pages + O(1) others "
            f"= {args.items + 1 + pages} + O(1)"
        )

        elapsed, counts, total = run(fake, plan)
        show("first run", elapsed, counts, total, args.latency)
        creates = counts[("POST", "/repos/{owner}/{repo}/issues")]
        listing = counts[("GET", "/repos/{owner}/{repo}/issues")]
        per_item_gets = counts[("GET", "/repos/{owner}/{repo}/issues/{number}")] - 1  # master
        others = total - creates - listing
        print(
            f"  => {creates} creations (minimum {args.items + 1}), {listing} list pages "
            f"(minimum {pages}), {others} others, {per_item_gets} per-item GETs"
        )
        assert creates == args.items + 1, creates
        assert listing == pages, listing
        assert per_item_gets == 0, per_item_gets
        assert others <= OTHERS_BOUND, others

        elapsed, counts, total = run(fake, plan)
        show("rerun, nothing new", elapsed, counts, total, args.latency)
        writes = sum(n for (method, _path), n in counts.items() if method != "GET")
        print(f"  => {writes} writes (spec: 0)")
        assert writes == 0, writes
        assert counts[("GET", "/repos/{owner}/{repo}/issues/{number}")] <= 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
