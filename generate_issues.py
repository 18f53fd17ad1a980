#!/usr/bin/env python3
"""Turn every unchecked item of a Markdown test plan into its own GitHub issue, never twice,
and write each issue's link back into the checklist.
"""

from __future__ import annotations

import sys

from checklist_version import require_python

require_python()  # before any import that fails on an older Python

import contextlib
import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import click
from click.core import ParameterSource

import checklist_parser as cp
import checklist_source as cs
import plan_config
from github_api import (
    ConfigError,
    CreateUncertain,
    GitHubClient,
    GitHubUnavailable,
    Issue,
    Rejected,
    ToolError,
    WritePacer,
)
from report import Reporter, ToolCommand, listed, output_options, quoted, unified_diff

T = TypeVar("T")
TITLE_LIMIT = 256  # GitHub's maximum title length
DEFAULT_TEMPLATE = "[Test] {text}"
SECTION_SEPARATOR = " › "
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


@dataclass(frozen=True)
class Skip:
    """Items left without an issue, and why (said once per group)."""

    message: str
    line: int
    count: int = 1


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


def master_title(doc: cp.Document, label: str) -> str:
    """The master issue's title: the plan's first heading as the parser reads it (a `# line`
    inside a code block is code, not a heading), else one naming the plan."""
    title = clean_title(doc.title or "")
    return title or clean_title(f"Test plan: {label}")


def tool_marker(body: str) -> str:
    """The body's last line, the only place the tool's hidden marker counts.

    Bodies carry item text (an item issue's first line, the whole plan in a master issue):
    marker-shaped text in an item must not make another item, or another plan, adopt them.
    """
    return body.rstrip().rpartition("\n")[2].strip()


def item_key(item: cp.ChecklistItem, parent: str | None = None) -> str:
    """A stable identity for an item, written as a hidden marker into its issue; `parent`
    only for an item whose section holds the same text under another parent."""
    raw = "\x1f".join(item.section) + "\x1e" + item.text
    if parent is not None:
        raw += "\x1d" + parent
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16]


def _seen(text: str) -> str:
    """How GitHub compares two titles: what a reader sees, case aside."""
    return cp.visible_text(text).casefold()


def qualified_texts(
    items: list[cp.ChecklistItem], pending: list[cp.ChecklistItem]
) -> dict[int, tuple[str, bool]]:
    """The `{text}` of each pending item's title (by line), and whether it names the parent:
    what a reader sees of the item, with its section path when another item's title would
    collide as GitHub compares titles, and its parent too when the section does not tell
    them apart (same text, same section, other parents)."""
    seen = {item.line_no: _seen(item.text) for item in items}
    twins = Counter(seen.values())
    in_section = Counter((seen[item.line_no], item.section) for item in items)
    out: dict[int, tuple[str, bool]] = {}
    for item in pending:
        text = cp.visible_text(item.text)
        if twins[seen[item.line_no]] == 1 or not item.section:
            out[item.line_no] = (text, False)
            continue
        path = list(item.section)
        same_section = in_section[(seen[item.line_no], item.section)]
        with_parent = same_section > 1 and item.parent is not None
        if with_parent:
            assert item.parent is not None
            path.append(cp.visible_text(items[item.parent].text))
        out[item.line_no] = (SECTION_SEPARATOR.join((*path, text)), with_parent)
    return out


def plan_candidates(
    items: list[cp.ChecklistItem], template: str, plan: str
) -> tuple[list[Candidate], list[Skip]]:
    """Unchecked unlinked items with their titles, and the items skipped: identical items get
    their section path, and items that still collide are skipped (never one issue for two).
    """
    pending: list[Candidate] = []
    skips: list[Skip] = []
    wanted = [
        (item, occurrence)
        for item, occurrence in cs.occurrences(items)
        if not item.checked and item.issue is None
    ]
    texts = qualified_texts(items, [item for item, _ in wanted if item.text])
    for item, occurrence in wanted:
        if not item.text:
            skips.append(Skip(f"line {item.line_no}: the item has no text", item.line_no))
            continue
        text, with_parent = texts[item.line_no]
        parent = items[item.parent].text if item.parent is not None else None
        title = clean_title(
            template.format(
                text=text,
                section=SECTION_SEPARATOR.join(item.section),
                parent=cp.visible_text(parent or ""),
                plan=plan,
            )
        )
        key = item_key(item, parent if with_parent else None)
        pending.append(Candidate(item, occurrence, title, key, parent))
    keep, twins = _split_twins(pending)
    return keep, skips + twins


def _split_twins(pending: list[Candidate]) -> tuple[list[Candidate], list[Skip]]:
    by_title: dict[str, list[Candidate]] = {}
    for cand in pending:
        by_title.setdefault(cand.title.casefold(), []).append(cand)
    keep: list[Candidate] = []
    skips: list[Skip] = []
    for cand in pending:
        twins = by_title[cand.title.casefold()]
        if len(twins) == 1:
            keep.append(cand)
        elif cand is twins[0]:
            # one line per group: one per item, each naming every twin, was quadratic
            lines = listed([str(c.item.line_no) for c in twins])
            skips.append(
                Skip(
                    f"lines {lines}: identical items would share the title {quoted(cand.title)}; "
                    "reword them or move them to different sections",
                    cand.item.line_no,
                    len(twins),
                )
            )
    return keep, skips


