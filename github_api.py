"""How both scripts talk to GitHub: one PyGithub connection with counting, pacing and retries.

Reads are `fetch_*`, writes are `apply_*`; every fault GitHub can answer becomes a typed error.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import re
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

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
MAX_ISSUE_NUMBER = 2**31 - 1  # GraphQL's Int is 32-bit: a bigger number fails the whole query


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


class NotGitHubAPI(ConfigError):
    """The server at the API URL answers, but not as GitHub's API does: a proxy's login page,
    the web UI, an answer cut short, a list where GitHub sends an object.
    """


class GitHubUnavailable(ToolError):
    """GitHub kept failing (5xx, dropped connections, rate limits) after every retry."""


class NotFound(ToolError):
    """An object GitHub says does not exist (404) or is gone (410); `answer` is the body."""

    def __init__(self, message: str, status: int, answer: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.answer = answer


class CreateUncertain(ToolError):
    """A create got no clean answer: the issue may or may not exist now."""


class Rejected(ToolError):
    """GitHub refused one request (422 validation and the like); the batch goes on."""


_SECRETS: set[str] = set()


def register_secret(secret: str) -> None:
    if secret:
        _SECRETS.add(secret)


def redact(text: str) -> str:
    """Remove every known token (and anything shaped like a GitHub token) from output."""
    text = scrub(text)
    return re.sub(r"\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})\b", "***", text)


def scrub(text: str) -> str:
    """Text to be written to GitHub, without our tokens: a server that echoes one (in an
    `html_url`, a `Link`) must not get it published. Only known secrets go: anything else
    that looks like a token is the user's text, written as it is.
    """
    for secret in _SECRETS:
        text = text.replace(secret, "***")
    return text


def _scrub_fields(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: scrub(v) if isinstance(v, str) else v for k, v in fields.items()}


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


def _rate_wait(exc: GithubException, now: float) -> float:
    headers = {k.lower(): v for k, v in (exc.headers or {}).items()}
    if "retry-after" in headers:
        try:
            return max(float(headers["retry-after"]), 0.0)
        except ValueError:
            pass
    if headers.get("x-ratelimit-remaining") == "0" and "x-ratelimit-reset" in headers:
        try:
            return max(float(headers["x-ratelimit-reset"]) - now, 0.0) + 1
        except ValueError:
            pass
    return 60.0  # GitHub's advice for a secondary limit without Retry-After


# ---------------------------------------------------------------------------
# Retry policy: what to do after one failed attempt, decided without I/O (the seam
# gidgethub's sansio module has), so every case is a row of a table test.


@dataclass(frozen=True)
class Retry:
    """Send the request again after a backoff pause (a transient fault)."""

    seconds: float


@dataclass(frozen=True)
class Wait:
    """Send the request again once GitHub's rate limit has lifted."""

    seconds: float


@dataclass(frozen=True)
class Fail:
    """Stop. `why`: "rate limit" (still in force after the longest wait), "answer" (GitHub's
    answer stands), "uncertain" (a write got no answer: it may have happened), "unreachable".
    """

    why: str


Step = Retry | Wait | Fail
NETWORK_ERRORS = (requests.exceptions.RequestException, ConnectionError, OSError)


def retry_step(error: Exception, attempt: int, waited: float, idempotent: bool, now: float) -> Step:
    """After attempt number `attempt` (from 1) failed with `error`, `waited` seconds of rate
    limit waits so far; `idempotent`: sending the request twice does no harm.
    """
    if isinstance(error, GithubException):
        if _is_rate_limited(error):
            # a rate-limited request was not carried out: waiting and resending is always safe
            pause = _rate_wait(error, now)
            return Fail("rate limit") if waited + pause > MAX_RATE_WAIT else Wait(pause)
        if error.status >= 500 and idempotent and attempt <= RETRIES:
            return Retry(BACKOFF * 2 ** (attempt - 1))
        return Fail("answer")
    if idempotent and attempt <= RETRIES:
        return Retry(BACKOFF * 2 ** (attempt - 1))
    return Fail("unreachable" if idempotent else "uncertain")


# ---------------------------------------------------------------------------
# Request log: PyGithub logs every HTTP exchange at DEBUG; we count them from there.


