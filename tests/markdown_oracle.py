"""Test oracle for checklist_parser: the task-list boxes GitHub's renderer (cmark-gfm) finds.

Lists come from cmark-gfm itself; the task rule is re-applied at each item's own list marker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cmarkgfm
from cmarkgfm.cmark import Options

# The set github_flavored_markdown_to_html attaches; tables matter because they end paragraphs
# and lists differently from plain CommonMark.
GFM_EXTENSIONS = ("table", "autolink", "tagfilter", "strikethrough", "tasklist")

# CMARK_OPT_FOOTNOTES as GitHub renders them: a footnote definition is a container, shown (with
# its task items) only when the document refers to it.
# CMARK_OPT_UNSAFE is left out on purpose: it changes rendering only, never the parse, and
# without it raw HTML in the input comes out as a fixed placeholder, so no input can forge the
# `<li data-sourcepos=...>` tags that this module reads back.
RENDER_OPTIONS = Options.CMARK_OPT_SOURCEPOS | Options.CMARK_OPT_FOOTNOTES

DATA_DIR = Path(__file__).parent / "data"
SPEC_FILES = {"gfm": "gfm-spec.txt", "commonmark": "commonmark-spec.txt"}

# cmark-gfm splits lines only here (blocks.c S_parser_feed); str.splitlines() also splits at
# \v, \f, \x1c-\x1e, \x85, U+2028 and U+2029, which are ordinary characters to Markdown.
_LINE_END_RE = re.compile(r"\r\n|\r|\n")

_LI_RE = re.compile(
    r'<li data-sourcepos="(\d+):(\d+)-(\d+):\d+">'
    r'(<input type="checkbox" (checked="" )?disabled="" />)?'
)

_MARKER_RE = re.compile(rb"[-+*]|[0-9]{1,9}[.)]")

# A box right after the marker's padding (the GFM spec: "an optional number of spaces" before
# it), holding exactly one of space, x, X, then one of [ \t\v\f] on the same line, as
# cmark-gfm's scanner (ext_scanners.re, scan_tasklist) wants: `- [ ]` at the end of a line is
# not a task, `- [ ] ` is. Unlike that scanner, \v and \f may not come before the box.
_BOX_RE = re.compile(rb"[ \t]+\[([ xX])\][ \t\v\f]")

# cmark-gfm's whole scanner, which it runs from byte 0 of every line reaching the extension.
_CMARK_SCAN_RE = re.compile(rb"[ \t\v\f]*(?:[-+*]|[0-9]+[.)])[ \t\v\f]+\[[ xX]\][ \t\v\f]")

# A box that only cmark-gfm's scanner takes, with \v or \f between the marker and the box.
_VF_BOX_RE = re.compile(rb"(?:[-+*]|[0-9]+[.)])[ \t]*[\v\f][ \t\v\f]*\[[ xX]\][ \t\v\f]")

TAB_STOP = 4
BOM = "\ufeff"


@dataclass(frozen=True)
class RenderedItem:
    """One list item as cmark-gfm parsed it, located at its list marker."""

    line_no: int
    byte_col: int  # 1-based, in the line's UTF-8 bytes; cmark-gfm counts a leading BOM
    end_line: int
    cmark_task: bool
    cmark_checked: bool


@dataclass(frozen=True)
class Task:
    """The oracle's answer for one item whose marker line starts with a box."""

    line_no: int
    checked: bool
    marker_start: int  # byte offset of the list marker in the line
    box_start: int  # byte offset of "[" in the line


@dataclass(frozen=True)
class SpecExample:
    spec: str
    number: int
    section: str
    markdown: str
    source_line: int

    @property
    def test_id(self) -> str:
        section = re.sub(r"\W+", "_", self.section).strip("_")
        return f"{self.spec}-{section}-{self.number}"


def normalize(text: str) -> str:
    # cmark-gfm replaces NUL with U+FFFD while reading; doing it first keeps the byte columns
    # it reports aligned with the lines this module indexes.
    return text.replace("\0", "\ufffd")


def split_lines(text: str) -> list[str]:
    return _LINE_END_RE.split(text)


_FRONT_MATTER_RE = re.compile(
    r"---[ \t]*(?:\r\n|\r|\n)(?:[^\r\n]*(?:\r\n|\r|\n))*?(?:---|\.\.\.)[ \t]*(?=\r|\n|\Z)"
)