# `@name` in an item copied into many issue bodies would notify that person once per issue:
# a zero-width joiner after the `@` shows the same text and mentions no one
_MENTION_RE = re.compile(r"(?<![\w`])@(?=[A-Za-z0-9])")


def quiet_mentions(text: str) -> str:
    return _MENTION_RE.sub("@\u200d", text)


def issue_body(cand: Candidate, master: int, plan: str | None) -> str:
    lines = [quiet_mentions(cand.item.text), ""]
    if cand.item.section:
        section = SECTION_SEPARATOR.join(cand.item.section)
        lines.append(f"**Section:** {quiet_mentions(section)}  ")
    if cand.parent_text:
        lines.append(f"**Parent item:** {quiet_mentions(cand.parent_text)}  ")
    where = f" (`{plan}`)" if plan else ""
    lines.append(f"**Checklist:** #{master}{where}")
    lines += ["", cs.item_marker(master, cand.key)]
    return "\n".join(lines)


# who can write to the repository, as GitHub's listing says of each issue's author
WRITER_ASSOCIATIONS = frozenset({"OWNER", "MEMBER", "COLLABORATOR"})


def trusted_author(issue: Issue, me: str | None) -> bool:
    """May the tool adopt this issue? Anyone can open an issue, so one that carries a plan's
    marker or an item's title proves nothing by itself: only its author counts. Writers of the
    repository, and the token's own user `me` (whose issues are the tool's, whatever the token
    may do); `me` None is an integration's token (an App's, the workflow's GITHUB_TOKEN), whose
    issues are its bot's: only an App installed on the repository can author as a bot there.
    """
    if issue.author_association in WRITER_ASSOCIATIONS:
        return True
    if me is None:
        return issue.author_type == "Bot"
    return (issue.login or "").lower() == me.lower()


@dataclass
class Trust:
    """`trusted_author` with the token's identity read once, only when an issue needs it (an
    author the listing does not call a writer), and the outsiders' issues that were ignored.
    """

    fetch_login: Callable[[], str | None]
    ignored: set[int] = field(default_factory=set)
    _me: str | None = None
    _known: bool = False

    def learn(self, issue: Issue) -> None:
        """An issue this run created names the token's user: no request needed for it."""
        if not self._known and issue.login is not None:
            self._me, self._known = issue.login, True

    def __call__(self, issue: Issue) -> bool:
        if issue.author_association in WRITER_ASSOCIATIONS:
            return True
        if not self._known:
            self._me, self._known = self.fetch_login(), True
        if trusted_author(issue, self._me):
            return True
        self.ignored.add(issue.number)
        return False

    def keep(self, issues: Iterable[Issue]) -> list[Issue]:
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
    by_marker: dict[tuple[int, str], list[Issue]] = field(default_factory=dict)
    by_title: dict[str, list[Issue]] = field(default_factory=dict)
    marked: set[int] = field(default_factory=set)

    @classmethod
    def build(cls, issues: list[Issue], trust: Trust) -> RepoIndex:
        index = cls(trust)
        for issue in issues:
            match = cs.ITEM_MARKER_RE.fullmatch(tool_marker(issue.body))
            if match:
                key = (int(match.group(1)), match.group(2))
                index.by_marker.setdefault(key, []).append(issue)
                index.marked.add(issue.number)
            index.by_title.setdefault(issue.title, []).append(issue)
        return index

    def match(self, cand: Candidate, master: int, taken: set[int]) -> tuple[str, list[Issue]]:
        """("marker" | "title", candidates) — the issues this item may already have."""
        found = [i for i in self.by_marker.get((master, cand.key), []) if i.number not in taken]
        found = self.trust.keep(found)
        if found:
            return "marker", found
        found = [
            i
            for i in self.by_title.get(cand.title, [])
            if i.number not in taken and i.number not in self.marked and i.number != master
        ]
        return "title", self.trust.keep(found)

    def masters(self, label: str) -> list[Issue]:
        """Master issues of the plan `label` (a crashed first run's), found by their marker."""
        prefix = cs.master_marker_prefix(label)
        return self.trust.keep(
            issue
            for issues in self.by_title.values()
            for issue in issues
            if tool_marker(issue.body).startswith(prefix)
        )


@dataclass(frozen=True)
class Adopt:
    """The item's issue exists already (a rerun after a crash, or one made by hand)."""

    cand: Candidate
    issue: Issue
    how: str  # "marker" or "title"


@dataclass(frozen=True)
class Create:
    cand: Candidate


@dataclass(frozen=True)
class Ambiguous:
    """Several issues could be the item's: a person picks, the tool does not guess."""

    cand: Candidate
    how: str
    issues: tuple[Issue, ...]


Step = Adopt | Create | Ambiguous


