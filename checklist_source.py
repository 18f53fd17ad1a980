"""Where the checklist lives (a plan file bound to a master issue, or an issue body) and the
settings both scripts resolve: flags, environment, `.env`, the file's binding, the git remote.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import math
import os
import re
import stat
import subprocess
import tempfile
import time
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
from dotenv import dotenv_values

import checklist_parser as cp
from github_api import (
    DEFAULT_API_URL,
    AppCredentials,
    ConfigError,
    GitHubClient,
    Issue,
    NotFound,
    ToolError,
    scrub,
)
from report import Reporter

TMP_SUFFIX = ".checklist-sync.tmp"  # the temporary copy of a plan being replaced
STALE_COPY_AGE = 600.0  # seconds: no write takes that long, so such a copy was abandoned
MAX_PLAN_BYTES = 10 * 1024 * 1024  # a bigger plan would not fit in an issue body anyway
ISSUE_BODY_LIMIT = 65536  # characters GitHub accepts in an issue body
# The hidden markers, spelled here only: a master issue's names its plan, an item issue's
# names its master and the item's key.
MASTER_MARKER = "checklist-sync:master"
_MASTER_MARKER_RE = re.compile(
    rf"<!-- {MASTER_MARKER} plan=(?P<plan>[^\r\n]+?) digest=(?P<digest>[0-9a-f]+) -->"
)
ITEM_MARKER = "checklist-sync:item"
ITEM_MARKER_RE = re.compile(rf"<!-- {ITEM_MARKER} master=(\d+) key=([0-9a-f]+) -->")


def master_marker_prefix(label: str) -> str:
    """How a master issue's marker starts: enough to find the plan's master again."""
    return f"<!-- {MASTER_MARKER} plan={label} "


def item_marker(master: int, key: str) -> str:
    return f"<!-- {ITEM_MARKER} master={master} key={key} -->"


_REPO_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
_BINDING_URL_RE = re.compile(r"^(https?)://([^/\s]+)/([^/\s]+/[^/\s]+)/issues/(\d+)$")


# ---------------------------------------------------------------------------
# Settings


@dataclass(frozen=True)
class Settings:
    token: str | None
    repo: str | None  # None: nothing named or inferred one (a dry run then previews offline)
    api_url: str
    write_interval: float
    token_source: str = ""  # where the token came from, for the message when GitHub rejects it


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str] | None:
    try:
        return subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None


def _git_origin(cwd: Path) -> str | None:
    out = _git(cwd, "config", "--get", "remote.origin.url")
    return (out.stdout.strip() or None) if out else None


def _git_tracks(path: Path) -> bool:
    """True when `path` is committed to (tracked by) the git checkout it lies in."""
    out = _git(path.parent, "ls-files", "--error-unmatch", "--", path.name)
    return out is not None and out.returncode == 0


def _gh_token(host: str) -> str | None:
    """The token of a logged-in GitHub CLI (`gh auth token`), as `gh` itself would use it."""
    try:
        out = subprocess.run(
            ["gh", "auth", "token", "--hostname", host],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return (out.stdout.strip() or None) if out.returncode == 0 else None


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


def parse_repo_arg(value: str) -> tuple[str | None, str]:
    """(host or None, "OWNER/REPO") of `-R`: `OWNER/REPO`, `HOST/OWNER/REPO` or a URL, as gh
    takes them."""
    value = value.strip()
    if "://" in value or value.startswith("git@"):
        remote = parse_remote(value)
        if remote is None:
            raise ConfigError(f"--repo {value!r} is not a repository URL: pass OWNER/REPO")
        return remote
    parts = value.strip("/").split("/")
    if len(parts) == 3:
        return parts[0], f"{parts[1]}/{parts[2]}"
    return None, value


def api_url_for_host(host: str) -> str:
    if host.lower() in ("github.com", "www.github.com", "api.github.com"):
        return DEFAULT_API_URL
    return f"https://{host}/api/v3"  # GitHub Enterprise Server


def web_host(api_url: str) -> str:
    """The host whose issue pages belong to an API: github.com for api.github.com."""
    host = (urlsplit(api_url).hostname or "").lower()
    return "github.com" if host == "api.github.com" else host


def check_api_url(value: str, where: str) -> str:
    """GITHUB_API_URL as given, or a one-line error: a URL with no scheme would otherwise be
    read as a path and fail much later with an unrelated message."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            f"{where} {value!r} is not an http(s) URL: write it with its scheme, for example "
            "https://HOST/api/v3 (GitHub Enterprise) or http://127.0.0.1:PORT (a local fake)"
        )
    return value.strip().rstrip("/")


