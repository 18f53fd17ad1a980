"""How both scripts talk to GitHub: one PyGithub connection with counting, pacing and retries.

Reads are `fetch_*`, writes are `apply_*`; every fault GitHub can answer becomes a typed error.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import click
import requests
from github import Auth, Github, GithubException

T = TypeVar("T")

DEFAULT_API_URL = "https://api.github.com"
PAGE_SIZE = 100
# GitHub asks integrators to keep content creation under 80 a minute and 500 an hour.
CREATES_PER_MINUTE = 80
CREATES_PER_HOUR = 500
RETRIES = 4  # transient faults (5xx, dropped connections) retried with backoff
BACKOFF = 0.5  # seconds, doubled after every retry
MAX_RATE_WAIT = 900.0  # seconds we wait for a rate limit to lift before giving up


# ---------------------------------------------------------------------------
# Errors: the cases we act on


class ToolError(click.ClickException):
    """An expected fault, reported as one line; exit 2 for configuration, 1 otherwise."""

    exit_code = 1

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {redact(self.format_message())}", err=True)


class ConfigError(ToolError):
    """Bad arguments, no token, token rejected, repository not found, unreadable file."""

    exit_code = 2


class GitHubUnavailable(ToolError):
    """GitHub kept failing (5xx, dropped connections, rate limits) after every retry."""


class NotFound(ToolError):
    """An object GitHub says does not exist (404) or is gone (410)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class CreateUncertain(ToolError):
    """A create got no clean answer: the issue may or may not exist now."""


class Rejected(ToolError):
    """GitHub refused one request (422 validation and the like); the batch goes on."""


_SECRETS: set[str] = set()


def register_secret(secret: str) -> None:
    if secret:
        _SECRETS.add(secret)


def redact(text: str) -> str:
    """Remove every known token (and anything shaped like a GitHub token) from text."""
    for secret in _SECRETS:
        text = text.replace(secret, "***")
    return re.sub(r"\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})\b", "***", text)


def _message(exc: GithubException) -> str:
    data = exc.data if isinstance(exc.data, dict) else {}
    message = str(data.get("message") or exc.message or "").strip()
    for error in data.get("errors") or ():
        if isinstance(error, dict) and error.get("message"):
            message += f": {error['message']}"
        elif isinstance(error, dict) and error.get("field"):
            # GitHub names only the field and a code for most validation errors: without them
            # "Validation Failed" does not say which option to fix
            value = f" {error['value']!r}" if "value" in error else ""
            message += f": {error.get('code', 'invalid')} {error['field']}{value}"
    return redact(message) or f"HTTP {exc.status}"


def _is_rate_limited(exc: GithubException) -> bool:
    if exc.status == 429:
        return True
    if exc.status != 403:
        return False
    headers = {k.lower(): v for k, v in (exc.headers or {}).items()}
    return (
        "retry-after" in headers
        or headers.get("x-ratelimit-remaining") == "0"
        or "rate limit" in _message(exc).lower()
    )


def _rate_wait(exc: GithubException) -> float:
    headers = {k.lower(): v for k, v in (exc.headers or {}).items()}
    if "retry-after" in headers:
        try:
            return max(float(headers["retry-after"]), 0.0)
        except ValueError:
            pass
    if headers.get("x-ratelimit-remaining") == "0" and "x-ratelimit-reset" in headers:
        try:
            return max(float(headers["x-ratelimit-reset"]) - time.time(), 0.0) + 1
        except ValueError:
            pass
    return 60.0  # GitHub's advice for a secondary limit without Retry-After


# ---------------------------------------------------------------------------
# Request log: PyGithub logs every HTTP exchange at DEBUG; we count them from there.


