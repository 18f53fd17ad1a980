"""Reliability campaign: no fault, crash, race or hostile input duplicates an issue, loses an
edit, half-writes a checklist or leaks the token. A state machine, a kill campaign and races.

`RELIABILITY_EXAMPLES`, `RELIABILITY_STEPS` and `RELIABILITY_KILLS` size it (bench/campaign.py
runs it larger and prints the figures); `RELIABILITY_RANDOM=1` explores beyond the fixed seed.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

import checklist_parser as cp
import checklist_source as cs
import generate_issues
import github_api
import sync_checklist
from tests.conftest import SETTINGS_ENV, run_cli
from tests.fake_github import FakeGitHub

ROOT = Path(__file__).resolve().parent.parent
REPO = "octo/plan"
OTHER = "octo/other"
EXAMPLES = int(os.environ.get("RELIABILITY_EXAMPLES", "30"))
STEPS = int(os.environ.get("RELIABILITY_STEPS", "50"))
KILLS = int(os.environ.get("RELIABILITY_KILLS", "20"))

# What the campaign did, for bench/campaign.py and the report: steps, runs, faults, kills.
FIGURES: Counter[str] = Counter()

ITEM_MARKER_RE = re.compile(r"<!-- checklist-sync:item master=(\d+) key=([0-9a-f]+) -->")
OUTSIDER = "mallory"  # can open issues, cannot write to the repository
BINDING_LINE_RE = re.compile(r"^<!-- checklist-sync: \S+ -->$")
# An item line as the campaign writes it, with the tool's link and annotations (file or issue
# style) split off: this reads the tool's output without trusting the parser under test.
ITEM_LINE_RE = re.compile(
    r"^(?P<indent> *)(?P<marker>[-*+]|\d{1,9}[.)]) \[(?P<box>[ xX])\] (?P<text>.*?)"
    r"(?P<link> \((?:\[#(?P<fnum>\d+)\]\((?P<url>[^()\s]+)\)|#(?P<inum>\d+))\))?"
    r"(?P<pr> \((?:\[PR #(?P<fpr>\d+)\]\([^()\s]+\)|PR #(?P<ipr>\d+))\))?"
    r"(?P<note> \((?P<notetext>not planned|duplicate)\))?$"
)
FENCE_OPEN = "```text"
FENCE_CLOSE = "```"

# Item texts: Markdown, Unicode, references that are content, terminal escapes, control
# characters, a title past GitHub's limit. The campaign puts a unique number in front of each.
FLAVORS = (
    "parses date-named directories",
    "rejects `empty` input",
    "handles *emphasis* and **bold**",
    "ünïcödé — ÆØÅ 日本語",
    "regression for bug #45 stays fixed",
    "fixes #3 in the parser is content",
    "see https://github.com/octo/other/issues/1 for context",
    "emoji 👩\u200d💻 and zero\u200bwidth",
    "tab\tinside and a backslash \\ here",
    "<b>inline html</b> &amp; entities",
    "escape \x1b[31m red and bell \x07",
    "rtl \u202eoverride\u202c text",
    "a [link](https://example.com) in text",
    "long " + "x" * 300,
)


# ---------------------------------------------------------------------------
# Reading documents without the parser under test


def body_of(line: str) -> str:
    return line.rstrip("\r\n")


def split_item(line: str) -> re.Match[str] | None:
    return ITEM_LINE_RE.match(body_of(line))


def link_number(match: re.Match[str]) -> int | None:
    number = match.group("fnum") or match.group("inum")
    return int(number) if number else None


def pr_number(match: re.Match[str]) -> int | None:
    number = match.group("fpr") or match.group("ipr")
    return int(number) if number else None


def fenced_lines(lines: list[str]) -> set[int]:
    """Indexes of the lines inside the campaign's own code fences (never items)."""
    inside: set[int] = set()
    open_at: int | None = None
    for index, line in enumerate(lines):
        content = body_of(line)
        if open_at is None and content == FENCE_OPEN:
            open_at = index
        elif open_at is not None and content == FENCE_CLOSE:
            open_at = None
        elif open_at is not None:
            inside.add(index)
    return inside


class Violation(AssertionError):
    """An invariant of the campaign does not hold."""


def check(condition: object, message: str) -> None:
    if not condition:
        FIGURES["invariant violations"] += 1
        raise Violation(message)


def user_lines(text: str) -> list[tuple[str, bool]]:
    """The lines of a document without the tool's binding line, each with whether the parser
    reads an item there (only those may change)."""
    item_lines = {item.line_no for item in cp.parse_checklist(text)}
    return [
        (line, index + 1 in item_lines)
        for index, line in enumerate(text.removeprefix("\ufeff").splitlines(keepends=True))
        if not BINDING_LINE_RE.match(body_of(line))
    ]


def check_user_text(before: str, after: str, *, may: str, what: str) -> None:
    """Every line the user wrote is still there; `may` is "link" (generate adds links and the
    binding) or "state" (sync changes boxes and the tool's annotations), nothing else."""
    old, new = user_lines(before), user_lines(after)
    check(before[:1] == "\ufeff" or after[:1] != "\ufeff", f"{what}: a byte order mark appeared")
    check(before[:1] != "\ufeff" or after[:1] == "\ufeff", f"{what}: the byte order mark is gone")
    check(len(old) == len(new), f"{what}: {len(old)} lines became {len(new)}")
    fenced = fenced_lines([line for line, _ in old])
    for index, ((was, is_item), (now, _)) in enumerate(zip(old, new, strict=True)):
        if was == now:
            continue
        where = f"{what}: line {index + 1} {was!r} became {now!r}"
        check(was[len(body_of(was)) :] == now[len(body_of(now)) :], f"{where} (line ending)")
        check(is_item and index not in fenced, f"{where} (not an item)")
        a, b = split_item(was), split_item(now)
        check(a is not None and b is not None, f"{where} (no longer an item line)")
        assert a is not None and b is not None
        for part in ("indent", "marker", "text"):
            check(a.group(part) == b.group(part), f"{where} ({part} changed)")
        if may == "link":
            check(a.group("box") == b.group("box"), f"{where} (box changed by generate)")
            check(a.group("pr") == b.group("pr"), f"{where} (annotation changed by generate)")
            check(a.group("note") == b.group("note"), f"{where} (note changed by generate)")
            check(a.group("link") is None, f"{where} (an existing link was rewritten)")
        else:
            check(a.group("link") == b.group("link"), f"{where} (link changed by sync)")


def all_issues(fake: FakeGitHub) -> list[dict[str, Any]]:
    """Every issue of the fake, here or transferred away, open or closed (not deleted)."""
    found = []
    for repo in (REPO, OTHER):
        with contextlib.suppress(KeyError):  # a fake without the second repository
            found += fake.issues(repo)
    return found


def by_outsider(issue: dict[str, Any]) -> bool:
    return issue["user"]["login"] == OUTSIDER


def marked_issues(fake: FakeGitHub) -> list[dict[str, Any]]:
    """Every issue the tool made (it carries an item marker; an outsider's forgery aside)."""
    return [
        issue
        for issue in all_issues(fake)
        if ITEM_MARKER_RE.search(issue["body"] or "") and not by_outsider(issue)
    ]


def check_no_duplicates(fake: FakeGitHub) -> None:
    markers = Counter(
        m for issue in marked_issues(fake) for m in ITEM_MARKER_RE.findall(issue["body"] or "")
    )
    twins = {m: n for m, n in markers.items() if n > 1}
    check(not twins, f"several issues carry the marker of one item: {twins}")
    masters = [
        i["number"]
        for i in fake.issues(REPO)
        if cs.MASTER_MARKER in (i["body"] or "") and not by_outsider(i)
    ]
    check(len(masters) <= 1, f"several master issues: {masters}")


def check_no_leak(fake: FakeGitHub, outputs: list[str], *extra: str) -> None:
    token = fake.token
    for output in outputs:
        check(token not in output, "the token appeared in the output")
        check("Traceback" not in output, f"a traceback in the output:\n{output}")
    for text in extra:
        check(token not in text, "the token was written to the checklist")
    for issue in all_issues(fake):
        check(token not in issue["title"] + (issue["body"] or ""), "the token reached GitHub")


def check_parses(text: str, what: str) -> cp.Document:
    try:
        return cp.parse_document(text)
    except Exception as exc:  # any exception here is the violation being looked for
        check(False, f"{what} does not parse: {exc!r}")
        raise


def cli_env(fake: FakeGitHub, **extra: str) -> dict[str, str | None]:
    return {
        **dict.fromkeys(SETTINGS_ENV),
        **fake.env(),
        "CHECKLIST_WRITE_INTERVAL": "0",
        **extra,
    }


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("error: ")]


@contextlib.contextmanager
def quick_retries() -> Iterator[list[float]]:
    """Backoff and rate-limit waits recorded instead of slept, for in-process runs."""
    waits: list[float] = []
    defaults = github_api.GitHubClient.__init__.__kwdefaults__
    saved = github_api.BACKOFF, defaults["sleep"]
    github_api.BACKOFF = 0.0001
    defaults["sleep"] = waits.append
    try:
        yield waits
    finally:
        github_api.BACKOFF, defaults["sleep"] = saved


