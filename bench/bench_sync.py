"""Benchmark sync_checklist.py's requests and wall time against the fake GitHub with latency,
beside the spec's budget and beside a naive PyGithub sync (one GET per item, one timeline each).

Run `python bench/bench_sync.py [--items 1000] [--closed 50] [--latency 0.02] [--mode issue]`.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from github import Auth, Github

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import checklist_parser as cp  # noqa: E402
import checklist_source as cs  # noqa: E402
import sync_checklist  # noqa: E402
import tests.fake_github  # noqa: E402
from github_api import IssueState  # noqa: E402
from tests.fake_github import FakeGitHub  # noqa: E402

REPO = "octo/plan"
HTML = f"https://github.com/{REPO}"


@dataclass
class Measure:
    requests: int
    writes: int
    seconds: float
    server_graphql: float  # of `seconds`, spent by the fake executing GraphQL queries
    result: str  # the checklist after the run, to check both syncs agree


_GRAPHQL_SECONDS = [0.0]
_execute_graphql = tests.fake_github.execute_graphql


def _timed_graphql(*args: Any, **kwargs: Any) -> Any:
    # the fake runs graphql-core in Python (~0.3 s per 100-issue query): GitHub's own cost,
    # shown apart so the client's share of the wall time is visible
    start = time.perf_counter()
    try:
        return _execute_graphql(*args, **kwargs)
    finally:
        _GRAPHQL_SECONDS[0] += time.perf_counter() - start


tests.fake_github.execute_graphql = _timed_graphql


def count(fake: FakeGitHub, run: Callable[[], str]) -> Measure:
    fake.reset_log()
    _GRAPHQL_SECONDS[0] = 0.0
    start = time.perf_counter()
    result = run()
    seconds = time.perf_counter() - start
    writes = sum(1 for r in fake.requests if r.method != "GET" and r.path != "/graphql")
    return Measure(len(fake.requests), writes, seconds, _GRAPHQL_SECONDS[0], result)


# ---------------------------------------------------------------------------
# The two ways to sync


class Plan:
    """The benchmark's checklist: the master issue's body (issue mode) or a bound file."""

    def __init__(self, fake: FakeGitHub, mode: str, items: int, closed: int, workdir: Path) -> None:
        self.fake, self.mode, self.path = fake, mode, workdir / "PLAN.md"
        numbers = [fake.create_issue(REPO, f"[Test] item {n}")["number"] for n in range(items)]
        self.master = fake.create_issue(REPO, "Test plan", "")["number"]
        if mode == "issue":
            lines = [f"- [ ] item {n} (#{n})" for n in numbers]
            fake.edit_issue_body(REPO, self.master, "# Plan\n" + "\n".join(lines) + "\n")
        else:
            lines = [f"- [ ] item {n} ([#{n}]({HTML}/issues/{n}))" for n in numbers]
            text = f"<!-- checklist-sync: {HTML}/issues/{self.master} -->\n# Plan\n"
            text += "\n".join(lines) + "\n"
            self.path.write_text(text)
            body = cs.master_body(text, "PLAN.md")
            # each PR annotation adds ~60 characters to the master issue's body
            if len(body) + 60 * closed > cs.ISSUE_BODY_LIMIT:
                raise SystemExit(
                    f"{items} items in file mode do not fit in one master issue body "
                    f"({cs.ISSUE_BODY_LIMIT} characters) once PRs are annotated: use fewer --items"
                )
            fake.edit_issue_body(REPO, self.master, body)

    def text(self) -> str:
        if self.mode == "file":
            return self.path.read_text()
        return self.fake.issue(REPO, self.master)["body"]

    def restore(self, text: str, body: str) -> None:
        if self.mode == "file":
            self.path.write_text(text)
        self.fake.edit_issue_body(REPO, self.master, body)

    def snapshot(self) -> tuple[str, str]:
        return self.text(), self.fake.issue(REPO, self.master)["body"]

    def tool(self) -> str:
        args = [str(self.path)] if self.mode == "file" else ["--master-issue", str(self.master)]
        env = {**self.fake.env(), "CHECKLIST_WRITE_INTERVAL": "0"}
        result = CliRunner().invoke(sync_checklist.main, [*args, "-q"], env=env)
        if result.exit_code != 0:
            raise SystemExit(f"sync_checklist.py failed:\n{result.output}")
        return self.text()

    def naive(self) -> str:
        """One REST GET per item and one timeline read per closed item, through PyGithub."""
        gh = Github(
            auth=Auth.Token(self.fake.token),
            base_url=self.fake.url,
            retry=None,
            per_page=100,
            seconds_between_requests=None,
            seconds_between_writes=None,
        )
        try:
            repo = gh.get_repo(REPO)
            master = repo.get_issue(self.master)
            text = self.text() if self.mode == "file" else master.body
            states: dict[tuple[str, int], IssueState | None] = {}
            for item in cp.parse_checklist(text):
                if item.issue is None:
                    continue
                issue = repo.get_issue(item.issue.number)
                states[item.issue.key(REPO)] = IssueState(
                    REPO,
                    issue.number,
                    issue.state,
                    issue.state_reason,
                    issue.html_url,
                    closing_pr(issue) if issue.state == "closed" else None,
                )
            style = "file" if self.mode == "file" else "issue"
            new_text = sync_checklist.sync_text(text, states, REPO, style)[0]
            if self.mode == "file":
                self.path.write_text(new_text)
                body = master.body
                new_body = sync_checklist.sync_text(body, states, REPO, "file")[0]
            else:
                body, new_body = text, new_text
            if new_body != body:
                master.edit(body=new_body)
            return self.text()
        finally:
            gh.close()


def closing_pr(issue: Any) -> tuple[str, int, str] | None:
    """The last merged pull request that cross-referenced the issue, from its timeline."""
    found = None
    for event in issue.get_timeline():
        data = event.raw_data
        source = (data.get("source") or {}).get("issue") or {}
        pull = source.get("pull_request") or {}
        if data.get("event") == "cross-referenced" and pull.get("merged_at"):
            found = (source["repository"]["full_name"], source["number"], source["html_url"])
    return found


# ---------------------------------------------------------------------------
# The run


def scenario(plan: Plan, label: str, budget: str, rows: list[list[str]]) -> None:
    before_text, before_body = plan.snapshot()
    naive = count(plan.fake, plan.naive)
    plan.restore(before_text, before_body)
    tool = count(plan.fake, plan.tool)
    same = "yes" if tool.result == naive.result else "NO"
    rows.append(
        [
            label,
            str(tool.requests),
            str(tool.writes),
            f"{tool.seconds:.2f}",
            f"{tool.server_graphql:.2f}",
            budget,
            str(naive.requests),
            f"{naive.seconds:.2f}",
            f"{naive.requests / tool.requests:.0f}x",
            f"{naive.seconds / tool.seconds:.1f}x",
            same,
        ]
    )


def table(rows: list[list[str]]) -> str:
    head = [
        "scenario",
        "requests",
        "writes",
        "wall s",
        "of it fake GraphQL s",
        "spec budget",
        "naive req",
        "naive s",
        "req ratio",
        "time ratio",
        "same result",
    ]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    out = []
    for row in [head, ["-" * w for w in widths], *rows]:
        cells = (cell.ljust(w) for cell, w in zip(row, widths, strict=True))
        out.append("  ".join(cells).rstrip())
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--closed", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.02, help="seconds per request")
    parser.add_argument("--mode", choices=("issue", "file"), default="issue")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as workdir, FakeGitHub() as fake:
        fake.add_repo(REPO)
        plan = Plan(fake, args.mode, args.items, args.closed, Path(workdir))
        fake.latency = args.latency
        pages = math.ceil(args.items / 100)
        rows: list[list[str]] = []

        scenario(plan, f"{args.items} items, nothing changed", f"{pages} + O(1), 0 writes", rows)

        step = max(1, args.items // args.closed)
        for number in range(1, args.items + 1, step)[: args.closed]:
            pr = fake.create_pull(REPO, f"Fix #{number}", f"Closes #{number}")["number"]
            fake.merge_pull(REPO, pr)
        budget = f"<= {pages} + {args.closed} + O(1), 1 write/doc"
        scenario(plan, f"{args.closed} newly closed by merged PRs", budget, rows)

    print(
        f"sync_checklist.py ({args.mode} mode) against the fake GitHub, "
        f"{args.latency * 1000:.0f} ms per request"
    )
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
