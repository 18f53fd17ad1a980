#!/usr/bin/env python3
"""Recalculate every box of a checklist from live GitHub state: closed as completed is [x]
with the PR that closed it, reopened is [ ] again. Re-running it always repairs desync.
"""

from __future__ import annotations

import sys

from checklist_version import require_python

require_python()  # before any import that fails on an older Python

import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

import checklist_parser as cp
import checklist_source as cs
from github_api import (
    MAX_ISSUE_NUMBER,
    AppCredentials,
    ConfigError,
    CreateUncertain,
    GitHubClient,
    GitHubUnavailable,
    Issue,
    IssueState,
    NotFound,
    ToolError,
)
from report import (
    SYNC_COUNTS,
    Reporter,
    ToolCommand,
    output_options,
    quoted,
    unified_diff,
    write_step_summary,
)

# ---------------------------------------------------------------------------
# Pure decisions: what a box should become


@dataclass(frozen=True)
class Decision:
    """The wanted state of one item, or a warning when its issue cannot be read."""

    checked: bool | None = None
    pr: cp.IssueRef | None = None
    note: str | None = None
    warning: str | None = None


class ItemWarning(str):
    """A warning's text, carrying the line and issue it is about (for --json and the
    Actions annotation); still a plain string wherever one is expected.
    """

    line: int | None
    issue: int | None

    def __new__(cls, text: str, line: int | None = None, issue: int | None = None) -> ItemWarning:
        self = super().__new__(cls, text)
        self.line, self.issue = line, issue
        return self


def decide(item: cp.ChecklistItem, state: IssueState | None, repo: str) -> Decision:
    """What the item's box and annotations should be, given its issue's live state."""
    assert item.issue is not None
    target, number = item.issue.key(repo)
    where = f"line {item.line_no} {quoted(item.text)}: issue {short_ref(item.issue, repo)}"
    if number > MAX_ISSUE_NUMBER:
        return Decision(
            warning=f"{where} is out of range (GitHub's issue numbers stop at "
            f"{MAX_ISSUE_NUMBER}); fix the link (line left unchanged)"
        )
    if state is None:
        return Decision(warning=f"{where} not found (deleted, or no access); line left unchanged")
    if state.repo.lower() != target or state.number != number:
        return Decision(
            warning=f"{where} was transferred to {state.repo}#{state.number}; link the new "
            "issue (line left unchanged)"
        )
    if state.state == "open":
        return Decision(checked=False)
    if state.state_reason == "not_planned":
        return Decision(checked=False, note=cp.NOTE_NOT_PLANNED)
    if state.state_reason == "duplicate":
        return Decision(checked=False, note=cp.NOTE_DUPLICATE)
    pr = item.pr  # closed without a PR we can see: a PR annotation already there stays
    if state.closing_pr is not None:
        pr_repo, pr_number, pr_url = state.closing_pr
        pr = cp.IssueRef(pr_number, None if pr_repo.lower() == repo.lower() else pr_repo, pr_url)
    return Decision(checked=True, pr=pr)


def _same_ref(a: cp.IssueRef | None, b: cp.IssueRef | None, repo: str) -> bool:
    if a is None or b is None:
        return a is b
    return a.key(repo) == b.key(repo)


States = dict[tuple[str, int], IssueState | None]


def decide_all(items: list[cp.ChecklistItem], states: States, repo: str) -> dict[int, Decision]:
    """decide() of every linked item, by line: the edits and the progress table share it."""
    return {
        item.line_no: decide(item, states.get(item.issue.key(repo)), repo)
        for item in items
        if item.issue is not None
    }


def plan_edits(
    items: list[cp.ChecklistItem],
    states: States,
    repo: str,
    decided: dict[int, Decision] | None = None,
) -> tuple[list[cp.Edit], list[str]]:
    """The edits that bring every linked item in line with its issue, and the warnings;
    `decided` is decide_all's answer when the caller has it already."""
    if decided is None:
        decided = decide_all(items, states, repo)
    edits: list[cp.Edit] = []
    warnings: list[str] = []
    for item in items:
        if item.issue is None:
            continue
        decision = decided[item.line_no]
        if decision.warning:
            warnings.append(ItemWarning(decision.warning, item.line_no, item.issue.number))
            continue
        if (
            item.checked == decision.checked
            and _same_ref(item.pr, decision.pr, repo)
            and item.note == decision.note
        ):
            continue
        edits.append(
            cp.Edit(item.line_no, checked=decision.checked, pr=decision.pr, note=decision.note)
        )
    return edits, warnings


