#!/usr/bin/env python3
"""Turn every unchecked item of a Markdown test plan into its own GitHub issue, never twice,
and write each issue's link back into the checklist.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import sys
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

import checklist_parser as cp
import checklist_source as cs
from github_api import (
    ConfigError,
    CreateUncertain,
    GitHubClient,
    GitHubUnavailable,
    Rejected,
    ToolError,
    WritePacer,
    scrub,
)
from report import Reporter, clip, echo_diff, listed, output_options, quoted, unified_diff

TITLE_LIMIT = 256  # GitHub's maximum title length
DEFAULT_TEMPLATE = "[Test] {text}"
SECTION_SEPARATOR = " › "
ITEM_MARKER_RE = re.compile(r"<!-- checklist-sync:item master=(\d+) key=([0-9a-f]+) -->")
ADOPTED_MARKER = "<!-- checklist-sync:adopted master={master} -->"
LABEL_COLOR = "0e8a16"
CREATE_ATTEMPTS = 3


# ---------------------------------------------------------------------------
# Pure decisions: which items become which issues


@dataclass
class Candidate:
    """An unchecked, unlinked item that needs an issue."""

    item: cp.ChecklistItem
    occurrence: int
    title: str
    key: str
    parent_text: str | None


def clean_title(title: str) -> str:
    """One line, no control characters, within GitHub's limit; the Markdown kept as written."""
    # a title can hold a whole section path (a heading of 1 MB): clean a growing prefix, as
    # cleaning only shortens text and the cut keeps the first TITLE_LIMIT - 1 characters
    size = 4 * TITLE_LIMIT
    while True:
        cleaned = _clean_text(title[:size])
        if len(cleaned) > TITLE_LIMIT or size >= len(title):
            break
        size *= 2
    if len(cleaned) > TITLE_LIMIT:
        cleaned = cleaned[: TITLE_LIMIT - 1].rstrip() + "…"
    return cleaned


def _clean_text(text: str) -> str:
    # Cc and lone surrogates only: format characters (the joiner inside an emoji sequence,
    # a soft hyphen) are part of the text as written.
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Cs") else ch for ch in text)
    return re.sub(r"\s+", " ", text).strip()


def tool_marker(body: str) -> str:
    """The body's last line, the only place the tool's hidden marker counts.

    Bodies carry item text (an item issue's first line, the whole plan in a master issue):
    marker-shaped text in an item must not make another item, or another plan, adopt them.
    """
    return body.rstrip().rpartition("\n")[2].strip()


def item_key(item: cp.ChecklistItem) -> str:
    """A stable identity for an item, written as a hidden marker into its issue."""
    raw = "\x1f".join(item.section) + "\x1e" + item.text
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16]


def plan_candidates(
    items: list[cp.ChecklistItem], template: str, plan: str, reporter: Reporter
) -> list[Candidate]:
    """Unchecked unlinked items with their titles; identical items get their section path,
    and items that still collide are reported and skipped (never one issue for two items).
    """
    counts: dict[str, int] = {}
    for item in items:
        counts[item.text] = counts.get(item.text, 0) + 1
    pending: list[Candidate] = []
    for item, occurrence in cs.occurrences(items):
        if item.checked or item.issue is not None:
            continue
        if not item.text:
            reporter.skip(f"line {item.line_no}: the item has no text", line=item.line_no)
            continue
        text = item.text
        if counts[item.text] > 1 and item.section:
            text = SECTION_SEPARATOR.join((*item.section, item.text))
        parent = items[item.parent].text if item.parent is not None else None
        title = clean_title(
            template.format(
                text=text,
                section=SECTION_SEPARATOR.join(item.section),
                parent=parent or "",
                plan=plan,
            )
        )
        pending.append(Candidate(item, occurrence, title, item_key(item), parent))
    by_title: dict[str, list[Candidate]] = {}
    for cand in pending:
        by_title.setdefault(cand.title.casefold(), []).append(cand)
    keep = []
    for cand in pending:
        twins = by_title[cand.title.casefold()]
        if len(twins) == 1:
            keep.append(cand)
        elif cand is twins[0]:
            # one line per group: one per item, each naming every twin, was quadratic
            lines = listed([str(c.item.line_no) for c in twins])
            reporter.skip(
                f"lines {lines}: identical items would share the title {quoted(cand.title)}; "
                "reword them or move them to different sections",
                count=len(twins),
                line=cand.item.line_no,
            )
    return keep