# A person's edit of the checklist issue landing in a pacing pause (between the client's
# pause and its write) must survive. That takes a client that pauses before it re-reads the
# body it writes (apply_body_update): with one that re-reads first, the property would fail
# by design, so it arms only where the client has it.
PAUSE_EDITS = hasattr(github_api.GitHubClient, "apply_body_update")
PAUSE_EVERY = 4  # one run in PAUSE_EVERY meets such an edit (no draw of the seed: see below)


def append_line(text: str, line: str, newline: str) -> str:
    if text and not text.endswith(("\n", "\r")):
        text += newline
    return text + line + newline


# ---------------------------------------------------------------------------
# The state machine

FAULT_TARGETS = (
    ("POST", r"/issues$"),
    ("GET", r"/issues$"),
    ("GET", r"/issues/\d+$"),
    ("PATCH", r"/issues/\d+$"),
    ("POST", r"^/graphql$"),
    ("GET", r"^/repos/[^/]+/[^/]+$"),
    ("POST", r"/comments$"),
    ("GET", r"/comments$"),
    ("POST", r"/labels$"),
    ("GET", r"/labels/"),
    ("POST", r"/sub_issues$"),
)
TRANSIENT = (
    "secondary_rate_limit",
    "primary_rate_limit",
    "status",
    "apply_then_status",
    "latency",
    "drop",
    "apply_then_drop",
)
FAULTS = st.booleans()  # whether the run meets faults; which ones the machine's seed says
EDITS = ("add", "add", "reword", "remove", "nest", "unnest", "fence", "tick")
GITHUB_CHANGES = (
    "close: pull request",
    "close: pull request",
    "close: by hand",
    "close: by commit",
    "close: not planned",
    "close: duplicate",
    "reopen",
    "delete",
    "transfer",
    "same title",  # by a collaborator, or (one time in three) an outsider's lookalike
)


