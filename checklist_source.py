"""Where the checklist lives (a plan file bound to a master issue, or an issue body) and the
settings both scripts resolve: flags, environment, `.env`, the file's binding, the git remote.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import os
import re
import subprocess
import tempfile
import time
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from dotenv import dotenv_values

import checklist_parser as cp
from github_api import DEFAULT_API_URL, ConfigError, GitHubClient, NotFound, ToolError

TMP_SUFFIX = ".checklist-sync.tmp"  # the temporary copy of a plan being replaced
STALE_COPY_AGE = 600.0  # seconds: no write takes that long, so such a copy was abandoned
MAX_PLAN_BYTES = 10 * 1024 * 1024  # a bigger plan would not fit in an issue body anyway
ISSUE_BODY_LIMIT = 65536  # characters GitHub accepts in an issue body
MASTER_MARKER = "checklist-sync:master"
_MASTER_MARKER_RE = re.compile(
    r"<!-- checklist-sync:master plan=(?P<plan>[^\r\n]+?) digest=(?P<digest>[0-9a-f]+) -->"
)
_REPO_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
_BINDING_URL_RE = re.compile(r"^(https?)://([^/\s]+)/([^/\s]+/[^/\s]+)/issues/(\d+)$")


# ---------------------------------------------------------------------------
# Settings


@dataclass(frozen=True)
class Settings:
    token: str | None
    repo: str
    api_url: str
    write_interval: float


def _git_origin(cwd: Path) -> str | None:
    try:
        out = subprocess.run(
            ["git", "config", "--get", "remote.origin.url"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def parse_remote(url: str) -> tuple[str, str] | None:
    """(host, "OWNER/REPO") from a git remote URL (https, ssh, scp-like)."""
    match = re.match(
        r"^(?:(?:https?|ssh|git)://(?:[^@/]+@)?(?P<h1>[^/:]+)(?::\d+)?/"
        r"|(?:[^@/]+@)?(?P<h2>[^/:]+):)(?P<repo>[^/]+/[^/]+?)(?:\.git)?/?$",
        url.strip(),
    )
    if not match:
        return None
    return (match.group("h1") or match.group("h2")), match.group("repo")


def api_url_for_host(host: str) -> str:
    if host.lower() in ("github.com", "www.github.com"):
        return DEFAULT_API_URL
    return f"https://{host}/api/v3"  # GitHub Enterprise Server


def settings_options(command: Any) -> Any:
    """--repo and --write-interval: the settings both scripts take as flags."""
    options = [
        click.option(
            "--repo", metavar="OWNER/REPO", help="Repository (default: env, binding, git origin)."
        ),
        click.option(
            "--write-interval",
            type=click.FloatRange(min=0),
            metavar="SECONDS",
            help="Pause between writes (default 1, env CHECKLIST_WRITE_INTERVAL; 0 turns pacing "
            "off).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def resolve_settings(
    *,
    repo_flag: str | None,
    binding: str | None,
    write_interval_flag: float | None,
    need_token: bool,
    cwd: Path | None = None,
    environ: dict[str, str] | None = None,
) -> Settings:
    """Flags, then the environment, then `.env`, then the file's binding, then git's origin."""
    cwd = cwd or Path.cwd()
    real = os.environ if environ is None else environ
    dotenv_path = cwd / ".env"
    dotenv = dotenv_values(dotenv_path) if dotenv_path.is_file() else {}

    def setting(*names: str) -> str | None:
        # the real environment wins over .env, whichever of the names it uses
        for source in (real, dotenv):
            for name in names:
                if source.get(name):
                    return source[name]
        return None

    token = setting("GITHUB_TOKEN", "GH_TOKEN")
    if need_token and not token:
        raise ConfigError(
            "no GitHub token: set GITHUB_TOKEN (or GH_TOKEN) in the environment or in .env "
            "(a token with issues read/write access)"
        )

    binding_host = binding_repo = None
    if binding:
        match = _BINDING_URL_RE.match(binding)
        if match:
            binding_host, binding_repo = match.group(2), match.group(3)
    origin = None
    repo = repo_flag or setting("GITHUB_REPOSITORY") or binding_repo
    if not repo:
        remote = _git_origin(cwd)
        origin = parse_remote(remote) if remote else None
        repo = origin[1] if origin else None
    if not repo and not need_token:
        repo = "OWNER/REPO"  # an offline preview only shows where links would point
    if not repo:
        raise ConfigError(
            "no repository: pass --repo OWNER/REPO, set GITHUB_REPOSITORY, or run inside a git "
            "checkout whose origin is on GitHub"
        )
    if not _REPO_RE.match(repo):
        raise ConfigError(f"repository {repo!r} is not of the form OWNER/REPO")

    api_url = setting("GITHUB_API_URL")
    if not api_url:
        host = binding_host or (origin[0] if origin else None)
        api_url = api_url_for_host(host) if host else DEFAULT_API_URL

    interval = write_interval_flag
    if interval is None:
        raw = setting("CHECKLIST_WRITE_INTERVAL")
        try:
            interval = float(raw) if raw else 1.0
        except ValueError:
            raise ConfigError(
                f"CHECKLIST_WRITE_INTERVAL={raw!r} is not a number of seconds"
            ) from None
    if interval < 0:
        raise ConfigError("the write interval cannot be negative")
    return Settings(token=token, repo=repo, api_url=api_url.rstrip("/"), write_interval=interval)


# ---------------------------------------------------------------------------
# Plan files


@dataclass
class PlanFile:
    """A plan on disk, read as UTF-8 text with its line endings and BOM kept."""

    path: Path
    text: str
    _swept: bool = field(default=False, repr=False, compare=False)

    @classmethod
    def read(cls, path: Path) -> PlanFile:
        if path.is_dir():
            raise ConfigError(f"{path} is a directory: pass the plan's Markdown file")
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            raise ConfigError(f"plan {path} not found: check the path") from None
        except OSError as exc:
            raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
        if size > MAX_PLAN_BYTES:
            raise ConfigError(
                f"{path} is {size // 1024} KiB; plans are limited to "
                f"{MAX_PLAN_BYTES // 1024 // 1024} MiB: split it into several plans"
            )
        try:
            # one byte past the limit at most: a file that grew since stat(), or one whose size
            # the system does not know (/dev/zero, a pipe), is never read to its end
            with path.open("rb") as handle:
                data = handle.read(MAX_PLAN_BYTES + 1)
        except OSError as exc:
            raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
        if len(data) > MAX_PLAN_BYTES:
            raise ConfigError(
                f"{path} holds more than {MAX_PLAN_BYTES // 1024 // 1024} MiB; plans are limited "
                f"to {MAX_PLAN_BYTES // 1024 // 1024} MiB: split it into several plans"
            )
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ConfigError(
                f"{path} is not UTF-8 (byte {exc.start}): re-save it as UTF-8"
            ) from None
        return cls(path, text)

    def check_writable(self) -> None:
        target = self.path.resolve()
        if not os.access(target, os.W_OK) or not os.access(target.parent, os.W_OK):
            raise ConfigError(f"{self.path} is not writable: fix its permissions, or use --dry-run")

    def reread(self) -> str:
        return PlanFile.read(self.path).text

    def write(self, text: str) -> None:
        """Replace the file atomically (a symlink keeps pointing at the updated target)."""
        target = self.path.resolve()
        mode = target.stat().st_mode & 0o7777
        if not self._swept:
            self._swept = True
            remove_stale_copies(target)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=TMP_SUFFIX, dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(text.encode("utf-8"))
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, mode)
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        self.text = text


def remove_stale_copies(target: Path) -> None:
    """A run killed between writing its temporary copy of the plan and renaming it leaves the
    copy behind. Ours end in TMP_SUFFIX; one older than STALE_COPY_AGE was abandoned (a run
    still writing it would have renamed it long ago), so it goes.
    """
    cutoff = time.time() - STALE_COPY_AGE
    for leftover in target.parent.glob(f".{glob.escape(target.name)}.*{TMP_SUFFIX}"):
        with contextlib.suppress(OSError):
            if leftover.lstat().st_mtime < cutoff:
                leftover.unlink()


def plan_label(path: Path) -> str:
    """How the master issue names the plan: its path inside the git checkout, else its name."""
    resolved = path.resolve()
    for parent in resolved.parents:
        if (parent / ".git").exists():
            return resolved.relative_to(parent).as_posix()
    return resolved.name


LOCK_WAIT = 600.0  # seconds a generate run waits for another one working next to its plan


@contextlib.contextmanager
def plan_lock(
    path: Path, on_wait: Callable[[str], None], wait: float = LOCK_WAIT
) -> Iterator[None]:
    """Hold the plan's directory for a whole generate run: a second run started at once would
    list the repository before the first one's issues exist and create every new item again.

    An advisory lock, so it serialises runs on this machine only. The directory, because the
    plan itself is replaced (a new inode) on every write.
    """
    try:
        import fcntl
    except ImportError:  # Windows has no flock: runs there are not serialised
        yield
        return
    try:
        where = path.resolve().parent
        fd = os.open(where, os.O_RDONLY)
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop, before Python 3.13
        yield  # reading the plan reports what is wrong with its path
        return
    try:
        deadline = time.monotonic() + wait
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise ToolError(
                        f"another generate_issues.py run in {where} was still busy after "
                        f"{wait:.0f}s; rerun when it has finished"
                    ) from None
                if not told:
                    on_wait(f"waiting for another generate_issues.py run in {where} to finish")
                    told = True
                time.sleep(0.1)
        yield
    finally:
        os.close(fd)  # releases the lock (so does the end of the process, however it ends)


# ---------------------------------------------------------------------------
# The master issue of a plan file


def normalize(text: str) -> str:
    """The plan with everything sync may change (boxes, the tool's annotations) cleared."""
    edits = [
        cp.Edit(item.line_no, checked=False, pr=None, note=None)
        for item in cp.parse_checklist(text)
    ]
    cleared = cp.apply_edits(text, edits)
    return re.sub(r"\r\n?", "\n", cleared).strip()


def digest(text: str) -> str:
    return hashlib.sha256(normalize(text).encode("utf-8")).hexdigest()[:16]


def master_body(plan_text: str, label: str) -> str:
    """The master issue's body: a line naming the plan file, the plan (without its binding line
    and front matter, which an issue would show as Markdown), the hidden marker."""
    plan = cp.split_front_matter(cp.strip_binding(plan_text).lstrip("\ufeff"))[1]
    nl = cp.first_newline(plan)
    header = f"Checklist mirrored from `{label}` by checklist-sync: edit the file, then rerun."
    marker = f"<!-- {MASTER_MARKER} plan={label} digest={digest(plan)} -->"
    return f"{header}{nl}{nl}{plan.rstrip(chr(13) + chr(10))}{nl}{nl}{marker}"


def split_master_body(body: str) -> tuple[str | None, str | None, str]:
    """(plan label, recorded digest, plan part) of a master issue body written by the tool."""
    matches = list(_MASTER_MARKER_RE.finditer(body))
    match = matches[-1] if matches else None
    if match is None:
        return None, None, body
    lines = body[: match.start()]
    first_break = re.search(r"\r\n|\r|\n", lines)
    plan = lines[first_break.end() :] if first_break else ""
    return match.group("plan"), match.group("digest"), plan


def master_edited(body: str) -> bool:
    """True when the master issue holds text the tool did not write: edited on GitHub since
    the last publish (boxes and the tool's annotations aside), or someone else's issue.
    """
    if not body.strip():
        return False
    _label, recorded, plan = split_master_body(body)
    if recorded is None:
        return True
    # the tool writes nothing after its marker: text there was added on GitHub
    after = body[[*_MASTER_MARKER_RE.finditer(body)][-1].end() :]
    return bool(after.strip()) or digest(plan) != recorded


def binding_target(url: str) -> tuple[str, int] | None:
    """("OWNER/REPO", number) of a binding URL."""
    match = _BINDING_URL_RE.match(url)
    return (match.group(3), int(match.group(4))) if match else None


# ---------------------------------------------------------------------------
# Applying changes to the freshest text


@dataclass
class KeyedChanges:
    """Edits keyed by something stable (an issue, an item's identity), not by line number,
    so they apply to a text that changed since it was read (a human edit a second ago).
    """

    key_of: Callable[[cp.ChecklistItem, int], Hashable | None]
    changes: dict[Hashable, dict[str, Any]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.changes)

    def apply(self, text: str, style: str) -> str:
        edits = []
        for index, item in enumerate(occurrences(cp.parse_checklist(text))):
            key = self.key_of(item[0], item[1])
            if key is not None and key in self.changes:
                edits.append(cp.Edit(item[0].line_no, **self.changes[key]))
            del index
        return cp.apply_edits(text, edits, style=style)


def occurrences(items: list[cp.ChecklistItem]) -> list[tuple[cp.ChecklistItem, int]]:
    """Each item with how many earlier items share its section and text."""
    seen: dict[tuple[tuple[str, ...], str], int] = {}
    out = []
    for item in items:
        ident = (item.section, item.text)
        out.append((item, seen.get(ident, 0)))
        seen[ident] = seen.get(ident, 0) + 1
    return out


def identity_key(item: cp.ChecklistItem, occurrence: int) -> Hashable:
    return (item.section, item.text, occurrence)


def issue_key_fn(default_repo: str) -> Callable[[cp.ChecklistItem, int], Hashable | None]:
    def key(item: cp.ChecklistItem, _occurrence: int) -> Hashable | None:
        return item.issue.key(default_repo) if item.issue else None

    return key


def write_issue_body(
    client: GitHubClient, number: int, update: Callable[[str], str]
) -> tuple[str, str] | None:
    """Re-read an issue body just before writing, apply `update` to that fresh text (so an
    edit made on GitHub a second ago survives), and write it if it changed.

    Returns (old, new) bodies when a write happened.
    """
    fresh = client.fetch_issue(number)
    old = fresh.get("body") or ""
    new = update(old)
    if new == old:
        return None
    if len(new) > ISSUE_BODY_LIMIT:
        raise ToolError(
            f"issue #{number} would exceed GitHub's {ISSUE_BODY_LIMIT}-character body limit; "
            "split the checklist"
        )
    client.apply_issue_update(number, {"body": new})
    return old, new


def fetch_master(client: GitHubClient, number: int) -> dict[str, Any]:
    try:
        issue = client.fetch_issue(number)
    except NotFound as exc:
        raise ConfigError(
            f"master issue #{number} of {client.repo_name} not found ({exc.status}): check "
            "--master-issue, or remove the binding line from the plan to publish a new one"
        ) from None
    if "pull_request" in issue:
        raise ConfigError(f"#{number} is a pull request, not an issue: pass the master issue")
    # GitHub answers a transferred issue's old number with a redirect that the client follows:
    # writing there would re-read its `#N` links against the other repository
    home = str(issue.get("repository_url") or "").rsplit("/repos/", 1)[-1]
    if home and home.lower() != client.repo_name.lower():
        raise ConfigError(
            f"master issue #{number} of {client.repo_name} was transferred to "
            f"{home}#{issue['number']}: point --master-issue (or the plan's binding line) at "
            "a master issue of this repository"
        )
    return issue