def issue_body(cand: Candidate, master: int, plan: str | None) -> str:
    lines = [cand.item.text, ""]
    if cand.item.section:
        lines.append(f"**Section:** {SECTION_SEPARATOR.join(cand.item.section)}  ")
    if cand.parent_text:
        lines.append(f"**Parent item:** {cand.parent_text}  ")
    where = f" (`{plan}`)" if plan else ""
    lines.append(f"**Checklist:** #{master}{where}")
    lines += ["", f"<!-- checklist-sync:item master={master} key={cand.key} -->"]
    return "\n".join(lines)


# who can write to the repository, as GitHub's listing says of each issue's author
WRITER_ASSOCIATIONS = frozenset({"OWNER", "MEMBER", "COLLABORATOR"})


def trusted_author(issue: dict[str, Any], me: str | None) -> bool:
    """May the tool adopt this issue? Anyone can open an issue, so one that carries a plan's
    marker or an item's title proves nothing by itself: only its author counts. Writers of the
    repository, and the token's own user `me` (whose issues are the tool's, whatever the token
    may do); `me` None is an integration's token (an App's, the workflow's GITHUB_TOKEN), whose
    issues are its bot's: only an App installed on the repository can author as a bot there.
    """
    if issue.get("author_association") in WRITER_ASSOCIATIONS:
        return True
    user = issue.get("user") or {}
    if me is None:
        return user.get("type") == "Bot"
    return str(user.get("login") or "").lower() == me.lower()


