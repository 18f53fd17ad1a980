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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

import checklist_parser as cp
import checklist_source as cs
from github_api import ConfigError, GitHubClient, IssueState, NotFound, ToolError
from report import (
    SYNC_COUNTS,
    Reporter,
    ToolCommand,
    output_options,
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
    where = f"line {item.line_no} {item.text!r}: issue {short_ref(item.issue, repo)}"
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


def plan_edits(
    items: list[cp.ChecklistItem], states: dict[tuple[str, int], IssueState | None], repo: str
) -> tuple[list[cp.Edit], list[str]]:
    """The edits that bring every linked item in line with its issue, and the warnings."""
    edits: list[cp.Edit] = []
    warnings: list[str] = []
    for item in items:
        if item.issue is None:
            continue
        decision = decide(item, states.get(item.issue.key(repo)), repo)
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
) -> tuple[str, list[cp.Edit], list[str]]:
    """The text with every linked item brought in line; `items` when already parsed."""
    if items is None:
        items = cp.parse_checklist(text)
    edits, warnings = plan_edits(items, states, repo)
    return cp.apply_edits(text, edits, style=style), edits, warnings


def progress_table(
    items: list[cp.ChecklistItem],
    states: dict[tuple[str, int], IssueState | None],
    repo: str,
    heading: str = "Checklist progress",
) -> str:
    """The Markdown progress table (the Actions job summary, `--status`): counts that add up
    to the items, then every linked item with its issue, its state and the pull request that
    completed it.
    """
    groups: dict[str, int] = dict.fromkeys(PROGRESS_GROUPS, 0)
    rows: list[str] = []
    for item in items:
        if item.issue is None:
            groups["Ticked by hand (no issue)" if item.checked else "Not linked"] += 1
            continue
        state = states.get(item.issue.key(repo))
        decision = decide(item, state, repo)
        issue_url = state.url if state is not None else item.issue.url
        issue = _md_link(short_ref(item.issue, repo), issue_url)
        pr = ""
        if decision.warning:
            group = "Unreadable (deleted, transferred)"
            why = "not found" if state is None else f"transferred to {state.repo}#{state.number}"
        elif decision.checked:
            group, why = "Done", "done"
            if decision.pr is not None and state is not None:
                pr = _md_link(
                    f"PR {short_ref(decision.pr, repo)}", _pr_url(decision.pr, state, repo)
                )
        elif decision.note:
            group, why = "Not planned / duplicate", decision.note
        else:
            group, why = "Open", "open"
        groups[group] += 1
        rows.append(f"| {_cell(item.text) or '(no text)'} | {issue} | {why} | {pr} |")
    shown = {k: v for k, v in groups.items() if v or k in ("Done", "Open")}
    shares = percentages(list(shown.values()))
    out = [f"### {heading}", "", "| Status | Items | Share |", "| --- | ---: | ---: |"]
    for (label, count), share in zip(shown.items(), shares, strict=True):
        out.append(f"| {label} | {count} | {share}% |")
    out.append(f"| **Total** | **{len(items)}** | **{100 if items else 0}%** |")
    if rows:
        out += ["", "| Item | Issue | State | Pull request |", "| --- | --- | --- | --- |", *rows]
    return "\n".join(out) + "\n"


PROGRESS_GROUPS = (
    "Done",
    "Open",
    "Not planned / duplicate",
    "Unreadable (deleted, transferred)",
    "Ticked by hand (no issue)",
    "Not linked",
)


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


def progress_heading(plan: str | None, master: dict[str, Any] | None) -> str:
    """`Checklist progress: `docs/plan.md`, master issue [#1](…)`."""
    parts = []
    if plan:
        parts.append(f"`{plan}`")
    if master is not None:
        link = _md_link(f"#{master['number']}", master.get("html_url"))
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


def event_shortcut(linked: set[int] | None) -> str | None:
    """A reason to stop early for an Actions event that cannot change the checklist."""
    if not os.environ.get("GITHUB_ACTIONS") or not os.environ.get("GITHUB_EVENT_PATH"):
        return None
    try:
        with open(os.environ["GITHUB_EVENT_PATH"], encoding="utf-8") as handle:
            event = json.load(handle)
    except (OSError, ValueError):
        return None
    if not isinstance(event, dict):
        return None
    name = os.environ.get("GITHUB_EVENT_NAME", "")
    # pull_request_target carries the same payload (a workflow of the user's own may use it)
    if name in ("pull_request", "pull_request_target") or (
        "pull_request" in event and "issue" not in event
    ):
        pull = event.get("pull_request") or {}
        if event.get("action") == "closed" and not pull.get("merged"):
            return f"pull request #{pull.get('number')} was closed without merging: nothing to sync"
        return None
    if linked is not None and (name == "issues" or "issue" in event):
        issue = event.get("issue") or {}
        number = issue.get("number")
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
    items: list[cp.ChecklistItem] = field(init=False)

    def __post_init__(self) -> None:
        self.items = cp.parse_checklist(self.text)  # once: every step below reads these