class ChecklistMachine(RuleBasedStateMachine):
    """One plan and its issues on a fresh fake: the user edits, GitHub changes, faults strike,
    generate and sync run in-process; the invariants are checked after every step."""

    mode = "file"

    def __init__(self) -> None:
        super().__init__()
        FIGURES["state machine examples"] += 1
        self.fake = FakeGitHub().start()
        self.fake.add_repo(REPO)
        self.fake.add_repo(OTHER)
        self.dir = Path(tempfile.mkdtemp(prefix="reliability-"))
        self.plan = self.dir / "plan.md"
        self._cwd = os.getcwd()
        os.chdir(self.dir)  # a stray .env of the developer's is never read
        self._retries = quick_retries()
        self._retries.__enter__()
        self.numbers = itertools.count(1)
        self.master: int | None = None
        self.closed_by: dict[int, int | None] = {}  # issue -> merged PR that closed it last
        self.gone: set[int] = set()  # deleted or transferred
        self.title_twins: set[str] = set()  # titles a person gave an issue by hand
        self.transient = False  # faults armed for the next run that retries must absorb
        self.outage = False  # a fault armed that outlasts the retries
        self.failures_armed = 0
        self.master_edited = False  # file mode: the master body was edited on GitHub
        self.outputs: list[str] = []
        self.armed: list[tuple[str, Any]] = []  # (kind as the campaign names it, the fault)
        self.runs = 0
        self.pause_note: str | None = None  # the line a person added during this run's pause

    def teardown(self) -> None:
        self._retries.__exit__(None, None, None)
        os.chdir(self._cwd)
        self.fake.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    # -- the document ---------------------------------------------------------

    def read_doc(self) -> str:
        if self.mode == "file":
            return self.plan.read_bytes().decode("utf-8")
        assert self.master is not None
        return self.fake.issue(REPO, self.master)["body"] or ""

    def write_doc(self, text: str) -> None:
        """A person's edit: the plan file saved, or the issue body edited on GitHub."""
        if self.mode == "file":
            self.plan.write_bytes(text.encode("utf-8"))
        else:
            assert self.master is not None
            self.fake.edit_issue_body(REPO, self.master, text)

    def master_body(self) -> str | None:
        if self.master is None:
            return None
        return self.fake.issue(REPO, self.master)["body"] or ""

    def new_text(self, flavor: int) -> str:
        return f"{next(self.numbers)} {FLAVORS[flavor % len(FLAVORS)]}"

    def doc_lines(self) -> tuple[list[str], str]:
        text = self.read_doc()
        newline = "\r\n" if "\r\n" in text else "\n"
        lines = text.splitlines(keepends=True)
        if lines and not lines[-1].endswith(("\n", "\r")):
            lines[-1] += newline
        return lines, newline

    def item_indexes(self, lines: list[str]) -> list[int]:
        return [i for i, line in enumerate(lines) if split_item(line)]

    def linked(self) -> set[int]:
        """Every issue an item of the checklist (or of its master issue) links."""
        texts = [self.read_doc()]
        if self.mode == "file" and self.master is not None:
            texts.append(self.master_body() or "")
        return {item.issue.number for t in texts for item in cp.parse_checklist(t) if item.issue}

    def live_linked(self, state: str) -> list[int]:
        out = []
        for number in sorted(self.linked()):
            if number in self.gone or number == self.master:
                continue
            if self.fake.issue(REPO, number)["state"] == state:
                out.append(number)
        return out

    # -- setup ------------------------------------------------------------------

    @initialize(
        items=st.lists(
            st.tuples(st.integers(0, 99), st.booleans(), st.integers(0, 9)),
            min_size=1,
            max_size=6,
        ),
        crlf=st.booleans(),
        bom=st.booleans(),
        seed=st.integers(0, 2**32 - 1),
    )
    def start(self, items: list[tuple[int, bool, int]], crlf: bool, bom: bool, seed: int) -> None:
        self.rng = random.Random(seed)
        self.fault_turn = itertools.count(self.rng.randrange(len(TRANSIENT) + 1))
        lines = ["# Reliability plan", "", "## Parsing", ""]
        for flavor, checked, shape in items:
            indent = "  " if shape == 1 and lines[-1].startswith("- [") else ""
            box = "x" if checked and shape > 6 else " "
            line = f"{indent}- [{box}] {self.new_text(flavor)}"
            if shape == 2:
                lines += [FENCE_OPEN, line, FENCE_CLOSE]
            elif shape == 4:
                lines += ["", "<!--", line, "-->", ""]  # commented out: not an item either
            elif shape == 3:
                lines += ["", f"## Area {next(self.numbers)}", "", line]
            else:
                lines.append(line)
        newline = "\r\n" if crlf else "\n"
        text = newline.join(lines) + newline
        if self.mode == "file":
            self.plan.write_bytes(("\ufeff" * bom + text).encode("utf-8"))
        else:
            self.master = self.fake.create_issue(REPO, "Test plan", text)["number"]

    # -- the user edits the plan --------------------------------------------------

    @rule(kind=st.sampled_from(EDITS), which=st.integers(0, 99), flavor=st.integers(0, 99))
    def edit_plan(self, kind: str, which: int, flavor: int) -> None:
        FIGURES[f"step: edit plan ({kind})"] += 1
        lines, nl = self.doc_lines()
        fenced = fenced_lines(lines)
        items = self.item_indexes(lines)
        if kind == "add" or not items:
            anchors = [i for i in range(len(lines)) if i not in fenced] or [len(lines) - 1]
            at = anchors[which % len(anchors)] + 1
            shape = flavor % 6
            marker = ("-", "*", "1.", "-", "-", "-")[shape]
            indent = "  " if shape == 4 and at > 0 and split_item(lines[at - 1]) else ""
            box = "x" if shape == 5 else " "
            new = [f"{indent}{marker} [{box}] {self.new_text(flavor)}{nl}"]
            if shape == 3:
                new = [nl, f"## Area {next(self.numbers)}{nl}", nl, *new]
            lines[at:at] = new
            self.write_doc("".join(lines))
            return
        index = items[which % len(items)]
        line = lines[index]
        match = split_item(line)
        assert match is not None
        if kind == "reword":
            content = body_of(line)
            start, end = match.span("text")
            lines[index] = (
                content[:start] + self.new_text(flavor) + content[end:] + line[len(content) :]
            )
        elif kind == "remove" and len(items) > 1:
            del lines[index]
        elif kind == "nest" and len(match.group("indent")) < 6:
            lines[index] = "  " + line
        elif kind == "unnest" and line.startswith("  "):
            lines[index] = line[2:]
        elif kind == "fence" and index in fenced:
            # out of the fence: it becomes an item again
            if body_of(lines[index - 1]) == FENCE_OPEN and body_of(lines[index + 1]) == FENCE_CLOSE:
                del lines[index + 1]
                del lines[index - 1]
        elif kind == "fence":
            lines[index : index + 1] = [f"{FENCE_OPEN}{nl}", line, f"{FENCE_CLOSE}{nl}"]
        elif kind == "tick":
            box = match.start("box")
            mark = " " if match.group("box") != " " else "x"
            lines[index] = line[:box] + mark + line[box + 1 :]
        self.write_doc("".join(lines))

    # -- GitHub changes -----------------------------------------------------------

    @rule(kind=st.sampled_from(GITHUB_CHANGES), which=st.integers(0, 99))
    def change_on_github(self, kind: str, which: int) -> None:
        FIGURES[f"step: on GitHub ({kind})"] += 1
        if kind == "same title" and which % 3 == 0:
            # no rule of its own: a new rule would shift every draw of the fixed seed, and
            # with it which fault kinds strike in the campaign CI runs
            FIGURES["step: on GitHub (outsider's lookalike)"] += 1
            self.outsider_opens_lookalike(which // 3)
            return
        if kind == "same title":
            self.person_opens_same_title(which)
            return
        state = "closed" if kind == "reopen" else "open"
        candidates = self.live_linked(state)
        if kind in ("delete", "transfer"):
            candidates = sorted(candidates + self.live_linked("closed"))
        if not candidates:
            return
        number = candidates[which % len(candidates)]
        if kind == "reopen":
            self.fake.reopen_issue(REPO, number)
            self.closed_by.pop(number, None)
        elif kind == "transfer":
            self.fake.transfer_issue(REPO, number, OTHER)
            self.gone.add(number)
        elif kind == "delete":
            self.fake.delete_issue(REPO, number)
            self.gone.add(number)
        elif kind == "close: pull request":
            pr = self.fake.create_pull(REPO, f"Fix #{number}", f"Closes #{number}")["number"]
            self.fake.merge_pull(REPO, pr)
            self.closed_by[number] = pr
        else:
            how = kind.removeprefix("close: ")
            reason = {"not planned": "not_planned", "duplicate": "duplicate"}.get(how, "completed")
            commit = f"{number:040x}" if how == "by commit" else None
            self.fake.close_issue(REPO, number, reason, commit=commit)
            self.closed_by[number] = None

    def person_opens_same_title(self, which: int) -> None:
        """Someone opened an issue with the title an item will get: generate adopts it."""
        lines, _nl = self.doc_lines()
        fenced = fenced_lines(lines)
        open_items = [
            m
            for i, line in enumerate(lines)
            if i not in fenced
            and (m := split_item(line))
            and m.group("box") == " "
            and link_number(m) is None
        ]
        if not open_items:
            return
        title = generate_issues.clean_title(f"[Test] {open_items[which % len(open_items)]['text']}")
        if title not in self.title_twins:
            self.title_twins.add(title)
            self.fake.create_issue(REPO, title, "Spotted while testing.")

    def outsider_opens_lookalike(self, which: int) -> None:
        """Someone who cannot write to the repository opens an issue that looks like this
        plan's: an item's title, an item's marker (computable from the public plan) or the
        plan's master marker. Never adopted, so closing it never ticks anything."""
        items = [
            i for i in cp.parse_checklist(self.read_doc()) if not i.checked and i.issue is None
        ]
        shape = which % 3
        if shape == 2 or not items:
            body = f"Mine now.\n\n<!-- {cs.MASTER_MARKER} plan=plan.md digest=0000000000000000 -->"
            title = "Reliability plan"
        else:
            item = items[which % len(items)]
            title = generate_issues.clean_title(f"[Test] {item.text}")
            body = "Me too."
            if shape == 1:
                master = self.master if self.master is not None else 1
                key = generate_issues.item_key(item)
                body += f"\n\n<!-- checklist-sync:item master={master} key={key} -->"
                title = "Looks legit"
        number = self.fake.create_issue(REPO, title, body, user=OUTSIDER)["number"]
        if which % 2:
            self.fake.close_issue(REPO, number)  # closing it must tick nothing
        FIGURES["outsider issues opened"] += 1

    def arm(self, fault: bool) -> None:
        """Faults for the next run, drawn evenly by the example's seed (Hypothesis' own draws
        lean towards the first choice): retried through, or (outage) a clean stop."""
        if not fault:
            return
        rng = self.rng
        kinds = (*TRANSIENT, "outage")
        for _ in range(1 + (rng.random() < 0.2)):
            # every kind in turn (from a random start), so each one strikes in any campaign
            kind = kinds[next(self.fault_turn) % len(kinds)]
            if rng.random() < 0.5:
                where, nth = (None, None), rng.randint(1, 4)  # one of the first requests
            else:
                where, nth = rng.choice(FAULT_TARGETS), rng.randint(1, 2)
            self.inject(kind, where, nth, rng.randint(1, 2), rng.choice((500, 502, 503, 504)))

    def inject(
        self, kind: str, where: tuple[str | None, str | None], nth: int, times: int, status: int
    ) -> None:
        method, path = where
        FIGURES[f"faults injected: {kind}"] += 1
        if kind == "outage":
            fault = self.fake.inject(
                "status", method=method, path=path, nth=nth, times=40, status=status
            )
            self.armed.append((kind, fault))
            self.outage = True
            return
        fault = self.fake.inject(
            kind, method=method, path=path, nth=nth, times=times, status=status, delay=0.02
        )
        self.armed.append((kind, fault))
        self.transient = True
        self.failures_armed += times
        # three failed attempts in a row exhaust a create (CREATE_ATTEMPTS): stacked faults
        # that may hit one request that often are an outage, and a clean stop is the promise
        if self.failures_armed > 2:
            self.outage = True

    # -- the tools ----------------------------------------------------------------

    @contextlib.contextmanager
    def edit_in_a_pause(self) -> Iterator[None]:
        """Issue mode, one run in PAUSE_EVERY: at the run's first pacing pause, a person adds
        a line to the checklist issue. Issue mode only: in file mode that edit makes the
        master "edited on GitHub", which generate then refuses, a rule of its own above."""
        self.pause_note = None
        self.runs += 1
        if not (PAUSE_EDITS and self.mode == "issue" and self.runs % PAUSE_EVERY == 0):
            yield
            return
        real = github_api.WritePacer.wait

        def wait(pacer: github_api.WritePacer) -> None:
            real(pacer)
            if self.pause_note is None and self.master is not None:
                self.pause_note = f"Note added during a pause {next(self.numbers)}"
                body = self.master_body() or ""
                nl = "\r\n" if "\r\n" in body else "\n"
                self.fake.edit_issue_body(REPO, self.master, append_line(body, self.pause_note, nl))
                FIGURES["edits made during a pacing pause"] += 1

        github_api.WritePacer.wait = wait  # type: ignore[method-assign]
        try:
            yield
        finally:
            github_api.WritePacer.wait = real  # type: ignore[method-assign]
        if self.pause_note is not None:
            check(
                self.pause_note in self.read_doc(),
                f"an edit made during a pacing pause was lost: {self.pause_note!r}",
            )

    def with_pause_note(self, before: str) -> str:
        """The document as the person left it, for the checks that compare with it."""
        if self.pause_note is None:
            return before
        return append_line(before, self.pause_note, "\r\n" if "\r\n" in before else "\n")

    def run(self, command: Any, args: list[str]) -> Result:
        with self.edit_in_a_pause():
            result = CliRunner().invoke(command.main, args, env=cli_env(self.fake))
        name = "generate" if command is generate_issues else "sync"
        FIGURES[f"runs: {name} (in-process)"] += 1
        for kind, fault in self.armed:
            FIGURES[f"faults fired: {kind}"] += fault.fired  # requests it struck
        self.armed.clear()
        self.fake.faults.clear()  # an armed fault that did not fire does not carry over
        outage, transient = self.outage, self.transient
        self.outage = self.transient = False
        self.failures_armed = 0
        outputs = [result.output, result.stdout, result.stderr]
        self.outputs = outputs
        check_no_leak(self.fake, outputs)
        check(
            result.exception is None or isinstance(result.exception, SystemExit),
            f"{name} raised {result.exception!r}\n{result.output}",
        )
        errors = [e for e in error_lines(result.stderr) if "out of sync with GitHub" not in e]
        expected_error = outage or (
            name == "generate" and self.master_edited and "--force" not in args
        )
        check(
            not errors or expected_error,
            f"{name} {args} failed ({'transient faults' if transient else 'no fault'}):"
            f" {errors}\n{result.stderr}",
        )
        return result

    def target_args(self) -> list[str]:
        if self.mode == "file":
            return [str(self.plan)]
        return ["--master-issue", str(self.master)]

    @rule(
        sub_issues=st.booleans(),
        verbose=st.booleans(),
        json_mode=st.booleans(),
        force=st.booleans(),
        fault=FAULTS,
    )
    def generate(
        self, sub_issues: bool, verbose: bool, json_mode: bool, force: bool, fault: bool
    ) -> None:
        FIGURES["step: generate"] += 1
        self.arm(fault)
        force = force and self.mode == "file" and self.master_edited
        args = self.target_args()
        args += ["--sub-issues"] * sub_issues + ["-v"] * verbose + ["--json"] * json_mode
        args += ["--force"] * force
        before, master_before = self.read_doc(), self.master_body()
        outage = self.outage
        result = self.run(generate_issues, args)
        before = self.with_pause_note(before)
        after = self.read_doc()
        check_user_text(before, after, may="link", what="generate, the plan")
        if self.mode == "file":
            doc = check_parses(after, "the plan")
            if doc.binding is not None:
                bound = cs.binding_target(doc.binding)
                check(bound is not None and bound[0] == REPO, f"bad binding {doc.binding!r}")
                assert bound is not None
                check(self.master in (None, bound[1]), f"rebound from #{self.master} to {bound[1]}")
                self.master = bound[1]
            if self.master_edited and not force:
                check(result.exit_code == 1, f"an edited master was overwritten: {result.output}")
                if not outage:  # an outage may stop the run before it reads the master
                    check("--force" in result.stderr, "the refusal does not name --force")
                check(self.master_body() == master_before, "the edited master was rewritten")
                check(after == before, "the plan changed although the master was refused")
                return
            if force and result.exit_code == 0:
                self.master_edited = False
        # nothing in this campaign is skipped or warned about (texts are unique): only an
        # outage may end a run with 1
        check(result.exit_code == 0 or outage, f"generate exited {result.exit_code}")
        if result.exit_code != 0:
            return
        items = cp.parse_checklist(after)
        unlinked = [i for i in items if not i.checked and i.issue is None]
        check(not unlinked, f"generate succeeded with unlinked items: {unlinked}")
        self.check_new_links(before, items)
        if self.mode == "file" and self.master is not None:
            body = self.master_body() or ""
            _label, recorded, mirrored = cs.split_master_body(body)
            check(recorded is not None, "the master issue lost its marker")
            check(
                cs.normalize(mirrored)
                == cs.normalize(cp.strip_binding(after).removeprefix("\ufeff")),
                f"the master issue does not mirror the plan:\n{body}\n---\n{after}",
            )

    def check_new_links(self, before: str, items: list[cp.ChecklistItem]) -> None:
        """An item linked by this run links its own issue: made for it (its marker) or opened
        by hand with its title (adopted)."""
        if self.master is None:
            check(not items, "items linked without a master issue")
            return
        was_linked = {
            m.group("text"): link_number(m) is not None
            for line in before.splitlines()
            if (m := split_item(line))
        }
        for item in items:
            if item.issue is None or was_linked.get(item.text, True):
                continue
            issue = self.fake.issue(REPO, item.issue.number)
            check(
                not by_outsider(issue),
                f"line {item.line_no} {item.text!r} adopted #{issue['number']}, an outsider's",
            )
            markers = ITEM_MARKER_RE.findall(issue["body"] or "")
            mine = [(str(self.master), generate_issues.item_key(item))]
            check(
                markers == mine or (not markers and issue["title"] in self.title_twins),
                f"line {item.line_no} {item.text!r} was linked to #{issue['number']}, "
                f"which was not made for it ({markers})",
            )

    @rule(
        how=st.sampled_from(("write", "write", "write", "--check", "--dry-run")),
        fault=FAULTS,
    )
    def sync(self, how: str, fault: bool) -> None:
        FIGURES["step: sync"] += 1
        self.arm(fault)
        args = self.target_args() + ([how] if how != "write" else [])
        before, master_before = self.read_doc(), self.master_body()
        result = self.run(sync_checklist, args)
        before = self.with_pause_note(before)
        after, master_after = self.read_doc(), self.master_body()
        check_parses(after, "the checklist")
        check_user_text(before, after, may="state", what="sync, the checklist")
        if self.mode == "file" and master_before is not None and master_after is not None:
            check_user_text(master_before, master_after, may="state", what="sync, the master")
        if how != "write":
            check(after == before and master_after == master_before, f"sync {how} wrote")
            return
        if error_lines(result.stderr):
            return
        # SPEC: a linked issue deleted or transferred is a warning, so exit 1; nothing else is
        gone = any(i.issue.number in self.gone for i in cp.parse_checklist(before) if i.issue)
        check(result.exit_code == int(gone), f"sync exited {result.exit_code}: {result.stderr}")
        self.check_boxes(before, after, "the checklist")
        if self.mode == "file" and master_before is not None and master_after is not None:
            self.check_boxes(master_before, master_after, "the master issue")

    def check_boxes(self, before: str, after: str, what: str) -> None:
        """Each linked box is what its issue's state says (SPEC: sync_checklist.py)."""
        earlier = {link_number(m): m for line in before.splitlines() if (m := split_item(line))}
        for item in cp.parse_checklist(after):
            if item.issue is None:
                continue
            line = after.splitlines()[item.line_no - 1]
            match = split_item(line)
            check(match is not None, f"{what}: line {item.line_no} {line!r} is mangled")
            assert match is not None
            number = link_number(match)
            if number is None or number in self.gone:
                continue
            issue = self.fake.issue(REPO, number)
            previous = earlier.get(number)
            want_checked, want_pr, want_note = False, None, None
            if issue["state"] == "closed":
                reason = issue["state_reason"]
                if reason == "not_planned":
                    want_note = cp.NOTE_NOT_PLANNED
                elif reason == "duplicate":
                    want_note = cp.NOTE_DUPLICATE
                else:
                    want_checked = True
                    want_pr = self.closed_by.get(number)
                    if want_pr is None and previous is not None:
                        want_pr = pr_number(previous)  # SPEC: an earlier PR annotation stays
            got = (match.group("box") != " ", pr_number(match), match.group("notetext"))
            check(
                got == (want_checked, want_pr, want_note),
                f"{what}: line {item.line_no} {line!r} should be {want_checked, want_pr, want_note}"
                f" for #{number} ({issue['state']}, {issue['state_reason']})",
            )

    @precondition(lambda self: self.mode == "file" and self.master is not None)
    @rule(reword=st.booleans(), flavor=st.integers(0, 99))
    def edit_master_on_github(self, reword: bool, flavor: int) -> None:
        """Someone edits the mirrored plan on GitHub: republishing must not destroy that."""
        FIGURES["step: edit master on GitHub"] += 1
        assert self.master is not None
        body = self.master_body() or ""
        nl = "\r\n" if "\r\n" in body else "\n"
        lines = body.splitlines(keepends=True)
        items = [i for i, line in enumerate(lines) if split_item(line)]
        if reword and items:
            index = items[flavor % len(items)]
            match = split_item(lines[index])
            assert match is not None
            content = body_of(lines[index])
            start, end = match.span("text")
            lines[index] = (
                content[:start]
                + self.new_text(flavor)
                + content[end:]
                + lines[index][len(content) :]
            )
        else:
            lines[1:1] = [f"Note added on GitHub {next(self.numbers)}{nl}"]
        self.fake.edit_issue_body(REPO, self.master, "".join(lines))
        self.master_edited = True

    # -- after every step -----------------------------------------------------------

    @invariant()
    def always(self) -> None:
        FIGURES["state machine steps"] += 1
        text = self.read_doc()
        check_parses(text, "the checklist")
        check_no_duplicates(self.fake)
        check_no_leak(self.fake, self.outputs, text)
        links = Counter(
            item.issue.number for item in cp.parse_checklist(text) if item.issue is not None
        )
        check(all(n == 1 for n in links.values()), f"one issue linked twice: {links}")
        if self.master is not None:
            master = self.fake.issue(REPO, self.master)
            check(not by_outsider(master), f"an outsider's #{self.master} became the master")
        if self.mode == "file":
            strays = [p.name for p in self.dir.iterdir() if p.name != "plan.md"]
            check(not strays, f"files left next to the plan: {strays}")


class IssueModeMachine(ChecklistMachine):
    """The same campaign with the checklist in an issue body (what a GitHub Actions run uses)."""

    mode = "issue"


MACHINE_SETTINGS = settings(
    max_examples=EXAMPLES,
    stateful_step_count=STEPS,
    deadline=None,
    derandomize=not os.environ.get("RELIABILITY_RANDOM"),
    database=None,
    suppress_health_check=list(HealthCheck),
    # shrinking a long stateful run can outlast the test timeout: the unshrunk example is a
    # complete step list, reproducible with the fixed seed; RELIABILITY_SHRINK=1 shrinks it
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target]
    + ([Phase.shrink] if os.environ.get("RELIABILITY_SHRINK") else []),
)
MACHINES = {"file": ChecklistMachine, "issue": IssueModeMachine}