@dataclass
class RequestLog(logging.Handler):
    count: int = 0
    echo: Callable[[str], None] | None = None

    def __post_init__(self) -> None:
        logging.Handler.__init__(self, logging.DEBUG)

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args
        if not isinstance(args, tuple) or len(args) < 7:
            return
        verb, url, status = args[0], args[3], args[6]
        self.count += 1
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


@dataclass(frozen=True)
class Issue:
    """One issue as the REST API lists it: what generate reads of an issue, typed once."""

    number: int
    id: int
    title: str
    body: str
    url: str  # the issue's page (html_url)
    state: str = "open"
    state_reason: str | None = None
    author_association: str | None = None  # OWNER, MEMBER, COLLABORATOR, NONE, ...
    login: str | None = None  # the author's login
    author_type: str | None = None  # "User" or "Bot"
    comments: int = 0
    repository: str = ""  # "OWNER/REPO" it lives in now (a transferred issue's new home)
    pull_request: bool = False

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Issue:
        user = data.get("user") if isinstance(data.get("user"), dict) else {}
        login = user.get("login")
        return cls(
            number=int(data["number"]),
            id=int(data.get("id") or 0),
            title=str(data.get("title") or ""),
            body=str(data.get("body") or ""),
            url=str(data.get("html_url") or ""),
            state=str(data.get("state") or "open"),
            state_reason=data.get("state_reason"),
            author_association=data.get("author_association"),
            login=login if isinstance(login, str) else None,
            author_type=user.get("type"),
            comments=int(data.get("comments") or 0),
            repository=str(data.get("repository_url") or "").rsplit("/repos/", 1)[-1],
            pull_request="pull_request" in data,
        )