def sync_text(
    text: str,
    states: dict[tuple[str, int], IssueState | None],
    repo: str,
    style: str,
    items: list[cp.ChecklistItem] | None = None,
    decided: dict[int, Decision] | None = None,
) -> tuple[str, list[cp.Edit], list[str]]:
    """The text with every linked item brought in line; `items` (and their `decided`) when
    already parsed."""
    if items is None:
        items = cp.parse_checklist(text)
    edits, warnings = plan_edits(items, states, repo, decided)
    return cp.apply_edits(text, edits, style=style, items=items), edits, warnings


PROGRESS_GROUPS = (
    "Done",
    "Open",
    "Not planned / duplicate",
    "Unreadable (deleted, transferred)",
    "Ticked by hand (no issue)",
    "Not linked",
)


@dataclass(frozen=True)
class ProgressRow:
    """One linked item as the progress table and the server's page show it."""

    text: str
    issue: str
    issue_url: str | None
    group: str
    why: str
    pr: str = ""
    pr_url: str | None = None


def progress_summary(
    items: list[cp.ChecklistItem],
    states: States,
    repo: str,
    decided: dict[int, Decision] | None = None,
) -> tuple[dict[str, int], list[ProgressRow]]:
    """Counts per group (plus "Not linked") and one row per linked item."""
    if decided is None:
        decided = decide_all(items, states, repo)
    groups: dict[str, int] = dict.fromkeys(PROGRESS_GROUPS, 0)
    rows: list[ProgressRow] = []
    for item in items:
        if item.issue is None:
            groups["Ticked by hand (no issue)" if item.checked else "Not linked"] += 1
            continue
        state = states.get(item.issue.key(repo))
        decision = decided[item.line_no]
        issue_url = state.url if state is not None else item.issue.url
        pr = pr_url = None
        if decision.warning:
            group = "Unreadable (deleted, transferred)"
            why = "not found" if state is None else f"transferred to {state.repo}#{state.number}"
        elif decision.checked:
            group, why = "Done", "done"
            if decision.pr is not None and state is not None:
                pr = f"PR {short_ref(decision.pr, repo)}"
                pr_url = _pr_url(decision.pr, state, repo)
        elif decision.note:
            group, why = "Not planned / duplicate", decision.note
        else:
            group, why = "Open", "open"
        groups[group] += 1
        rows.append(
            ProgressRow(
                item.text, short_ref(item.issue, repo), issue_url, group, why, pr or "", pr_url
            )
        )
    return groups, rows


def progress_table(
    items: list[cp.ChecklistItem],
    states: States,
    repo: str,
    summary: tuple[dict[str, int], list[ProgressRow]] | None = None,
    heading: str = "Checklist progress",
) -> str:
    """The Markdown progress table (the Actions job summary, `--status`): counts that add up
    to the items, then every linked item with its issue, its state and the pull request that
    completed it (`summary`: progress_summary's answer, when the caller has it).
    """
    groups, rows = summary or progress_summary(items, states, repo)
    shown = {k: v for k, v in groups.items() if v or k in ("Done", "Open")}
    shares = percentages(list(shown.values()))
    out = [f"### {heading}", "", "| Status | Items | Share |", "| --- | ---: | ---: |"]
    for (label, count), share in zip(shown.items(), shares, strict=True):
        out.append(f"| {label} | {count} | {share}% |")
    out.append(f"| **Total** | **{len(items)}** | **{100 if items else 0}%** |")
    if rows:
        out += ["", "| Item | Issue | State | Pull request |", "| --- | --- | --- | --- |"]
        out += [
            f"| {_cell(r.text) or '(no text)'} | {_md_link(r.issue, r.issue_url)} | {r.why} | "
            f"{_md_link(r.pr, r.pr_url) if r.pr else ''} |"
            for r in rows
        ]
    return "\n".join(out) + "\n"


