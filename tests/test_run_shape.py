"""Regression tests for the defects the old shape of generate caused (issue 9), end to end
against the fake: the body limit known before the first write, failed writes not reported as
made, a dry run that looks like the real run, the title from the parser, and parse counts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

import checklist_parser as cp
import generate_issues
import sync_checklist
from tests.conftest import run_cli
from tests.fake_github import FakeGitHub

REPO = "octo/plan"
pytestmark = pytest.mark.usefixtures("isolated")


def generate(fake: FakeGitHub, *args: object, **env: str | None) -> Result:
    fake.reset_log()
    return run_cli(generate_issues, *args, fake=fake, env=env)


def sync(fake: FakeGitHub, *args: object, **env: str | None) -> Result:
    fake.reset_log()
    return run_cli(sync_checklist, *args, fake=fake, env=env)


def writes(fake: FakeGitHub) -> list[tuple[str, str]]:
    reads = ("GET", "HEAD")
    return [
        (r.method, r.path) for r in fake.requests if r.method not in reads and r.path != "/graphql"
    ]


def said(result: Result, start: str) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith(start)]


# ---------------------------------------------------------------------------
# 1. The body limit, before the first write


def test_a_plan_that_outgrows_the_body_once_linked_is_refused_before_any_write(
    fake_github: FakeGitHub,
) -> None:
    # 3,000 short items fit in an issue body (about 50 KB) until their links are added
    text = "# Plan\n\n" + "".join(f"- [ ] item {n}\n" for n in range(3000))
    assert len(text) < 65536
    Path("plan.md").write_text(text, encoding="utf-8")
    refusal = "error: plan.md is too long for an issue body ("
    for args, env in [
        ((), {}),
        (("--dry-run",), {}),
        (("--dry-run",), {"GITHUB_TOKEN": None}),  # offline: the same answer
    ]:
        result = generate(fake_github, "plan.md", *args, **env)
        assert result.exit_code == 2, result.output
        (line,) = said(result, "error: ")
        assert line.startswith(refusal) and "once every item is linked and annotated" in line
        assert writes(fake_github) == []
    assert fake_github.issues(REPO) == []
    assert Path("plan.md").read_text(encoding="utf-8") == text


# ---------------------------------------------------------------------------
# 2. A failed write is not reported as made


def issue_mode_checklist(fake: FakeGitHub) -> int:
    """A master issue linking #1, which is closed: sync wants to tick it."""
    fake.create_issue(REPO, "[Test] a")
    master = fake.create_issue(REPO, "Plan", "- [ ] a (#1)\n- [ ] b\n")["number"]
    fake.close_issue(REPO, 1)
    return int(master)


def test_a_failed_sync_write_says_nothing_was_written(fake_github: FakeGitHub) -> None:
    master = issue_mode_checklist(fake_github)
    fake_github.inject("status", method="PATCH", path=f"/issues/{master}$", times=100)
    result = sync(fake_github, "--master-issue", master, "--json")
    assert result.exit_code == 1, result.output
    assert said(result, "checked") == []  # it was not
    assert f"nothing was written to issue #{master}" in result.stderr.splitlines()
    payload = json.loads(result.stdout)
    assert (payload["checked"], payload["failed"]) == (0, 1)
    assert fake_github.issue(REPO, master)["body"] == "- [ ] a (#1)\n- [ ] b\n"


def test_a_failed_sync_write_in_the_summary_line(fake_github: FakeGitHub) -> None:
    master = issue_mode_checklist(fake_github)
    fake_github.inject("status", method="PATCH", path=f"/issues/{master}$", times=100)
    result = sync(fake_github, "--master-issue", master)
    summary = result.stderr.splitlines()[-1]
    assert summary.startswith("2 items: 0 checked, 0 unchecked, 0 annotated, 0 warnings, 1 failed;")
    assert "0 warnings, 1 failed; " in summary


@pytest.mark.parametrize("flag", ["--check", "--dry-run"])
def test_check_and_dry_run_say_what_would_change(fake_github: FakeGitHub, flag: str) -> None:
    master = issue_mode_checklist(fake_github)
    result = sync(fake_github, "--master-issue", master, flag, "--json")
    assert said(result, "would check line 1 'a' (#1 closed as completed)") != []
    assert said(result, "checked") == []
    payload = json.loads(result.stdout)
    assert payload["checked"] == 0  # the counts are of what was written
    assert [c["action"] for c in payload["changes"]][:1] == ["would check"]
    assert writes(fake_github) == []