# An item may link an issue or a pull request; both come back in one shape. GitHub's published
# schema reads a duplicate as NOT_PLANNED unless asked `stateReason(enableDuplicate: true)`.
ENABLE_DUPLICATE = "(enableDuplicate: true)"
_STATE_FIELDS = """
  __typename
  ... on Issue {
    number url state stateReason{duplicates} repository { nameWithOwner }
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
    """A PyGithub connection to one repository with retries, pacing and request counting.

    `notice` hears what the user should know while it happens (a rate-limit wait);
    `verbose` hears request-level detail (every request, every retry).
    """

    def __init__(
        self,
        token: str | None,
        repo: str,
        api_url: str = DEFAULT_API_URL,
        *,
        write_interval: float = 1.0,
        verbose: Callable[[str], None] | None = None,
        notice: Callable[[str], None] | None = None,
        timeout: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        token_source: str = "",
        auth: Auth.Auth | None = None,
    ) -> None:
        if token:
            register_secret(token)
        self.token_source = token_source or ("the GitHub App" if auth else "GITHUB_TOKEN")
        self.repo_name = repo
        self.api_url = api_url.rstrip("/")
        self.host = urlsplit(self.api_url).netloc or self.api_url
        self.sleep = sleep
        self.verbose = verbose
        self.notice = notice
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
        self.ask_duplicates = True  # False once the server refused stateReason(enableDuplicate:)

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
        waited = 0.0
        attempt = 0
        while True:
            attempt += 1
            try:
                return fn()
            except GithubException as exc:
                error: Exception = exc
            except json.JSONDecodeError:
                raise self.not_github() from None  # an answer cut short
            except NETWORK_ERRORS as exc:
                self.failed_attempts += 1
                error = exc
            step = retry_step(error, attempt, waited, idempotent, time.time())
            if isinstance(step, Fail):
                raise self._failure(what, error, step, attempt, waited) from None
            if isinstance(step, Wait):
                waited += step.seconds
                until = time.strftime("%H:%M:%S", time.localtime(time.time() + step.seconds))
                self._tell(
                    self.notice,
                    f"waiting {math.ceil(step.seconds)} s for GitHub's rate limit, until {until}",
                )
            else:
                self._tell(
                    self.verbose,
                    f"{what}: {self._describe(error)}; retry {attempt} of {RETRIES} in "
                    f"{step.seconds:g} s",
                )
            self.sleep(step.seconds)

    @staticmethod
    def _tell(listener: Callable[[str], None] | None, message: str) -> None:
        if listener is not None:
            listener(redact(message))

    def _describe(self, error: Exception) -> str:
        if isinstance(error, GithubException):
            return f"{error.status} {_message(error)}"
        return f"no answer from {self.host} ({type(error).__name__})"

    def _failure(
        self, what: str, error: Exception, step: Fail, attempt: int, waited: float
    ) -> ToolError:
        if step.why == "rate limit":
            return GitHubUnavailable(
                f"{what}: GitHub rate limit still in force after waiting {waited:.0f}s; rerun "
                "later (nothing half-written)"
            )
        if isinstance(error, GithubException):
            return self._translate(what, error)
        if step.why == "uncertain":
            return CreateUncertain(f"{what}: no answer from {self.host} ({type(error).__name__})")
        return GitHubUnavailable(
            f"{what}: could not reach {self.host} after {attempt} attempts "
            f"({type(error).__name__}); check the network and rerun"
        )

    def _translate(self, what: str, exc: GithubException) -> ToolError:
        message = _message(exc)
        status = exc.status
        if status == 401:
            return ConfigError(
                f"GitHub rejected the token from {self.token_source} (401 Bad credentials): "
                "replace it with a valid token with access to the repository's issues"
            )
        if status == 403:
            return ConfigError(
                f"{what}: the token may not do this (403 {message}); use a token with "
                "issues write access to the repository"
            )
        if status in (404, 410):
            return NotFound(f"{what}: {message} ({status})", status, exc.data)
        if status >= 500:
            return GitHubUnavailable(
                f"{what}: GitHub kept failing ({status} {message}); rerun later"
            )
        return Rejected(f"{what}: GitHub refused it ({status} {message})")

    def not_github(self) -> NotGitHubAPI:
        return NotGitHubAPI(
            f"the server at {self.host} did not answer like GitHub's API: check GITHUB_API_URL"
        )

    def raw(
        self, verb: str, url: str, *, shape: type = dict, **kwargs: Any
    ) -> tuple[dict[str, Any], Any]:
        """One request; its answer must be JSON of `shape` (an object, or a list of them)."""
        headers, data = self.requester.requestJsonAndCheck(verb, url, **kwargs)
        if not _has_shape(data, shape):
            raise self.not_github()
        return headers, data

    # -- reads ----------------------------------------------------------------

    def fetch_repo(self) -> dict[str, Any]:
        """The repository (also checks that the token works and can see it)."""
        try:
            _, data = self.call(
                f"reading repository {self.repo_name}",
                lambda: self.raw("GET", f"/repos/{self.repo_name}"),
            )
        except NotFound as exc:
            # a GITHUB_API_URL with a wrong path answers 404 too: blame the repository and the
            # token only when the server is GitHub's API
            if not github_error(exc.answer) or not self._answers_at_root():
                raise self.not_github() from None
            raise ConfigError(
                f"repository {self.repo_name} not found, or the token cannot see it: check "
                "--repo / GITHUB_REPOSITORY and the token's access"
            ) from None
        if not data.get("has_issues", True):
            raise ConfigError(
                f"issues are disabled in {self.repo_name}: enable them in the repository settings"
            )
        return data

    def _answers_at_root(self) -> bool:
        """Whether the API URL's root answers (GitHub's API lists its endpoints there)."""
        try:
            self.call("reading the API root", lambda: self.raw("GET", "/"))
        except (NotFound, NotGitHubAPI):
            return False
        except ToolError:
            return True  # unsure (a 5xx, the network): the repository message it is
        return True

    def fetch_issue(self, number: int) -> dict[str, Any]:
        _, data = self.call(
            f"reading issue {self.repo_name}#{number}",
            lambda: self.raw("GET", f"/repos/{self.repo_name}/issues/{number}"),
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
                what, lambda t=target, q=query: self.raw("GET", t, shape=list, parameters=q)
            )
            yield data
            next_url = _next_link(headers.get("link", ""))
            parameters = None  # the next link carries them

    def fetch_all_issues(self) -> list[Issue]:
        """All issues of the repository, open or closed (pull requests left out): one listing."""
        issues: list[Issue] = []
        for page in self.iter_pages(
            f"listing issues of {self.repo_name}",
            f"/repos/{self.repo_name}/issues",
            {"state": "all", "sort": "created", "direction": "asc"},
        ):
            issues.extend(Issue.from_json(i) for i in page if "pull_request" not in i)
        return issues

    def fetch_recent_issues(self, count: int = 30) -> list[Issue]:
        """The newest issues (where an unanswered create would be)."""
        _, data = self.call(
            f"listing recent issues of {self.repo_name}",
            lambda: self.raw(
                "GET",
                f"/repos/{self.repo_name}/issues",
                shape=list,
                parameters={
                    "state": "all",
                    "sort": "created",
                    "direction": "desc",
                    "per_page": count,
                },
            ),
        )
        return [Issue.from_json(i) for i in data if "pull_request" not in i]

    def fetch_login(self) -> str | None:
        """The token's own user; None for an integration's token (an App's, or a workflow's
        GITHUB_TOKEN), which GitHub does not let read /user.
        """
        try:
            _, data = self.call("reading the token's user", lambda: self.raw("GET", "/user"))
        except ConfigError:  # 403 Resource not accessible by integration
            return None
        login = data.get("login") if isinstance(data, dict) else None
        return login if isinstance(login, str) else None

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

        A missing issue (deleted, or never existed) maps to None, and so does a number past
        MAX_ISSUE_NUMBER, which no issue has: asked for, it would fail the query of the others.
        """
        result: dict[tuple[str, int], IssueState | None] = {}
        unique = list(dict.fromkeys((repo.lower(), number) for repo, number in refs))
        result.update(dict.fromkeys(k for k in unique if k[1] > MAX_ISSUE_NUMBER))
        unique = [k for k in unique if k[1] <= MAX_ISSUE_NUMBER]
        for start in range(0, len(unique), PAGE_SIZE):
            result.update(self._fetch_state_batch(unique[start : start + PAGE_SIZE]))
        return result

    def _fetch_state_batch(
        self, batch: list[tuple[str, int]]
    ) -> dict[tuple[str, int], IssueState | None]:
        query, aliases = state_query(batch, duplicates=self.ask_duplicates)
        _, data = self.call("reading issue states", lambda: self._graphql(query))
        if self.ask_duplicates and _rejects_enable_duplicate(data):
            # a server whose schema dropped the argument (where a duplicate reads DUPLICATE
            # anyway): ask again without it, and never with it again on this connection
            self.ask_duplicates = False
            return self._fetch_state_batch(batch)
        payload = data.get("data") or {}
        errors = [e for e in data.get("errors") or [] if e.get("type") != "NOT_FOUND"]
        if errors and not payload:
            raise GitHubUnavailable(
                "reading issue states: GitHub's GraphQL API answered "
                + redact(str(errors[0].get("message", errors[0])))
            )
        result: dict[tuple[str, int], IssueState | None] = {}
        for r_alias, issue_aliases in aliases.items():
            repo_data = payload.get(r_alias) or {}
            for alias, key in issue_aliases.items():
                node = repo_data.get(alias)
                result[key] = _issue_state(node) if node else None
        return result

    def _graphql(self, query: str) -> tuple[dict[str, Any], Any]:
        headers, data = self.raw(
            "POST", self.requester.graphql_url, input={"query": query, "variables": {}}
        )
        if not _graphql_shaped(data):
            raise self.not_github()
        if any(e.get("type") == "RATE_LIMITED" for e in data.get("errors") or ()):
            # GraphQL reports its rate limit in a 200 answer: wait it out like a REST 403
            raise GithubException(403, {"message": "GraphQL API rate limit exceeded"}, headers)
        return headers, data

    # -- writes ---------------------------------------------------------------

    def apply_create_issue(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Create an issue. Never retried here: the caller looks for it first (see SPEC)."""
        payload = _scrub_fields(payload)
        self.pacer.wait()
        _, data = self.call(
            f"creating issue {payload['title']!r}",
            lambda: self.raw("POST", f"/repos/{self.repo_name}/issues", input=payload),
            idempotent=False,
        )
        return data

    def apply_body_update(self, number: int, update: Callable[[str], str]) -> None:
        """Pace, then re-read the issue body, apply `update` to it and write the result at
        once: an edit made on GitHub during the pause is in what `update` sees. A retried
        write (after a 5xx or a rate-limit wait) re-reads and re-applies too, never sending a
        body read before the pause. Nothing is written when `update` changes nothing.
        """
        url = f"/repos/{self.repo_name}/issues/{number}"

        def attempt() -> None:
            self.pacer.wait()  # GitHub asks for a pause between any two writes
            _, issue = self.raw("GET", url)
            old = issue.get("body") or ""
            new = scrub(update(old))
            if new != old:
                self.raw("PATCH", url, input={"body": new})

        self.call(f"updating issue #{number}", attempt)

    def apply_comment(self, number: int, body: str) -> None:
        self.pacer.wait()
        try:
            self.call(
                f"commenting on #{number}",
                lambda: self.raw(
                    "POST",
                    f"/repos/{self.repo_name}/issues/{number}/comments",
                    input={"body": scrub(body)},
                ),
                idempotent=False,
            )
        except ConfigError as exc:
            # a locked issue refuses comments with a 403 too, but only that issue: the
            # token is fine, so the batch goes on
            if "is locked" in exc.format_message():
                raise Rejected(f"#{number} is locked, so it takes no comment") from None
            raise

    def apply_comment_update(self, comment_id: int, body: str) -> None:
        self.pacer.wait()
        # an edit sends the whole body again, so re-sending it after a 5xx is safe
        self.call(
            f"editing comment {comment_id}",
            lambda: self.raw(
                "PATCH",
                f"/repos/{self.repo_name}/issues/comments/{comment_id}",
                input={"body": scrub(body)},
            ),
        )

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
                    input=_scrub_fields({"name": name, "color": color, "description": description}),
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


def github_error(answer: Any) -> bool:
    """Whether an error answer is GitHub's JSON (`{"message": …, "documentation_url": …}`)."""
    return (
        isinstance(answer, dict)
        and isinstance(answer.get("message"), str)
        and "documentation_url" in answer
    )


def _has_shape(data: Any, shape: type) -> bool:
    if shape is list:
        return isinstance(data, list) and all(isinstance(item, dict) for item in data)
    # PyGithub hands a body that is not JSON (an HTML page) over as {"data": text}
    return isinstance(data, dict) and not isinstance(data.get("data"), str)


def _graphql_shaped(data: dict[str, Any]) -> bool:
    errors = data.get("errors")
    return (
        ("data" in data or "errors" in data)
        and isinstance(data.get("data"), dict | None)
        and isinstance(errors, list | None)
        and all(isinstance(error, dict) for error in errors or ())
    )


def state_query(
    batch: list[tuple[str, int]], *, duplicates: bool
) -> tuple[str, dict[str, dict[str, tuple[str, int]]]]:
    """The GraphQL query for a batch of (repo, number), and the aliases its answer uses."""
    fields = _STATE_FIELDS.replace("{duplicates}", ENABLE_DUPLICATE if duplicates else "")
    by_repo: dict[str, list[int]] = {}
    for repo, number in batch:
        by_repo.setdefault(repo, []).append(number)
    parts = []
    aliases: dict[str, dict[str, tuple[str, int]]] = {}
    for r_index, (repo, numbers) in enumerate(by_repo.items()):
        owner, name = repo.split("/", 1)
        r_alias = f"r{r_index}"
        aliases[r_alias] = {f"i{number}": (repo, number) for number in numbers}
        issues = " ".join(
            f"i{number}: issueOrPullRequest(number: {number}) {{{fields}}}" for number in numbers
        )
        parts.append(
            f"{r_alias}: repository(owner: {_gql_string(owner)}, name: {_gql_string(name)}) "
            f"{{ {issues} }}"
        )
    return "query { " + " ".join(parts) + " }", aliases


def _rejects_enable_duplicate(data: dict[str, Any]) -> bool:
    # GitHub: "Field 'stateReason' doesn't accept argument 'enableDuplicate'"
    return not data.get("data") and any(
        "enableDuplicate" in str(error.get("message", "")) for error in data.get("errors") or ()
    )


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