def percentages(counts: list[int]) -> list[int]:
    """Whole percentages that add up to 100 (largest remainder), all 0 for no items."""
    total = sum(counts)
    if not total:
        return [0] * len(counts)
    exact = [100 * count / total for count in counts]
    shares = [int(x) for x in exact]
    by_remainder = sorted(range(len(counts)), key=lambda i: exact[i] - shares[i], reverse=True)
    for index in by_remainder[: 100 - sum(shares)]:
        shares[index] += 1
    return shares


def progress_heading(targets: list[Target]) -> str:
    """`Checklist progress: `docs/plan.md`, master issue [#1](…)`."""
    parts = []
    plan = next((t.name for t in targets if t.plan is not None), None)
    if plan:
        parts.append(f"`{plan}`")
    for target in targets:
        if target.issue is not None:
            link = _md_link(f"#{target.issue}", target.url)
            parts.append(f"master issue {link}" if plan else f"issue {link}")
    return "Checklist progress: " + ", ".join(parts) if parts else "Checklist progress"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _md_link(label: str, url: str | None) -> str:
    return f"[{label}]({url})" if url else label


def _pr_url(pr: cp.IssueRef, state: IssueState, repo: str) -> str | None:
    """The pull request's page: as written, else next to the issue on the same host."""
    if pr.url:
        return pr.url
    if state.closing_pr is not None and state.closing_pr[1] == pr.number:
        return state.closing_pr[2]
    host = state.url.split(f"/{state.repo}/", 1)[0]
    return f"{host}/{pr.repo or repo}/pull/{pr.number}"


# ---------------------------------------------------------------------------
# GitHub Actions events


def read_event() -> tuple[str, dict[str, Any]] | None:
    """The Actions event this run was started for (name, payload), read once per sync."""
    if not os.environ.get("GITHUB_ACTIONS") or not os.environ.get("GITHUB_EVENT_PATH"):
        return None
    try:
        with open(os.environ["GITHUB_EVENT_PATH"], encoding="utf-8") as handle:
            event = json.load(handle)
    except (OSError, ValueError):
        return None
    if not isinstance(event, dict):
        return None
    return os.environ.get("GITHUB_EVENT_NAME", ""), event


def event_shortcut(event: tuple[str, dict[str, Any]] | None, linked: set[int] | None) -> str | None:
    """A reason to stop early for an Actions event that cannot change the checklist."""
    return decide_event(event[0], event[1], linked) if event else None


def decide_event(name: str, event: dict[str, Any], linked: set[int] | None) -> str | None:
    """Why an event cannot change the checklist, or None: sync. `linked` holds the issue and
    pull request numbers the checklist links (None: not read yet, so only what the event says
    alone counts). It must never stop a sync that would change something.
    """
    # pull_request_target carries the same payload (a workflow of the user's own may use it)
    if name in ("pull_request", "pull_request_target") or (
        "pull_request" in event and "issue" not in event
    ):
        pull = event.get("pull_request")
        pull = pull if isinstance(pull, dict) else {}
        number = pull.get("number")
        if event.get("action") != "closed" or pull.get("merged"):
            return None  # a merge closes the issues it names: a full sync sees them
        # closed unmerged closes no issue; but an item that links this very pull request
        # becomes "(not planned)", as a full sync annotates it
        if linked is None or (isinstance(number, int) and number in linked):
            return None
        return f"pull request #{number} was closed without merging: nothing to sync"
    if linked is not None and (name == "issues" or "issue" in event):
        issue = event.get("issue")
        number = issue.get("number") if isinstance(issue, dict) else None
        if isinstance(number, int) and number not in linked:
            return f"issue #{number} is not in the checklist: nothing to sync"
    return None


# ---------------------------------------------------------------------------
# The run


@dataclass
class Target:
    """One document to keep in sync: the plan file or an issue body."""

    name: str
    text: str
    style: str
    issue: int | None = None
    plan: cs.PlanFile | None = None
    parsed: cp.Document | None = None  # the text's parse, when the caller has it
    url: str | None = None  # an issue's page
    items: list[cp.ChecklistItem] = field(init=False)

    def __post_init__(self) -> None:
        # once: every step below reads these
        self.items = (self.parsed or cp.parse_document(self.text)).items