def plan_links(
    cands: list[Candidate], index: RepoIndex, master: int, taken: set[int]
) -> list[Step]:
    """What each candidate gets: an issue to adopt, one to create, or a skip. `taken` holds
    the issues linked already; each adopted one is taken for the items after it.
    """
    taken = set(taken)
    steps: list[Step] = []
    for cand in cands:
        how, found = index.match(cand, master, taken)
        if len(found) > 1:
            steps.append(Ambiguous(cand, how, tuple(found)))
        elif found:
            taken.add(found[0].number)
            steps.append(Adopt(cand, found[0], how))
        else:
            steps.append(Create(cand))
    return steps


def twin_groups(index: RepoIndex, master: int, pending: set[str]) -> list[list[int]]:
    """Issues made for one item by two runs at once (on two machines: no lock reaches), as
    any run that lists the repository sees them. An unlinked item with twins (`pending`) is
    skipped by plan_links, with its own message.
    """
    groups = []
    for (owner, key), issues in index.by_marker.items():
        if owner != master or key in pending or len(issues) < 2:
            continue
        twins = index.trust.keep(i for i in issues if i.state_reason != "duplicate")
        if len(twins) > 1:
            groups.append([i.number for i in twins])
    return groups


def carry_state(
    new_plan: str,
    old_plan: str,
    repo: str,
    *,
    new_items: list[cp.ChecklistItem] | None = None,
    old_items: list[cp.ChecklistItem] | None = None,
) -> str:
    """Boxes and annotations of linked items, as the master issue has them, onto new text
    (`new_items`, `old_items`: the two texts' items, when the caller parsed them)."""
    key_of = cs.issue_key_fn(repo)
    changes = cs.KeyedChanges(key_of)
    for item in cp.parse_checklist(old_plan) if old_items is None else old_items:
        if item.issue is not None:
            changes.changes[item.issue.key(repo)] = {
                "checked": item.checked,
                "pr": item.pr,
                "note": item.note,
            }
    return changes.apply(new_plan, "file", new_items)


def preview(text: str) -> str:
    """Links of issues not created yet are shown as `#?` in a dry-run diff."""
    return re.sub(r"(?:(?<=#)|(?<=/issues/))0(?=[\]\)]| -->)", "?", text)


def pace_note(count: int, interval: float) -> str:
    seconds = WritePacer.estimate(count, interval)
    return f"{count} issues to create: about {seconds:.0f}s at one write every {interval:g}s"


def no_items_note(plan: cs.PlanFile) -> str:
    return (
        f"{plan.path} has no checklist items (lines like `- [ ] text`): nothing to create, "
        "and no master issue"
    )


# ---------------------------------------------------------------------------
# Apply: the writes to GitHub and to the plan


def create_or_find(send: Callable[[], T], find: Callable[[], T | None]) -> T:
    """Send a create (an issue, a comment); after a failed or unanswered one, look for what it
    makes before sending it again: GitHub may have made it and still answered 5xx or nothing.
    A create is never re-sent blindly, so nothing is ever made twice.
    """
    last: ToolError | None = None
    for _attempt in range(CREATE_ATTEMPTS):
        try:
            return send()
        except (CreateUncertain, GitHubUnavailable) as exc:
            last = exc
            found = find()
            if found is not None:
                return found
    assert last is not None
    raise last


@dataclass
class Session:
    """One run's GitHub side: the connection, whose issues may be adopted, the repository's
    page, what every new issue gets, and the summary's extra fields (--json)."""

    client: GitHubClient
    reporter: Reporter
    options: GenerateOptions
    settings: cs.Settings
    repo_url: str
    trust: Trust
    milestone: int | None
    summary: dict[str, Any]
    _labels_ready: bool = False

    @classmethod
    def open(
        cls,
        client: GitHubClient,
        reporter: Reporter,
        options: GenerateOptions,
        settings: cs.Settings,
        summary: dict[str, Any],
    ) -> Session:
        repo_url = client.fetch_repo()["html_url"]
        # before any write: an unknown milestone is a usage error, not a half-done run
        milestone = client.fetch_milestone_number(options.milestone) if options.milestone else None
        if options.dry_run:
            summary["would_create"] = 0
        trust = Trust(client.fetch_login)
        return cls(client, reporter, options, settings, repo_url, trust, milestone, summary)

    @property
    def repo(self) -> str:
        assert self.settings.repo is not None
        return self.settings.repo

    def prepare_writes(self) -> None:
        """Labels (created if missing), once, before the first create."""
        if self._labels_ready:
            return
        for name in self.options.labels:
            if self.client.fetch_label(name) is None:
                self.client.apply_label(name, LABEL_COLOR, "Created by checklist-sync")
                self.reporter.info(f"created label {name!r}")
        self._labels_ready = True

    def create_issue(self, payload: dict[str, Any], marker: str) -> Issue:
        """Create an issue whose body ends with a marker starting with `marker`."""

        def send() -> Issue:
            issue = Issue.from_json(self.client.apply_create_issue(payload))
            self.trust.learn(issue)
            return issue

        def find() -> Issue | None:
            # an outsider's issue may carry the marker too (it is in the public plan)
            recent = self.client.fetch_recent_issues()
            mine = (i for i in recent if tool_marker(i.body).startswith(marker) and self.trust(i))
            return next(mine, None)

        return create_or_find(send, find)

    def preview(self, steps: list[Step], old: str, base: str, name: str, style: str) -> int:
        """--dry-run: show_preview at this run's pace; the creations it counted."""
        interval = self.settings.write_interval
        return show_preview(self.reporter, steps, self.repo_url, old, base, name, style, interval)

    def create_item(self, cand: Candidate, master: int, plan: str | None) -> Issue:
        payload: dict[str, Any] = {
            "title": cand.title,
            "body": issue_body(cand, master, plan),
            "labels": list(self.options.labels),
        }
        if self.options.assignees:
            payload["assignees"] = list(self.options.assignees)
        if self.milestone is not None:
            payload["milestone"] = self.milestone
        return self.create_issue(payload, cs.item_marker(master, cand.key))