def _finite(_ctx: click.Context, _param: click.Parameter, value: float | None) -> float | None:
    if value is not None and math.isnan(value):  # FloatRange lets nan through
        raise click.BadParameter("nan is not a number of seconds from 0 to 3600")
    return value


def settings_options(command: Any) -> Any:
    """--repo and --write-interval: the settings both scripts take as flags."""
    options = [
        click.option(
            "-R",
            "--repo",
            metavar="[HOST/]OWNER/REPO",
            help="Repository, or its URL (default: env, .env, binding, git origin).",
        ),
        click.option(
            "--write-interval",
            type=click.FloatRange(min=0, max=3600),
            callback=_finite,
            metavar="SECONDS",
            help="Pause between writes (default 1, env CHECKLIST_WRITE_INTERVAL; 0 turns pacing "
            "off).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def find_dotenv(cwd: Path) -> Path | None:
    """The `.env` python-dotenv's find_dotenv(usecwd=True) finds: in the working directory or
    the nearest folder above it."""
    for folder in (cwd, *cwd.parents):
        candidate = folder / ".env"
        if candidate.is_file():
            return candidate
    return None


@dataclass(frozen=True)
class _Sources:
    """The environment and `.env`: named values, the real environment first."""

    environ: Mapping[str, str]
    dotenv: Mapping[str, str | None]
    dotenv_path: Path | None

    def get(self, *names: str) -> tuple[str | None, str]:
        """(value, where it came from) of the first name set, the environment before `.env`."""
        for source, label in ((self.environ, ""), (self.dotenv, f" in {self.dotenv_path}")):
            for name in names:
                value = source.get(name)
                if value:
                    return value, f"{name}{label}"
        return None, ""


def _load_sources(cwd: Path, environ: Mapping[str, str] | None) -> _Sources:
    dotenv_path = find_dotenv(cwd)
    return _Sources(
        os.environ if environ is None else environ,
        dotenv_values(dotenv_path) if dotenv_path else {},
        dotenv_path,
    )


def resolve_token(sources: _Sources, host: str, *, need: bool) -> tuple[str | None, str]:
    """GH_TOKEN, then GITHUB_TOKEN (as gh reads them), then a logged-in gh's token."""
    raw, where = sources.get("GH_TOKEN", "GITHUB_TOKEN")
    if raw is None and need:
        raw, where = _gh_token(host), "the token of `gh auth login`"
    if raw is None:
        if need:
            looked = f"read {sources.dotenv_path}" if sources.dotenv_path else "no .env found"
            raise ConfigError(
                "no GitHub token: set GH_TOKEN or GITHUB_TOKEN in the environment or in .env "
                f"({looked}), or log in with `gh auth login` (a token with issues read/write "
                "access)"
            )
        return None, ""
    token = raw.strip()
    if not token or any(ch.isspace() for ch in token):
        raise ConfigError(
            f"the token in {where} contains white space: set it to the token alone, on one line"
        )
    return token, where


def resolve_api_url(
    sources: _Sources, flag_host: str | None, origin: tuple[str, str] | None, repo: str | None
) -> str:
    """Where the token goes: only a host the user named (GITHUB_API_URL in the environment or
    in an untracked `.env`, the host of --repo, the origin of their own checkout) or
    github.com. Never one a plan names: its binding line is content anyone can edit."""
    if sources.environ.get("GITHUB_API_URL"):
        return check_api_url(sources.environ["GITHUB_API_URL"], "GITHUB_API_URL")
    dotenv_url = sources.dotenv.get("GITHUB_API_URL")
    if dotenv_url and sources.dotenv_path is not None:
        if _git_tracks(sources.dotenv_path):
            raise ConfigError(
                f"GITHUB_API_URL in {sources.dotenv_path} is not followed: git tracks that file, "
                "so it is the repository's content, not your configuration. Export "
                "GITHUB_API_URL yourself, or keep .env out of git"
            )
        return check_api_url(dotenv_url, f"GITHUB_API_URL in {sources.dotenv_path}")
    if flag_host:
        return api_url_for_host(flag_host)
    if origin and repo and origin[1].lower() == repo.lower():
        return api_url_for_host(origin[0])
    return DEFAULT_API_URL


def check_binding_host(binding_host: str | None, api_url: str, sources: _Sources) -> None:
    """A plan bound to an issue on another host than the API's belongs to another GitHub:
    refused, saying how to name that host. GITHUB_API_URL names the API itself, whose host
    may differ from the pages' (a proxy, a local fake), so it is taken as it is."""
    explicit = sources.environ.get("GITHUB_API_URL") or sources.dotenv.get("GITHUB_API_URL")
    if explicit or binding_host is None or binding_host.lower() == web_host(api_url):
        return
    raise ConfigError(
        f"the plan is bound to an issue on {binding_host}, but the token goes only to a host "
        f"you name ({web_host(api_url)} here): if {binding_host} is yours, set "
        f"GITHUB_API_URL=https://{binding_host}/api/v3"
    )


def resolve_write_interval(flag: float | None, sources: _Sources) -> float:
    if flag is not None:
        return flag
    raw, _where = sources.get("CHECKLIST_WRITE_INTERVAL")
    try:
        interval = float(raw) if raw else 1.0
    except ValueError:
        interval = math.nan
    if not 0 <= interval <= 3600:  # nan and inf fail too: a run that never writes again
        raise ConfigError(
            f"CHECKLIST_WRITE_INTERVAL={raw!r} is not a number of seconds from 0 to 3600"
        )
    return interval


def resolve_settings(
    *,
    repo_flag: str | None,
    binding: str | None,
    write_interval_flag: float | None,
    need_token: bool,
    cwd: Path | None = None,
    environ: Mapping[str, str] | None = None,
    need_repo: bool = False,
) -> Settings:
    """Flags, then the environment, then `.env`, then the file's binding, then git's origin."""
    cwd = cwd or Path.cwd()
    sources = _load_sources(cwd, environ)
    flag_host, flag_repo = parse_repo_arg(repo_flag) if repo_flag else (None, None)
    binding_host = binding_repo = None
    if binding:
        match = _BINDING_URL_RE.match(binding)
        if match:
            binding_host, binding_repo = match.group(2), match.group(3)
    repo = flag_repo or sources.get("GITHUB_REPOSITORY")[0] or binding_repo
    remote = _git_origin(cwd)
    origin = parse_remote(remote) if remote else None
    repo = repo or (origin[1] if origin else None)
    if repo is not None and not _REPO_RE.match(repo):
        raise ConfigError(f"repository {repo!r} is not of the form OWNER/REPO")
    api_url = resolve_api_url(sources, flag_host, origin, repo)
    check_binding_host(binding_host, api_url, sources)
    token, token_source = resolve_token(sources, web_host(api_url), need=need_token)
    if repo is None and (need_token or need_repo):
        raise ConfigError(
            "no repository: pass --repo OWNER/REPO, set GITHUB_REPOSITORY, or run inside a git "
            "checkout whose origin is on GitHub"
        )
    return Settings(
        token=token,
        repo=repo,
        api_url=api_url,
        write_interval=resolve_write_interval(write_interval_flag, sources),
        token_source=token_source,
    )


def env_setting(
    *names: str, cwd: Path | None = None, environ: Mapping[str, str] | None = None
) -> str | None:
    """The first of `names` set in the environment, else in `.env` (as resolve_settings)."""
    return _load_sources(cwd or Path.cwd(), environ).get(*names)[0]


def app_credentials(
    cwd: Path | None = None, environ: Mapping[str, str] | None = None
) -> AppCredentials | None:
    """The GitHub App to act as (GITHUB_APP_ID plus its private key), or None for a token."""
    app_id = env_setting("GITHUB_APP_ID", cwd=cwd, environ=environ)
    if not app_id:
        return None
    key = env_setting("GITHUB_APP_PRIVATE_KEY", cwd=cwd, environ=environ)
    key_file = env_setting("GITHUB_APP_PRIVATE_KEY_FILE", cwd=cwd, environ=environ)
    if not key and key_file:
        try:
            key = Path(key_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            why = exc.strerror if isinstance(exc, OSError) else "not a PEM text file"
            raise ConfigError(
                f"cannot read GITHUB_APP_PRIVATE_KEY_FILE {key_file}: {why}; point it at the "
                "App's .pem private key"
            ) from None
    if not key:
        raise ConfigError(
            "GITHUB_APP_ID is set but no private key: set GITHUB_APP_PRIVATE_KEY_FILE to the "
            "App's .pem file (or GITHUB_APP_PRIVATE_KEY to its text)"
        )
    key = key.replace("\\n", "\n")  # a PEM pasted into one .env line
    if not re.fullmatch(r"\d+", app_id.strip()):
        raise ConfigError(f"GITHUB_APP_ID={app_id!r} is not a number: use the App's numeric ID")
    try:
        import jwt

        jwt.encode({"iss": app_id}, key, algorithm="RS256")
    except Exception:  # PyJWT and cryptography raise several types for a bad key
        raise ConfigError(
            "the GitHub App private key is not a valid RSA PEM key: download a new one from "
            "the App's settings"
        ) from None
    return AppCredentials(app_id.strip(), key)


@contextlib.contextmanager
def github_session(
    settings: Settings,
    reporter: Reporter,
    app: AppCredentials | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Iterator[GitHubClient]:
    """One run's GitHub connection; on the way out, the summary line (with the `extra` fields
    the run filled in by then, for --json), then the connection closes. The CLI opens one per
    checklist, the server one per job.
    """
    auth = app.auth_for(settings.api_url, settings.repo) if app else None
    client = GitHubClient(
        settings.token,
        settings.repo,
        settings.api_url,
        write_interval=settings.write_interval,
        verbose=reporter.debug if reporter.verbose else None,
        notice=reporter.info,
        token_source=settings.token_source,
        auth=auth,
    )
    try:
        yield client
    finally:
        reporter.summary(
            requests=client.requests,
            rate_limit_remaining=client.rate_limit_remaining,
            **(extra or {}),
        )
        client.close()


@dataclass(frozen=True)
class Opened:
    """A checklist ready to run on: its plan (file mode) parsed once, the settings, and the
    master issue's number (--master-issue, else the plan's binding line)."""

    plan: PlanFile | None
    doc: cp.Document | None
    settings: Settings
    master: int | None
    from_binding: bool = False  # `master` is the binding's


def open_checklist(
    plan_path: Path | None,
    master: int | None,
    *,
    repo: str | None,
    write_interval: float | None,
    read_only: bool,
    need_token: bool = True,
    need_repo: bool = True,
) -> Opened:
    """Read and parse the plan, resolve the settings, check that a run that writes can write
    the plan, and read the binding into a master number; no request is made yet.
    """
    plan = PlanFile.read(plan_path) if plan_path else None
    doc = cp.parse_document(plan.text) if plan else None
    settings = resolve_settings(
        repo_flag=repo,
        binding=doc.binding if doc else None,
        write_interval_flag=write_interval,
        need_token=need_token,
        need_repo=need_repo,
    )
    if plan and not read_only:
        plan.check_writable()
    if plan is None or doc is None or not doc.binding or master is not None:
        return Opened(plan, doc, settings, master)
    bound = binding_target(doc.binding)
    if settings.repo is None:  # an offline preview: nothing to compare the binding with
        return Opened(plan, doc, settings, bound[1] if bound else None, bound is not None)
    if bound is None or bound[0].lower() != settings.repo.lower():
        # the file alone would leave its master behind (sync), or publish elsewhere (generate)
        raise ConfigError(
            f"{plan.path} is bound to {doc.binding}, not to an issue of {settings.repo}: "
            "fix the binding line or pass --repo"
        )
    return Opened(plan, doc, settings, bound[1], True)


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
        text = scrub(text)
        target = self.path.resolve()
        try:
            mode = target.stat().st_mode & 0o7777
            if not self._swept:
                self._swept = True
                remove_stale_copies(target)
            _replace(target, text.encode("utf-8"), mode)
        except OSError as exc:
            # disk full, quota, a read-only mount: the plan is as it was (the copy is gone)
            raise ConfigError(
                f"cannot write {self.path}: {exc.strerror or exc}; the file is unchanged: free "
                "the space (or fix the permissions) and rerun"
            ) from None
        self.text = text


def _replace(target: Path, data: bytes, mode: int) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=TMP_SUFFIX, dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


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


LOCK_WAIT = 600.0  # seconds a generate run waits for another one on the same checklist


def plan_lock(
    path: Path, on_wait: Callable[[str], None], wait: float = LOCK_WAIT
) -> contextlib.AbstractContextManager[None]:
    """Hold a plan for a whole generate run: a second run started at once would list the
    repository before the first one's issues exist and create every new item again.
    """
    try:
        key = str(path.resolve())
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop, before Python 3.13
        return contextlib.nullcontext()  # reading the plan reports what is wrong with its path
    return checklist_lock(key, str(path), on_wait, wait)


@contextlib.contextmanager
def checklist_lock(
    key: str, what: str, on_wait: Callable[[str], None], wait: float = LOCK_WAIT
) -> Iterator[None]:
    """Hold the checklist `key` names (a plan's real path, a master issue's API URL) for a
    whole run; `what` is how messages name it.

    An advisory lock on a file of its own in a per-user directory under the temporary
    directory, so it serialises runs on this machine only, one checklist at a time: two plans
    in one folder do not wait for each other. Not the plan itself: it is replaced (a new
    inode) on every write. The lock files stay (a few bytes each): removing one while another
    run waits on it would let a third run in beside it.
    """
    try:
        import fcntl
    except ImportError:  # Windows has no flock: runs there are not serialised
        yield
        return
    fd = _open_lock_file(key)
    if fd is None:
        yield  # no private place for lock files: run unserialised rather than not at all
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
                        f"another generate_issues.py run on {what} was still busy after "
                        f"{wait:.0f}s; rerun when it has finished"
                    ) from None
                if not told:
                    on_wait(f"waiting for another generate_issues.py run on {what} to finish")
                    told = True
                time.sleep(0.1)
        yield
    finally:
        os.close(fd)  # releases the lock (so does the end of the process, however it ends)


def _open_lock_file(key: str) -> int | None:
    uid = os.getuid() if hasattr(os, "getuid") else 0
    where = Path(tempfile.gettempdir()) / f"checklist-sync-{uid}"
    name = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32] + ".lock"
    try:
        where.mkdir(mode=0o700, exist_ok=True)
        info = where.lstat()
        # another user's directory (or a symlink planted there) is not ours to lock in
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != uid:
            return None
        return os.open(where / name, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except OSError:
        return None


# ---------------------------------------------------------------------------
# The master issue of a plan file


# The file form's Markdown link around a label, `[#12](URL)` or `[PR o/r#9](URL)`: in an issue
# body the label alone, `#12`, is what GitHub renders with the issue's title and state.
_FILE_LABEL_RE = re.compile(r"\(\[((?:PR )?[^\[\]()\s]*#\d+)\]\([^\s()]+\)\)")


def issue_style(text: str, items: list[cp.ChecklistItem] | None = None) -> str:
    """The plan with the tool's file-form links and PR annotations written as an issue body
    writes them (`([#12](URL))` becomes `(#12)`); every other byte, the user's links
    included, stays."""
    if "([" not in text:
        return text  # every file-form link and PR annotation holds it: nothing to rewrite
    contents, ends = cp.split_lines(text)
    changed = False
    for item in cp.parse_checklist(text) if items is None else items:
        link = item.link_span if item.link_style == "file" else None
        spans = [span for span in (link, item.annotation_span) if span is not None]
        if not spans:
            continue
        start, end = spans[0][0], spans[-1][1]  # the link, then its annotations
        line = contents[item.link_line_no - 1]
        tool_part = _FILE_LABEL_RE.sub(r"(\1)", line[start:end])
        if tool_part != line[start:end]:
            contents[item.link_line_no - 1] = line[:start] + tool_part + line[end:]
            changed = True
    if not changed:
        return text
    return "".join(c + e for c, e in zip(contents, ends, strict=True))


def normalize(text: str, items: list[cp.ChecklistItem] | None = None) -> str:
    """The plan with everything sync may change (boxes, the tool's annotations) cleared and
    its links in one style, so a file and its master issue compare equal; `items` are
    `text`'s when the caller parsed it already."""
    styled = issue_style(text, items)
    if items is None or styled != text:
        items = cp.parse_checklist(styled)
    edits = [cp.Edit(item.line_no, checked=False, pr=None, note=None) for item in items]
    cleared = cp.apply_edits(styled, edits, items=items)
    return re.sub(r"\r\n?", "\n", cleared).strip()


def digest(text: str, items: list[cp.ChecklistItem] | None = None) -> str:
    return digest_of(normalize(text, items))


def digest_of(normalized: str) -> str:
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()[:16]


DIGEST_PLACEHOLDER = "0" * 16  # as long as any digest: for measuring a body


def mirrored_plan(plan_text: str, *, unbound: bool = False) -> str:
    """What of a plan file its master issue mirrors: the plan without its byte order mark,
    binding line (`unbound`: it has none) and front matter (an issue would show it as
    Markdown), with no token in it (never published), its links as an issue body writes
    them (GitHub then shows each linked issue's title and state)."""
    plan = (plan_text if unbound else cp.strip_binding(plan_text)).lstrip("\ufeff")
    return issue_style(scrub(cp.split_front_matter(plan)[1]))


def master_body(
    plan_text: str,
    label: str,
    *,
    unbound: bool = False,
    items: list[cp.ChecklistItem] | None = None,
    digest_value: str | None = None,
    mirrored: bool = False,
) -> str:
    """The master issue's body: a line naming the plan file, the mirrored plan, the hidden
    marker (with the digest of the text the issue holds).

    What the caller knows costs no parse: `unbound`, that `plan_text` has no binding line;
    `items`, its items; `digest_value`, the digest (DIGEST_PLACEHOLDER to measure the body);
    `mirrored`, that `plan_text` is mirrored_plan's answer already.
    """
    plan = plan_text if mirrored else mirrored_plan(plan_text, unbound=unbound)
    if digest_value is None:
        # the parse of `plan_text` holds for `plan` when nothing above changed it
        digest_value = digest(plan, items if plan == plan_text else None)
    nl = cp.first_newline(plan)
    header = f"Checklist mirrored from `{label}` by checklist-sync: edit the file, then rerun."
    marker = f"{master_marker_prefix(label)}digest={digest_value} -->"
    return f"{header}{nl}{nl}{plan.rstrip(chr(13) + chr(10))}{nl}{nl}{marker}"


NUMBER_DIGITS = 6  # issue and pull request numbers up to 999,999, for the estimate below


def check_body_fits(
    body: str, items: list[cp.ChecklistItem], style: str, repo_url: str, what: str
) -> None:
    """Refuse a checklist whose issue body could outgrow GitHub's limit once generate and sync
    have written to it: every unchecked item linked and every linked one annotated (the
    longer of a same-repository PR and a note), numbers of NUMBER_DIGITS digits. A body that
    fits today but not then would block every later sync, so the refusal comes first.

    `body` is the issue body as it would be written now (a plan's master body, or the issue
    mode checklist), `items` its items, `style` the links it carries.
    """
    number = int("9" * NUMBER_DIGITS)
    link = 1 + len(cp.format_link(cp.IssueRef(number, None, f"{repo_url}/issues/{number}"), style))
    pr = cp.format_annotations(cp.IssueRef(number, None, f"{repo_url}/pull/{number}"), None, style)
    longest = max(len(pr), *(len(cp.format_annotations(None, n, style)) for n in cp.NOTES))
    bound = len(body)
    for item in items:
        if item.issue is None and item.checked:
            continue  # generate leaves it alone, sync reads only linked items
        if item.issue is None:
            bound += link
        bound += max(0, longest - len(cp.format_annotations(item.pr, item.note, style)))
    if bound > ISSUE_BODY_LIMIT:
        raise ConfigError(
            f"{what} is too long for an issue body ({bound} characters once every item is "
            f"linked and annotated, GitHub takes {ISSUE_BODY_LIMIT}): split it into several "
            "plans"
        )


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


def other_plan(body: str, label: str) -> str | None:
    """The plan a master issue's marker names, when it is not `label` (None: no marker, or
    ours). A copied plan keeps its binding line: the marker says whose master an issue is.
    """
    named = split_master_body(body)[0]
    return named if named is not None and named != label else None


def master_edited(body: str, normalized: str | None = None) -> bool:
    """True when the master issue holds text the tool did not write: edited on GitHub since
    the last publish (boxes and the tool's annotations aside), or someone else's issue.
    `normalized`: normalize() of the body's plan part, when the caller has it.
    """
    if not body.strip():
        return False
    _label, recorded, plan = split_master_body(body)
    if recorded is None:
        return True
    # the tool writes nothing after its marker: text there was added on GitHub
    after = body[[*_MASTER_MARKER_RE.finditer(body)][-1].end() :]
    if normalized is None:
        normalized = normalize(plan)
    return bool(after.strip()) or digest_of(normalized) != recorded


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

    def apply(self, text: str, style: str, items: list[cp.ChecklistItem] | None = None) -> str:
        """`text` with the changes made to the items they are keyed to (`items`: `text`'s,
        when the caller parsed it already)."""
        if items is None:
            items = cp.parse_checklist(text)
        edits = []
        for item, occurrence in occurrences(items):
            key = self.key_of(item, occurrence)
            if key is not None and key in self.changes:
                edits.append(cp.Edit(item.line_no, **self.changes[key]))
        return cp.apply_edits(text, edits, style=style, items=items)


def occurrences(items: list[cp.ChecklistItem]) -> list[tuple[cp.ChecklistItem, int]]:
    """Each item with how many earlier items share its section and text."""
    seen: dict[tuple[tuple[str, ...], str], int] = {}
    out = []
    for item in items:
        ident = (item.section, item.text)
        out.append((item, seen.get(ident, 0)))
        seen[ident] = seen.get(ident, 0) + 1
    return out


def linked_numbers(items: Iterable[cp.ChecklistItem], repo: str) -> set[int]:
    """The numbers of the issues (and pull requests) of `repo` that items link."""
    return {
        item.issue.number
        for item in items
        if item.issue and item.issue.resolve(repo).lower() == repo.lower()
    }


def identity_key(item: cp.ChecklistItem, occurrence: int) -> Hashable:
    return (item.section, item.text, occurrence)


def issue_key_fn(default_repo: str) -> Callable[[cp.ChecklistItem, int], Hashable | None]:
    def key(item: cp.ChecklistItem, _occurrence: int) -> Hashable | None:
        return item.issue.key(default_repo) if item.issue else None

    return key


class BodyTooLong(ToolError):
    """An issue body would exceed GitHub's limit: that document is not written."""


def write_issue_body(client: GitHubClient, number: int, update: Callable[[str], str]) -> None:
    """Write `update` applied to the issue body as it is just before the write (so an edit
    made on GitHub a second ago survives); nothing when it changes nothing.
    """

    def within_limit(old: str) -> str:
        new = update(old)
        if new != old and len(new) > ISSUE_BODY_LIMIT:
            raise BodyTooLong(
                f"issue #{number} would exceed GitHub's {ISSUE_BODY_LIMIT}-character body "
                "limit; split the checklist"
            )
        return new

    client.apply_body_update(number, within_limit)


def fetch_master(client: GitHubClient, number: int) -> Issue:
    try:
        issue = Issue.from_json(client.fetch_issue(number))
    except NotFound as exc:
        raise ConfigError(
            f"master issue #{number} of {client.repo_name} not found ({exc.status}): check "
            "--master-issue, or remove the binding line from the plan to publish a new one"
        ) from None
    if issue.pull_request:
        raise ConfigError(f"#{number} is a pull request, not an issue: pass the master issue")
    # GitHub answers a transferred issue's old number with a redirect that the client follows:
    # writing there would re-read its `#N` links against the other repository
    home = issue.repository
    if home and home.lower() != client.repo_name.lower():
        raise ConfigError(
            f"master issue #{number} of {client.repo_name} was transferred to "
            f"{home}#{issue.number}: point --master-issue (or the plan's binding line) at "
            "a master issue of this repository"
        )
    return issue