@dataclass(frozen=True)
class ChecklistRef:
    """One checklist named on the command line: a plan file, or a master issue (issue mode),
    possibly in another repository (`--master-issue OWNER/REPO#N`).
    """

    plan: Path | None = None
    master: int | None = None
    repo: str | None = None

    @property
    def name(self) -> str:
        if self.plan is not None:
            return str(self.plan)
        return f"{self.repo}#{self.master}" if self.repo else f"issue #{self.master}"


@dataclass(frozen=True)
class SyncOptions:
    """How to sync, the same for every checklist of a run (or every job of the server)."""

    repo: str | None = None
    check: bool = False
    dry_run: bool = False
    write_interval: float | None = None
    notify: bool = False
    app: AppCredentials | None = None
    status: bool = False  # --status: the progress table only, nothing written


@dataclass
class SyncResult:
    """What one checklist's sync did; the reporter holds its counts, changes and facts."""

    exit_code: int
    reporter: Reporter
    requests: int = 0
    rate_limit_remaining: int | None = None
    error: str | None = None
    repo: str | None = None
    master: int | None = None


def open_checklist(checklist: ChecklistRef, options: SyncOptions, reporter: Reporter) -> cs.Opened:
    """Read the plan and resolve where its checklist lives; no request is made yet."""
    opened = cs.open_checklist(
        checklist.plan,
        checklist.master,
        repo=checklist.repo or options.repo,
        write_interval=options.write_interval,
        read_only=options.check or options.dry_run or options.status,
        need_token=options.app is None,
    )
    if opened.plan and opened.master is None:
        reporter.info(f"no master issue is bound to {opened.plan.path}: syncing the file only")
    reporter.repo, reporter.master_issue = opened.settings.repo, opened.master
    return opened


def sync_one(checklist: ChecklistRef, options: SyncOptions, reporter: Reporter) -> SyncResult:
    """Sync one checklist from live GitHub state: what the CLI runs for each checklist it is
    given and the server for each job. Expected faults end up in the result, never raised.
    """
    event = None if options.status else read_event()
    early = event_shortcut(event, None)
    if early:
        reporter.info(early)
        return SyncResult(0, reporter)
    result = SyncResult(0, reporter)
    try:
        opened = open_checklist(checklist, options, reporter)
        result.repo, result.master = opened.settings.repo, opened.master
        with cs.github_session(opened.settings, reporter, options.app) as client:
            try:
                result.exit_code = sync_targets(client, opened, options, reporter, event)
            except ToolError as exc:
                reporter.fail(exc.format_message(), exc.exit_code)
                result.exit_code, result.error = exc.exit_code, exc.format_message()
            if options.notify and opened.master and not (options.check or options.dry_run):
                notify(client, opened.master, checklist.name, reporter)
                result.exit_code = max(result.exit_code, reporter.exit_code)
            result.requests = client.requests
            result.rate_limit_remaining = client.rate_limit_remaining
    except ToolError as exc:
        # before any request (unreadable plan, no token) or while connecting (an App that is
        # not installed): one line, no summary (--json still gets its one object)
        reporter.fail(exc.format_message(), exc.exit_code)
        result.exit_code, result.error = exc.exit_code, exc.format_message()
        reporter.summary(requests=0, rate_limit_remaining=None)
    return result


def read_targets(
    client: GitHubClient,
    opened: cs.Opened,
    reporter: Reporter,
    event: tuple[str, dict[str, Any]] | None,
) -> list[Target] | None:
    """The documents to sync, the primary one first; None (after saying why) when the Actions
    event cannot concern them."""
    plan, master_number, repo = opened.plan, opened.master, opened.settings.repo
    assert repo is not None
    targets: list[Target] = []
    if plan is not None:
        targets.append(Target(str(plan.path), plan.text, "file", plan=plan, parsed=opened.doc))
        # the file alone says whether an Actions event concerns it: stop before any request
        if stop_for_event(reporter, targets, repo, master_number, event):
            return None
        client.fetch_repo()  # a wrong repository or token fails here, with exit 2
    if master_number is None:
        return targets
    master = read_master(client, master_number, diagnose=plan is None)
    other = cs.other_plan(master.body, cs.plan_label(plan.path)) if plan else None
    if plan is not None and other is not None:
        # sync writes only boxes, so the file is still synced; but another plan's master
        # is that plan's to keep (its own sync writes it)
        reporter.warn(
            f"issue #{master_number} is the master checklist of {other}, not of "
            f"{cs.plan_label(plan.path)}: synced {plan.path} only. If it is a copy, remove "
            f"its binding line and run generate_issues.py {plan.path}; if {other} was "
            f"renamed, run generate_issues.py {plan.path} --force"
        )
        return targets
    # a master issue mirrors its plan in the issue-body style: GitHub shows titles and states
    targets.append(
        Target(f"issue #{master_number}", master.body, "issue", master_number, url=master.url)
    )
    if plan is None and stop_for_event(reporter, targets, repo, master_number, event):
        return None
    return targets