def test_a_refused_create_is_counted_as_failed(fake_github: FakeGitHub) -> None:
    Path("plan.md").write_text("# Plan\n\n- [ ] one\n- [ ] two\n", encoding="utf-8")
    # the master is created first; the first item's create is refused (422), the next made
    fake_github.inject("status", status=422, method="POST", path=r"/issues$", nth=2)
    result = generate(fake_github, "plan.md", "--json")
    assert result.exit_code == 1, result.output
    payload = json.loads(result.stdout)
    assert (payload["created"], payload["failed"]) == (2, 1)  # the master and 'two'
    assert [line for line in said(result, "created ") if "label" not in line] == [
        "created master checklist #1 'Plan'",
        "created #2 '[Test] two' for line 5",
    ]


# ---------------------------------------------------------------------------
# 3. A dry run looks like the real run


PLAN = "# Plan\n\n## Area\n\n- [ ] one\n- [ ] two\n  - [ ] nested\n"


def test_a_dry_run_says_what_the_real_run_does_with_or_without_a_token(
    fake_github: FakeGitHub,
) -> None:
    Path("plan.md").write_text(PLAN, encoding="utf-8")
    offline = generate(fake_github, "plan.md", "--dry-run", GITHUB_TOKEN=None)
    online = generate(fake_github, "plan.md", "--dry-run")
    assert offline.exit_code == online.exit_code == 0
    # one format with and without a token: the same lines, in the same order
    assert said(offline, "would ") == said(online, "would ")
    assert said(online, "would ") == [
        "would create the master checklist issue 'Plan' and bind the plan to it",
        "would create '[Test] one' for line 6",
        "would create '[Test] two' for line 7",
        "would create '[Test] nested' for line 8",
    ]
    real = generate(fake_github, "plan.md")
    assert real.exit_code == 0, real.output
    # the real run's lines, with the line numbers the dry run gave (binding line included)
    assert [line for line in said(real, "created ") if "label" not in line] == [
        "created master checklist #1 'Plan'",
        "created #2 '[Test] one' for line 6",
        "created #3 '[Test] two' for line 7",
        "created #4 '[Test] nested' for line 8",
    ]
    assert Path("plan.md").read_text(encoding="utf-8").splitlines()[5].startswith("- [ ] one (")


# ---------------------------------------------------------------------------
# 4. The master title comes from the parser


def test_a_heading_inside_a_code_block_is_not_the_master_title(fake_github: FakeGitHub) -> None:
    text = "```sh\n# install it first\n```\n\nRelease checklist\n=================\n\n- [ ] a\n"
    Path("plan.md").write_text(text, encoding="utf-8")
    result = generate(fake_github, "plan.md")
    assert result.exit_code == 0, result.output
    assert fake_github.issue(REPO, 1)["title"] == "Release checklist"


# ---------------------------------------------------------------------------
# 5. Parse counts


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times the run parses a document (every module calls the parser module's
    function, so patching it sees them all)."""
    calls = [0]
    real = cp.parse_document

    def counting(text: str) -> Any:
        calls[0] += 1
        return real(text)

    monkeypatch.setattr(cp, "parse_document", counting)
    return calls


def test_generate_and_sync_parse_the_plan_a_few_times(
    fake_github: FakeGitHub, parses: list[int]
) -> None:
    Path("plan.md").write_text("# Plan\n\n- [ ] a\n- [ ] b\n- [ ] c\n", encoding="utf-8")
    assert generate(fake_github, "plan.md").exit_code == 0
    assert parses[0] <= 8  # 25 before issue 9 (the master in the issue-body style costs one)
    fake_github.close_issue(REPO, 2)
    parses[0] = 0
    assert sync(fake_github, "plan.md").exit_code == 0
    assert parses[0] <= 3  # 10 before


def test_one_sync_reads_the_event_once_and_decides_each_item_once(
    fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    master = issue_mode_checklist(fake_github)
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"action": "closed", "issue": {"number": 1}}), encoding="utf-8")
    opened: list[str] = []
    real_open = open

    def counting_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(sync_checklist, "open", counting_open, raising=False)
    decided: list[int] = []
    real_decide = sync_checklist.decide
    monkeypatch.setattr(
        sync_checklist,
        "decide",
        lambda item, *a: decided.append(item.line_no) or real_decide(item, *a),
    )
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "issues",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }
    result = sync(fake_github, "--master-issue", master, **env)
    assert result.exit_code == 0, result.output
    assert opened.count(str(event)) == 1  # twice before
    assert decided == [1]  # the one linked item, once (twice before, with a job summary)
    assert "| [#1](" in (tmp_path / "summary.md").read_text(encoding="utf-8")
