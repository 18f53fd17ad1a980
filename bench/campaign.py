"""The reliability campaign at any size, with its figures: state-machine steps, runs, faults
injected and fired by kind, kills, outsiders' lookalike issues, edits made during a pacing
pause, and invariant violations (which must stay 0).

Run `python bench/campaign.py [--examples 500] [--steps 50] [--kills 200] [--explore]`; the
test suite runs the same campaign smaller (tests/test_reliability.py). Exit status 1 when an
invariant broke, with the failing example.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import tests.test_reliability as reliability  # noqa: E402

MODES = ("file", "issue")


def figures_table(figures: Counter[str]) -> list[str]:
    """The figures grouped: faults as one table by kind, everything else one line each."""
    kinds = sorted(
        {k.split(": ", 1)[1] for k in figures if k.startswith(("faults injected", "faults fired"))}
    )
    lines = []
    plain = sorted(k for k in figures if not k.startswith(("faults ", "step: ")))
    width = max((len(k) for k in plain), default=0)
    lines += [f"  {k:<{width}}  {figures[k]:>7}" for k in plain]
    steps = sorted(k for k in figures if k.startswith("step: "))
    if steps:
        lines.append("  steps by rule (a step may find nothing to act on):")
        lines += [f"    {k.removeprefix('step: '):<36}  {figures[k]:>7}" for k in steps]
    if kinds:
        lines.append(f"  {'fault kind':<22} {'injected':>9} {'fired':>7}  (requests struck)")
        for kind in kinds:
            injected, fired = figures[f"faults injected: {kind}"], figures[f"faults fired: {kind}"]
            lines.append(f"  {kind:<22} {injected:>9} {fired:>7}")
        total_in = sum(v for k, v in figures.items() if k.startswith("faults injected"))
        total_fired = sum(v for k, v in figures.items() if k.startswith("faults fired"))
        lines.append(f"  {'all kinds':<22} {total_in:>9} {total_fired:>7}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=reliability.EXAMPLES, metavar="N")
    parser.add_argument("--steps", type=int, default=reliability.STEPS, metavar="N")
    parser.add_argument(
        "--kills", type=int, default=reliability.KILLS, help="per mode (default %(default)s)"
    )
    parser.add_argument("--seed", type=int, default=20261126, help="of the kill campaign")
    parser.add_argument(
        "--explore", action="store_true", help="new random state-machine examples each run"
    )
    parser.add_argument("--mode", choices=MODES, action="append", help="default: both")
    args = parser.parse_args(argv)
    modes = args.mode or list(MODES)

    print(
        f"reliability campaign: {args.examples} examples x {args.steps} steps per mode, "
        f"{args.kills} kills per mode, modes {', '.join(modes)}, "
        f"{'random' if args.explore else 'fixed'} state-machine seed, kill seed {args.seed}",
        flush=True,
    )
    failures: list[str] = []
    total = Counter[str]()
    for part in ("state machine", "kill campaign"):
        for mode in modes:
            started = time.monotonic()
            before = reliability.FIGURES.copy()
            try:
                if part == "state machine":
                    reliability.run_machine(mode, args.examples, args.steps, explore=args.explore)
                else:
                    with tempfile.TemporaryDirectory(prefix="campaign-") as workdir:
                        reliability.kill_campaign(args.kills, args.seed, Path(workdir), mode)
            except Exception:  # the failing example, with what broke, is the report
                failures.append(f"{part}, {mode} mode:\n{traceback.format_exc()}")
            figures = reliability.FIGURES - before
            total += figures
            elapsed = time.monotonic() - started
            print(f"\n{part}, {mode} mode ({elapsed:.0f}s):", flush=True)
            print("\n".join(figures_table(figures)), flush=True)
    print("\ntotal:")
    print("\n".join(figures_table(total)))
    # a failing example is run again to confirm it, so one violation may count twice
    print(f"\ninvariant violations: {total['invariant violations']}; failed parts: {len(failures)}")
    for failure in failures:
        print(f"\nFAILED {failure}", file=sys.stderr)
    return 1 if failures or total["invariant violations"] else 0


if __name__ == "__main__":
    sys.exit(main())