@dataclass
class Synced:
    """One document's new text and the edits and warnings that make it."""

    target: Target
    text: str
    edits: list[cp.Edit]
    warnings: list[str]


def sync_targets(
    client: GitHubClient,
    opened: cs.Opened,
    options: SyncOptions,
    reporter: Reporter,
    event: tuple[str, dict[str, Any]] | None = None,
) -> int:
    """Fetch the states of every linked issue, decide each box, then write (or show) it."""
    repo = opened.settings.repo
    assert repo is not None
    targets = read_targets(client, opened, reporter, event)
    if targets is None:
        return 0
    primary = targets[0].items
    reporter.counts["items"] = len(primary)
    refs = [item.issue.key(repo) for t in targets for item in t.items if item.issue]
    states = client.fetch_issue_states(refs) if refs else {}
    heading = progress_heading(targets)
    if options.status:  # the overview only: no lines, no diff, no writes
        table = progress_table(primary, states, repo, heading=heading)
        click.echo(table, nl=False, err=reporter.json_mode)
        return 0
    decided = decide_all(primary, states, repo)  # once per item, for every use below
    synced = []
    for index, target in enumerate(targets):
        once = decided if index == 0 else None
        synced.append(
            Synced(target, *sync_text(target.text, states, repo, target.style, target.items, once))
        )
    first = synced[0]
    changed = [s for s in synced if s.text != s.target.text]
    if options.check or options.dry_run:
        report_edits(reporter, primary, first.edits, repo, would=True)
        report_warnings(reporter, first.warnings)
        for done in changed:
            reporter.diff(unified_diff(done.target.text, done.text, done.target.name))
    else:
        written, failure = apply_targets(client, repo, changed, states)
        if first.target in written or not changed:
            report_edits(reporter, primary, first.edits, repo)
        report_warnings(reporter, first.warnings)
        report_writes(reporter, [s.target for s in changed], written, failure)
    summary = progress_summary(primary, states, repo, decided)
    if os.environ.get("GITHUB_STEP_SUMMARY"):
        problem = write_step_summary(progress_table(primary, states, repo, summary, heading))
        if problem:
            reporter.warn(problem)
    reporter.facts["progress"] = summary
    reporter.facts["linked"] = sorted({(r.lower(), n) for r, n in refs})
    reporter.out_of_sync = bool(changed)
    if options.check and changed:
        reporter.fail("the checklist is out of sync with GitHub (see the diff above)")
    elif options.check:
        reporter.info("--check: the checklist is in sync with GitHub; nothing written")
    return reporter.exit_code


def report_warnings(reporter: Reporter, warnings: list[str]) -> None:
    for warning in warnings:
        reporter.warn(warning)


@dataclass
class Written:
    """What apply_targets wrote: the documents, the warnings about those it could not, and
    the fault that stopped it (raised once the rest is reported)."""

    targets: list[Target] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def __contains__(self, target: object) -> bool:
        return any(t is target for t in self.targets)