def item_ref(issue: Issue) -> cp.IssueRef:
    return cp.IssueRef(issue.number, None, issue.url)


OnLink = Callable[[Candidate, cp.IssueRef], None]


def apply_links(
    s: Session, steps: list[Step], master: int, plan: str | None, on_link: OnLink
) -> int:
    """Adopt or create each step's issue, `on_link(cand, ref)` recording each link; an error
    that ends the batch is reported, and its exit code returned (the links made so far are
    still written by the caller)."""
    try:
        with s.reporter.progress(steps, "creating issues") as bar:
            for step in bar:
                if isinstance(step, Ambiguous):
                    report_ambiguous(s.reporter, step)
                    continue
                if isinstance(step, Adopt):
                    apply_adopt(s, step, master)
                    issue: Issue | None = step.issue
                else:
                    issue = apply_create(s, step, master, plan)
                if issue is not None:
                    on_link(step.cand, item_ref(issue))
    except ToolError as exc:
        s.reporter.counts["failed"] += 1
        s.reporter.fail(exc.format_message())
        return exc.exit_code
    return 0


def apply_create(s: Session, step: Create, master: int, plan: str | None) -> Issue | None:
    cand, line = step.cand, step.cand.item.line_no
    s.prepare_writes()
    try:
        issue = s.create_item(cand, master, plan)
    except Rejected as exc:
        s.reporter.counts["failed"] += 1
        s.reporter.fail(f"line {line}: {exc.format_message()}")
        return None
    if s.options.sub_issues:
        attach_sub_issue(s, master, issue, line)
    s.reporter.change(
        "created",
        f"created #{issue.number} {quoted(cand.title)} for line {line}",
        line=line,
        issue=issue.number,
        url=issue.url,
        title=cand.title,
    )
    return issue


def apply_adopt(s: Session, step: Adopt, master: int) -> None:
    issue, line = step.issue, step.cand.item.line_no
    if step.how == "title":
        try:
            apply_adopt_comment(s, issue, master)
        except Rejected as exc:
            # a locked issue (lock bots lock old ones) takes no comment: the link in the
            # checklist still points there, so adopting it stands
            s.reporter.warn(
                f"line {line}: no comment linking #{issue.number} to the checklist: "
                f"{exc.format_message()}; link it by hand if wanted",
                line=line,
                issue=issue.number,
            )
    if s.options.sub_issues:
        attach_sub_issue(s, master, issue, line)
    s.reporter.change(
        "adopted",
        f"adopted #{issue.number} {quoted(step.cand.title)} for line {line} (by {step.how})",
        line=line,
        issue=issue.number,
        url=issue.url,
    )


def apply_adopt_comment(s: Session, issue: Issue, master: int) -> None:
    """Link a pre-existing issue back to the checklist: one comment, once."""
    marker = ADOPTED_MARKER.format(master=master)

    def posted() -> bool | None:
        comments = s.client.fetch_comments(issue.number)
        return True if any(marker in (c.get("body") or "") for c in comments) else None

    if issue.comments and posted():
        return
    body = f"Tracked in the test checklist #{master}.\n\n{marker}"
    create_or_find(lambda: s.client.apply_comment(issue.number, body) or True, posted)


def attach_sub_issue(s: Session, master: int, issue: Issue, line: int) -> None:
    try:
        s.client.apply_sub_issue(master, issue.id)
    except Rejected as exc:
        # the issue exists and is linked: a missing progress-bar entry is worth a warning only
        s.reporter.warn(
            f"line {line}: #{issue.number} is not a sub-issue of #{master}: {exc.format_message()}",
            line=line,
            issue=issue.number,
        )


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


def link_into_plan(
    s: Session, plan: cs.PlanFile, doc: cp.Document, steps: list[Step], master: int, label: str
) -> int:
    """apply_links with each link written into the plan right after its issue exists, so a
    crash never loses one; the exit code of an error that ended the batch."""
    changes = linking_changes(s.repo, s.reporter)
    lines_valid = [True]  # the items are still on the lines `doc` found them on

    def on_link(cand: Candidate, ref: cp.IssueRef) -> None:
        changes.changes[cs.identity_key(cand.item, cand.occurrence)] = {"issue": ref}
        fresh = plan.reread()
        if lines_valid[0] and fresh == plan.text:
            # only our links were added since `doc` was parsed: one edit at a known line
            # instead of re-keying every change (a plan of N items would cost O(N²) parses)
            edit = cp.Edit(cand.item.line_no, issue=ref)
            plan.write(cp.apply_edits(fresh, [edit], style="file", items=doc.items))
            return
        lines_valid[0] = False  # edited meanwhile (by hand): find the items by identity
        plan.write(changes.apply(fresh, "file"))

    return apply_links(s, steps, master, label, on_link)