def run_machine(
    mode: str, examples: int = EXAMPLES, steps: int = STEPS, *, explore: bool = False
) -> Counter[str]:
    """Run one state machine; the figures it added. `explore`: a new random seed each time."""
    before = FIGURES.copy()
    options: dict[str, Any] = {"max_examples": examples, "stateful_step_count": steps}
    if explore:
        options["derandomize"] = False
    run_state_machine_as_test(MACHINES[mode], settings=settings(MACHINE_SETTINGS, **options))
    return FIGURES - before


@pytest.mark.parametrize("mode", MACHINES)
def test_state_machine(mode: str) -> None:
    figures = run_machine(mode)
    print(f"\n{mode} mode: " + ", ".join(f"{k}: {v}" for k, v in sorted(figures.items())))
    assert figures["invariant violations"] == 0
    # the campaign did what it says: every fault kind struck a run, both tools ran often
    fired = {kind for kind in TRANSIENT if figures[f"faults fired: {kind}"]}
    assert fired == set(TRANSIENT), f"never fired: {set(TRANSIENT) - fired}"
    assert figures["runs: generate (in-process)"] >= EXAMPLES
    assert figures["runs: sync (in-process)"] >= EXAMPLES


# ---------------------------------------------------------------------------
# The kill campaign: the real entry points, killed with SIGKILL at seeded random moments

KILL_PLAN = """\
# Crash campaign plan

Every unchecked item gets exactly one issue, however often the run dies.

## Parsing

- [ ] parses date-named directories
- [ ] rejects a directory with no date
  - [ ] ...including an empty directory
- [x] reads the sample fixture

```text
- [ ] not an item: inside a code fence
```

## Writing

1. [ ] writes CSV with a header row
2. [ ] escapes commas and `"quotes"`
"""


def script_env(fake: FakeGitHub) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_ENV}
    env.update(fake.env())
    env["CHECKLIST_WRITE_INTERVAL"] = "0"
    return env


def start_script(name: str, args: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(ROOT / f"{name}.py"), *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )


def run_and_kill(
    proc: subprocess.Popen, fake: FakeGitHub, after: int, pause: float
) -> tuple[bool, str, str]:
    """SIGKILL the run once the fake answered `after` of its requests, `pause` seconds later
    (mid-request with latency); whether it was killed, and what it printed until then."""
    start = len(fake.requests)
    deadline = time.monotonic() + 60
    while proc.poll() is None and len(fake.requests) - start < after:
        if time.monotonic() > deadline:
            break
        time.sleep(0.001)
    time.sleep(pause)
    killed = proc.poll() is None
    if killed:
        os.kill(proc.pid, signal.SIGKILL)
    out, err = proc.communicate(timeout=60)
    return killed, out, err


def user_view(text: str) -> list[str]:
    """The lines as the user wrote them: no binding, no tool links or annotations, no boxes."""
    view = []
    for line, _is_item in user_lines(text):
        match = split_item(line)
        if match:
            line = f"{match['indent']}{match['marker']} [?] {match['text']}"
        view.append(body_of(line))
    return view


class KillCampaign:
    """One plan, many runs of the real scripts killed at random moments, then runs that finish.

    Between runs the user adds items and issues get closed (by a merged PR, as not planned)
    or reopened, so generate has issues to create and sync has boxes to tick when killed.
    """

    def __init__(self, workdir: Path, seed: int, mode: str = "file", latency: float = 0.01):
        self.rng = random.Random(seed)
        self.fault_turn = itertools.count(self.rng.randrange(len(TRANSIENT) + 1))
        self.mode = mode
        self.workdir = workdir
        self.latency = latency
        self.fake = FakeGitHub().start()
        # every kill resets a connection, which the fake's HTTP server would print as a
        # traceback: expected here, so not shown
        server = getattr(self.fake, "_server", None)
        if server is not None:
            server.handle_error = lambda request, client_address: None
        self.fake.add_repo(REPO)
        self.fake.add_repo(OTHER)
        self.plan = workdir / "plan.md"
        self.master: int | None = None
        self.closed_by: dict[int, int | None] = {}
        self.numbers = itertools.count(1)
        if mode == "file":
            self.plan.write_bytes(KILL_PLAN.encode("utf-8"))
        else:
            self.master = self.fake.create_issue(REPO, "Crash plan", KILL_PLAN)["number"]
        self.user = user_view(KILL_PLAN)
        self.env = script_env(self.fake)
        self.strays: set[Path] = set()

    def close(self) -> None:
        self.fake.stop()

    def read_doc(self) -> str:
        if self.mode == "file":
            return self.plan.read_bytes().decode("utf-8")
        assert self.master is not None
        return self.fake.issue(REPO, self.master)["body"] or ""

    def master_body(self) -> str | None:
        return None if self.master is None else self.fake.issue(REPO, self.master)["body"]

    def args(self) -> list[str]:
        return [str(self.plan)] if self.mode == "file" else ["--master-issue", str(self.master)]

    def user_edit(self) -> None:
        """The user adds an item after a random line (not inside the fence)."""
        text = self.read_doc()
        lines = [line for line, _ in user_lines(text)]
        fenced = fenced_lines(lines)
        anchors = [i for i in range(len(lines)) if i not in fenced and split_item(lines[i])]
        at = self.rng.choice(anchors) + 1
        new = f"- [ ] added item {next(self.numbers)}: {self.rng.choice(FLAVORS)[:60]}"
        self.user[at:at] = [user_view(new + "\n")[0]]
        full = text.splitlines(keepends=True)
        offset = len(full) - len(lines)  # the binding line, when there is one, comes first
        full[at + offset : at + offset] = [new + "\n"]
        if self.mode == "file":
            self.plan.write_bytes("".join(full).encode("utf-8"))
        else:
            assert self.master is not None
            self.fake.edit_issue_body(REPO, self.master, "".join(full))

    def github_change(self) -> None:
        linked = sorted(
            {i.issue.number for i in cp.parse_checklist(self.read_doc()) if i.issue is not None}
        )
        states = {n: self.fake.issue(REPO, n)["state"] for n in linked}
        open_ = [n for n in linked if states[n] == "open"]
        closed = [n for n in linked if states[n] == "closed"]
        roll = self.rng.random()
        if open_ and roll < 0.35:
            number = self.rng.choice(open_)
            pr = self.fake.create_pull(REPO, f"Fix #{number}", f"Closes #{number}")["number"]
            self.fake.merge_pull(REPO, pr)
            self.closed_by[number] = pr
        elif open_ and roll < 0.45:
            number = self.rng.choice(open_)
            self.fake.close_issue(REPO, number, "not_planned")
            self.closed_by[number] = None
        elif closed and roll < 0.55:
            number = self.rng.choice(closed)
            self.fake.reopen_issue(REPO, number)
            self.closed_by.pop(number, None)
        elif roll < 0.65:
            self.outsider_lookalike(forged=roll < 0.6)

    def outsider_lookalike(self, *, forged: bool) -> None:
        """An outsider opens (and closes) an issue titled like, or marked like, the first
        unlinked item: never adopted. No draw of the seeded generator, so the kills land
        where they did before this property was added."""
        items = [i for i in cp.parse_checklist(self.read_doc()) if not i.checked and not i.issue]
        if not items:
            return
        item = items[0]
        body = "Me too."
        if forged and self.master is not None:
            key = generate_issues.item_key(item)
            body += f"\n\n<!-- checklist-sync:item master={self.master} key={key} -->"
        title = generate_issues.clean_title(f"[Test] {item.text}")
        number = self.fake.create_issue(REPO, title, body, user=OUTSIDER)["number"]
        self.fake.close_issue(REPO, number)
        FIGURES["outsider issues opened"] += 1

    def bound(self) -> bool:
        if self.mode == "issue":
            return True
        doc = cp.parse_document(self.read_doc())
        if doc.binding is not None:
            target = cs.binding_target(doc.binding)
            assert target is not None
            self.master = target[1]
        return doc.binding is not None

    def round(self) -> None:
        if self.rng.random() < 0.4:
            self.user_edit()
        self.github_change()
        script = "generate_issues" if not self.bound() or self.rng.random() < 0.55 else "sync"
        script = script if script == "generate_issues" else "sync_checklist"
        before, master_before = self.read_doc(), self.master_body()
        unlinked = sum(1 for i in cp.parse_checklist(before) if i.issue is None and not i.checked)
        # about how many requests the run makes, so the kill lands anywhere in it
        generate_requests = 8 + unlinked if unlinked else 3
        expected = generate_requests if script == "generate_issues" else 5
        proc = start_script(script, self.args(), self.env, self.workdir)
        killed, out, err = run_and_kill(
            proc, self.fake, self.rng.randint(1, expected), self.rng.uniform(0, 2 * self.latency)
        )
        FIGURES["kills" if killed else "kill runs that finished first"] += 1
        FIGURES[f"runs: {script.split('_')[0]} (subprocess)"] += 1
        check_no_leak(self.fake, [out, err])
        self.check_round(script, before, master_before)

    def check_round(self, script: str, before: str, master_before: str | None) -> None:
        after = self.read_doc()
        check_parses(after, "the checklist")
        may = "link" if script == "generate_issues" else "state"
        check_user_text(before, after, may=may, what=f"killed {script}")
        if may == "state" and self.mode == "file" and master_before is not None:
            master_after = self.master_body() or ""
            check_user_text(master_before, master_after, may="state", what="killed sync, master")
        check_no_duplicates(self.fake)
        links = Counter(i.issue.number for i in cp.parse_checklist(after) if i.issue is not None)
        check(all(n == 1 for n in links.values()), f"one issue linked twice: {links}")
        strays = {p for p in self.workdir.iterdir() if p.name.startswith(".plan.md.")}
        # a kill between writing the temporary copy and renaming it: the plan is whole, the
        # copy stays behind until a later run finds it old enough to be abandoned
        check(all(p.name.endswith(cs.TMP_SUFFIX) for p in strays), f"strange files: {strays}")
        FIGURES["temporary copies left by a kill"] += len(strays - self.strays)
        self.strays |= strays

    def finish(self) -> None:
        """Runs that are not killed: everything linked once, mirrored, and ticked; the copies
        kills left behind, once old, removed by the next write."""
        long_ago = time.time() - 2 * cs.STALE_COPY_AGE
        for stray in self.strays:
            os.utime(stray, (long_ago, long_ago))
        self.user_edit()  # so the generate run below writes the plan
        for script in ("generate_issues", "sync_checklist"):
            before, master_before = self.read_doc(), self.master_body()
            proc = start_script(script, self.args(), self.env, self.workdir)
            out, err = proc.communicate(timeout=120)
            FIGURES[f"runs: {script.split('_')[0]} (subprocess)"] += 1
            check_no_leak(self.fake, [out, err])
            check(proc.returncode == 0, f"the final {script} run failed:\n{err}")
            self.check_round(script, before, master_before)
        self.bound()
        assert self.master is not None
        text = self.read_doc()
        check(user_view(text) == self.user, "the user's lines changed")
        items = cp.parse_checklist(text)
        for item in items:
            if item.checked and item.issue is None:
                continue  # ticked by the user, never linked
            check(item.issue is not None, f"line {item.line_no} {item.text!r} is not linked")
            assert item.issue is not None
            issue = self.fake.issue(REPO, item.issue.number)
            check(not by_outsider(issue), f"line {item.line_no} adopted an outsider's issue")
            key = generate_issues.item_key(item)
            check(
                ITEM_MARKER_RE.findall(issue["body"] or "") == [(str(self.master), key)],
                f"line {item.line_no} links #{item.issue.number}, not its own issue",
            )
            pr = self.closed_by.get(item.issue.number)
            want = ((issue["state"] == "closed" and pr is not None) or item.checked, pr)
            if issue["state_reason"] == "not_planned":
                want = (False, None)
                check(item.note == cp.NOTE_NOT_PLANNED, f"line {item.line_no} lacks its note")
            got = (item.checked, item.pr.number if item.pr else None)
            if issue["state"] == "open":
                want = (False, None)
            check(got == want, f"line {item.line_no}: {got} instead of {want}")
        if self.mode == "file":
            left = [p.name for p in self.workdir.iterdir() if p.name != "plan.md"]
            check(not left, f"files left next to the plan: {left}")
        made = {n for i in marked_issues(self.fake) if (n := i["number"])}
        linked = {i.issue.number for i in items if i.issue is not None}
        check(made <= linked, f"issues made but never linked: {sorted(made - linked)}")
        if self.mode == "file":
            _label, recorded, mirrored = cs.split_master_body(self.master_body() or "")
            check(recorded is not None, "the master issue lost its marker")
            check(
                cs.normalize(mirrored) == cs.normalize(cp.strip_binding(text).lstrip("\ufeff")),
                "the master issue does not mirror the plan",
            )