def without_front_matter(text: str) -> str:
    """The text with a front matter block (`---` on line 1 to the next `---` or `...` line)
    blanked: GitHub shows it as a table, then renders the rest, which blank lines leave as is.
    """
    start = 1 if text.startswith(BOM) else 0
    m = _FRONT_MATTER_RE.match(text, start)
    if m is None:
        return text
    return text[:start] + "".join(_LINE_END_RE.findall(m.group(0))) + text[m.end() :]


def render_html(text: str) -> str:
    return cmarkgfm.markdown_to_html_with_extensions(
        normalize(text), options=RENDER_OPTIONS, extensions=list(GFM_EXTENSIONS)
    )


def rendered_items(text: str) -> list[RenderedItem]:
    """Every list item cmark-gfm finds, with cmark-gfm's own checkbox verdict, in source order."""
    items = [
        RenderedItem(int(m[1]), int(m[2]), int(m[3]), m[4] is not None, m[5] is not None)
        for m in _LI_RE.finditer(render_html(text))
    ]
    return sorted(items, key=lambda item: (item.line_no, item.byte_col))


def _columns(prefix: bytes) -> int:
    """Virtual column after `prefix`, tabs to the next multiple of 4."""
    col = 0
    for byte in prefix:
        col += TAB_STOP - col % TAB_STOP if byte == 0x09 else 1
    return col


def _padding_ok(line: bytes, end: int) -> bool:
    # Five or more columns of spaces/tabs after the marker make the content indented code
    # (CommonMark 5.2, rule 2), which cmark-gfm never hands to the task-list extension.
    col = start_col = _columns(line[:end])
    for byte in line[end:]:
        if byte == 0x20:
            col += 1
        elif byte == 0x09:
            col += TAB_STOP - col % TAB_STOP
        else:
            break
    return col - start_col < 5


def _task_at(line: bytes, marker_start: int) -> tuple[bool, int] | None:
    """(checked, box offset) when the item whose marker starts here begins with a box."""
    marker = _MARKER_RE.match(line, marker_start)
    if marker is None:
        raise AssertionError(f"no list marker at byte {marker_start} of {line!r}")
    box = _BOX_RE.match(line, marker.end())
    if box is None or not _padding_ok(line, marker.end()):
        return None
    return box[1] in b"xX", box.start(1) - 1


def _cmark_takes_box(line: bytes, marker_start: int) -> bool:
    """Whether cmark-gfm's scanner consumes a box for the item whose marker starts here."""
    scan = _CMARK_SCAN_RE.match(line)
    own_marker = scan is not None and len(line) - len(line.lstrip(b" \t\v\f")) == marker_start
    marker = _MARKER_RE.match(line, marker_start)
    return own_marker and marker is not None and _padding_ok(line, marker.end())


def _tasks(text: str) -> tuple[list[bytes], list[RenderedItem], list[Task], int | None]:
    # GitHub, like cmark-gfm's block parser, ignores a leading BOM; removing it first also keeps
    # cmark-gfm's task scanner, which would see it, from changing the structure it returns.
    text = without_front_matter(normalize(text.removeprefix(BOM)))
    lines = [line.encode("utf-8") for line in split_lines(text)]
    items = rendered_items(text)
    tasks = []
    undecidable_after = None
    for item in items:
        line = lines[item.line_no - 1]
        found = _task_at(line, item.byte_col - 1)
        if found is not None:
            tasks.append(Task(item.line_no, found[0], item.byte_col - 1, found[1]))
        # A box with nothing after it leaves cmark-gfm's item without a paragraph once the
        # scanner consumed it; where the scanner and the spec disagree about the box, cmark-gfm's
        # structure after this line is not the spec's (a later `2.` may start a list or not).
        box_only = re.search(rb"\[[ xX]\][ \t]*\Z", line)
        if (
            box_only
            and undecidable_after is None
            and (found is not None) != _cmark_takes_box(line, item.byte_col - 1)
        ):
            undecidable_after = item.line_no
    return lines, items, tasks, undecidable_after


