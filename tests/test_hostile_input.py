"""Hostile input: adversarial Markdown against the parser's running time, the tool's own markers
and links written into item text, huge plans, tokens in every output, and awkward plan files.

The parser must stay linear on every family below (a bigger sweep is bench/bench_fuzz.py);
end-to-end cases run the real commands against the fake GitHub server.
"""

from __future__ import annotations

import contextlib
import gc
import http.server
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import tracemalloc
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import checklist_parser as cp
import checklist_source as cs
import generate_issues
import github_api
import sync_checklist
from tests.conftest import run_cli
from tests.fake_github import FakeGitHub

ROOT = Path(__file__).resolve().parent.parent
REPO = "octo/plan"
HTML = f"https://github.com/{REPO}/issues"


pytestmark = pytest.mark.usefixtures("isolated")


# ---------------------------------------------------------------------------
# Running the commands


def invoke(
    command: click.Command, fake: FakeGitHub | None, *args: object, **env: str | None
) -> Result:
    """Run a command in-process as a user would; no run may leak the token or a traceback."""
    return run_cli(command, *args, fake=fake, env=env)


def assert_no_leak(result: Result, secrets: set[str]) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        repr(result.exception),
        result.output,
    )
    for stream in (result.stdout, result.stderr, str(result.exception or "")):
        assert "Traceback" not in stream
        for secret in secrets:
            assert secret not in stream


def generate(fake: FakeGitHub | None, *args: object, **env: str | None) -> Result:
    return invoke(generate_issues.main, fake, *args, **env)


def sync(fake: FakeGitHub | None, *args: object, **env: str | None) -> Result:
    return invoke(sync_checklist.main, fake, *args, **env)


def writes(fake: FakeGitHub) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in fake.requests if r.method != "GET" and r.path != "/graphql"]


def linked(path: Path) -> dict[str, int]:
    """Item text → linked issue number, for every linked item of a plan file."""
    return {
        item.text: item.issue.number
        for item in cp.parse_checklist(path.read_text(encoding="utf-8"))
        if item.issue is not None
    }


def bound_master(path: Path) -> int:
    doc = cp.parse_document(path.read_text(encoding="utf-8"))
    assert doc.binding is not None and doc.binding_line == 1
    target = cs.binding_target(doc.binding)
    assert target is not None
    return target[1]


# ---------------------------------------------------------------------------
# The parser stays linear on adversarial input

REF = cp.IssueRef(7, None, f"{HTML}/7")
PR = cp.IssueRef(8, None, "https://github.com/octo/plan/pull/8")
BINDING = f"{HTML}/1"


def exercise(text: str) -> None:
    """What the scripts do to a document: parse it, edit every item, bind and unbind it."""
    doc = cp.parse_document(text)
    edits = [
        cp.Edit(item.line_no, checked=True, issue=REF, pr=PR, note=cp.NOTE_DUPLICATE)
        for item in doc.items
    ]
    cp.apply_edits(text, edits, style="file")
    cp.strip_binding(cp.set_binding(text, BINDING))