def kill_campaign(kills: int, seed: int, workdir: Path, mode: str = "file") -> None:
    campaign = KillCampaign(workdir, seed, mode)
    try:
        for _ in range(kills):
            campaign.round()
        campaign.finish()
    finally:
        campaign.close()


@pytest.mark.parametrize("mode, kills", [("file", KILLS), ("issue", KILLS // 2)])
def test_kill_campaign(mode: str, kills: int, tmp_path: Path) -> None:
    before = FIGURES.copy()
    kill_campaign(kills, seed=20261126, workdir=tmp_path, mode=mode)
    figures = FIGURES - before
    print(f"\n{mode} mode: " + ", ".join(f"{k}: {v}" for k, v in sorted(figures.items())))
    assert figures["invariant violations"] == 0
    # runs really were killed mid-way (how many finish before their kill depends on the
    # machine's load: a quarter is a floor that shows the campaign is not vacuous)
    assert figures["kills"] >= kills // 4


# ---------------------------------------------------------------------------
# Races: two runs at once, a person editing while a run works


@pytest.fixture(autouse=True)
def _quick(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[float]:
    """In-process runs: retry and rate-limit waits recorded, not slept; the test's own cwd."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(github_api, "BACKOFF", 0.0001)
    waits: list[float] = []
    monkeypatch.setitem(github_api.GitHubClient.__init__.__kwdefaults__, "sleep", waits.append)
    return waits


RACE_PLAN = """\
# Race plan

## Parsing

- [ ] one parses dates
- [ ] two rejects empty input
  - [ ] three includes an empty directory
- [x] four reads the fixture

## Writing

- [ ] five writes CSV
- [ ] six escapes quotes
"""


def invoke(fake: FakeGitHub, command: Any, *args: object) -> Result:
    """A run in-process, as a user would start it, checked for leaks and tracebacks."""
    result = run_cli(command, *args, fake=fake, env=cli_env(fake))
    check_no_leak(fake, [result.output, result.stdout, result.stderr])
    return result


def linked_plan(fake: FakeGitHub, mode: str, tmp_path: Path) -> tuple[list[str], int]:
    """RACE_PLAN with every item linked: the CLI arguments naming it, and its master issue."""
    if mode == "file":
        plan = tmp_path / "plan.md"
        plan.write_text(RACE_PLAN, encoding="utf-8")
        args = [str(plan)]
    else:
        fake.add_label(REPO, "test")
        number = fake.create_issue(REPO, "Race plan", RACE_PLAN.replace("\n", "\r\n"))["number"]
        args = ["--master-issue", str(number)]
    result = invoke(fake, generate_issues, *args)
    assert result.exit_code == 0, result.output
    if mode == "file":
        return args, bound_number(Path(args[0]))
    return args, int(args[1])


def bound_number(plan: Path) -> int:
    doc = cp.parse_document(plan.read_text(encoding="utf-8"))
    assert doc.binding is not None
    target = cs.binding_target(doc.binding)
    assert target is not None
    return target[1]


def doc_text(fake: FakeGitHub, args: list[str]) -> str:
    if args[0] == "--master-issue":
        return fake.issue(REPO, int(args[1]))["body"] or ""
    return Path(args[0]).read_bytes().decode("utf-8")


def issue_of(fake: FakeGitHub, text: str, needle: str) -> int:
    """The issue the item whose text contains `needle` links."""
    (item,) = [i for i in cp.parse_checklist(text) if needle in i.text]
    assert item.issue is not None
    return item.issue.number


def boxes(text: str) -> dict[str, tuple[bool, int | None, str | None]]:
    """Item text -> (ticked, PR annotation, note), read without the parser under test."""
    out = {}
    for line in text.splitlines():
        match = split_item(line)
        if match and link_number(match) is not None:
            out[match["text"]] = (match["box"] != " ", pr_number(match), match["notetext"])
    return out


def close_some(fake: FakeGitHub, text: str) -> dict[str, tuple[bool, int | None, str | None]]:
    """Close items on GitHub in every way sync tells apart; the boxes that follows."""
    want = {t: (False, None, None) for t in boxes(text)}
    one, two, five = (issue_of(fake, text, n) for n in ("one ", "two ", "five "))
    pr = fake.create_pull(REPO, "Parse dates", f"Closes #{one}")["number"]
    fake.merge_pull(REPO, pr)
    fake.close_issue(REPO, two, "not_planned")
    fake.close_issue(REPO, five)
    want["one parses dates"] = (True, pr, None)
    want["two rejects empty input"] = (False, None, cp.NOTE_NOT_PLANNED)
    want["five writes CSV"] = (True, None, None)
    return want


@pytest.mark.parametrize("mode", ["file", "issue"])
def test_two_syncs_at_once_give_the_right_result(
    fake_github: FakeGitHub, tmp_path: Path, mode: str
) -> None:
    """A workflow without a concurrency group: two syncs of one master issue at once."""
    fake = fake_github
    args, master = linked_plan(fake, mode, tmp_path)
    want = close_some(fake, doc_text(fake, args))
    before = doc_text(fake, args)
    master_before = fake.issue(REPO, master)["body"]
    fake.latency = 0.02  # each run takes a while, so the two overlap
    env = script_env(fake)
    runs = [start_script("sync_checklist", args, env, tmp_path) for _ in range(2)]
    outputs = [run.communicate(timeout=120) for run in runs]
    for run, (out, err) in zip(runs, outputs, strict=True):
        check_no_leak(fake, [out, err])
        assert run.returncode == 0, err
    fake.latency = 0
    after = doc_text(fake, args)
    assert boxes(after) == want
    check_user_text(before, after, may="state", what="two syncs")
    master_after = fake.issue(REPO, master)["body"]
    assert boxes(master_after) == want
    check_user_text(master_before, master_after, may="state", what="two syncs, master")
    fake.reset_log()
    assert invoke(fake, sync_checklist, *args).exit_code == 0
    assert [r for r in fake.requests if r.method == "PATCH"] == []  # nothing left to repair


@pytest.mark.parametrize("mode", ["file", "issue"])
def test_a_person_editing_between_sync_read_and_write_is_kept(
    fake_github: FakeGitHub, tmp_path: Path, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sync reads the checklist, asks GitHub for the states, then writes: an edit made in
    between (on GitHub, and to the file) is in what it writes."""
    fake = fake_github
    args, master = linked_plan(fake, mode, tmp_path)
    want = close_some(fake, doc_text(fake, args))
    fetch_states = github_api.GitHubClient.fetch_issue_states

    def edit_meanwhile(self: github_api.GitHubClient, refs: Any) -> Any:
        states = fetch_states(self, refs)
        body = fake.issue(REPO, master)["body"]
        nl = "\r\n" if "\r\n" in body else "\n"
        body = body.replace("six escapes quotes", "six escapes 'single' quotes")
        fake.edit_issue_body(REPO, master, body + f"{nl}Edited on GitHub meanwhile.{nl}")
        if mode == "file":
            plan = Path(args[0])
            text = plan.read_text(encoding="utf-8").replace("one parses dates", "one parses ISO")
            plan.write_text(text + "\nEdited in the file meanwhile.\n", encoding="utf-8")
        return states

    monkeypatch.setattr(github_api.GitHubClient, "fetch_issue_states", edit_meanwhile)
    result = invoke(fake, sync_checklist, *args)
    assert result.exit_code == 0, result.output
    master_body = fake.issue(REPO, master)["body"]
    assert "Edited on GitHub meanwhile." in master_body
    assert "six escapes 'single' quotes" in master_body
    want_master = dict(want)
    want_master["six escapes 'single' quotes"] = want_master.pop("six escapes quotes")
    if mode == "file":
        text = Path(args[0]).read_text(encoding="utf-8")
        assert "Edited in the file meanwhile." in text
        want_file = dict(want)
        want_file["one parses ISO"] = want_file.pop("one parses dates")
        assert boxes(text) == want_file
    assert boxes(master_body) == want_master


def test_sync_writes_the_master_right_after_rereading_it(fake_github: FakeGitHub) -> None:
    """What is left of the race: GitHub has no conditional issue update, so an edit landing
    between sync's re-read and its write is lost. That window is one round trip: nothing
    comes between the two requests."""
    fake = fake_github
    args, master = linked_plan(fake, "issue", Path.cwd())
    close_some(fake, doc_text(fake, args))
    fake.reset_log()
    assert invoke(fake, sync_checklist, *args).exit_code == 0
    calls = [(r.method, r.path) for r in fake.requests]
    at = calls.index(("PATCH", f"/repos/{REPO}/issues/{master}"))
    assert calls[at - 1] == ("GET", f"/repos/{REPO}/issues/{master}")


def test_a_person_editing_the_master_during_generate_is_kept(
    fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue mode writes the links once, at the end, onto the body as it is by then."""
    fake = fake_github
    fake.add_label(REPO, "test")
    master = fake.create_issue(REPO, "Plan", RACE_PLAN)["number"]
    create = github_api.GitHubClient.apply_create_issue

    def create_then_edit(self: github_api.GitHubClient, payload: dict[str, Any]) -> Any:
        issue = create(self, payload)
        body = fake.issue(REPO, master)["body"]
        if "meanwhile" not in body:
            body = body.replace("- [x] four reads the fixture", "- [x] four reads both fixtures")
            fake.edit_issue_body(REPO, master, body + "- [ ] seven added meanwhile\n")
        return issue

    monkeypatch.setattr(github_api.GitHubClient, "apply_create_issue", create_then_edit)
    result = invoke(fake, generate_issues, "--master-issue", master)
    assert result.exit_code == 0, result.output
    body = fake.issue(REPO, master)["body"]
    assert "- [x] four reads both fixtures\n" in body
    assert "- [ ] seven added meanwhile\n" in body  # the next run links it
    assert len(boxes(body)) == 5


def test_two_generates_at_once_on_one_plan_file(fake_github: FakeGitHub, tmp_path: Path) -> None:
    """Started together on a fresh plan, then again after items were added: the second run
    waits for the first (a lock on the plan), then finds everything linked."""
    fake = fake_github
    plan = tmp_path / "plan.md"
    plan.write_text(RACE_PLAN, encoding="utf-8")
    env = script_env(fake)
    fake.latency = 0.02
    for round_no in range(2):
        if round_no:
            with plan.open("a", encoding="utf-8") as handle:
                handle.write("- [ ] seven added later\n- [ ] eight added later\n")
        before = plan.read_text(encoding="utf-8")
        runs = [start_script("generate_issues", [str(plan)], env, tmp_path) for _ in range(2)]
        outputs = [run.communicate(timeout=120) for run in runs]
        for run, (out, err) in zip(runs, outputs, strict=True):
            check_no_leak(fake, [out, err])
            assert run.returncode == 0, err
        check_no_duplicates(fake)
        after = plan.read_text(encoding="utf-8")
        check_user_text(before, after, may="link", what="two generates")
        items = cp.parse_checklist(after)
        assert all(i.issue is not None for i in items if not i.checked)
        titles = Counter(i["title"] for i in fake.issues(REPO))
        assert max(titles.values()) == 1, titles
        created = sum(int(m[1]) for _, err in outputs if (m := re.search(r"(\d+) created", err)))
        assert created == (6 if round_no == 0 else 2)  # the master and five items, then two


def test_two_generates_at_once_in_issue_mode_are_reported(
    fake_github: FakeGitHub, tmp_path: Path
) -> None:
    """Two issue-mode runs on different machines (no lock can reach: each has its own
    temporary directory here): both list the repository before either creates, so both
    create every item. The one that writes its links second, or failing that the next run
    that lists the repository, names each pair."""
    fake = fake_github
    fake.add_label(REPO, "test")
    master = fake.create_issue(REPO, "Plan", RACE_PLAN)["number"]
    args = ["--master-issue", str(master)]
    fake.latency = 0.02
    runs = []
    for machine in ("a", "b"):
        (tmp_path / machine).mkdir()
        env = {**script_env(fake), "TMPDIR": str(tmp_path / machine)}
        runs.append(start_script("generate_issues", args, env, tmp_path))
    said = "".join(err for run in runs for err in run.communicate(timeout=120)[1:])
    fake.latency = 0
    twins = Counter(
        m for issue in marked_issues(fake) for m in ITEM_MARKER_RE.findall(issue["body"] or "")
    )
    pairs = [
        sorted(i["number"] for i in marked_issues(fake) if marker in i["body"])
        for (m, k), n in twins.items()
        if n > 1
        for marker in [f"master={m} key={k}"]
    ]
    # the next run with something to create lists the repository and sees every pair
    body = fake.issue(REPO, master)["body"]
    fake.edit_issue_body(REPO, master, body + "- [ ] seven added later\n")
    result = invoke(fake, generate_issues, *args)
    said += result.stderr
    for first, second in pairs:
        assert re.search(rf"#{first}\b.*#{second}\b|#{second}\b.*#{first}\b", said), said
    assert result.exit_code == (1 if pairs else 0), result.output
    # closed as duplicates, as the warning asks: the next listing says nothing more
    linked = {i.issue.number for i in cp.parse_checklist(doc_text(fake, args)) if i.issue}
    for pair in pairs:
        for number in set(pair) - linked:
            fake.close_issue(REPO, number, "duplicate")
    body = fake.issue(REPO, master)["body"]
    fake.edit_issue_body(REPO, master, body + "- [ ] eight added later\n")
    result = invoke(fake, generate_issues, *args)
    assert result.exit_code == 0, result.output
    assert "warning:" not in result.stderr


# ---------------------------------------------------------------------------
# Regressions: what the campaign found


@pytest.mark.parametrize("kind", ["status", "apply_then_status", "drop", "apply_then_drop"])
def test_label_creation_survives_one_transient_fault(fake_github: FakeGitHub, kind: str) -> None:
    """Found by the state machine: one 5xx on POST /labels stopped the whole run. Creating
    a label is safe to re-send (a second create answers 422 already_exists)."""
    fake = fake_github
    fake.inject(kind, method="POST", path=r"/labels$")
    plan = Path("plan.md")
    plan.write_text(RACE_PLAN, encoding="utf-8")
    result = invoke(fake, generate_issues, plan)
    assert result.exit_code == 0, result.output
    assert fake.faults_fired
    assert [label["name"] for label in fake.labels(REPO)] == ["test"]
    assert all(i.issue for i in cp.parse_checklist(plan.read_text("utf-8")) if not i.checked)


@pytest.mark.parametrize("times", [1, 2])
@pytest.mark.parametrize("kind", ["status", "apply_then_status", "drop", "apply_then_drop"])
def test_adoption_comment_survives_transient_faults(
    fake_github: FakeGitHub, kind: str, times: int
) -> None:
    """Found by the state machine: one fault on the comment that links an adopted issue to
    the checklist stopped the run. A comment is a create, so the tool looks for it before
    posting again: never two comments."""
    fake = fake_github
    old = fake.create_issue(REPO, "[Test] five writes CSV", "Filed before the plan existed.")
    fake.inject(kind, method="POST", path=r"/comments$", times=times)
    plan = Path("plan.md")
    plan.write_text(RACE_PLAN, encoding="utf-8")
    result = invoke(fake, generate_issues, plan)
    assert result.exit_code == 0, result.output
    # a comment GitHub did post is found: it is not sent a second time
    assert len(fake.faults_fired) == (1 if kind.startswith("apply_then") else times)
    assert len(fake.comments(REPO, old["number"])) == 1
    assert f"adopted #{old['number']}" in result.stderr


def test_adoption_comment_gives_up_cleanly_then_the_rerun_posts_it_once(
    fake_github: FakeGitHub,
) -> None:
    fake = fake_github
    old = fake.create_issue(REPO, "[Test] five writes CSV", "Filed before the plan existed.")
    fake.inject("status", method="POST", path=r"/comments$", times=10)
    plan = Path("plan.md")
    plan.write_text(RACE_PLAN, encoding="utf-8")
    result = invoke(fake, generate_issues, plan)
    assert result.exit_code == 1
    assert error_lines(result.stderr) == [
        f"error: commenting on #{old['number']}: GitHub kept failing (502 Bad Gateway); rerun later"
    ]
    assert len(fake.faults_fired) == generate_issues.CREATE_ATTEMPTS
    assert fake.comments(REPO, old["number"]) == []
    fake.faults.clear()
    result = invoke(fake, generate_issues, plan)
    assert result.exit_code == 0, result.output
    assert len(fake.comments(REPO, old["number"])) == 1
    check_no_duplicates(fake)


def test_two_generates_at_once_in_issue_mode_on_one_machine(
    fake_github: FakeGitHub, tmp_path: Path
) -> None:
    """Found by review: issue mode took no lock, so two runs at once created every item
    twice and both exited 0. Now the second waits for the first, then finds all linked."""
    fake = fake_github
    fake.add_label(REPO, "test")
    master = fake.create_issue(REPO, "Plan", RACE_PLAN)["number"]
    args = ["--master-issue", str(master)]
    env = script_env(fake)
    fake.latency = 0.02
    runs = [start_script("generate_issues", args, env, tmp_path) for _ in range(2)]
    outputs = [run.communicate(timeout=120) for run in runs]
    for run, (_out, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, err
    check_no_duplicates(fake)
    assert len(marked_issues(fake)) == 5
    assert len(boxes(fake.issue(REPO, master)["body"])) == 5


def test_the_plan_lock_waits_then_gives_up(tmp_path: Path) -> None:
    plan = tmp_path / "plan.md"
    said: list[str] = []
    with cs.plan_lock(plan, said.append):
        started = time.monotonic()
        with (
            pytest.raises(github_api.ToolError) as failure,
            cs.plan_lock(plan, said.append, wait=0.3),
        ):
            pass
        assert time.monotonic() - started >= 0.3
        # another plan in the same directory is another checklist: no wait
        with cs.plan_lock(tmp_path / "other.md", said.append, wait=0):
            pass
    assert failure.value.format_message() == (
        f"another generate_issues.py run on {plan} was still busy after 0s; rerun when it "
        "has finished"
    )
    assert said == [f"waiting for another generate_issues.py run on {plan} to finish"]
    with cs.plan_lock(plan, said.append, wait=0):
        pass  # released when the first run ended


def test_two_plans_in_one_directory_do_not_wait_for_each_other(fake_github: FakeGitHub) -> None:
    Path("a.md").write_text(RACE_PLAN, encoding="utf-8")
    Path("b.md").write_text(RACE_PLAN.replace("Race plan", "Other plan"), encoding="utf-8")
    with cs.plan_lock(Path("a.md"), print, wait=0):
        result = invoke(fake_github, generate_issues, "b.md")
    assert result.exit_code == 0, result.output
    assert "waiting" not in result.stderr


def test_twins_are_reported_by_a_run_that_creates_nothing(fake_github: FakeGitHub) -> None:
    """Every run that lists the repository names twins, not only one with items to create:
    here the binding line is gone, so the run lists to find its master again."""
    fake = fake_github
    plan = Path("plan.md")
    plan.write_text(RACE_PLAN, encoding="utf-8")
    assert invoke(fake, generate_issues, plan).exit_code == 0
    first = fake.issue(REPO, issue_of(fake, plan.read_text("utf-8"), "one "))
    twin = fake.create_issue(REPO, first["title"], first["body"])["number"]
    plan.write_text(cp.strip_binding(plan.read_text("utf-8")), encoding="utf-8")
    result = invoke(fake, generate_issues, plan)
    assert result.exit_code == 1, result.output
    assert "0 created" in result.stderr
    assert f"warning: issues #{first['number']}, #{twin} were all made for one item" in (
        result.stderr
    )


def test_generate_waits_for_a_run_holding_the_plan(fake_github: FakeGitHub) -> None:
    plan = Path("plan.md").resolve()
    plan.write_text(RACE_PLAN, encoding="utf-8")
    release = threading.Event()
    holding = threading.Event()

    def other_run() -> None:
        with cs.plan_lock(plan, print):
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=other_run)
    holder.start()
    holding.wait(10)
    threading.Timer(0.3, release.set).start()
    result = invoke(fake_github, generate_issues, plan)
    holder.join(10)
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(
        f"waiting for another generate_issues.py run on {plan} to finish\n"
    )
    assert len(marked_issues(fake_github)) == 5


def test_a_link_made_meanwhile_is_reported_as_a_duplicate_in_file_mode(
    fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another run at once linked the item this run just made an issue for: the file keeps
    the first link, and this run says which issue is the duplicate (exit 1)."""
    fake = fake_github
    plan = Path("plan.md")
    plan.write_text(RACE_PLAN, encoding="utf-8")
    create = github_api.GitHubClient.apply_create_issue
    theirs: list[int] = []

    def other_run_links_it_first(self: github_api.GitHubClient, payload: dict[str, Any]) -> Any:
        issue = create(self, payload)
        if payload["title"] == "[Test] five writes CSV":
            twin = fake.create_issue(REPO, payload["title"], payload["body"])
            theirs.append(twin["number"])
            text = plan.read_text("utf-8").replace(
                "five writes CSV", f"five writes CSV ([#{twin['number']}]({twin['html_url']}))"
            )
            plan.write_text(text, encoding="utf-8")
        return issue

    monkeypatch.setattr(github_api.GitHubClient, "apply_create_issue", other_run_links_it_first)
    result = invoke(fake, generate_issues, plan)
    assert result.exit_code == 1, result.output
    (ours,) = [i["number"] for i in fake.issues(REPO) if i["title"] == "[Test] five writes CSV"][:1]
    assert f"#{ours} duplicates #{theirs[0]}, linked to the item meanwhile" in result.stderr
    assert f"close #{ours} as a duplicate" in result.stderr
    text = plan.read_text("utf-8")
    assert issue_of(fake, text, "five ") == theirs[0]
    assert all(i.issue for i in cp.parse_checklist(text) if not i.checked)


def test_a_link_made_meanwhile_is_reported_as_a_duplicate_in_issue_mode(
    fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = fake_github
    fake.add_label(REPO, "test")
    master = fake.create_issue(REPO, "Plan", RACE_PLAN)["number"]
    write = cs.write_issue_body

    def other_run_wrote_first(client: Any, number: int, update: Any) -> Any:
        body = fake.issue(REPO, number)["body"]
        fake.edit_issue_body(
            REPO, number, body.replace("six escapes quotes", "six escapes quotes (#1)")
        )
        return write(client, number, update)

    monkeypatch.setattr(cs, "write_issue_body", other_run_wrote_first)
    result = invoke(fake, generate_issues, "--master-issue", master)
    assert result.exit_code == 1, result.output
    ours = [i["number"] for i in fake.issues(REPO) if i["title"] == "[Test] six escapes quotes"]
    assert f"#{ours[0]} duplicates #1, linked to the item meanwhile" in result.stderr
    body = fake.issue(REPO, master)["body"]
    assert "- [ ] six escapes quotes (#1)\n" in body
    assert len(boxes(body)) == 5


def test_issues_made_twice_are_reported_by_the_next_listing(fake_github: FakeGitHub) -> None:
    """Until the extra issue is closed as a duplicate, as the warning asks."""
    fake = fake_github
    plan = Path("plan.md")
    plan.write_text(RACE_PLAN, encoding="utf-8")
    assert invoke(fake, generate_issues, plan).exit_code == 0
    first = fake.issue(REPO, issue_of(fake, plan.read_text("utf-8"), "one "))
    twin = fake.create_issue(REPO, first["title"], first["body"])["number"]
    with plan.open("a", encoding="utf-8") as handle:
        handle.write("- [ ] seven added later\n")
    result = invoke(fake, generate_issues, plan)
    assert result.exit_code == 1, result.output
    assert (
        f"warning: issues #{first['number']}, #{twin} were all made for one item (two runs at "
        "once?): keep the one the checklist links and close the others as duplicates\n"
    ) in result.stderr
    assert "1 created" in result.stderr
    fake.close_issue(REPO, twin, "duplicate")
    with plan.open("a", encoding="utf-8") as handle:
        handle.write("- [ ] eight added later\n")
    result = invoke(fake, generate_issues, plan)
    assert result.exit_code == 0, result.output


def test_a_plan_with_a_byte_order_mark_reruns_without_rereading_the_master(
    fake_github: FakeGitHub,
) -> None:
    """Found by the state machine: the plan kept its BOM in the comparison with the master
    body (which never has one), so every rerun re-read the master issue."""
    fake = fake_github
    plan = Path("plan.md")
    plan.write_bytes(("\ufeff" + RACE_PLAN).encode("utf-8"))
    assert invoke(fake, generate_issues, plan).exit_code == 0
    assert plan.read_bytes().startswith("\ufeff<!-- checklist-sync: ".encode())
    fake.reset_log()
    assert invoke(fake, generate_issues, plan).exit_code == 0
    assert [(r.method, r.path) for r in fake.requests] == [
        ("GET", f"/repos/{REPO}"),
        ("GET", f"/repos/{REPO}/issues/1"),
    ]


def test_a_copy_left_by_a_killed_run_is_removed_by_a_later_write(tmp_path: Path) -> None:
    """Found by the kill campaign: a run killed between writing the plan's temporary copy and
    renaming it left the copy next to the plan for good. A later run removes such a copy once
    it is old enough that no run can still be writing it; nothing else."""
    plan = tmp_path / "plan.md"
    plan.write_text(RACE_PLAN, encoding="utf-8")
    abandoned = tmp_path / f".plan.md.k1ll3d00{cs.TMP_SUFFIX}"
    being_written = tmp_path / f".plan.md.wr1t1ng0{cs.TMP_SUFFIX}"
    editors = tmp_path / ".plan.md.swp"
    for path in (abandoned, being_written, editors):
        path.write_text("- [ ] half", encoding="utf-8")
    long_ago = time.time() - 2 * cs.STALE_COPY_AGE
    for path in (abandoned, editors):
        os.utime(path, (long_ago, long_ago))
    cs.PlanFile.read(plan).write(RACE_PLAN + "- [ ] seven\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["plan.md", being_written.name, editors.name]
    )
    assert plan.read_text(encoding="utf-8").endswith("- [ ] seven\n")


def test_a_plan_in_a_missing_directory_is_reported_not_locked(fake_github: FakeGitHub) -> None:
    result = invoke(fake_github, generate_issues, Path("missing", "plan.md"))
    assert result.exit_code == 2
    assert error_lines(result.stderr) == [
        f"error: plan {Path('missing', 'plan.md')} not found: check the path"
    ]