# ---------------------------------------------------------------------------
# Reports and previews: a dry run renders the plan the real run would apply


def report_skips(reporter: Reporter, skips: list[Skip]) -> None:
    for skip in skips:
        reporter.skip(skip.message, count=skip.count, line=skip.line)


def report_ambiguous(reporter: Reporter, step: Ambiguous) -> None:
    line = step.cand.item.line_no
    numbers = numbers_text([i.number for i in step.issues])
    reporter.skip(
        f"line {line}: {quoted(step.cand.title)} matches several issues ({numbers}) by "
        f"{step.how}; link the right one in the checklist by hand",
        line=line,
    )


def find_orphans(
    index: RepoIndex, master: int, items: list[cp.ChecklistItem], linked: set[int]
) -> list[Issue]:
    """Open issues made for an item of this checklist that is no longer in it: their marker
    names this master issue and an item key no item has, and no item links them.
    """
    keys = {item_key(item) for item in items}
    keys |= {item_key(item, items[item.parent].text) for item in items if item.parent is not None}
    return sorted(
        (
            issue
            for (owner, key), issues in index.by_marker.items()
            if owner == master and key not in keys
            for issue in issues
            if issue.state == "open" and issue.number not in linked
        ),
        key=lambda issue: issue.number,
    )


def report_orphans(reporter: Reporter, orphans: list[Issue]) -> None:
    # never closed by the tool: the item may have been reworded, or moved to another plan
    for issue in orphans:
        reporter.change(
            "orphan",
            f"orphan: #{issue.number} {quoted(issue.title)} is open, but its item is no longer "
            "in the checklist: close it, or link it from an item",
            issue=issue.number,
            url=issue.url,
        )


def report_twins(reporter: Reporter, groups: list[list[int]]) -> None:
    for numbers in groups:
        reporter.warn(
            f"issues {numbers_text(numbers)} were all made for one item (two runs at once?): "
            "keep the one the checklist links and close the others as duplicates"
        )


def render_links(
    reporter: Reporter, steps: list[Step], repo_url: str
) -> tuple[cs.KeyedChanges, int]:
    """What apply_links would do, said as not done: the links it would make (keyed by item
    identity, `#0` for an issue not created yet) and how many issues it would create."""
    changes = cs.KeyedChanges(cs.identity_key)
    creates = 0
    for step in steps:
        if isinstance(step, Ambiguous):
            report_ambiguous(reporter, step)
            continue
        line = step.cand.item.line_no
        if isinstance(step, Adopt):
            reporter.info(
                f"would adopt #{step.issue.number} {quoted(step.cand.title)} for line {line} "
                f"(by {step.how})"
            )
            ref = item_ref(step.issue)
        else:
            reporter.change(
                "would_create",
                f"would create {quoted(step.cand.title)} for line {line}",
                line=line,
                title=step.cand.title,
            )
            ref = cp.IssueRef(0, None, f"{repo_url}/issues/0")
            creates += 1
        changes.changes[cs.identity_key(step.cand.item, step.cand.occurrence)] = {"issue": ref}
    return changes, creates


def show_preview(
    reporter: Reporter,
    steps: list[Step],
    repo_url: str,
    old: str,
    base: str,
    name: str,
    style: str,
    interval: float,
) -> int:
    """--dry-run: the steps said as not done, the diff from `old` to `base` (`old` with the
    binding line a real run writes first) with the links, the time the creations take."""
    changes, creates = render_links(reporter, steps, repo_url)
    new = changes.apply(base, style) if changes else base
    reporter.out_of_sync = new != old
    reporter.diff(preview(unified_diff(old, new, name)))
    reporter.info(pace_note(creates, interval))
    return creates


# ---------------------------------------------------------------------------
# The run


@dataclass(frozen=True)
class GenerateOptions:
    """How to generate: the command line, read once."""

    labels: tuple[str, ...] = ("test",)
    assignees: tuple[str, ...] = ()
    milestone: str | None = None
    template: str = DEFAULT_TEMPLATE
    sub_issues: bool = False
    dry_run: bool = False
    force: bool = False
    repo: str | None = None
    write_interval: float | None = None


