"""End-to-end tests of sync_checklist.py: the real command against the fake GitHub server,
in file mode (a plan bound to its master issue) and issue mode (the master body is the plan).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import checklist_parser as cp
import checklist_source as cs
import generate_issues
import github_api
import sync_checklist
from tests.conftest import run_cli
from tests.fake_github import FakeGitHub

REPO = "octo/plan"
OTHER = "octo/other"
HTML = "https://github.com"
MODES = ("file", "issue")


@pytest.fixture(autouse=True)
def _isolated(isolated: None, monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The shared isolation, and waits recorded instead of slept."""
    waits: list[float] = []
    # rate-limit waits run through the client's injectable sleep: record them, return at once
    monkeypatch.setitem(github_api.GitHubClient.__init__.__kwdefaults__, "sleep", waits.append)
    return waits


# ---------------------------------------------------------------------------
# Helpers


def invoke(fake: FakeGitHub, args: list[str], **env: str | None) -> Result:
    """Run sync_checklist.py in-process as a user would, against the fake."""
    return run_cli(sync_checklist, *args, fake=fake, env=env)


def lines(result: Result) -> list[str]:
    return result.stderr.splitlines()


def errors(result: Result) -> str:
    """The one error line of a run."""
    (line,) = [line for line in lines(result) if line.startswith("error: ")]
    return line


def summary(
    fake: FakeGitHub,
    items: int,
    checked: int = 0,
    unchecked: int = 0,
    warnings: int = 0,
    annotated: int = 0,
) -> str:
    """The summary line's start, with the request count the fake saw: sync's own counts."""
    return (
        f"{items} items: {checked} checked, {unchecked} unchecked, {annotated} annotated, "
        f"{warnings} warning{'' if warnings == 1 else 's'}; {len(fake.requests)} API requests, "
        "rate limit left "
    )


def writes(fake: FakeGitHub) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in fake.requests if r.method != "GET" and r.path != "/graphql"]


def graphql_calls(fake: FakeGitHub) -> int:
    return sum(1 for r in fake.requests if r.path == "/graphql")


def make_issues(fake: FakeGitHub, count: int, repo: str = REPO) -> list[int]:
    return [fake.create_issue(repo, f"[Test] item {i}")["number"] for i in range(count)]


def merge_closing(fake: FakeGitHub, issue: str, repo: str = REPO) -> int:
    """Open and merge a pull request whose body closes `issue`; its number."""
    number = fake.create_pull(repo, f"Fix {issue}", f"Closes {issue}")["number"]
    fake.merge_pull(repo, number)
    return number


_TOKEN_RE = re.compile(r"\{(?P<pr>PR )?(?P<repo>[\w.-]+/[\w.-]+)?#(?P<num>\d+)\}")


@dataclass
class Checklist:
    """A checklist linked to issues of the fake, in file or issue mode.

    Templates write the tool's own links as `{#12}` and PR annotations as `{PR #34}` (or
    `{PR octo/other#5}`); `render` turns them into the mode's style.
    """

    fake: FakeGitHub
    mode: str
    path: Path
    master: int = 0
    newline: str = "\n"

    def render(self, template: str) -> str:
        def one(m: re.Match[str]) -> str:
            num, repo = m["num"], m["repo"]
            label = f"{'PR ' if m['pr'] else ''}{repo or ''}#{num}"
            if self.mode == "issue":
                return f"({label})"
            kind = "pull" if m["pr"] else "issues"
            return f"([{label}]({HTML}/{repo or REPO}/{kind}/{num}))"

        return _TOKEN_RE.sub(one, template).replace("\n", self.newline)

    def binding(self) -> str:
        return f"<!-- checklist-sync: {HTML}/{REPO}/issues/{self.master} -->{self.newline}"

    def create(self, template: str) -> Checklist:
        text = self.render(template)
        if self.mode == "issue":
            self.master = self.fake.create_issue(REPO, "Test plan", text)["number"]
        else:
            self.master = self.fake.create_issue(REPO, "Test plan", "")["number"]
            full = self.binding() + text
            self.path.write_bytes(full.encode())
            self.fake.edit_issue_body(REPO, self.master, cs.master_body(full, "PLAN.md"))
        return self

    def expected(self, template: str) -> list[str]:
        text = self.render(template)
        if self.mode == "issue":
            return [text]
        full = self.binding() + text
        return [full, cs.master_body(full, "PLAN.md")]

    def documents(self) -> list[str]:
        body = self.fake.issue(REPO, self.master)["body"]
        if self.mode == "issue":
            return [body]
        return [self.path.read_bytes().decode(), body]

    def args(self) -> list[str]:
        return ["PLAN.md"] if self.mode == "file" else ["--master-issue", str(self.master)]

    def updated(self) -> list[str]:
        """The lines a run that changed both documents prints."""
        out = [f"updated master checklist #{self.master}"]
        return [*out, "updated PLAN.md"] if self.mode == "file" else out

    @property
    def fixed_reads(self) -> int:
        """Reads besides the state queries: the repository (file mode) and the master."""
        return 2 if self.mode == "file" else 1

    def sync(self, *extra: str, **env: str | None) -> Result:
        self.fake.reset_log()
        return invoke(self.fake, [*self.args(), *extra], **env)


@pytest.fixture(params=MODES)
def checklist(request: pytest.FixtureRequest, fake_github: FakeGitHub, tmp_path: Path) -> Checklist:
    return Checklist(fake_github, request.param, tmp_path / "PLAN.md")


# ---------------------------------------------------------------------------
# Plans made by generate_issues.py, then synced


