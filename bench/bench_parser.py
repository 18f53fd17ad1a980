"""Benchmark checklist_parser against cmark-gfm and markdown-it-py on realistic test plans.

Run `python bench/bench_parser.py [--quick]`; targets: >=10x markdown-it-py, within 3x cmark-gfm.
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cmarkgfm
from markdown_it import MarkdownIt
from mdit_py_plugins.tasklists import tasklists_plugin

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import checklist_parser

SIZES_MB = (0.25, 0.5, 1.0, 2.0)
MB = 1_000_000

_VERBS = ["parses", "rejects", "accepts", "keeps", "reports", "retries", "skips", "writes"]
_NOUNS = [
    "DataLoader.get_data_ctime",
    "an empty directory",
    "a date-named folder",
    "the CSV header",
    "`--dry-run` output",
    "a **missing** token",
    "CRLF line endings",
    "the [config](docs/config.md) file",
    "a 404 from the API",
    "unicode names like café",
]


def _item_text(rng: random.Random) -> str:
    text = f"{rng.choice(_NOUNS)} {rng.choice(_VERBS)}"
    if rng.random() < 0.2:
        text += f" {rng.choice(_NOUNS)}"
    roll = rng.random()
    if roll < 0.1:
        n = rng.randint(1, 9999)
        text += f" ([#{n}](https://github.com/acme/loader/issues/{n}))"
        if rng.random() < 0.4:
            text += f" ([PR #{n + 1}](https://github.com/acme/loader/pull/{n + 1}))"
    elif roll < 0.3:
        text += f" (#{rng.randint(1, 9999)})"
    return text


def _code_block(rng: random.Random) -> list[str]:
    # Checkbox-looking lines that are not items: the parser must skip them.
    fence = rng.choice(["```", "~~~", "````"])
    body = [f"- [{rng.choice(' x')}] not an item {i}" for i in range(rng.randint(2, 6))]
    return [f"{fence}markdown", *body, fence, ""]


def _section(rng: random.Random, number: int) -> list[str]:
    lines = [f"## {number}. {rng.choice(_NOUNS).capitalize()}", ""]
    if rng.random() < 0.3:
        lines += [
            f"Covers how {rng.choice(_NOUNS)} {rng.choice(_VERBS)} {rng.choice(_NOUNS)}; see the",
            "design notes before ticking anything here.",
            "",
        ]
    for sub in range(rng.randint(1, 3)):
        lines += [f"### {number}.{sub + 1} {rng.choice(_VERBS).capitalize()}", ""]
        for _ in range(rng.randint(6, 18)):
            marker = "1." if rng.random() < 0.15 else "-"
            lines.append(f"{marker} [{rng.choice(' x')}] {_item_text(rng)}")
            for _ in range(rng.choice([0, 1, 1, 2, 3])):
                lines.append(f"  - [{rng.choice(' x')}] {_item_text(rng)}")
                if rng.random() < 0.2:
                    lines.append(f"    - [{rng.choice(' xX')}] {_item_text(rng)}")
            if rng.random() < 0.05:
                lines.append("  continuation text of the item above, wrapped by the editor")
        lines.append("")
        roll = rng.random()
        if roll < 0.15:
            lines += _code_block(rng)
        elif roll < 0.2:
            lines += ["> **Note:** items quoted here are examples:", "> - [ ] quoted task", ""]
        elif roll < 0.25:
            lines += ["| case | status |", "| --- | --- |", "| - [ ] in a table | open |", ""]
        elif roll < 0.3:
            lines += ["<!--", "- [ ] commented out", "-->", ""]
    return lines


def build_plan(size_bytes: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    lines = ["# Data loader test plan", "", "Master checklist for the data loader.", ""]
    length = 0
    number = 0
    while length < size_bytes:
        number += 1
        section = _section(rng, number)
        lines += section
        length += sum(len(line.encode("utf-8")) + 1 for line in section)
    return "\n".join(lines) + "\n"


def best_of(fn: Callable[[], object], repeats: int, clock: Callable[[], float]) -> float:
    best = float("inf")
    for _ in range(repeats):
        gc.collect()
        start = clock()
        fn()
        best = min(best, clock() - start)
    return best


def measure(
    text: str, md: MarkdownIt, repeats: int, clock: Callable[[], float]
) -> tuple[tuple[int, int, int], list[float]]:
    """Items each tool finds, then seconds for: parse, toggle every box, cmark-gfm, markdown-it."""
    items = checklist_parser.parse_checklist(text)
    edits = [checklist_parser.Edit(line_no=it.line_no, checked=not it.checked) for it in items]
    toggled = checklist_parser.apply_edits(text, edits)
    assert len(toggled) == len(text) and toggled != text
    html = cmarkgfm.github_flavored_markdown_to_html(text)
    tokens = md.parse(text)
    counts = (
        len(items),
        html.count('type="checkbox"'),
        sum(1 for t in tokens if t.attrs.get("class") == "task-list-item"),
    )
    times = [
        best_of(lambda: checklist_parser.parse_checklist(text), repeats, clock),
        best_of(lambda: checklist_parser.apply_edits(text, edits), repeats, clock),
        best_of(lambda: cmarkgfm.github_flavored_markdown_to_html(text), repeats, clock),
        best_of(lambda: md.parse(text), max(2, repeats // 2), clock),
    ]
    return counts, times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the two smaller plans")
    parser.add_argument("--repeats", type=int, default=5, help="runs per measurement (best)")
    parser.add_argument(
        "--wall", action="store_true", help="wall-clock time instead of this process's CPU time"
    )
    args = parser.parse_args()
    # CPU time by default: every contender is single-threaded, and it is far less disturbed by
    # whatever else the machine runs than the wall clock.
    clock = time.perf_counter if args.wall else time.process_time

    md = MarkdownIt("commonmark").enable("table").use(tasklists_plugin)
    what = "wall-clock" if args.wall else "CPU"
    print(f"{what} times in ms, best of {args.repeats} runs (fewer for markdown-it and 2 MB)")
    print("items: ours / cmark-gfm's checkboxes / markdown-it's checkboxes")
    header = (
        f"{'MB':>5} {'items':>21} {'parse':>8} {'toggle':>8} {'cmark':>8} {'mdit':>9}"
        f" {'mdit/ours':>9} {'ours/cmark':>10} {'parse ms/MB':>11} {'toggle ms/MB':>12}"
    )
    print(header)
    print("-" * len(header))
    for size in SIZES_MB[:2] if args.quick else SIZES_MB:
        text = build_plan(int(size * MB))
        repeats = max(2, args.repeats if size <= 1 else args.repeats // 2)
        counts, (ours, toggle, cmark, mdit) = measure(text, md, repeats, clock)
        mb = len(text.encode("utf-8")) / MB
        print(
            f"{mb:5.2f} {'/'.join(map(str, counts)):>21} {ours * 1e3:8.1f} {toggle * 1e3:8.1f}"
            f" {cmark * 1e3:8.1f} {mdit * 1e3:9.1f} {mdit / ours:8.1f}x {ours / cmark:9.2f}x"
            f" {ours * 1e3 / mb:11.1f} {toggle * 1e3 / mb:12.1f}",
            flush=True,
        )
    print("parse = checklist_parser.parse_checklist; toggle = apply_edits flipping every box;")
    print("cmark = cmarkgfm.github_flavored_markdown_to_html (parse + render, C);")
    print("mdit = markdown-it-py parse with mdit_py_plugins tasklists (no render).")
    print("Targets: mdit/ours >= 10x, ours/cmark <= 3x.")


if __name__ == "__main__":
    main()