def generate(
    plan_path: Path | None, master: int | None, options: GenerateOptions, reporter: Reporter
) -> int:
    """One checklist: a plan file or a master issue, applied, or previewed by --dry-run (with
    no token or no repository, offline)."""
    opened = cs.open_checklist(
        plan_path,
        master,
        repo=options.repo,
        write_interval=options.write_interval,
        read_only=options.dry_run,
        need_token=not options.dry_run,
        need_repo=False,
    )
    settings = opened.settings
    reporter.repo, reporter.master_issue = settings.repo, opened.master
    if options.dry_run and (settings.token is None or settings.repo is None):
        if opened.plan is None:
            raise ConfigError("--dry-run without a token needs a plan file (no issue to read)")
        return preview_offline(opened, options, reporter)
    summary: dict[str, Any] = {}
    with cs.github_session(settings, reporter, extra=summary) as client:
        session: Session | None = None
        try:
            session = Session.open(client, reporter, options, settings, summary)
            if opened.plan is not None:
                code = generate_for_plan(session, opened)
            else:
                assert opened.master is not None
                code = generate_for_issue(session, opened.master)
        except ToolError as exc:
            reporter.fail(exc.format_message(), exc.exit_code)
            code = exc.exit_code
        finally:
            if session is not None:
                session.trust.report(reporter)
    return max(code, reporter.exit_code)


def generate_for_plan(s: Session, opened: cs.Opened) -> int:
    """File mode: the master issue, an issue per new item linked in the plan, the republish."""
    plan, doc = opened.plan, opened.doc
    assert plan is not None and doc is not None
    label = cs.plan_label(plan.path)
    s.reporter.counts["items"] = len(doc.items)
    if not doc.items and doc.binding is None and opened.master is None:
        # most likely the wrong file, or a plan not written yet: a master issue mirroring
        # no checklist would only be noise to close again
        s.reporter.info(no_items_note(plan))
        return 0
    check_plan_fits(plan, doc, label, s.repo_url)
    master, index = open_master(s, opened, label)
    if master is None:
        return 1
    s.reporter.master_issue = master.number or None  # 0: the one a dry run would create
    s.reporter.out_of_sync = not (opened.from_binding or doc.binding == master.url)
    base, doc = bind_plan(s, plan, doc, master, opened.from_binding)
    steps = decide_links(s, doc.items, label, master.number, index)
    if s.options.dry_run:
        s.summary["would_create"] = s.preview(steps, plan.text, base, str(plan.path), "file")
        return 0
    code = link_into_plan(s, plan, doc, steps, master.number, label)
    known = master.body if opened.master is not None else None
    publish_master(s, plan, master.number, label, known)
    return code


def open_master(s: Session, opened: cs.Opened, label: str) -> tuple[Issue | None, RepoIndex | None]:
    """The master issue (None: refused, said why) and, when it took a listing to find it,
    the repository's index."""
    assert opened.plan is not None and opened.doc is not None
    if opened.master is not None:
        master = cs.fetch_master(s.client, opened.master)
        if not s.options.force and refuse_master(s.reporter, master, label, opened.plan):
            return None, None
        return master, None
    index = RepoIndex.build(s.client.fetch_all_issues(), s.trust)
    return find_or_create_master(s, index, opened.plan, opened.doc, label), index


def bind_plan(
    s: Session, plan: cs.PlanFile, doc: cp.Document, master: Issue, from_binding: bool
) -> tuple[str, cp.Document]:
    """The plan bound to `master` (written, unless a dry run), and its parse: line numbers
    are those of the file as it is then, binding line included."""
    if from_binding or doc.binding == master.url:
        return plan.text, doc
    # a new or re-found master, or --master-issue naming another one than the binding
    base = cp.set_binding(plan.text if s.options.dry_run else plan.reread(), master.url)
    if not s.options.dry_run:
        plan.write(base)
    return base, cp.parse_document(base)


def decide_links(
    s: Session,
    items: list[cp.ChecklistItem],
    plan_name: str,
    master: int,
    index: RepoIndex | None,
) -> list[Step]:
    """Candidates (their skips said), then what each gets; the repository is listed only
    when something may need an issue, or when it was listed already (its twins are said)."""
    cands, skips = plan_candidates(items, s.options.template, plan_name)
    report_skips(s.reporter, skips)
    if cands and index is None:
        index = RepoIndex.build(s.client.fetch_all_issues(), s.trust)
    if index is None:
        return []
    report_twins(s.reporter, twin_groups(index, master, {c.key for c in cands}))
    taken = cs.linked_numbers(items, s.repo) | {master}
    report_orphans(s.reporter, find_orphans(index, master, items, taken))
    s.reporter.out_of_sync = s.reporter.out_of_sync or bool(cands)
    return plan_links(cands, index, master, taken)


def find_or_create_master(
    s: Session, index: RepoIndex, plan: cs.PlanFile, doc: cp.Document, label: str
) -> Issue:
    """The plan's master issue: the one a crashed first run created, else a new one."""
    found = index.masters(label)
    if len(found) > 1:
        raise ConfigError(
            f"several master issues claim {label} ({numbers_text([i.number for i in found])}): "
            "close the extra ones, or pass --master-issue"
        )
    if found:
        s.reporter.info(f"found master checklist #{found[0].number} (by its marker)")
        return found[0]
    title = master_title(doc, label)
    if s.options.dry_run:
        s.reporter.info(
            f"would create the master checklist issue {quoted(title)} and bind the plan to it"
        )
        return Issue(0, 0, title, "", f"{s.repo_url}/issues/0")
    body = cs.master_body(plan.text, label, unbound=doc.binding_line is None, items=doc.items)
    master = s.create_issue({"title": title, "body": body}, cs.master_marker_prefix(label))
    s.reporter.change(
        "created",
        f"created master checklist #{master.number} {quoted(title)}",
        issue=master.number,
        url=master.url,
        master=True,
    )
    return master