@pytest.mark.parametrize("mode", MODES)
def test_generated_plan_ticks_item_closed_by_merged_pr(
    fake_github: FakeGitHub, tmp_path: Path, mode: str
) -> None:
    plan = "# Loader\n## Parsing\n- [ ] parses dates\n- [ ] rejects empty\n"
    if mode == "file":
        (tmp_path / "PLAN.md").write_text(plan)
        args = ["PLAN.md"]
    else:
        master = fake_github.create_issue(REPO, "Test plan", plan)["number"]
        args = ["--master-issue", str(master)]
    made = CliRunner().invoke(
        generate_issues.main, args, env={**fake_github.env(), "CHECKLIST_WRITE_INTERVAL": "0"}
    )
    assert made.exit_code == 0, made.output
    master = 1
    pr = merge_closing(fake_github, "#2")

    fake_github.reset_log()
    result = invoke(fake_github, args)
    assert result.exit_code == 0, result.output
    assert (
        lines(result)[0]
        == f"checked line {3 if mode == 'issue' else 4} 'parses dates' (#2 closed by PR #{pr})"
    )

    file_line = (
        f"- [x] parses dates ([#2]({HTML}/{REPO}/issues/2)) ([PR #{pr}]({HTML}/{REPO}/pull/{pr}))"
    )
    if mode == "file":
        assert (tmp_path / "PLAN.md").read_text() == (
            f"<!-- checklist-sync: {HTML}/{REPO}/issues/1 -->\n# Loader\n## Parsing\n"
            f"{file_line}\n- [ ] rejects empty ([#3]({HTML}/{REPO}/issues/3))\n"
        )
    body = fake_github.issue(REPO, master)["body"]
    # the master issue too is in the issue-body style, so GitHub shows titles and states
    assert f"- [x] parses dates (#2) (PR #{pr})" in body.splitlines()

    # a rerun finds everything in sync: reads only
    fake_github.reset_log()
    again = invoke(fake_github, args)
    assert again.exit_code == 0, again.output
    assert writes(fake_github) == []
    assert lines(again)[-1].startswith(summary(fake_github, 2))


# ---------------------------------------------------------------------------
# What every issue state does to its item, and everything else left alone

BEFORE = """\
# Data loader test plan

Intro with a reference to #3 in prose.

## Parsing
- [ ] a {#1}
- [ ] b {#2}
- [ ] c {#3}
  - [ ] d {#4}
* [ ] e {#5}

## Regressions
- [x] f {#6} {PR #40}
- [ ] g {#7} (not planned)
- [x] h {#8} {PR #41} -- flaky on CI, see log
- [ ] i {#9}
- [X] j {#10}
- [ ] unlinked item mentioning #1 in passing
- [ ] another unlinked item\t\x20

```text
- [ ] a code block, not an item {#3}
```

<!--
- [ ] commented out {#1}
-->

| table | - [ ] not an item {#2} |
| --- | --- |
final line without newline"""

AFTER = (
    BEFORE.replace("- [ ] a {#1}", "- [x] a {#1} {PR #12}")
    .replace("- [ ] b {#2}", "- [x] b {#2}")
    .replace("- [ ] c {#3}\n", "- [x] c {#3}\n")
    .replace("- [ ] d {#4}", "- [ ] d {#4} (not planned)")
    .replace("* [ ] e {#5}", "* [ ] e {#5} (duplicate)")
    .replace("- [x] f {#6} {PR #40}", "- [ ] f {#6}")
    .replace("- [ ] g {#7} (not planned)", "- [ ] g {#7}")
    # the link moves after the text that followed its annotations, which would make it prose
    .replace(
        "- [x] h {#8} {PR #41} -- flaky on CI, see log", "- [ ] h -- flaky on CI, see log {#8}"
    )
)


def close_all_ways(fake: FakeGitHub) -> int:
    """Issues 1-10 in every state BEFORE/AFTER expect; the number of the merged PR."""
    pr = merge_closing(fake, "#1")
    fake.close_issue(REPO, 2, commit="4b825dc642cb6eb9a060e54bf8d69288fbee4904")
    fake.close_issue(REPO, 3)
    fake.close_issue(REPO, 4, reason="not_planned")
    fake.close_issue(REPO, 5, reason="duplicate")
    for number in (6, 7, 8):
        fake.close_issue(REPO, number)
        fake.reopen_issue(REPO, number)
    fake.close_issue(REPO, 10)
    return pr


def line_of(text: str, start: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if line.startswith(start))


def test_every_issue_state_and_every_other_byte(checklist: Checklist) -> None:
    make_issues(checklist.fake, 10)
    checklist.create(BEFORE)
    assert close_all_ways(checklist.fake) == 12

    result = checklist.sync()

    assert result.exit_code == 0, result.output
    assert checklist.documents() == checklist.expected(AFTER)
    text = checklist.expected(AFTER)[0]
    expected_lines = [
        f"checked line {line_of(text, '- [x] a')} 'a' (#1 closed by PR #12)",
        f"checked line {line_of(text, '- [x] b')} 'b' (#2 closed as completed)",
        f"checked line {line_of(text, '- [x] c')} 'c' (#3 closed as completed)",
        f"annotated line {line_of(text, '  - [ ] d')} 'd' (#4, not planned)",
        f"annotated line {line_of(text, '* [ ] e')} 'e' (#5, duplicate)",
        f"unchecked line {line_of(text, '- [ ] f')} 'f' (#6 is open)",
        f"annotated line {line_of(text, '- [ ] g')} 'g' (#7)",
        f"unchecked line {line_of(text, '- [ ] h')} 'h' (#8 is open)",
        *checklist.updated(),
    ]
    assert lines(result)[:-1] == expected_lines
    assert lines(result)[-1].startswith(
        summary(checklist.fake, 12, checked=3, unchecked=2, annotated=3)
    )
    # one state query, the master re-read just before its one write
    assert graphql_calls(checklist.fake) == 1
    assert writes(checklist.fake) == [("PATCH", f"/repos/{REPO}/issues/{checklist.master}")]
    assert len(checklist.fake.requests) == checklist.fixed_reads + 3

    # a rerun changes nothing and writes nothing
    again = checklist.sync()
    assert again.exit_code == 0, again.output
    assert lines(again) == [lines(again)[-1]]
    assert writes(checklist.fake) == []
    assert checklist.documents() == checklist.expected(AFTER)


def test_pr_annotation_kept_while_issue_stays_closed(checklist: Checklist) -> None:
    make_issues(checklist.fake, 3)
    template = "- [x] a {#1} {PR #7}\n- [x] b {#2} {PR #8} my note\n- [ ] c {#3}\n"
    checklist.create(template)
    checklist.fake.close_issue(REPO, 1)  # by hand: GitHub names no PR now
    checklist.fake.close_issue(REPO, 2, commit="0123456789abcdef0123456789abcdef01234567")

    result = checklist.sync()

    assert result.exit_code == 0, result.output
    assert checklist.documents() == checklist.expected(template)
    assert len(checklist.fake.requests) == checklist.fixed_reads + 1
    assert writes(checklist.fake) == []


