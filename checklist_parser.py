"""Read and edit Markdown task lists exactly as GitHub renders them: items, links, annotations.

Pure functions over text (no I/O). Every edit keeps all bytes outside the changed spans.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field, fields, replace
from itertools import islice

# ---------------------------------------------------------------------------
# Data model

BINDING_PREFIX = "checklist-sync:"

NOTE_NOT_PLANNED = "not planned"
NOTE_DUPLICATE = "duplicate"
NOTES = (NOTE_NOT_PLANNED, NOTE_DUPLICATE)


@dataclass(frozen=True)
class IssueRef:
    """A reference to an issue or pull request, as written in the checklist.

    `repo` is "OWNER/REPO" when the reference names its repository (cross-repository
    forms and URLs), None for a plain `#123`. `url` is the link target when one was written.
    """

    number: int
    repo: str | None = None
    url: str | None = None

    def resolve(self, default_repo: str) -> str:
        """The repository this reference points into, "OWNER/REPO"."""
        return self.repo or default_repo

    def key(self, default_repo: str) -> tuple[str, int]:
        return (self.resolve(default_repo).lower(), self.number)


@dataclass(frozen=True)
class ChecklistItem:
    """One task-list item of a document."""

    line_no: int  # 1-based line of the item's box
    checked: bool
    text: str  # the user's text before the link (or all of it when unlinked), stripped
    indent: int  # column of the list marker
    depth: int  # number of enclosing task items
    parent: int | None  # index (in the parse result) of the enclosing task item
    section: tuple[str, ...]  # heading path above the item
    issue: IssueRef | None  # the linked issue
    pr: IssueRef | None  # the tool's PR annotation
    note: str | None  # "not planned" / "duplicate" annotation
    tail: str = ""  # user text after the tool's annotations, stripped
    link_style: str | None = None  # "issue", "file" (the tool's own forms) or "user"
    # The last line of the item's first paragraph: the link goes at its end.
    last_line_no: int = 0
    # Spans inside the line (character offsets, line ending excluded), used by the editor.
    box_col: int = field(default=0, repr=False, compare=False)
    link_span: tuple[int, int] | None = field(default=None, repr=False, compare=False)
    annotation_span: tuple[int, int] | None = field(default=None, repr=False, compare=False)
    text_end: int = field(default=0, repr=False, compare=False)
    # The line the three spans above are on: last_line_no, or line_no for a link that an
    # older version wrote at the end of a wrapped item's first line.
    link_line_no: int = field(default=0, repr=False, compare=False)


_ITEM_FIELDS = tuple(f.name for f in fields(ChecklistItem))


def _item(*values: object) -> ChecklistItem:
    """A ChecklistItem from all its fields in order, without the frozen dataclass's __init__,
    which sets each field through object.__setattr__ (a tenth of a large plan's parse).
    """
    item = object.__new__(ChecklistItem)
    item.__dict__.update(zip(_ITEM_FIELDS, values, strict=True))
    return item


@dataclass(frozen=True)
class Document:
    """A parsed checklist: its items and its binding comment (file mode)."""

    items: list[ChecklistItem]
    binding: str | None  # URL from `<!-- checklist-sync: URL -->`
    binding_line: int | None
    newline: str  # the first line ending, used for inserted lines
    front_matter_end: int = 0  # line of the front matter's closing `---`, 0 when there is none
    title: str | None = None  # the first heading's text (None: no heading has text)


_UNSET: object = object()


@dataclass(frozen=True)
class Edit:
    """A change to one item, keyed by the item's line number in the text being edited.

    Fields left at their default are not changed. `issue` adds a link to an unlinked item
    (an existing link is never rewritten); `pr` and `note` replace the tool's annotations.
    """

    line_no: int
    checked: bool | None = None
    issue: IssueRef | object | None = _UNSET
    pr: IssueRef | object | None = _UNSET
    note: str | object | None = _UNSET


# ---------------------------------------------------------------------------
# Lines

_NEWLINE_RE = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> tuple[list[str], list[str]]:
    """Split into line contents and their endings; lines end only at \\n, \\r\\n or \\r."""
    if "\r" not in text:
        # the usual text, which str.split cuts many times faster than the regex
        parts = text.split("\n")
        ends = ["\n"] * len(parts)
        ends[-1] = ""
        return parts, ends
    parts = _NEWLINE_RE.split(text)
    ends = _NEWLINE_RE.findall(text)
    ends.append("")
    return parts, ends


def first_newline(text: str) -> str:
    match = _NEWLINE_RE.search(text)
    return match.group(0) if match else "\n"


# ---------------------------------------------------------------------------
# Front matter: YAML between a `---` on the first line and the next `---` (or `...`) line, as
# Jekyll and GitHub's file view read it. GitHub shows it as a table, never as Markdown: no
# items, no headings, no binding there.

_FRONT_OPEN_RE = re.compile(r"\ufeff?---[ \t]*\Z")
_FRONT_CLOSE_RE = re.compile(r"(?:---|\.\.\.)[ \t]*\Z")


def _front_matter_lines(lines: list[str]) -> int:
    """How many of the first lines are front matter (its closing line included); 0 for none."""
    if not lines or _FRONT_OPEN_RE.match(lines[0]) is None:
        return 0
    for index in range(1, len(lines)):
        if _FRONT_CLOSE_RE.match(lines[index]):
            return index + 1
    return 0  # never closed: the `---` is a thematic break


def split_front_matter(text: str) -> tuple[str, str]:
    """(front matter with its closing line's ending, the rest); ("", text) when there is none.

    A byte order mark stays with the front matter, as it stays on the first line.
    """
    if not text.startswith(("---", "\ufeff---")):
        return "", text  # the usual plan, without splitting it into lines
    lines = _lines_with_ends(text)
    count = _front_matter_lines([line.rstrip("\r\n") for line in lines])
    if count == 0:
        return "", text
    cut = sum(len(line) for line in lines[:count])
    return text[:cut], text[cut:]


# ---------------------------------------------------------------------------
# Block structure: a line-by-line port of CommonMark's block phase (the part of
# cmark-gfm that decides where list items, code blocks, HTML blocks and headings are).

_DOC, _QUOTE, _ITEM, _PARA, _FENCE, _ICODE, _HTML, _TABLE, _FOOT = range(9)

_SPACES_RE = re.compile(r"[ \t]*")
_MAYBE_SPECIAL = frozenset("#`~*+_=<>-0123456789|:[")
# A footnote definition's start (cmark-gfm's scan_footnote_definition), and a reference to one.
_FOOTNOTE_DEF_RE = re.compile(r"\[\^([^\] \r\n\x00\t]+)\]:")
_FOOTNOTE_REF_RE = re.compile(r"\[\^([^\] \r\n\x00\t]+)\](?!\()")
_ATX_RE = re.compile(r"#{1,6}(?:[ \t]|$)")
_FENCE_OPEN_RE = re.compile(r"`{3,}(?=[^`]*$)|~{3,}")
_FENCE_CLOSE_RE = re.compile(r"(`{3,}|~{3,})[ \t]*$")
_SETEXT_RE = re.compile(r"(?:=+|-+)[ \t]*$")
_BULLET_RE = re.compile(r"[*+-](?=[ \t]|$)")
_ORDERED_RE = re.compile(r"(\d{1,9})[.)](?=[ \t]|$)")
_TASK_RE = re.compile(r"\[([ xX])\][ \t\v\f]")
# A list item (not indented code) that starts with a box; group 1 is an ordered item's number.
_TASK_ITEM_RE = re.compile(r"(?:[*+-]|(\d{1,9})[.)]) {1,4}\[[ xX]\][ \t\v\f]")
# cmark-gfm's spacechar includes \v and \f here
# (possessive: a long run of trailing spaces must not be split between the two runs around
# the optional pipe on every try)
_TABLE_DELIM_RE = re.compile(
    r"\|?[ \t\v\f]*+:?-++:?[ \t\v\f]*+(?:\|[ \t\v\f]*+:?-++:?[ \t\v\f]*+)*+\|?[ \t\v\f]*+$"
)
# cmark-gfm opens at most this many list items per line (its MAX_LIST_DEPTH)
MAX_LIST_STARTS = 100

_HTML_BLOCK_TAGS = (
    "address|article|aside|base|basefont|blockquote|body|caption|center|col|colgroup|dd|"
    "details|dialog|dir|div|dl|dt|fieldset|figcaption|figure|footer|form|frame|frameset|"
    "h1|h2|h3|h4|h5|h6|head|header|hr|html|iframe|legend|li|link|main|menu|menuitem|nav|"
    "noframes|ol|optgroup|option|p|param|section|source|summary|table|tbody|td|tfoot|"
    "th|thead|title|tr|track|ul"
)
_ATTR = (
    r"(?:[ \t]+[A-Za-z_:][A-Za-z0-9_.:-]*"
    r"(?:[ \t]*=[ \t]*(?:[^ \t\"'=<>`]+|'[^']*'|\"[^\"]*\"))?)"
)
_HTML_START = [
    (1, re.compile(r"<(?:script|pre|style|textarea)(?:[ \t>]|$)", re.I)),
    (2, re.compile(r"<!--")),
    (3, re.compile(r"<\?")),
    (4, re.compile(r"<![A-Za-z]")),
    (5, re.compile(r"<!\[CDATA\[")),
    (6, re.compile(r"</?(?:" + _HTML_BLOCK_TAGS + r")(?:[ \t]|/?>|$)", re.I)),
    (
        7,
        re.compile(
            r"(?:<[A-Za-z][A-Za-z0-9-]*" + _ATTR + r"*[ \t]*/?>|</[A-Za-z][A-Za-z0-9-]*[ \t]*>)"
            r"[ \t\f]*$"
        ),
    ),
]
_HTML_END = {
    1: re.compile(r"</(?:script|pre|style|textarea)>", re.I),
    2: re.compile(r"-->"),
    3: re.compile(r"\?>"),
    4: re.compile(r">"),
    5: re.compile(r"\]\]>"),
}
_BINDING_RE = re.compile(r"<!--[ \t]*checklist-sync:[ \t]*(\S+)[ \t]*-->[ \t]*$")


class _Block:
    """An open block. The slots annotated below are set only on blocks of the kind named in
    their comment (by the code that opens one), and read only there.
    """

    __slots__ = (
        "fence_char",
        "fence_length",
        "fence_offset",
        "foot_number",
        "has_child",
        "html_block_type",
        "kind",
        "lines",
        "marker_offset",
        "need",
        "table_visited",
        "task",
    )

    fence_char: str  # _FENCE: "`" or "~"
    fence_length: int  # _FENCE: how many of them opened it (a closer needs at least as many)
    fence_offset: int  # _FENCE: the opener's indentation: up to that much leaves each content line
    html_block_type: int  # _HTML: which of CommonMark's seven start conditions (1-7) opened it
    foot_number: int  # _FOOT: its index in _Footnotes.blocks

    def __init__(self, kind: int, need: int = 0, marker_offset: int = 0) -> None:
        self.kind = kind
        self.need = need  # columns of indentation a continuation line must have (items)
        # _ITEM: columns from the enclosing container's content to the list marker
        self.marker_offset = marker_offset
        self.has_child = False
        self.lines: list[str] | None = None  # paragraph lines (setext headings, tables)
        # index of the task item this list item is, or whose first paragraph this is
        self.task: int | None = None
        # _PARA: a delimiter row under it failed (cmark-gfm tries a paragraph only once)
        self.table_visited = False


def _atx_title(rest: str) -> str:
    """An ATX heading's text: the closing run of `#` goes when a space precedes it."""
    title = rest.strip(" \t")
    bare = title.rstrip("#")
    if bare != title and (not bare or bare[-1] in " \t"):
        title = bare.rstrip(" \t")
    return title


def _thematic_break(line: str, nn: int, ch: str) -> bool:
    """Three or more `ch` from `nn` on, with nothing but spaces and tabs between them.

    Measured from the end of the line, so trying it at each of many nested list markers on
    one line stays linear in the line's length overall.
    """
    return len(line.rstrip(ch + " \t")) <= nn and line.count(ch, nn) >= 3


def _table_cells(row: str) -> int:
    """How many cells cmark-gfm sees in a table row (a lone `|` has none)."""
    row = row.strip(" \t\v\f")
    if row.startswith("|"):
        row = row[1:]
        if not row:
            return 0
    if row.endswith("|") and not row.endswith("\\|"):
        row = row[:-1]
    return len(re.findall(r"(?<!\\)\|", row)) + 1


def _next_nonspace(line: str, pos: int, col: int) -> tuple[int, int]:
    """The first character at or after `pos` that is not a space or tab, and its column."""
    end = _SPACES_RE.match(line, pos).end()  # type: ignore[union-attr]
    if end == pos:
        return pos, col
    if "\t" not in line[pos:end]:
        return end, col + end - pos
    for ch in line[pos:end]:
        col = col + 4 - (col % 4) if ch == "\t" else col + 1
    return end, col


def _advance(line: str, pos: int, col: int, count: int) -> tuple[int, int]:
    """Consume `count` columns of leading whitespace; a tab may be split.

    A split tab leaves `pos` on the tab with `col` inside it, so later column arithmetic
    (which measures a tab up to the next multiple of 4) stays right.
    """
    end = min(pos + count, len(line))
    if "\t" not in line[pos:end]:
        return end, col + end - pos  # no tab to split: one column per character
    length = len(line)
    while count > 0 and pos < length:
        if line[pos] == "\t":
            width = 4 - (col % 4)
            if width > count:
                return pos, col + count
            col += width
            count -= width
        else:
            col += 1
            count -= 1
        pos += 1
    return pos, col


def _open_block(stack: list[_Block], matched: int, block: _Block | None) -> int:
    """Start a block on this line; returns how many blocks are then open (the line is in all).

    A block start closes the blocks this line did not continue, and an open paragraph or
    table: the new block goes into their parent. A heading or thematic break (`block` None)
    closes them too, and leaves nothing open.
    """
    del stack[matched:]
    if stack[-1].kind in (_PARA, _TABLE):  # a leaf: nothing is open inside it
        stack.pop()
    stack[-1].has_child = True
    if block is not None:
        stack.append(block)
    return len(stack)


class _Footnotes:
    """Footnote definitions: GitHub shows one only when the document refers to it, and of two
    with one label only the one that ends first; the task items inside the others are hidden.
    """

    def __init__(self) -> None:
        self.blocks: list[_Block] = []
        self.winner: dict[str, int] = {}  # label -> the definition that counts
        self.markers: set[tuple[int, int]] = set()  # (line index, offset) of each `[^label]:`
        self.literal: set[int] = set()  # lines of code and HTML, where `[^x]` refers to nothing
        self.of_task: list[int | None] = []  # task index -> definition it is in
        self.holds = False  # some task is in a definition

    def open(self, label: str, line_index: int, offset: int, around: list[_Block]) -> _Block:
        """A new definition inside the blocks `around` it."""
        label = label.casefold()
        number = len(self.blocks)
        block = _Block(_FOOT)
        block.foot_number = number
        earlier = self.winner.get(label)
        # cmark-gfm keeps the first definition to be finished: an earlier one still open
        # finishes after this one, which it contains
        if earlier is None or self.blocks[earlier] in around:
            self.winner[label] = number
        self.blocks.append(block)
        self.markers.add((line_index, offset))
        return block

    def hold(self, task: int, foot: _Block | None, parent: int | None) -> None:
        if foot is not None:
            number: int | None = foot.foot_number
        else:
            number = self.of_task[parent] if parent is not None else None
        self.of_task.append(number)
        self.holds = self.holds or number is not None

    def shown(
        self, items: list[ChecklistItem], lines: list[str], start: int
    ) -> list[ChecklistItem]:
        """The items GitHub shows: none inside a definition nothing refers to."""
        referred = set()
        for index in range(start, len(lines)):
            line = lines[index]
            if "[^" not in line or index in self.literal:
                continue
            hidden = _hidden_spans(line) if "`" in line or "<!--" in line else []
            for m in _FOOTNOTE_REF_RE.finditer(line):
                if (index, m.start()) in self.markers:
                    continue
                if any(a <= m.start() < b for a, b in hidden):
                    continue
                referred.add(m.group(1).casefold())
        visible = {number for label, number in self.winner.items() if label in referred}
        keep = [n is None or n in visible for n in self.of_task]
        new_index: dict[int, int] = {}
        out = []
        for index, item in enumerate(items):
            if keep[index]:
                new_index[index] = len(out)
                parent = None if item.parent is None else new_index[item.parent]
                out.append(item if parent == item.parent else replace(item, parent=parent))
        return out


def parse_document(text: str) -> Document:
    """Parse a whole document: task items in order, and the binding comment.

    The per-line loop is cmark-gfm's S_process_line (blocks.c), inline, in its three phases,
    each under a numbered comment in the loop:

    - `# 1. Which open blocks does this line continue?`: check_open_blocks. `matched` counts
      the open blocks (`stack`) the line continues; `container` is the last of them, and
      `all_matched` says whether that was all of them.
    - `# 2. New block starts`: open_new_blocks. Each start opens its block on `stack` (through
      _open_block, which closes the blocks the line did not continue); a task item, heading,
      fence, HTML block, setext underline, thematic break or table row ends the line there.
    - `# 3. The rest of the line`: add_text_to_container: a lazy paragraph continuation, or
      the text of the innermost block, or a new paragraph.

    The locals take cmark's names: `offset` and `column` (the parser's position, tabs expanded
    to multiples of 4), `first_nonspace`, `first_nonspace_column`, `blank`, `indent`,
    `container`, `all_matched`, `current` (the innermost block the previous line left open),
    and a list marker's `padding`, `save_offset` and `save_column`. cmark's `maybe_lazy` is
    `stack[-1].kind == _PARA` here (the top of the stack is a paragraph only until a block
    start on this line closes it), and its `last_matched_container` is `stack[matched - 1]`
    at the end of phase 1. cmark's `goto finished` is `line_done`.
    """
    lines, _ends = split_lines(text)
    items: list[ChecklistItem] = []
    headings: list[tuple[int, str]] = []
    section: tuple[str, ...] = ()
    binding: str | None = None
    binding_line: int | None = None
    doc_title: str | None = None
    stack: list[_Block] = [_Block(_DOC)]
    after_blank = False  # the previous line was blank
    # task index -> (line index, content offset) of each later line of its first paragraph
    wrapped: dict[int, list[tuple[int, int]]] = {}
    feet = _Footnotes() if "[^" in text else None  # footnote definitions, and what they hold
    previous = ""

    def add_task(
        item: _Block, line_index: int, box_col: int, checked: bool, content_start: int
    ) -> None:
        # `item` has just been opened, at the top of the stack; its parent is the innermost
        # enclosing task item
        parent = None
        task_depth = 0
        foot = None
        for block in reversed(stack):  # the new item itself is no task yet
            if block.kind == _ITEM and block.task is not None:
                parent = block.task
                task_depth = items[parent].depth + 1
                break
            if feet is not None and block.kind == _FOOT:
                # GitHub moves a footnote to the end of the document, out of any item
                foot = block
                break
        item.task = len(items)
        if feet is not None:
            feet.hold(item.task, foot, parent)
        items.append(
            _describe_item(
                lines[line_index],
                line_index + 1,
                box_col,
                item.marker_offset,
                task_depth,
                checked,
                section,
                parent,
                content_start,
            )
        )

    def set_heading(level: int, title: str) -> tuple[str, ...]:
        nonlocal doc_title
        if doc_title is None and title:
            doc_title = title  # an empty heading (`#`) titles nothing
        while headings and headings[-1][0] >= level:
            headings.pop()
        headings.append((level, title))
        return tuple(h[1] for h in headings)

    front_lines = _front_matter_lines(lines)
    for line_index, line in enumerate(islice(lines, front_lines, None), front_lines):
        bom = 1 if line_index == 0 and line.startswith("\ufeff") else 0
        if bom:
            line = line[1:]  # GitHub ignores a byte order mark; offsets below add it back
        length = len(line)
        offset = 0  # character offset
        column = 0  # column, tabs expanded to multiples of 4
        # The first character at or after `offset` that is not a space or tab, and its column.
        # Consuming whitespace never passes it, and a column does not depend on where the
        # search began, so it is looked for again only after a `>` or list marker.
        first_nonspace = length - len(line.lstrip(" \t"))
        first_nonspace_column = (
            first_nonspace if "\t" not in line[:first_nonspace] else _next_nonspace(line, 0, 0)[1]
        )
        blank = first_nonspace >= length
        if blank:
            # A blank line closes every block that a blank line does not continue, so the
            # blocks left open all continue the next one: a run of blank lines costs one
            # walk of the open blocks, not one per line (that was blank lines x depth).
            # (A footnote definition tells an empty line from one of spaces: same lines only.)
            if after_blank and (feet is None or line == previous):
                continue
            after_blank = True
            previous = line
        else:
            after_blank = False

        # 1. Which open blocks does this line continue?
        matched = 1
        depth = len(stack)
        line_done = False
        while matched < depth:
            block = stack[matched]
            kind = block.kind
            if kind == _ITEM:
                if blank:
                    if not block.has_child:
                        break
                    offset, column = first_nonspace, first_nonspace_column
                elif first_nonspace_column - column >= block.need:
                    if first_nonspace_column - column == first_nonspace - offset:
                        # one column per character up to first_nonspace: no tab to split
                        offset += block.need
                        column += block.need
                    else:
                        offset, column = _advance(line, offset, column, block.need)
                else:
                    break
            elif kind in (_PARA, _TABLE):
                if blank:
                    break
            elif kind == _QUOTE:
                if (
                    first_nonspace_column - column <= 3
                    and not blank
                    and line[first_nonspace] == ">"
                ):
                    offset, column = first_nonspace + 1, first_nonspace_column + 1
                    if offset < length and line[offset] in " \t":
                        offset, column = _advance(line, offset, column, 1)
                    first_nonspace, first_nonspace_column = _next_nonspace(line, offset, column)
                    blank = first_nonspace >= length
                else:
                    break
            elif kind == _FENCE:
                fence_char = block.fence_char
                if (
                    first_nonspace_column - column <= 3
                    and not blank
                    and line[first_nonspace] == fence_char
                ):
                    m = _FENCE_CLOSE_RE.match(line, first_nonspace)
                    if m and m.group(1)[0] == fence_char and len(m.group(1)) >= block.fence_length:
                        del stack[matched:]
                        line_done = True
                        if feet is not None:
                            feet.literal.add(line_index)
                        break
                skip = block.fence_offset
                while skip > 0 and offset < length and line[offset] in " \t":
                    offset, column = _advance(line, offset, column, 1)
                    skip -= 1
            elif kind == _ICODE:
                if first_nonspace_column - column >= 4:
                    offset, column = _advance(line, offset, column, 4)
                elif blank:
                    offset, column = first_nonspace, first_nonspace_column
                else:
                    break
            elif kind == _HTML and blank and block.html_block_type in (6, 7):
                break
            elif kind == _FOOT:
                # cmark-gfm: four columns of indentation, or a line with nothing on it at all
                if first_nonspace_column - column >= 4:
                    offset, column = _advance(line, offset, column, 4)
                elif line:
                    break
            matched += 1
        if line_done:
            continue

        all_matched = matched == depth
        container = stack[matched - 1]
        opened = False  # a block start happened on this line (unmatched blocks are closed)
        new_item: _Block | None = None

        # 2. New block starts (containers repeat; a leaf ends the search).
        starts = 0
        while container.kind not in (_FENCE, _ICODE, _HTML):
            starts += 1
            indent = first_nonspace_column - column
            if indent >= 4:
                # not even a lazy paragraph line can become indented code (cmark's maybe_lazy)
                if not blank and stack[-1].kind != _PARA:
                    offset, column = _advance(line, offset, column, 4)
                    matched = _open_block(stack, matched, _Block(_ICODE))
                    opened = True
                break
            if blank:
                break
            ch = line[first_nonspace]
            if ch not in _MAYBE_SPECIAL:
                break
            # The commonest line of a checklist, a task item, in one step: its marker and box
            # rule out every other block start (a heading, fence, HTML block, setext underline
            # or thematic break needs other characters there), and the box a nested one.
            m = _TASK_ITEM_RE.match(line, first_nonspace) if starts < MAX_LIST_STARTS else None
            if m is not None and not (
                # as below: only a 1 starts an ordered list that interrupts a paragraph
                container.kind == _PARA and not opened and m.group(1) not in (None, "1")
            ):
                box = m.end() - 4  # the box and the whitespace after it
                item = _Block(_ITEM, indent + box - first_nonspace, indent)
                _open_block(stack, matched, item)
                add_task(item, line_index, box + bom, line[box + 1] != " ", box + 4 + bom)
                if len(line.rstrip(" \t")) > box + 3:  # more than the box: a paragraph
                    para = _Block(_PARA)
                    para.lines = [line[box:]]
                    para.task = item.task
                    item.has_child = True
                    stack.append(para)
                line_done = True
                break
            if ch == ">":
                offset, column = first_nonspace + 1, first_nonspace_column + 1
                if offset < length and line[offset] in " \t":
                    offset, column = _advance(line, offset, column, 1)
                first_nonspace, first_nonspace_column = _next_nonspace(line, offset, column)
                blank = first_nonspace >= length
                container = _Block(_QUOTE)
                matched = _open_block(stack, matched, container)
                opened = True
                continue
            if ch == "#" and _ATX_RE.match(line, first_nonspace):
                _open_block(stack, matched, None)
                m = re.match(r"#+", line[first_nonspace:])
                level = len(m.group(0)) if m else 1
                title = _atx_title(line[first_nonspace + level :])
                section = set_heading(level, title)
                line_done = True
                break
            if ch in "`~":
                m = _FENCE_OPEN_RE.match(line, first_nonspace)
                if m:
                    fence = _Block(_FENCE)
                    fence.fence_char = ch
                    fence.fence_length = len(m.group(0))
                    fence.fence_offset = indent
                    _open_block(stack, matched, fence)
                    line_done = True
                    if feet is not None:
                        feet.literal.add(line_index)
                    break
            if ch == "<":
                html_type = 0
                for kind, regex in _HTML_START:
                    if regex.match(line, first_nonspace):
                        html_type = kind
                        break
                if html_type == 7 and container.kind == _PARA:
                    # cmark looks at the matched container only, so a lazy line can start one
                    html_type = 0
                if html_type:
                    # the binding stands at the top level, where a comment may also end a
                    # paragraph (`Owner: QA team` on the line above it)
                    top = matched - (container.kind in (_PARA, _TABLE)) == 1
                    if top and binding is None and html_type == 2:
                        m = _BINDING_RE.match(line, first_nonspace)
                        if m:
                            binding = m.group(1)
                            binding_line = line_index + 1
                    html = _Block(_HTML)
                    html.html_block_type = html_type
                    _open_block(stack, matched, html)
                    if feet is not None:
                        feet.literal.add(line_index)
                    end = _HTML_END.get(html_type)
                    if end and end.search(line, first_nonspace):
                        stack.pop()
                    line_done = True
                    break
            if (
                ch in "=-"
                and container.kind == _PARA
                and all_matched
                and not opened
                and _SETEXT_RE.match(line, first_nonspace)
            ):
                para = stack.pop()
                level = 1 if ch == "=" else 2
                section = set_heading(level, " ".join(para.lines or ()).strip())
                line_done = True
                break
            if ch in "*-_" and _thematic_break(line, first_nonspace, ch):
                _open_block(stack, matched, None)
                line_done = True
                break
            if ch == "[" and feet is not None and starts < MAX_LIST_STARTS:
                m = _FOOTNOTE_DEF_RE.match(line, first_nonspace)
                if m is not None:
                    container = feet.open(
                        m.group(1), line_index, first_nonspace + bom, stack[:matched]
                    )
                    first_nonspace, first_nonspace_column = _next_nonspace(
                        line, m.end(), first_nonspace_column + m.end() - first_nonspace
                    )
                    offset, column = first_nonspace, first_nonspace_column
                    blank = first_nonspace >= length
                    matched = _open_block(stack, matched, container)
                    opened = True
                    continue
            # list item
            m = (
                _BULLET_RE.match(line, first_nonspace)
                if ch in "*+-" and starts < MAX_LIST_STARTS
                else None
            )
            if m is None and ch.isdigit() and starts < MAX_LIST_STARTS:
                m = _ORDERED_RE.match(line, first_nonspace)
                if m and container.kind == _PARA and not opened and m.group(1) != "1":
                    m = None
            if m is not None:
                marker_end = m.end()
                rest_nonspace, rest_nonspace_column = _next_nonspace(
                    line, marker_end, first_nonspace_column + marker_end - first_nonspace
                )
                rest_blank = rest_nonspace >= length
                if rest_blank and container.kind == _PARA and all_matched and not opened:
                    m = None
                else:
                    marker_width = marker_end - first_nonspace
                    save_offset, save_column = marker_end, first_nonspace_column + marker_width
                    spaces = rest_nonspace_column - save_column
                    if rest_blank:
                        padding = marker_width + 1
                        offset, column = rest_nonspace, rest_nonspace_column
                    elif spaces >= 5:
                        padding = marker_width + 1
                        offset, column = _advance(line, save_offset, save_column, 1)
                    else:
                        padding = marker_width + spaces
                        offset, column = rest_nonspace, rest_nonspace_column
                    first_nonspace, first_nonspace_column, blank = (
                        rest_nonspace,
                        rest_nonspace_column,
                        rest_blank,
                    )
                    container = new_item = _Block(_ITEM, indent + padding, indent)
                    matched = _open_block(stack, matched, container)
                    opened = True
                    continue
            # GFM table: a paragraph's last line followed by a delimiter row
            if (
                container.kind == _PARA
                and all_matched
                and not opened
                and ch in "|-:"
                and not container.table_visited
                and _TABLE_DELIM_RE.match(line, first_nonspace)
                and container.lines
            ):
                if _table_cells(container.lines[-1]) == _table_cells(line[first_nonspace:]):
                    container.kind = _TABLE
                    if container.task is not None and wrapped.get(container.task):
                        wrapped[container.task].pop()  # the header row is no paragraph
                    line_done = True
                    break
                container.table_visited = True  # cmark-gfm tries a paragraph only once
            break

        if line_done:
            continue

        # 3. The rest of the line: lazy continuation, a leaf's content, or a new paragraph.
        current = stack[-1]
        if not opened and not all_matched and not blank and current.kind == _PARA:
            current.lines.append(line[first_nonspace:])  # type: ignore[union-attr]
            if current.task is not None:
                wrapped.setdefault(current.task, []).append((line_index, first_nonspace))
            continue
        if not opened:
            del stack[matched:]
        container = stack[-1]
        kind = container.kind
        if feet is not None and kind in (_HTML, _FENCE, _ICODE):
            feet.literal.add(line_index)
        if kind == _HTML:
            end = _HTML_END.get(container.html_block_type)
            if end and end.search(line, offset):
                stack.pop()
        elif kind in (_FENCE, _ICODE, _TABLE) or blank:
            pass
        elif kind == _PARA:
            container.lines.append(line[first_nonspace:])  # type: ignore[union-attr]
            if container.task is not None:
                wrapped.setdefault(container.task, []).append((line_index, first_nonspace))
        else:
            task = None
            if new_item is not None and container is new_item:
                m = _TASK_RE.match(line, first_nonspace)
                if m is not None:
                    add_task(
                        new_item, line_index, first_nonspace + bom, m.group(1) != " ", m.end() + bom
                    )
                    if len(line.rstrip(" \t")) <= first_nonspace + 3:
                        continue  # only the box: cmark-gfm opens no paragraph for it
                    task = new_item.task
            para = _Block(_PARA)
            para.lines = [line[first_nonspace:]]
            para.task = task
            stack[-1].has_child = True
            stack.append(para)

    for task, rest in wrapped.items():
        if rest:
            items[task] = _describe_wrapped(items[task], lines, rest)
    if feet is not None and feet.holds:
        items = feet.shown(items, lines, front_lines)
    return Document(items, binding, binding_line, first_newline(text), front_lines, doc_title)


def parse_checklist(text: str) -> list[ChecklistItem]:
    """The task items of a Markdown document, in document order."""
    return parse_document(text).items


# ---------------------------------------------------------------------------
# Links and annotations inside an item's text

# Every pattern here is linear in the line length: quantifiers that could hand characters back
# to a neighbour are possessive or bounded, searches start only after whitespace, and the tool's
# annotations are matched only at known offsets, never searched for. A 100,000-character line
# of brackets, spaces or URL prefixes must cost microseconds per character, not seconds.

# At most 10 digits (GitHub numbers are 32-bit, and int() refuses over 4,300 digits), and never
# followed by a word character, so `#12` is not read out of `#123` or `#12a`.
_NUM = r"\d{1,10}(?!\w)"
_REPO = r"[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}"
# an issue's URL: a pull request's counts only in the tool's own form `([#N](URL))`, which
# reads the same as `(#N)` in an issue body (an item may track a pull request on purpose)
_ISSUE_URL = rf"https?://[^\s/()<>\[\]]++/{_REPO}/issues/{_NUM}(?!/)"
_CLOSING_WORD = r"(?i:close[sd]?|fix(?:e[sd])?|resolve[sd]?)"

# The tool's own link forms: `(#123)` in an issue body, `([#123](URL))` in a file.
_TOOL_LINK_RE = re.compile(
    rf"(?<!\S)\((?:(?P<label>(?:{_REPO})?#{_NUM})"
    rf"|\[(?P<flabel>(?:{_REPO})?#{_NUM})\]\((?P<url>[^\s()]++)\))\)"
)
# What else a user may write as the link, and a bare `#123` only as the whole text. A Markdown
# link counts when its text is a reference (`[#12](URL)`, or a URL): `[Sample PR](URL)` is prose.
_USER_FORMS = (
    rf"{_CLOSING_WORD}:?[ \t]++(?:{_ISSUE_URL}|(?:{_REPO})?#{_NUM})"
    rf"|{_REPO}#{_NUM}|<{_ISSUE_URL}>|{_ISSUE_URL}"
    rf"|\[(?:(?:{_REPO})?#{_NUM}|{_ISSUE_URL})\]\({_ISSUE_URL}\)"
)
_USER_LINK_RE = re.compile(rf"(?<!\S)(?:\((?:{_USER_FORMS})\)|{_USER_FORMS}|(?P<bare>#{_NUM}))")
_ANNOTATION_RE = re.compile(
    rf"[ \t]++\((?:PR (?P<prepo>{_REPO})?#(?P<pnum>{_NUM})"
    rf"|\[PR (?P<fprepo>{_REPO})?#(?P<fpnum>{_NUM})\]\((?P<purl>[^\s()]++)\)"
    r"|(?P<note>not planned|duplicate))\)"
)
_URL_PARTS_RE = re.compile(rf"(https?://[^\s/()<>\[\]]++/({_REPO})/(?:issues|pull)/({_NUM}))")
_REF_PARTS_RE = re.compile(rf"(?<![\w/])(?:({_REPO}))?#({_NUM})")
_NOTE_START_RE = re.compile(r"\((?:\[?PR |not planned\)|duplicate\))")
# What GitHub renders as no link at all: code spans and HTML comments.
_HIDING_RE = re.compile(r"`++|<!--")


def _read_ref(written: str, url: str | None = None) -> IssueRef:
    """The reference a matched link names: a URL's repository and number, else `REPO#N`."""
    urls = _URL_PARTS_RE.findall(url or written)
    if urls:
        # the last URL is the target: the label of a Markdown link may hold another
        whole, repo, number = urls[-1]
        return IssueRef(int(number), repo, url or whole)
    m = _REF_PARTS_RE.search(written)
    assert m is not None  # every link pattern contains one
    return IssueRef(int(m.group(2)), m.group(1), url)


def _read_annotations(body: str, pos: int) -> tuple[int, IssueRef | None, str | None]:
    """The run of the tool's annotations starting at `pos`: its end, the PR and the note."""
    pr: IssueRef | None = None
    note: str | None = None
    while m := _ANNOTATION_RE.match(body, pos):
        if m.group("pnum"):
            pr = IssueRef(int(m.group("pnum")), m.group("prepo"))
        elif m.group("fpnum"):
            pr = IssueRef(int(m.group("fpnum")), m.group("fprepo"), m.group("purl"))
        else:
            note = m.group("note")
        pos = m.end()
    return pos, pr, note


def _hidden_spans(body: str) -> list[tuple[int, int]]:
    """The code spans and HTML comments of one line, left to right as CommonMark finds them.

    A backtick run opens a code span closed by the next run of the same length; without one it
    is literal. Both searches remember what they found, so the line is scanned once.
    """
    if "<!--" not in body and body.count("`") == 2:
        # the usual case, one code span of single backticks (or an empty run: no span)
        start = body.find("`")
        end = body.find("`", start + 1) + 1
        return [(start, end)] if end > start + 2 else []
    runs = [(m.start(), m.end()) for m in _HIDING_RE.finditer(body)]
    closer: list[int | None] = [None] * len(runs)  # the next run of the same length
    last: dict[int, int] = {}
    for index in range(len(runs) - 1, -1, -1):
        start, end = runs[index]
        if body[start] == "`":
            closer[index] = last.get(end - start)
            last[end - start] = index
    spans = []
    done = 0  # everything before this offset is decided
    comment_end = -2  # the last `-->` found (-1: none after it)
    for index, (start, _end) in enumerate(runs):
        if start < done:
            continue
        if body[start] == "`":
            close = closer[index]
            if close is not None:
                done = runs[close][1]
                spans.append((start, done))
            continue
        if comment_end != -1 and comment_end < start + 2:
            comment_end = body.find("-->", start + 2)
        if comment_end != -1:
            done = comment_end + 3
            spans.append((start, done))
    return spans


_BR_RE = re.compile(r"<br[ \t]*/?>", re.I)
_WHITESPACE_RE = re.compile(r"\s+")


def visible_text(text: str) -> str:
    """What a reader sees of inline item text, for a title: HTML comments dropped, `<br>` a
    space, whitespace folded; code spans exactly as written.
    """
    spans = _hidden_spans(text) if "`" in text or "<!--" in text else []
    pieces: list[str] = []  # plain text and code spans, alternately (plain first and last)
    plain = ""
    done = 0
    for start, end in spans:
        plain += text[done:start]
        if text.startswith("`", start):
            pieces += [plain, text[start:end]]
            plain = ""
        done = end  # a comment: dropped, the text around it joins
    pieces.append(plain + text[done:])
    for index in range(0, len(pieces), 2):
        pieces[index] = _WHITESPACE_RE.sub(" ", _BR_RE.sub(" ", pieces[index]))
    pieces[0] = pieces[0].lstrip(" ")
    pieces[-1] = pieces[-1].rstrip(" ")
    return "".join(pieces)


def _find_link(
    body: str, whole: bool = True
) -> tuple[re.Match[str], str, int, IssueRef | None, str | None] | None:
    """The item's link, its style, and the annotations after it (their end, PR, note).

    The link is a link form right before the tool's annotations (the first such one: text
    after the annotations is the user's), else one that ends the line: a reference inside the
    sentence is prose. `whole`: the line is all of the item's text, where a bare `#123` may
    stand alone. Nothing inside a code span or an HTML comment is a link.
    """
    if "#" not in body and "://" not in body:
        return None  # most items: every link form holds one or the other
    hidden = _hidden_spans(body) if "`" in body or "<!--" in body else []
    m = _TOOL_LINK_RE.search(body)
    if m is not None and (not hidden or hidden[-1][1] <= m.start()):
        # the usual linked item: the tool's link, then its annotations or nothing; no user
        # form can be annotated earlier when no annotation stands before it
        start, link_end = m.span()
        end, pr, note = _read_annotations(body, link_end)
        if (end == len(body) or end > link_end) and (
            body.find("(", 0, start) < 0 or not _NOTE_START_RE.search(body, 0, start)
        ):
            return m, "issue" if m.group("label") else "file", end, pr, note
    hidden_starts = [start for start, _ in hidden]
    first_char = len(body) - len(body.lstrip())
    # without an annotation anywhere only a link that ends the line can count
    notes = "(PR " in body or "([PR " in body or "(not planned)" in body or "(duplicate)" in body
    annotated = at_end = None
    for regex, tool in ((_TOOL_LINK_RE, True), (_USER_LINK_RE, False)):
        if at_end is not None and not notes:
            break  # the tool's form ends the line: a user form there starts no earlier
        for m in regex.finditer(body):
            if annotated is not None and m.start() >= annotated[0].start():
                break  # (the tool's form wins over a user form read at the same offset)
            if not tool and m.group("bare") and (not whole or m.start() != first_char):
                continue  # "regression for bug #45": a reference inside the text is content
            inside = bisect_right(hidden_starts, m.start()) - 1
            if inside >= 0 and m.start() < hidden[inside][1]:
                continue
            end, pr, note = _read_annotations(body, m.end())
            style = ("issue" if m.group("label") else "file") if tool else "user"
            if end > m.end():
                annotated = (m, style, end, pr, note)
                break  # the first of this form; one of the other form may come earlier
            if end == len(body) and at_end is None:
                at_end = (m, style, end, pr, note)
    return annotated or at_end


_Read = tuple[
    str,  # the text before the link
    IssueRef | None,  # the link
    IssueRef | None,  # the PR annotation
    str | None,  # the note
    str,  # text after the annotations
    str | None,  # the link's style
    tuple[int, int] | None,  # the link's span
    tuple[int, int] | None,  # the annotations' span
    int,  # where the text before the link ends
]


def _read_body(body: str, whole: bool) -> _Read:
    """What one line's content says, offsets within `body`; `whole`: it is the item's only line."""
    found = _find_link(body, whole)
    if found is None:
        return body.strip(), None, None, None, "", None, None, None, len(body)
    m, style, ann_end, pr, note = found
    if style == "file":
        issue = _read_ref(m.group("flabel"), m.group("url"))
    else:
        issue = _read_ref(m.group(0))
    before = body[: m.start()]
    return (
        before.strip(),
        issue,
        pr,
        note,
        body[ann_end:].strip(),
        style,
        (m.start(), m.end()),
        (m.end(), ann_end),
        len(before.rstrip(" \t")),
    )


def _shift(span: tuple[int, int] | None, by: int) -> tuple[int, int] | None:
    return None if span is None else (span[0] + by, span[1] + by)


def _describe_item(
    line: str,
    line_no: int,
    box_col: int,
    indent: int,
    depth: int,
    checked: bool,
    section: tuple[str, ...],
    parent: int | None,
    content_start: int,
) -> ChecklistItem:
    body = line[content_start:].rstrip(" \t\v\f")
    # most items hold no `#` or `://`, so no link form can be there
    found = _find_link(body, True) if "#" in body or "://" in body else None
    if found is None:
        unlinked = (None, None, None, "", None, line_no, box_col, None, None)
        text_end = content_start + len(body)
        return _item(
            line_no, checked, body.strip(), indent, depth, parent, section, *unlinked, text_end,
            line_no
        )  # fmt: skip
    m, style, ann_end, pr, note = found
    if style == "file":
        issue = _read_ref(m.group("flabel"), m.group("url"))
    else:
        issue = _read_ref(m.group(0))
    start = m.start()
    before = body[:start]
    return _item(
        line_no,
        checked,
        before.strip(),
        indent,
        depth,
        parent,
        section,
        issue,
        pr,
        note,
        body[ann_end:].strip(),
        style,
        line_no,
        box_col,
        (content_start + start, content_start + m.end()),
        (content_start + m.end(), content_start + ann_end),
        content_start + len(before.rstrip(" \t")),
        line_no,
    )


def _soft_break(part: str) -> str:
    """A paragraph line as GitHub joins it to the next: trimmed, a hard break's `\\` dropped."""
    part = part.strip()
    if (len(part) - len(part.rstrip("\\"))) % 2:
        part = part[:-1].rstrip()
    return part


def _describe_wrapped(
    item: ChecklistItem, lines: list[str], rest: list[tuple[int, int]]
) -> ChecklistItem:
    """An item whose first paragraph goes on over `rest` (line index, content offset): its text
    is the whole paragraph, one space for each line break, and its link ends the last line."""
    last_index, start = rest[-1]
    body = lines[last_index][start:].rstrip(" \t\v\f")
    text, issue, pr, note, tail, style, link, notes, end = _read_body(body, False)
    if issue is None and item.link_style in STYLES:
        # the tool's link where an older version wrote it, at the end of the first line: read
        # there, never moved (the rest of the paragraph is text after it)
        later = " ".join(_soft_break(lines[i][offset:]) for i, offset in rest)
        tail = " ".join(part for part in (item.tail, later) if part)
        return replace(item, last_line_no=last_index + 1, link_line_no=item.line_no, tail=tail)
    first = lines[item.line_no - 1][item.box_col + 4 :]
    head = [_soft_break(first), *(_soft_break(lines[i][offset:]) for i, offset in rest[:-1])]
    # built field by field: dataclasses.replace costs more than the rest of the parse of it
    return _item(
        item.line_no,
        item.checked,
        " ".join(part for part in (*head, text) if part),
        item.indent,
        item.depth,
        item.parent,
        item.section,
        issue,
        pr,
        note,
        tail,
        style,
        last_index + 1,
        item.box_col,
        _shift(link, start),
        _shift(notes, start),
        start + end,
        last_index + 1,
    )


# ---------------------------------------------------------------------------
# Writing: links, annotations, boxes, the binding comment

STYLES = ("issue", "file")


def format_ref(ref: IssueRef, style: str, *, prefix: str = "") -> str:
    """A reference as the tool writes it: `#12` in an issue body, `[#12](URL)` in a file."""
    label = f"{prefix}{ref.repo or ''}#{ref.number}"
    if style == "file" and ref.url:
        return f"[{label}]({ref.url})"
    return label


def format_link(ref: IssueRef, style: str) -> str:
    return f"({format_ref(ref, style)})"


def format_annotations(pr: IssueRef | None, note: str | None, style: str) -> str:
    out = ""
    if pr is not None:
        out += f" ({format_ref(pr, style, prefix='PR ')})"
    if note is not None:
        out += f" ({note})"
    return out


def _merge(first: Edit, second: Edit) -> Edit:
    """One edit doing what `first` then `second` do to the same line."""
    return Edit(
        first.line_no,
        first.checked if second.checked is None else second.checked,
        # a link is only ever added, so the first one given is the one written
        second.issue if not isinstance(first.issue, IssueRef) else first.issue,
        first.pr if second.pr is _UNSET else second.pr,
        first.note if second.note is _UNSET else second.note,
    )


def _edit_link(line: str, item: ChecklistItem, edit: Edit, style: str) -> str:
    """The line holding the item's link (or where it goes) with the link and annotations set."""
    pr = item.pr if edit.pr is _UNSET else edit.pr
    note = item.note if edit.note is _UNSET else edit.note
    if item.link_span is None and isinstance(edit.issue, IssueRef):
        at = item.text_end
        # no text: right after the box's space (which a wrapped item's last line lacks)
        sep = "" if at > 0 and line[at - 1] in " \t\v\f" else " "
        annotations = format_annotations(pr, note, style)  # type: ignore[arg-type]
        return f"{line[:at]}{sep}{format_link(edit.issue, style)}{annotations}{line[at:]}"
    if item.annotation_span is None or (pr, note) == (item.pr, item.note):
        return line
    start, end = item.annotation_span
    annotations = format_annotations(pr, note, style)  # type: ignore[arg-type]
    rest = line[end:]
    tail = rest.rstrip(" \t\v\f")
    if not annotations and tail and item.link_style in STYLES and item.link_span is not None:
        # Without annotations, the user's text after them would follow the link, which then
        # reads as a reference inside the sentence: the tool's own link moves to the end.
        link_start, link_end = item.link_span
        link, text = line[link_start:link_end], tail.lstrip(" \t")
        return f"{line[:link_start]}{text} {link}{rest[len(tail) :]}"
    return f"{line[:start]}{annotations}{line[end:]}"


# Line breaks str.splitlines() honours that Markdown does not (it splits only at \n, \r\n, \r).
_OTHER_BREAKS_RE = re.compile("[\v\f\x1c\x1d\x1e\x85\u2028\u2029]")


def _lines_with_ends(text: str) -> list[str]:
    if _OTHER_BREAKS_RE.search(text) is None:
        return text.splitlines(keepends=True)  # the fast path: a C loop, one list
    parts, ends = split_lines(text)
    return [part + end for part, end in zip(parts, ends, strict=True)]


def apply_edits(
    text: str,
    edits: list[Edit],
    *,
    style: str = "issue",
    items: list[ChecklistItem] | None = None,
) -> str:
    """Apply item edits to `text`; every byte outside the edited spans is kept.

    `style` is "issue" (links as `(#12)`) or "file" (links as `([#12](URL))`). Several edits of
    one line apply in order. `items` are `text`'s items when the caller already parsed it (at
    least those of the edited lines, as parsed from those very lines): no second parse. Raises
    ValueError for a line that holds no item, an unknown style or an unknown note.
    """
    if style not in STYLES:
        raise ValueError(f"unknown link style {style!r}: expected one of {STYLES}")
    if not edits:
        return text
    merged: dict[int, Edit] = {}
    for edit in edits:
        if edit.note is not _UNSET and edit.note is not None and edit.note not in NOTES:
            raise ValueError(f"unknown note {edit.note!r}: expected one of {NOTES}")
        earlier = merged.get(edit.line_no)
        merged[edit.line_no] = edit if earlier is None else _merge(earlier, edit)
    by_line = {item.line_no: item for item in (parse_checklist(text) if items is None else items)}
    lines = _lines_with_ends(text)
    for line_no, edit in merged.items():
        item = by_line.get(line_no)
        if item is None:
            raise ValueError(f"line {line_no} holds no checklist item")
        line = lines[line_no - 1]
        content = line.rstrip("\r\n")  # only the ending can hold these characters
        ending = line[len(content) :]
        if edit.issue is _UNSET and edit.pr is _UNSET and edit.note is _UNSET:
            pass  # the box alone: the commonest edit
        elif item.link_line_no != line_no:  # a wrapped item: the link is on another line
            link_line = lines[item.link_line_no - 1]
            link_content = link_line.rstrip("\r\n")
            edited = _edit_link(link_content, item, edit, style)
            lines[item.link_line_no - 1] = edited + link_line[len(link_content) :]
        else:
            content = _edit_link(content, item, edit, style)
        box = item.box_col + 1  # the box, inline: the loop runs once per item of the plan
        mark = content[box]
        if edit.checked is True and mark == " ":
            mark = "x"  # an existing "X" stays as the user wrote it
        elif edit.checked is False:
            mark = " "
        lines[line_no - 1] = f"{content[:box]}{mark}{content[box + 1 :]}{ending}"
    return "".join(lines)


def binding_line_text(url: str) -> str:
    return f"<!-- {BINDING_PREFIX} {url} -->"


def set_binding(text: str, url: str) -> str:
    """Write (or replace) the file's binding comment; a new one goes on the first line, or on
    the line right after the front matter (above it, GitHub would no longer see front matter).
    """
    doc = parse_document(text)
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    if doc.binding_line is None and doc.front_matter_end:
        front, rest = split_front_matter(text)
        if front.endswith(("\n", "\r")):
            return front + binding_line_text(url) + doc.newline + rest
        return front + doc.newline + binding_line_text(url)  # the front matter ends the file
    if doc.binding_line is None:
        return bom + binding_line_text(url) + doc.newline + text[len(bom) :]
    lines = _lines_with_ends(text)
    index = doc.binding_line - 1
    old = lines[index]
    content = old.rstrip("\r\n")
    lead = bom if index == 0 else ""
    lines[index] = lead + binding_line_text(url) + old[len(content) :]
    return "".join(lines)


def strip_binding(text: str) -> str:
    """The document without its binding comment line (what the master issue shows)."""
    doc = parse_document(text)
    if doc.binding_line is None:
        return text
    lines = _lines_with_ends(text)
    index = doc.binding_line - 1
    bom = "\ufeff" if index == 0 and text.startswith("\ufeff") else ""
    removed = lines.pop(index)
    if index == len(lines) and index == doc.front_matter_end and removed == removed.rstrip("\r\n"):
        # set_binding gave front matter that ended the file a line ending: it goes too
        lines[-1] = lines[-1].rstrip("\r\n")
    return bom + "".join(lines)
