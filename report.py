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

from checklist_version import __version__
from github_api import ToolError, redact

T = TypeVar("T")
INTERRUPTED = "interrupted: rerun to finish (nothing is half-written, and a rerun never duplicates)"
# `failed`: writes that did not happen (an issue not created, a document not written)
COUNTS = (
    "items",
    "created",
    "adopted",
    "checked",
    "unchecked",
    "annotated",
    "skipped",
    "warnings",
    "failed",
)
# the counts each script's summary line shows: what that script can do (`failed` only when
# a write did not happen)
GENERATE_COUNTS = ("items", "created", "adopted", "skipped", "warnings", "failed")
SYNC_COUNTS = ("items", "checked", "unchecked", "annotated", "warnings", "failed")
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
    # what the run is about, for --json and the annotations
    summary_counts: tuple[str, ...] = GENERATE_COUNTS
    repo: str | None = None
    master_issue: int | None = None
    dry_run: bool = False
    out_of_sync: bool | None = None
    plan_file: str | None = None  # the file a warning's line is in (Actions annotations)
    error: str | None = None  # the error that ended the run early
    error_code: int = 0
    diffs: list[str] = field(default_factory=list)
    # what a run learnt beyond its counts (progress, linked issues), for callers that keep
    # it, such as the server's status page
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

    def _record(self, action: str, message: str, data: dict[str, Any]) -> None:
        # every entry has the same keys, so a consumer reads `line`, `issue` and `pr` as is
        entry = {"action": action, "message": redact(message), "line": None, "issue": None}
        entry["pr"] = None
        self.changes.append({**entry, **data})

    def change(self, kind: str, message: str, **data: Any) -> None:
        """One line per change (`created #123 …`), counted under `kind`."""
        if kind in self.counts:
            self.counts[kind] += 1
        self._record(kind, message, data)
        self.info(message)

    def warn(self, message: str, **data: Any) -> None:
        """A warning: shown even with -q (it sets exit status 1), an annotation in Actions."""
        self.counts["warnings"] += 1
        line = data.get("line", getattr(message, "line", None))
        issue = data.get("issue", getattr(message, "issue", None))
        self._record("warning", str(message), {"line": line, "issue": issue, **data})
        self._echo(annotation("warning", str(message), self.plan_file, line))

    def skip(self, message: str, *, count: int = 1, **data: Any) -> None:
        """One line for `count` skipped items (a group of identical items is said once)."""
        self.counts["skipped"] += count
        self._record("skipped", message, data)
        self._echo(annotation("skipped", message, self.plan_file, data.get("line")))

    def fail(self, message: str, exit_code: int = 1) -> None:
        """An error; always shown, even with -q. Exit code 2 is fatal: no summary of zeros."""
        self.failed = True
        self.error_code = max(self.error_code, exit_code)
        if self.error is None:
            self.error = redact(message)
        self._record("error", message, {})
        self._echo(f"error: {message}")

    def diff(self, diff: str) -> None:
        """The diff of --dry-run/--check is data: stdout, unless --json holds stdout."""
        if not diff:
            return
        self.diffs.append(redact(diff))
        click.echo(redact(diff), err=self.json_mode, nl=False)

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
        warned = self.failed or self.counts["skipped"] or self.counts["warnings"]
        return max(self.error_code, 1 if warned else 0)

    def summary(self, *, requests: int, rate_limit_remaining: int | None, **extra: Any) -> None:
        if isinstance(sys.exc_info()[1], KeyboardInterrupt):
            return  # called from a `finally` on Ctrl-C: the command says so in one line
        if self.error_code < 2:  # a configuration error is its one line, not a row of zeros
            self.info(self.summary_line(requests, rate_limit_remaining, extra))
        if self.json_sink is not None:
            payload = self.payload(requests, rate_limit_remaining, extra)
            self.json_sink(json.loads(redact(json.dumps(payload))))
        elif self.json_mode:
            payload = self.payload(requests, rate_limit_remaining, extra)
            click.echo(redact(json.dumps(payload, indent=2)))

    def summary_line(self, requests: int, rate: int | None, extra: dict[str, Any]) -> str:
        c = self.counts
        parts = []
        for name in self.summary_counts[1:]:
            if name == "created" and self.dry_run:
                parts.append(f"{extra.get('would_create', 0)} to create")
            elif name == "warnings":
                parts.append(plural(c[name], "warning"))
            elif name == "failed":
                if c[name]:  # said only when a write did not happen
                    parts.append(f"{c[name]} failed")
            else:
                parts.append(f"{c[name]} {name}")
        left = "unknown" if rate is None else str(rate)
        return (
            f"{plural(c['items'], 'item')}: {', '.join(parts)}; "
            f"{plural(requests, 'API request')}, rate limit left {left}"
        )

    def payload(self, requests: int, rate: int | None, extra: dict[str, Any]) -> dict[str, Any]:
        return {
            **self.counts,
            "requests": requests,
            "rate_limit_remaining": rate,
            "repo": self.repo,
            "master_issue": self.master_issue,
            "dry_run": self.dry_run,
            "out_of_sync": self.out_of_sync,
            "error": self.error,
            "exit_code": self.exit_code,
            "changes": self.changes,
            **({"diff": "".join(self.diffs)} if self.diffs else {}),
            **extra,
        }


def plural(count: int, word: str) -> str:
    """`1 item`, `2 items`, `0 items`."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def annotation(kind: str, message: str, file: str | None, line: int | None) -> str:
    """A warning's line: `warning: …`, or in GitHub Actions a `::warning file=…,line=…::`
    workflow command, so it shows on the run page and beside the plan's line.
    """
    if os.environ.get("GITHUB_ACTIONS") != "true":
        return f"{kind}: {message}"
    where = []
    if file:
        where.append(f"file={_escape_property(file)}")
        if line:
            where.append(f"line={line}")
    title = "" if kind == "warning" else f"title={kind}"
    props = ",".join([*where, *([title] if title else [])])
    text = message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return f"::warning {props}::{text}" if props else f"::warning::{text}"


def _escape_property(value: str) -> str:
    return (
        value.replace("%", "%25")
        .replace("\r", "%0D")
        .replace("\n", "%0A")
        .replace(":", "%3A")
        .replace(",", "%2C")
    )


def output_options(command: Any) -> Any:
    """--json, -v, -q and --version: how both scripts report."""
    options = [
        click.option(
            "--json", "json_mode", is_flag=True, help="Print a machine-readable summary on stdout."
        ),
        click.option("-v", "--verbose", is_flag=True, help="Show every API request."),
        click.option("-q", "--quiet", is_flag=True, help="Show errors and warnings only."),
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
