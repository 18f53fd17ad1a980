"""End-to-end tests of generate_issues.py: the real command against the fake GitHub server.

Each test runs the click command in-process (one or two run the script as a subprocess) and
judges it by what the fake saw: issues, comments, bodies, and the request log.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import checklist_parser as cp
import checklist_source as cs
import generate_issues
import github_api
from tests.conftest import SETTINGS_ENV, assert_clean, pygithub_client
from tests.fake_github import FakeGitHub

ROOT = Path(__file__).resolve().parent.parent
REPO = "octo/plan"
HTML = "https://github.com/octo/plan/issues"
# CI may set any of these; a test sees only what it passes itself.
HEADER = "Checklist mirrored from `plan.md` by checklist-sync: edit the file, then rerun."
ITEM_MARKER_RE = re.compile(r"<!-- checklist-sync:item master=(\d+) key=([0-9a-f]+) -->")
FILE_LINK_RE = re.compile(r" \(\[#\d+\]\(https://github\.com/octo/plan/issues/\d+\)\)")

PLAN = """\
# Data loader test plan

Every unchecked item below becomes one GitHub issue.

## Parsing

- [ ] parses date-named directories
- [ ] rejects a directory with no date
  - [ ] ...including an empty directory
- [x] reads the sample fixture

## Writing

1. [ ] writes CSV with a header row
2. [ ] escapes commas and `"quotes"`

```markdown
- [ ] inside a code block
```

<!--
- [ ] commented out
-->
"""
PLAN_ITEMS = [
    "parses date-named directories",
    "rejects a directory with no date",
    "...including an empty directory",
    "writes CSV with a header row",
    'escapes commas and `"quotes"`',
]


# ---------------------------------------------------------------------------
# Harness


class Cli:
    """Runs generate_issues.py in-process against the fake; checks every run for leaks."""

    def __init__(self, fake: FakeGitHub) -> None:
        self.fake = fake
        self.secrets = {fake.token}

    def env(self, **overrides: str | None) -> dict[str, str | None]:
        return {**self.fake.env(), "CHECKLIST_WRITE_INTERVAL": "0", **overrides}

    def __call__(
        self, *args: object, env: dict[str, str | None] | None = None, crash: bool = False
    ) -> Result:
        self.fake.reset_log()
        result = CliRunner().invoke(
            generate_issues.main, [str(arg) for arg in args], env=self.env() if env is None else env
        )
        # the environment is the test's own (it may leave the fake out): only the secrets
        assert_clean(result, self.secrets, crash=crash)
        return result


pytestmark = pytest.mark.usefixtures("isolated")


@pytest.fixture
def cli(fake_github: FakeGitHub) -> Cli:
    return Cli(fake_github)


def write_plan(text: str = PLAN, name: str = "plan.md") -> Path:
    path = Path(name)
    path.write_bytes(text.encode("utf-8"))
    return path


def read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


def writes(fake: FakeGitHub) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in fake.requests if r.method not in ("GET", "HEAD")]


def creates(fake: FakeGitHub) -> list[Any]:
    return [r for r in fake.requests if r.method == "POST" and r.path == f"/repos/{REPO}/issues"]


def item_issues(fake: FakeGitHub) -> list[dict[str, Any]]:
    return [i for i in fake.issues(REPO) if ITEM_MARKER_RE.search(i["body"] or "")]


def master_issues(fake: FakeGitHub) -> list[dict[str, Any]]:
    return [i for i in fake.issues(REPO) if cs.MASTER_MARKER in (i["body"] or "")]


def bound_master(path: Path) -> int:
    doc = cp.parse_document(read(path))
    assert doc.binding is not None and doc.binding_line == 1
    target = cs.binding_target(doc.binding)
    assert target is not None and target[0] == REPO
    return target[1]


def user_text(text: str) -> str:
    """The plan as the user wrote it: without the binding line and the tool's links."""
    return FILE_LINK_RE.sub("", cp.strip_binding(text))


def default_title(item: cp.ChecklistItem) -> str:
    return f"[Test] {item.text}"


def assert_invariants(
    fake: FakeGitHub,
    path: Path,
    original: str,
    *,
    complete: bool = True,
    title: Callable[[cp.ChecklistItem], str] = default_title,
    removed: frozenset[int] = frozenset(),
) -> None:
    """Whatever happened: no duplicate issue, no link to a wrong or shared issue, the user's
    text intact. With `complete`: every unchecked item linked and the master mirrors the plan.
    """
    text = read(path)
    assert user_text(text) == original
    issues = {i["number"]: i for i in fake.issues(REPO)}
    markers = Counter(m for i in issues.values() for m in ITEM_MARKER_RE.findall(i["body"] or ""))
    assert [m for m, n in markers.items() if n > 1] == []
    titles = Counter(i["title"] for i in issues.values())
    assert [t for t, n in titles.items() if n > 1] == []
    assert len(master_issues(fake)) <= 1
    items = cp.parse_checklist(text)
    linked = [item.issue.number for item in items if item.issue is not None]
    assert len(linked) == len(set(linked))
    for item in items:
        if item.issue is not None:
            issue = issues[item.issue.number]
            assert item.link_style == "file" and item.issue.url == issue["html_url"]
            assert issue["title"] == title(item)
    if not complete:
        return  # a stopped run may leave issues unlinked: the rerun must adopt them
    made_for_plan = {n for n, i in issues.items() if ITEM_MARKER_RE.search(i["body"] or "")}
    assert made_for_plan - set(linked) == removed
    assert all(item.issue is not None for item in items if not item.checked)
    master = fake.issue(REPO, bound_master(path))
    _label, recorded, mirrored = cs.split_master_body(master["body"])
    assert recorded is not None
    assert cs.normalize(mirrored) == cs.normalize(cp.strip_binding(text))


def summary_line(result: Result) -> str:
    return result.stderr.rstrip("\n").splitlines()[-1]


# ---------------------------------------------------------------------------
# A fresh plan in file mode


def test_fresh_plan_creates_master_issues_and_links(cli: Cli) -> None:
    plan = write_plan()
    result = cli(plan)
    assert result.exit_code == 0, result.output
    fake = cli.fake

    text = read(plan)
    master_no = bound_master(plan)
    assert text.splitlines()[0] == f"<!-- checklist-sync: {HTML}/{master_no} -->"
    assert user_text(text) == PLAN

    master = fake.issue(REPO, master_no)
    assert master["title"] == "Data loader test plan"
    lines = master["body"].split("\n")
    assert lines[0] == HEADER
    assert re.fullmatch(
        r"<!-- checklist-sync:master plan=plan\.md digest=[0-9a-f]{16} -->", lines[-1]
    )
    # the plan as it is now (with the links), without the binding line
    assert master["body"] == cs.master_body(text, "plan.md")
    assert "checklist-sync: https://" not in master["body"]

    created = item_issues(fake)
    assert [i["title"] for i in created] == [f"[Test] {t}" for t in PLAN_ITEMS]
    by_title = {i["title"]: i for i in created}
    child = by_title["[Test] ...including an empty directory"]
    key = ITEM_MARKER_RE.search(child["body"])
    assert key is not None and key.group(1) == str(master_no)
    assert child["body"] == (
        "...including an empty directory\n\n"
        "**Section:** Data loader test plan › Parsing  \n"
        "**Parent item:** rejects a directory with no date  \n"
        f"**Checklist:** #{master_no} (`plan.md`)\n\n"
        f"{key.group(0)}"
    )
    assert all([label["name"] for label in i["labels"]] == ["test"] for i in created)
    assert [label["name"] for label in fake.labels(REPO)] == ["test"]

    for issue in created:
        item_line = f"{issue['title'].removeprefix('[Test] ')} ([#{issue['number']}]"
        assert f"{item_line}({issue['html_url']}))" in text
        assert f"(#{issue['number']})" not in text  # the file uses the Markdown form
        # the master issue in the issue-body style: GitHub shows the issue's title and state
        assert f"{issue['title'].removeprefix('[Test] ')} (#{issue['number']})" in master["body"]
        assert issue["html_url"] not in master["body"]
    # checked items, code blocks and HTML comments are left as they were
    assert "- [x] reads the sample fixture\n" in text
    assert "- [ ] inside a code block\n" in text
    assert "- [ ] commented out\n" in text
    assert len(fake.issues(REPO)) == 1 + len(PLAN_ITEMS)

    stderr = result.stderr
    assert f"created master checklist #{master_no} 'Data loader test plan'\n" in stderr
    assert "created label 'test'\n" in stderr
    for issue in created:
        assert f"created #{issue['number']} {issue['title']!r} for line" in stderr
    assert re.fullmatch(
        r"6 items: 6 created, 0 adopted, 0 skipped, 0 warnings; "
        r"\d+ API requests, rate limit left \d+",
        summary_line(result),
    )
    assert result.stdout == ""
    assert_invariants(fake, plan, PLAN)


def test_json_summary_on_stdout(cli: Cli) -> None:
    plan = write_plan()
    result = cli(plan, "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert list(payload) == [
        "items",
        "created",
        "adopted",
        "checked",
        "unchecked",
        "annotated",
        "skipped",
        "warnings",
        "failed",
        "requests",
        "rate_limit_remaining",
        "repo",
        "master_issue",
        "dry_run",
        "out_of_sync",
        "error",
        "exit_code",
        "changes",
    ]
    assert (payload["repo"], payload["master_issue"], payload["dry_run"]) == (REPO, 1, False)
    assert (payload["out_of_sync"], payload["error"], payload["exit_code"]) == (True, None, 0)
    assert payload["items"] == 6
    assert payload["created"] == 1 + len(PLAN_ITEMS)  # the master issue counts as created
    assert payload["adopted"] == payload["skipped"] == payload["warnings"] == 0
    assert payload["requests"] == len(cli.fake.requests)
    assert payload["rate_limit_remaining"] == cli.fake.rate_limit_remaining
    numbers = [c["issue"] for c in payload["changes"] if c["action"] == "created"]
    assert sorted(numbers) == sorted(i["number"] for i in cli.fake.issues(REPO))
    assert all(c["url"].startswith(f"{HTML}/") for c in payload["changes"])
    # stdout holds the object and nothing else (json.loads took all of it); lines go to stderr
    assert "created master checklist #1 'Data loader test plan'\n" in result.stderr