def _rep(unit: str, size: int) -> str:
    return unit * max(1, size // len(unit))


def _indented_items(size: int) -> str:
    # one more level per line: a plan nested as deep as its size allows
    lines, total, depth = [], 0, 0
    while total < size:
        line = "  " * depth + "- [ ] x\n"
        lines.append(line)
        total += len(line)
        depth += 1
    return "".join(lines)


# Each builder makes a document of about `size` characters. At 100,000 characters most are one
# line; "nested-lists" is then 50,000 nested list levels and "nested-quotes" as many quotes.
FAMILIES: dict[str, Callable[[int], str]] = {
    "brackets": lambda n: "- [ ] " + "[" * n,
    "bracket-pairs": lambda n: "- [ ] " + _rep("[]", n) + "(",
    "spaces": lambda n: "- [ ] a" + " " * n + "b",
    "tabs": lambda n: "- [ ]\ta" + "\t" * n + "b",
    "spaces-and-tabs-after-marker": lambda n: "-" + _rep(" \t", n) + "[ ] x",
    "backticks": lambda n: "`" * n,
    "backticks-in-item": lambda n: "- [ ] " + "`" * n,
    "fence-with-backticks": lambda n: "```" + _rep("a`", n),
    "html-comment-openers": lambda n: _rep("<!--", n),
    "html-comment-lines": lambda n: _rep("<!--\n", n),
    "html-comment-in-item": lambda n: "- [ ] " + _rep("<!-- ", n),
    "html-attributes": lambda n: "<a" + _rep(" b=c", n) + " !",
    "html-attribute-spaces": lambda n: "<a b" + " " * n + "!",
    "binding-lookalike": lambda n: "<!-- checklist-sync: " + _rep("-->", n) + "x",
    "nested-quotes": lambda n: _rep("> ", n) + "- [ ] x",
    "deep-quote-lines": lambda n: _rep("> " * 100 + "- [ ] x\n", n),
    "pipes": lambda n: "a\n" + "|" * n,
    "table-rows": lambda n: "| a | b |\n| - | - |\n" + _rep("| x | y |\n", n),
    "table-delimiter-dashes": lambda n: "a|b\n" + "-" * n + "x",
    "table-delimiter-cells": lambda n: "a|b\n" + _rep("|-", n) + "x",
    "dashes": lambda n: "-" * n,
    "setext-dashes": lambda n: "a\n" + "-" * n + "x",
    "hashes": lambda n: "#" * n,
    "heading-hash-runs": lambda n: "# a" + _rep(" #", n) + "x",
    "heading-lines": lambda n: _rep("# a #\n", n),
    "parentheses": lambda n: "- [ ] " + "(" * n,
    "spaced-parentheses": lambda n: "- [ ] " + _rep("( ", n),
    "http": lambda n: "- [ ] " + _rep("http://", n),
    "spaced-urls": lambda n: "- [ ] " + _rep(" http://a", n),
    "issue-url-chain": lambda n: "- [ ] " + _rep("https://github.com/o/r/issues/1/", n),
    "angle-urls": lambda n: "- [ ] " + _rep(" <https://github.com/o/r/issues/1", n),
    "closing-words": lambda n: "- [ ] " + _rep("closes ", n),
    "closing-refs": lambda n: "- [ ] " + _rep(" fixes #1", n),
    "bare-refs": lambda n: "- [ ] " + _rep(" #1", n),
    "repo-refs": lambda n: "- [ ] " + _rep(" o/r#1", n),
    "long-number": lambda n: "- [ ] #" + "1" * n,
    "tool-link-openers": lambda n: "- [ ] " + _rep(" ([#1](", n),
    "tool-links": lambda n: "- [ ] " + _rep(" (#1)", n),
    "annotations": lambda n: "- [ ] a (#1)" + _rep(" (duplicate)", n),
    "pr-annotation-openers": lambda n: "- [ ] a (#1)" + _rep(" ([PR #2](", n),
    "markdown-link-openers": lambda n: "- [ ] " + _rep(" [a", n) + "](",
    "markdown-link-labels": lambda n: "- [ ] [" + _rep(" a", n),
    "nested-lists": lambda n: _rep("+ ", n) + "[ ] x",
    "nested-ordered-lists": lambda n: _rep("1. ", n) + "[ ] x",
    "nested-lists-lazy-lines": lambda n: "+ " * 1000 + "x\n" + _rep("y\n", n),
    "indented-items": _indented_items,
    "many-items": lambda n: _rep("- [x] item (#12) (PR #3) (not planned) tail\n", n),
    "carriage-returns": lambda n: _rep("- [ ] a\r", n),
    "other-line-breaks": lambda n: "- [ ] " + _rep("a\x0b\x0c\x1c\x85\u2028\u2029", n),
    "control-characters": lambda n: "- [ ] " + _rep("\x00\x01\x1b\x7f", n),
    "bom-and-crlf": lambda n: "\ufeff" + _rep("- [ ] a\r\n", n),
}

# Quadratic in the block phase (above the parser's "Links and annotations" line, which
# another person owns) when this file was written; reported, and linear since.
FAMILIES |= {
    # _TABLE_DELIM_RE split the trailing spaces between its two runs on every try
    "table-delimiter-trailing-spaces": lambda n: "a\n|-" + " " * n + "x",
    # _ATX_CLOSE_RE.sub tried every space of the run as the start of a closing sequence
    "heading-closing-spaces": lambda n: "# a" + " " * n + "x",
    # _THEMATIC_RE scanned the rest of the line again at every nested list marker
    "thematic-break-lookalike-lists": lambda n: _rep("* ", n) + "x",
    # every blank line walked every open list item (cmark-gfm opens at most 100 a line)
    "nested-lists-then-blank-lines": lambda n: _rep("+ ", n // 2) + "x" + "\n" * (n // 2),
}


def _indented_lists_then_blank_lines(size: int) -> str:
    depth = int((size / 2) ** 0.5)
    return "".join("  " * level + "- a\n" for level in range(depth)) + "\n" * (size // 2)


# Reported superlinear (issue 8 #15: a blank line walked every open list item, depth d costs
# d*d characters of indentation, then d steps a blank line: n**1.5, 1 MB in 41 s), linear since
# a run of blank lines walks the open blocks once.
FAMILIES["indented-lists-then-blank-lines"] = _indented_lists_then_blank_lines


def _backtick_runs(size: int) -> str:
    # runs of every length, none closed: each would search the rest of the line for its closer
    runs, total, length = [], 0, 1
    while total < size:
        runs.append("`" * length + " ")
        total += length + 1
        length += 1
    return "- [ ] " + "".join(runs)


# The link reader skips code spans and HTML comments (issue 10 #5).
FAMILIES |= {
    "backtick-runs-of-every-length": _backtick_runs,
    "code-spans-and-links": lambda n: "- [ ] " + _rep("`a` (#1) ", n),
    "comments-and-links": lambda n: "- [ ] " + _rep("<!-- a --> (#1) ", n),
    "comment-openers-and-links": lambda n: "- [ ] " + _rep("<!-- (#1) ", n),
}

# Footnote definitions (issue 10 #4): nested on one line, one label many times, and blank
# lines of two kinds, which a definition tells apart.
FAMILIES |= {
    "footnote-definitions-nested": lambda n: _rep("[^a]: ", n) + "- [ ] x\n[^a]",
    "footnote-definitions-repeated": lambda n: _rep("[^a]: - [ ] x\n", n) + "[^a]",
    "footnote-blank-lines": lambda n: "[^a]: x\n" + _rep("\n \n", n) + "[^a]",
    "footnote-references": lambda n: "[^a]: - [ ] x\n" + _rep("[^a] ", n),
}

LINEAR_SIZE = 4_000  # then 4x that
LINE_LENGTH = 1_000_000  # one megabyte, parsed within PARSE_LIMIT
# time(4n) / time(n) is about 4 when linear, 16 when quadratic. Below NOISE_FLOOR a ratio is
# noise (other processes, the allocator) and the time limits alone judge: a quadratic family
# takes seconds at 20,000 characters and minutes at 100,000.
MAX_RATIO = 8.0
NOISE_FLOOR = 0.05  # seconds
EXERCISE_LIMIT = 1.0  # seconds for every operation on 4 x LINEAR_SIZE characters
PARSE_LIMIT = 1.0  # CPU seconds to parse LINE_LENGTH characters (the families: 0.01 to 0.6)


def best_time(fn: Callable[[str], object], text: str, runs: int = 3) -> float:
    """The least of a few runs' CPU time (on a busy machine the wall clock also counts the time
    other processes had the CPU), with the garbage collector and a coverage tracer paused: the
    tracer alone makes the parser several times slower."""
    best = float("inf")
    enabled = gc.isenabled()
    tracer = sys.gettrace()
    gc.disable()
    sys.settrace(None)
    try:
        for _ in range(runs):
            start = time.process_time()
            fn(text)
            best = min(best, time.process_time() - start)
    finally:
        sys.settrace(tracer)
        if enabled:
            gc.enable()
    return best


def scaling(
    build: Callable[[int], str], size: int, fn: Callable[[str], object] = exercise
) -> tuple[float, float]:
    """(time for `size` characters, time for 4x as many), measured in turns so that a busy
    spell slows both; a second round when the first looks superlinear."""
    small_text, large_text = build(size), build(4 * size)
    small = large = float("inf")
    for _round in range(2):
        for _ in range(3):
            small = min(small, best_time(fn, small_text, runs=1))
            large = min(large, best_time(fn, large_text, runs=1))
        if large < NOISE_FLOOR or large / small < MAX_RATIO:
            break
    return small, large


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_parser_is_linear_on_adversarial_input(family: str) -> None:
    build = FAMILIES[family]
    small, large = scaling(build, LINEAR_SIZE)
    assert large < EXERCISE_LIMIT, f"{family}: {large:.3f}s for {4 * LINEAR_SIZE:,} characters"
    assert large < NOISE_FLOOR or large / small < MAX_RATIO, (
        f"{family}: {small * 1e3:.1f} ms for {LINEAR_SIZE:,} characters, "
        f"{large * 1e3:.1f} ms for 4x as many (x{large / small:.1f})"
    )
    parse = best_time(cp.parse_checklist, build(LINE_LENGTH), runs=1)
    assert parse < PARSE_LIMIT, f"{family}: {parse:.3f}s to parse {LINE_LENGTH:,} characters"


def test_plan_title_is_linear_on_a_long_heading() -> None:
    """Regression: the master issue's title came from a lazy regex, quadratic in the spaces."""
    text = "# a" + " " * 100_000 + "#x\n- [ ] b\n"
    start = time.perf_counter()
    title = generate_issues.master_title(cp.parse_document(text), "plan.md")
    assert time.perf_counter() - start < 1.0  # it took 40 s
    assert title == "a #x"


@pytest.mark.parametrize(
    "heading, title",
    [
        ("#   ", "Test plan: plan.md"),  # an empty heading gave an empty title (GitHub: 422)
        ("# ###", "Test plan: plan.md"),
        ("# Notes on C#", "Notes on C#"),  # a closing run needs a space before it
        ("# Notes ##", "Notes"),
        ("## \tTabs\t#\t", "Tabs"),
        ("# a\x07b", "a b"),
    ],
)
def test_plan_title_from_heading(heading: str, title: str) -> None:
    text = f"{heading}\n- [ ] x\n"
    assert generate_issues.master_title(cp.parse_document(text), "plan.md") == title


# ---------------------------------------------------------------------------
# Fuzzing the parser for exceptions (hypothesis)

TOKENS = [
    *"[]()`<>|-#*+_=:~!\\/'\" \t\r\n\x0b\x0cxX1",
    "\n\n",
    "- [ ] ",
    "* [x] ",
    "1. [ ] ",
    "> ",
    "    ",
    "```",
    "~~~",
    "<!--",
    "-->",
    "<div>",
    "<a b=c>",
    "| a |",
    "| - |",
    "# ",
    "===",
    "---",
    "(#12)",
    "([#12](https://github.com/octo/plan/issues/12))",
    " (PR #3)",
    " ([PR #3](https://github.com/octo/plan/pull/3))",
    " (not planned)",
    " (duplicate)",
    "closes #4",
    "o/r#5",
    "https://github.com/o/r/issues/6",
    "<https://github.com/o/r/issues/7>",
    "[t](https://github.com/o/r/issues/8)",
    "<!-- checklist-sync: https://github.com/octo/plan/issues/1 -->",
    "<!-- checklist-sync:item master=1 key=0123456789abcdef -->",
    "\ufeff",
    "\u2028",
    "\x85",
    "é",
    "👩\u200d💻",
]
documents = st.lists(st.sampled_from(TOKENS) | st.text(max_size=3), max_size=80).map("".join)
FUZZ = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)


@FUZZ
@given(documents)
def test_fuzz_parse_never_raises_and_finds_real_boxes(text: str) -> None:
    doc = cp.parse_document(text)
    lines = cp.split_lines(text)[0]
    for item in doc.items:
        line = lines[item.line_no - 1]
        assert line[item.box_col] == "[" and line[item.box_col + 2] == "]"
        assert (line[item.box_col + 1] != " ") == item.checked
        assert "\n" not in item.text and "\r" not in item.text
    if doc.binding is not None:
        assert doc.binding_line is not None
        assert cp.BINDING_PREFIX in lines[doc.binding_line - 1]


edit_choices = st.fixed_dictionaries(
    {
        "checked": st.sampled_from([None, True, False]),
        "issue": st.sampled_from([None, REF]),
        "pr": st.sampled_from([None, PR]),
        "note": st.sampled_from([None, *cp.NOTES]),
    }
)


@FUZZ
@given(documents, st.lists(edit_choices, max_size=6), st.sampled_from(cp.STYLES))
def test_fuzz_apply_edits_keeps_every_other_line(
    text: str, choices: list[dict[str, Any]], style: str
) -> None:
    items = cp.parse_checklist(text)
    edits = []
    for item, choice in zip(items, choices, strict=False):
        issue = {"issue": choice["issue"]} if choice["issue"] else {}  # None would unlink
        edits.append(
            cp.Edit(
                item.line_no,
                checked=choice["checked"],
                pr=choice["pr"],
                note=choice["note"],
                **issue,
            )
        )
    new = cp.apply_edits(text, edits, style=style)
    old_lines, new_lines = cp.split_lines(text), cp.split_lines(new)
    assert new_lines[1] == old_lines[1]  # the same line endings, so the same lines
    # an item's box is on its first line, its link and annotations on its last (a wrapped item)
    by_line = {item.line_no: item for item in items}
    edited = {edit.line_no for edit in edits}
    edited |= {by_line[edit.line_no].link_line_no for edit in edits}
    for number, (old, now) in enumerate(zip(old_lines[0], new_lines[0], strict=True), 1):
        if number not in edited:
            assert now == old
    after = {item.line_no: item for item in cp.parse_checklist(new)}
    for edit in edits:
        item = after.get(edit.line_no)
        assert item is not None, (edit, new)
        if edit.checked is not None:
            assert item.checked == edit.checked


@FUZZ
@given(documents)
def test_fuzz_binding_round_trip(text: str) -> None:
    bound = cp.set_binding(text, BINDING)
    doc = cp.parse_document(bound)
    assert doc.binding == BINDING
    assert len(doc.items) == len(cp.parse_checklist(text))
    if cp.parse_document(text).binding is None:
        assert doc.binding_line == 1
        assert cp.strip_binding(bound) == text
    rebound = cp.set_binding(bound, f"{HTML}/2")
    assert cp.parse_document(rebound).binding == f"{HTML}/2"
    assert cp.split_lines(rebound)[1] == cp.split_lines(bound)[1]


# ---------------------------------------------------------------------------
# The tool's own markers, binding comments and links written into item text


def item_marker_for(plan_text: str, item_text: str, master: int) -> str:
    """The hidden marker the tool would write into the issue of the item with that text."""
    (item,) = [i for i in cp.parse_checklist(plan_text) if i.text == item_text]
    return f"<!-- checklist-sync:item master={master} key={generate_issues.item_key(item)} -->"


def test_forged_item_marker_is_not_taken_for_a_lost_create(fake_github: FakeGitHub) -> None:
    """Regression: after a 502 on a create, the tool looked for the item's marker anywhere in
    the newest issues, and took the issue of the item whose text carried it: two items, one
    issue, exit 0.
    """
    base = "- [ ] a\n- [ ] b\n"
    forged = item_marker_for(base, "b", master=1)
    plan = Path("plan.md")
    plan.write_text(f"- [ ] a {forged}\n- [ ] b\n")
    # POSTs: the master, a's issue, then b's issue, which fails before anything is created
    fake_github.inject("status", method="POST", path=r"/issues$", nth=3, status=502)
    result = generate(fake_github, plan)
    assert result.exit_code == 0, result.output
    links = linked(plan)
    assert links == {f"a {forged}": 2, "b": 3}
    assert fake_github.issue(REPO, 3)["title"] == "[Test] b"


def test_forged_item_marker_cannot_adopt_a_removed_items_issue(fake_github: FakeGitHub) -> None:
    """An issue whose item left the plan is not adopted by a new item its text names."""
    final = "- [ ] c\n"
    forged = item_marker_for(final, "c", master=1)
    plan = Path("plan.md")
    plan.write_text(f"- [ ] x {forged}\n")
    assert generate(fake_github, plan).exit_code == 0
    x_issue = linked(plan)[f"x {forged}"]
    # x leaves the plan (its issue stays open on GitHub), c is new
    binding = plan.read_text().splitlines()[0]
    plan.write_text(f"{binding}\n{final}")
    result = generate(fake_github, plan)
    assert result.exit_code == 0, result.output
    assert "adopted #" not in result.stderr and "made for one item" not in result.stderr
    assert linked(plan)["c"] not in (x_issue, 1)
    assert fake_github.issue(REPO, linked(plan)["c"])["title"] == "[Test] c"


def test_forged_master_marker_cannot_claim_another_plan(fake_github: FakeGitHub) -> None:
    """Regression: item text holding a master marker made every issue carrying it (the item's
    issue, the other plan's master) a master issue of the plan it names: a later first run of
    that plan stopped with "several master issues claim plan.md".
    """
    other = Path("other.md")
    forged = "<!-- checklist-sync:master plan=plan.md digest=0123456789abcdef -->"
    other.write_text(f"# Other\n- [ ] y {forged}\n")
    assert generate(fake_github, other).exit_code == 0
    taken = {i["number"] for i in fake_github.issues(REPO)}
    plan = Path("plan.md")
    plan.write_text("# Plan\n- [ ] z\n")
    result = generate(fake_github, plan)
    assert result.exit_code == 0, result.output
    assert bound_master(plan) not in taken
    assert linked(plan)["z"] not in taken


def test_binding_comments_in_item_text_do_not_bind(fake_github: FakeGitHub) -> None:
    decoy = fake_github.create_issue(REPO, "Someone else's issue", "keep me")["number"]
    comment = f"<!-- checklist-sync: {HTML}/{decoy} -->"
    text = (
        f"- [ ] a {comment}\n"
        f"- [ ] b\n\n  {comment}\n"  # inside the item b: not the document's binding
        f"> {comment}\n\n"
        f"```\n{comment}\n```\n"
    )
    plan = Path("plan.md")
    plan.write_text(text)
    result = generate(fake_github, plan)
    assert result.exit_code == 0, result.output
    master = bound_master(plan)
    assert master != decoy
    assert fake_github.issue(REPO, decoy)["body"] == "keep me"
    assert fake_github.comments(REPO, decoy) == []
    # sync reads the binding the tool wrote, and only that one
    fake_github.close_issue(REPO, linked(plan)[f"a {comment}"])
    result = sync(fake_github, plan)
    assert result.exit_code == 0, result.output
    assert f"updated master checklist #{master}" in result.stderr
    assert fake_github.issue(REPO, decoy)["body"] == "keep me"


def test_issue_references_in_item_text(fake_github: FakeGitHub) -> None:
    """`(#N)` at the end is the tool's link form: the item is linked to #N, which no other
    item can then adopt; a reference inside the text ("bug #N", "closes #N works", "the (#N)
    case") is content.
    """
    decoy = fake_github.create_issue(REPO, "[Test] c", "filed by hand")["number"]
    text = (
        f"- [ ] a b (#{decoy})\n"
        f"- [ ] c\n"
        f"- [ ] the (#{decoy}) case\n"
        f"- [ ] regression for bug #{decoy}\n"
        f"- [ ] check that closes #{decoy} works\n"
    )
    plan = Path("plan.md")
    plan.write_text(text)
    result = generate(fake_github, plan)
    assert result.exit_code == 0, result.output
    links = linked(plan)
    assert links.pop("a b") == decoy  # written by the user: read, never rewritten
    assert decoy not in links.values()
    assert set(links) == {
        "c",
        f"the (#{decoy}) case",
        f"regression for bug #{decoy}",
        f"check that closes #{decoy} works",
    }
    assert fake_github.comments(REPO, decoy) == []  # not adopted by c
    assert f"a b (#{decoy})\n" in plan.read_text()


# _find_link read the tool's `(#N)` inside an HTML comment or a code span, which GitHub does
# not render as a link (the item then never got its issue)
@pytest.mark.parametrize("line", ["- [ ] a <!-- (#1) -->", "- [ ] a ` (#1) `"])
def test_hidden_or_literal_issue_reference_is_not_a_link(line: str) -> None:
    (item,) = cp.parse_checklist(line + "\n")
    assert item.issue is None


HOSTILE_ITEMS = [
    "bell\x07 nul\x00 esc\x1b[31m del\x7f",
    "vt\x0b ff\x0c fs\x1c gs\x1d rs\x1e nel\x85 ls\u2028 ps\u2029 end",
    "tab\tand  spaces",
    "only\x01controls\x02",
    "w" * 30_000,
    "emoji 👩\u200d💻 and é",
]


def test_titles_are_one_line_without_controls_and_within_the_limit(
    fake_github: FakeGitHub,
) -> None:
    heading = "Section\x1b with\x0b controls"
    plan = Path("plan.md")
    items = "".join(f"- [ ] {text}\r\n" for text in HOSTILE_ITEMS)
    plan.write_bytes(f"# {heading}\r\n{items}".encode())
    template = "{section}\n{text}\r\x85{parent}"
    result = generate(fake_github, plan, "--title-template", template)
    assert result.exit_code == 0, result.output
    issues = fake_github.issues(REPO)
    assert len(issues) == 1 + len(HOSTILE_ITEMS)
    for issue in issues:
        title = issue["title"]
        assert 0 < len(title) <= generate_issues.TITLE_LIMIT
        assert title == title.strip() and "  " not in title
        assert not [ch for ch in title if unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp")]
    # the whole item stays in its issue's body
    long_issue = linked(plan)["w" * 30_000]
    assert fake_github.issue(REPO, long_issue)["body"].startswith("w" * 30_000 + "\n")


# ---------------------------------------------------------------------------
# Very large plans

PROSE = "A line of prose in a very long plan, about as long as a real one.\n"


def ten_megabyte_plan(items: int = 1_000) -> str:
    head = "# Big plan\n" + "".join(f"- [ ] item {n}\n" for n in range(items))
    return head + PROSE * ((10_000_000 - len(head)) // len(PROSE))


def hundred_thousand_items() -> str:
    return "# Big plan\n" + "".join(f"- [ ] item {n}\n" for n in range(100_000))


def assert_refused_as_too_long(result: Result) -> None:
    assert result.exit_code == 2, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    match = re.fullmatch(
        r"error: plan\.md is too long for an issue body \((\d+) characters"
        r"(?: once every item is linked and annotated)?, GitHub takes 65536\): "
        r"split it into several plans",
        errors[0],
    )
    assert match and int(match.group(1)) > cs.ISSUE_BODY_LIMIT, errors[0]


@pytest.mark.parametrize("build", [ten_megabyte_plan, hundred_thousand_items])
def test_huge_plan_is_refused_before_any_write(
    fake_github: FakeGitHub, build: Callable[[], str]
) -> None:
    plan = Path("plan.md")
    text = build()
    plan.write_text(text)
    result = generate(fake_github, plan)
    assert_refused_as_too_long(result)
    assert writes(fake_github) == []
    assert plan.read_text() == text


def test_bound_plan_grown_too_long_is_refused_before_creating_issues(
    fake_github: FakeGitHub,
) -> None:
    """Regression: a bound plan that outgrew its master issue had every new item's issue
    created, and only then failed to publish (exit 1).
    """
    plan = Path("plan.md")
    plan.write_text("# Plan\n- [ ] a\n")
    assert generate(fake_github, plan).exit_code == 0
    grown = plan.read_text() + PROSE * 1_100 + "- [ ] b\n- [ ] c\n"
    plan.write_text(grown)
    fake_github.reset_log()
    result = generate(fake_github, plan)
    assert_refused_as_too_long(result)
    assert writes(fake_github) == []
    assert plan.read_text() == grown


def traced_peak(fn: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_is_linear_in_the_plan() -> None:
    """What a sync does with the text (parse, decide, edit) peaks at a small multiple of the
    plan, a few hundred bytes an item: bench/bench_fuzz.py --memory measures whole runs on a
    10 MB plan and on 100,000 items.
    """
    done = github_api.IssueState(REPO, 1, "closed", "completed", f"{HTML}/1", None)
    body = "".join(f"- [ ] item {n}\n" for n in range(1_000)) + PROSE * 1_500
    text = f"- [ ] done ([#1]({HTML}/1))\n{body}"
    result: list[str] = []
    peak = traced_peak(
        lambda: result.append(sync_checklist.sync_text(text, {(REPO, 1): done}, REPO, "file")[0])
    )
    assert result[0].startswith("- [x] done ([#1]")
    # measured: about 9 times the plan (the text, its lines, the items, the new text)
    assert peak < 20 * len(text), f"peak {peak / 1e6:.1f} MB for {len(text) / 1e6:.2f} MB"

    items_text = "".join(f"- [ ] item {n}\n" for n in range(10_000))
    peak = traced_peak(lambda: cp.parse_checklist(items_text))
    # measured: about 600 bytes per item (a ChecklistItem, its text, the raw tuple)
    assert peak / 10_000 < 1_500, f"{peak / 10_000:.0f} bytes per item"


@pytest.mark.parametrize("command", [generate, sync])
def test_plan_over_the_size_limit_is_refused(
    fake_github: FakeGitHub, command: Callable[..., Result]
) -> None:
    plan = Path("plan.md")
    plan.write_bytes(b"- [ ] a\n" + b"x" * cs.MAX_PLAN_BYTES)
    result = command(fake_github, plan)
    assert result.exit_code == 2
    assert result.stderr == (
        "error: plan.md is 10240 KiB; plans are limited to 10 MiB: split it into several plans\n"
    )
    assert fake_github.requests == []


@pytest.mark.timeout(60)
@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
@pytest.mark.parametrize("command", [generate, sync])
def test_endless_plan_is_refused(fake_github: FakeGitHub, command: Callable[..., Result]) -> None:
    """Regression: a plan whose size the system does not know was read to its end (forever)."""
    result = command(fake_github, "/dev/zero", "--dry-run")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: /dev/zero holds more than 10 MiB; plans are limited to 10 MiB: split it into "
        "several plans\n"
    )
    assert fake_github.requests == []


def test_plan_growing_past_the_limit_while_read_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The size stat() saw is not trusted: the read stops one byte past the limit."""
    plan = tmp_path / "plan.md"
    plan.write_bytes(b"- [ ] a\n")
    real_open = Path.open

    def open_grown(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self == plan:
            with open(plan, "ab") as handle:  # grows between stat() and the read
                handle.write(b"x" * (cs.MAX_PLAN_BYTES + 10))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", open_grown)
    with pytest.raises(github_api.ConfigError, match=r"plan\.md holds more than 10 MiB"):
        cs.PlanFile.read(plan)


# ---------------------------------------------------------------------------
# Tokens


CUSTOM_TOKEN = "not-shaped-like-a-github-token-0123456789abcdef"


def test_token_never_printed_logged_or_summarised(fake_github: FakeGitHub) -> None:
    """A token of no known shape (redaction cannot rely on the pattern), pasted into the plan,
    echoed back by GitHub in a validation error: never in any output."""
    fake_github.add_token(CUSTOM_TOKEN, "write")
    token_env = {"GITHUB_TOKEN": CUSTOM_TOKEN}
    summary = Path("summary.md")
    plan = Path("plan.md")
    plan.write_text(f"# Plan {CUSTOM_TOKEN}\n- [ ] uses {CUSTOM_TOKEN}\n- [ ] b\n")
    runs = [generate(fake_github, plan, "-v", "--json", "--dry-run", **token_env)]
    # GitHub answers an unknown assignee with a 422 that quotes it
    failed = generate(fake_github, plan, "-v", "--assignee", CUSTOM_TOKEN, **token_env)
    assert failed.exit_code == 1, failed.output
    assert "invalid assignees '***'" in failed.stderr
    runs.append(failed)
    runs.append(generate(fake_github, plan, "-v", "--json", **token_env))
    for number in linked(plan).values():
        fake_github.close_issue(REPO, number)
    steps = {"GITHUB_STEP_SUMMARY": str(summary), "GITHUB_ACTIONS": "true"}
    runs.append(sync(fake_github, plan, "-v", "--json", "--check", **token_env, **steps))
    runs.append(sync(fake_github, plan, "-v", "--json", **token_env, **steps))
    assert [r.exit_code for r in runs] == [0, 1, 0, 1, 0], [r.output for r in runs]
    assert "***" in summary.read_text()
    for result in runs:
        for stream in (result.stdout, result.stderr):
            assert CUSTOM_TOKEN not in stream
    assert CUSTOM_TOKEN not in summary.read_text()


def test_rejected_token_is_not_echoed(fake_github: FakeGitHub) -> None:
    plan = Path("plan.md")
    plan.write_text("- [ ] a\n")
    for command in (generate, sync):
        result = command(fake_github, plan, "-v", GITHUB_TOKEN=CUSTOM_TOKEN + "-wrong")
        assert result.exit_code == 2
        assert "GitHub rejected the token from GITHUB_TOKEN (401 Bad credentials)" in result.stderr


class _LeakyGitHub(http.server.BaseHTTPRequestHandler):
    """A server that puts the token everywhere it can: a Link header, error bodies, GraphQL."""

    token = ""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        leak = f"upstream failed for {self.token} at {base}/login?access_token={self.token}"
        if self.path == f"/repos/{REPO}":
            self._answer(200, {"full_name": REPO, "html_url": f"https://github.com/{REPO}"})
        elif self.path.startswith(f"/repos/{REPO}/issues?") and "page=2" not in self.path:
            following = f"{base}/repos/{REPO}/issues?page=2&access_token={self.token}"
            self._answer(200, [], {"Link": f'<{following}>; rel="next"'})
        else:
            self._answer(502, {"message": leak, "documentation_url": f"{base}/{self.token}"})

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._answer(200, {"errors": [{"message": f"token {self.token} is not allowed here"}]})


@pytest.fixture
def leaky_server() -> Iterator[str]:
    _LeakyGitHub.token = CUSTOM_TOKEN
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _LeakyGitHub)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_token_in_server_answers_and_urls_is_redacted(leaky_server: str) -> None:
    """The fake never echoes a token this way: a stub on 127.0.0.1 puts it in a `Link` URL
    (shown by -v), a REST error body and a GraphQL error."""
    env = {"GITHUB_TOKEN": CUSTOM_TOKEN, "GITHUB_API_URL": leaky_server, "GITHUB_REPOSITORY": REPO}
    plan = Path("plan.md")
    plan.write_text(f"- [ ] a ([#1]({HTML}/1))\n- [ ] b\n")
    listed = generate(None, plan, "-v", "--json", "--dry-run", **env)
    assert listed.exit_code == 1, listed.output
    assert re.search(
        r"^GET /repos/octo/plan/issues\?\S*access_token=\*\*\*\S* -> 502$", listed.stderr, re.M
    )
    assert "GitHub kept failing (502 upstream failed for *** at " in listed.stderr
    synced = sync(None, plan, "-v", "--json", **env)
    assert synced.exit_code == 1, synced.output
    assert "GraphQL API answered token *** is not allowed here" in synced.stderr
    # the exception the commands turn into that line
    client = github_api.GitHubClient(CUSTOM_TOKEN, REPO, leaky_server, write_interval=0)
    try:
        with pytest.raises(github_api.ToolError) as caught:
            client.fetch_all_issues()
    finally:
        client.close()
    assert CUSTOM_TOKEN not in str(caught.value) and CUSTOM_TOKEN not in repr(caught.value)


@pytest.fixture
def listener() -> Iterator[tuple[str, list[bytes]]]:
    """A host on 127.0.0.1 that records what anyone sends it (a TLS hello, a request)."""
    received: list[bytes] = []
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.05)
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(0.5)
                with contextlib.suppress(OSError):
                    received.append(conn.recv(65536))

    thread = threading.Thread(target=accept)
    thread.start()
    try:
        yield f"127.0.0.1:{server.getsockname()[1]}", received
    finally:
        stop.set()
        thread.join(5)
        server.close()


@pytest.mark.parametrize("command", [generate, sync])
@pytest.mark.parametrize("repo_flag", [False, True])
def test_a_binding_line_never_sends_the_token_to_its_host(
    listener: tuple[str, list[bytes]], command: Any, repo_flag: bool
) -> None:
    """A maintainer's shell (GITHUB_API_URL unset) and a plan whose hidden binding names
    another host, as one pull request editing the plan could make it: nothing is sent there."""
    host, received = listener
    plan = Path("plan.md")
    text = f"<!-- checklist-sync: https://{host}/octo/plan/issues/1 -->\n- [ ] a\n"
    plan.write_text(text)
    args = [plan, "--repo", REPO] if repo_flag else [plan]
    result = command(None, *args, GITHUB_TOKEN=CUSTOM_TOKEN, GITHUB_REPOSITORY=REPO)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(
        f"error: the plan is bound to an issue on {host}, but the token goes only to a host you "
        f"name (github.com here): if {host} is yours, set GITHUB_API_URL=https://{host}/api/v3\n"
    )
    time.sleep(0.1)
    assert received == []
    assert plan.read_text() == text


@pytest.mark.skipif(shutil.which("git") is None, reason="no git")
def test_dotenv_is_git_ignored() -> None:
    def git(*args: str) -> int:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, check=False).returncode

    if git("rev-parse", "--is-inside-work-tree") != 0:
        pytest.skip("not a git checkout")
    assert git("check-ignore", "-q", ".env") == 0
    assert git("check-ignore", "-q", "--no-index", ".env") == 0  # even if someone added it
    assert git("ls-files", "--error-unmatch", ".env") != 0
    assert git("check-ignore", "-q", ".env.example") != 0  # the template ships


# ---------------------------------------------------------------------------
# Plan files


def _read_only_mount_works() -> bool:
    if sys.platform != "linux" or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", RO_SCRIPT, "sh", "/tmp", "true"],
        capture_output=True,
        check=False,
        timeout=30,
    )
    return probe.returncode == 0


# Bind the directory onto itself read-only, in a mount namespace of its own (gone with the
# process): root writes through file and directory permissions, not through a read-only mount.
RO_SCRIPT = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"'


def run_read_only(directory: Path, script: str, *args: str, env: dict[str, str]) -> Any:
    command = [sys.executable, str(ROOT / script), *args]
    return subprocess.run(
        ["unshare", "-m", "sh", "-c", RO_SCRIPT, "sh", str(directory), *command],
        cwd=directory,
        env={**os.environ, "CHECKLIST_WRITE_INTERVAL": "0", **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_read_only_plan(fake_github: FakeGitHub, tmp_path: Path) -> None:
    if not _read_only_mount_works():
        pytest.skip("no read-only bind mount here (needs Linux, unshare and CAP_SYS_ADMIN)")
    plan = tmp_path / "plan.md"
    plan.write_text("- [ ] a\n")
    env = fake_github.env()
    message = "error: plan.md is not writable: fix its permissions, or use --dry-run\n"
    for script in ("generate_issues.py", "sync_checklist.py"):
        result = run_read_only(tmp_path, script, "plan.md", env=env)
        assert (result.returncode, result.stderr) == (2, message), result
    assert fake_github.requests == []
    check = run_read_only(tmp_path, "sync_checklist.py", "plan.md", "--check", env=env)
    assert check.returncode == 0, check.stderr
    assert writes(fake_github) == []
    assert plan.read_text() == "- [ ] a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["plan.md"]  # no temporary file left


PLAN = "# Plan\n\n- [ ] a\n- [ ] b\n- [ ] c\n"


@contextlib.contextmanager
def edit_during_first_create(edit: Callable[[], None]) -> Iterator[None]:
    """Run `edit` once, right after GitHub created the first item's issue."""
    real = github_api.GitHubClient.apply_create_issue
    done: list[bool] = []

    def create(self: github_api.GitHubClient, payload: dict[str, Any]) -> dict[str, Any]:
        issue = real(self, payload)
        if "checklist-sync:item" in payload["body"] and not done:
            done.append(True)
            edit()
        return issue

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(github_api.GitHubClient, "apply_create_issue", create)
        yield


def test_plan_edited_while_generate_runs(fake_github: FakeGitHub) -> None:
    plan = Path("plan.md")
    plan.write_text(PLAN)

    def edit() -> None:
        text = plan.read_text()
        text = text.replace("# Plan\n", "# Plan\n\nA paragraph added meanwhile.\n")
        plan.write_text(text.replace("- [ ] c\n", "- [ ] c\n- [ ] d, added meanwhile\n"))

    with edit_during_first_create(edit):
        result = generate(fake_github, plan)
    assert result.exit_code == 0, result.output
    assert "A paragraph added meanwhile.\n" in plan.read_text()
    assert set(linked(plan)) == {"a", "b", "c"}
    result = generate(fake_github, plan)  # the item added meanwhile
    assert result.exit_code == 0, result.output
    assert set(linked(plan)) == {"a", "b", "c", "d, added meanwhile"}
    numbers = list(linked(plan).values())
    assert len(set(numbers)) == 4 and len(fake_github.issues(REPO)) == 5  # and the master
    master_body = fake_github.issue(REPO, bound_master(plan))["body"]
    assert "A paragraph added meanwhile." in master_body


@pytest.mark.parametrize(
    "damage, message",
    [
        (
            lambda plan: plan.write_bytes(b"# Plan\n\n- [ ] caf\xe9\n"),
            "plan.md is not UTF-8 (byte 17): re-save it as UTF-8",
        ),
        (lambda plan: plan.unlink(), "plan plan.md not found: check the path"),
        (
            lambda plan: (plan.unlink(), plan.mkdir()),
            "plan.md is a directory: pass the plan's Markdown file",
        ),
    ],
    ids=["not-utf8", "deleted", "directory"],
)
def test_plan_damaged_while_generate_runs(
    fake_github: FakeGitHub, damage: Callable[[Path], object], message: str
) -> None:
    """The run stops with one clear line, leaves the damaged file as it is, and a rerun on the
    restored plan adopts the issue already made: nothing lost, nothing twice."""
    plan = Path("plan.md")
    plan.write_text(PLAN)
    state: dict[str, bytes] = {}

    def edit() -> None:
        state["before"] = plan.read_bytes()
        damage(plan)
        state["damaged"] = plan.read_bytes() if plan.is_file() else b""

    with edit_during_first_create(edit):
        result = generate(fake_github, plan)
    assert result.exit_code == 2, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert errors == [f"error: {message}"]
    if plan.is_file():
        assert plan.read_bytes() == state["damaged"]
    if plan.is_dir():
        plan.rmdir()
    plan.write_bytes(state["before"])
    result = generate(fake_github, plan)
    assert result.exit_code == 0, result.output
    assert "(by marker)" in result.stderr
    assert set(linked(plan)) == {"a", "b", "c"}
    assert len(fake_github.issues(REPO)) == 4  # the master and one issue per item


def test_symlinked_plan(fake_github: FakeGitHub) -> None:
    Path("docs").mkdir()
    target = Path("docs/real-plan.md")
    target.write_text(PLAN)
    plan = Path("plan.md")
    plan.symlink_to(target)
    result = generate(fake_github, plan)
    assert result.exit_code == 0, result.output
    assert plan.is_symlink() and plan.resolve() == target.resolve()
    assert set(linked(target)) == {"a", "b", "c"}
    fake_github.close_issue(REPO, linked(target)["a"])
    result = sync(fake_github, plan)
    assert result.exit_code == 0, result.output
    assert plan.is_symlink() and "- [x] a" in target.read_text()
    assert sorted(p.name for p in Path("docs").iterdir()) == ["real-plan.md"]


def _make_loop() -> Path:
    Path("loop.md").symlink_to("loop.md")
    return Path("loop.md")


def _make_dangling() -> Path:
    Path("gone.md").symlink_to("nowhere.md")
    return Path("gone.md")


def _make_directory() -> Path:
    Path("plans").mkdir()
    return Path("plans")


def _make_link_to_directory() -> Path:
    Path("d").mkdir()
    Path("d.md").symlink_to("d")
    return Path("d.md")


def _write(name: str, data: bytes) -> Path:
    Path(name).write_bytes(data)
    return Path(name)


BAD_PLANS: list[tuple[str, Callable[[], Path], str]] = [
    ("directory", _make_directory, "plans is a directory: pass the plan's Markdown file"),
    (
        "symlink-to-directory",
        _make_link_to_directory,
        "d.md is a directory: pass the plan's Markdown file",
    ),
    ("dangling-symlink", _make_dangling, "plan gone.md not found: check the path"),
    ("symlink-loop", _make_loop, "cannot read loop.md: Too many levels of symbolic links"),
    (
        "latin-1",
        lambda: _write("latin.md", b"- [ ] caf\xe9\n"),
        "latin.md is not UTF-8 (byte 9): re-save it as UTF-8",
    ),
    (
        "utf-16",
        lambda: _write("wide.md", "- [ ] a\n".encode("utf-16")),
        "wide.md is not UTF-8 (byte 0): re-save it as UTF-8",
    ),
]


@pytest.mark.parametrize("command", [generate, sync], ids=["generate", "sync"])
@pytest.mark.parametrize(
    "make, message", [(m, msg) for _, m, msg in BAD_PLANS], ids=[i for i, _, _ in BAD_PLANS]
)
def test_unreadable_plans(
    fake_github: FakeGitHub, command: Callable[..., Result], make: Callable[[], Path], message: str
) -> None:
    path = make()
    before = path.read_bytes() if path.is_file() else None
    result = command(fake_github, path)
    assert result.exit_code == 2
    assert result.stderr == f"error: {message}\n"
    assert fake_github.requests == []
    assert (path.read_bytes() if path.is_file() else None) == before


@pytest.mark.parametrize("text", ["", "\ufeff", "\n\n\r\n", "# Only a heading\n"])
def test_empty_plan(fake_github: FakeGitHub, text: str) -> None:
    plan = Path("plan.md")
    plan.write_bytes(text.encode())
    result = generate(fake_github, plan)
    assert result.exit_code == 0, result.output
    assert (
        "plan.md has no checklist items (lines like `- [ ] text`): nothing to create, and no "
        "master issue\n"
    ) in result.stderr
    result = sync(fake_github, plan)
    assert result.exit_code == 0, result.output
    assert "no master issue is bound to plan.md: syncing the file only" in result.stderr
    assert writes(fake_github) == [] and fake_github.issues(REPO) == []
    assert plan.read_bytes() == text.encode()