def apply_targets(
    client: GitHubClient,
    repo: str,
    pending: list[Synced],
    states: States,
) -> tuple[Written, ToolError | None]:
    """Write each changed document whole, the master issue before the plan file; what was
    written, and the fault that stopped a write (the caller reports both).

    GitHub first, so that when its retries run out (a transient fault: the next run does
    it all) nothing is written, as for every other fault. A master GitHub refuses for good
    must not keep the file stale for good, though: over the body limit (a warning saying
    what to do) or refused outright (the error, raised once the file is written), the file,
    which the user edits and commits, is still synced. A master left behind is repaired by
    the next sync, which derives every box from GitHub anyway. In issue mode the master is
    the only document: its error stands.
    """
    written = Written()
    failed: ToolError | None = None
    has_file = any(done.target.plan is not None for done in pending)
    for done in sorted(pending, key=lambda d: d.target.plan is not None):
        target = done.target
        try:
            apply_target(client, repo, done, states)
        except cs.BodyTooLong as exc:
            if not has_file:
                return written, exc
            written.warnings.append(
                f"master checklist #{target.issue} not updated: {exc.format_message()} (the "
                "plan file is synced; shorten the plan or split it, then rerun)"
            )
            continue
        except (GitHubUnavailable, CreateUncertain) as exc:
            return written, exc
        except ToolError as exc:
            if not has_file or target.plan is not None:
                return written, exc
            failed = exc
            continue
        written.targets.append(target)
    return written, failed


def apply_target(client: GitHubClient, repo: str, done: Synced, states: States) -> None:
    """Write one document, re-read just before the write: an edit made a second ago stays."""
    target = done.target

    def update(text: str) -> str:
        if text == target.text:  # no edit since it was read: what was decided stands
            return done.text
        return sync_text(text, states, repo, target.style)[0]

    if target.plan is not None:
        target.plan.write(update(target.plan.reread()))
        return
    assert target.issue is not None
    cs.write_issue_body(client, target.issue, update)


def report_writes(
    reporter: Reporter, pending: list[Target], written: Written, failure: ToolError | None
) -> None:
    """What was written, what was not and why; then the fault that stopped a write."""
    for warning in written.warnings:
        reporter.warn(warning)
    for target in written.targets:
        what = target.name if target.plan else f"master checklist #{target.issue}"
        reporter.info(f"updated {what}")
    if failure is None:
        return
    missed = [t.name for t in pending if t not in written]
    reporter.counts["failed"] += len(missed)
    reporter.info(f"nothing was written to {' or '.join(missed)}")
    raise failure


def stop_for_event(
    reporter: Reporter,
    targets: list[Target],
    repo: str,
    master_number: int | None,
    event: tuple[str, dict[str, Any]] | None,
) -> bool:
    """True (after saying why) when the Actions event names an issue the checklist lacks."""
    if event is None:
        return False
    linked = cs.linked_numbers((item for t in targets for item in t.items), repo)
    early = event_shortcut(event, linked | ({master_number} if master_number else set()))
    if early:
        reporter.info(early)
    return early is not None


def read_master(client: GitHubClient, number: int, *, diagnose: bool) -> Issue:
    """The master issue; when it cannot be read, the repository says why if it can."""
    try:
        return cs.fetch_master(client, number)
    except ConfigError as exc:
        if diagnose and isinstance(exc.__context__, NotFound):
            # a missing repository or disabled issues also answer 404/410 for the issue
            client.fetch_repo()
        raise


VERBS = {"checked": "check", "unchecked": "uncheck", "annotated": "annotate"}


def change_words(
    old: cp.ChecklistItem, checked: bool, pr: cp.IssueRef | None, note: str | None, repo: str
) -> str:
    """What a change line says in its parentheses: for a box that flips, why, in words
    (`#14 is open`, `#3 closed by PR #9`); for annotations only, the references."""
    assert old.issue is not None
    issue = short_ref(old.issue, repo)
    if checked and not old.checked:
        if pr is not None:
            return f"{issue} closed by PR {short_ref(pr, repo)}"
        return f"{issue} closed as completed"
    if old.checked and not checked:
        if note == cp.NOTE_DUPLICATE:
            return f"{issue} closed as a duplicate"
        return f"{issue} closed as not planned" if note else f"{issue} is open"
    refs = issue + (f", PR {short_ref(pr, repo)}" if pr else "")
    return refs + (f", {note}" if note else "")