def run_sync(
    plan_path: Path | None,
    master_number: int | None,
    *,
    repo: str | None,
    check: bool,
    dry_run: bool,
    write_interval: float | None,
    reporter: Reporter,
    status: bool = False,
) -> int:
    early = None if status else event_shortcut(None)
    if early:
        reporter.info(early)
        return 0
    plan = cs.PlanFile.read(plan_path) if plan_path else None
    doc = cp.parse_document(plan.text) if plan else None
    settings = cs.resolve_settings(
        repo_flag=repo,
        binding=doc.binding if doc else None,
        write_interval_flag=write_interval,
        need_token=True,
    )
    if plan and not (check or dry_run or status):
        plan.check_writable()
    if plan and doc and doc.binding and master_number is None:
        bound = cs.binding_target(doc.binding)
        if bound is None or bound[0].lower() != settings.repo.lower():
            # as generate_issues.py says: syncing the file alone would leave its master behind
            raise ConfigError(
                f"{plan.path} is bound to {doc.binding}, not to an issue of {settings.repo}: "
                "fix the binding line or pass --repo"
            )
        master_number = bound[1]
    if plan and master_number is None:
        reporter.info(f"no master issue is bound to {plan.path}: syncing the file only")
    reporter.repo, reporter.master_issue = settings.repo, master_number

    assert settings.token is not None
    client = GitHubClient(
        settings.token,
        settings.repo,
        settings.api_url,
        write_interval=settings.write_interval,
        verbose=reporter.debug if reporter.verbose else None,
    )
    try:
        code = sync_targets(
            client, settings.repo, plan, master_number, check, dry_run, reporter, status
        )
    except ToolError as exc:
        reporter.fail(exc.format_message(), exc.exit_code)
        code = exc.exit_code
    finally:
        reporter.summary(requests=client.requests, rate_limit_remaining=client.rate_limit_remaining)
        client.close()
    return code


def sync_targets(
    client: GitHubClient,
    repo: str,
    plan: cs.PlanFile | None,
    master_number: int | None,
    check: bool,
    dry_run: bool,
    reporter: Reporter,
    status: bool = False,
) -> int:
    targets: list[Target] = []
    master: dict[str, Any] | None = None
    if plan is not None:
        targets.append(Target(str(plan.path), plan.text, "file", plan=plan))
        # the file alone says whether an Actions event concerns it: stop before any request
        if stop_for_event(reporter, targets, repo, master_number):
            return 0
        client.fetch_repo()  # a wrong repository or token fails here, with exit 2
    if master_number is not None:
        master = read_master(client, master_number, diagnose=plan is None)
        style = "file" if plan is not None else "issue"
        targets.append(
            Target(f"issue #{master_number}", master.get("body") or "", style, master_number)
        )
        if plan is None and stop_for_event(reporter, targets, repo, master_number):
            return 0

    primary = targets[0].items
    reporter.counts["items"] = len(primary)
    refs = [item.issue.key(repo) for t in targets for item in t.items if item.issue]
    states = client.fetch_issue_states(refs) if refs else {}
    heading = progress_heading(str(plan.path) if plan else None, master)
    if status:  # the overview only: no lines, no diff, no writes
        click.echo(progress_table(primary, states, repo, heading), nl=False, err=reporter.json_mode)
        return 0

    out_of_sync = False
    pending: list[Target] = []
    for index, target in enumerate(targets):
        new_text, edits, warnings = sync_text(target.text, states, repo, target.style, target.items)
        if index == 0:
            report_edits(reporter, target.items, new_text, edits, repo)
            for warning in warnings:
                reporter.warn(warning)
        if new_text == target.text:
            continue
        out_of_sync = True
        if check or dry_run:
            reporter.diff(unified_diff(target.text, new_text, target.name))
        else:
            pending.append(target)

    # GitHub first: when its write fails for good, the file is still untouched
    for target in sorted(pending, key=lambda t: t.plan is not None):
        if target.plan is not None:
            # apply to the file as it is now, in case it was edited while we read GitHub
            fresh = target.plan.reread()
            target.plan.write(sync_text(fresh, states, repo, target.style)[0])
            reporter.info(f"updated {target.name}")
        elif target.issue is not None:
            cs.write_issue_body(
                client,
                target.issue,
                lambda body, style=target.style: sync_text(body, states, repo, style)[0],
            )
            reporter.info(f"updated master checklist #{target.issue}")

    if os.environ.get("GITHUB_STEP_SUMMARY"):
        write_step_summary(progress_table(primary, states, repo, heading))
    reporter.out_of_sync = out_of_sync
    if check and out_of_sync:
        reporter.fail("the checklist is out of sync with GitHub (see the diff above)")
    elif check:
        reporter.info("--check: the checklist is in sync with GitHub; nothing written")
    return reporter.exit_code