@dataclass
class Trust:
    """`trusted_author` with the token's identity read once, only when an issue needs it (an
    author the listing does not call a writer), and the outsiders' issues that were ignored.
    """

    fetch_login: Callable[[], str | None]
    ignored: set[int] = field(default_factory=set)
    _me: str | None = None
    _known: bool = False

    def learn(self, issue: dict[str, Any]) -> None:
        """An issue this run created names the token's user: no request needed for it."""
        login = (issue.get("user") or {}).get("login")
        if not self._known and isinstance(login, str):
            self._me, self._known = login, True

    def __call__(self, issue: dict[str, Any]) -> bool:
        if issue.get("author_association") in WRITER_ASSOCIATIONS:
            return True
        if not self._known:
            self._me, self._known = self.fetch_login(), True
        if trusted_author(issue, self._me):
            return True
        self.ignored.add(int(issue["number"]))
        return False

    def keep(self, issues: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [issue for issue in issues if self(issue)]

    def report(self, reporter: Reporter) -> None:
        """One line, and no warning: an outsider must not be able to turn every run red."""
        if self.ignored:
            count = len(self.ignored)
            reporter.info(
                f"ignored {count} issue{'s' if count > 1 else ''} by outside authors that look "
                f"like this plan's: {numbers_text(sorted(self.ignored))}"
            )


def numbers_text(numbers: list[int]) -> str:
    return listed([f"#{n}" for n in numbers])


@dataclass
class RepoIndex:
    """The repository's issues, indexed for adoption: by our marker and by exact title.
    Every lookup keeps only issues whose author `trust` accepts.
    """

    trust: Trust
    by_marker: dict[tuple[int, str], list[dict[str, Any]]] = field(default_factory=dict)
    by_title: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    marked: set[int] = field(default_factory=set)

    @classmethod
    def build(cls, issues: list[dict[str, Any]], trust: Trust) -> RepoIndex:
        index = cls(trust)
        for issue in issues:
            match = ITEM_MARKER_RE.fullmatch(tool_marker(issue.get("body") or ""))
            if match:
                key = (int(match.group(1)), match.group(2))
                index.by_marker.setdefault(key, []).append(issue)
                index.marked.add(issue["number"])
            index.by_title.setdefault(issue["title"], []).append(issue)
        return index

    def match(
        self, cand: Candidate, master: int, taken: set[int]
    ) -> tuple[str, list[dict[str, Any]]]:
        """("marker" | "title", candidates) — the issues this item may already have."""
        found = [i for i in self.by_marker.get((master, cand.key), []) if i["number"] not in taken]
        found = self.trust.keep(found)
        if found:
            return "marker", found
        found = [
            i
            for i in self.by_title.get(cand.title, [])
            if i["number"] not in taken and i["number"] not in self.marked and i["number"] != master
        ]
        return "title", self.trust.keep(found)


def preview(text: str) -> str:
    """Links of issues not created yet are shown as `#?` in a dry-run diff."""
    return re.sub(r"(?:(?<=#)|(?<=/issues/))0(?=[\]\)]| -->)", "?", text)


# ---------------------------------------------------------------------------
# The run


@dataclass
class Run:
    client: GitHubClient | None
    settings: cs.Settings
    reporter: Reporter
    dry_run: bool
    labels: tuple[str, ...]
    assignees: tuple[str, ...]
    milestone: str | None
    sub_issues: bool
    repo_url: str = ""
    would_create: int = 0  # --dry-run: the creations the time estimate is about
    error_code: int = 0  # the worst exit code of an error that ended the batch early
    _milestone_number: int | None = None
    _labels_ready: bool = False
    trust: Trust = field(init=False)

    def __post_init__(self) -> None:
        self.trust = Trust(self.client.fetch_login if self.client else lambda: None)

    def resolve_milestone(self) -> None:
        """Before any write: an unknown milestone is a usage error, not a half-done run."""
        assert self.client is not None
        if self.milestone:
            self._milestone_number = self.client.fetch_milestone_number(self.milestone)

    def prepare_writes(self) -> None:
        """Labels (created if missing), once, before the first create."""
        assert self.client is not None
        if self._labels_ready:
            return
        for name in self.labels:
            if self.client.fetch_label(name) is None:
                self.client.apply_label(name, LABEL_COLOR, "Created by checklist-sync")
                self.reporter.info(f"created label {name!r}")
        self._labels_ready = True

    def create(self, cand: Candidate, master: int, plan: str | None) -> dict[str, Any]:
        """Create the issue of one item."""
        payload: dict[str, Any] = {
            "title": cand.title,
            "body": issue_body(cand, master, plan),
            "labels": list(self.labels),
        }
        if self.assignees:
            payload["assignees"] = list(self.assignees)
        if self._milestone_number is not None:
            payload["milestone"] = self._milestone_number
        return self.create_once(payload, f"checklist-sync:item master={master} key={cand.key} ")

    def create_once(self, payload: dict[str, Any], marker: str) -> dict[str, Any]:
        """Create an issue whose body holds `marker`; after a failed or unanswered create, look
        for it before trying again (GitHub may have created it and still answered 5xx).
        """
        assert self.client is not None
        last: ToolError | None = None
        for _attempt in range(CREATE_ATTEMPTS):
            try:
                issue = self.client.apply_create_issue(payload)
                self.trust.learn(issue)
                return issue
            except (CreateUncertain, GitHubUnavailable) as exc:
                last = exc
                for issue in self.client.fetch_recent_issues():
                    # an outsider's issue may carry the marker too (it is in the public plan)
                    if marker in tool_marker(issue.get("body") or "") and self.trust(issue):
                        return issue
        assert last is not None
        raise last


def linking_changes(repo: str, reporter: Reporter) -> cs.KeyedChanges:
    """Links keyed by item identity, applied to the freshest text. An item that carries
    another issue's link by then was linked meanwhile (a second run at once, or by hand):
    the issue this run linked is a duplicate, said once as a warning (exit 1).
    """
    reported: set[int] = set()

    def key_of(item: cp.ChecklistItem, occurrence: int) -> Any:
        key = cs.identity_key(item, occurrence)
        ref = changes.changes.get(key, {}).get("issue")
        if (
            isinstance(ref, cp.IssueRef)
            and ref.number  # 0: a --dry-run placeholder
            and item.issue is not None
            and item.issue.key(repo) != ref.key(repo)
            and ref.number not in reported
        ):
            reported.add(ref.number)
            reporter.warn(
                f"line {item.line_no} {quoted(item.text)}: #{ref.number} duplicates "
                f"#{item.issue.number}, linked to the item meanwhile (another run at once?); "
                f"close #{ref.number} as a duplicate",
                line=item.line_no,
                issue=ref.number,
            )
        return key

    changes = cs.KeyedChanges(key_of)
    return changes


def _item_ref(issue: dict[str, Any]) -> cp.IssueRef:
    return cp.IssueRef(int(issue["number"]), None, issue["html_url"])


def run_generate(
    plan_path: Path | None,
    master_number: int | None,
    *,
    repo: str | None,
    labels: tuple[str, ...],
    assignees: tuple[str, ...],
    milestone: str | None,
    template: str,
    sub_issues: bool,
    dry_run: bool,
    force: bool,
    write_interval: float | None,
    reporter: Reporter,
) -> int:
    plan = cs.PlanFile.read(plan_path) if plan_path else None
    doc = cp.parse_document(plan.text) if plan else None
    settings = cs.resolve_settings(
        repo_flag=repo,
        binding=doc.binding if doc else None,
        write_interval_flag=write_interval,
        need_token=not dry_run,
    )
    label = cs.plan_label(plan.path) if plan else None
    if plan and not dry_run:
        plan.check_writable()

    if dry_run and (settings.token is None or settings.repo is None):
        # no token, or no repository named or inferred: a preview that contacts nobody
        if plan is None or doc is None:
            raise ConfigError("--dry-run without a token needs a plan file (no issue to read)")
        return offline_preview(plan, doc, settings, template, label or "", reporter)

    assert settings.token is not None and settings.repo is not None
    client = GitHubClient(
        settings.token,
        settings.repo,
        settings.api_url,
        write_interval=settings.write_interval,
        verbose=reporter.debug if reporter.verbose else None,
        token_source=settings.token_source,
        notice=reporter.info,
    )
    run: Run | None = None
    try:
        repo_data = client.fetch_repo()
        run = Run(
            client,
            settings,
            reporter,
            dry_run,
            labels,
            assignees,
            milestone,
            sub_issues,
            repo_url=repo_data["html_url"],
        )
        run.resolve_milestone()
        if plan is not None and doc is not None:
            assert label is not None
            file_mode(run, plan, doc, master_number, label, template, force)
        else:
            assert master_number is not None
            issue_mode(run, master_number, template)
        code = max(reporter.exit_code, run.error_code)
    except ToolError as exc:
        reporter.fail(exc.format_message())
        code = max(exc.exit_code, run.error_code if run else 0)
    finally:
        if run is not None:
            run.trust.report(reporter)
        extra = {"would_create": run.would_create} if dry_run and run else {}
        reporter.summary(
            requests=client.requests, rate_limit_remaining=client.rate_limit_remaining, **extra
        )
        client.close()
    return code


def offline_preview(
    plan: cs.PlanFile,
    doc: cp.Document,
    settings: cs.Settings,
    template: str,
    label: str,
    reporter: Reporter,
) -> int:
    """--dry-run with no token: parse, list what would be created, show the diff."""
    reporter.counts["items"] = len(doc.items)
    repo_url = f"https://github.com/{settings.repo or 'OWNER/REPO'}"
    if doc.items:
        check_plan_fits(plan, doc, label, repo_url)
    cands = plan_candidates(doc.items, template, label, reporter)
    changes = cs.KeyedChanges(cs.identity_key)
    for cand in cands:
        where = clip(SECTION_SEPARATOR.join(cand.item.section)) or "(no section)"
        parent = f", parent: {clip(cand.parent_text)}" if cand.parent_text else ""
        reporter.info(
            f"would create {quoted(cand.title)} (line {cand.item.line_no}, {where}{parent})"
        )
        changes.changes[cs.identity_key(cand.item, cand.occurrence)] = {
            "issue": cp.IssueRef(0, None, f"{repo_url}/issues/0")
        }
    if not doc.items and doc.binding is None:
        reporter.info(no_items_note(plan))
    elif doc.binding is None:
        reporter.info("would create the master checklist issue and bind the plan to it")
    why = "no token" if settings.token is None else "no repository given (--repo)"
    reporter.info(f"duplicate check skipped: {why}, so existing issues were not read")
    new_text = changes.apply(plan.text, "file") if changes else plan.text
    if doc.items and doc.binding is None:
        new_text = cp.set_binding(new_text, f"{repo_url}/issues/0")
    echo_diff(preview(unified_diff(plan.text, new_text, str(plan.path))))
    reporter.info(_pace_note(len(cands), settings.write_interval))
    reporter.summary(requests=0, rate_limit_remaining=None, would_create=len(cands))
    return reporter.exit_code


def no_items_note(plan: cs.PlanFile) -> str:
    return (
        f"{plan.path} has no checklist items (lines like `- [ ] text`): nothing to create, "
        "and no master issue"
    )


def _pace_note(count: int, interval: float) -> str:
    seconds = WritePacer.estimate(count, interval)
    return f"{count} issues to create: about {seconds:.0f}s at one write every {interval:g}s"


def link_items(
    run: Run,
    cands: list[Candidate],
    master: int,
    plan: str | None,
    index: RepoIndex,
    taken: set[int],
    on_link: Any,
) -> None:
    """Adopt or create an issue for each candidate; `on_link(cand, ref)` records each link."""
    client, reporter = run.client, run.reporter
    assert client is not None
    with reporter.progress(cands, "creating issues") as bar:
        for cand in bar:
            line = cand.item.line_no
            how, found = index.match(cand, master, taken)
            if len(found) > 1:
                numbers = numbers_text([i["number"] for i in found])
                reporter.skip(
                    f"line {line}: {quoted(cand.title)} matches several issues ({numbers}) by "
                    f"{how}; link the right one in the checklist by hand",
                    line=line,
                )
                continue
            if found:
                issue = found[0]
                taken.add(issue["number"])
                if how == "title" and not run.dry_run:
                    try:
                        adopt_comment(run, issue, master)
                    except Rejected as exc:
                        # a locked issue (lock bots lock old ones) takes no comment: the
                        # link in the checklist still points there, so adopting it stands
                        reporter.warn(
                            f"line {line}: no comment linking #{issue['number']} to the "
                            f"checklist: {exc.format_message()}; link it by hand if wanted",
                            line=line,
                            issue=issue["number"],
                        )
                if run.sub_issues and not run.dry_run:
                    attach_sub_issue(run, master, issue, line)
                verb = "would adopt" if run.dry_run else "adopted"
                reporter.change(
                    "adopted",
                    f"{verb} #{issue['number']} {quoted(cand.title)} for line {line} (by {how})",
                    line=line,
                    issue=issue["number"],
                    url=issue["html_url"],
                )
                on_link(cand, _item_ref(issue))
                continue
            if run.dry_run:
                reporter.info(f"would create {quoted(cand.title)} (line {line})")
                run.would_create += 1
                on_link(cand, cp.IssueRef(0, None, f"{run.repo_url}/issues/0"))
                continue
            run.prepare_writes()
            try:
                issue = run.create(cand, master, plan)
            except Rejected as exc:
                reporter.fail(f"line {line}: {exc.format_message()}")
                continue
            taken.add(issue["number"])
            if run.sub_issues:
                attach_sub_issue(run, master, issue, line)
            reporter.change(
                "created",
                f"created #{issue['number']} {quoted(cand.title)} for line {line}",
                line=line,
                issue=issue["number"],
                url=issue["html_url"],
                title=cand.title,
            )
            on_link(cand, _item_ref(issue))


def report_twins(reporter: Reporter, index: RepoIndex, master: int, pending: set[str]) -> None:
    """Two runs at once (on two machines: no lock reaches) each create an item's issue; any
    run that lists the repository sees that, whether or not it creates anything. An unlinked
    item with twins (`pending`) is skipped by link_items, with its own message.
    """
    for (owner, key), issues in index.by_marker.items():
        if owner != master or key in pending or len(issues) < 2:
            continue
        twins = index.trust.keep([i for i in issues if i.get("state_reason") != "duplicate"])
        if len(twins) > 1:
            numbers = numbers_text([i["number"] for i in twins])
            reporter.warn(
                f"issues {numbers} were all made for one item (two runs at once?): keep the "
                "one the checklist links and close the others as duplicates"
            )


def attach_sub_issue(run: Run, master: int, issue: dict[str, Any], line: int) -> None:
    assert run.client is not None
    try:
        run.client.apply_sub_issue(master, issue["id"])
    except Rejected as exc:
        # the issue exists and is linked: a missing progress-bar entry is worth a warning only
        run.reporter.warn(
            f"line {line}: #{issue['number']} is not a sub-issue of #{master}: "
            f"{exc.format_message()}",
            line=line,
            issue=issue["number"],
        )


def adopt_comment(run: Run, issue: dict[str, Any], master: int) -> None:
    """Link a pre-existing issue back to the checklist: one comment, once."""
    assert run.client is not None
    marker = ADOPTED_MARKER.format(master=master)

    def posted() -> bool:
        assert run.client is not None
        comments = run.client.fetch_comments(issue["number"])
        return any(marker in (comment.get("body") or "") for comment in comments)

    if issue.get("comments") and posted():
        return
    for attempt in range(CREATE_ATTEMPTS):
        try:
            run.client.apply_comment(
                issue["number"], f"Tracked in the test checklist #{master}.\n\n{marker}"
            )
            return
        except (CreateUncertain, GitHubUnavailable):
            # a comment is a create: GitHub may have posted it and still answered 5xx or
            # nothing, so look for it before posting again (never a second comment)
            if attempt == CREATE_ATTEMPTS - 1:
                raise
            if posted():
                return


def linked_numbers(items: list[cp.ChecklistItem], repo: str) -> set[int]:
    return {
        item.issue.number
        for item in items
        if item.issue and item.issue.resolve(repo).lower() == repo.lower()
    }


def check_plan_fits(plan: cs.PlanFile, doc: cp.Document, label: str, repo_url: str) -> None:
    """The master issue mirrors the whole plan: one it cannot hold, now or once every item is
    linked and annotated, is refused before the first write (and by --dry-run), not after
    every new item's issue was created. The body's length costs three parses, so a plan
    twice the limit is refused on its own length.
    """
    length = len(plan.text.rstrip())
    if length > 2 * cs.ISSUE_BODY_LIMIT:
        raise ConfigError(
            f"{plan.path} is too long for an issue body ({length} characters, GitHub takes "
            f"{cs.ISSUE_BODY_LIMIT}): split it into several plans"
        )
    cs.check_body_fits(
        cs.master_body(plan.text, label), doc.items, "file", repo_url, str(plan.path)
    )


def file_mode(
    run: Run,
    plan: cs.PlanFile,
    doc: cp.Document,
    master_number: int | None,
    label: str,
    template: str,
    force: bool,
) -> None:
    client, reporter, repo = run.client, run.reporter, run.settings.repo
    assert client is not None
    reporter.counts["items"] = len(doc.items)
    if not doc.items and doc.binding is None and master_number is None:
        # most likely the wrong file, or a plan not written yet: a master issue mirroring
        # no checklist would only be noise to close again
        reporter.info(no_items_note(plan))
        return
    from_binding = master_number is None and doc.binding is not None
    check_plan_fits(plan, doc, label, run.repo_url)

    if master_number is None and doc.binding:
        bound = cs.binding_target(doc.binding)
        if bound is None or bound[0].lower() != repo.lower():
            raise ConfigError(
                f"{plan.path} is bound to {doc.binding}, not to an issue of {repo}: fix the "
                "binding line or pass --repo"
            )
        master_number = bound[1]

    master: dict[str, Any] | None = None
    index: RepoIndex | None = None
    if master_number is not None:
        master = cs.fetch_master(client, master_number)
        if not force and refuse_other_plan(reporter, master_number, master, label, plan):
            return
        if not force and cs.master_edited(master.get("body") or ""):
            refuse(reporter, master_number, master.get("body") or "")
            return
    else:
        index = RepoIndex.build(client.fetch_all_issues(), run.trust)
        master = find_master(client, index_issues=index, label=label)
        if master is None:
            title = master_title(doc, label)
            if run.dry_run:
                reporter.info(f"would create the master checklist issue {quoted(title)}")
                master = {"number": 0, "html_url": f"{run.repo_url}/issues/0", "body": ""}
            else:
                body = cs.master_body(plan.text, label)
                marker = f"<!-- {cs.MASTER_MARKER} plan={label} "
                master = run.create_once({"title": title, "body": body}, marker)
                reporter.change(
                    "created",
                    f"created master checklist #{master['number']} {quoted(title)}",
                    issue=master["number"],
                    url=master["html_url"],
                    master=True,
                )
        else:
            reporter.info(f"found master checklist #{master['number']} (by its marker)")
    # a new or re-found master issue, or --master-issue naming another one than the binding
    rebind = not from_binding and doc.binding != master["html_url"]
    if rebind and not run.dry_run:
        plan.write(cp.set_binding(plan.reread(), master["html_url"]))
        # line numbers in messages are those of the file as it is now, binding line included
        doc = cp.parse_document(plan.text)
    cands = plan_candidates(doc.items, template, label, reporter)
    taken = linked_numbers(doc.items, repo)
    number = int(master["number"])
    taken.add(number)

    changes = linking_changes(repo, reporter)
    original = plan.text
    lines_valid = [True]  # the items are still on the lines `doc` found them on

    def on_link(cand: Candidate, ref: cp.IssueRef) -> None:
        changes.changes[cs.identity_key(cand.item, cand.occurrence)] = {"issue": ref}
        if run.dry_run:
            return
        # written after every issue, so a crash never loses a link
        fresh = plan.reread()
        if lines_valid[0] and fresh == plan.text:
            # only our links were added since `doc` was parsed: one edit at a known line
            # instead of re-keying every change (a plan of N items would cost O(N²) parses)
            edit = cp.Edit(cand.item.line_no, issue=ref)
            plan.write(cp.apply_edits(fresh, [edit], style="file", items=doc.items))
            return
        lines_valid[0] = False  # edited meanwhile (by hand): find the items by identity
        plan.write(changes.apply(fresh, "file"))

    if cands and index is None:
        index = RepoIndex.build(client.fetch_all_issues(), run.trust)
    if index is not None:
        report_twins(reporter, index, number, {cand.key for cand in cands})
    if cands:
        assert index is not None
        try:
            link_items(run, cands, number, label, index, taken, on_link)
        except ToolError as exc:
            # the links made so far are in the file: publish them to the master issue too
            reporter.fail(exc.format_message())
            run.error_code = max(run.error_code, exc.exit_code)
    if run.dry_run:
        preview_text = changes.apply(original, "file") if changes else original
        if rebind:
            preview_text = cp.set_binding(preview_text, master["html_url"])
        echo_diff(preview(unified_diff(original, preview_text, str(plan.path))))
        reporter.info(_pace_note(run.would_create, run.settings.write_interval))
        return
    known = master.get("body") if master_number is not None else None
    publish_master(run, plan, number, label, force, known)


def refuse_other_plan(
    reporter: Reporter, number: int, master: dict[str, Any], label: str, plan: cs.PlanFile
) -> bool:
    """True (after saying so) when the master issue is another plan's: two plans publishing
    into one issue would overwrite each other on every run.
    """
    other = cs.other_plan(master.get("body") or "", label)
    if other is None:
        return False
    reporter.fail(
        f"issue #{number} is the master checklist of {other}, not of {label}; nothing written. "
        f"If {plan.path} is a copy, remove its binding line to publish its own master issue; "
        f"if {other} was renamed to {label}, rerun with --force"
    )
    return True


def refuse(reporter: Reporter, number: int, body: str) -> None:
    if cs.split_master_body(body)[1] is None:
        reporter.fail(
            f"issue #{number} holds text this tool did not write; nothing written. Pick another "
            "master issue, or rerun with --force to replace its body with the plan"
        )
        return
    reporter.fail(
        f"master issue #{number} was edited on GitHub since it was last published; nothing "
        "written. Copy those edits into the plan file, or rerun with --force to overwrite them"
    )


def publish_master(
    run: Run, plan: cs.PlanFile, number: int, label: str, force: bool, known: str | None
) -> None:
    """Republish the plan to its master issue, keeping the boxes sync wrote there.

    `known` is the body read earlier in this run: when the plan still matches it, no request.
    """
    client, reporter = run.client, run.reporter
    assert client is not None
    # the master body never has the file's byte order mark: compared with it, a plan that has
    # one would never match, and every rerun would re-read the master
    new_plan = scrub(cp.strip_binding(plan.text).removeprefix("\ufeff"))
    if (
        known is not None
        and not cs.master_edited(known)
        and cs.normalize(cs.split_master_body(known)[2]) == cs.normalize(new_plan)
    ):
        return
    outcome: dict[str, Any] = {}  # what the body as re-read just before the write called for

    def republish(body: str) -> str:
        outcome.clear()
        if not force and cs.other_plan(body, label) is not None:
            outcome["other"] = body
            return body
        _label, recorded, old_plan = cs.split_master_body(body)
        if cs.master_edited(body) and not force:
            outcome["refused"] = body
            return body
        if recorded is not None and cs.normalize(old_plan) == cs.normalize(new_plan):
            return body  # same items and text: the boxes there are sync's business
        carried = carry_state(new_plan, old_plan, run.settings.repo)
        new_body = cs.master_body(carried, label)
        if new_body == body:
            return body
        try:
            # the check of the run's start, again: the plan may have been edited since
            cs.check_body_fits(new_body, cp.parse_checklist(carried), "file", run.repo_url, label)
        except ConfigError as exc:
            outcome["too_long"] = exc.format_message()
            return body
        outcome["published"] = True
        return new_body

    cs.write_issue_body(client, number, republish)
    if "other" in outcome:
        refuse_other_plan(reporter, number, {"body": outcome["other"]}, label, plan)
    elif "refused" in outcome:
        refuse(reporter, number, outcome["refused"])
    elif "too_long" in outcome:
        reporter.fail(f"{outcome['too_long']}; master checklist #{number} not updated")
    elif outcome.get("published"):
        reporter.info(f"published {label} to master checklist #{number}")


def carry_state(new_plan: str, old_plan: str, repo: str) -> str:
    """Boxes and annotations of linked items, as the master issue has them, onto new text."""
    key_of = cs.issue_key_fn(repo)
    changes = cs.KeyedChanges(key_of)
    for item in cp.parse_checklist(old_plan):
        if item.issue is not None:
            changes.changes[item.issue.key(repo)] = {
                "checked": item.checked,
                "pr": item.pr,
                "note": item.note,
            }
    return changes.apply(new_plan, "file")


def find_master(client: GitHubClient, index_issues: RepoIndex, label: str) -> dict[str, Any] | None:
    """A master issue a crashed first run created for this plan, found by its marker."""
    prefix = f"<!-- {cs.MASTER_MARKER} plan={label} "
    found = index_issues.trust.keep(
        [
            issue
            for issues in index_issues.by_title.values()
            for issue in issues
            if tool_marker(issue.get("body") or "").startswith(prefix)
        ]
    )
    if len(found) > 1:
        numbers = numbers_text([i["number"] for i in found])
        raise ConfigError(
            f"several master issues claim {label} ({numbers}): close the extra ones, or pass "
            "--master-issue"
        )
    return found[0] if found else None


def master_title(doc: cp.Document, label: str) -> str:
    """The master issue's title: the plan's first heading as the parser reads it (a `# line`
    inside a code block is code, not a heading), else one naming the plan."""
    title = clean_title(doc.title or "")
    return title or clean_title(f"Test plan: {label}")


def issue_mode(run: Run, number: int, template: str) -> None:
    """The checklist is issue `number`: held for the run, as a plan file is (see main)."""
    if run.dry_run:
        issue_mode_locked(run, number, template)
        return
    url = f"{run.settings.api_url}/repos/{run.settings.repo}/issues/{number}".lower()
    with cs.checklist_lock(url, f"issue #{number} of {run.settings.repo}", run.reporter.info):
        issue_mode_locked(run, number, template)


def issue_mode_locked(run: Run, number: int, template: str) -> None:
    client, reporter, repo = run.client, run.reporter, run.settings.repo
    assert client is not None
    master = cs.fetch_master(client, number)
    body = master.get("body") or ""
    items = cp.parse_checklist(body)
    reporter.counts["items"] = len(items)
    cs.check_body_fits(body, items, "issue", run.repo_url, f"master issue #{number}")
    cands = plan_candidates(items, template, f"#{number}", reporter)
    taken = linked_numbers(items, repo) | {number}
    changes = linking_changes(repo, reporter)

    def on_link(cand: Candidate, ref: cp.IssueRef) -> None:
        changes.changes[cs.identity_key(cand.item, cand.occurrence)] = {"issue": ref}

    if cands:
        index = RepoIndex.build(client.fetch_all_issues(), run.trust)
        report_twins(reporter, index, number, {cand.key for cand in cands})
        try:
            link_items(run, cands, number, None, index, taken, on_link)
        except ToolError as exc:
            # still link the issues made so far, so a rerun has less to look for
            reporter.fail(exc.format_message())
            run.error_code = max(run.error_code, exc.exit_code)
    if run.dry_run:
        new_body = changes.apply(body, "issue") if changes else body
        echo_diff(preview(unified_diff(body, new_body, f"issue-{number}.md")))
        reporter.info(_pace_note(run.would_create, run.settings.write_interval))
        return
    if changes:
        # one write at the end: the markers in the new issues make a crash before it safe
        cs.write_issue_body(client, number, lambda body: changes.apply(body, "issue"))
        reporter.info(f"linked {len(changes.changes)} items in master checklist #{number}")


# ---------------------------------------------------------------------------
# The command


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("plan", required=False, type=click.Path(path_type=Path, dir_okay=True))
@click.option(
    "--master-issue",
    type=click.IntRange(min=1),
    metavar="N",
    help="Issue mode: the checklist is the body of issue N (with PLAN: bind the plan to N).",
)
@cs.settings_options
@click.option(
    "--label",
    "labels",
    multiple=True,
    default=("test",),
    show_default=True,
    help="Label for new issues (repeatable; created if missing).",
)
@click.option("--assignee", "assignees", multiple=True, help="Assign new issues (repeatable).")
@click.option("--milestone", metavar="TITLE|N", help="Milestone for new issues.")
@click.option(
    "--title-template",
    default=DEFAULT_TEMPLATE,
    show_default=True,
    help="Issue title; fields: {text} {section} {parent} {plan}.",
)
@click.option("--sub-issues", is_flag=True, help="Attach each issue as a sub-issue of the master.")
@click.option("--dry-run", is_flag=True, help="Read only: show what would be created and the diff.")
@click.option(
    "--force", is_flag=True, help="Republish even if the master issue was edited on GitHub."
)
@output_options
def main(
    plan: Path | None,
    master_issue: int | None,
    repo: str | None,
    labels: tuple[str, ...],
    assignees: tuple[str, ...],
    milestone: str | None,
    title_template: str,
    sub_issues: bool,
    dry_run: bool,
    force: bool,
    write_interval: float | None,
    json_mode: bool,
    verbose: bool,
    quiet: bool,
) -> None:
    """Create one GitHub issue per unchecked item of PLAN (a Markdown checklist).

    The token comes from GITHUB_TOKEN or GH_TOKEN (environment or .env), never from a flag.
    """
    if plan is None and master_issue is None:
        raise click.UsageError("pass a PLAN file or --master-issue N")
    try:
        template_check = title_template.format(text="t", section="s", parent="p", plan="f")
    except (KeyError, IndexError, ValueError) as exc:
        raise click.UsageError(
            f"--title-template {title_template!r} is not valid ({exc}); use the fields "
            "{text} {section} {parent} {plan}"
        ) from None
    if "{text}" not in title_template or not template_check.strip():
        raise click.UsageError("--title-template must contain {text}")
    reporter = Reporter(quiet=quiet, verbose=verbose, json_mode=json_mode)
    labels = tuple(label for label in labels if label)
    # one run at a time per plan: two at once would both create every new item
    lock = cs.plan_lock(plan, reporter.info) if plan and not dry_run else contextlib.nullcontext()
    with lock:
        code = run_generate(
            plan,
            master_issue,
            repo=repo,
            labels=labels,
            assignees=assignees,
            milestone=milestone,
            template=title_template,
            sub_issues=sub_issues,
            dry_run=dry_run,
            force=force,
            write_interval=write_interval,
            reporter=reporter,
        )
    sys.exit(code)


if __name__ == "__main__":
    main()