def task_boxes(text: str) -> list[tuple[int, bool]]:
    """The oracle: sorted (line_no, checked) of every task-list item in `text`.

    An item is a task when, on its marker line, the list marker is followed by spaces or tabs,
    then `[ ]`, `[x]` or `[X]`, then one of space, tab, \\v, \\f, and its content is not
    indented code; `checked` is that box's own character. This is cmark-gfm's rule applied at
    the item's own marker, so unlike cmark-gfm it sees tasks in block quotes, behind another
    list marker on the same line and on a BOM-prefixed first line, and ignores `[x]` elsewhere
    on the line, marker-shaped text on later lines of an item, and boxes after \\v or \\f
    (see cmark_quirks). Past undecidable_after(text) the answer is cmark-gfm's structure, not
    necessarily the spec's.
    """
    return sorted((task.line_no, task.checked) for task in _tasks(text)[2])


def undecidable_after(text: str) -> int | None:
    """The line after which task_boxes(text) cannot be trusted, None when it can be throughout.

    That is the first item that is only a box (`- [ ]`, then spaces at most) on which
    cmark-gfm's scanner and the spec disagree: cmark-gfm drops the paragraph of an item whose box
    it consumed, so a following line that would continue the spec's paragraph starts a block
    in cmark-gfm's tree, or the other way round, and this module can only read cmark-gfm's tree.
    """
    return _tasks(text)[3]


def cmark_task_boxes(text: str) -> list[tuple[int, bool]]:
    """cmark-gfm's own tasklist-extension verdict, by the line where each item starts."""
    items = rendered_items(without_front_matter(text))
    return sorted((it.line_no, it.cmark_checked) for it in items if it.cmark_task)


def cmark_quirks(text: str) -> list[str]:
    """Why cmark-gfm's own checkboxes may differ from task_boxes(text); empty when they cannot.

    cmark-gfm runs its task scanner over the whole physical line from byte 0 (after any BOM is
    skipped, so the scan starts at the BOM) and sets `checked` by searching that whole line for
    `[x]`; and it runs the scanner whenever a line's innermost open container is a list item,
    not only on the item's marker line; its scanner also takes \\v and \\f for spaces before
    the box. Each entry names one line where one of these can matter.
    """
    lines, items, tasks, _ = _tasks(text)
    quirks = []
    for task in tasks:
        line = lines[task.line_no - 1]
        before = line[: task.marker_start]
        if task.line_no == 1 and text.startswith(BOM):
            quirks.append("line 1: BOM before a task item")
        elif before.strip(b" \t"):
            quirks.append(f"line {task.line_no}: task item behind {before.decode()!r}")
        if not task.checked and (b"[x]" in line or b"[X]" in line):
            quirks.append(f"line {task.line_no}: [x] elsewhere on an unchecked task line")
    for item in items:
        if _VF_BOX_RE.match(lines[item.line_no - 1], item.byte_col - 1):
            quirks.append(f"line {item.line_no}: \\v or \\f between list marker and box")
    starts = {(item.line_no, item.byte_col - 1) for item in items}
    for line_no, line in enumerate(lines, 1):
        if _CMARK_SCAN_RE.match(line):
            marker_start = len(line) - len(line.lstrip(b" \t\v\f"))
            inside = any(item.line_no <= line_no <= item.end_line for item in items)
            if inside and (line_no, marker_start) not in starts:
                quirks.append(f"line {line_no}: inside a list item, looks like a task, starts none")
    return quirks


@cache
def spec_examples(spec: str) -> tuple[SpecExample, ...]:
    """The examples of one vendored spec ("gfm" or "commonmark"), numbered as the spec does.

    Examples sit between a line of 32 backticks plus ` example` and a line of 32 backticks,
    Markdown first, then a line holding only `.`, then the HTML; `→` stands for a tab.
    """
    fence = "`" * 32
    examples: list[SpecExample] = []
    section = ""
    markdown: list[str] | None = None
    in_html = False
    start = 0
    text = (DATA_DIR / SPEC_FILES[spec]).read_text(encoding="utf-8")
    for line_no, line in enumerate(text.split("\n"), 1):
        if markdown is None:
            if line.startswith(fence + " example"):
                markdown, in_html, start = [], False, line_no
            elif re.match(r"#{1,6} ", line):
                section = line.lstrip("#").strip()
        elif line == fence:
            source = "".join(markdown).replace("→", "\t")
            examples.append(SpecExample(spec, len(examples) + 1, section, source, start))
            markdown = None
        elif line == ".":
            in_html = True
        elif not in_html:
            markdown.append(line + "\n")
    return tuple(examples)