@dataclass
class RequestLog(logging.Handler):
    count: int = 0
    writes: int = 0
    echo: Callable[[str], None] | None = None

    def __post_init__(self) -> None:
        logging.Handler.__init__(self, logging.DEBUG)

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args
        if not isinstance(args, tuple) or len(args) < 7:
            return
        verb, url, status = args[0], args[3], args[6]
        self.count += 1
        if verb != "GET" and not str(url).endswith("/graphql"):
            self.writes += 1
        if self.echo is not None:
            self.echo(redact(f"{verb} {url} -> {status}"))

    def __hash__(self) -> int:  # logging keeps handlers in sets
        return id(self)


# ---------------------------------------------------------------------------
# Write pacing


@dataclass
class WritePacer:
    """Keeps content creation within GitHub's advice: a fixed interval plus minute/hour caps.

    An interval of 0 turns pacing off (a local fake server has no limits).
    """

    interval: float = 1.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    _recent: deque[float] = field(default_factory=deque)

    def wait(self) -> None:
        if self.interval <= 0:
            return
        now = self.clock()
        delay = 0.0
        if self._recent:
            delay = max(delay, self._recent[-1] + self.interval - now)
        while self._recent and self._recent[0] <= now - 3600:
            self._recent.popleft()
        if len(self._recent) >= CREATES_PER_HOUR:
            delay = max(delay, self._recent[-CREATES_PER_HOUR] + 3600 - now)
        minute = [t for t in self._recent if t > now - 60]
        if len(minute) >= CREATES_PER_MINUTE:
            delay = max(delay, minute[-CREATES_PER_MINUTE] + 60 - now)
        if delay > 0:
            self.sleep(delay)
        self._recent.append(self.clock())

    @staticmethod
    def estimate(count: int, interval: float) -> float:
        """Seconds `count` paced writes take (what --dry-run reports)."""
        if interval <= 0 or count <= 0:
            return 0.0
        times: list[float] = []
        now = 0.0
        for _ in range(count):
            if times:
                now = max(now, times[-1] + interval)
            if len(times) >= CREATES_PER_HOUR:
                now = max(now, times[-CREATES_PER_HOUR] + 3600)
            if len(times) >= CREATES_PER_MINUTE:
                now = max(now, times[-CREATES_PER_MINUTE] + 60)
            times.append(now)
        return times[-1]


# ---------------------------------------------------------------------------
# The connection


@dataclass(frozen=True)
class IssueState:
    """What sync needs to know about one linked issue, fetched in one batch."""

    repo: str  # where the issue lives now ("OWNER/REPO")
    number: int
    state: str  # "open" | "closed"
    state_reason: str | None  # "completed" | "not_planned" | "duplicate" | "reopened" | None
    url: str
    closing_pr: (
        tuple[str, int, str] | None
    )  # (repo, number, html url) of the merged PR that closed it


# An item may link an issue or a pull request; both come back in one shape.
_STATE_FIELDS = """
  __typename
  ... on Issue {
    number url state stateReason repository { nameWithOwner }
    timelineItems(itemTypes: [CLOSED_EVENT], last: 1) {
      nodes { ... on ClosedEvent { closer {
        __typename
        ... on PullRequest { number url merged repository { nameWithOwner } }
      } } }
    }
  }
  ... on PullRequest { number url prState: state merged repository { nameWithOwner } }
"""


