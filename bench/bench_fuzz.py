"""The parser's running time on adversarial input, and memory on very large plans: the bigger
sweep behind tests/test_hostile_input.py, which runs the same families at test-suite sizes.

Run `python bench/bench_fuzz.py` for the families table (family, size, time, ratio to the
previous size; linear when the ratio stays near 2); `--pump` searches prefix + token * n +
suffix for superlinear inputs; `--atheris SECONDS` fuzzes with atheris when it is installed
(coverage-guided, for exceptions and slow inputs); `--memory` measures peaks with tracemalloc.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import math
import os
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import checklist_parser as cp  # noqa: E402
import generate_issues  # noqa: E402
import sync_checklist  # noqa: E402
from tests.fake_github import FakeGitHub  # noqa: E402
from tests.test_hostile_input import (  # noqa: E402
    FAMILIES,
    HTML,
    PROSE,
    REF,
    REPORTED,
    exercise,
    hundred_thousand_items,
    ten_megabyte_plan,
)

REPO = "octo/plan"
SIZES = (25_000, 50_000, 100_000, 200_000, 400_000)
QUICK_SIZES = (25_000, 50_000, 100_000)
BUDGET = 20.0  # seconds: a family stops growing once one size takes longer


def cpu_time(fn: Callable[[], object], runs: int = 3) -> float:
    """The least CPU time of a few runs, the garbage collector off (other processes' load
    does not count)."""
    best = float("inf")
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(runs):
            start = time.process_time()
            fn()
            best = min(best, time.process_time() - start)
    finally:
        if enabled:
            gc.enable()
    return best


def operations(text: str) -> dict[str, float]:
    doc = cp.parse_document(text)
    edits = [
        cp.Edit(item.line_no, checked=True, issue=REF, note=cp.NOTE_DUPLICATE) for item in doc.items
    ]
    runs = 1 if len(text) > 150_000 else 3
    return {
        "parse": cpu_time(lambda: cp.parse_document(text), runs),
        "apply_edits": cpu_time(lambda: cp.apply_edits(text, edits, style="file"), runs),
        "set/strip": cpu_time(lambda: cp.strip_binding(cp.set_binding(text, f"{HTML}/1")), runs),
    }


def families_table(sizes: tuple[int, ...], only: list[str]) -> None:
    rows: list[tuple[str, int, float]] = []
    print(
        f"{'family':42} {'size':>9} {'parse':>9} {'apply':>9} {'set/strip':>9} "
        f"{'total':>9} {'ratio':>6}"
    )
    groups: list[tuple[str, Callable[[int], str], tuple[int, ...], str]] = [
        (name, build, sizes, "") for name, build in FAMILIES.items()
    ]
    groups += [
        (name, build, tuple(size * 2**i for i in range(6)), " (reported)")
        for name, (build, _why, size) in REPORTED.items()
    ]
    for name, build, family_sizes, note in groups:
        if only and name not in only:
            continue
        previous = None
        for size in family_sizes:
            text = build(size)
            ops = operations(text)
            total = sum(ops.values())
            ratio = f"{total / previous:6.2f}" if previous else "     -"
            print(
                f"{name + note:42} {len(text):9,} {ops['parse'] * 1e3:9.1f} "
                f"{ops['apply_edits'] * 1e3:9.1f} {ops['set/strip'] * 1e3:9.1f} "
                f"{total * 1e3:9.1f} {ratio}",
                flush=True,
            )
            rows.append((name + note, len(text), total))
            previous = total
            if total > BUDGET:
                break
    at_100k = [row for row in rows if "reported" not in row[0] and 95_000 <= row[1] <= 110_000]
    if at_100k:
        name, size, seconds = max(at_100k, key=lambda row: row[2])
        print(
            f"\nslowest family at 100,000 characters: {name}, {size:,} characters in "
            f"{seconds * 1e3:.0f} ms for the four operations"
        )
    for family in REPORTED:
        measured = [row for row in rows if row[0] == f"{family} (reported)"]
        if not measured:
            continue
        (_, size0, seconds0), (name, size, seconds) = measured[-2:]
        exponent = math.log(seconds / seconds0) / math.log(size / size0)
        print(
            f"{name}: {size:,} characters in {seconds:.2f} s, time growing as "
            f"size**{exponent:.1f}: about {seconds * (10_000_000 / size) ** exponent:,.0f} s "
            "for a 10 MB plan"
        )


# ---------------------------------------------------------------------------
# Pumping: prefix + token * n + suffix, flagged when 4x the input costs 7x the time twice over

TOKENS = [
    "[", "]", "(", ")", " ", "\t", "`", "<!--", "-->", ">", "> ", "|", "-", "#", "# ", "http://",
    "https://github.com/o/r/issues/1", "#1", "o/r#1", "closes ", "(#1)", " (PR #1)",
    " (duplicate)", "([#1](", "[#1](u)", "*", "* ", "- ", "+ ", "1. ", "=", "_", "<a", " b=c",
    "'", '"', "\\", ":", "~", "\r", "\n", "\n\n", "a", "/", "x", "[ ]", "- [ ] ", "  ", "<", "!",
    "\x0b", "\x0c", ")(", "](", "[x]", "<!-- checklist-sync: ", "1",
]  # fmt: skip
PREFIXES = [
    "", "- [ ] ", "a\n", "# ", "# a", "<a", "> ", "- [ ] closes ", "| a |\n", "a|b\n", "a\n|-",
    "```\n", "<!--", "<!-- checklist-sync: a", "- [ ] a (#1)", "1. [ ] ",
]  # fmt: skip
SUFFIXES = ["", "x", "#x", "|x", "-x", ")x", "\n- [ ] y"]


def pump(pairs: bool) -> None:
    tokens = TOKENS if not pairs else [a + b for a, b in itertools.product(TOKENS, TOKENS)]
    prefixes = PREFIXES if not pairs else ["", "- [ ] ", "a\n"]
    suffixes = SUFFIXES if not pairs else ["x"]

    def cost(text: str) -> float:
        return cpu_time(lambda: exercise(text), runs=2)

    tried = flagged = 0
    for prefix, token, suffix in itertools.product(prefixes, tokens, suffixes):
        count = max(1, 1_500 // len(token))
        small = cost(prefix + token * count + suffix)
        large = cost(prefix + token * 4 * count + suffix)
        tried += 1
        if large > 0.004 and large / max(small, 1e-7) > 7:
            larger = cost(prefix + token * 16 * count + suffix)
            if larger / max(large, 1e-7) > 7:
                flagged += 1
                print(
                    f"superlinear: {prefix!r} + {token!r} * n + {suffix!r}: "
                    f"{small * 1e3:.1f}, {large * 1e3:.1f}, {larger * 1e3:.1f} ms",
                    flush=True,
                )
    print(f"{tried} inputs pumped, {flagged} superlinear")


# ---------------------------------------------------------------------------
# atheris: coverage-guided fuzzing for exceptions and slow inputs


def fuzz_with_atheris(seconds: int) -> None:
    try:
        import atheris  # type: ignore[import-not-found]
    except ImportError:
        print("atheris is not installed (pip install atheris): skipped")
        return
    worst = [0.0]

    def one_input(data: bytes) -> None:
        text = atheris.FuzzedDataProvider(data).ConsumeUnicodeNoSurrogates(len(data))
        start = time.process_time()
        exercise(text)
        per_char = (time.process_time() - start) / max(len(text), 1)
        if per_char > worst[0] * 2 and len(text) > 200:
            worst[0] = per_char
            print(
                f"slowest so far: {per_char * 1e6:.1f} µs a character, {len(text)} "
                f"characters: {text[:80]!r}",
                file=sys.stderr,
                flush=True,
            )

    atheris.instrument_all()  # coverage feedback from the parser (imported above)
    args = [sys.argv[0], f"-max_total_time={seconds}", "-max_len=20000", "-timeout=5"]
    atheris.Setup(args, one_input)
    atheris.Fuzz()  # exits the process; a raised exception is reported with its input


# ---------------------------------------------------------------------------
# Memory on very large plans


def traced(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """(result, peak MB, seconds) under tracemalloc (which slows allocation-heavy code)."""
    gc.collect()
    tracemalloc.start()
    start = time.perf_counter()
    try:
        result = fn()
        return result, tracemalloc.get_traced_memory()[1] / 1e6, time.perf_counter() - start
    finally:
        tracemalloc.stop()


def memory(quick: bool) -> None:
    tiny_items = "- [ ] x\n" * (10_000_000 // 8)
    plans = {
        "100,000 items": hundred_thousand_items(),
        "10 MB, 1,000 items + prose": ten_megabyte_plan(),
        "10 MB, 125,000 long items": "".join(
            f"- [ ] item {n:07d} checks one more behaviour of the loader in enough words\n"
            for n in range(10_000_000 // 80)
        ),
        "10 MB, 1,250,000 tiny items": tiny_items,
        "10 MB of prose": PROSE * (10_000_000 // len(PROSE)),
    }
    print(f"{'what':64} {'plan MB':>8} {'peak MB':>8} {'x plan':>7} {'seconds':>8}")

    def row(what: str, text: str, peak: float, seconds: float) -> None:
        size = len(text.encode()) / 1e6
        print(f"{what:64} {size:8.1f} {peak:8.1f} {peak / size:7.1f} {seconds:8.1f}", flush=True)

    for name, text in plans.items():
        if quick and len(text) > 2_000_000 and "tiny" in name:
            continue  # minutes under tracemalloc
        items, peak, seconds = traced(lambda t=text: cp.parse_checklist(t))
        row(f"parse_checklist: {name} ({len(items):,} items)", text, peak, seconds)
    with tempfile.TemporaryDirectory() as tmp, FakeGitHub() as fake:
        os.chdir(tmp)
        fake.add_repo(REPO)
        number = fake.create_issue(REPO, "done", "")["number"]
        fake.close_issue(REPO, number)
        env = {**fake.env(), "CHECKLIST_WRITE_INTERVAL": "0"}
        runs: list[tuple[str, Any, list[str], dict[str, str | None], str]] = [
            ("generate (refused): 10 MB", generate_issues.main, [], env,
             plans["10 MB, 1,000 items + prose"]),
            ("generate (refused): 100,000 items", generate_issues.main, [], env,
             plans["100,000 items"]),
            ("sync, file only: 10 MB, 1,000 items + prose", sync_checklist.main, [], env,
             f"- [ ] done ([#{number}]({HTML}/{number}))\n"
             + plans["10 MB, 1,000 items + prose"]),
        ]  # fmt: skip
        if not quick:
            offline = {"GITHUB_TOKEN": None, "GITHUB_REPOSITORY": REPO}
            runs += [
                ("generate --dry-run, no token: 100,000 items", generate_issues.main,
                 ["--dry-run", "-q"], offline, plans["100,000 items"]),
                ("sync, file only: 10 MB, 125,000 long items", sync_checklist.main, [], env,
                 plans["10 MB, 125,000 long items"]),
            ]  # fmt: skip
        for what, command, extra, run_env, text in runs:
            Path("plan.md").write_text(text, encoding="utf-8")
            result, peak, seconds = traced(
                lambda c=command, e=extra, v=run_env: CliRunner().invoke(c, ["plan.md", *e], env=v)
            )
            row(f"{what} (exit {result.exit_code})", text, peak, seconds)
        os.chdir(ROOT)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="sizes up to 100,000 characters")
    parser.add_argument("--family", action="append", default=[], help="only this family")
    parser.add_argument("--pump", action="store_true", help="search pumped inputs")
    parser.add_argument("--pairs", action="store_true", help="pump pairs of tokens (slow)")
    parser.add_argument("--atheris", type=int, metavar="SECONDS", help="fuzz with atheris")
    parser.add_argument("--memory", action="store_true", help="tracemalloc peaks, large plans")
    args = parser.parse_args()
    if args.atheris:
        fuzz_with_atheris(args.atheris)
    elif args.pump:
        pump(args.pairs)
    elif args.memory:
        memory(args.quick)
    else:
        families_table(QUICK_SIZES if args.quick else SIZES, args.family)


if __name__ == "__main__":
    main()
