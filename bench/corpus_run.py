"""Run the parser and generate's title planning over the real plans in ../shared/corpus, offline.

`python bench/corpus_run.py [DIR] > out.txt` reports per file and in total; `--diff A B` lists
the items whose text or link differ between two saved runs. Skips when the corpus is absent.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import checklist_parser as cp
import generate_issues as gi

DEFAULT_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "real-plans"
COLUMNS = ("items", "checked", "linked", "would_create", "skipped", "titles")

# A line that would continue the item's paragraph rather than start a block (a heuristic for
# parsers that do not say where an item's paragraph ends).
_BLOCK_START_RE = re.compile(r"[ \t]*(?:$|[-*+][ \t]|\d{1,9}[.)][ \t]|#|>|```|~~~|<|\|)")
_REF_IN_TEXT_RE = re.compile(r"(?<![\w&/])#\d+\b|https?://\S+/(?:issues|pull)/\d+")


def _link(item: cp.ChecklistItem) -> str:
    if item.issue is None:
        return "-"
    ref = item.issue
    return f"{ref.repo or ''}#{ref.number}{' ' + ref.url if ref.url else ''} [{item.link_style}]"


def _surprises(item: cp.ChecklistItem, lines: list[str]) -> list[str]:
    """What a reader of the plan might not expect the tool to make of this item."""
    found = []
    last = getattr(item, "last_line_no", item.line_no)
    if last > item.line_no:
        found.append(f"wrapped over lines {item.line_no}-{last}")
    elif item.line_no < len(lines):
        following = lines[item.line_no]
        if following.strip() and not _BLOCK_START_RE.match(following):
            found.append("next line may continue the item")
    if _REF_IN_TEXT_RE.search(item.text):
        found.append("reference or link inside the text")
    if item.issue is not None and item.issue.url and "/pull/" in item.issue.url:
        found.append("linked to a pull request")
    if item.tail:
        found.append(f"text after the link: {item.tail!r}")
    if "<!--" in item.text or re.search(r"<br\s*/?>", item.text, re.I):
        found.append("HTML comment or <br> in the text")
    if item.issue is not None and not item.text:
        found.append("only a reference")
    return found


def run_file(path: Path) -> tuple[dict[str, int], list[str], list[str]]:
    """(counts, surprise lines, item lines) for one plan."""
    text = path.read_text(encoding="utf-8")
    items = cp.parse_checklist(text)
    lines, _ = cp.split_lines(text)
    pending = [i for i in items if not i.checked and i.issue is None and i.text]
    titles, skips = gi.plan_candidates(items, gi.DEFAULT_TEMPLATE, path.name)
    counts = {
        "items": len(items),
        "checked": sum(i.checked for i in items),
        "linked": sum(i.issue is not None for i in items),
        "would_create": len(pending),
        # items skipped because nothing tells their titles apart
        "skipped": sum(s.count for s in skips if "identical" in s.message),
        "titles": len(titles),
    }
    surprises = [
        f"  line {item.line_no}: {why}: {item.text[:70]!r}"
        for item in items
        for why in _surprises(item, lines)
    ]
    listing = [
        f"{path.name}:{item.line_no}\t[{'x' if item.checked else ' '}]\t{item.text}\t{_link(item)}"
        for item in items
    ]
    return counts, surprises, listing


def report(directory: Path) -> int:
    if not directory.is_dir():
        print(f"corpus not found at {directory}: nothing to run", file=sys.stderr)
        return 0
    totals = dict.fromkeys(COLUMNS, 0)
    listing: list[str] = []
    print("file\t" + "\t".join(COLUMNS))
    for path in sorted(directory.glob("*.md")):
        counts, surprises, items = run_file(path)
        for key in COLUMNS:
            totals[key] += counts[key]
        print(path.name + "\t" + "\t".join(str(counts[key]) for key in COLUMNS))
        for line in surprises:
            print(line)
        listing += items
    print("TOTAL\t" + "\t".join(str(totals[key]) for key in COLUMNS))
    print("\n# items (file:line, box, text, link)")
    for line in listing:
        print(line)
    return 0


def _items(path: Path) -> dict[str, str]:
    text = path.read_text(encoding="utf-8")
    _, _, listing = text.partition("\n# items (file:line, box, text, link)\n")
    return {line.split("\t", 1)[0]: line for line in listing.splitlines() if line}


def _file_and_line(key: str) -> tuple[str, int]:
    name, _, line = key.rpartition(":")
    return name, int(line)


def diff(before: Path, after: Path) -> int:
    """Items whose text or link changed between two saved runs, keyed by file and line."""
    old, new = _items(before), _items(after)
    changed = 0
    missing = "\t(no item)"
    for key in sorted(old.keys() | new.keys(), key=_file_and_line):
        if old.get(key) != new.get(key):
            changed += 1
            print(f"- {old.get(key, key + missing)}")
            print(f"+ {new.get(key, key + missing)}")
    print(f"{changed} items changed", file=sys.stderr)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("directory", nargs="?", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--diff", nargs=2, type=Path, metavar=("BEFORE", "AFTER"))
    args = parser.parse_args()
    if args.diff:
        return diff(*args.diff)
    return report(args.directory)


if __name__ == "__main__":
    sys.exit(main())