def test_deleted_and_transferred_issues_warn_and_keep_their_lines(checklist: Checklist) -> None:
    checklist.fake.add_repo(OTHER)
    make_issues(checklist.fake, 3)
    template = "- [ ] kept {#1}\n- [x] gone {#2}\n- [ ] moved {#3}\n"
    checklist.create(template)
    checklist.fake.close_issue(REPO, 1)
    checklist.fake.delete_issue(REPO, 2)
    assert checklist.fake.transfer_issue(REPO, 3, OTHER) == 1

    result = checklist.sync()

    assert result.exit_code == 1, result.output
    assert checklist.documents() == checklist.expected(template.replace("- [ ] kept", "- [x] kept"))
    first = 2 if checklist.mode == "file" else 1
    assert lines(result)[:-1] == [
        f"checked line {first} 'kept' (#1 closed as completed)",
        f"warning: line {first + 1} 'gone': issue #2 not found (deleted, or no access); "
        "line left unchanged",
        f"warning: line {first + 2} 'moved': issue #3 was transferred to {OTHER}#1; link the "
        "new issue (line left unchanged)",
        *checklist.updated(),
    ]
    assert lines(result)[-1].startswith(summary(checklist.fake, 3, checked=1, warnings=2))


def test_cross_repository_links_read_their_own_repository(checklist: Checklist) -> None:
    fake = checklist.fake
    fake.add_repo(OTHER)
    make_issues(fake, 2)  # octo/plan#1 and #2 stay open
    make_issues(fake, 2, repo=OTHER)
    template = (
        f"- [ ] same number elsewhere {OTHER}#1\n"
        f"- [ ] by URL {HTML}/{OTHER}/issues/2\n"
        "- [ ] here {#1}\n"
    )
    checklist.create(template)
    pr = merge_closing(fake, "#1", repo=OTHER)
    fake.close_issue(OTHER, 2, reason="not_planned")

    result = checklist.sync()

    assert result.exit_code == 0, result.output
    assert checklist.documents() == checklist.expected(
        template.replace(
            f"- [ ] same number elsewhere {OTHER}#1",
            f"- [x] same number elsewhere {OTHER}#1 {{PR {OTHER}#{pr}}}",
        ).replace("issues/2\n", "issues/2 (not planned)\n")
    )
    first = 2 if checklist.mode == "file" else 1
    assert lines(result)[:2] == [
        f"checked line {first} 'same number elsewhere' ({OTHER}#1 closed by PR {OTHER}#{pr})",
        f"annotated line {first + 1} 'by URL' ({OTHER}#2, not planned)",
    ]
    query = next(r.body["query"] for r in fake.requests if r.path == "/graphql")
    assert 'repository(owner: "octo", name: "other")' in query
    assert 'repository(owner: "octo", name: "plan")' in query


def test_links_written_by_users_are_never_rewritten(checklist: Checklist) -> None:
    fake = checklist.fake
    make_issues(fake, 6)
    template = (
        "- [ ] keyword closes #1\n"
        f"- [ ] bare url {HTML}/{REPO}/issues/2\n"
        f"- [ ] markdown link [#3]({HTML}/{REPO}/issues/3)\n"
        f"- [ ] autolink <{HTML}/{REPO}/issues/4>\n"
        "- [ ] #5\n"
        f"- [ ] qualified {REPO}#6\n"
        "- [ ] regression for bug #1 in the middle of the text\n"
    )
    checklist.create(template)
    prs = {n: merge_closing(fake, f"#{n}") for n in range(1, 7)}

    result = checklist.sync()

    assert result.exit_code == 0, result.output
    expected = template
    for number, line in zip(range(1, 7), template.splitlines()[:6], strict=True):
        ticked = line.replace("- [ ]", "- [x]", 1) + f" {{PR #{prs[number]}}}"
        expected = expected.replace(line + "\n", ticked + "\n")
    assert checklist.documents() == checklist.expected(expected)
    assert lines(result)[-1].startswith(summary(fake, 7, checked=6))


# ---------------------------------------------------------------------------
# Safe writes: fresh text, line endings, encodings


