"""Table-driven tests of checklist_parser: items, links, annotations, edits and the binding.

The block-structure cases were checked against cmark-gfm (GitHub's renderer); the link and
annotation cases follow the contract in SPEC.md ("Item ↔ issue mapping").
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import checklist_parser as cp
from checklist_parser import Edit, IssueRef

URL = "https://github.com/o/r/issues/12"
PR_URL = "https://github.com/o/r/pull/45"
REF = IssueRef(12)
PR = IssueRef(45)


def item(
    line_no: int,
    checked: bool,
    text: str,
    *,
    issue: IssueRef | None = None,
    pr: IssueRef | None = None,
    note: str | None = None,
    tail: str = "",
    section: tuple[str, ...] = (),
    depth: int = 0,
    parent: int | None = None,
) -> tuple[object, ...]:
    return (line_no, checked, text, issue, pr, note, tail, section, depth, parent)


def summary(text: str) -> list[tuple[object, ...]]:
    return [
        (i.line_no, i.checked, i.text, i.issue, i.pr, i.note, i.tail, i.section, i.depth, i.parent)
        for i in cp.parse_checklist(text)
    ]


# ---------------------------------------------------------------------------
# Block structure: which lines are task items, their nesting and their section

BLOCK_CASES = [
    # list markers and boxes
    pytest.param("- [ ] a", [item(1, False, "a")], id="dash"),
    pytest.param("* [ ] a", [item(1, False, "a")], id="star"),
    pytest.param("+ [x] a", [item(1, True, "a")], id="plus-checked"),
    pytest.param("1. [X] a", [item(1, True, "a")], id="ordered-dot-capital-x"),
    pytest.param("1) [ ] a", [item(1, False, "a")], id="ordered-paren"),
    pytest.param(
        "10. [x] a\n11. [ ] b", [item(1, True, "a"), item(2, False, "b")], id="ordered-10"
    ),
    pytest.param("1234567890. [ ] a", [], id="ordered-too-long"),
    pytest.param("- [ ]\ta", [item(1, False, "a")], id="tab-after-box"),
    pytest.param("-\t[ ] a", [item(1, False, "a")], id="tab-after-marker"),
    pytest.param("-    [ ] a", [item(1, False, "a")], id="four-spaces-after-marker"),
    pytest.param("-     [ ] a", [], id="five-spaces-after-marker-is-code"),
    pytest.param("- [ ] ", [item(1, False, "")], id="empty-task"),
    pytest.param("- [ ]", [], id="box-at-end-of-line"),
    pytest.param("- [ ]a", [], id="no-space-after-box"),
    pytest.param("-[ ] a", [], id="no-space-after-marker"),
    pytest.param("- [  ] a\n- [-] b\n- [] c", [], id="not-a-box"),
    pytest.param("- plain\n- [ ] [ ] a", [item(2, False, "[ ] a")], id="second-box-is-text"),
    pytest.param("- - [ ] a", [item(1, False, "a")], id="marker-behind-marker"),
    pytest.param("para\n2. [ ] a", [], id="ordered-not-1-cannot-interrupt"),
    pytest.param("para\n1. [ ] a", [item(2, False, "a")], id="ordered-1-interrupts"),
    pytest.param("Intro\n- [ ] a\n- [x] b", [item(2, False, "a"), item(3, True, "b")], id="intro"),
    pytest.param(
        "Intro:\n1. [ ] a\n2. [ ] b",
        [item(2, False, "a"), item(3, False, "b")],
        id="ordered-list-after-paragraph",
    ),
    pytest.param("a\n> b\n2. [ ] c", [item(3, False, "c")], id="quote-closes-paragraph"),
    # nesting
    pytest.param(
        "- [ ] a\n  - [ ] b\n    - [x] c\n  - [ ] d\n- [ ] e",
        [
            item(1, False, "a"),
            item(2, False, "b", depth=1, parent=0),
            item(3, True, "c", depth=2, parent=1),
            item(4, False, "d", depth=1, parent=0),
            item(5, False, "e"),
        ],
        id="nested",
    ),
    pytest.param(
        "- [ ] a\n\t- [ ] b\n\t\t- [ ] c",
        [
            item(1, False, "a"),
            item(2, False, "b", depth=1, parent=0),
            item(3, False, "c", depth=2, parent=1),
        ],
        id="nested-tabs",
    ),
    # the second line is no item: it continues the paragraph (which indented code cannot break)
    pytest.param("- [ ] a\n\t\t- [ ] b", [item(1, False, "a - [ ] b")], id="tabs-too-deep"),
    pytest.param(
        "1. [ ] a\n\t- [ ] b",
        [item(1, False, "a"), item(2, False, "b", depth=1, parent=0)],
        id="ordered-then-tab",
    ),
    pytest.param(
        "- [ ] a\n  - plain\n    - [ ] c",
        [item(1, False, "a"), item(3, False, "c", depth=1, parent=0)],
        id="task-under-plain-item",
    ),
    pytest.param("- plain\n  - [ ] b", [item(2, False, "b")], id="no-task-parent"),
    pytest.param(
        "- [ ] a\n - [ ] b", [item(1, False, "a"), item(2, False, "b")], id="one-space-is-sibling"
    ),
    pytest.param(
        "- [ ] a\n\n\n  - [ ] b",
        [item(1, False, "a"), item(4, False, "b", depth=1, parent=0)],
        id="blank-lines-inside-item",
    ),
    pytest.param(
        "- [ ] a\n\n    - [ ] b",
        [item(1, False, "a"), item(3, False, "b", depth=1, parent=0)],
        id="four-spaces-inside-item",
    ),
    pytest.param(
        "- [ ] a\nlazy\n  - [ ] b",
        [item(1, False, "a lazy"), item(3, False, "b", depth=1, parent=0)],
        id="lazy-continuation",
    ),
    pytest.param("\t- [ ] a\n    - [ ] b", [], id="indented-code"),
    pytest.param("para\n\n    - [ ] a", [], id="indented-code-after-paragraph"),
    pytest.param("para\n    - [ ] a", [], id="paragraph-continuation"),
    # block quotes
    pytest.param(
        "> - [ ] a\n> - [x] b\n> > - [ ] c",
        [item(1, False, "a"), item(2, True, "b"), item(3, False, "c")],
        id="block-quotes",
    ),
    pytest.param(
        "> - [ ] a\n>   - [ ] b",
        [item(1, False, "a"), item(2, False, "b", depth=1, parent=0)],
        id="nested-in-quote",
    ),
    pytest.param(
        "- [ ] a\n  > - [ ] b",
        [item(1, False, "a"), item(2, False, "b", depth=1, parent=0)],
        id="quote-in-item",
    ),
    pytest.param(">\t- [ ] a", [item(1, False, "a")], id="quote-tab"),
    # fenced code
    pytest.param("```\n- [ ] a\n```\n- [ ] b", [item(4, False, "b")], id="backtick-fence"),
    pytest.param("~~~\n- [ ] a\n~~~\n- [ ] b", [item(4, False, "b")], id="tilde-fence"),
    pytest.param(
        "````\n- [ ] a\n```\n- [ ] b\n````\n- [ ] c", [item(6, False, "c")], id="longer-fence"
    ),
    pytest.param("~~~~\n~~~\n- [ ] a\n~~~~\n- [ ] b", [item(5, False, "b")], id="tilde-longer"),
    pytest.param("```\n- [ ] a\n~~~\n- [ ] b", [], id="other-char-does-not-close"),
    pytest.param("   ```\n- [ ] a\n   ```\n- [ ] b", [item(4, False, "b")], id="indented-fence"),
    pytest.param("```\n- [ ] a\n```   \n- [ ] b", [item(4, False, "b")], id="close-trailing-space"),
    pytest.param("```\n- [ ] a\n- [ ] b", [], id="unclosed-fence"),
    pytest.param("``` a`b\n- [ ] x", [item(2, False, "x")], id="backtick-in-info-not-fence"),
    pytest.param("```python\n- [ ] a\n```\n- [ ] b", [item(4, False, "b")], id="info-string"),
    pytest.param(
        "- [ ] a\n  ```\n  - [ ] b\n  ```\n- [ ] c",
        [item(1, False, "a"), item(5, False, "c")],
        id="fence-in-item",
    ),
    # HTML
    pytest.param("<!--\n- [ ] a\n-->\n- [ ] b", [item(4, False, "b")], id="html-comment"),
    pytest.param("<!-- x -->\n- [ ] a", [item(2, False, "a")], id="one-line-comment"),
    pytest.param("<div>\n- [ ] a\n</div>\n\n- [ ] b", [item(5, False, "b")], id="html-block"),
    pytest.param("<details>\n\n- [ ] a\n\n</details>", [item(3, False, "a")], id="details"),
    pytest.param("<pre>\n- [ ] a\n</pre>\n- [ ] b", [item(4, False, "b")], id="pre"),
    pytest.param("text <!--\n- [ ] a\n-->", [item(2, False, "a -->")], id="inline-comment-start"),
    # headings: the section path
    pytest.param(
        "# A\n## B\n- [ ] x\n# C\n- [ ] y",
        [item(3, False, "x", section=("A", "B")), item(5, False, "y", section=("C",))],
        id="atx",
    ),
    pytest.param(
        "# A\n### C\n- [ ] x\n## B\n- [ ] y",
        [item(3, False, "x", section=("A", "C")), item(5, False, "y", section=("A", "B"))],
        id="atx-skipped-level",
    ),
    pytest.param(
        "## T ##\n- [ ] x\n# A #b\n- [ ] y",
        [item(2, False, "x", section=("T",)), item(4, False, "y", section=("A #b",))],
        id="atx-closing-sequence",
    ),
    pytest.param("#5 bolt\n- [ ] x", [item(2, False, "x")], id="hash-without-space"),
    pytest.param("    # code\n- [ ] x", [item(2, False, "x")], id="indented-hash-is-code"),
    pytest.param("```\n# not\n```\n- [ ] x", [item(4, False, "x")], id="hash-in-fence"),
    pytest.param("<!--\n# not\n-->\n- [ ] x", [item(4, False, "x")], id="hash-in-comment"),
    pytest.param(
        "A\n===\n- [ ] x\n\nB\nb\n---\n- [ ] y",
        [item(3, False, "x", section=("A",)), item(8, False, "y", section=("A", "B b"))],
        id="setext",
    ),
    pytest.param(
        "# S\n- [ ] a\nB\n---\n- [ ] b",
        [item(2, False, "a B", section=("S",)), item(5, False, "b", section=("S",))],
        id="lazy-line-then-thematic-break-is-no-heading",
    ),
    pytest.param(
        "# Plan\nA\n---\n- [ ] x",
        [item(4, False, "x", section=("Plan", "A"))],
        id="setext-under-atx",
    ),
    # line endings and BOM
    pytest.param("- [ ] a\r\n- [x] b\r\n", [item(1, False, "a"), item(2, True, "b")], id="crlf"),
    pytest.param("- [ ] a\r- [ ] b\r", [item(1, False, "a"), item(2, False, "b")], id="cr"),
    pytest.param(
        "a\n- [ ] b\r\n\r- [ ] c\r", [item(2, False, "b"), item(4, False, "c")], id="mixed"
    ),
    pytest.param(
        "# H\r\n\r\n- [ ] a (#12)\r\n",
        [item(3, False, "a", issue=REF, section=("H",))],
        id="crlf-link",
    ),
    pytest.param("\ufeff- [ ] a", [item(1, False, "a")], id="bom"),
    pytest.param("\ufeff# H\n- [ ] a", [item(2, False, "a", section=("H",))], id="bom-heading"),
    pytest.param(
        "- [ ] a\v(#12)\n- [ ] b\fc",
        [item(1, False, "a", issue=REF), item(2, False, "b\fc")],
        id="vertical-tab-is-no-line-break",
    ),
    pytest.param("- [ ] a\u2028b\x85c", [item(1, False, "a\u2028b\x85c")], id="unicode-separators"),
]


@pytest.mark.parametrize(("text", "expected"), BLOCK_CASES)
def test_block_structure(text: str, expected: list[tuple[object, ...]]) -> None:
    assert summary(text) == expected


# Lines that the block-structure part once parsed in quadratic time (at 100,000 characters
# each took ~50 s); a linear parser takes milliseconds.
SLOW_BLOCK_LINES = [
    pytest.param("- " * 2_500 + "x", id="nested-list-markers"),
    pytest.param("# a" + " " * 5_000 + "b", id="heading-with-inner-spaces"),
]


@pytest.mark.parametrize("text", SLOW_BLOCK_LINES)
def test_block_lines_parse_fast(text: str) -> None:
    start = time.process_time()
    cp.parse_checklist(text)
    assert time.process_time() - start < 0.05


# ---------------------------------------------------------------------------
# Links and annotations

FILE_REF = IssueRef(12, "o/r", URL)
FILE_PR = IssueRef(45, None, PR_URL)

LINK_CASES = [
    # the tool's own forms
    pytest.param("- [ ] a (#12)", [item(1, False, "a", issue=REF)], id="issue-style"),
    pytest.param(f"- [ ] a ([#12]({URL}))", [item(1, False, "a", issue=FILE_REF)], id="file-style"),
    pytest.param("- [ ] (#12)", [item(1, False, "", issue=REF)], id="only-tool-link"),
    pytest.param("- [ ] a\t(#12)  ", [item(1, False, "a", issue=REF)], id="tab-and-trailing"),
    pytest.param(
        "- [ ] a (o/r#12)", [item(1, False, "a", issue=IssueRef(12, "o/r"))], id="cross-repo"
    ),
    pytest.param(
        f"- [ ] a ([o/r#12]({URL}))", [item(1, False, "a", issue=FILE_REF)], id="cross-repo-file"
    ),
    pytest.param(
        "- [ ] a ([#12](https://ghe.corp/o/r/issues/12))",
        [item(1, False, "a", issue=IssueRef(12, "o/r", "https://ghe.corp/o/r/issues/12"))],
        id="enterprise-host",
    ),
    # the link is the last thing on the line, before the annotations: earlier is prose
    pytest.param(
        "- [ ] Handle the (#1) edge case on empty input",
        [item(1, False, "Handle the (#1) edge case on empty input")],
        id="tool-form-mid-sentence",
    ),
    pytest.param(
        "- [ ] a (#12) see (#13)",
        [item(1, False, "a (#12) see", issue=IssueRef(13))],
        id="last-tool-link-wins",
    ),
    pytest.param(
        "- [ ] a (#12) (duplicate) see (#13)",
        [item(1, False, "a", issue=REF, note="duplicate", tail="see (#13)")],
        id="annotated-link-wins",
    ),
    pytest.param(
        "- [ ] a (#12) (PR #45) see also (#13)",
        [item(1, False, "a", issue=REF, pr=PR, tail="see also (#13)")],
        id="tool-link-in-tail-is-text",
    ),
    pytest.param("- [ ] a(#12)", [item(1, False, "a(#12)")], id="glued-paren-is-text"),
    pytest.param("- [ ] a `(#12)`", [item(1, False, "a `(#12)`")], id="in-code-span"),
    # annotations
    pytest.param(
        "- [x] a (#12) (PR #45)", [item(1, True, "a", issue=REF, pr=PR)], id="pr-issue-style"
    ),
    pytest.param(
        f"- [x] a ([#12]({URL})) ([PR #45]({PR_URL}))",
        [item(1, True, "a", issue=FILE_REF, pr=FILE_PR)],
        id="pr-file-style",
    ),
    pytest.param(
        "- [x] a (#12) (PR x/y#45)",
        [item(1, True, "a", issue=REF, pr=IssueRef(45, "x/y"))],
        id="pr-cross-repo",
    ),
    pytest.param(
        "- [ ] a (#12) (not planned)",
        [item(1, False, "a", issue=REF, note="not planned")],
        id="not-planned",
    ),
    pytest.param(
        f"- [ ] a ([#12]({URL})) (duplicate)",
        [item(1, False, "a", issue=FILE_REF, note="duplicate")],
        id="duplicate-file-style",
    ),
    pytest.param(
        "- [ ] a (#12) (PR #45) (not planned) tail  ",
        [item(1, False, "a", issue=REF, pr=PR, note="not planned", tail="tail")],
        id="both-annotations-and-tail",
    ),
    pytest.param(
        "- [ ] a (#12)\t(PR #45)  (duplicate)",
        [item(1, False, "a", issue=REF, pr=PR, note="duplicate")],
        id="annotation-whitespace",
    ),
    pytest.param(
        "- [ ] a (#12) tail (PR #45)",
        [item(1, False, "a (#12) tail (PR #45)")],
        id="annotation-after-user-text-is-text",
    ),
    pytest.param("- [ ] a (PR #45)", [item(1, False, "a (PR #45)")], id="annotation-no-link"),
    pytest.param("- [ ] (not planned)", [item(1, False, "(not planned)")], id="note-no-link"),
    pytest.param(
        "- [ ] a (#12) (pr #45) (Duplicate)",
        [item(1, False, "a (#12) (pr #45) (Duplicate)")],
        id="annotations-are-case-sensitive",
    ),
    # forms a user may write
    pytest.param("- [ ] a closes #12", [item(1, False, "a", issue=REF)], id="closes"),
    pytest.param("- [ ] a Fixes: #12", [item(1, False, "a", issue=REF)], id="fixes-colon"),
    pytest.param("- [ ] a RESOLVED #12", [item(1, False, "a", issue=REF)], id="resolved-caps"),
    *[
        pytest.param(f"- [ ] a {word} #12", [item(1, False, "a", issue=REF)], id=f"kw-{word}")
        for word in ("close", "closed", "fix", "fixed", "resolve", "resolves")
    ],
    pytest.param(
        "- [ ] a fixes o/r#12", [item(1, False, "a", issue=IssueRef(12, "o/r"))], id="fixes-repo"
    ),
    pytest.param(f"- [ ] a closes {URL}", [item(1, False, "a", issue=FILE_REF)], id="closes-url"),
    pytest.param("- [ ] a (closes #12)", [item(1, False, "a", issue=REF)], id="closes-in-parens"),
    pytest.param(
        "- [ ] a o/r#12", [item(1, False, "a", issue=IssueRef(12, "o/r"))], id="owner-repo"
    ),
    pytest.param(
        "- [ ] a my-org/my.repo_2#12",
        [item(1, False, "a", issue=IssueRef(12, "my-org/my.repo_2"))],
        id="owner-repo-punctuation",
    ),
    pytest.param(f"- [ ] a {URL}", [item(1, False, "a", issue=FILE_REF)], id="bare-url"),
    pytest.param(f"- [ ] a <{URL}>", [item(1, False, "a", issue=FILE_REF)], id="autolink"),
    pytest.param(f"- [ ] a ({URL})", [item(1, False, "a", issue=FILE_REF)], id="url-in-parens"),
    # a pull request is never the link: its state says nothing about the test
    pytest.param(
        "- [ ] a http://github.com/o/r/pull/12",
        [item(1, False, "a http://github.com/o/r/pull/12")],
        id="pull-url",
    ),
    pytest.param(
        f"- [ ] a [#12]({URL})", [item(1, False, "a", issue=FILE_REF)], id="markdown-link-no-paren"
    ),
    pytest.param(
        f"- [ ] a [https://github.com/x/y/issues/1]({URL})",
        [item(1, False, "a", issue=FILE_REF)],
        id="markdown-link-target-wins-over-label",
    ),
    pytest.param("- [ ] #12", [item(1, False, "", issue=REF)], id="only-reference"),
    pytest.param("  - [ ]   #12  ", [item(1, False, "", issue=REF)], id="only-reference-spaced"),
    pytest.param(
        "- [ ] o/r#12", [item(1, False, "", issue=IssueRef(12, "o/r"))], id="only-repo-reference"
    ),
    pytest.param(
        "- [x] a closes #12 (PR #45) thanks",
        [item(1, True, "a", issue=REF, pr=PR, tail="thanks")],
        id="user-link-annotation-tail",
    ),
    pytest.param(
        "- [ ] #12 (not planned) tail",
        [item(1, False, "", issue=REF, note="not planned", tail="tail")],
        id="only-reference-annotated",
    ),
    pytest.param(
        f"- [x] a {URL} ([PR #45]({PR_URL}))",
        [item(1, True, "a", issue=FILE_REF, pr=FILE_PR)],
        id="bare-url-annotated",
    ),
    # references that are content, not the link
    pytest.param(
        "- [ ] regression for bug #45",
        [item(1, False, "regression for bug #45")],
        id="mid-text-ref-at-end",
    ),
    pytest.param(
        "- [ ] fix #45 in parser", [item(1, False, "fix #45 in parser")], id="closing-ref-mid-text"
    ),
    pytest.param("- [ ] see o/r#45 first", [item(1, False, "see o/r#45 first")], id="repo-mid"),
    pytest.param(f"- [ ] see {URL} first", [item(1, False, f"see {URL} first")], id="url-mid"),
    pytest.param("- [ ] #12 tail", [item(1, False, "#12 tail")], id="ref-then-text"),
    pytest.param("- [ ] a (see o/r#12)", [item(1, False, "a (see o/r#12)")], id="ref-in-prose"),
    pytest.param("- [ ] a (#12", [item(1, False, "a (#12")], id="unbalanced-paren"),
    pytest.param("- [ ] a closes #12.", [item(1, False, "a closes #12.")], id="sentence-stop"),
    pytest.param(f"- [ ] a {URL}/", [item(1, False, f"a {URL}/")], id="url-trailing-slash"),
    pytest.param(
        f"- [ ] a {URL}#issuecomment-1",
        [item(1, False, f"a {URL}#issuecomment-1")],
        id="comment-url",
    ),
    pytest.param("- [ ] enclosed #12", [item(1, False, "enclosed #12")], id="keyword-in-word"),
    pytest.param(
        "- [ ] a closes #12, closes #13",
        [item(1, False, "a closes #12,", issue=IssueRef(13))],
        id="last-closing-ref",
    ),
    # word boundaries: #12 is never read out of #123 or #12a
    pytest.param("- [ ] a (#123)", [item(1, False, "a", issue=IssueRef(123))], id="num-123"),
    pytest.param("- [ ] a closes #12a", [item(1, False, "a closes #12a")], id="num-letter"),
    pytest.param("- [ ] a (#12a)", [item(1, False, "a (#12a)")], id="num-letter-paren"),
    pytest.param("- [ ] a #12#13", [item(1, False, "a #12#13")], id="num-hash"),
    pytest.param("- [ ] a x/o/r#12", [item(1, False, "a x/o/r#12")], id="repo-path"),
    pytest.param(
        "- [ ] a (#1234567890)", [item(1, False, "a", issue=IssueRef(1234567890))], id="ten-digits"
    ),
    pytest.param("- [ ] a (#12345678901)", [item(1, False, "a (#12345678901)")], id="11-digits"),
    pytest.param(
        "- [ ] (#" + "9" * 5000 + ")", [item(1, False, "(#" + "9" * 5000 + ")")], id="huge-number"
    ),
]


@pytest.mark.parametrize(("text", "expected"), LINK_CASES)
def test_links_and_annotations(text: str, expected: list[tuple[object, ...]]) -> None:
    assert summary(text) == expected


def test_link_style() -> None:
    items = cp.parse_checklist(
        f"- [ ] a (#12)\n- [ ] b ([#12]({URL}))\n- [ ] c closes #12\n- [ ] d"
    )
    assert [i.link_style for i in items] == ["issue", "file", "user", None]


# ---------------------------------------------------------------------------
# Edits

LINK_12 = IssueRef(12, None, URL)
PR_45 = IssueRef(45, None, PR_URL)
PR_XY = IssueRef(46, "x/y", "https://github.com/x/y/pull/46")

EDIT_CASES = [
    # the box
    pytest.param("- [ ] a", Edit(1, checked=True), "issue", "- [x] a", id="check"),
    pytest.param("- [X] a", Edit(1, checked=True), "issue", "- [X] a", id="keep-capital-x"),
    pytest.param("- [X] a", Edit(1, checked=False), "file", "- [ ] a", id="uncheck"),
    pytest.param("- [x] a", Edit(1), "file", "- [x] a", id="no-change"),
    pytest.param(" 3)\t[ ]\ta  ", Edit(1, checked=True), "issue", " 3)\t[x]\ta  ", id="marker"),
    pytest.param("> * [ ] a", Edit(1, checked=True), "issue", "> * [x] a", id="in-quote"),
    pytest.param("\ufeff- [ ] a", Edit(1, checked=True), "issue", "\ufeff- [x] a", id="bom"),
    # adding a link
    pytest.param("- [ ] a", Edit(1, issue=LINK_12), "issue", "- [ ] a (#12)", id="link-issue"),
    pytest.param(
        "- [ ] a", Edit(1, issue=LINK_12), "file", f"- [ ] a ([#12]({URL}))", id="link-file"
    ),
    pytest.param(
        "- [ ] a  \t",
        Edit(1, issue=LINK_12),
        "issue",
        "- [ ] a (#12)  \t",
        id="link-keeps-trailing-whitespace",
    ),
    pytest.param("- [ ] ", Edit(1, issue=LINK_12), "issue", "- [ ] (#12)", id="link-empty"),
    pytest.param(
        "- [ ] a", Edit(1, issue=IssueRef(12)), "file", "- [ ] a (#12)", id="link-file-no-url"
    ),
    pytest.param(
        "- [ ] a (#7)", Edit(1, issue=LINK_12), "issue", "- [ ] a (#7)", id="link-never-replaced"
    ),
    pytest.param(
        "- [ ] a closes #7",
        Edit(1, issue=LINK_12),
        "issue",
        "- [ ] a closes #7",
        id="user-link-never-replaced",
    ),
    pytest.param(
        "- [ ] fix #7 soon",
        Edit(1, issue=LINK_12),
        "issue",
        "- [ ] fix #7 soon (#12)",
        id="link-after-mid-text-ref",
    ),
    pytest.param(
        "- [ ] a",
        Edit(1, checked=True, issue=LINK_12, pr=PR_45, note="duplicate"),
        "file",
        f"- [x] a ([#12]({URL})) ([PR #45]({PR_URL})) (duplicate)",
        id="link-with-annotations",
    ),
    pytest.param("- [ ] a", Edit(1, pr=PR_45), "issue", "- [ ] a", id="pr-without-link-ignored"),
    # annotations
    pytest.param(
        "- [ ] a (#12)",
        Edit(1, checked=True, pr=PR_45),
        "issue",
        "- [x] a (#12) (PR #45)",
        id="pr-issue",
    ),
    pytest.param(
        "- [ ] a (#12)",
        Edit(1, checked=True, pr=PR_45),
        "file",
        f"- [x] a (#12) ([PR #45]({PR_URL}))",
        id="pr-file",
    ),
    pytest.param(
        "- [ ] a (#12)", Edit(1, pr=PR_XY), "issue", "- [ ] a (#12) (PR x/y#46)", id="pr-xrepo"
    ),
    pytest.param(
        "- [ ] a (#12)",
        Edit(1, pr=PR_XY),
        "file",
        "- [ ] a (#12) ([PR x/y#46](https://github.com/x/y/pull/46))",
        id="pr-xrepo-file",
    ),
    pytest.param(
        "- [ ] a (#12) (PR #44)",
        Edit(1, pr=PR_45),
        "issue",
        "- [ ] a (#12) (PR #45)",
        id="pr-replaced",
    ),
    # without annotations the user's text after them would make the link prose: it moves
    pytest.param(
        "- [x] a (#12) (PR #45) tail",
        Edit(1, checked=False, pr=None),
        "issue",
        "- [ ] a tail (#12)",
        id="pr-removed-tail-kept",
    ),
    pytest.param(
        f"- [x] a ([#12]({URL})) ([PR #45]({PR_URL}))\ttail  ",
        Edit(1, checked=False, pr=None),
        "file",
        f"- [ ] a tail ([#12]({URL}))  ",
        id="pr-removed-file",
    ),
    pytest.param(
        "- [ ] a (#12) (duplicate) tail",
        Edit(1, note="not planned"),
        "issue",
        "- [ ] a (#12) (not planned) tail",
        id="note-replaced-before-tail",
    ),
    pytest.param(
        "- [ ] a (#12) (not planned)",
        Edit(1, note="duplicate"),
        "file",
        "- [ ] a (#12) (duplicate)",
        id="note-replaced",
    ),
    pytest.param(
        "- [ ] a (#12) (PR #45) (duplicate)",
        Edit(1, note=None),
        "issue",
        "- [ ] a (#12) (PR #45)",
        id="note-removed-pr-kept",
    ),
    pytest.param(
        "- [ ] a (#12)  (PR #45)",
        Edit(1, checked=True),
        "issue",
        "- [x] a (#12)  (PR #45)",
        id="unchanged-annotations-keep-spacing",
    ),
    pytest.param(
        "- [x] a (#12) (PR #45)",
        Edit(1, checked=True, pr=PR_45),
        "file",
        f"- [x] a (#12) ([PR #45]({PR_URL}))",
        id="pr-restyled",
    ),
    pytest.param(
        "- [x] a (#12) (PR #45)",
        Edit(1, checked=True, pr=PR),
        "file",
        "- [x] a (#12) (PR #45)",
        id="same-pr-untouched",
    ),
    pytest.param(
        "- [ ] a closes #12",
        Edit(1, checked=True, pr=PR_45),
        "issue",
        "- [x] a closes #12 (PR #45)",
        id="user-link-kept-as-written",
    ),
    pytest.param(
        f"- [ ] a [#12]({URL}) (not planned) more",
        Edit(1, note=None),
        "file",
        f"- [ ] a [#12]({URL}) more",
        id="user-md-link",
    ),
    pytest.param(
        "- [ ] #12",
        Edit(1, checked=True, pr=PR_45),
        "file",
        f"- [x] #12 ([PR #45]({PR_URL}))",
        id="only-reference-kept",
    ),
    pytest.param(
        "- [ ] a (#12) (PR #45) see (#13)",
        Edit(1, pr=None),
        "issue",
        "- [ ] a see (#13) (#12)",
        id="tail-with-ref-moves-before-the-link",
    ),
]


@pytest.mark.parametrize(("text", "edit", "style", "expected"), EDIT_CASES)
def test_apply_edits(text: str, edit: Edit, style: str, expected: str) -> None:
    assert cp.apply_edits(text, [edit], style=style) == expected


def test_link_in_empty_item_changes_structure() -> None:
    # cmark-gfm agrees: an empty task item has no paragraph for "2) [ ] b" to continue, so it
    # is a nested item; once the item has text, that line continues the text. Callers should
    # not link empty items.
    text = "- [ ] \n  2) [ ] b"
    assert [i.line_no for i in cp.parse_checklist(text)] == [1, 2]
    linked = cp.apply_edits(text, [Edit(1, issue=IssueRef(1))])
    assert linked == "- [ ] (#1)\n  2) [ ] b"
    assert [i.line_no for i in cp.parse_checklist(linked)] == [1]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("- [ ] a\n- [ ] b\n", "- [ ] a\n- [x] b\n", id="lf"),
        pytest.param("- [ ] a\r\n- [ ] b\r\n", "- [ ] a\r\n- [x] b\r\n", id="crlf"),
        pytest.param("- [ ] a\r- [ ] b\r", "- [ ] a\r- [x] b\r", id="cr"),
        pytest.param("- [ ] a\r\n- [ ] b\r- [ ] c\n", "- [ ] a\r\n- [x] b\r- [ ] c\n", id="mixed"),
        pytest.param("- [ ] a\n- [ ] b", "- [ ] a\n- [x] b", id="no-final-newline"),
        pytest.param("- [ ] a\n- [ ] b\v\n", "- [ ] a\n- [x] b\v\n", id="vertical-tab"),
        pytest.param("- [ ] a\u2028\n- [ ] b\n", "- [ ] a\u2028\n- [x] b\n", id="line-separator"),
    ],
)
def test_edits_keep_line_endings(text: str, expected: str) -> None:
    assert cp.apply_edits(text, [Edit(2, checked=True)]) == expected


def test_several_edits_of_one_line_apply_in_order() -> None:
    edits = [
        Edit(1, checked=True),
        Edit(1, issue=LINK_12),
        Edit(1, pr=PR_45),
        Edit(1, issue=IssueRef(99)),  # the line is linked by now: ignored
        Edit(1, note="duplicate"),
        Edit(1, note=None),
    ]
    assert cp.apply_edits("- [ ] a", edits, style="issue") == "- [x] a (#12) (PR #45)"


def test_edit_errors() -> None:
    with pytest.raises(ValueError, match="line 2"):
        cp.apply_edits("- [ ] a\nb", [Edit(2, checked=True)])
    with pytest.raises(ValueError, match="style"):
        cp.apply_edits("- [ ] a", [Edit(1, checked=True)], style="html")
    with pytest.raises(ValueError, match="note"):
        cp.apply_edits("- [ ] a (#1)", [Edit(1, note="wontfix")])
    assert cp.apply_edits("", []) == ""


def test_format_helpers() -> None:
    assert cp.format_link(LINK_12, "issue") == "(#12)"
    assert cp.format_link(LINK_12, "file") == f"([#12]({URL}))"
    assert cp.format_annotations(PR_45, cp.NOTE_NOT_PLANNED, "file") == (
        f" ([PR #45]({PR_URL})) (not planned)"
    )
    assert cp.format_annotations(None, cp.NOTE_DUPLICATE, "issue") == " (duplicate)"
    assert cp.format_annotations(None, None, "issue") == ""


# ---------------------------------------------------------------------------
# The binding comment

BINDING = "https://github.com/o/r/issues/42"
BINDING_LINE = f"<!-- checklist-sync: {BINDING} -->"


@pytest.mark.parametrize(
    ("text", "binding", "line"),
    [
        pytest.param(f"{BINDING_LINE}\n# Plan\n", BINDING, 1, id="first-line"),
        pytest.param(f"# Plan\n\n{BINDING_LINE}\n- [ ] a\n", BINDING, 3, id="later"),
        pytest.param(f"<!--checklist-sync:{BINDING}-->  \n", BINDING, 1, id="tight"),
        pytest.param(f"\ufeff{BINDING_LINE}\r\n", BINDING, 1, id="bom-crlf"),
        pytest.param(f"```\n{BINDING_LINE}\n```\n", None, None, id="in-fence"),
        pytest.param(f"    {BINDING_LINE}\n", None, None, id="indented-code"),
        pytest.param(f"- {BINDING_LINE}\n", None, None, id="in-list-item"),
        pytest.param(f"<!--\n{BINDING_LINE}\n-->\n", None, None, id="in-comment"),
        pytest.param(f"{BINDING_LINE} text\n", None, None, id="text-after"),
        pytest.param(f"text {BINDING_LINE}\n", None, None, id="text-before"),
        # an HTML comment ends a paragraph: a line of text right above does not hide it
        pytest.param(f"Owner: QA team\n{BINDING_LINE}\n- [ ] a\n", BINDING, 2, id="under-text"),
        pytest.param(f"# Plan\nOwner\nteam\n{BINDING_LINE}\n", BINDING, 4, id="under-paragraph"),
        pytest.param(f"a | b\n-|-\n{BINDING_LINE}\n", BINDING, 3, id="under-table"),
        pytest.param(f"- a\n{BINDING_LINE}\n", BINDING, 2, id="after-item-not-indented"),
        pytest.param(f"- a\n  {BINDING_LINE}\n", None, None, id="in-item-under-text"),
        pytest.param(f"> Owner\n> {BINDING_LINE}\n", None, None, id="in-quote-under-text"),
        pytest.param(
            f"{BINDING_LINE}\ntext\n<!-- checklist-sync: {BINDING}0 -->\n",
            BINDING,
            1,
            id="first-wins",
        ),
        pytest.param(
            f"text\n<!-- checklist-sync: {BINDING} --> more\n", None, None, id="trailing-text"
        ),
    ],
)
def test_binding_read(text: str, binding: str | None, line: int | None) -> None:
    doc = cp.parse_document(text)
    assert (doc.binding, doc.binding_line) == (binding, line)


NEW = "https://github.com/o/r/issues/7"


@pytest.mark.parametrize(
    ("text", "written", "stripped"),
    [
        pytest.param(
            "# Plan\n- [ ] a\n",
            f"<!-- checklist-sync: {NEW} -->\n# Plan\n- [ ] a\n",
            "# Plan\n- [ ] a\n",
            id="new",
        ),
        pytest.param(
            "# Plan\r\n- [ ] a",
            f"<!-- checklist-sync: {NEW} -->\r\n# Plan\r\n- [ ] a",
            "# Plan\r\n- [ ] a",
            id="new-crlf-no-final-newline",
        ),
        pytest.param(
            "\ufeff# Plan\n",
            f"\ufeff<!-- checklist-sync: {NEW} -->\n# Plan\n",
            "\ufeff# Plan\n",
            id="new-bom",
        ),
        pytest.param("", f"<!-- checklist-sync: {NEW} -->\n", "", id="empty"),
        pytest.param(
            f"# Plan\r\n{BINDING_LINE}\r\n- [ ] a\r\n",
            f"# Plan\r\n<!-- checklist-sync: {NEW} -->\r\n- [ ] a\r\n",
            "# Plan\r\n- [ ] a\r\n",
            id="replaced",
        ),
        pytest.param(
            f"\ufeff{BINDING_LINE}\n- [ ] a",
            f"\ufeff<!-- checklist-sync: {NEW} -->\n- [ ] a",
            "\ufeff- [ ] a",
            id="replaced-bom",
        ),
        pytest.param(
            f"```\n{BINDING_LINE}\n```\n",
            f"<!-- checklist-sync: {NEW} -->\n```\n{BINDING_LINE}\n```\n",
            f"```\n{BINDING_LINE}\n```\n",
            id="code-block-binding-is-not-one",
        ),
        pytest.param(
            f"Owner: QA team\r\n{BINDING_LINE}\r\n- [ ] a\r\n",
            f"Owner: QA team\r\n<!-- checklist-sync: {NEW} -->\r\n- [ ] a\r\n",
            "Owner: QA team\r\n- [ ] a\r\n",
            id="replaced-under-text",
        ),
    ],
)
def test_binding_write_and_strip(text: str, written: str, stripped: str) -> None:
    assert cp.set_binding(text, NEW) == written
    assert cp.parse_document(written).binding == NEW
    assert cp.strip_binding(written) == stripped
    assert cp.strip_binding(text) == stripped


# What is the link and what is prose (issue 10 #2): examples from real plans
PULL = "https://github.com/o/r/pull/2642"
ISSUE = "https://github.com/o/r/issues/4063"


@pytest.mark.parametrize(
    ("line", "checked", "text", "issue"),
    [
        # a Markdown link whose text is words is content, wherever it points
        (f"- [ ] Update the release page. [Sample PR]({PULL})", False, None, None),
        (f"- [x] 01/11/2021: Proposed idea in a [GitHub issue]({ISSUE})", True, None, None),
        # a pull request in any form other than the tool's `(PR #N)` annotation is content
        (f"- [ ] a {PULL}", False, None, None),
        (f"- [ ] a <{PULL}>", False, None, None),
        (f"- [ ] a closes {PULL}", False, None, None),
        (f"- [ ] a [#2642]({PULL})", False, None, None),
        # ... but the tool's own form is the link, as `(#2642)` is in an issue body
        (f"- [ ] a ([#2642]({PULL}))", False, "a", IssueRef(2642, "o/r", PULL)),
        # the tool's own form in the middle of a sentence is content
        ("- [ ] Handle the (#1) edge case on empty input", False, None, None),
        ("- [ ] Handle the\n  (#1) edge case on empty input", False, None, None),
        # the forms the spec lists, at the end (before the annotations)
        ("- [ ] a (#123)", False, "a", IssueRef(123)),
        (f"- [ ] a ([#4063]({ISSUE}))", False, "a", IssueRef(4063, "o/r", ISSUE)),
        ("- [ ] a closes #123", False, "a", IssueRef(123)),
        (f"- [ ] a {ISSUE}", False, "a", IssueRef(4063, "o/r", ISSUE)),
        ("- [ ] a o/r#123", False, "a", IssueRef(123, "o/r")),
        (f"- [ ] a [#4063]({ISSUE})", False, "a", IssueRef(4063, "o/r", ISSUE)),
        (f"- [ ] a [o/r#4063]({ISSUE})", False, "a", IssueRef(4063, "o/r", ISSUE)),
        (f"- [ ] a [{ISSUE}]({ISSUE})", False, "a", IssueRef(4063, "o/r", ISSUE)),
        ("- [ ] #123", False, "", IssueRef(123)),
        (f"- [x] a {ISSUE} (PR #9) thanks", True, "a", IssueRef(4063, "o/r", ISSUE)),
        # ... and on the last line of a wrapped item
        (
            "- [ ] Handle the (#1)\n  edge case (#2)",
            False,
            "Handle the (#1) edge case",
            IssueRef(2),
        ),
    ],
)
def test_which_reference_is_the_link(
    line: str, checked: bool, text: str | None, issue: IssueRef | None
) -> None:
    (got,) = cp.parse_checklist(line)
    prose = " ".join(part.strip() for part in line[6:].split("\n"))
    assert (got.checked, got.text, got.issue) == (checked, prose if text is None else text, issue)


# Code spans and HTML comments render no link (issue 10 #5)
@pytest.mark.parametrize(
    ("line", "issue"),
    [
        ("- [ ] a `(#1)`", None),
        ("- [ ] a ` (#1) `", None),
        ("- [ ] a <!-- (#1) -->", None),
        ("- [ ] a <!--(#1)-->", None),
        ("- [ ] a `` ` (#1) ``", None),  # a double-backtick span holding a backtick
        ("- [ ] a `x` closes #1 `y`", None),
        (f"- [ ] a <!-- {URL} -->", None),
        (f"- [ ] a `{URL}`", None),
        ("- [ ] a <!-- `x --> (#1)", IssueRef(1)),  # the comment ends before the link
        ("- [ ] a `<!--` (#1)", IssueRef(1)),  # a comment opener in a code span opens none
        ("- [ ] a ` unclosed (#1)", IssueRef(1)),  # a lone backtick is literal
        ("- [ ] a `` x ` (#1)", IssueRef(1)),  # runs of different lengths close nothing
        ("- [ ] a <!-- unclosed (#1)", IssueRef(1)),  # so is an unclosed comment
        ("- [ ] `code` then (#1)", IssueRef(1)),
        ("- [ ] a <!-- note --> (#1) (PR #2)", IssueRef(1)),
    ],
)
def test_code_spans_and_comments_hide_links(line: str, issue: IssueRef | None) -> None:
    (got,) = cp.parse_checklist(line)
    assert got.issue == issue
    if issue is None:
        assert got.text == line[6:]


# ---------------------------------------------------------------------------
# Wrapped items: the first paragraph goes on over several lines

GUIDE = "[contribution guide](https://example.test/guide)"
WRAPPED_TEXT = f"I have read the relevant section in the {GUIDE} on reporting bugs."


@pytest.mark.parametrize(
    ("text", "expected", "last_line"),
    [
        pytest.param(
            f"- [ ] I have read the relevant section in the\n  {GUIDE}\n  on reporting bugs.\n",
            item(1, False, WRAPPED_TEXT),
            3,
            id="three-lines",
        ),
        pytest.param(
            f"- [ ] I have read the relevant section in the\n{GUIDE}\non reporting bugs.\n",
            item(1, False, WRAPPED_TEXT),
            3,
            id="lazy-lines",
        ),
        pytest.param(
            f"> - [ ] I have read the relevant section in the\n>   {GUIDE}\n> on reporting bugs.",
            item(1, False, WRAPPED_TEXT),
            3,
            id="in-a-quote",
        ),
        pytest.param(
            "- [ ] first  \n  second\\\n  third (#12)\n",
            item(1, False, "first second third", issue=REF),
            3,
            id="hard-breaks-are-spaces",
        ),
        pytest.param(
            "- [ ] a\n  b (#12) (PR #45) tail",
            item(1, False, "a b", **{"issue": REF, "pr": IssueRef(45), "tail": "tail"}),
            2,
            id="link-on-last-line",
        ),
        pytest.param(
            "- [ ] a (#12)\n  b", item(1, False, "a", issue=REF, tail="b"), 2, id="old-link"
        ),
        pytest.param("- [ ] a (#12) x\n  b", item(1, False, "a (#12) x b"), 2, id="mid-first-line"),
        pytest.param("- [ ] a\n  #12", item(1, False, "a #12"), 2, id="bare-ref-is-text"),
        pytest.param("- [ ] a\n\n  b (#12)", item(1, False, "a"), 1, id="second-paragraph"),
        pytest.param("- [ ] a\n  - [ ] b", item(1, False, "a"), 1, id="nested-item"),
        pytest.param("- [ ] a\n  ```\n  b", item(1, False, "a"), 1, id="fence-ends-it"),
        pytest.param("- [ ] a\n  b\n  ---", item(1, False, "a b"), 2, id="setext-heading"),
        pytest.param("- [ ] a\n  b | c\n  -|-", item(1, False, "a"), 1, id="table-header-row"),
    ],
)
def test_wrapped_item_reads_its_whole_first_paragraph(
    text: str, expected: tuple[object, ...], last_line: int
) -> None:
    assert summary(text)[0] == expected
    assert cp.parse_checklist(text)[0].last_line_no == last_line


@pytest.mark.parametrize("nl", ["\n", "\r\n"])
def test_wrapped_item_link_and_annotations_go_on_its_last_line(nl: str) -> None:
    lines = ["- [ ] I have read the relevant section in the", f"  {GUIDE}", "  on reporting bugs."]
    text = nl.join([*lines, "- [ ] next", ""])
    linked = cp.apply_edits(text, [Edit(1, issue=FILE_REF)], style="file")
    assert linked == nl.join([*lines[:2], f"{lines[2]} ([o/r#12]({URL}))", "- [ ] next", ""])
    (wrapped, _) = cp.parse_checklist(linked)
    assert (wrapped.text, wrapped.issue, wrapped.last_line_no) == (WRAPPED_TEXT, FILE_REF, 3)

    # what sync does when the issue closes with a PR, then reopens
    closed = cp.apply_edits(linked, [Edit(1, checked=True, pr=FILE_PR)], style="file")
    assert closed == nl.join(
        [
            "- [x] I have read the relevant section in the",
            lines[1],
            f"{lines[2]} ([o/r#12]({URL})) ([PR #45]({PR_URL}))",
            "- [ ] next",
            "",
        ]
    )
    (wrapped, _) = cp.parse_checklist(closed)
    assert (wrapped.checked, wrapped.pr, wrapped.text) == (True, FILE_PR, WRAPPED_TEXT)
    assert cp.apply_edits(closed, [Edit(1, checked=False, pr=None)], style="file") == linked


def test_old_link_on_a_wrapped_items_first_line_is_edited_there() -> None:
    text = "- [ ] a (#12)\n  b\n"
    closed = cp.apply_edits(text, [Edit(1, checked=True, pr=IssueRef(45))])
    assert closed == "- [x] a (#12) (PR #45)\n  b\n"


# ---------------------------------------------------------------------------
# Footnotes: a definition is a container, shown (at the end) only when referred to


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "- [ ] a[^n]\n\n[^n]: why\n    - [ ] in the note\n- [ ] after",
            [item(1, False, "a[^n]"), item(4, False, "in the note"), item(5, False, "after")],
            id="referred-to",
        ),
        pytest.param(
            "- [ ] a\n\n[^n]: why\n    - [ ] in the note\n- [ ] after",
            [item(1, False, "a"), item(5, False, "after")],
            id="never-referred-to",
        ),
        pytest.param(
            "- [ ] a [^N]\n  [^n]: why\n      - [ ] b",
            [item(1, False, "a [^N]"), item(3, False, "b")],  # moved out of item a
            id="in-an-item-is-no-child",
        ),
        pytest.param(
            "- [ ] a[^n]\n[^n]: x\n- [ ] b",
            [item(1, False, "a[^n]"), item(3, False, "b")],
            id="ends-a-paragraph",
        ),
        pytest.param(
            "[^n]\n\n[^n]: x\n    ```\n    - [ ] code\n    ```\n- [ ] b",
            [item(7, False, "b")],
            id="code-inside",
        ),
        pytest.param("```\n[^n]\n```\n[^n]: x\n    - [ ] a", [], id="referred-to-in-code"),
    ],
)
def test_footnotes(text: str, expected: list[tuple[object, ...]]) -> None:
    assert summary(text) == expected


# ---------------------------------------------------------------------------
# What a reader sees of an item's text (for titles)


@pytest.mark.parametrize(
    ("text", "visible"),
    [
        ("Create a thread: <!-- Paste link to slack -->", "Create a thread:"),
        ("Issue filed: <!-- Number/link of that issue here --> #12", "Issue filed: #12"),
        ("a<br>b<BR/>c<br />d<br\t/>e", "a b c d e"),
        ("  a \t b\n c  ", "a b c"),
        ("a `x  <br>  <!-- y -->` b", "a `x  <br>  <!-- y -->` b"),  # code spans as written
        ("`` a ` b `` <!-- c --> d", "`` a ` b `` d"),
        ("a <!-- unclosed", "a <!-- unclosed"),  # no comment: GitHub shows it
        ("a ` <!-- x --> b", "a ` b"),  # a lone backtick is text, the comment is one
        ("<!-- all hidden -->", ""),
        ("plain text", "plain text"),
        ("", ""),
    ],
)
def test_visible_text(text: str, visible: str) -> None:
    assert cp.visible_text(text) == visible


# ---------------------------------------------------------------------------
# Front matter: GitHub shows it as a table; nothing in it is an item, a heading or the binding

FRONT = "---\ntitle: Plan\nlabels: [a]\n---\n"


@pytest.mark.parametrize(
    ("text", "end", "items", "section"),
    [
        pytest.param(f"{FRONT}- [ ] a\n", 4, [5], (), id="plain"),
        pytest.param("---\n- [ ] in yaml\n---\n- [ ] a\n", 3, [4], (), id="item-in-yaml"),
        # without the front matter rule `title: x` + `---` would be a heading over the items
        pytest.param("---\ntitle: x\n---\n- [ ] a\n", 3, [4], (), id="no-setext-heading"),
        pytest.param("---\n---\n- [ ] a", 2, [3], (), id="empty"),
        pytest.param("---  \na: 1\n...\n- [ ] a", 3, [4], (), id="dots-close"),
        pytest.param("\ufeff---\r\na: 1\r\n---\r\n- [ ] a\r\n", 3, [4], (), id="bom-crlf"),
        pytest.param("---\n- [ ] a\n", 0, [2], (), id="never-closed"),
        pytest.param("\n---\na\n---\n- [ ] b\n", 0, [5], ("a",), id="not-on-line-1"),
        pytest.param(" ---\na\n---\n- [ ] b\n", 0, [4], ("a",), id="indented"),
        pytest.param("---x\na\n---\n- [ ] b\n", 0, [4], ("---x a",), id="not-a-fence"),
    ],
)
def test_front_matter_is_not_markdown(
    text: str, end: int, items: list[int], section: tuple[str, ...]
) -> None:
    doc = cp.parse_document(text)
    assert doc.front_matter_end == end
    assert [item.line_no for item in doc.items] == items
    assert all(item.section == section for item in doc.items)
    front, rest = cp.split_front_matter(text)
    assert front + rest == text
    assert front.count("\n") + front.count("\r") - front.count("\r\n") == end


@pytest.mark.parametrize(
    ("text", "written"),
    [
        pytest.param(f"{FRONT}\n- [ ] a\n", f"{FRONT}{BINDING_LINE}\n\n- [ ] a\n", id="new"),
        pytest.param(
            "\ufeff---\r\na: 1\r\n---\r\n- [ ] a",
            f"\ufeff---\r\na: 1\r\n---\r\n{BINDING_LINE}\r\n- [ ] a",
            id="bom-crlf",
        ),
        pytest.param("---\n---", f"---\n---\n{BINDING_LINE}", id="front-matter-ends-the-file"),
        pytest.param(
            f"{FRONT}{BINDING_LINE.replace('42', '9')}\n- [ ] a\n",
            f"{FRONT}{BINDING_LINE}\n- [ ] a\n",
            id="replaced",
        ),
        pytest.param(
            f"---\n{BINDING_LINE}\n---\n- [ ] a\n",
            f"---\n{BINDING_LINE}\n---\n{BINDING_LINE}\n- [ ] a\n",
            id="comment-in-yaml-is-no-binding",
        ),
    ],
)
def test_binding_goes_after_front_matter(text: str, written: str) -> None:
    assert cp.set_binding(text, BINDING) == written
    doc = cp.parse_document(written)
    assert doc.binding == BINDING and doc.binding_line == doc.front_matter_end + 1
    if cp.parse_document(text).binding is None:
        assert cp.strip_binding(written) == text


# ---------------------------------------------------------------------------
# No pattern backtracks: long hostile lines parse in linear time

HOSTILE_UNITS = [
    "[",
    "(",
    "#",
    " ",
    "\t",
    "https://",
    "http://x/",
    "([#1](",
    "(#1) ",
    " (PR #1)",
    "(PR #",
    "closes ",
    "closes",
    "fixes: ",
    "o/r#",
    "o/r",
    "a/",
    "-",
    "[a](",
    "](",
    "<https://x/o/r/issues/1",
    "https://x/o/r/issues/1 ",
    "([#1](https://x/o/r/issues/1)) ",
    " (not planned)",
    "#1",
    "1",
    "[#1](",
    "(o/r#1",
    "a ",
    "(",
    ")",
    "<",
    "\\",
]


@pytest.mark.parametrize("unit", HOSTILE_UNITS)
def test_long_lines_parse_fast(unit: str) -> None:
    body = unit * (100_000 // len(unit))
    lines = [f"- [ ] {body}", f"- [ ] a {body}x", f"- [ ] (#1) {body}", f"- [ ] a {body} #1"]
    for line in lines:
        start = time.process_time()
        items = cp.parse_checklist(line)
        cp.apply_edits(line, [Edit(1, checked=True, issue=LINK_12, pr=PR_45, note="duplicate")])
        elapsed = time.process_time() - start
        assert len(items) == 1
        assert elapsed < 0.5, f"{elapsed:.2f}s for {line[:40]!r}…"


# ---------------------------------------------------------------------------
# Speed: editing every item costs little more than parsing once


def big_plan(size: int = 1_000_000) -> str:
    """A plan of about `size` characters: sections, nested items, links in every style."""
    rnd = random.Random(7)
    words = ["parse", "load", "save", "reject", "empty", "date", "config", "token", "retry"]
    lines = ["# Big plan", ""]
    total = number = 0
    while total < size:
        if number % 40 == 0:
            lines += [f"## Section {number // 40}", ""]
        link = rnd.choice(
            [
                "",
                "",
                f" (#{number})",
                f" ([#{number}](https://github.com/o/r/issues/{number}))",
                f" (#{number}) (PR #{number + 1}) (not planned)",
                f" closes #{number}",
            ]
        )
        words_here = " ".join(rnd.choices(words, k=rnd.randint(4, 7)))
        box = rnd.choice(" x")
        line = f"{'  ' * rnd.choice([0, 0, 1, 2])}- [{box}] {words_here}{link}"
        lines.append(line)
        total += len(line) + 1
        number += 1
    return "\n".join(lines) + "\n"


def cpu_seconds(action: Callable[[], object]) -> float:
    # process time, so that other processes competing for the CPU do not count
    start = time.process_time()
    action()
    return time.process_time() - start


def test_editing_every_item_costs_about_one_parse() -> None:
    # a quarter of the 1 MB, ~17,000-item plan measured for the change, to keep the suite quick
    text = big_plan(250_000)
    items = cp.parse_checklist(text)
    assert len(items) > 4_000
    toggles = [Edit(i.line_no, checked=not i.checked) for i in items]
    runs = [
        (
            cpu_seconds(lambda: cp.parse_checklist(text)),
            cpu_seconds(lambda: cp.apply_edits(text, toggles, style="file")),
        )
        for _ in range(3)
    ]
    parse = min(run[0] for run in runs)
    edit = min(run[1] for run in runs)
    # about 1.1 here; re-reading each edited line, as the editor once did, costs 1.7
    assert edit < 1.4 * parse + 0.02, f"parse {parse:.3f}s, edit every item {edit:.3f}s"


# ---------------------------------------------------------------------------
# Properties

# Few examples by default, to keep the suite quick; raise for a soak run, e.g.
# CHECKLIST_EXAMPLES=5000 CHECKLIST_RANDOM=1 (derandomized otherwise, so runs repeat).
FAST = settings(
    max_examples=int(os.environ.get("CHECKLIST_EXAMPLES", "75")),
    deadline=None,
    derandomize=os.environ.get("CHECKLIST_RANDOM") != "1",
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

WORDS = st.sampled_from(
    [
        "a",
        "fix",
        "Parsing",
        "é",
        "*x*",
        "`c`",
        "\\",
        "[",
        "]",
        "(",
        ")",
        "<b>",
        "#",
        "#12",
        "#123",
        "o/r#7",
        "closes #5",
        "fixes",
        "(#9)",
        "(#12)",
        f"([#9]({URL}))",
        URL,
        f"[x]({URL})",
        f"<{URL}>",
        "(PR #4)",
        f"([PR #4]({PR_URL}))",
        "(not planned)",
        "(duplicate)",
        "Fixes:",
        "x/y#3",
        "(closes #8)",
        "(#12",
        "#12)",
        "(PR",
        f"{URL}/",
        "\t",
        "",
        "[ ]",
        "[x]",
    ]
)
TEXT = st.lists(WORDS, max_size=6).map(" ".join)
ITEM_LINE = st.builds(
    "{}{}{}{}{}{}{}".format,
    st.sampled_from(["", " ", "  ", "   ", "    ", "\t", "> ", ">", "> > ", "  > "]),
    st.sampled_from(["-", "*", "+", "1.", "2)", "10."]),
    st.sampled_from([" ", "  ", "\t"]),
    st.sampled_from(["[ ]", "[ ]", "[x]", "[X]", "[]"]),
    st.sampled_from([" ", "\t", "  "]),
    TEXT,
    st.sampled_from(["", "", " ", "  ", "\t"]),
)
OTHER_LINE = st.sampled_from(
    [
        "",
        "",
        "# Head",
        "## Sub",
        "Title",
        "===",
        "---",
        "```",
        "~~~",
        "````",
        "    code",
        "<!--",
        "-->",
        "<div>",
        "</div>",
        "para text",
        "***",
        "| a |",
        "| - |",
        "\ufeff",
        f"<!-- checklist-sync: {BINDING} -->",
    ]
)
LINE_END = st.sampled_from(["\n", "\n", "\r\n", "\r"])


@st.composite
def documents(draw: st.DrawFn) -> str:
    lines = draw(st.lists(st.one_of(ITEM_LINE, ITEM_LINE, OTHER_LINE), min_size=1, max_size=10))
    text = "".join(line + draw(LINE_END) for line in lines)
    if not draw(st.booleans()):
        text = text.rstrip("\r\n")
    if draw(st.booleans()):
        text = "\ufeff" + text
    return text


REFS = st.builds(
    IssueRef,
    st.integers(1, 10**9),
    st.sampled_from([None, "o/r", "Other-Org/repo.js"]),
).map(
    lambda r: IssueRef(r.number, r.repo, f"https://github.com/{r.repo or 'o/r'}/issues/{r.number}")
)
PRS = st.one_of(
    st.none(),
    st.builds(
        lambda n, repo: IssueRef(n, repo, f"https://github.com/{repo or 'o/r'}/pull/{n}"),
        st.integers(1, 10**9),
        st.sampled_from([None, "x/y"]),
    ),
)
NOTES = st.sampled_from([None, cp.NOTE_NOT_PLANNED, cp.NOTE_DUPLICATE])
STYLES = st.sampled_from(["issue", "file"])


def _lines(text: str) -> list[str]:
    parts, ends = cp.split_lines(text)
    return [part + end for part, end in zip(parts, ends, strict=True)]


def _as_written(ref: IssueRef | None, style: str) -> IssueRef | None:
    """How a PR annotation reads back: an issue body keeps no URL."""
    if ref is None or style == "file":
        return ref
    return IssueRef(ref.number, ref.repo)


@FAST
@given(documents())
def test_no_edit_changes_nothing(text: str) -> None:
    items = cp.parse_checklist(text)
    assert cp.apply_edits(text, []) == text
    assert cp.apply_edits(text, [Edit(i.line_no) for i in items]) == text
    unchanged = [Edit(i.line_no, checked=i.checked, pr=i.pr, note=i.note) for i in items]
    assert cp.apply_edits(text, unchanged, style="issue") == text


@FAST
@given(documents(), st.data())
def test_an_edit_changes_only_its_line(text: str, data: st.DataObject) -> None:
    items = cp.parse_checklist(text)
    assume(items)
    target = data.draw(st.sampled_from(items))
    edit = Edit(
        target.line_no,
        checked=data.draw(st.sampled_from([None, True, False])),
        issue=data.draw(st.one_of(st.just(cp._UNSET), REFS)),
        pr=data.draw(st.one_of(st.just(cp._UNSET), PRS)),
        note=data.draw(st.one_of(st.just(cp._UNSET), NOTES)),
    )
    after = cp.apply_edits(text, [edit], style=data.draw(STYLES))
    before_lines, after_lines = _lines(text), _lines(after)
    assert len(before_lines) == len(after_lines)
    for no, (old, new) in enumerate(zip(before_lines, after_lines, strict=True), 1):
        if no not in (target.line_no, target.link_line_no):  # box, link: one line unless wrapped
            assert old == new
    old, new = before_lines[target.line_no - 1], after_lines[target.line_no - 1]
    assert old[: target.box_col] == new[: target.box_col]  # marker and indentation
    reparsed = {i.line_no: i for i in cp.parse_checklist(after)}
    # GitHub gives an empty task item no paragraph, so text added to one can take in the
    # lines below it (see test_link_in_empty_item_changes_structure); nothing else can.
    if target.text or not (isinstance(edit.issue, IssueRef) and target.issue is None):
        assert reparsed.keys() == {i.line_no for i in items}
    if edit.checked is not None:
        assert reparsed[target.line_no].checked == edit.checked


@FAST
@given(documents())
def test_toggling_twice_restores_the_input(text: str) -> None:
    unchecked = [i.line_no for i in cp.parse_checklist(text) if not i.checked]
    checked = cp.apply_edits(text, [Edit(no, checked=True) for no in unchecked])
    assert all(i.checked for i in cp.parse_checklist(checked))
    assert cp.apply_edits(checked, [Edit(no, checked=False) for no in unchecked]) == text


@FAST
@given(documents(), REFS, STYLES, PRS, NOTES)
def test_written_link_reads_back(
    text: str, ref: IssueRef, style: str, pr: IssueRef | None, note: str | None
) -> None:
    unlinked = [i for i in cp.parse_checklist(text) if i.issue is None and i.text]
    assume(unlinked)
    edits = [Edit(i.line_no, issue=ref, pr=pr, note=note) for i in unlinked]
    after = {i.line_no: i for i in cp.parse_checklist(cp.apply_edits(text, edits, style=style))}
    for before in unlinked:
        got = after[before.line_no]
        assert got.issue is not None
        assert got.issue.key("o/r") == ref.key("o/r")
        assert got.issue.url == (ref.url if style == "file" else None)
        assert got.link_style == style
        assert (got.text, got.tail, got.checked) == (before.text, "", before.checked)
        assert (got.pr, got.note) == (_as_written(pr, style), note)


@FAST
@given(documents(), PRS, NOTES, STYLES)
def test_annotations_round_trip(
    text: str, pr: IssueRef | None, note: str | None, style: str
) -> None:
    linked = [i for i in cp.parse_checklist(text) if i.issue is not None]
    assume(linked)
    edits = [Edit(i.line_no, pr=pr, note=note) for i in linked]
    edited = cp.apply_edits(text, edits, style=style)
    after = {i.line_no: i for i in cp.parse_checklist(edited)}
    # Known limit: a link in a user's own form counts only at the end of the text or before
    # the tool's annotations; once they are removed, text the user typed after them makes it
    # a mid-text reference again.
    unreadable = pr is None and note is None
    kept = [i for i in linked if not (unreadable and i.link_style == "user" and i.tail)]
    for before in kept:
        got = after[before.line_no]
        if unreadable and before.tail and cp._find_link(before.tail) is not None:
            continue  # known limit: moved before the link, the tail's own link may win
        if unreadable and before.tail and got.issue == before.issue and got.text != before.text:
            # the tool's own link moved after the user's text so that it stays the link
            words = f"{before.text} {before.tail}".split()
            assert f"{got.text} {got.tail}".split() == words
            continue
        assert (got.issue, got.text, got.tail) == (before.issue, before.text, before.tail)
        untouched = (before.pr, before.note) == (pr, note)
        assert (got.pr, got.note) == (pr if untouched else _as_written(pr, style), note)
    if kept == linked:
        assert cp.apply_edits(edited, edits, style=style) == edited


@FAST
@given(documents(), st.sampled_from([BINDING, NEW, "https://ghe.corp/a-b/c.d/issues/1"]))
def test_binding_round_trip(text: str, url: str) -> None:
    assume(cp.parse_document(text).binding is None)
    written = cp.set_binding(text, url)
    assert cp.parse_document(written).binding == url
    assert [(i.line_no - 1, i.checked, i.text) for i in cp.parse_checklist(written)] == [
        (i.line_no, i.checked, i.text) for i in cp.parse_checklist(text)
    ]
    assert cp.strip_binding(written) == text