def stop_for_event(
    reporter: Reporter, targets: list[Target], repo: str, master_number: int | None
) -> bool:
    """True (after saying why) when the Actions event names an issue the checklist lacks."""
    linked = {
        item.issue.number
        for t in targets
        for item in t.items
        if item.issue and item.issue.resolve(repo).lower() == repo.lower()
    }
    early = event_shortcut(linked | ({master_number} if master_number else set()))
    if early:
        reporter.info(early)
    return early is not None


def read_master(client: GitHubClient, number: int, *, diagnose: bool) -> dict[str, Any]:
    """The master issue; when it cannot be read, the repository says why if it can."""
    try:
        return cs.fetch_master(client, number)
    except ConfigError as exc:
        if diagnose and isinstance(exc.__context__, NotFound):
            # a missing repository or disabled issues also answer 404/410 for the issue
            client.fetch_repo()
        raise


def report_edits(
    reporter: Reporter,
    old_items: list[cp.ChecklistItem],
    new_text: str,
    edits: list[cp.Edit],
    repo: str,
) -> None:
    before = {item.line_no: item for item in old_items}
    after = {item.line_no: item for item in cp.parse_checklist(new_text)}
    for edit in edits:
        old, new = before[edit.line_no], after[edit.line_no]
        assert new.issue is not None
        refs = short_ref(new.issue, repo)
        if new.pr:
            refs += f", PR {short_ref(new.pr, repo)}"
        if new.note:
            refs += f", {new.note}"
        data = {
            "line": edit.line_no,
            "issue": new.issue.number,
            "repo": new.issue.resolve(repo),
            "pr": new.pr.number if new.pr else None,
        }
        if new.checked and not old.checked:
            reporter.change("checked", f"checked line {edit.line_no} {new.text!r} ({refs})", **data)
        elif old.checked and not new.checked:
            reporter.change(
                "unchecked", f"unchecked line {edit.line_no} {new.text!r} ({refs})", **data
            )
        else:
            reporter.change(
                "annotated", f"annotated line {edit.line_no} {new.text!r} ({refs})", **data
            )


def short_ref(ref: cp.IssueRef, repo: str) -> str:
    """`#12` in the repository itself, `OWNER/REPO#12` elsewhere."""
    target = ref.resolve(repo)
    return f"#{ref.number}" if target.lower() == repo.lower() else f"{target}#{ref.number}"


# ---------------------------------------------------------------------------
# The command


@click.command(cls=ToolCommand, context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("plan", required=False, type=click.Path(path_type=Path))
@click.option(
    "--master-issue",
    type=click.IntRange(min=1),
    metavar="N",
    help="Issue mode: the checklist is the body of issue N.",
)
@cs.settings_options
@click.option(
    "--check", is_flag=True, help="Change nothing; print the diff; exit 1 when out of sync."
)
@click.option("--dry-run", is_flag=True, help="Read only: print the diff of what would change.")
@click.option(
    "--status", is_flag=True, help="Print the progress table from live state; write nothing."
)
@output_options
def main(
    plan: Path | None,
    master_issue: int | None,
    repo: str | None,
    check: bool,
    dry_run: bool,
    status: bool,
    write_interval: float | None,
    json_mode: bool,
    verbose: bool,
    quiet: bool,
) -> None:
    """Tick or untick every linked item of PLAN (or of issue N) from live GitHub state.

    The token comes from GITHUB_TOKEN or GH_TOKEN (environment or .env), never from a flag.
    """
    if plan is None and master_issue is None:
        raise click.UsageError("pass a PLAN file or --master-issue N")
    reporter = Reporter(
        quiet=quiet,
        verbose=verbose,
        json_mode=json_mode,
        summary_counts=SYNC_COUNTS,
        dry_run=dry_run or check or status,
        plan_file=str(plan) if plan else None,
    )
    code = run_sync(
        plan,
        master_issue,
        repo=repo,
        check=check,
        dry_run=dry_run,
        write_interval=write_interval,
        reporter=reporter,
        status=status,
    )
    sys.exit(code)


if __name__ == "__main__":
    main()