def report_edits(
    reporter: Reporter,
    old_items: list[cp.ChecklistItem],
    edits: list[cp.Edit],
    repo: str,
    *,
    would: bool = False,
) -> None:
    """One line per edit; `would`: for --check/--dry-run, said as not done and not counted."""
    before = {item.line_no: item for item in old_items}
    for edit in edits:
        old = before[edit.line_no]
        assert old.issue is not None
        # plan_edits sets all three: the item as the edit leaves it
        checked = bool(edit.checked)
        pr = edit.pr if isinstance(edit.pr, cp.IssueRef) else None
        note = edit.note if isinstance(edit.note, str) else None
        data = {
            "line": edit.line_no,
            "issue": old.issue.number,
            "repo": old.issue.resolve(repo),
            "pr": pr.number if pr else None,
        }
        kind = "annotated"
        if checked != old.checked:
            kind = "checked" if checked else "unchecked"
        words = change_words(old, checked, pr, note, repo)
        message = f"line {edit.line_no} {quoted(old.text)} ({words})"
        if would:
            reporter.change(f"would {VERBS[kind]}", f"would {VERBS[kind]} {message}", **data)
        else:
            reporter.change(kind, f"{kind} {message}", **data)


def short_ref(ref: cp.IssueRef, repo: str) -> str:
    """`#12` in the repository itself, `OWNER/REPO#12` elsewhere."""
    target = ref.resolve(repo)
    return f"#{ref.number}" if target.lower() == repo.lower() else f"{target}#{ref.number}"


# ---------------------------------------------------------------------------
# --notify: one comment on the master issue that says what is wrong, kept up to date

NOTICE_MARKER = "<!-- checklist-sync:notice"


def plan_notice(existing: str | None, problems: list[str], name: str, now: str) -> str | None:
    """The body the notice comment should get, or None when it is right as it is (or absent
    and nothing is wrong): one comment for the life of the problem, never one per run.
    """
    if problems:
        fence = "`" * max([3, *(len(run) + 1 for p in problems for run in re.findall("`+", p))])
        body = (
            f"**checklist-sync cannot fully sync this checklist** (`{name}`):\n\n"
            f"{fence}text\n" + "\n".join(problems) + f"\n{fence}\n\n"
            "What to do: fix what each line says, then let the next sync run (or rerun "
            "`sync_checklist.py`). This comment is edited when the problem changes and marked "
            "resolved once a sync succeeds.\n\n"
            f"{NOTICE_MARKER} state=open -->"
        )
    elif existing is None or f"{NOTICE_MARKER} state=resolved" in existing:
        return None
    else:
        body = (
            f"**Resolved**: the sync of `{name}` succeeded at {now}; nothing is wrong any "
            f"more.\n\n{NOTICE_MARKER} state=resolved -->"
        )
    same = existing is not None and existing.replace("\r\n", "\n") == body
    return None if same else body


def notify(client: GitHubClient, master: int, name: str, reporter: Reporter) -> None:
    """Create, edit or resolve the notice comment on the master issue."""
    problems = [
        f"{c['action']}: {c['message']}"
        for c in reporter.changes
        if c["action"] in ("error", "warning")
    ]
    now = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    try:
        comments = client.fetch_comments(master)
        mine = next((c for c in comments if NOTICE_MARKER in (c.get("body") or "")), None)
        body = plan_notice(mine["body"] if mine else None, problems, name, now)
        if body is None:
            return
        if mine is not None:
            client.apply_comment_update(int(mine["id"]), body)
            reporter.info(f"updated the notice comment on master checklist #{master}")
        else:
            client.apply_comment(master, body)
            reporter.info(f"posted a notice comment on master checklist #{master}")
    except ToolError as exc:
        reporter.fail(f"could not update the --notify comment on #{master}: {exc.format_message()}")


# ---------------------------------------------------------------------------
# The command


DEFAULT_STATE = "~/.local/state/checklist-sync/server.sqlite3"
_DURATION_RE = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?")


def parse_duration(text: str) -> float | None:
    """Seconds in `1h`, `30m`, `1h30m`, `90s`, `90` or `0`; None when it is not a duration."""
    match = _DURATION_RE.fullmatch(text.strip().lower())
    if not match or not text.strip():
        return None
    days, hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    return float(days * 86400 + hours * 3600 + minutes * 60 + seconds)


class DurationType(click.ParamType):
    name = "DURATION"

    def convert(self, value: Any, param: Any, ctx: Any) -> float:
        if isinstance(value, float):
            return value
        seconds = parse_duration(str(value))
        if seconds is None:
            self.fail(f"{value!r} is not a duration: use for example 1h, 30m, 90s or 0", param, ctx)
        return seconds