def test_rerun_writes_nothing(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    plan = write_plan()
    assert cli(plan).exit_code == 0
    before = read(plan)

    def no_write(self: cs.PlanFile, text: str) -> None:
        raise AssertionError("the plan file was rewritten")

    monkeypatch.setattr(cs.PlanFile, "write", no_write)
    result = cli(plan, "--json")
    assert result.exit_code == 0, result.output
    assert writes(cli.fake) == []
    # the repository and the master issue: nothing to create, so no listing either
    assert [(r.method, r.path) for r in cli.fake.requests] == [
        ("GET", f"/repos/{REPO}"),
        ("GET", f"/repos/{REPO}/issues/1"),
    ]
    assert read(plan) == before
    assert json.loads(result.stdout)["created"] == 0
    assert_invariants(cli.fake, plan, PLAN)


def test_rerun_after_boxes_ticked_on_github_writes_nothing(cli: Cli) -> None:
    """Boxes and PR annotations in the master issue are sync's business, not an edit."""
    plan = write_plan()
    assert cli(plan).exit_code == 0
    body = cli.fake.issue(REPO, 1)["body"]
    ticked = body.replace(
        "- [ ] parses date-named directories", "- [x] parses date-named directories"
    )
    ticked = ticked.replace(
        "(https://github.com/octo/plan/issues/2))",
        "(https://github.com/octo/plan/issues/2)) (PR #9)",
    )
    cli.fake.edit_issue_body(REPO, 1, ticked)
    result = cli(plan)
    assert result.exit_code == 0, result.output
    assert writes(cli.fake) == []


def test_plan_edited_between_runs(cli: Cli) -> None:
    plan = write_plan()
    assert cli(plan).exit_code == 0
    first = read(plan)
    by_title = {i["title"]: i["number"] for i in item_issues(cli.fake)}
    removed = by_title["[Test] writes CSV with a header row"]
    reworded = by_title["[Test] parses date-named directories"]

    edited = (
        first.replace("- [ ] parses date-named", "- [ ] parses ISO date-named")
        .replace(f"1. [ ] writes CSV with a header row ([#{removed}]({HTML}/{removed}))\n2.", "2.")
        .replace("## Writing\n", "## Writing\n\n- [ ] writes JSON lines\n")
        + "\n## Cleanup\n\n- [ ] removes temporary files\n"
    )
    write_plan(edited)
    result = cli(plan)
    assert result.exit_code == 0, result.output
    assert [t for _m, t in [(r.method, r.body["title"]) for r in creates(cli.fake)]] == [
        "[Test] writes JSON lines",
        "[Test] removes temporary files",
    ]
    text = read(plan)
    assert f"- [ ] parses ISO date-named directories ([#{reworded}]({HTML}/{reworded}))" in text
    assert f"#{removed}]" not in text
    # the removed item's issue stays as it was: closing issues is the maintainers' call
    assert cli.fake.issue(REPO, removed)["state"] == "open"
    master = cli.fake.issue(REPO, 1)["body"]
    assert "parses ISO date-named directories" in master
    assert "writes CSV with a header row" not in master
    assert "removes temporary files" in master
    assert ("PATCH", f"/repos/{REPO}/issues/1") in writes(cli.fake)

    assert cli(plan).exit_code == 0
    assert writes(cli.fake) == []
    original = user_text(edited)
    assert_invariants(
        cli.fake,
        plan,
        original,
        removed=frozenset({removed}),
        title=lambda item: (
            "[Test] parses date-named directories"
            if item.issue is not None and item.issue.number == reworded
            else f"[Test] {item.text}"
        ),
    )


def test_plan_edited_by_hand_during_the_run(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """Links land on their items even when lines move under the running command."""
    plan = write_plan()
    real = github_api.GitHubClient.apply_create_issue
    calls = {"n": 0}

    def create(self: github_api.GitHubClient, payload: dict[str, Any]) -> dict[str, Any]:
        calls["n"] += 1
        if calls["n"] == 3:  # the master and one item exist; the user saves an edit
            edited = read(plan).replace("## Parsing\n", "## Parsing\n\nTyped meanwhile.\n")
            write_plan(edited)
        return real(self, payload)

    monkeypatch.setattr(github_api.GitHubClient, "apply_create_issue", create)
    result = cli(plan)
    assert result.exit_code == 0, result.output
    assert "Typed meanwhile." in read(plan)
    original = PLAN.replace("## Parsing\n", "## Parsing\n\nTyped meanwhile.\n")
    assert_invariants(cli.fake, plan, original)


def test_items_linked_by_the_user_are_left_alone(cli: Cli) -> None:
    fake = cli.fake
    for n in range(4):
        fake.create_issue(REPO, f"Issue {n + 1}")
    text = (
        "- [ ] parses dates closes #1\n"
        "- [ ] rejects junk octo/plan#2\n"
        f"- [ ] keeps CRLF {HTML}/3\n"
        "- [ ] #4\n"
        "- [ ] regression for bug #4 in the parser\n"
    )
    plan = write_plan(text)
    result = cli(plan)
    assert result.exit_code == 0, result.output
    assert [i["title"] for i in item_issues(fake)] == ["[Test] regression for bug #4 in the parser"]
    new = item_issues(fake)[0]["number"]
    assert cp.strip_binding(read(plan)) == text.replace(
        "in the parser\n", f"in the parser ([#{new}]({HTML}/{new}))\n"
    )


def test_crlf_bom_and_missing_final_newline_are_kept(cli: Cli) -> None:
    text = "\ufeff# Plan\r\n\r\n- [ ] one\r\n- [ ] two"
    plan = write_plan(text)
    result = cli(plan)
    assert result.exit_code == 0, result.output
    assert read(plan) == (
        f"\ufeff<!-- checklist-sync: {HTML}/1 -->\r\n# Plan\r\n\r\n"
        f"- [ ] one ([#2]({HTML}/2))\r\n- [ ] two ([#3]({HTML}/3))"
    )
    assert cli.fake.issue(REPO, 1)["title"] == "Plan"
    assert cli(plan).exit_code == 0
    assert writes(cli.fake) == []


def test_creations_are_paced(cli: Cli) -> None:
    plan = write_plan("- [ ] one\n- [ ] two\n- [ ] three\n")
    result = cli(plan, "--write-interval", "0.25")
    assert result.exit_code == 0, result.output
    times = [r.when for r in creates(cli.fake)]
    assert len(times) == 4
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 0.2, gaps


def test_repository_comes_from_the_binding(cli: Cli) -> None:
    plan = write_plan()
    assert cli(plan).exit_code == 0
    write_plan(read(plan) + "\n- [ ] one more\n")
    result = cli(plan, env=cli.env(GITHUB_REPOSITORY=None))
    assert result.exit_code == 0, result.output
    assert "one more ([#" in read(plan)

    cli.fake.add_repo("octo/other")
    result = cli(plan, "--repo", "octo/other")
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(
        f"error: plan.md is bound to {HTML}/1, not to an issue of octo/other: fix the binding "
        "line or pass --repo\n"
    )
    assert writes(cli.fake) == []


def test_boxes_ticked_on_github_survive_a_republish(cli: Cli) -> None:
    fake = cli.fake
    plan = write_plan()
    assert cli(plan).exit_code == 0
    body = fake.issue(REPO, 1)["body"]
    fake.edit_issue_body(REPO, 1, body.replace("- [ ] parses", "- [x] parses"))
    write_plan(read(plan) + "\n- [ ] one more\n")
    result = cli(plan)
    assert result.exit_code == 0, result.output
    master = fake.issue(REPO, 1)["body"]
    assert "- [x] parses date-named directories (#2)" in master
    assert "- [ ] one more (#" in master


def test_an_item_without_text_is_skipped(cli: Cli) -> None:
    plan = write_plan("# Plan\n\n- [ ] \n- [ ] real work\n")
    result = cli(plan)
    assert result.exit_code == 1, result.output
    assert "skipped: line 4: the item has no text\n" in result.stderr
    assert [i["title"] for i in item_issues(cli.fake)] == ["[Test] real work"]


# ---------------------------------------------------------------------------
# Adoption, crashes, ambiguity


def test_adopts_existing_issue_by_title_with_one_comment(cli: Cli) -> None:
    fake = cli.fake
    old = fake.create_issue(REPO, "[Test] rejects a directory with no date", "written by hand")
    fake.close_issue(REPO, old["number"], "not_planned")
    # a comment someone wrote earlier (through the API: the fake has no seeding helper for it)
    github = pygithub_client(fake)
    github.get_repo(REPO).get_issue(old["number"]).create_comment("Still happens on 2.1")
    github.close()
    plan = write_plan()
    result = cli(plan)
    assert result.exit_code == 0, result.output
    number = old["number"]
    assert f"adopted #{number} '[Test] rejects a directory with no date' for line 9 (by title)" in (
        result.stderr
    )
    assert len(fake.issues(REPO)) == 1 + len(PLAN_ITEMS)  # one fewer created
    comments = fake.comments(REPO, number)
    master_no = bound_master(plan)
    assert [c["body"] for c in comments] == [
        "Still happens on 2.1",
        f"Tracked in the test checklist #{master_no}.\n\n"
        f"<!-- checklist-sync:adopted master={master_no} -->",
    ]
    assert fake.issue(REPO, number)["body"] == "written by hand"  # not rewritten
    assert f"rejects a directory with no date ([#{number}]({HTML}/{number}))" in read(plan)
    assert "0 skipped" in summary_line(result) and "1 adopted" in summary_line(result)

    assert cli(plan).exit_code == 0
    assert writes(fake) == []
    assert len(fake.comments(REPO, number)) == 2


def test_a_pull_request_with_the_title_is_not_adopted(cli: Cli) -> None:
    pull = cli.fake.create_pull(REPO, "[Test] parses date-named directories")
    plan = write_plan()
    result = cli(plan)
    assert result.exit_code == 0, result.output
    assert "0 adopted" in summary_line(result)
    assert f"[#{pull['number']}]" not in read(plan)
    assert len(item_issues(cli.fake)) == len(PLAN_ITEMS)


class Crash(Exception):
    """Stands for the process dying (power cut, Ctrl-C) at a chosen point."""


def crash_on_write(monkeypatch: pytest.MonkeyPatch, nth: int) -> None:
    """Make the nth write of the plan file (1: the binding line) die before it happens."""
    real = cs.PlanFile.write
    count = {"n": 0}

    def write(self: cs.PlanFile, text: str) -> None:
        count["n"] += 1
        if count["n"] == nth:
            raise Crash(f"died before write {nth}")
        real(self, text)

    monkeypatch.setattr(cs.PlanFile, "write", write)


def test_adoption_comment_once_after_crash(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = cli.fake
    old = fake.create_issue(REPO, "[Test] parses date-named directories")
    plan = write_plan()
    with monkeypatch.context() as patch:
        crash_on_write(patch, 2)  # after the comment on the adopted issue, before its link
        result = cli(plan, crash=True)
    assert isinstance(result.exception, Crash)
    assert len(fake.comments(REPO, old["number"])) == 1
    assert "#" not in read(plan).split("parses date-named directories")[1].split("\n")[0]

    result = cli(plan)
    assert result.exit_code == 0, result.output
    assert len(fake.comments(REPO, old["number"])) == 1
    assert f"adopted #{old['number']}" in result.stderr
    assert_invariants(fake, plan, PLAN)


def test_crash_after_create_before_link_adopts_by_marker(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = cli.fake
    plan = write_plan()
    with monkeypatch.context() as patch:
        crash_on_write(patch, 3)  # binding and first link written; second issue made, unlinked
        result = cli(plan, crash=True)
    assert isinstance(result.exception, Crash)
    assert len(item_issues(fake)) == 2
    assert_invariants(fake, plan, PLAN, complete=False)
    second = item_issues(fake)[1]

    result = cli(plan)
    assert result.exit_code == 0, result.output
    assert f"adopted #{second['number']} {second['title']!r} for line 9 (by marker)" in (
        result.stderr
    )
    assert fake.comments(REPO, second["number"]) == []  # its body already links the checklist
    assert len(creates(fake)) == len(PLAN_ITEMS) - 2
    assert_invariants(fake, plan, PLAN)


def test_crash_after_master_created_before_binding(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = cli.fake
    plan = write_plan()
    with monkeypatch.context() as patch:
        crash_on_write(patch, 1)
        result = cli(plan, crash=True)
    assert isinstance(result.exception, Crash)
    assert read(plan) == PLAN
    assert len(master_issues(fake)) == 1

    result = cli(plan)
    assert result.exit_code == 0, result.output
    assert "found master checklist #1 (by its marker)" in result.stderr
    assert bound_master(plan) == 1
    assert_invariants(fake, plan, PLAN)


def test_ambiguous_title_skips_item_and_names_both(cli: Cli) -> None:
    fake = cli.fake
    first = fake.create_issue(REPO, "[Test] writes CSV with a header row")
    second = fake.create_issue(REPO, "[Test] writes CSV with a header row", state="closed")
    plan = write_plan()
    result = cli(plan)
    assert result.exit_code == 1, result.output
    assert (
        f"skipped: line 15: '[Test] writes CSV with a header row' matches several issues "
        f"(#{first['number']}, #{second['number']}) by title; link the right one in the "
        "checklist by hand\n"
    ) in result.stderr
    assert "1. [ ] writes CSV with a header row\n" in read(plan)
    assert len(item_issues(fake)) == len(PLAN_ITEMS) - 1
    assert fake.comments(REPO, first["number"]) == fake.comments(REPO, second["number"]) == []
    assert "1 skipped" in summary_line(result)

    # still ambiguous on a rerun, still nothing created for it
    result = cli(plan)
    assert result.exit_code == 1
    assert creates(cli.fake) == []


def test_identical_items_in_different_sections_get_the_section_path(cli: Cli) -> None:
    text = (
        "## Parsing\n\n- [ ] rejects empty input\n- [ ] reads UTF-8\n\n"
        "## Writing\n\n- [ ] rejects empty input\n"
    )
    plan = write_plan(text)
    result = cli(plan)
    assert result.exit_code == 0, result.output
    titles = sorted(i["title"] for i in item_issues(cli.fake))
    assert titles == [
        "[Test] Parsing › rejects empty input",
        "[Test] Writing › rejects empty input",
        "[Test] reads UTF-8",
    ]
    items = cp.parse_checklist(read(plan))
    assert len({item.issue.number for item in items if item.issue}) == 3

    def title(item: cp.ChecklistItem) -> str:
        if item.text == "rejects empty input":
            return f"[Test] {item.section[-1]} › {item.text}"
        return f"[Test] {item.text}"

    assert_invariants(cli.fake, plan, text, title=title)
    assert cli(plan).exit_code == 0
    assert writes(cli.fake) == []


def test_identical_items_in_one_section_are_reported_and_skipped(cli: Cli) -> None:
    text = "## Parsing\n\n- [ ] rejects empty input\n- [ ] reads UTF-8\n- [ ] rejects empty input\n"
    plan = write_plan(text)
    result = cli(plan)
    assert result.exit_code == 1, result.output
    # one line for the group (the binding line is line 1 now)
    assert (
        "skipped: lines 4, 6: identical items would share the title "
        "'[Test] Parsing › rejects empty input'; reword them or move them to different "
        "sections\n"
    ) in result.stderr
    assert result.stderr.count("skipped:") == 1
    assert [i["title"] for i in item_issues(cli.fake)] == ["[Test] reads UTF-8"]
    assert read(plan).count("- [ ] rejects empty input\n") == 2
    assert "2 skipped" in summary_line(result)


# ---------------------------------------------------------------------------
# The master issue edited on GitHub


def test_master_edited_on_github_refuses_then_force_republishes(cli: Cli) -> None:
    fake = cli.fake
    plan = write_plan()
    assert cli(plan).exit_code == 0
    body = fake.issue(REPO, 1)["body"]
    edited = body.replace("## Writing", "## Writing\n\nA note someone typed on GitHub.")
    fake.edit_issue_body(REPO, 1, edited.replace("\n", "\r\n"))  # as the web editor saves it
    write_plan(read(plan) + "\n- [ ] a new item\n")
    before = read(plan)

    result = cli(plan)
    assert result.exit_code == 1, result.output
    assert (
        "error: master issue #1 was edited on GitHub since it was last published; nothing "
        "written. Copy those edits into the plan file, or rerun with --force to overwrite them\n"
    ) in result.stderr
    assert writes(fake) == []
    assert read(plan) == before

    result = cli(plan, "--force")
    assert result.exit_code == 0, result.output
    master = fake.issue(REPO, 1)["body"]
    assert "A note someone typed on GitHub." not in master
    assert "a new item (#" in master
    assert cli(plan).exit_code == 0
    assert writes(fake) == []


def test_text_added_after_the_marker_counts_as_an_edit(cli: Cli) -> None:
    plan = write_plan()
    assert cli(plan).exit_code == 0
    body = cli.fake.issue(REPO, 1)["body"]
    cli.fake.edit_issue_body(REPO, 1, body + "\n\nPlease also test Windows paths.")
    write_plan(read(plan) + "\n- [ ] a new item\n")
    result = cli(plan)
    assert result.exit_code == 1, result.output
    assert "rerun with --force" in result.stderr
    assert writes(cli.fake) == []
    assert "Please also test Windows paths." in cli.fake.issue(REPO, 1)["body"]


def test_plan_bound_to_an_existing_issue(cli: Cli) -> None:
    """`--master-issue N PLAN` binds the plan to N; an issue with someone's text is refused."""
    fake = cli.fake
    empty = fake.create_issue(REPO, "Test plan")
    foreign = fake.create_issue(REPO, "Roadmap", "Our roadmap for 2025.")
    plan = write_plan()
    result = cli(plan, "--master-issue", foreign["number"])
    assert result.exit_code == 1, result.output
    assert (
        f"error: issue #{foreign['number']} holds text this tool did not write; nothing "
        "written. Pick another master issue, or rerun with --force to replace its body with "
        "the plan\n"
    ) in result.stderr
    assert writes(fake) == [] and read(plan) == PLAN

    result = cli(plan, "--master-issue", empty["number"])
    assert result.exit_code == 0, result.output
    assert bound_master(plan) == empty["number"]
    assert master_issues(fake)[0]["number"] == empty["number"]
    assert_invariants(fake, plan, PLAN)
    assert cli(plan).exit_code == 0
    assert writes(fake) == []


def test_plan_file_name_with_a_space(cli: Cli) -> None:
    plan = write_plan(name="test plan.md")
    assert cli(plan).exit_code == 0
    assert "plan=test plan.md digest=" in cli.fake.issue(REPO, 1)["body"]
    write_plan(read(plan) + "\n- [ ] a new item\n", name="test plan.md")
    result = cli(plan)
    assert result.exit_code == 0, result.output
    assert "a new item (#" in cli.fake.issue(REPO, 1)["body"]


def test_two_master_issues_claiming_the_plan(cli: Cli) -> None:
    body = cs.master_body(PLAN, "plan.md")
    cli.fake.create_issue(REPO, "Data loader test plan", body)
    cli.fake.create_issue(REPO, "Data loader test plan", body)
    plan = write_plan()
    result = cli(plan)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(
        "error: several master issues claim plan.md (#1, #2): close the extra ones, or pass "
        "--master-issue\n"
    )
    assert writes(cli.fake) == [] and read(plan) == PLAN


def test_a_plan_too_long_for_an_issue_body(cli: Cli) -> None:
    text = "# Plan\n\n" + "A long paragraph of notes. " * 2500 + "\n\n- [ ] one\n"
    plan = write_plan(text)
    result = cli(plan)
    assert result.exit_code == 2, result.output
    assert re.search(
        r"^error: plan\.md is too long for an issue body \(\d+ characters once every item is "
        r"linked and annotated, GitHub takes 65536\): split it into several plans$",
        result.stderr,
        re.M,
    )
    assert writes(cli.fake) == [] and read(plan) == text


def body_headroom(count: int, style: str = "file") -> int:
    """What check_body_fits adds for `count` unlinked items: a link and the longest
    annotation (a PR in a file's style, `(not planned)` in an issue body's)."""
    url = "https://github.com/octo/plan"
    link = 1 + len(f"([#999999]({url}/issues/999999))" if style == "file" else "(#999999)")
    pr = len(f" ([PR #999999]({url}/pull/999999))" if style == "file" else " (not planned)")
    return count * (link + pr)


@pytest.mark.parametrize("dry_run", [False, True])
def test_a_plan_whose_links_would_push_the_master_over_the_limit(cli: Cli, dry_run: bool) -> None:
    """It fits today, but every later sync would fail once its items are linked and
    annotated: refused before any write (exit 2), and the dry run says so too."""
    items = "".join(f"- [ ] case {n:02}\n" for n in range(12))
    body = len(cs.master_body(f"# Plan\n\n\n\n{items}", "plan.md"))
    padding = "x" * (cs.ISSUE_BODY_LIMIT - body - body_headroom(12, "issue") + 1)
    text = f"# Plan\n\n{padding}\n\n{items}"
    assert len(cs.master_body(text, "plan.md")) < cs.ISSUE_BODY_LIMIT
    plan = write_plan(text)
    result = cli(plan, *(["--dry-run"] if dry_run else []))
    assert result.exit_code == 2, result.output
    assert (
        f"error: plan.md is too long for an issue body ({cs.ISSUE_BODY_LIMIT + 1} characters "
        "once every item is linked and annotated, GitHub takes 65536): split it into several "
        "plans\n"
    ) in result.stderr
    assert writes(cli.fake) == [] and read(plan) == text

    # one character less fits: generate runs, and sync can annotate every item later
    plan = write_plan(text.replace("x", "", 1))
    assert cli(plan).exit_code == 0
    assert len(item_issues(cli.fake)) == 12


def test_an_issue_mode_checklist_whose_links_would_not_fit(cli: Cli) -> None:
    items = "".join(f"- [ ] case {n:02}\n" for n in range(12))
    padding = "x" * (cs.ISSUE_BODY_LIMIT - len(items) - 1 - body_headroom(12, "issue") + 1)
    master = cli.fake.create_issue(REPO, "Plan", f"{padding}\n{items}")["number"]
    result = cli("--master-issue", master)
    assert result.exit_code == 2, result.output
    assert f"error: master issue #{master} is too long for an issue body (65537 characters" in (
        result.stderr
    )
    assert writes(cli.fake) == []


# ---------------------------------------------------------------------------
# Issue mode


def test_issue_mode_links_with_the_short_form_and_keeps_crlf(cli: Cli) -> None:
    fake = cli.fake
    body = (
        "## Parsing\r\n\r\n- [ ] parses dates\r\n- [x] reads the fixture\r\n- [ ] rejects junk\r\n"
    )
    master = fake.create_issue(REPO, "Test plan", body)
    number = master["number"]
    result = cli("--master-issue", number)
    assert result.exit_code == 0, result.output
    created = item_issues(fake)
    assert [i["title"] for i in created] == ["[Test] parses dates", "[Test] rejects junk"]
    first, second = (i["number"] for i in created)
    assert fake.issue(REPO, number)["body"] == (
        f"## Parsing\r\n\r\n- [ ] parses dates (#{first})\r\n- [x] reads the fixture\r\n"
        f"- [ ] rejects junk (#{second})\r\n"
    )
    assert created[0]["body"] == (
        f"parses dates\n\n**Section:** Parsing  \n**Checklist:** #{number}\n\n"
        f"{ITEM_MARKER_RE.search(created[0]['body']).group(0)}"  # type: ignore[union-attr]
    )
    assert f"linked 2 items in master checklist #{number}\n" in result.stderr
    # one write of the checklist, at the end
    assert writes(fake).count(("PATCH", f"/repos/{REPO}/issues/{number}")) == 1

    result = cli("--master-issue", number)
    assert result.exit_code == 0, result.output
    assert writes(fake) == []


def test_issue_mode_crash_before_the_final_write(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = cli.fake
    body = "- [ ] one\n- [ ] two\n"
    number = fake.create_issue(REPO, "Plan", body)["number"]
    with monkeypatch.context() as patch:

        def die(*_args: object, **_kwargs: object) -> None:
            raise Crash("died before linking")

        patch.setattr(cs, "write_issue_body", die)
        assert isinstance(cli("--master-issue", number, crash=True).exception, Crash)
    assert fake.issue(REPO, number)["body"] == body
    result = cli("--master-issue", number)
    assert result.exit_code == 0, result.output
    assert creates(fake) == []
    assert "2 adopted" in summary_line(result)
    assert fake.issue(REPO, number)["body"] == "- [ ] one (#2)\n- [ ] two (#3)\n"


# ---------------------------------------------------------------------------
# Faults during creation: the run either finishes or stops cleanly; a rerun completes it


FAULTS = {
    "secondary rate limit": (
        dict(kind="secondary_rate_limit", method="POST", path=r"/issues$", nth=3, retry_after=1),
        0,
    ),
    "primary rate limit": (dict(kind="primary_rate_limit", method="POST", path=r"/issues$"), 0),
    "500 on a create": (dict(kind="status", method="POST", path=r"/issues$", nth=3, status=500), 0),
    "502 on a create": (dict(kind="status", method="POST", path=r"/issues$", nth=2), 0),
    "502 on every attempt": (
        dict(kind="status", method="POST", path=r"/issues$", nth=3, times=3),
        1,
    ),
    "created, then 502": (
        dict(kind="apply_then_status", method="POST", path=r"/issues$", nth=3),
        0,
    ),
    "master created, then 502": (
        dict(kind="apply_then_status", method="POST", path=r"/issues$"),
        0,
    ),
    "dropped create": (dict(kind="drop", method="POST", path=r"/issues$", nth=4), 0),
    "created, then dropped": (
        dict(kind="apply_then_drop", method="POST", path=r"/issues$", nth=4),
        0,
    ),
    "503 on the listing": (
        dict(kind="status", method="GET", path=r"/issues$", status=503, times=2),
        0,
    ),
    "dropped listing": (dict(kind="drop", method="GET", path=r"/issues$"), 0),
    "listing never answers": (dict(kind="status", method="GET", path=r"/issues$", times=10), 1),
    "slow create": (dict(kind="latency", method="POST", path=r"/issues$", delay=0.3, times=3), 0),
    "502 on the publish": (dict(kind="status", method="PATCH", times=2), 0),
}


@pytest.mark.parametrize("fault, expected", FAULTS.values(), ids=FAULTS.keys())
def test_fault_during_creation(cli: Cli, fault: dict[str, Any], expected: int) -> None:
    fake = cli.fake
    fake.create_issue(REPO, "An unrelated issue")
    plan = write_plan()
    fake.inject(**fault)
    started = time.monotonic()
    result = cli(plan)
    elapsed = time.monotonic() - started
    assert result.exit_code == expected, result.output
    assert fake.faults_fired, "the fault never fired"
    if fault["kind"] == "secondary_rate_limit":
        assert elapsed >= 1  # Retry-After honoured
    assert_invariants(fake, plan, PLAN, complete=expected == 0)
    if expected:
        assert re.search(r"^error: .*(GitHub kept failing \(50\d|rerun later)", result.stderr, re.M)

    fake.faults.clear()  # GitHub is back
    result = cli(plan)
    assert result.exit_code == 0, result.output
    assert_invariants(fake, plan, PLAN)
    assert len(item_issues(fake)) == len(PLAN_ITEMS)
    assert cli(plan).exit_code == 0
    assert writes(fake) == []


def test_created_then_502_is_found_by_marker_not_recreated(cli: Cli) -> None:
    fake = cli.fake
    plan = write_plan()
    fake.inject("apply_then_status", method="POST", path=r"/issues$", nth=2)
    result = cli(plan)
    assert result.exit_code == 0, result.output
    assert len(creates(fake)) == 1 + len(PLAN_ITEMS)  # never re-sent
    lookups = [r for r in fake.requests if r.path.endswith("/issues") and r.method == "GET"]
    assert [r.query.get("direction") for r in lookups] == ["asc", "desc"]
    assert "created #2 '[Test] parses date-named directories' for line 8" in result.stderr
    assert_invariants(fake, plan, PLAN)


def test_retries_exhausted_mid_batch_keeps_the_links_made(cli: Cli) -> None:
    fake = cli.fake
    plan = write_plan()
    fake.inject("drop", method="POST", path=r"/issues$", nth=4, times=3)
    fake.inject("status", method="GET", path=r"/issues$", nth=2, times=20)
    result = cli(plan)
    assert result.exit_code == 1, result.output
    assert (
        "error: listing recent issues of octo/plan: GitHub kept failing (502 Bad Gateway); "
        "rerun later\n"
    ) in result.stderr
    text = read(plan)
    assert text.count("([#") == 2  # the two issues made before the fault, nothing half-written
    assert_invariants(fake, plan, PLAN, complete=False)
    master = fake.issue(REPO, 1)["body"]
    assert len(re.findall(r" \(#\d+\)", master)) == 2  # published with what was linked
    fake.faults.clear()
    assert cli(plan).exit_code == 0
    assert_invariants(fake, plan, PLAN)


def test_unreachable_github_is_one_line(cli: Cli) -> None:
    plan = write_plan()
    result = cli(plan, env=cli.env(GITHUB_API_URL="http://127.0.0.1:9"))
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(
        "error: reading repository octo/plan: could not reach 127.0.0.1:9 after 5 attempts "
        "(ConnectionError); check the network and rerun\n"
    )
    assert "rate limit left unknown" in summary_line(result)
    assert read(plan) == PLAN


def test_a_refused_create_fails_that_item_and_the_batch_goes_on(cli: Cli) -> None:
    """422 (here: an assignee GitHub does not know) is per item: reported, not retried."""
    plan = write_plan("- [ ] one\n- [ ] two\n")
    result = cli(plan, "--assignee", "ghost")
    assert result.exit_code == 1, result.output
    for line, text in ((2, "one"), (3, "two")):
        assert (
            f"error: line {line}: creating issue '[Test] {text}': GitHub refused it (422 "
            "Validation Failed: invalid assignees 'ghost')\n"
        ) in result.stderr
    assert len(creates(cli.fake)) == 3  # the master, then one attempt per item
    assert item_issues(cli.fake) == []
    assert_invariants(cli.fake, plan, "- [ ] one\n- [ ] two\n", complete=False)
    assert cli(plan).exit_code == 0
    assert_invariants(cli.fake, plan, "- [ ] one\n- [ ] two\n")


# ---------------------------------------------------------------------------
# --dry-run


def test_dry_run_offline_without_a_token(cli: Cli) -> None:
    plan = write_plan()
    env = {"CHECKLIST_WRITE_INTERVAL": None}
    result = cli(plan, "--dry-run", env=env)
    assert result.exit_code == 0, result.output
    assert cli.fake.requests == []
    assert read(plan) == PLAN
    err = result.stderr
    # the lines and their format are the real run's (the binding line is line 1 then)
    assert "would create '[Test] ...including an empty directory' for line 10\n" in err
    assert (
        "would create the master checklist issue 'Data loader test plan' and bind the plan to it\n"
    ) in err
    assert "duplicate check skipped: no token, so existing issues were not read\n" in err
    # the diff is data: stdout (so `--dry-run > plan.diff` works), the messages stderr
    out = result.stdout
    assert out.startswith("--- a/plan.md\n+++ b/plan.md\n")
    assert "+<!-- checklist-sync: https://github.com/OWNER/REPO/issues/? -->\n" in out
    assert "-- [ ] parses date-named directories\n" in out
    assert (
        "+- [ ] parses date-named directories ([#?](https://github.com/OWNER/REPO/issues/?))\n"
    ) in out
    assert "@@" not in err
    assert "5 issues to create: about 4s at one write every 1s\n" in err


def test_dry_run_with_a_token_only_reads(cli: Cli) -> None:
    fake = cli.fake
    fake.create_issue(REPO, "[Test] writes CSV with a header row")
    fake.add_milestone(REPO, "v1")
    plan = write_plan()
    result = cli(
        plan, "--dry-run", "--json", "--milestone", "v1", env=cli.env(CHECKLIST_WRITE_INTERVAL="2")
    )
    assert result.exit_code == 0, result.output
    assert writes(fake) == []
    assert {r.method for r in fake.requests} == {"GET"}
    assert read(plan) == PLAN
    err = result.stderr
    assert (
        "would create the master checklist issue 'Data loader test plan' and bind the plan to it\n"
    ) in err
    assert "would adopt #1 '[Test] writes CSV with a header row' for line 15 (by title)\n" in err
    assert "+<!-- checklist-sync: https://github.com/octo/plan/issues/? -->\n" in err
    assert "writes CSV with a header row ([#1](https://github.com/octo/plan/issues/1))\n" in err
    assert "4 issues to create: about 6s at one write every 2s\n" in err
    assert "duplicate check skipped" not in err
    assert json.loads(result.stdout)["would_create"] == 4
    assert len(fake.issues(REPO)) == 1


def test_dry_run_in_issue_mode(cli: Cli) -> None:
    number = cli.fake.create_issue(REPO, "Plan", "- [ ] one\n- [ ] two\n")["number"]
    result = cli("--master-issue", number, "--dry-run")
    assert result.exit_code == 0, result.output
    assert writes(cli.fake) == []
    assert "+- [ ] one (#?)\n+- [ ] two (#?)\n" in result.stdout
    assert "2 issues to create: about 0s at one write every 0s\n" in result.stderr


def test_dry_run_offline_needs_a_plan(cli: Cli) -> None:
    result = cli("--master-issue", 3, "--dry-run", env={})
    assert result.exit_code == 2
    assert result.stderr == (
        "error: --dry-run without a token needs a plan file (no issue to read)\n"
    )


# ---------------------------------------------------------------------------
# Options


def test_sub_issues_cost_one_request_per_issue(cli: Cli) -> None:
    fake = cli.fake
    adopted = fake.create_issue(REPO, "[Test] writes CSV with a header row")
    plan = write_plan()
    result = cli(plan, "--sub-issues")
    assert result.exit_code == 0, result.output
    master_no = bound_master(plan)
    attaches = [w for w in writes(fake) if w[1] == f"/repos/{REPO}/issues/{master_no}/sub_issues"]
    assert len(attaches) == len(PLAN_ITEMS)
    master = fake.issue(REPO, master_no)
    assert master["sub_issues_summary"]["total"] == len(PLAN_ITEMS)
    for issue in [*item_issues(fake), fake.issue(REPO, adopted["number"])]:
        assert issue["parent_issue_url"].endswith(f"/repos/{REPO}/issues/{master_no}")
    assert cli(plan, "--sub-issues").exit_code == 0
    assert writes(fake) == []


def test_sub_issue_limit_is_a_warning(cli: Cli) -> None:
    text = "".join(f"- [ ] case {n}\n" for n in range(101))
    plan = write_plan(text)
    result = cli(plan, "--sub-issues")
    assert result.exit_code == 1, result.output
    assert (
        "warning: line 102: #102 is not a sub-issue of #1: attaching sub-issue to #1: GitHub "
        "refused it (422 Validation Failed: Parent issue may have at most 100 sub-issues)\n"
    ) in result.stderr
    assert "101 created" not in summary_line(result)  # the master counts too
    assert "102 created" in summary_line(result) and "1 warning;" in summary_line(result)
    assert_invariants(cli.fake, plan, text)


@pytest.mark.parametrize("how", ["title", "number"])
def test_assignee_and_milestone(cli: Cli, how: str) -> None:
    fake = cli.fake
    fake.add_user("alice")
    fake.add_user("bob")
    fake.add_milestone(REPO, "v0.9")
    number = fake.add_milestone(REPO, "v1.0")
    plan = write_plan()
    milestone = "v1.0" if how == "title" else str(number)
    result = cli(plan, "--assignee", "alice", "--assignee", "bob", "--milestone", milestone)
    assert result.exit_code == 0, result.output
    for issue in item_issues(fake):
        assert [a["login"] for a in issue["assignees"]] == ["alice", "bob"]
        assert issue["milestone"]["title"] == "v1.0"
    master = fake.issue(REPO, 1)
    assert master["assignees"] == [] and master["milestone"] is None


def test_unknown_milestone_is_a_usage_error_before_any_write(cli: Cli) -> None:
    cli.fake.add_milestone(REPO, "v1.0")
    plan = write_plan()
    result = cli(plan, "--milestone", "v2.0")
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(
        "error: milestone 'v2.0' not found in octo/plan: pass its title or number\n"
    )
    assert writes(cli.fake) == []
    assert read(plan) == PLAN


def test_custom_labels_created_when_missing(cli: Cli) -> None:
    fake = cli.fake
    fake.add_label(REPO, "qa", "ff0000")
    plan = write_plan()
    result = cli(plan, "--label", "qa", "--label", "needs triage")
    assert result.exit_code == 0, result.output
    assert "created label 'needs triage'\n" in result.stderr
    assert "created label 'qa'" not in result.stderr
    labels = {label["name"]: label["color"] for label in fake.labels(REPO)}
    assert labels == {"qa": "ff0000", "needs triage": "0e8a16"}
    for issue in item_issues(fake):
        assert [label["name"] for label in issue["labels"]] == ["qa", "needs triage"]
    label_writes = [w for w in writes(fake) if w[1].endswith("/labels")]
    assert label_writes == [("POST", f"/repos/{REPO}/labels")]


def test_title_template(cli: Cli) -> None:
    plan = write_plan()
    result = cli(plan, "--title-template", "QA: {text} [{section}] <{parent}> {plan}")
    assert result.exit_code == 0, result.output
    titles = [i["title"] for i in item_issues(cli.fake)]
    assert titles[2] == (
        "QA: ...including an empty directory [Data loader test plan › Parsing] "
        "<rejects a directory with no date> plan.md"
    )
    assert (
        titles[0]
        == "QA: parses date-named directories [Data loader test plan › Parsing] <> plan.md"
    )


@pytest.mark.parametrize(
    "template, message",
    [
        (
            "[Test] {txt}",
            "--title-template '[Test] {txt}' is not valid ('txt'); use the fields {text} "
            "{section} {parent} {plan}",
        ),
        (
            "[Test] {text",
            "--title-template '[Test] {text' is not valid (expected '}' before end of string); "
            "use the fields {text} {section} {parent} {plan}",
        ),
        (
            "[Test] {0}",
            "--title-template '[Test] {0}' is not valid (Replacement index 0 out of "
            "range for positional args tuple); use the fields {text} {section} {parent} {plan}",
        ),
        ("[Test] {section}", "--title-template must contain {text}"),
    ],
)
def test_invalid_title_template_is_a_usage_error(cli: Cli, template: str, message: str) -> None:
    plan = write_plan()
    result = cli(plan, "--title-template", template)
    assert result.exit_code == 2, result.output
    assert result.stderr.endswith(f"\nError: {message}\n")
    assert cli.fake.requests == []


def test_long_title_is_truncated_to_256_characters(cli: Cli) -> None:
    words = " ".join(f"word{n}" for n in range(80))
    text = f"- [ ] {words}\n- [ ] more {words}\n"
    plan = write_plan(text)
    result = cli(plan)
    assert result.exit_code == 0, result.output
    titles = [i["title"] for i in item_issues(cli.fake)]
    assert all(len(t) == 256 and t.endswith("…") for t in titles)
    assert titles[0].startswith(f"[Test] {words[:100]}")
    # each item's full text stays in its issue body
    assert item_issues(cli.fake)[0]["body"].startswith(words + "\n")


def test_long_titles_that_only_differ_after_the_limit_are_skipped(cli: Cli) -> None:
    words = " ".join(f"word{n}" for n in range(80))
    text = f"- [ ] {words} one\n- [ ] {words} two\n"
    plan = write_plan(text)
    result = cli(plan)
    assert result.exit_code == 1, result.output
    assert "lines 2, 3: identical items would share the title" in result.stderr
    assert item_issues(cli.fake) == []


def test_control_characters_never_reach_a_title(cli: Cli) -> None:
    text = "- [ ] bell\x07 and\x1b[31m escape\x7f del\v tab\tok\n- [ ] developer 👩\u200d💻 mode\n"
    plan = write_plan(text)
    result = cli(plan)
    assert result.exit_code == 0, result.output
    titles = [i["title"] for i in item_issues(cli.fake)]
    assert titles[0] == "[Test] bell and [31m escape del tab ok"
    assert not any(ord(ch) < 32 or ord(ch) == 127 for ch in titles[0])
    assert titles[1] == "[Test] developer 👩\u200d💻 mode"  # an emoji sequence is text


# ---------------------------------------------------------------------------
# Bad input


def test_no_token(cli: Cli) -> None:
    plan = write_plan()
    result = cli(plan, env={"GITHUB_REPOSITORY": REPO, "GITHUB_API_URL": cli.fake.url})
    assert result.exit_code == 2
    assert result.stderr == (
        "error: no GitHub token: set GH_TOKEN or GITHUB_TOKEN in the environment or in .env "
        "(no .env found), or log in with `gh auth login` (a token with issues read/write access)\n"
    )
    assert cli.fake.requests == [] and read(plan) == PLAN


def test_token_from_dotenv_and_gh_token(cli: Cli) -> None:
    Path(".env").write_text(f"GH_TOKEN={cli.fake.token}\n")
    plan = write_plan()
    result = cli(plan, env=cli.env(GITHUB_TOKEN=None))
    assert result.exit_code == 0, result.output
    assert len(item_issues(cli.fake)) == len(PLAN_ITEMS)


def test_rejected_token_names_its_source(cli: Cli) -> None:
    bogus = "ghp_" + "y" * 36
    cli.secrets.add(bogus)
    Path(".env").write_text(f"GH_TOKEN={bogus}\n")
    plan = write_plan()
    result = cli(plan, env=cli.env(GITHUB_TOKEN=None))
    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"error: GitHub rejected the token from GH_TOKEN in {Path.cwd() / '.env'} (401 Bad "
        "credentials): replace it with a valid token with access to the repository's issues\n"
    )


def test_rejected_token(cli: Cli) -> None:
    bogus = "ghp_" + "x" * 36
    cli.secrets.add(bogus)
    plan = write_plan()
    result = cli(plan, env=cli.env(GITHUB_TOKEN=bogus))
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "error: GitHub rejected the token from GITHUB_TOKEN (401 Bad credentials): replace it "
        "with a valid token with access to the repository's issues\n"
    )
    assert read(plan) == PLAN


@pytest.mark.parametrize("mode", ["file", "issue"])
def test_read_only_token(cli: Cli, mode: str) -> None:
    fake = cli.fake
    fake.add_token("read-only-token", "read")
    cli.secrets.add("read-only-token")
    number = fake.create_issue(REPO, "Plan", "- [ ] one\n")["number"]
    plan = write_plan()
    args = [plan] if mode == "file" else ["--master-issue", number]
    result = cli(*args, env=cli.env(GITHUB_TOKEN="read-only-token"))
    assert result.exit_code == 2, result.output
    assert re.search(
        r"^error: (creating issue|creating label) '[^']+': the token may not do this \(403 "
        r"Resource not accessible by personal access token\); use a token with issues write "
        r"access to the repository$",
        result.stderr,
        re.M,
    )
    assert read(plan) == PLAN
    assert len(fake.issues(REPO)) == 1


def test_unknown_repository(cli: Cli) -> None:
    plan = write_plan()
    result = cli(plan, "--repo", "octo/nope")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "error: repository octo/nope not found, or the token cannot see it: check --repo / "
        "GITHUB_REPOSITORY and the token's access\n"
    )


def test_issues_disabled(cli: Cli) -> None:
    cli.fake.add_repo("octo/quiet", has_issues=False)
    plan = write_plan()
    result = cli(plan, env=cli.env(GITHUB_REPOSITORY="octo/quiet"))
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "error: issues are disabled in octo/quiet: enable them in the repository settings\n"
    )


def test_issues_disabled_answered_410(cli: Cli) -> None:
    """The repository says issues are on, the issues endpoints answer 410 (a stale cache)."""
    plan = write_plan()
    number = cli.fake.create_issue(REPO, "Plan", "- [ ] one\n")["number"]
    cli.fake.inject("status", path=r"/issues", status=410)
    result = cli("--master-issue", number)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(
        f"error: master issue #{number} of octo/plan not found (410): check --master-issue, or "
        "remove the binding line from the plan to publish a new one\n"
    )
    assert read(plan) == PLAN


def test_master_issue_not_found(cli: Cli) -> None:
    result = cli("--master-issue", 99)
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "error: master issue #99 of octo/plan not found (404): check --master-issue, or remove "
        "the binding line from the plan to publish a new one\n"
    )


@pytest.mark.parametrize(
    "setup, message",
    [
        (lambda: Path("missing.md"), "error: plan missing.md not found: check the path\n"),
        (
            lambda: Path("plans").mkdir() or Path("plans"),
            "error: plans is a directory: pass the plan's Markdown file\n",
        ),
        (
            lambda: Path("latin1.md").write_bytes(b"- [ ] caf\xe9\n") and Path("latin1.md"),
            "error: latin1.md is not UTF-8 (byte 9): re-save it as UTF-8\n",
        ),
    ],
    ids=["missing", "directory", "not-utf8"],
)
def test_unreadable_plan(cli: Cli, setup: Callable[[], Path], message: str) -> None:
    result = cli(setup())
    assert result.exit_code == 2
    assert result.stderr == message
    assert cli.fake.requests == []


def test_plan_with_no_items_creates_nothing(cli: Cli) -> None:
    """Decision: an unbound plan without task items is most likely the wrong file. Nothing is
    created (no master issue either) and nothing written; exit 0 with 0 items."""
    text = "# Notes\n\n- a plain list item\n\n```\n- [ ] code, not an item\n```\n"
    plan = write_plan(text)
    result = cli(plan, "--json")
    assert result.exit_code == 0, result.output
    assert (
        "plan.md has no checklist items (lines like `- [ ] text`): nothing to create, and no "
        "master issue\n"
    ) in result.stderr
    assert json.loads(result.stdout)["items"] == 0
    assert writes(cli.fake) == []
    assert read(plan) == text
    offline = cli(plan, "--dry-run", env={})
    assert offline.exit_code == 0
    assert "no master issue" in offline.stderr
    assert "would create the master" not in offline.stderr


def test_neither_plan_nor_master_issue(cli: Cli) -> None:
    result = cli()
    assert result.exit_code == 2
    assert result.stderr.endswith("\nError: pass a PLAN file or --master-issue N\n")


# ---------------------------------------------------------------------------
# Output levels


def test_verbose_shows_request_lines_without_the_token(cli: Cli) -> None:
    plan = write_plan()
    result = cli(plan, "-v")
    assert result.exit_code == 0, result.output
    assert "GET /repos/octo/plan -> 200\n" in result.stderr
    assert "POST /repos/octo/plan/issues -> 201\n" in result.stderr
    request_lines = re.findall(r"^(?:GET|POST|PATCH) /\S+ -> \d+$", result.stderr, re.M)
    assert len(request_lines) == len(cli.fake.requests)


def test_quiet_shows_errors_only(cli: Cli) -> None:
    plan = write_plan()
    result = cli(plan, "-q")
    assert result.exit_code == 0, result.output
    assert result.output == ""

    cli.fake.create_issue(REPO, "[Test] a new item")
    cli.fake.create_issue(REPO, "[Test] a new item")
    write_plan(read(plan) + "\n- [ ] a new item\n- [ ] another item\n")
    cli.fake.inject("status", method="POST", path=r"/issues$", nth=1, times=3)
    result = cli(plan, "-q", "--json")
    assert result.exit_code == 1
    # -q shows errors and warnings (a skip is one): they set the exit status
    assert result.stderr == (
        "skipped: line 26: '[Test] a new item' matches several issues (#7, #8) by title; link "
        "the right one in the checklist by hand\n"
        "error: creating issue '[Test] another item': GitHub kept failing (502 Bad Gateway); "
        "rerun later\n"
    )
    assert json.loads(result.stdout)["skipped"] == 1


# ---------------------------------------------------------------------------
# Request budgets


def seed_repository(fake: FakeGitHub, count: int) -> None:
    for n in range(count):
        if n % 10 == 0:
            fake.create_pull(REPO, f"Pull request {n}")
        else:
            fake.create_issue(REPO, f"Existing issue {n}", state="closed" if n % 3 else "open")


def test_budget_file_mode(cli: Cli) -> None:
    total, new = 250, 40
    seed_repository(cli.fake, total)
    text = "# Plan\n\n" + "".join(f"- [ ] case {n}\n" for n in range(new))
    plan = write_plan(text)
    result = cli(plan, "--json")
    assert result.exit_code == 0, result.output
    requests = cli.fake.requests
    kinds = Counter(
        (
            r.method,
            re.sub(r"^/repositories/\d+", "/repos/octo/plan", re.sub(r"/\d+$", "/N", r.path)),
        )
        for r in requests
    )
    assert kinds.pop(("POST", "/repos/octo/plan/issues")) == new + 1  # and the master issue
    assert kinds.pop(("GET", "/repos/octo/plan/issues")) == -(-total // 100)
    # the rest: repository, label check and creation, the master re-read and its update
    assert kinds == Counter(
        {
            ("GET", "/repos/octo/plan"): 1,
            ("GET", "/repos/octo/plan/labels/test"): 1,
            ("POST", "/repos/octo/plan/labels"): 1,
            ("GET", "/repos/octo/plan/issues/N"): 1,
            ("PATCH", "/repos/octo/plan/issues/N"): 1,
        }
    )
    assert json.loads(result.stdout)["requests"] == len(requests)


def test_budget_issue_mode(cli: Cli) -> None:
    total, new = 320, 30
    seed_repository(cli.fake, total)
    number = cli.fake.create_issue(REPO, "Plan", "".join(f"- [ ] case {n}\n" for n in range(new)))[
        "number"
    ]
    cli.fake.add_label(REPO, "test")
    result = cli("--master-issue", number)
    assert result.exit_code == 0, result.output
    per_item_gets = [
        r
        for r in cli.fake.requests
        if re.fullmatch(r"/repos/octo/plan/issues/\d+", r.path)
        and r.method == "GET"
        and r.path != f"/repos/{REPO}/issues/{number}"
    ]
    assert per_item_gets == []
    assert len(creates(cli.fake)) == new
    pages = -(-(total + 1) // 100)
    assert len(cli.fake.requests) == new + pages + 5  # repo, master, label, re-read, write


# ---------------------------------------------------------------------------
# The real entry point


def run_script(fake: FakeGitHub, *args: str, token: bool = True) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_ENV}
    if token:
        env.update(fake.env())
    env["CHECKLIST_WRITE_INTERVAL"] = "0"
    done = subprocess.run(
        [sys.executable, str(ROOT / "generate_issues.py"), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    for stream in (done.stdout, done.stderr):
        assert fake.token not in stream
        assert "Traceback" not in stream
    return done


def test_script_entry_point(fake_github: FakeGitHub) -> None:
    plan = write_plan()
    done = run_script(fake_github, str(plan), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["created"] == 1 + len(PLAN_ITEMS)
    assert_invariants(fake_github, plan, PLAN)

    again = run_script(fake_github, str(plan))
    assert again.returncode == 0, again.stderr
    assert "6 items: 0 created" in again.stderr


def test_script_errors_without_traceback(fake_github: FakeGitHub) -> None:
    plan = write_plan()
    done = run_script(fake_github, str(plan), token=False)
    assert done.returncode == 2
    assert done.stderr.startswith("error: no GitHub token")
    usage = run_script(fake_github, "--title-template", "{nope}", str(plan))
    assert usage.returncode == 2
    assert usage.stderr.endswith(
        "\nError: --title-template '{nope}' is not valid ('nope'); use "
        "the fields {text} {section} {parent} {plan}\n"
    )
    assert usage.stdout == ""


@pytest.mark.parametrize("value", ["inf", "nan", "3601"])
def test_a_write_interval_that_never_ends_is_a_usage_error(cli: Cli, value: str) -> None:
    plan = write_plan()
    result = cli(plan, "--write-interval", value)
    assert result.exit_code == 2
    assert "Invalid value for '--write-interval'" in result.stderr
    assert cli.fake.requests == [] and read(plan) == PLAN


def test_dry_run_with_a_token_but_no_repository_contacts_nobody(cli: Cli) -> None:
    """Many users have a token exported: the offline preview must not reach a placeholder."""
    plan = write_plan()
    result = cli(plan, "--dry-run", env=cli.env(GITHUB_REPOSITORY=None))
    assert result.exit_code == 0, result.output
    assert cli.fake.requests == []
    assert (
        "duplicate check skipped: no repository given (--repo), so existing issues were not read\n"
    ) in result.stderr
    assert read(plan) == PLAN


# ---------------------------------------------------------------------------
# Trust: only the repository's writers and the token's own user steer adoption

OUTSIDER = "mallory"
ISSUE_PLAN = "## Parsing\n\n- [ ] parses dates\n- [ ] rejects junk\n"


def forged_item_marker(master: int, plan: str, text: str) -> str:
    """The marker the tool would put in the issue of `text`: computable from the public plan."""
    item = next(i for i in cp.parse_checklist(plan) if i.text == text)
    return f"<!-- checklist-sync:item master={master} key={generate_issues.item_key(item)} -->"


@pytest.mark.parametrize(
    "association, login, kind, me, trusted",
    [
        ("OWNER", "octo", "User", "octocat", True),
        ("MEMBER", "alice", "User", "octocat", True),
        ("COLLABORATOR", "bob", "User", "octocat", True),
        ("CONTRIBUTOR", OUTSIDER, "User", "octocat", False),
        ("NONE", OUTSIDER, "User", "octocat", False),
        ("FIRST_TIME_CONTRIBUTOR", OUTSIDER, "User", "octocat", False),
        (None, OUTSIDER, "User", "octocat", False),
        # the token's own user, even without write access (their issues are the tool's)
        ("NONE", "OctoCat", "User", "octocat", True),
        ("CONTRIBUTOR", "octocat", "User", "octocat", True),
        # an integration's token (me None): its issues are its bot's
        ("NONE", "github-actions[bot]", "Bot", None, True),
        ("NONE", "checklist-app[bot]", "Bot", None, True),
        ("NONE", OUTSIDER, "User", None, False),
        # a personal token does not make every bot trusted
        ("NONE", "other-app[bot]", "Bot", "octocat", False),
    ],
)
def test_trusted_author(
    association: str | None, login: str, kind: str, me: str | None, trusted: bool
) -> None:
    issue = github_api.Issue.from_json(
        {"number": 1, "author_association": association, "user": {"login": login, "type": kind}}
    )
    assert generate_issues.trusted_author(issue, me) is trusted


def test_an_outsiders_planted_master_marker_is_not_adopted(cli: Cli) -> None:
    fake = cli.fake
    body = f"{HEADER}\n\n{PLAN}\n<!-- {cs.MASTER_MARKER} plan=plan.md digest=0123456789abcdef -->"
    planted = fake.create_issue(REPO, "Data loader test plan", body, user=OUTSIDER)
    plan = write_plan()
    result = cli(plan)
    assert result.exit_code == 0, result.output
    assert bound_master(plan) != planted["number"]
    assert fake.issue(REPO, planted["number"])["body"] == body  # never published there
    assert (
        f"ignored 1 issue by outside authors that look like this plan's: #{planted['number']}\n"
    ) in result.stderr
    assert len(master_issues(fake)) == 2  # ours and the planted one, never merged


def test_an_outsiders_title_or_forged_marker_is_not_adopted_and_ticks_nothing(cli: Cli) -> None:
    import sync_checklist

    fake = cli.fake
    master = fake.create_issue(REPO, "Test plan", ISSUE_PLAN)["number"]
    by_title = fake.create_issue(REPO, "[Test] parses dates", "me too", user=OUTSIDER)
    forged = fake.create_issue(
        REPO,
        "anything",
        "junk\n\n" + forged_item_marker(master, ISSUE_PLAN, "rejects junk"),
        user=OUTSIDER,
    )
    result = cli("--master-issue", master)
    assert result.exit_code == 0, result.output
    assert "0 adopted" in summary_line(result) and "2 created" in summary_line(result)
    assert (
        "ignored 2 issues by outside authors that look like this plan's: "
        f"#{by_title['number']}, #{forged['number']}\n"
    ) in result.stderr
    assert fake.comments(REPO, by_title["number"]) == []
    body = fake.issue(REPO, master)["body"]
    assert f"(#{by_title['number']})" not in body and f"(#{forged['number']})" not in body

    fake.close_issue(REPO, by_title["number"], "completed")
    fake.close_issue(REPO, forged["number"], "completed")
    synced = CliRunner().invoke(sync_checklist.main, ["--master-issue", str(master)], env=cli.env())
    assert synced.exit_code == 0, synced.output
    assert "[x]" not in fake.issue(REPO, master)["body"]


def test_two_outsider_twins_do_not_block_an_item(cli: Cli) -> None:
    fake = cli.fake
    twins = [
        fake.create_issue(REPO, "[Test] writes CSV with a header row", user=OUTSIDER)["number"]
        for _ in range(2)
    ]
    plan = write_plan()
    result = cli(plan)
    assert result.exit_code == 0, result.output
    assert "0 skipped" in summary_line(result)
    assert f"#{twins[0]}" not in read(plan) and f"#{twins[1]}" not in read(plan)
    assert f"ignored 2 issues by outside authors that look like this plan's: #{twins[0]}, " in (
        result.stderr
    )
    assert all(item.issue for item in cp.parse_checklist(read(plan)) if not item.checked)


@pytest.mark.parametrize("login", ["github-actions[bot]", "checklist-app[bot]", "contractor"])
def test_the_tools_own_issues_stay_adoptable_with_every_kind_of_token(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, login: str
) -> None:
    """An integration's token cannot read /user, and its issues (like those of a personal
    token's user who is no collaborator) say author_association NONE: a rerun after a crash
    still adopts what the crashed run created, for one extra request.
    """
    fake = cli.fake
    fake.add_token("ghs_integration_token_0123456789", "write", user=login, collaborator=False)
    cli.secrets.add("ghs_integration_token_0123456789")
    env = cli.env(GITHUB_TOKEN="ghs_integration_token_0123456789")
    plan = write_plan()
    with monkeypatch.context() as patch:
        crash_on_write(patch, 3)  # master and two issues made, the second one unlinked
        result = cli(plan, env=env, crash=True)
    assert isinstance(result.exception, Crash)
    assert {i["user"]["login"] for i in fake.issues(REPO)} == {login}
    assert {i["author_association"] for i in fake.issues(REPO)} == {"NONE"}

    result = cli(plan, env=env)
    assert result.exit_code == 0, result.output
    assert "(by marker)" in result.stderr and "ignored" not in result.stderr
    assert [r.path for r in fake.requests].count("/user") == 1
    assert_invariants(fake, plan, PLAN)


def test_adoption_never_reads_the_token_user_when_the_listing_suffices(cli: Cli) -> None:
    cli.fake.create_issue(REPO, "[Test] parses date-named directories")
    cli.fake.create_issue(REPO, "unrelated", user=OUTSIDER)
    result = cli(write_plan())
    assert result.exit_code == 0, result.output
    assert "1 adopted" in summary_line(result)
    assert "/user" not in [r.path for r in cli.fake.requests]


def test_a_locked_issue_refusing_the_adoption_comment_does_not_stop_the_batch(cli: Cli) -> None:
    fake = cli.fake
    locked = fake.create_issue(REPO, "[Test] parses date-named directories")["number"]
    fake.lock_issue(REPO, locked)
    other = fake.create_issue(REPO, "[Test] writes CSV with a header row")["number"]
    # the workflow's token: an integration, refused on a locked issue like any outsider
    fake.add_token("ghs_workflow_token_0123456789", "write", user="github-actions[bot]")
    cli.secrets.add("ghs_workflow_token_0123456789")
    plan = write_plan()
    result = cli(plan, env=cli.env(GITHUB_TOKEN="ghs_workflow_token_0123456789"))
    assert result.exit_code == 1, result.output
    assert (
        f"warning: line 8: no comment linking #{locked} to the checklist: #{locked} is locked, "
        "so it takes no comment; link it by hand if wanted\n"
    ) in result.stderr
    assert fake.comments(REPO, locked) == []
    assert len(fake.comments(REPO, other)) == 1
    assert "2 adopted" in summary_line(result) and "4 created" in summary_line(result)
    assert_invariants(fake, plan, PLAN)


# ---------------------------------------------------------------------------
# Output grows linearly with the plan


def big_plan(heading: int, distinct: int, identical: int) -> str:
    """A long heading (in every item's section path), distinct items, then a group of
    identical ones (each a twin of all the others)."""
    lines = [f"# {'h' * heading}", "", "## Parsing", ""]
    lines += [f"- [ ] item number {n} " + "t" * 100 for n in range(distinct)]
    lines += ["", "## Same", ""] + ["- [ ] the same item"] * identical
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("token", [False, True], ids=["offline", "with-token"])
def test_dry_run_output_is_linear_in_the_plan(cli: Cli, token: bool) -> None:
    # as big as a master issue can hold with every item linked and annotated
    text = big_plan(heading=10_000, distinct=40, identical=300)
    plan = write_plan(text)
    env = cli.env() if token else cli.env(GITHUB_TOKEN=None)
    result = cli("--dry-run", plan, env=env)
    assert result.exit_code == 1, result.output[-2000:]
    items = 40 + 300
    # the diff shows the heading once (context of the binding line); each message is bounded
    assert len(result.stderr) <= len(text) + 300 * items, len(result.stderr)
    assert result.stderr.count("identical items would share the title") == 1
    # line numbers as the real run says them: the binding line it writes first included
    assert "lines 49, 50, 51," in result.stderr and " and 280 more: identical" in result.stderr
    assert "300 skipped" in summary_line(result)


def test_a_run_reporting_many_twins_stays_linear(cli: Cli) -> None:
    text = big_plan(heading=10, distinct=0, identical=400)
    plan = write_plan(text)
    result = cli(plan)
    assert result.exit_code == 1, result.output[-2000:]
    assert len(result.stderr) <= 100 * 400, len(result.stderr)
    assert len(creates(cli.fake)) == 1  # the master issue only


# ---------------------------------------------------------------------------
# One master issue per plan


@pytest.mark.parametrize(
    "body, other",
    [
        ("", None),
        ("Our roadmap.", None),
        (cs.master_body("- [ ] a\n", "plan.md"), None),
        (cs.master_body("- [ ] a\n", "docs/plan.md"), "docs/plan.md"),
        (cs.master_body("- [ ] a\n", "copy.md"), "copy.md"),
        (cs.master_body("- [ ] a\n", "copy.md") + "\n\nedited", "copy.md"),
    ],
)
def test_other_plan(body: str, other: str | None) -> None:
    assert cs.other_plan(body, "plan.md") == other


def test_a_copied_plan_never_publishes_into_the_originals_master(cli: Cli) -> None:
    fake = cli.fake
    plan = write_plan()
    assert cli(plan).exit_code == 0
    master = bound_master(plan)
    published = fake.issue(REPO, master)["body"]
    copy = write_plan(
        read(plan).replace("## Writing\n", "## Writing\n\n- [ ] a new item\n"), "copy.md"
    )
    before = read(copy)

    result = cli(copy)
    assert result.exit_code == 1, result.output
    assert (
        f"error: issue #{master} is the master checklist of plan.md, not of copy.md; nothing "
        "written. If copy.md is a copy, remove its binding line to publish its own master "
        "issue; if plan.md was renamed to copy.md, rerun with --force\n"
    ) in result.stderr
    assert writes(fake) == [] and read(copy) == before
    assert fake.issue(REPO, master)["body"] == published

    # its sync still ticks the file's boxes, and leaves the other plan's master alone
    import sync_checklist

    fake.close_issue(REPO, cp.parse_checklist(before)[0].issue.number)  # type: ignore[union-attr]
    fake.reset_log()
    synced = CliRunner().invoke(sync_checklist.main, [str(copy)], env=cli.env())
    assert synced.exit_code == 1, synced.output
    assert f"warning: issue #{master} is the master checklist of plan.md, not of copy.md: " in (
        synced.stderr
    )
    assert "- [x] parses date-named directories" in read(copy)
    assert ("PATCH", f"/repos/{REPO}/issues/{master}") not in writes(fake)
    assert fake.issue(REPO, master)["body"] == published

    # a renamed plan takes its master over on purpose
    plan.unlink()
    result = cli(copy, "--force")
    assert result.exit_code == 0, result.output
    assert cs.split_master_body(fake.issue(REPO, master)["body"])[0] == "copy.md"
    assert cli(copy).exit_code == 0


def test_a_master_published_with_file_links_is_republished_once_in_issue_style(cli: Cli) -> None:
    """Masters written before the issue-body style carried the file's `([#2](URL))`: the next
    generate rewrites them once, so GitHub shows each issue's title and state."""
    plan = write_plan()
    assert cli(plan).exit_code == 0
    master = cli.fake.issue(REPO, 1)
    old_style = re.sub(r" \(#(\d+)\)", rf" ([#\1]({HTML}/\1))", master["body"])
    assert old_style != master["body"]
    cli.fake.edit_issue_body(REPO, 1, old_style)
    assert not cs.master_edited(old_style)  # the same plan: not an edit made on GitHub

    result = cli(plan)

    assert result.exit_code == 0, result.output
    assert "published plan.md to master checklist #1\n" in result.stderr
    assert cli.fake.issue(REPO, 1)["body"] == master["body"]
    assert cli(plan).exit_code == 0 and writes(cli.fake) == []  # once