class GitHubClient:
    """A PyGithub connection to one repository with retries, pacing and request counting."""

    def __init__(
        self,
        token: str | None,
        repo: str,
        api_url: str = DEFAULT_API_URL,
        *,
        write_interval: float = 1.0,
        verbose: Callable[[str], None] | None = None,
        timeout: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        auth: Auth.Auth | None = None,
    ) -> None:
        if token:
            register_secret(token)
        self.repo_name = repo
        self.api_url = api_url.rstrip("/")
        self.sleep = sleep
        self.pacer = WritePacer(write_interval, sleep=sleep)
        self.log = RequestLog(echo=verbose)
        self.failed_attempts = 0
        logger = logging.getLogger("github.Requester")
        for handler in list(logger.handlers):
            if isinstance(handler, RequestLog):
                logger.removeHandler(handler)
        logger.addHandler(self.log)
        logger.setLevel(logging.DEBUG)
        logger.propagate = False
        # PyGithub's own retry would re-send a POST after a 5xx (a duplicate issue when GitHub
        # had created it) and its pacing counts GraphQL reads as writes: we do both ourselves.
        self.gh = Github(
            auth=auth or Auth.Token(token or ""),
            base_url=self.api_url,
            retry=None,
            timeout=int(timeout),
            per_page=PAGE_SIZE,
            seconds_between_requests=None,
            seconds_between_writes=None,
        )
        self.requester = self.gh.requester
        self._repo: Any = None

    # -- plumbing -----------------------------------------------------------

    @property
    def requests(self) -> int:
        return self.log.count + self.failed_attempts

    @property
    def rate_limit_remaining(self) -> int | None:
        # the requester's copy: PyGithub's property sends GET /rate_limit when no answer came
        # yet, which raises again when GitHub is unreachable (and spends a request)
        remaining, _limit = self.requester.rate_limiting
        return remaining if remaining >= 0 else None

    def close(self) -> None:
        logging.getLogger("github.Requester").removeHandler(self.log)
        self.gh.close()

    def call(self, what: str, fn: Callable[[], T], *, idempotent: bool = True) -> T:
        """Run one API call; wait out rate limits, retry transient faults when safe."""
        delay = BACKOFF
        waited = 0.0
        attempt = 0
        while True:
            attempt += 1
            try:
                return fn()
            except GithubException as exc:
                if _is_rate_limited(exc):
                    pause = _rate_wait(exc)
                    if waited + pause > MAX_RATE_WAIT:
                        raise GitHubUnavailable(
                            f"{what}: GitHub rate limit still in force after waiting "
                            f"{waited:.0f}s; rerun later (nothing half-written)"
                        ) from None
                    waited += pause
                    self.sleep(pause)
                    continue
                if exc.status >= 500 and idempotent and attempt <= RETRIES:
                    self.sleep(delay)
                    delay *= 2
                    continue
                raise self._translate(what, exc) from None
            except (requests.exceptions.RequestException, ConnectionError, OSError) as exc:
                self.failed_attempts += 1
                if idempotent and attempt <= RETRIES:
                    self.sleep(delay)
                    delay *= 2
                    continue
                if not idempotent:
                    raise CreateUncertain(
                        f"{what}: no answer from GitHub ({type(exc).__name__})"
                    ) from None
                raise GitHubUnavailable(
                    f"{what}: GitHub did not answer after {attempt} attempts "
                    f"({type(exc).__name__}); check the network and rerun"
                ) from None

    def _translate(self, what: str, exc: GithubException) -> ToolError:
        message = _message(exc)
        status = exc.status
        if status == 401:
            return ConfigError(
                "GitHub rejected the token (401 Bad credentials): set GITHUB_TOKEN to a valid "
                "token with access to the repository's issues"
            )
        if status == 403:
            return ConfigError(
                f"{what}: the token may not do this (403 {message}); use a token with "
                "issues write access to the repository"
            )
        if status in (404, 410):
            return NotFound(f"{what}: {message} ({status})", status)
        if status >= 500:
            return GitHubUnavailable(
                f"{what}: GitHub kept failing ({status} {message}); rerun later"
            )
        return Rejected(f"{what}: GitHub refused it ({status} {message})")

    def raw(self, verb: str, url: str, **kwargs: Any) -> tuple[dict[str, Any], Any]:
        return self.requester.requestJsonAndCheck(verb, url, **kwargs)

    # -- reads ----------------------------------------------------------------

    def fetch_repo(self) -> dict[str, Any]:
        """The repository (also checks that the token works and can see it)."""
        try:
            _, data = self.call(
                f"reading repository {self.repo_name}",
                lambda: self.raw("GET", f"/repos/{self.repo_name}"),
            )
        except NotFound:
            raise ConfigError(
                f"repository {self.repo_name} not found, or the token cannot see it: check "
                "--repo / GITHUB_REPOSITORY and the token's access"
            ) from None
        if not data.get("has_issues", True):
            raise ConfigError(
                f"issues are disabled in {self.repo_name}: enable them in the repository settings"
            )
        return data

    def fetch_issue(self, number: int, repo: str | None = None) -> dict[str, Any]:
        repo = repo or self.repo_name
        _, data = self.call(
            f"reading issue {repo}#{number}",
            lambda: self.raw("GET", f"/repos/{repo}/issues/{number}"),
        )
        return data

    def iter_pages(self, what: str, url: str, params: dict[str, Any]) -> Iterator[list[Any]]:
        """Every page of a listing, following GitHub's Link headers."""
        next_url: str | None = url
        parameters: dict[str, Any] | None = {**params, "per_page": PAGE_SIZE}
        while next_url:
            target = next_url
            query = parameters
            headers, data = self.call(
                what, lambda t=target, q=query: self.raw("GET", t, parameters=q)
            )
            yield data
            next_url = _next_link(headers.get("link", ""))
            parameters = None  # the next link carries them

    def fetch_all_issues(self) -> list[dict[str, Any]]:
        """All issues of the repository, open or closed (pull requests left out): one listing."""
        issues: list[dict[str, Any]] = []
        for page in self.iter_pages(
            f"listing issues of {self.repo_name}",
            f"/repos/{self.repo_name}/issues",
            {"state": "all", "sort": "created", "direction": "asc"},
        ):
            issues.extend(i for i in page if "pull_request" not in i)
        return issues

    def fetch_recent_issues(self, count: int = 30) -> list[dict[str, Any]]:
        """The newest issues (where an unanswered create would be)."""
        _, data = self.call(
            f"listing recent issues of {self.repo_name}",
            lambda: self.raw(
                "GET",
                f"/repos/{self.repo_name}/issues",
                parameters={
                    "state": "all",
                    "sort": "created",
                    "direction": "desc",
                    "per_page": count,
                },
            ),
        )
        return [i for i in data if "pull_request" not in i]

    def fetch_comments(self, number: int) -> list[dict[str, Any]]:
        comments: list[dict[str, Any]] = []
        for page in self.iter_pages(
            f"reading comments of #{number}",
            f"/repos/{self.repo_name}/issues/{number}/comments",
            {},
        ):
            comments.extend(page)
        return comments

    def fetch_label(self, name: str) -> dict[str, Any] | None:
        from urllib.parse import quote

        try:
            _, data = self.call(
                f"reading label {name!r}",
                lambda: self.raw("GET", f"/repos/{self.repo_name}/labels/{quote(name, safe='')}"),
            )
        except NotFound:
            return None
        return data

    def fetch_milestone_number(self, milestone: str) -> int:
        """A milestone given by number or by title."""
        for page in self.iter_pages(
            "listing milestones",
            f"/repos/{self.repo_name}/milestones",
            {"state": "all"},
        ):
            for item in page:
                if str(item["number"]) == milestone or item["title"] == milestone:
                    return int(item["number"])
        raise ConfigError(
            f"milestone {milestone!r} not found in {self.repo_name}: pass its title or number"
        )

    def fetch_issue_states(
        self, refs: list[tuple[str, int]]
    ) -> dict[tuple[str, int], IssueState | None]:
        """State, reason and closing PR of many issues: one GraphQL query per 100 issues.

        A missing issue (deleted, or never existed) maps to None.
        """
        result: dict[tuple[str, int], IssueState | None] = {}
        unique = list(dict.fromkeys((repo.lower(), number) for repo, number in refs))
        for start in range(0, len(unique), PAGE_SIZE):
            batch = unique[start : start + PAGE_SIZE]
            by_repo: dict[str, list[int]] = {}
            for repo, number in batch:
                by_repo.setdefault(repo, []).append(number)
            parts = []
            aliases: dict[str, tuple[str, dict[str, tuple[str, int]]]] = {}
            for r_index, (repo, numbers) in enumerate(by_repo.items()):
                owner, name = repo.split("/", 1)
                fields = []
                issue_aliases: dict[str, tuple[str, int]] = {}
                for number in numbers:
                    alias = f"i{number}"
                    issue_aliases[alias] = (repo, number)
                    fields.append(
                        f"{alias}: issueOrPullRequest(number: {number}) {{{_STATE_FIELDS}}}"
                    )
                r_alias = f"r{r_index}"
                aliases[r_alias] = (repo, issue_aliases)
                parts.append(
                    f"{r_alias}: repository(owner: {_gql_string(owner)}, "
                    f"name: {_gql_string(name)}) {{ {' '.join(fields)} }}"
                )
            query = "query { " + " ".join(parts) + " }"
            _, data = self.call("reading issue states", lambda q=query: self._graphql(q))
            payload = data.get("data") or {}
            errors = [e for e in data.get("errors") or [] if e.get("type") != "NOT_FOUND"]
            if errors and not payload:
                raise GitHubUnavailable(
                    "reading issue states: GitHub's GraphQL API answered "
                    + redact(str(errors[0].get("message", errors[0])))
                )
            for r_alias, (_repo, issue_aliases) in aliases.items():
                repo_data = payload.get(r_alias) or {}
                for alias, key in issue_aliases.items():
                    node = repo_data.get(alias)
                    result[key] = _issue_state(node) if node else None
        return result

    def _graphql(self, query: str) -> tuple[dict[str, Any], Any]:
        headers, data = self.raw(
            "POST", self.requester.graphql_url, input={"query": query, "variables": {}}
        )
        if any(e.get("type") == "RATE_LIMITED" for e in data.get("errors") or ()):
            # GraphQL reports its rate limit in a 200 answer: wait it out like a REST 403
            raise GithubException(403, {"message": "GraphQL API rate limit exceeded"}, headers)
        return headers, data

    # -- writes ---------------------------------------------------------------

    def apply_create_issue(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Create an issue. Never retried here: the caller looks for it first (see SPEC)."""
        self.pacer.wait()
        _, data = self.call(
            f"creating issue {payload['title']!r}",
            lambda: self.raw("POST", f"/repos/{self.repo_name}/issues", input=payload),
            idempotent=False,
        )
        return data

    def apply_issue_update(self, number: int, fields: dict[str, Any]) -> dict[str, Any]:
        self.pacer.wait()  # GitHub asks for a pause between any two writes
        # an edit sends the whole field again, so re-sending it after a 5xx is safe
        _, data = self.call(
            f"updating issue #{number}",
            lambda: self.raw("PATCH", f"/repos/{self.repo_name}/issues/{number}", input=fields),
        )
        return data

    def apply_comment(self, number: int, body: str) -> dict[str, Any]:
        self.pacer.wait()
        _, data = self.call(
            f"commenting on #{number}",
            lambda: self.raw(
                "POST", f"/repos/{self.repo_name}/issues/{number}/comments", input={"body": body}
            ),
            idempotent=False,
        )
        return data

    def apply_comment_update(self, comment_id: int, body: str) -> dict[str, Any]:
        self.pacer.wait()
        # an edit sends the whole body again, so re-sending it after a 5xx is safe
        _, data = self.call(
            f"editing comment {comment_id}",
            lambda: self.raw(
                "PATCH",
                f"/repos/{self.repo_name}/issues/comments/{comment_id}",
                input={"body": body},
            ),
        )
        return data

    def apply_label(self, name: str, color: str, description: str) -> None:
        self.pacer.wait()  # GitHub asks for a pause between any two writes
        # re-sending it after a 5xx or a dropped answer is safe: a label GitHub did create
        # answers 422 already_exists the second time, which counts as done
        with contextlib.suppress(Rejected):  # created meanwhile (422 already_exists)
            self.call(
                f"creating label {name!r}",
                lambda: self.raw(
                    "POST",
                    f"/repos/{self.repo_name}/labels",
                    input={"name": name, "color": color, "description": description},
                ),
            )

    def apply_sub_issue(self, parent: int, child_id: int) -> None:
        self.pacer.wait()  # GitHub asks for a pause between any two writes
        try:
            self.call(
                f"attaching sub-issue to #{parent}",
                lambda: self.raw(
                    "POST",
                    f"/repos/{self.repo_name}/issues/{parent}/sub_issues",
                    input={"sub_issue_id": child_id},
                ),
            )
        except Rejected as exc:
            # already attached (a rerun after a crash) is done; any other refusal (the
            # 100-sub-issue limit) is the caller's to report
            if "duplicate sub-issues" not in exc.format_message():
                raise


# ---------------------------------------------------------------------------
# GitHub App authentication


@dataclass
class AppCredentials:
    """A GitHub App's id and private key; one installation token per installation, which
    PyGithub renews shortly before it expires (it asks for a new one with the App's JWT).
    """

    app_id: str
    private_key: str
    _installs: dict[tuple[str, str], int] = field(default_factory=dict, repr=False)
    _auths: dict[tuple[str, int], Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        register_secret(self.private_key)

    def auth_for(self, api_url: str, repo: str) -> Auth.Auth:
        """The installation auth for `repo`: GET /repos/{repo}/installation, once per process."""
        key = (api_url.rstrip("/"), repo.lower())
        if key not in self._installs:
            from github import GithubIntegration

            app_auth = Auth.AppAuth(self.app_id, self.private_key)
            integration = GithubIntegration(auth=app_auth, base_url=key[0], retry=None)
            owner, name = repo.split("/", 1)
            try:
                installation = integration.get_repo_installation(owner, name)
            except GithubException as exc:
                if exc.status == 401:
                    raise ConfigError(
                        f"GitHub rejected the App's JWT (401 {_message(exc)}): check "
                        "GITHUB_APP_ID and the App's private key"
                    ) from None
                raise ConfigError(
                    f"the GitHub App {self.app_id} is not installed on {repo} "
                    f"({exc.status} {_message(exc)}): install it on the repository"
                ) from None
            except (requests.exceptions.RequestException, OSError) as exc:
                raise GitHubUnavailable(
                    f"finding the App's installation on {repo}: no answer from GitHub "
                    f"({type(exc).__name__}); check the network"
                ) from None
            finally:
                integration.close()
            self._installs[key] = installation.id
            self._auths.setdefault(
                (key[0], installation.id), app_auth.get_installation_auth(installation.id)
            )
        return self._auths[(key[0], self._installs[key])]


def _gql_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _next_link(link_header: str) -> str | None:
    for part in link_header.split(","):
        match = re.search(r'<([^>]+)>\s*;\s*rel="next"', part)
        if match:
            return match.group(1)
    return None


def _issue_state(node: dict[str, Any]) -> IssueState:
    if node.get("__typename") == "PullRequest":
        # an item that links a pull request: merged counts as done, closed unmerged as dropped
        merged = bool(node.get("merged"))
        return IssueState(
            repo=node["repository"]["nameWithOwner"],
            number=int(node["number"]),
            state="open" if node["prState"] == "OPEN" else "closed",
            state_reason="completed" if merged else "not_planned",
            url=node["url"],
            closing_pr=None,
        )
    closing = None
    timeline = (node.get("timelineItems") or {}).get("nodes") or []
    for event in timeline:
        closer = (event or {}).get("closer") or {}
        if closer.get("__typename") == "PullRequest" and closer.get("merged"):
            closing = (
                closer["repository"]["nameWithOwner"],
                int(closer["number"]),
                closer["url"],
            )
    reason = node.get("stateReason")
    return IssueState(
        repo=node["repository"]["nameWithOwner"],
        number=int(node["number"]),
        state=str(node["state"]).lower(),
        state_reason=reason.lower() if reason else None,
        url=node["url"],
        closing_pr=closing,
    )