def server_options(command: Any) -> Any:
    """--serve and the options only the server takes."""
    options = [
        click.option(
            "--serve",
            is_flag=True,
            help="Run as a webhook server with a status page (see the README).",
        ),
        click.option("--host", metavar="ADDRESS", help="--serve: address to bind (127.0.0.1)."),
        click.option(
            "--port", type=click.IntRange(0, 65535), metavar="PORT", help="--serve: port (8080)."
        ),
        click.option(
            "--state",
            type=click.Path(path_type=Path),
            metavar="FILE",
            help=f"--serve: SQLite state file (default {DEFAULT_STATE}).",
        ),
        click.option(
            "--reconcile-every",
            type=DurationType(),
            help="--serve: full sync of every checklist this often (default 1h; 0 turns it off).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


class MasterIssueType(click.ParamType):
    """`N`, or `OWNER/REPO#N` for a master issue in another repository."""

    name = "N"

    def convert(self, value: Any, param: Any, ctx: Any) -> tuple[str | None, int]:
        if isinstance(value, tuple):
            return value
        match = re.fullmatch(r"(?:([\w.-]+/[\w.-]+)#)?(\d+)", str(value).strip())
        if not match or int(match[2]) < 1:
            self.fail(f"{value!r} is not an issue: pass N or OWNER/REPO#N", param, ctx)
        return match[1], int(match[2])


@click.command(cls=ToolCommand, context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("plans", metavar="[PLAN]...", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--master-issue",
    "master_issues",
    type=MasterIssueType(),
    multiple=True,
    help="Issue mode: the checklist is the body of issue N (OWNER/REPO#N: of another "
    "repository). Repeatable.",
)
@cs.settings_options
@click.option(
    "--check", is_flag=True, help="Change nothing; print the diff; exit 1 when out of sync."
)
@click.option("--dry-run", is_flag=True, help="Read only: print the diff of what would change.")
@click.option(
    "--notify",
    is_flag=True,
    help="Keep one comment on the master issue saying what a failing sync cannot do.",
)
@click.option(
    "--status", is_flag=True, help="Print the progress table from live state; write nothing."
)
@server_options
@output_options
def main(
    plans: tuple[Path, ...],
    master_issues: tuple[tuple[str | None, int], ...],
    repo: str | None,
    check: bool,
    dry_run: bool,
    status: bool,
    write_interval: float | None,
    notify: bool,
    json_mode: bool,
    verbose: bool,
    quiet: bool,
    **serve: Any,
) -> None:
    """Tick or untick every linked item of each PLAN (or of issue N) from live GitHub state.

    The token comes from GH_TOKEN or GITHUB_TOKEN (environment or .env), else from a logged-in
    gh; never from a flag. GITHUB_APP_ID with GITHUB_APP_PRIVATE_KEY_FILE acts as a GitHub App
    instead.
    """
    checklists = [ChecklistRef(plan=p) for p in plans]
    checklists += [ChecklistRef(master=n, repo=r) for r, n in master_issues]
    if not checklists:
        raise click.UsageError("pass a PLAN file or --master-issue N")
    options = SyncOptions(
        repo, check, dry_run, write_interval, notify, cs.app_credentials(), status=status
    )
    if serve.pop("serve"):
        import checklist_server  # only the server needs its web stack

        sys.exit(checklist_server.serve(checklists, options, quiet=quiet, verbose=verbose, **serve))
    if given := [name for name, value in serve.items() if value is not None]:
        raise click.UsageError(f"--{given[0].replace('_', '-')} only applies to --serve")
    payloads: list[dict[str, Any]] = []
    code = 0
    several = json_mode and len(checklists) > 1
    for checklist in checklists:
        reporter = Reporter(
            quiet=quiet,
            verbose=verbose,
            json_mode=json_mode,
            summary_counts=SYNC_COUNTS,
            dry_run=dry_run or check or status,
            plan_file=str(checklist.plan) if checklist.plan else None,
            # several checklists: one JSON array of their summaries, printed at the end
            json_sink=payloads.append if several else None,
        )
        code = max(code, sync_one(checklist, options, reporter).exit_code)  # worst one wins
    if payloads:
        click.echo(json.dumps(payloads, indent=2))
    sys.exit(code)


if __name__ == "__main__":
    main()
