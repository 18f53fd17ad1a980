"""What both scripts tell the user: one stderr line per change, a summary, `--json` on stdout,
a diff for --dry-run/--check, a progress bar on a terminal, and the GitHub Actions step summary.
"""

from __future__ import annotations

import difflib
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import click

from github_api import redact

T = TypeVar("T")
# `failed`: writes that did not happen (an issue not created, a document not written)
COUNTS = (
    "items",
    "created",
    "adopted",
    "checked",
    "unchecked",
    "skipped",
    "warnings",
    "failed",
)
PROGRESS_MIN_ITEMS = 20  # a bar for shorter runs only flickers
TEXT_LIMIT = 80  # characters of an item's text, title or section shown in a message
LIST_LIMIT = 20  # line or issue numbers named in one message


def clip(text: str, limit: int = TEXT_LIMIT) -> str:
    """A text as a message shows it, cut with an ellipsis: output stays linear in the plan
    however long a heading or an item is (a 1 MB heading is in every item's section path).
    """
    return text if len(text) <= limit else text[: limit - 1] + "…"


def quoted(text: str, limit: int = TEXT_LIMIT) -> str:
    return repr(clip(text, limit))


def listed(parts: list[str], limit: int = LIST_LIMIT) -> str:
    """`a, b, c`, cut after `limit` parts with `and N more`."""
    shown = ", ".join(parts[:limit])
    return shown + (f" and {len(parts) - limit} more" if len(parts) > limit else "")


@dataclass
class Reporter:
    quiet: bool = False
    verbose: bool = False
    json_mode: bool = False
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    changes: list[dict[str, Any]] = field(default_factory=list)
    failed: bool = False  # something could not be done (exit 1)
    # what a run learnt beyond its counts (progress, linked issues, diffs), for callers that
    # keep it, such as the server's status page
    facts: dict[str, Any] = field(default_factory=dict)
    # where the --json summary goes instead of stdout (several checklists make one array)
    json_sink: Callable[[dict[str, Any]], None] | None = None
    _bar: Any = None

    # -- lines ----------------------------------------------------------------

    def _echo(self, message: str) -> None:
        message = redact(message)
        if self._bar is not None:
            # keep the bar on its own line
            click.echo("\r\033[K", nl=False, err=True)
        click.echo(message, err=True)

    def info(self, message: str) -> None:
        if not self.quiet:
            self._echo(message)

    def debug(self, message: str) -> None:
        if self.verbose and not self.quiet:
            self._echo(message)

    def change(self, kind: str, message: str, **data: Any) -> None:
        """One line per change (`created #123 …`), counted under `kind`."""
        if kind in self.counts:
            self.counts[kind] += 1
        self.changes.append({"action": kind, "message": redact(message), **data})
        self.info(message)

    def warn(self, message: str, **data: Any) -> None:
        self.counts["warnings"] += 1
        self.changes.append({"action": "warning", "message": redact(message), **data})
        self.info(f"warning: {message}")

    def skip(self, message: str, *, count: int = 1, **data: Any) -> None:
        """One line for `count` skipped items (a group of identical items is said once)."""
        self.counts["skipped"] += count
        self.changes.append({"action": "skipped", "message": redact(message), **data})
        self.info(f"skipped: {message}")

    def fail(self, message: str) -> None:
        """An error that does not stop the batch; always shown, even with -q."""
        self.failed = True
        self.changes.append({"action": "error", "message": redact(message)})
        self._echo(f"error: {message}")

    def diff(self, text: str) -> None:
        """The unified diff of --dry-run/--check: shown, and kept for callers."""
        if text:
            self.facts.setdefault("diffs", []).append(text)
        echo_diff(text)

    # -- progress -------------------------------------------------------------

    @contextmanager
    def progress(self, items: list[T], label: str) -> Iterator[Iterable[T]]:
        show = (
            not self.quiet
            and len(items) >= PROGRESS_MIN_ITEMS
            and sys.stderr.isatty()
            and not os.environ.get("CI")
        )
        if not show:
            yield items
            return
        with click.progressbar(items, label=label, file=sys.stderr) as bar:
            self._bar = bar
            try:
                yield bar
            finally:
                self._bar = None

    # -- the end --------------------------------------------------------------

    @property
    def exit_code(self) -> int:
        return 1 if self.failed or self.counts["skipped"] or self.counts["warnings"] else 0

    def summary(self, *, requests: int, rate_limit_remaining: int | None, **extra: Any) -> None:
        c = self.counts
        rate = "unknown" if rate_limit_remaining is None else str(rate_limit_remaining)
        failed = f", {c['failed']} failed" if c["failed"] else ""
        self.info(
            f"{c['items']} items: {c['created']} created, {c['adopted']} adopted, "
            f"{c['checked']} checked, {c['unchecked']} unchecked, {c['skipped']} skipped, "
            f"{c['warnings']} warnings{failed}; {requests} API requests, rate limit left {rate}"
        )
        if self.quiet and self.exit_code and not self.failed:
            # -q hides skips and warnings; say in one line why the exit status is 1
            self._echo(
                f"{c['skipped']} skipped, {c['warnings']} warnings: rerun without -q for details"
            )
        if self.json_mode or self.json_sink:
            payload = {
                **c,
                "requests": requests,
                "rate_limit_remaining": rate_limit_remaining,
                "changes": self.changes,
                **extra,
            }
            if self.json_sink is not None:
                self.json_sink(json.loads(redact(json.dumps(payload))))
            else:
                click.echo(redact(json.dumps(payload, indent=2, sort_keys=False)))


def output_options(command: Any) -> Any:
    """--json, -v and -q: how both scripts report."""
    options = [
        click.option(
            "--json", "json_mode", is_flag=True, help="Print a machine-readable summary on stdout."
        ),
        click.option("-v", "--verbose", is_flag=True, help="Show every API request."),
        click.option("-q", "--quiet", is_flag=True, help="Show errors only."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def unified_diff(old: str, new: str, name: str) -> str:
    """A unified diff of two versions of a checklist (line endings shown as plain lines)."""
    if old == new:
        return ""
    lines = difflib.unified_diff(
        old.splitlines(keepends=True),
        new.splitlines(keepends=True),
        fromfile=f"a/{name}",
        tofile=f"b/{name}",
    )
    out = []
    for line in lines:
        out.append(
            line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n"
        )
    return "".join(out).replace("\r\n", "\n").replace("\r", "\n")


def echo_diff(diff: str) -> None:
    if diff:
        click.echo(redact(diff), err=True, nl=False)


def write_step_summary(markdown: str) -> str | None:
    """Append to the GitHub Actions job summary when running in Actions; a warning to report
    when it cannot be written (the checklist itself is done by then)."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return None
    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(redact(markdown if markdown.endswith("\n") else markdown + "\n"))
    except OSError as exc:
        return f"cannot write the job summary to {path}: {exc.strerror or exc}"
    return None