def test_edit_made_on_github_while_sync_reads_survives(
    checklist: Checklist, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = checklist.fake
    make_issues(fake, 2)
    checklist.create("# Plan\n- [ ] a {#1}\n- [ ] b {#2}\n")
    fake.close_issue(REPO, 2)
    b_line = checklist.render("- [ ] b {#2}")
    edited_line = checklist.render("- [ ] b (ask Ana), reworded {#2}")
    real = github_api.GitHubClient.fetch_issue_states

    def someone_edits_meanwhile(self: github_api.GitHubClient, refs: Any) -> Any:
        states = real(self, refs)
        # a human adds an item above (every line number shifts) and rewords item b; the
        # master issue is in the issue-body style in both modes
        body = fake.issue(REPO, checklist.master)["body"]
        body = body.replace("# Plan\n", "# Plan\n- [ ] added on GitHub\n").replace(
            "- [ ] b (#2)", "- [ ] b (ask Ana), reworded (#2)"
        )
        fake.edit_issue_body(REPO, checklist.master, body)
        if checklist.mode == "file":
            text = checklist.path.read_text()
            checklist.path.write_text(text.replace(b_line, edited_line))
        return states

    monkeypatch.setattr(github_api.GitHubClient, "fetch_issue_states", someone_edits_meanwhile)
    result = checklist.sync()

    assert result.exit_code == 0, result.output
    body = fake.issue(REPO, checklist.master)["body"]
    assert "# Plan\n- [ ] added on GitHub\n- [ ] a (#1)\n" in body
    assert "- [x] b (ask Ana), reworded (#2)\n" in body
    if checklist.mode == "file":
        assert (
            checklist.documents()[0]
            == checklist.expected("# Plan\n- [ ] a {#1}\n- [x] b (ask Ana), reworded {#2}\n")[0]
        )


def test_crlf_issue_body_keeps_crlf(fake_github: FakeGitHub, tmp_path: Path) -> None:
    checklist = Checklist(fake_github, "issue", tmp_path / "PLAN.md", newline="\r\n")
    make_issues(fake_github, 3)
    template = "# Plan\n\n- [ ] a {#1}\n- [x] b {#2} {PR #9}\n- [ ] c {#3}\n"
    checklist.create(template)
    pr = merge_closing(fake_github, "#1")
    fake_github.close_issue(REPO, 3, reason="not_planned")

    result = checklist.sync()

    assert result.exit_code == 0, result.output
    (body,) = checklist.documents()
    assert body == (
        f"# Plan\r\n\r\n- [x] a (#1) (PR #{pr})\r\n- [ ] b (#2)\r\n- [ ] c (#3) (not planned)\r\n"
    )


def test_bom_crlf_plan_file_keeps_its_bytes(fake_github: FakeGitHub, tmp_path: Path) -> None:
    plan = tmp_path / "PLAN.md"
    plan.write_bytes("\ufeff# Plan\r\n- [ ] a ünïcode\r\n- [ ] b\r\n\r\nEnd".encode())
    env = {**fake_github.env(), "CHECKLIST_WRITE_INTERVAL": "0"}
    made = CliRunner().invoke(generate_issues.main, ["PLAN.md"], env=env)
    assert made.exit_code == 0, made.output
    before = plan.read_bytes()
    assert before.startswith(b"\xef\xbb\xbf<!-- checklist-sync: ")
    fake_github.close_issue(REPO, 2)

    fake_github.reset_log()
    result = invoke(fake_github, ["PLAN.md"])

    assert result.exit_code == 0, result.output
    tick = "- [x] a ünïcode ([#2](".encode()
    assert plan.read_bytes() == before.replace("- [ ] a ünïcode ([#2](".encode(), tick)
    body = fake_github.issue(REPO, 1)["body"]
    assert "- [x] a ünïcode (#2)\r\n" in body
    assert "\n" not in body.replace("\r\n", "")  # CRLF throughout, as the plan has it


def test_file_without_binding_syncs_the_file_only(fake_github: FakeGitHub, tmp_path: Path) -> None:
    make_issues(fake_github, 1)
    plan = tmp_path / "PLAN.md"
    plan.write_text(f"- [ ] a ([#1]({HTML}/{REPO}/issues/1))\n")
    fake_github.close_issue(REPO, 1)

    result = invoke(fake_github, ["PLAN.md"])

    assert result.exit_code == 0, result.output
    assert plan.read_text() == f"- [x] a ([#1]({HTML}/{REPO}/issues/1))\n"
    assert lines(result)[:3] == [
        "no master issue is bound to PLAN.md: syncing the file only",
        "checked line 1 'a' (#1 closed as completed)",
        "updated PLAN.md",
    ]
    assert writes(fake_github) == []


# ---------------------------------------------------------------------------
# Modes of reporting: --check, --dry-run, --json, -v, -q


def test_check_in_sync_exits_0_without_writing(checklist: Checklist) -> None:
    make_issues(checklist.fake, 2)
    checklist.create("- [ ] a {#1}\n- [ ] b {#2}\n")

    result = checklist.sync("--check")

    assert result.exit_code == 0, result.output
    assert lines(result)[:-1] == ["--check: the checklist is in sync with GitHub; nothing written"]
    assert lines(result)[-1].startswith(summary(checklist.fake, 2))
    assert result.stdout == ""
    assert writes(checklist.fake) == []


def expected_diff(checklist: Checklist, old: str, new: str) -> list[str]:
    """The diff lines --check / --dry-run print for documents before/after (all one hunk)."""
    out: list[str] = []
    names = ["PLAN.md", f"issue #{checklist.master}"] if checklist.mode == "file" else []
    names = names or [f"issue #{checklist.master}"]
    for name, before, after in zip(
        names, checklist.expected(old), checklist.expected(new), strict=True
    ):
        a, b = before.splitlines(), after.splitlines()
        out += [f"--- a/{name}", f"+++ b/{name}", f"@@ -1,{len(a)} +1,{len(b)} @@"]
        removed: list[str] = []
        added: list[str] = []
        for x, y in [*zip(a, b, strict=True), (None, None)]:
            if x != y:
                removed.append(f"-{x}")
                added.append(f"+{y}")
                continue
            out += removed + added + ([f" {x}"] if x is not None else [])
            removed, added = [], []
        if not before.endswith("\n"):
            out.append("\\ No newline at end of file")  # the master body ends with its marker
    return out


def test_check_out_of_sync_prints_the_diff_and_exits_1(checklist: Checklist) -> None:
    make_issues(checklist.fake, 2)
    old, new = "- [ ] a {#1}\n- [ ] b {#2}\n", "- [x] a {#1}\n- [ ] b {#2}\n"
    checklist.create(old)
    checklist.fake.close_issue(REPO, 1)
    before = checklist.documents()

    result = checklist.sync("--check")

    assert result.exit_code == 1, result.output
    first = 2 if checklist.mode == "file" else 1
    assert lines(result)[:-1] == [
        f"would check line {first} 'a' (#1 closed as completed)",
        "error: the checklist is out of sync with GitHub (see the diff above)",
    ]
    assert result.stdout.splitlines() == expected_diff(checklist, old, new)  # data: stdout
    assert writes(checklist.fake) == []
    assert checklist.documents() == before


def test_dry_run_prints_the_diff_and_writes_nothing(checklist: Checklist) -> None:
    make_issues(checklist.fake, 2)
    old, new = "- [ ] a {#1}\n- [x] b {#2}\n", "- [x] a {#1}\n- [ ] b {#2}\n"
    checklist.create(old)
    checklist.fake.close_issue(REPO, 1)
    before = checklist.documents()

    result = checklist.sync("--dry-run")

    assert result.exit_code == 0, result.output
    first = 2 if checklist.mode == "file" else 1
    assert lines(result)[:-1] == [
        f"would check line {first} 'a' (#1 closed as completed)",
        f"would uncheck line {first + 1} 'b' (#2 is open)",
    ]
    assert result.stdout.splitlines() == expected_diff(checklist, old, new)
    # the counts are of what was written: nothing
    assert lines(result)[-1].startswith(summary(checklist.fake, 2))
    assert writes(checklist.fake) == []
    assert checklist.documents() == before


def test_json_summary_on_stdout(checklist: Checklist) -> None:
    checklist.fake.add_repo(OTHER)
    make_issues(checklist.fake, 3)
    make_issues(checklist.fake, 1, repo=OTHER)
    checklist.create(f"- [ ] a {{#1}}\n- [ ] b {{#2}}\n- [ ] c {{#3}}\n- [ ] d {OTHER}#1\n")
    pr = merge_closing(checklist.fake, "#1")
    checklist.fake.close_issue(REPO, 2, reason="duplicate")
    checklist.fake.delete_issue(REPO, 3)
    checklist.fake.close_issue(OTHER, 1)

    result = checklist.sync("--json")

    assert result.exit_code == 1, result.output
    payload = json.loads(result.stdout)
    first = 2 if checklist.mode == "file" else 1
    assert payload == {
        "items": 4,
        "created": 0,
        "adopted": 0,
        "checked": 2,
        "unchecked": 0,
        "annotated": 1,
        "skipped": 0,
        "warnings": 1,
        "failed": 0,
        "requests": len(checklist.fake.requests),
        "rate_limit_remaining": payload["rate_limit_remaining"],
        "repo": REPO,
        "master_issue": checklist.master,
        "dry_run": False,
        "out_of_sync": True,
        "error": None,
        "exit_code": 1,
        "changes": [
            {
                "action": "checked",
                "message": f"checked line {first} 'a' (#1 closed by PR #{pr})",
                "line": first,
                "issue": 1,
                "pr": pr,
                "repo": REPO,
            },
            {
                "action": "annotated",
                "message": f"annotated line {first + 1} 'b' (#2, duplicate)",
                "line": first + 1,
                "issue": 2,
                "pr": None,
                "repo": REPO,
            },
            {
                "action": "checked",
                "message": f"checked line {first + 3} 'd' ({OTHER}#1 closed as completed)",
                "line": first + 3,
                "issue": 1,
                "pr": None,
                "repo": OTHER,
            },
            {
                "action": "warning",
                "message": f"line {first + 2} 'c': issue #3 not found (deleted, or no access); "
                "line left unchanged",
                "line": first + 2,
                "issue": 3,
                "pr": None,
            },
        ],
    }
    assert isinstance(payload["rate_limit_remaining"], int)
    assert result.stdout.count("\n{") == 0 and result.stdout.startswith("{")  # one object


def test_verbose_shows_each_request_and_quiet_shows_nothing(checklist: Checklist) -> None:
    make_issues(checklist.fake, 1)
    checklist.create("- [ ] a {#1}\n")
    checklist.fake.close_issue(REPO, 1)

    verbose = checklist.sync("-v", "--dry-run")
    assert verbose.exit_code == 0, verbose.output
    issue = f"/repos/{REPO}/issues/{checklist.master}"
    requests = [line for line in lines(verbose) if " -> " in line]
    assert requests == [
        *([f"GET /repos/{REPO} -> 200"] if checklist.mode == "file" else []),
        f"GET {issue} -> 200",
        "POST /graphql -> 200",
    ]

    quiet = checklist.sync("-q")
    assert quiet.exit_code == 0, quiet.output
    assert quiet.output == ""
    assert checklist.documents() == checklist.expected("- [x] a {#1}\n")

    fake_github = checklist.fake
    fake_github.reopen_issue(REPO, 1)
    verbose = checklist.sync("-v")
    assert verbose.exit_code == 0, verbose.output
    issue = f"/repos/{REPO}/issues/{checklist.master}"
    requests = [line for line in lines(verbose) if " -> " in line]
    assert requests == [
        *([f"GET /repos/{REPO} -> 200"] if checklist.mode == "file" else []),
        f"GET {issue} -> 200",
        "POST /graphql -> 200",
        f"GET {issue} -> 200",
        f"PATCH {issue} -> 200",
    ]


def test_quiet_shows_errors_only(checklist: Checklist) -> None:
    make_issues(checklist.fake, 2)
    old, new = "- [ ] a {#1}\n- [ ] b {#2}\n", "- [x] a {#1}\n- [ ] b {#2}\n"
    checklist.create(old)
    checklist.fake.close_issue(REPO, 1)
    checklist.fake.delete_issue(REPO, 2)

    check = checklist.sync("-q", "--check")
    assert check.exit_code == 1
    # the diff --check was asked for (stdout), the warning and the verdict; no progress lines
    # or summary
    warning = f"warning: line {3 if checklist.mode == 'file' else 2} 'b': issue #2 not found"
    assert check.stdout.splitlines() == expected_diff(checklist, old, new)
    assert [line[: len(warning)] for line in lines(check)] == [
        warning,
        "error: the checklist is out of sync with GitHub (see the diff above)"[: len(warning)],
    ]

    # -q keeps the warning: it is why the exit status is 1
    result = checklist.sync("-q")
    assert result.exit_code == 1
    assert result.stderr.startswith(warning) and len(lines(result)) == 1
    assert checklist.documents() == checklist.expected(new)


# ---------------------------------------------------------------------------
# Rate limits and faults

TWO_ITEMS, TWO_ITEMS_SYNCED = "- [ ] a {#1}\n- [ ] b {#2}\n", "- [x] a {#1}\n- [ ] b {#2}\n"


@pytest.fixture
def one_closed(checklist: Checklist) -> Checklist:
    make_issues(checklist.fake, 2)
    checklist.create(TWO_ITEMS)
    checklist.fake.close_issue(REPO, 1)
    return checklist


def test_secondary_rate_limit_waits_retry_after(
    one_closed: Checklist, _isolated: list[float]
) -> None:
    one_closed.fake.inject("secondary_rate_limit", path="^/graphql$", retry_after=7)

    result = one_closed.sync()

    assert result.exit_code == 0, result.output
    assert _isolated == [7.0]
    assert [r.status for r in one_closed.fake.requests if r.path == "/graphql"] == [403, 200]
    assert one_closed.documents() == one_closed.expected(TWO_ITEMS_SYNCED)


def test_primary_rate_limit_waits_for_the_reset(
    one_closed: Checklist, _isolated: list[float]
) -> None:
    master = f"/issues/{one_closed.master}$"
    one_closed.fake.inject("primary_rate_limit", method="GET", path=master)

    result = one_closed.sync()

    assert result.exit_code == 0, result.output
    # the fake resets its window 2 s ahead; the client waits for it (plus a second's margin)
    assert len(_isolated) == 1 and 1.0 < _isolated[0] <= 3.0
    assert one_closed.documents() == one_closed.expected(TWO_ITEMS_SYNCED)


def test_server_errors_and_dropped_connections_are_retried(one_closed: Checklist) -> None:
    fake = one_closed.fake
    master = f"/issues/{one_closed.master}$"
    fake.inject("status", path="^/graphql$", status=502, times=2)
    fake.inject("drop", method="GET", path=master, nth=2)  # the re-read before the write
    fake.inject("apply_then_drop", method="PATCH", path=master)  # written, answer lost

    result = one_closed.sync()

    assert result.exit_code == 0, result.output
    assert one_closed.documents() == one_closed.expected(TWO_ITEMS_SYNCED)
    assert [r.status for r in fake.requests if r.path == "/graphql"] == [502, 502, 200]
    # the retry reads the body again, finds the write done, and sends nothing more
    assert [r.status for r in fake.requests if r.method == "PATCH"] == [None]
    assert len(fake.faults_fired) == 4


@pytest.mark.parametrize(
    ("fault", "where", "message"),
    [
        (
            {"kind": "status", "status": 502},
            ("PATCH", "master"),
            "updating issue #{master}: GitHub kept failing (502 Bad Gateway); rerun later",
        ),
        (
            {"kind": "drop"},
            ("POST", "graphql"),
            "reading issue states: could not reach {host} after 5 attempts (ConnectionError); "
            "check the network and rerun",
        ),
        (
            {"kind": "secondary_rate_limit", "retry_after": 3600},
            ("GET", "master"),
            # the re-read just before the write is part of the write
            "updating issue #{master}: GitHub rate limit still in force after waiting 0s; "
            "rerun later (nothing half-written)",
        ),
    ],
    ids=["5xx", "dropped", "rate-limit"],
)
def test_retries_running_out_leave_everything_unwritten(
    one_closed: Checklist, fault: dict[str, Any], where: tuple[str, str], message: str
) -> None:
    method, target = where
    path = "^/graphql$" if target == "graphql" else f"/issues/{one_closed.master}$"
    # GET master is read twice when all goes well: fail the second, after the file is decided
    nth = 2 if (method, target) == ("GET", "master") else 1
    one_closed.fake.inject(method=method, path=path, nth=nth, times=100, **fault)
    before = one_closed.documents()
    mtime = one_closed.path.stat().st_mtime_ns if one_closed.mode == "file" else None

    result = one_closed.sync()

    assert result.exit_code == 1, result.output
    host = one_closed.fake.url.removeprefix("http://")
    assert lines(result)[-2] == f"error: {message.format(master=one_closed.master, host=host)}"
    assert not [line for line in lines(result) if line.startswith("updated")]
    assert one_closed.documents() == before
    if mtime is not None:
        assert one_closed.path.stat().st_mtime_ns == mtime
    assert [r for r in one_closed.fake.requests if r.method == "PATCH" and r.status == 200] == []


# ---------------------------------------------------------------------------
# Bad input: exit 2 with a message that says what to do


def test_no_plan_and_no_master_issue_is_a_usage_error(fake_github: FakeGitHub) -> None:
    result = invoke(fake_github, [])
    assert result.exit_code == 2
    assert lines(result)[-1] == "Error: pass a PLAN file or --master-issue N"
    assert fake_github.requests == []


@pytest.mark.parametrize("mode", MODES)
def test_no_token(fake_github: FakeGitHub, tmp_path: Path, mode: str) -> None:
    (tmp_path / "PLAN.md").write_text("- [ ] a (#1)\n")
    args = ["PLAN.md"] if mode == "file" else ["--master-issue", "1"]
    result = invoke(fake_github, args, GITHUB_TOKEN=None)
    assert result.exit_code == 2
    assert lines(result) == [
        "error: no GitHub token: set GH_TOKEN or GITHUB_TOKEN in the environment or in .env "
        "(no .env found), or log in with `gh auth login` (a token with issues read/write access)"
    ]
    assert fake_github.requests == []


@pytest.mark.parametrize("mode", MODES)
def test_token_rejected(fake_github: FakeGitHub, tmp_path: Path, mode: str) -> None:
    (tmp_path / "PLAN.md").write_text("- [ ] a (#1)\n")
    args = ["PLAN.md"] if mode == "file" else ["--master-issue", "1"]
    wrong = "ghp_" + "Z" * 36
    result = invoke(fake_github, args, GITHUB_TOKEN=wrong)
    assert result.exit_code == 2
    assert errors(result) == (
        "error: GitHub rejected the token from GITHUB_TOKEN (401 Bad credentials): replace it "
        "with a valid token with access to the repository's issues"
    )
    assert wrong not in result.output
    assert len(fake_github.requests) == 1


@pytest.mark.parametrize("mode", MODES)
def test_unknown_repository(fake_github: FakeGitHub, tmp_path: Path, mode: str) -> None:
    (tmp_path / "PLAN.md").write_text("- [ ] a (#1)\n")
    args = ["PLAN.md"] if mode == "file" else ["--master-issue", "1"]
    result = invoke(fake_github, args, GITHUB_REPOSITORY="octo/missing")
    assert result.exit_code == 2
    assert errors(result) == (
        "error: repository octo/missing not found, or the token cannot see it: check --repo / "
        "GITHUB_REPOSITORY and the token's access"
    )


@pytest.mark.parametrize("mode", MODES)
def test_issues_disabled(fake_github: FakeGitHub, tmp_path: Path, mode: str) -> None:
    fake_github.add_repo("octo/quiet", has_issues=False)
    (tmp_path / "PLAN.md").write_text("- [ ] a (#1)\n")
    args = ["PLAN.md"] if mode == "file" else ["--master-issue", "1"]
    result = invoke(fake_github, args, GITHUB_REPOSITORY="octo/quiet")
    assert result.exit_code == 2
    assert errors(result) == (
        "error: issues are disabled in octo/quiet: enable them in the repository settings"
    )


def test_master_issue_not_found(fake_github: FakeGitHub) -> None:
    result = invoke(fake_github, ["--master-issue", "42"])
    assert result.exit_code == 2
    assert lines(result)[0] == (
        "error: master issue #42 of octo/plan not found (404): check --master-issue, or remove "
        "the binding line from the plan to publish a new one"
    )


def test_master_issue_deleted(checklist: Checklist) -> None:
    make_issues(checklist.fake, 1)
    checklist.create("- [ ] a {#1}\n")
    checklist.fake.close_issue(REPO, 1)
    checklist.fake.delete_issue(REPO, checklist.master)
    before = checklist.path.read_bytes() if checklist.mode == "file" else None

    result = checklist.sync()

    assert result.exit_code == 2
    assert errors(result) == (
        f"error: master issue #{checklist.master} of octo/plan not found (410): check "
        "--master-issue, or remove the binding line from the plan to publish a new one"
    )
    if before is not None:
        assert checklist.path.read_bytes() == before
    assert writes(checklist.fake) == []


def test_master_issue_transferred_is_not_followed(checklist: Checklist) -> None:
    fake = checklist.fake
    fake.add_repo(OTHER)
    make_issues(fake, 1)
    make_issues(fake, 1, repo=OTHER)
    checklist.create("- [ ] a {#1}\n")
    fake.close_issue(REPO, 1)
    moved = fake.transfer_issue(REPO, checklist.master, OTHER)
    body = fake.issue(OTHER, moved)["body"]

    result = checklist.sync()

    # followed, the redirect would tick `(#1)` in octo/other, where #1 is another issue
    assert result.exit_code == 2
    assert errors(result) == (
        f"error: master issue #{checklist.master} of {REPO} was transferred to {OTHER}#{moved}: "
        "point --master-issue (or the plan's binding line) at a master issue of this repository"
    )
    assert fake.issue(OTHER, moved)["body"] == body
    assert writes(fake) == []


def test_plan_bound_to_another_repository(fake_github: FakeGitHub, tmp_path: Path) -> None:
    (tmp_path / "PLAN.md").write_text(
        f"<!-- checklist-sync: {HTML}/octo/elsewhere/issues/3 -->\n- [ ] a (#1)\n"
    )
    result = invoke(fake_github, ["PLAN.md"])
    assert result.exit_code == 2
    assert lines(result) == [
        f"error: PLAN.md is bound to {HTML}/octo/elsewhere/issues/3, not to an issue of "
        "octo/plan: fix the binding line or pass --repo"
    ]
    assert fake_github.requests == []


def test_plan_missing(fake_github: FakeGitHub) -> None:
    result = invoke(fake_github, ["nope.md"])
    assert result.exit_code == 2
    assert lines(result) == ["error: plan nope.md not found: check the path"]
    assert fake_github.requests == []


def test_plan_not_utf8(fake_github: FakeGitHub, tmp_path: Path) -> None:
    (tmp_path / "PLAN.md").write_bytes(b"- [ ] caf\xe9 (#1)\n")
    result = invoke(fake_github, ["PLAN.md"])
    assert result.exit_code == 2
    assert lines(result) == ["error: PLAN.md is not UTF-8 (byte 9): re-save it as UTF-8"]
    assert fake_github.requests == []


def test_token_from_gh_token_or_dotenv(fake_github: FakeGitHub, tmp_path: Path) -> None:
    make_issues(fake_github, 1)
    master = fake_github.create_issue(REPO, "Plan", "- [ ] a (#1)\n")["number"]
    args = ["--master-issue", str(master), "--check"]
    via_gh = invoke(fake_github, args, GITHUB_TOKEN=None, GH_TOKEN=fake_github.token)
    assert via_gh.exit_code == 0, via_gh.output
    (tmp_path / ".env").write_text(f"GITHUB_TOKEN={fake_github.token}\n")
    via_dotenv = invoke(fake_github, args, GITHUB_TOKEN=None)
    assert via_dotenv.exit_code == 0, via_dotenv.output


# ---------------------------------------------------------------------------
# Request budgets (SPEC "Request budgets"), measured with the fake's request log


@pytest.mark.parametrize("size", [250])
def test_request_budgets(checklist: Checklist, monkeypatch: pytest.MonkeyPatch, size: int) -> None:
    fake = checklist.fake
    make_issues(fake, size)
    checklist.create("".join(f"- [ ] item {n} {{#{n}}}\n" for n in range(1, size + 1)))
    pages = math.ceil(size / 100)
    file_writes: list[str] = []
    real_write = cs.PlanFile.write

    def counting_write(self: cs.PlanFile, text: str) -> None:
        file_writes.append(text)
        real_write(self, text)

    monkeypatch.setattr(cs.PlanFile, "write", counting_write)

    # nothing changed: one state query per 100 items and O(1) reads, no write
    result = checklist.sync()
    assert result.exit_code == 0, result.output
    assert graphql_calls(fake) == pages
    assert len(fake.requests) == pages + checklist.fixed_reads
    assert writes(fake) == [] and file_writes == []

    # k newly closed by merged PRs: at most pages + k + O(1), one write per document
    closed = [3, 99, 100, 101, 250]
    for number in closed:
        merge_closing(fake, f"#{number}")
    result = checklist.sync()
    assert result.exit_code == 0, result.output
    assert len(fake.requests) <= pages + len(closed) + checklist.fixed_reads + 2
    assert len(fake.requests) == pages + checklist.fixed_reads + 2  # the re-read, the write
    assert writes(fake) == [("PATCH", f"/repos/{REPO}/issues/{checklist.master}")]
    assert len(file_writes) == (1 if checklist.mode == "file" else 0)
    assert sum(1 for line in lines(result) if line.startswith("checked line")) == len(closed)

    # and the item already ticked with its PR costs nothing more while its issue stays closed
    result = checklist.sync()
    assert result.exit_code == 0, result.output
    assert len(fake.requests) == pages + checklist.fixed_reads
    assert writes(fake) == []


def test_body_already_synced_by_a_concurrent_run_is_not_written_again(
    checklist: Checklist, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = checklist.fake
    make_issues(fake, 1)
    checklist.create("- [ ] a {#1}\n")
    fake.close_issue(REPO, 1)
    synced = checklist.expected("- [x] a {#1}\n")
    real = github_api.GitHubClient.fetch_issue_states

    def other_run_writes_meanwhile(self: github_api.GitHubClient, refs: Any) -> Any:
        states = real(self, refs)
        fake.edit_issue_body(REPO, checklist.master, synced[-1])
        return states

    monkeypatch.setattr(github_api.GitHubClient, "fetch_issue_states", other_run_writes_meanwhile)
    result = checklist.sync()

    assert result.exit_code == 0, result.output
    assert writes(fake) == []
    assert checklist.documents() == synced


def test_annotation_beyond_the_body_limit_is_refused(
    fake_github: FakeGitHub, tmp_path: Path
) -> None:
    checklist = Checklist(fake_github, "issue", tmp_path / "PLAN.md")
    make_issues(fake_github, 1)
    filler = "x" * (cs.ISSUE_BODY_LIMIT - len("- [ ] a (#1)\n") - 1)
    checklist.create(f"{filler}\n- [ ] a {{#1}}\n")
    merge_closing(fake_github, "#1")
    before = checklist.documents()

    result = checklist.sync()

    assert result.exit_code == 1
    assert errors(result) == (
        f"error: issue #{checklist.master} would exceed GitHub's 65536-character body limit; "
        "split the checklist"
    )
    assert checklist.documents() == before


def test_a_master_over_the_body_limit_still_lets_the_file_sync(
    fake_github: FakeGitHub, tmp_path: Path
) -> None:
    """A master that fit when published, pushed over the limit by an annotation: the file is
    synced anyway and the master's problem is a warning that says what to do (exit 1)."""
    checklist = Checklist(fake_github, "file", tmp_path / "PLAN.md")
    make_issues(fake_github, 1)
    probe = cs.master_body(checklist.render(checklist.binding() + "\n- [ ] a {#1}\n"), "PLAN.md")
    filler = "x" * (cs.ISSUE_BODY_LIMIT - len(probe) - 5)
    checklist.create(f"{filler}\n- [ ] a {{#1}}\n")
    assert len(fake_github.issue(REPO, checklist.master)["body"]) <= cs.ISSUE_BODY_LIMIT
    merge_closing(fake_github, "#1")
    master_before = fake_github.issue(REPO, checklist.master)["body"]

    result = checklist.sync()

    assert result.exit_code == 1, result.output
    assert (
        f"warning: master checklist #{checklist.master} not updated: issue #{checklist.master} "
        "would exceed GitHub's 65536-character body limit; split the checklist (the plan file "
        "is synced; shorten the plan or split it, then rerun)"
    ) in lines(result)
    assert "updated PLAN.md" in lines(result)
    assert f"- [x] a ([#1]({HTML}/{REPO}/issues/1)) ([PR #3]" in checklist.path.read_text()
    assert fake_github.issue(REPO, checklist.master)["body"] == master_before
    assert not [line for line in lines(result) if line.startswith("error:")]


def test_a_master_github_refuses_to_write_still_lets_the_file_sync(
    fake_github: FakeGitHub, tmp_path: Path
) -> None:
    # file mode only: in issue mode the master is the only document
    one_closed = Checklist(fake_github, "file", tmp_path / "PLAN.md")
    make_issues(fake_github, 2)
    one_closed.create(TWO_ITEMS)
    fake_github.close_issue(REPO, 1)
    one_closed.fake.inject(
        "status", method="PATCH", path=f"/issues/{one_closed.master}$", status=403, times=10
    )
    master_before = one_closed.documents()[1]

    result = one_closed.sync()

    assert result.exit_code == 2, result.output
    assert errors(result).startswith(f"error: updating issue #{one_closed.master}: the token may")
    assert "updated PLAN.md" in lines(result)
    assert one_closed.documents()[0] != master_before and "- [x]" in one_closed.documents()[0]
    assert one_closed.documents()[1] == master_before


# ---------------------------------------------------------------------------
# Which Actions events may skip the sync: never one that a full sync would act on

PR_CLOSED = {"action": "closed", "pull_request": {"number": 8, "merged": False}}
PR_MERGED = {"action": "closed", "pull_request": {"number": 7, "merged": True}}
ISSUE_CLOSED = {"action": "closed", "issue": {"number": 5}}


@pytest.mark.parametrize(
    "name, event, linked, stops",
    [
        # a pull request closed unmerged closes no issue...
        ("pull_request", PR_CLOSED, {2, 3}, True),
        ("pull_request_target", PR_CLOSED, {2, 3}, True),
        ("", PR_CLOSED, {2, 3}, True),  # the payload alone says it is a pull request
        # ...but an item that links the pull request itself is annotated "(not planned)"
        ("pull_request", PR_CLOSED, {2, 8}, False),
        ("pull_request_target", PR_CLOSED, {8}, False),
        # before the checklist is read, nothing says it is not an item
        ("pull_request", PR_CLOSED, None, False),
        # a merge closes the issues it names: always a sync
        ("pull_request", PR_MERGED, {2, 3}, False),
        ("pull_request", PR_MERGED, None, False),
        ("pull_request", {"action": "opened", "pull_request": {"number": 8}}, {2}, False),
        ("pull_request", {"action": "closed", "pull_request": None}, {2}, True),
        # an issue event concerns the checklist only when it links that issue
        ("issues", ISSUE_CLOSED, {2, 3}, True),
        ("issues", ISSUE_CLOSED, {5}, False),
        ("issues", ISSUE_CLOSED, None, False),
        ("issues", {"action": "closed", "issue": "junk"}, {2}, False),
        ("schedule", {}, {2}, False),
        ("workflow_dispatch", {"inputs": {}}, set(), False),
    ],
)
def test_decide_event(
    name: str, event: dict[str, Any], linked: set[int] | None, stops: bool
) -> None:
    reason = sync_checklist.decide_event(name, event, linked)
    assert (reason is not None) is stops, reason
    if reason:
        assert reason.endswith(": nothing to sync")


def test_messages_cap_long_item_texts(checklist: Checklist) -> None:
    """Each change is one short line, however long its item: output stays linear in the plan."""
    issues = make_issues(checklist.fake, 30)
    template = "".join(f"- [ ] item {n} {'x' * 1500} {{#{n}}}\n" for n in issues)
    checklist.create(template)
    for number in issues:
        checklist.fake.close_issue(REPO, number)
    result = checklist.sync()
    assert result.exit_code == 0, result.output[-1000:]
    checked = [line for line in lines(result) if line.startswith("checked line")]
    assert len(checked) == 30
    assert all(len(line) < 150 and "xxxx…'" in line for line in checked), checked[0]


def _item(checked: bool, pr: int | None = None, note: str | None = None) -> cp.ChecklistItem:
    return cp.ChecklistItem(
        line_no=1,
        checked=checked,
        text="t",
        indent=0,
        depth=0,
        parent=None,
        section=(),
        issue=cp.IssueRef(14),
        pr=cp.IssueRef(pr) if pr else None,
        note=note,
    )


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        pytest.param(_item(False), _item(True, pr=9), "#14 closed by PR #9", id="ticked-by-pr"),
        pytest.param(_item(False), _item(True), "#14 closed as completed", id="ticked-no-pr"),
        pytest.param(_item(True), _item(False), "#14 is open", id="unticked-open"),
        pytest.param(
            _item(True), _item(False, note="not planned"), "#14 closed as not planned", id="np"
        ),
        pytest.param(
            _item(True), _item(False, note="duplicate"), "#14 closed as a duplicate", id="dup"
        ),
        pytest.param(
            _item(False), _item(False, note="not planned"), "#14, not planned", id="annotated"
        ),
        pytest.param(_item(True), _item(True, pr=9), "#14, PR #9", id="pr-added"),
    ],
)
def test_a_change_line_says_why_a_box_changed(
    old: cp.ChecklistItem, new: cp.ChecklistItem, words: str
) -> None:
    assert sync_checklist.change_words(old, new.checked, new.pr, new.note, "octo/plan") == words
