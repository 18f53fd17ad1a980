"""Differential tests: checklist_parser against the cmark-gfm oracle in markdown_oracle.py.

Every example of the GFM and CommonMark specs, then generated Markdown full of edge cases.
"""

from __future__ import annotations

import operator
import os
import re

import pytest
from hypothesis import HealthCheck, Phase, event, example, given, note, settings
from hypothesis import strategies as st

import checklist_parser
from tests import markdown_oracle as oracle

# Inputs on which the parser may knowingly differ from the oracle: input text -> reason. Only
# for what a line-based parser cannot match; everything else is a parser bug.
KNOWN_DIFFERENCES: dict[str, str] = {}

SPEC_EXAMPLES = [ex for spec in oracle.SPEC_FILES for ex in oracle.spec_examples(spec)]

# Hypothesis runs: at least 5,000 by default (about half a minute here); raise for soak runs.
EXAMPLES = int(os.environ.get("ORACLE_EXAMPLES", "5000"))
SELF_CHECK_EXAMPLES = max(EXAMPLES // 3, 200)
EDIT_EXAMPLES = max(EXAMPLES // 5, 200)


def _settings(max_examples: int) -> settings:
    # Derandomized so the normal suite is reproducible; ORACLE_RANDOM=1 explores new inputs.
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=os.environ.get("ORACLE_RANDOM") != "1",
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        print_blob=True,
        # The explain phase reruns a failure hundreds of times to say little the message lacks.
        phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    )


def parser_boxes(text: str) -> list[tuple[int, bool]]:
    items = checklist_parser.parse_checklist(text)
    lines = [item.line_no for item in items]
    assert lines == sorted(lines), f"items out of document order: {lines}"
    return sorted((item.line_no, item.checked) for item in items)


def _compared(text: str) -> tuple[list[tuple[int, bool]], list[tuple[int, bool]]]:
    """(oracle, parser) answers, both cut where the oracle stops being able to tell."""
    expected, actual = oracle.task_boxes(text), parser_boxes(text)
    last = oracle.undecidable_after(text)
    if last is not None:
        expected = [box for box in expected if box[0] <= last]
        actual = [box for box in actual if box[0] <= last]
    return expected, actual


def _disagrees(text: str) -> bool:
    try:
        expected, actual = _compared(text)
    except Exception:
        return False
    return expected != actual


_LINE_RE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def minimize(text: str, budget: int = 2000) -> str:
    """A shortest-found input that still makes the parser disagree: drop lines, then chars."""
    for unit in ("line", "char"):
        parts = _LINE_RE.findall(text) if unit == "line" else list(text)
        i = 0
        while i < len(parts) and budget > 0:
            budget -= 1
            candidate = "".join(parts[:i] + parts[i + 1 :])
            if candidate and _disagrees(candidate):
                parts.pop(i)
            else:
                i += 1
        text = "".join(parts)
    return text


def assert_agrees(text: str) -> None:
    expected, actual = _compared(text)
    if actual != expected and text not in KNOWN_DIFFERENCES:
        small = minimize(text)
        raise AssertionError(
            f"parser disagrees with cmark-gfm oracle on {text!r}\n"
            f"  oracle: {expected}\n  parser: {actual}\n"
            f"  minimized: {small!r}: oracle, parser {_compared(small)}"
        )


# ---------------------------------------------------------------------------
# The oracle itself

# (input, oracle answer, cmark-gfm's own checkboxes): pins down what cmark-gfm does at the
# edges, so an upgrade of cmarkgfm that changes any of it shows up here first.
ORACLE_CASES = [
    ("- [ ] a", [(1, False)], None),
    ("- [x] a\n* [X] b\n+ [ ] c", [(1, True), (2, True), (3, False)], None),
    ("1. [x] a\n1) [ ] b", [(1, True), (2, False)], None),
    ("123456789. [ ] a", [(1, False)], None),
    ("1234567890. [ ] a", [], None),  # ten digits make no list marker
    ("- [ ]foo", [], None),
    ("- [ ]", [], None),  # the box must be followed by whitespace on its line
    ("- [ ]\n  text", [], None),
    ("- [ ] ", [(1, False)], None),
    ("- [ ]\t", [(1, False)], None),
    ("- [ ]\va", [(1, False)], None),
    ("- [ ]\fa", [(1, False)], None),
    ("- [ ]\xa0a", [], None),  # non-breaking space is not whitespace to the scanner
    ("- [ ]\u3000a", [], None),
    ("- [\xa0] a", [], None),
    ("- [-] a", [], None),
    ("- [  ] a", [], None),
    ("- [] a", [], None),
    ("-    [ ] a", [(1, False)], None),
    ("-     [ ] a", [], None),  # five spaces: indented code inside the item
    ("-\t[ ] a", [(1, False)], None),
    ("-\t\t[ ] a", [], None),
    ("   -\t [ ] a", [], None),
    ("-", [], None),
    ("- ", [], None),
    ("-\n  [ ] a", [], None),  # box not on the marker line
    ("- a\n[ ] b", [], None),
    ("- a\n  - [x] b\n    - [ ] c", [(2, True), (3, False)], None),
    ("- [ ] a\n  ---", [(1, False)], None),  # setext heading inside the task item
    ("- [ ] a | b\n  --|--", [(1, False)], None),  # table inside the task item
    ("- [ ] [foo]: /url", [(1, False)], None),
    ("<div>\n- [ ] a\n</div>", [], None),
    ("<!--\n- [ ] a\n-->\n- [x] b", [(4, True)], None),
    ("```\n- [ ] a\n```\n- [X] b", [(4, True)], None),
    ("    - [ ] a", [], None),
    ("| a | b |\n|---|---|\n| - [ ] c | d |", [], None),
    ("* [ ] a\r+ [x] b\r\n1. [ ] c", [(1, False), (2, True), (3, False)], None),
    ("a\u2028b\x85c\x0bd\x1ce\n- [x] f", [(2, True)], None),  # not line breaks
    ("\0- [ ] a\n- [ ] b", [(2, False)], None),
    ("é\n  日本\n- [x] a", [(3, True)], None),
    # The departures from cmark-gfm: the spec's answer (the oracle's), then cmark-gfm's.
    ("> - [ ] a", [(1, False)], []),
    (">\t- [x] a", [(1, True)], []),
    ("> > 1. [ ] a", [(1, False)], []),
    ("- - [ ] a", [(1, False)], []),
    ("1. - [x] a", [(1, True)], []),
    ("- [ ] see [x](url)", [(1, False)], [(1, True)]),
    ("- [ ] [X]", [(1, False)], [(1, True)]),
    ("\ufeff- [ ] a\n- [x] b", [(1, False), (2, True)], [(2, True)]),
    # The BOM is dropped before cmark-gfm parses, so its scanner cannot change the structure.
    ("\ufeff- [x] \n]\n3. [ ] a", [(1, True)], [(3, False)]),
    ("- \v[ ] a", [], [(1, False)]),  # its scanner takes \v and \f for spaces here
    ("1. \f[x] a", [], [(1, True)]),
    # cmark-gfm also runs its scanner on later lines of an item and marks that item.
    ("- a\n\n  1234567890. [x] b", [], [(1, True)]),
    ("- [ ] a\n\n  1234567890) [x] b", [(1, False)], [(1, True)]),
    ("- > a\n      - [x] b", [], [(1, True)]),
    # footnotes: a definition's task items show only when something refers to it
    ("a[^n]\n\n[^n]: note\n    - [ ] in\n- [x] out", [(4, False), (5, True)], None),
    ("a\n\n[^n]: note\n    - [ ] in\n- [x] out", [(5, True)], None),
    ("[^n]: - [ ] x\n\n[^N]", [(1, False)], []),  # cmark-gfm: a task behind `[^n]: `
    ("[^n]: x\n  \n    - [ ] y\n\n[^n]", [], None),  # spaces end it, a bare line does not
    ("[^n]: x\n\n    - [ ] y\n\n[^n]", [(3, False)], None),
    ("`[^n]`\n\n[^n]: x\n    - [ ] y", [], None),
    ("[^a]: x\n    - [ ] a\n[^a]: y\n    - [ ] b\n\n[^a]", [(2, False)], None),
    ("[^a]\n\n[^a]: x\n    - [ ] a\n\n    [^a]: y\n        - [ ] b", [(7, False)], None),
]

# (input, last line the oracle can vouch for): items that are only a box where cmark-gfm's
# scanner and the spec disagree about the box.
UNDECIDABLE_CASES = [
    ("- [ ] a\n2. [ ] b", None),
    ("- [ ] \n  2. [ ] b", None),
    ("> - [ ] a\n>   2. [ ] b", None),
    ("\ufeff- [ ] \n  2. [ ] b", None),
    ("> - [ ] \n>   2. [ ] b", 1),
    ("a\n\n- - [x]\t\n    2. [ ] b", 3),
    ("- \f[ ] \n  2. [ ] b", 1),
]


@pytest.mark.parametrize(("text", "last"), UNDECIDABLE_CASES)
def test_oracle_undecidable_after(text: str, last: int | None) -> None:
    assert oracle.undecidable_after(text) == last


@pytest.mark.parametrize(("text", "expected", "cmark"), ORACLE_CASES)
def test_oracle_edge_cases(
    text: str, expected: list[tuple[int, bool]], cmark: list[tuple[int, bool]] | None
) -> None:
    assert oracle.task_boxes(text) == expected
    assert oracle.cmark_task_boxes(text) == (expected if cmark is None else cmark)
    assert bool(oracle.cmark_quirks(text)) == (cmark is not None)


def test_spec_examples_load() -> None:
    gfm = oracle.spec_examples("gfm")
    commonmark = oracle.spec_examples("commonmark")
    assert len(gfm) == 672
    assert len(commonmark) == 652
    tasks = [ex for ex in gfm if ex.section == "Task list items (extension)"]
    assert [ex.markdown for ex in tasks] == [
        "- [ ] foo\n- [x] bar\n",
        "- [x] foo\n  - [ ] bar\n  - [x] baz\n- [ ] bim\n",
    ]
    assert oracle.task_boxes(tasks[1].markdown) == [(1, True), (2, False), (3, True), (4, False)]
    tabs = [ex for ex in commonmark if ex.section == "Tabs"]
    assert tabs[0].markdown == "\tfoo\tbaz\t\tbim\n"


def test_oracle_matches_cmark_gfm_on_spec_examples() -> None:
    mismatches = []
    compared = 0
    for ex in SPEC_EXAMPLES:
        if oracle.cmark_quirks(ex.markdown):
            continue
        compared += 1
        ours, theirs = oracle.task_boxes(ex.markdown), oracle.cmark_task_boxes(ex.markdown)
        if ours != theirs:
            mismatches.append((ex.test_id, ex.markdown, ours, theirs))
    assert not mismatches
    assert compared > 1300


# ---------------------------------------------------------------------------
# Every spec example


@pytest.mark.parametrize("ex", SPEC_EXAMPLES, ids=[ex.test_id for ex in SPEC_EXAMPLES])
def test_spec_example(ex: oracle.SpecExample) -> None:
    assert_agrees(ex.markdown)


@pytest.mark.parametrize("variant", ["crlf", "cr", "bom"])
def test_spec_examples_reencoded(variant: str) -> None:
    # Line numbers must survive every line ending, and a BOM must hide nothing.
    failures = []
    for ex in SPEC_EXAMPLES:
        if variant == "bom":
            text = oracle.BOM + ex.markdown
        else:
            text = ex.markdown.replace("\n", "\r\n" if variant == "crlf" else "\r")
        if operator.ne(*_compared(text)):
            failures.append(f"{ex.test_id}: {text!r} -> minimized {minimize(text)!r}")
    assert not failures, "\n".join(failures)


# Minimal inputs on which a parser version disagreed with the oracle, kept as regressions.
REGRESSIONS = [
    "hello\n```\n\n- [ ] x",  # a fence, HTML block 1-5 or heading interrupts a paragraph
    "hello\n<!--\n\n- [ ] x",
    "hello\n# h\n2. [ ] x",
    "hello\n>\n2. [ ] x",  # ... after which a list may start at any number
    "hello\n- b\n2. [ ] x",
    "hello\n```\n```\n2. [ ] x",
    "- a\n</e>\n- [ ] x",  # a line not continuing the item may open an HTML block (7)
    "> a\n<e>\n- [ ] x",
    "- <n>\f\n\t- [ ] x",  # \v and \f end an HTML block (7) start line
    "- [ ] \n  2. [ ] x",  # an item that is only a box has no paragraph in cmark-gfm
    "- [x] \n]\n0. [ ] x",
    "* [X]\t\n\n\t1) [ ] x",
    "x\n-|-\n-|-\n2. [ ] x",  # a paragraph gets one chance to become a table
    "|\n-|\n|\n3) [X] x",  # `|` alone is no header row
    "1234567890\n-\v\n9. [X] x",  # \v and \f are spaces in a delimiter row
    "x\n:-\n2. [ ] x",  # a delimiter row needs no pipe
    "a|b\n--|-\n    c\nd\n2. [ ] x",  # indented code ends a table
    "---\n- [ ] a\n---\n- [ ] x",  # front matter: GitHub shows a table, then the rest
    "a[^n]\n[^n]: x\n- [ ] b",  # a footnote definition interrupts a paragraph
    "[^n]: x\nlazy\n    - [ ] b\n[^n]",  # and continues lazily like a block quote
    "- [ ] p\n  [^a]: x\n      - [ ] c\n\n[^a]",  # shown at the end, out of the item
    "[^a]: x\n    - [ ] c\n\n<!-- [^a] -->",  # no reference in HTML
    "[^a]: x\n    - [ ] c\n\n[^a](http://x)",  # a link, no reference
    "[^a]: [^b]: - [ ] x\n\n[^b]",
    "[^ab]: x\r\r    - [ ] a\r\r[^ab] \r",
    "\ufeff---\r\ntitle: x\r\n...\r\n2. [ ] x",
]


@pytest.mark.parametrize("text", REGRESSIONS)
def test_regression(text: str) -> None:
    assert_agrees(text)


# ---------------------------------------------------------------------------
# Generated Markdown

_INDENTS = ["", "", "", " ", "  ", "   "]
_DEEP_INDENTS = ["    ", "     ", "      ", "\t", " \t", "  \t", "\t "]
_MARKERS = ["-", "-", "*", "+", "1.", "1)", "2.", "3)"]
_ODD_MARKERS = ["0.", "10.", "123456789.", "1234567890.", "-\v", "1.)", "a."]
_PADS = [" ", " ", " ", "  ", "   ", "    ", "\t", " \t"]
_ODD_PADS = ["     ", "\t\t", "", "\v", " \f", "  \t  "]
_BOXES = ["[ ]", "[ ]", "[x]", "[X]"]
_ODD_BOXES = ["[]", "[-]", "[  ]", "[\xa0]", "[ x]", "[\t]", "[*]", "[x"]
_AFTER_BOX = [" ", " ", "\t", "  "]
_ODD_AFTER_BOX = ["", "\v", "\f", "\xa0", "x", "]", "\u3000"]
_WORDS = [
    "task",
    "write tests",
    "see [x](url)",
    "[X]",
    "[ ]",
    "- [ ] not an item",
    "`code`",
    "`` ` ``",
    "*em*",
    "_u_",
    "**b**",
    "<!-- c -->",
    "<!--",
    "-->",
    "<div>",
    "<span>",
    "(#12)",
    "([#3](https://example.test/o/r/issues/3))",
    "closes #4",
    "|",
    "a | b",
    "\\",
    "&amp;",
    "é",
    "日本語",
    "😀",
    "a\u2028b",
    "\x85",
    "\x1c",
    "\v",
    "\f",
    "\0",
    "\xa0",
    "#",
    "1.",
    "> q",
    "```",
    "~~~",
    "[foo]: /url",
    "[foo]",
    "[^n]",
    "[^N]",
    "`[^m]`",
]
_CONTAINERS = [
    *("> ", ">", "> > ", ">\t", "- ", "* ", "1. ", "2) ", "  ", "   ", "    ", "\t"),
    *("[^n]: ", "[^m]:\t"),
]
_FENCES = ["```", "````", "~~~", "~~~~", "``", "`````"]
_INFOS = ["", "", "python", " md", "`x`", "~"]
_HTML_LINES = [
    "<script>",
    "</script>",
    "<pre>",
    "<pre class='x'>",
    "</pre>",
    "<style>",
    "</style>",
    "<textarea>",
    "</textarea>",
    "<!--",
    "<!-- c -->",
    "-->",
    "<?php",
    "?>",
    "<!DOCTYPE html>",
    "<!X>",
    "<![CDATA[",
    "]]>",
    "<div>",
    "</div>",
    "<div class='a'>",
    "<table>",
    "<details>",
    "<custom-tag>",
    "<custom-tag>\f",
    "<div>\v",
    "</span>",
    "<a href='x'>",
    "<p/>",
    "<br />",
    "<input type='checkbox'>",
]
_OTHER_LINES = [
    "",
    "",
    "",
    "   ",
    "\t",
    "# Heading",
    "## [ ] not a task",
    "###### h6",
    "####### not a heading",
    "#no",
    "===",
    "---",
    "  ---",
    "***",
    "- - -",
    "* * *",
    "___",
    "-   -   -",
    "| a | b |",
    "|---|---|",
    "| - [ ] c | d |",
    "a | b",
    "--- | ---",
    ":-: | -:",
    "paragraph text",
    "lazy [x] line",
    "    indented code - [ ] x",
    "\t- [ ] tab code",
    "[ ] bare box",
    "[x]: /url",
    "[^n]: note",
    "[^m]:",
    "[^n]: - [ ] in a note",
    "    [^m]: nested",
    "see [^m]",
]
_LINE_ENDS = ["\n", "\r\n", "\r"]

# Strategies are built once here: building them inside draws costs more than the test itself.


def _weighted(*choices: tuple[int, st.SearchStrategy]) -> st.SearchStrategy:
    # st.one_of drops repeated strategies, so weights need an explicit pick; the first choice
    # is where shrinking goes.
    table = [strategy for weight, strategy in choices for _ in range(weight)]
    return st.integers(0, len(table) - 1).flatmap(table.__getitem__)


_words = st.lists(st.sampled_from(_WORDS), max_size=3).map(" ".join)
# Each choice is mostly well formed, sometimes odd: a task in most item lines, so that the
# generated documents hold many boxes for the structure around them to hide or reveal.
_box = st.tuples(
    _weighted((4, st.sampled_from(_BOXES)), (1, st.sampled_from(_ODD_BOXES))),
    _weighted((4, st.sampled_from(_AFTER_BOX)), (1, st.sampled_from(_ODD_AFTER_BOX))),
).map("".join)
_item_line = st.tuples(
    _weighted((3, st.sampled_from(_INDENTS)), (1, st.sampled_from(_DEEP_INDENTS))),
    _weighted((5, st.sampled_from(_MARKERS)), (1, st.sampled_from(_ODD_MARKERS))),
    _weighted((4, st.sampled_from(_PADS)), (1, st.sampled_from(_ODD_PADS))),
    _weighted((4, _box), (1, st.just(""))),
    _words,
).map("".join)
_other_line = st.sampled_from(_OTHER_LINES)
_html_line = st.sampled_from(_HTML_LINES)
_body_line = st.one_of(_item_line, _other_line)


_fence = st.sampled_from(_FENCES)
_fence_indent = st.sampled_from(["", "", " ", "   ", "    "])
_fence_body = st.lists(_body_line, max_size=3)
_info = st.sampled_from(_INFOS)
_closing = st.sampled_from(["same", "same", "same", "same", "`", "~", "short", "none"])


@st.composite
def _fenced_block(draw: st.DrawFn) -> list[str]:
    fence = draw(_fence)
    lines = [draw(_fence_indent) + fence + draw(_info), *draw(_fence_body)]
    closing = draw(_closing)
    if closing != "none":
        close = {"same": fence, "short": fence[:-1]}.get(closing, fence + closing)
        lines.append(draw(_fence_indent) + close)
    return lines


_item_lines = st.lists(_item_line, min_size=1, max_size=4)
_blocks = _weighted(
    (4, _item_lines),
    (1, _other_line.map(lambda line: [line])),
    (1, _html_line.map(lambda line: [line, ""])),
    (1, _words.map(lambda line: [line])),
    (2, _fenced_block()),
    (
        1,
        st.lists(st.one_of(_item_line, _html_line), min_size=1, max_size=3).map(
            lambda body: [body[0].lstrip(), *body[1:]]
        ),
    ),
    (
        1,
        st.tuples(
            st.sampled_from(["| a | b |", "a | b", "- [ ] a | b", "| [ ] |", "x", "|", "a||"]),
            st.sampled_from(
                ["|---|---|", "--- | ---", "|:-:|", "---", "  |--|--|", "-|", "-|-", "-\v", ":-\f"]
            ),
            st.lists(_body_line, max_size=2),
        ).map(lambda t: [t[0], t[1], *t[2]]),
    ),
)
# Block quotes and list items around a block; `sticky` repeats them on every line of the
# block, otherwise the later lines are continuation or lazy lines.
_prefix = _weighted(
    (2, st.just("")), (1, st.lists(st.sampled_from(_CONTAINERS), max_size=2).map("".join))
)
_framed = st.tuples(_prefix, st.booleans(), _blocks)


@st.composite
def markdown_documents(draw: st.DrawFn) -> str:
    lines = []
    for prefix, sticky, block in draw(st.lists(_framed, min_size=1, max_size=8)):
        lines += [prefix + line if i == 0 or sticky else line for i, line in enumerate(block)]
    style = draw(st.sampled_from([*_LINE_ENDS, "mixed"]))
    if style == "mixed":
        ends = draw(st.lists(st.sampled_from(_LINE_ENDS), min_size=len(lines), max_size=len(lines)))
    else:
        ends = [style] * len(lines)
    if draw(st.booleans()):
        ends[-1] = ""
    text = "".join(line + end for line, end in zip(lines, ends, strict=True))
    if draw(st.integers(0, 9)) == 0:
        text = oracle.BOM + text
    return text


@_settings(EXAMPLES)
@given(markdown_documents())
@example("- [ ] a\n\n  1234567890. [x] b")
@example("\ufeff- [ ] a\r\n> - [x] b\r- - [X] c [x]\n")
def test_generated_markdown(text: str) -> None:
    note(f"oracle={oracle.task_boxes(text)}")
    assert_agrees(text)


@_settings(SELF_CHECK_EXAMPLES)
@given(markdown_documents())
def test_oracle_matches_cmark_gfm_without_quirks(text: str) -> None:
    quirks = oracle.cmark_quirks(text)
    boxes = oracle.task_boxes(text)
    event("cmark-gfm quirk" if quirks else "compared" if boxes else "compared, no task")
    if not quirks:
        assert boxes == oracle.cmark_task_boxes(text)


@_settings(EDIT_EXAMPLES)
@given(markdown_documents())
def test_toggling_every_box_keeps_items(text: str) -> None:
    # Writing the other state into every box changes no block structure, so the oracle must
    # find the same items with the edited ones flipped, and only box characters may change.
    items = checklist_parser.parse_checklist(text)
    edits = [checklist_parser.Edit(line_no=it.line_no, checked=not it.checked) for it in items]
    edited = checklist_parser.apply_edits(text, edits)
    assert len(edited) == len(text)
    changed = [(a, b) for a, b in zip(text, edited, strict=True) if a != b]
    assert all({a, b} <= {" ", "x", "X"} for a, b in changed), changed
    flipped = {it.line_no for it in items}
    expected = [(line, checked != (line in flipped)) for line, checked in oracle.task_boxes(text)]
    assert oracle.task_boxes(edited) == expected
    assert parser_boxes(edited) == sorted((it.line_no, not it.checked) for it in items)