def preview_offline(opened: cs.Opened, options: GenerateOptions, reporter: Reporter) -> int:
    """--dry-run with no token or no repository: the real run's plan as far as the plan file
    alone says it (every candidate is created: existing issues cannot be read)."""
    plan, doc, settings = opened.plan, opened.doc, opened.settings
    assert plan is not None and doc is not None
    label = cs.plan_label(plan.path)
    reporter.counts["items"] = len(doc.items)
    repo_url = f"https://github.com/{settings.repo or 'OWNER/REPO'}"
    summary: dict[str, Any] = {"would_create": 0}
    if not doc.items and doc.binding is None:
        reporter.info(no_items_note(plan))
    else:
        check_plan_fits(plan, doc, label, repo_url)
        base = plan.text
        if doc.binding is None:
            title = master_title(doc, label)
            reporter.info(
                f"would create the master checklist issue {quoted(title)} and bind the plan to it"
            )
            base = cp.set_binding(base, f"{repo_url}/issues/0")
            doc = cp.parse_document(base)
        why = "no token" if settings.token is None else "no repository given (--repo)"
        reporter.info(f"duplicate check skipped: {why}, so existing issues were not read")
        cands, skips = plan_candidates(doc.items, options.template, label)
        report_skips(reporter, skips)
        steps: list[Step] = [Create(cand) for cand in cands]
        summary["would_create"] = show_preview(
            reporter,
            steps,
            repo_url,
            plan.text,
            base,
            str(plan.path),
            "file",
            settings.write_interval,
        )
    reporter.summary(requests=0, rate_limit_remaining=None, **summary)
    return reporter.exit_code


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
        cs.master_body(
            plan.text,
            label,
            unbound=doc.binding_line is None,
            digest_value=cs.DIGEST_PLACEHOLDER,
        ),
        doc.items,
        "issue",  # the master issue's style
        repo_url,
        str(plan.path),
    )


def refuse_master(reporter: Reporter, master: Issue, label: str, plan: cs.PlanFile) -> bool:
    """True (after saying why) when the plan must not publish into `master`."""
    if refuse_other_plan(reporter, master.number, master.body, label, plan):
        return True
    if cs.master_edited(master.body):
        refuse(reporter, master.number, master.body)
        return True
    return False


def refuse_other_plan(
    reporter: Reporter, number: int, body: str, label: str, plan: cs.PlanFile
) -> bool:
    """True (after saying so) when the master issue is another plan's: two plans publishing
    into one issue would overwrite each other on every run.
    """
    other = cs.other_plan(body, label)
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


@dataclass(frozen=True)
class Published:
    """The plan as its master issue holds it (no binding line, no byte order mark), parsed
    once for every comparison and the carry-over."""

    text: str
    items: list[cp.ChecklistItem]
    normalized: str

    @classmethod
    def of(cls, plan: cs.PlanFile) -> Published:
        # compared as the master holds it: with a byte order mark or front matter kept, a
        # plan would never match, and every rerun would re-read the master
        text = cs.mirrored_plan(plan.text)
        items = cp.parse_checklist(text)
        return cls(text, items, cs.normalize(text, items))


def publish_master(
    s: Session, plan: cs.PlanFile, number: int, label: str, known: str | None
) -> None:
    """Republish the plan to its master issue, keeping the boxes sync wrote there.

    `known` is the body read earlier in this run: when the plan still matches it, no request.
    """
    new = Published.of(plan)
    if known is not None:
        known_plan = cs.split_master_body(known)[2]
        known_norm = cs.normalize(known_plan)
        if (
            not cs.master_edited(known, known_norm)
            and known_norm == new.normalized
            and cs.issue_style(known_plan) == known_plan
        ):
            return
    outcome: dict[str, str] = {}  # what the body as re-read just before the write called for

    def republish(body: str) -> str:
        outcome.clear()
        new_body, why = republished(body, new, label, s)
        if why:
            outcome[why] = body if why != "too_long" else new_body
            return body
        if new_body != body:
            outcome["published"] = ""
        return new_body

    cs.write_issue_body(s.client, number, republish)
    if "other" in outcome:
        refuse_other_plan(s.reporter, number, outcome["other"], label, plan)
    elif "refused" in outcome:
        refuse(s.reporter, number, outcome["refused"])
    elif "too_long" in outcome:
        s.reporter.fail(f"{outcome['too_long']}; master checklist #{number} not updated")
    elif "published" in outcome:
        s.reporter.info(f"published {label} to master checklist #{number}")


