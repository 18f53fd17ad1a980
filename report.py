"""What both scripts tell the user: one stderr line per change, a summary, `--json` on stdout,
a diff for --dry-run/--check, a progress bar on a terminal, and the GitHub Actions step summary.
"""

from __future__ import annotations

import difflib
import json
import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import click

from checklist_version import __version__
from github_api import ToolError, redact

T = TypeVar("T")
INTERRUPTED = "interrupted: rerun to finish (nothing is half-written, and a rerun never duplicates)"
COUNTS = ("items", "created", "adopted", "checked", "unchecked", "skipped", "warnings")
PROGRESS_MIN_ITEMS = 20  # a bar for shorter runs only flickers


@dataclass
class Reporter:
    quiet: bool = False
    verbose: bool = False
    json_mode: bool = False
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    changes: list[dict[str, Any]] = field(default_factory=list)
    failed: bool = False  # something could not be done (exit 1)
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

    def skip(self, message: str, **data: Any) -> None:
        self.counts["skipped"] += 1
        self.changes.append({"action": "skipped", "message": redact(message), **data})
        self.info(f"skipped: {message}")

    def fail(self, message: str) -> None:
        """An error that does not stop the batch; always shown, even with -q."""
        self.failed = True
        self.changes.append({"action": "error", "message": redact(message)})
        self._echo(f"error: {message}")

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
        if isinstance(sys.exc_info()[1], KeyboardInterrupt):
            return  # called from a `finally` on Ctrl-C: the command says so in one line
        c = self.counts
        rate = "unknown" if rate_limit_remaining is None else str(rate_limit_remaining)
        self.info(
            f"{c['items']} items: {c['created']} created, {c['adopted']} adopted, "
            f"{c['checked']} checked, {c['unchecked']} unchecked, {c['skipped']} skipped, "
            f"{c['warnings']} warnings; {requests} API requests, rate limit left {rate}"
        )
        if self.quiet and self.exit_code and not self.failed:
            # -q hides skips and warnings; say in one line why the exit status is 1
            self._echo(
                f"{c['skipped']} skipped, {c['warnings']} warnings: rerun without -q for details"
            )
        if self.json_mode:
            payload = {
                **c,
                "requests": requests,
                "rate_limit_remaining": rate_limit_remaining,
                "changes": self.changes,
                **extra,
            }
            click.echo(redact(json.dumps(payload, indent=2, sort_keys=False)))


def output_options(command: Any) -> Any:
    """--json, -v, -q and --version: how both scripts report."""
    options = [
        click.option(
            "--json", "json_mode", is_flag=True, help="Print a machine-readable summary on stdout."
        ),
        click.option("-v", "--verbose", is_flag=True, help="Show every API request."),
        click.option("-q", "--quiet", is_flag=True, help="Show errors only."),
        # the name it was run as: `checklist-sync 1.0.0`, `sync_checklist.py 1.0.0`
        click.version_option(__version__, "--version", message="%(prog)s %(version)s"),
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


def write_step_summary(markdown: str) -> None:
    """Append to the GitHub Actions job summary when running in Actions."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(redact(markdown))
        if not markdown.endswith("\n"):
            handle.write("\n")


class Interrupted(ToolError):
    """Ctrl-C: one line and exit 130, the shell's code for a run ended by SIGINT."""

    exit_code = 130


class ToolCommand(click.Command):
    """A click command whose Ctrl-C exits 130 in one line, and whose errors, usage errors
    included, still print one JSON object on stdout under --json.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise Interrupted(INTERRUPTED) from None

    def main(self, args: Any = None, prog_name: Any = None, *rest: Any, **extra: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        extra["standalone_mode"] = False
        try:
            code = super().main(argv, prog_name, *rest, **extra)
        except click.ClickException as exc:
            exc.show()
            if "--json" in argv:
                error = {"error": redact(exc.format_message()), "exit_code": exc.exit_code}
                click.echo(json.dumps(error, indent=2))
            sys.exit(exc.exit_code)
        except click.Abort:  # end of input at a prompt: there are none, but click may
            click.echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)