def republished(body: str, new: Published, label: str, s: Session) -> tuple[str, str | None]:
    """(the master body the plan calls for, None) or (a message or body, why it is not
    written: "other", "refused", "too_long")."""
    force = s.options.force
    if not force and cs.other_plan(body, label) is not None:
        return body, "other"
    _label, recorded, old_plan = cs.split_master_body(body)
    old_items = cp.parse_checklist(old_plan)
    old_norm = cs.normalize(old_plan, old_items)
    if cs.master_edited(body, old_norm) and not force:
        return body, "refused"
    if (
        recorded is not None
        and old_norm == new.normalized
        # a master published before the issue-body style is republished once
        and cs.issue_style(old_plan, old_items) == old_plan
    ):
        return body, None  # same items and text: the boxes there are sync's business
    carried = carry_state(new.text, old_plan, s.repo, new_items=new.items, old_items=old_items)
    # boxes and annotations aside, the carried plan is the new one: so is its digest
    digest = cs.digest_of(new.normalized)
    # carried onto the mirrored plan, in the issue-body style: mirrored already
    new_body = cs.master_body(carried, label, mirrored=True, digest_value=digest)
    if new_body == body:
        return body, None
    try:
        # the check of the run's start, again: the plan may have been edited since
        cs.check_body_fits(new_body, cp.parse_checklist(carried), "issue", s.repo_url, label)
    except ConfigError as exc:
        return exc.format_message(), "too_long"
    return new_body, None


def generate_for_issue(s: Session, number: int) -> int:
    """Issue mode: the checklist is issue `number`, held for the run as a plan file is (see
    main)."""
    if s.options.dry_run:
        return issue_links(s, number)
    url = f"{s.settings.api_url}/repos/{s.repo}/issues/{number}".lower()
    with cs.checklist_lock(url, f"issue #{number} of {s.repo}", s.reporter.info):
        return issue_links(s, number)


def issue_links(s: Session, number: int) -> int:
    master = cs.fetch_master(s.client, number)
    items = cp.parse_checklist(master.body)
    s.reporter.counts["items"] = len(items)
    cs.check_body_fits(master.body, items, "issue", s.repo_url, f"master issue #{number}")
    steps = decide_links(s, items, f"#{number}", number, None)
    if s.options.dry_run:
        name = f"issue-{number}.md"
        s.summary["would_create"] = s.preview(steps, master.body, master.body, name, "issue")
        return 0
    changes = linking_changes(s.repo, s.reporter)

    def on_link(cand: Candidate, ref: cp.IssueRef) -> None:
        changes.changes[cs.identity_key(cand.item, cand.occurrence)] = {"issue": ref}

    # still link the issues made so far when an error ends the batch: less for a rerun to find
    code = apply_links(s, steps, number, None, on_link)
    if changes:
        # one write at the end: the markers in the new issues make a crash before it safe
        cs.write_issue_body(s.client, number, lambda body: changes.apply(body, "issue"))
        s.reporter.info(f"linked {len(changes.changes)} items in master checklist #{number}")
    return code


# ---------------------------------------------------------------------------
# The command


@click.command(cls=ToolCommand, context_settings={"help_option_names": ["-h", "--help"]})
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
    help="Label for new issues (repeatable or comma-separated; created if missing).",
)
@click.option(
    "--assignee",
    "assignees",
    multiple=True,
    help="Assign new issues (repeatable or comma-separated).",
)
@click.option("--milestone", metavar="TITLE|N", help="Milestone for new issues.")
@click.option(
    "--title-template",
    default=DEFAULT_TEMPLATE,
    show_default=True,
    help="Issue title; fields: {text} {section} {parent} {plan}.",
)
@click.option(
    "--sub-issues/--no-sub-issues",
    default=False,
    help="Attach each issue as a sub-issue of the master.",
)
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

    The token comes from GH_TOKEN or GITHUB_TOKEN (environment or .env), else from a logged-in
    gh; never from a flag.
    """
    if plan is None and master_issue is None:
        raise click.UsageError("pass a PLAN file or --master-issue N")
    if problem := plan_config.template_problem(title_template):
        raise click.UsageError(f"--title-template {problem}")
    reporter = Reporter(quiet=quiet, verbose=verbose, json_mode=json_mode, dry_run=dry_run)
    reporter.plan_file = str(plan) if plan else None
    # flags override the config file, which overrides the flags' defaults
    given = click.get_current_context().get_parameter_source
    config = plan_config.load_plan_config(plan, master_issue, Path.cwd())
    if config.labels is not None and given("labels") is ParameterSource.DEFAULT:
        labels = config.labels
    if config.title_template is not None and given("title_template") is ParameterSource.DEFAULT:
        title_template = config.title_template
    if config.sub_issues is not None and given("sub_issues") is ParameterSource.DEFAULT:
        sub_issues = config.sub_issues
    assignees = plan_config.split_names(assignees) or (config.assignees or ())
    milestone = milestone or config.milestone
    labels = plan_config.split_names(labels)
    # one run at a time per plan: two at once would both create every new item
    lock = cs.plan_lock(plan, reporter.info) if plan and not dry_run else contextlib.nullcontext()
    options = GenerateOptions(
        labels=labels,
        assignees=assignees,
        milestone=milestone,
        template=title_template,
        sub_issues=sub_issues,
        dry_run=dry_run,
        force=force,
        repo=repo,
        write_interval=write_interval,
    )
    with lock:
        code = generate(plan, master_issue, options, reporter)
    sys.exit(code)


if __name__ == "__main__":
    main()
