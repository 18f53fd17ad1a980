"""A stateful fake of GitHub's REST and GraphQL APIs on 127.0.0.1 for offline tests.

PyGithub reaches it through its base URL; tests seed state, inject faults and read the request log.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import http.server
import itertools
import json
import math
import re
import secrets
import signal
import socket
import string
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, ClassVar, NamedTuple
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from .fake_graphql import execute_graphql

GITHUB_HTML = "https://github.com"
DOCS = "https://docs.github.com/rest"
RATE_LIMIT = 5000
MAX_TITLE = 256
MAX_BODY = 65536
MAX_SUB_ISSUES = 100
FAULT_KINDS = (
    "secondary_rate_limit",
    "primary_rate_limit",
    "status",
    "apply_then_status",
    "latency",
    "drop",
    "apply_then_drop",
    # a 200 that is not GitHub's API (a proxy's login page, GITHUB_API_URL at the web UI):
    "html",  # an HTML page
    "truncated",  # the real answer's JSON, cut in half
    "wrong_shape",  # the real answer in the other JSON shape: an object in a list, a list in
    # an object
)
LOGIN_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head>"
    b'<body><form action="/login" method="post"></form></body></html>\n'
)
STATE_REASONS = ("completed", "not_planned", "duplicate", "reopened")
SECONDARY_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
    "If you reach out to GitHub Support for help, please include the request ID {request_id}."
)
SECONDARY_DOCS = (
    "https://docs.github.com/free-pro-team@latest/rest/overview/"
    "rate-limits-for-the-rest-api#about-secondary-rate-limits"
)
PRIMARY_DOCS = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"

# A reference is `#N`, `owner/repo#N` or an issue/pull URL on github.com.
_REF = (
    r"(?:(?:(?P<owner>[\w.-]+)/(?P<name>[\w.-]+))?#(?P<num>\d+)"
    r"|https?://github\.com/(?P<uowner>[\w.-]+)/(?P<uname>[\w.-]+)/(?:issues|pull)/(?P<unum>\d+))"
)
_CLOSING_RE = re.compile(
    r"\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?):?\s+" + _REF + r"\b", re.IGNORECASE
)
_MENTION_RE = re.compile(r"(?<![\w#])" + _REF + r"\b")


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _ts(value: datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(text: str) -> datetime:
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _node_id(prefix: str, number: int) -> str:
    packed = base64.urlsafe_b64encode(number.to_bytes(8, "big")).decode().rstrip("=")
    return f"{prefix}_kwDO{packed}"


def _sha(*parts: object) -> str:
    return hashlib.sha1(":".join(map(str, parts)).encode()).hexdigest()


class Request(NamedTuple):
    """One HTTP request as the fake saw it; `status` is None when no answer was sent.

    `when` is time.monotonic() at logging; a fault that fired on it has the same `when`.
    """

    method: str
    path: str
    query: dict[str, str]
    status: int | None
    body: Any
    when: float


@dataclass
class Fault:
    """An injected fault: fires on matching requests number nth .. nth + times - 1."""

    kind: str
    method: str | None
    path: str | None
    nth: int
    times: int
    status: int
    retry_after: int
    delay: float
    seen: int = 0
    fired: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method:
            return False
        return self.path is None or re.search(self.path, path) is not None


@dataclass(frozen=True)
class FiredFault:
    """A fault that fired: `status` is what was answered, None when the socket was dropped."""

    kind: str
    method: str
    path: str
    status: int | None
    when: float


@dataclass(eq=False)
class _User:
    login: str
    id: int
    kind: str = "User"
    created_at: datetime = field(default_factory=_now)

    @property
    def node_id(self) -> str:
        return _node_id("O" if self.kind == "Organization" else "U", self.id)

    @property
    def gql_typename(self) -> str:
        return "Organization" if self.kind == "Organization" else "User"


@dataclass(eq=False)
class _Label:
    id: int
    repo: _Repo
    name: str
    color: str
    description: str | None
    created_at: datetime = field(default_factory=_now)
    default: bool = False
    gql_typename: ClassVar[str] = "Label"

    @property
    def node_id(self) -> str:
        return _node_id("LA", self.id)


@dataclass(eq=False)
class _Milestone:
    id: int
    repo: _Repo
    number: int
    title: str
    description: str | None
    creator: _User
    state: str = "open"
    due_on: datetime | None = None
    created_at: datetime = field(default_factory=_now)
    updated_at: datetime = field(default_factory=_now)
    closed_at: datetime | None = None
    gql_typename: ClassVar[str] = "Milestone"

    @property
    def node_id(self) -> str:
        return _node_id("MI", self.id)


@dataclass(eq=False)
class _Commit:
    sha: str
    repo: _Repo
    message: str
    author: _User
    created_at: datetime = field(default_factory=_now)
    pull: _Issue | None = None  # the pull request whose merge commit this is
    gql_typename: ClassVar[str] = "Commit"

    @property
    def node_id(self) -> str:
        return "C_kwDO" + self.sha[:20]


@dataclass(eq=False)
class _Comment:
    id: int
    issue: _Issue
    user: _User
    body: str
    created_at: datetime = field(default_factory=_now)
    updated_at: datetime = field(default_factory=_now)
    gql_typename: ClassVar[str] = "IssueComment"

    @property
    def node_id(self) -> str:
        return _node_id("IC", self.id)


_EVENT_TYPENAMES = {
    "closed": "ClosedEvent",
    "reopened": "ReopenedEvent",
    "cross-referenced": "CrossReferencedEvent",
    "labeled": "LabeledEvent",
    "merged": "MergedEvent",
    "referenced": "ReferencedEvent",
}


@dataclass(eq=False)
class _Event:
    id: int
    issue: _Issue
    event: str
    actor: _User
    created_at: datetime = field(default_factory=_now)
    commit: _Commit | None = None
    state_reason: str | None = None
    closer: _Issue | _Commit | None = None
    label: _Label | None = None
    source: _Issue | None = None  # the PR or issue that cross-referenced this one
    will_close: bool = False

    @property
    def node_id(self) -> str:
        prefix = {"closed": "CE", "reopened": "REE", "cross-referenced": "CRE"}.get(self.event, "E")
        return _node_id(prefix, self.id)

    @property
    def gql_typename(self) -> str:
        return _EVENT_TYPENAMES[self.event]


@dataclass(eq=False)
class _Pull:
    id: int
    head: str
    base: str
    head_sha: str
    base_sha: str
    merged_at: datetime | None = None
    merge_commit: _Commit | None = None
    merged_by: _User | None = None
    closes: list[_Issue] = field(default_factory=list)

    @property
    def node_id(self) -> str:
        return _node_id("PR", self.id)


@dataclass(eq=False)
class _Issue:
    id: int
    repo: _Repo
    number: int
    title: str
    body: str | None
    user: _User
    created_at: datetime = field(default_factory=_now)
    updated_at: datetime = field(default_factory=_now)
    labels: list[_Label] = field(default_factory=list)
    assignees: list[_User] = field(default_factory=list)
    milestone: _Milestone | None = None
    state: str = "open"
    state_reason: str | None = None
    closed_at: datetime | None = None
    closed_by: _User | None = None
    comments: list[_Comment] = field(default_factory=list)
    events: list[_Event] = field(default_factory=list)
    pull: _Pull | None = None
    parent: _Issue | None = None
    children: list[_Issue] = field(default_factory=list)
    deleted: bool = False
    lock_reason: str | None = None  # set: the issue is locked (only collaborators comment)

    @property
    def node_id(self) -> str:
        return self.pull.node_id if self.pull else _node_id("I", self.id)

    @property
    def gql_typename(self) -> str:
        return "PullRequest" if self.pull else "Issue"


@dataclass(eq=False)
class _Repo:
    id: int
    owner: _User
    name: str
    has_issues: bool
    created_at: datetime = field(default_factory=_now)
    labels: dict[str, _Label] = field(default_factory=dict)
    milestones: dict[int, _Milestone] = field(default_factory=dict)
    items: dict[int, _Issue] = field(default_factory=dict)
    moved: dict[int, _Issue] = field(default_factory=dict)
    commits: dict[str, _Commit] = field(default_factory=dict)
    next_number: int = 1
    next_milestone: int = 1
    gql_typename: ClassVar[str] = "Repository"

    @property
    def full_name(self) -> str:
        return f"{self.owner.login}/{self.name}"

    @property
    def node_id(self) -> str:
        return _node_id("R", self.id)


class _HTTPError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        *,
        doc: str = DOCS,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.message = message
        self.doc = doc
        self.errors = errors
        self.headers = headers or {}
        self.extra = extra or {}

    def response(self) -> _Response:
        body: dict[str, Any] = {"message": self.message, **self.extra}
        if self.errors is not None:
            body["errors"] = self.errors
        body["documentation_url"] = self.doc
        body["status"] = str(self.status)
        return _Response(self.status, body, dict(self.headers))


def _validation_failed(doc: str, *errors: dict[str, Any]) -> _HTTPError:
    return _HTTPError(422, "Validation Failed", doc=doc, errors=list(errors))


def _not_supplied(name: str, doc: str) -> _HTTPError:
    return _HTTPError(422, f'Invalid request.\n\n"{name}" wasn\'t supplied.', doc=doc)


@dataclass
class _Response:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None  # sent as it is instead of `body` as JSON


@dataclass
class _Call:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: Any
    user: _User | None = None
    permission: str | None = None
    link_path: str = ""


_ISSUES_DOC = "https://docs.github.com/rest/issues/issues"
_COMMENTS_DOC = "https://docs.github.com/rest/issues/comments"
_LABELS_DOC = "https://docs.github.com/rest/issues/labels"
_SUB_ISSUES_DOC = "https://docs.github.com/rest/issues/sub-issues"

# (method, pattern after /repos/{owner}/{repo}, handler name); order matters.
_REPO_ROUTES: list[tuple[str, str, str]] = [
    ("GET", r"", "_rest_get_repo"),
    ("GET", r"/issues", "_rest_list_issues"),
    ("POST", r"/issues", "_rest_create_issue"),
    ("GET", r"/issues/comments/(\d+)", "_rest_get_comment"),
    ("PATCH", r"/issues/comments/(\d+)", "_rest_edit_comment"),
    ("DELETE", r"/issues/comments/(\d+)", "_rest_delete_comment"),
    ("GET", r"/issues/events/(\d+)", "_rest_get_event"),
    ("GET", r"/issues/(\d+)", "_rest_get_issue"),
    ("PATCH", r"/issues/(\d+)", "_rest_edit_issue"),
    ("GET", r"/issues/(\d+)/comments", "_rest_list_comments"),
    ("POST", r"/issues/(\d+)/comments", "_rest_create_comment"),
    ("GET", r"/issues/(\d+)/labels", "_rest_issue_labels"),
    ("POST", r"/issues/(\d+)/labels", "_rest_add_issue_labels"),
    ("PUT", r"/issues/(\d+)/labels", "_rest_set_issue_labels"),
    ("DELETE", r"/issues/(\d+)/labels", "_rest_clear_issue_labels"),
    ("DELETE", r"/issues/(\d+)/labels/([^/]+)", "_rest_remove_issue_label"),
    ("GET", r"/issues/(\d+)/events", "_rest_issue_events"),
    ("GET", r"/issues/(\d+)/timeline", "_rest_issue_timeline"),
    ("GET", r"/issues/(\d+)/sub_issues", "_rest_list_sub_issues"),
    ("POST", r"/issues/(\d+)/sub_issues", "_rest_add_sub_issue"),
    ("DELETE", r"/issues/(\d+)/sub_issue", "_rest_remove_sub_issue"),
    ("GET", r"/issues/(\d+)/parent", "_rest_get_parent"),
    ("GET", r"/labels", "_rest_list_labels"),
    ("POST", r"/labels", "_rest_create_label"),
    ("GET", r"/labels/([^/]+)", "_rest_get_label"),
    ("PATCH", r"/labels/([^/]+)", "_rest_edit_label"),
    ("DELETE", r"/labels/([^/]+)", "_rest_delete_label"),
    ("GET", r"/milestones", "_rest_list_milestones"),
    ("POST", r"/milestones", "_rest_create_milestone"),
    ("GET", r"/milestones/(\d+)", "_rest_get_milestone"),
    ("GET", r"/pulls", "_rest_list_pulls"),
    ("GET", r"/pulls/(\d+)", "_rest_get_pull"),
    ("GET", r"/commits/([0-9a-fA-F]{4,40})", "_rest_get_commit"),
    ("GET", r"/commits/([0-9a-fA-F]{4,40})/pulls", "_rest_commit_pulls"),
]


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], fake: FakeGitHub):
        self.fake = fake
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # a client that hung up before the answer was written (a timeout, a killed run) is
        # GitHub's everyday life, not the fake's error: no traceback on stderr, where a test
        # reading the command's output would take it for the tool's
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as PyGithub's requests session expects
    server_version = "GitHub.com"
    sys_version = ""
    timeout = 60  # lets idle keep-alive threads end on their own
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without this, Nagle's algorithm holds the body
        # until the client's delayed ACK, adding about 40 ms to every response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.fake._track_connection(self.connection, opened=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.fake._track_connection(self.connection, opened=False)

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the fake keeps its own log in FakeGitHub.requests

    def __getattr__(self, name: str) -> Any:
        # Every verb, even an unknown one, reaches the router, which answers like GitHub does.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def _serve(self) -> None:
        self.server.fake._serve(self)


# ---------------------------------------------------------------------------
# GitHub Apps (server mode's App auth): the App's JWT and installation tokens.
# Kept apart from the rest of the fake; FakeGitHub calls in at three marked lines.

APP_JWT_MAX_LIFETIME = 600  # seconds: GitHub refuses a JWT whose exp is further out


class _GitHubApps:
    """Apps added with `add_app`: `GET /repos/{owner}/{repo}/installation` and
    `POST /app/installations/{id}/access_tokens` take the App's RS256 JWT, checked as GitHub
    does (signature, `iss`, `iat` not in the future, `exp` at most 10 minutes out); the
    installation tokens they mint expire after `app_token_ttl` seconds.
    """

    _APP_ROUTES = (
        ("GET", r"/repos/([^/]+)/([^/]+)/installation"),
        ("POST", r"/app/installations/(\d+)/access_tokens"),
    )

    def _apps_init(self) -> None:
        self.apps: dict[str, str] = {}  # app id -> public key PEM
        self.installations: dict[int, tuple[str, set[str]]] = {}  # id -> (app id, repos)
        self.app_tokens_minted: list[str] = []
        self.app_token_ttl = 3600.0
        self._token_expiry: dict[str, float] = {}

    def add_app(self, app_id: int | str, public_key_pem: str, repos: list[str]) -> int:
        """Register an App installed on `repos`; the installation id."""
        with self._lock:  # type: ignore[attr-defined]
            self.apps[str(app_id)] = public_key_pem
            installation = next(self._ids) + 900_000  # type: ignore[attr-defined]
            self.installations[installation] = (str(app_id), {r.lower() for r in repos})
            return installation

    def _is_app_call(self, call: _Call) -> bool:
        return any(
            call.method == method and re.fullmatch(pattern, call.path.rstrip("/"))
            for method, pattern in self._APP_ROUTES
        )

    def _app_token_expired(self, token: str) -> bool:
        expiry = self._token_expiry.get(token)
        return expiry is not None and time.time() >= expiry

    def _app_jwt(self, call: _Call) -> str:
        """The App id of a valid JWT in the request, or a 401 as GitHub answers it."""
        import jwt

        scheme, _, token = (call.headers.get("Authorization") or "").strip().partition(" ")
        refused = _HTTPError(401, "A JSON web token could not be decoded", doc=DOCS)
        if scheme.lower() != "bearer":
            raise refused
        try:
            claims = jwt.decode(token, options={"verify_signature": False})
            key = self.apps[str(claims.get("iss"))]
            claims = jwt.decode(
                token, key, algorithms=["RS256"], options={"require": ["iat", "exp", "iss"]},
                leeway=30,
            )  # fmt: skip
        except (jwt.PyJWTError, KeyError, ValueError):
            raise refused from None
        if claims["exp"] - time.time() > APP_JWT_MAX_LIFETIME + 30:
            raise _HTTPError(
                401, "'Expiration time' claim ('exp') is too far in the future", doc=DOCS
            )
        return str(claims["iss"])

    def _app_route(self, call: _Call) -> _Response:
        app_id = self._app_jwt(call)
        path = call.path.rstrip("/")
        if match := re.fullmatch(self._APP_ROUTES[0][1], path):
            repo = f"{unquote(match[1])}/{unquote(match[2])}".lower()
            for number, (owner_app, repos) in self.installations.items():
                if owner_app == app_id and repo in repos:
                    return _Response(200, self._j_installation(number, app_id))
            raise _HTTPError(404, "Not Found", doc=DOCS)
        number = int(re.fullmatch(self._APP_ROUTES[1][1], path)[1])  # type: ignore[index]
        if self.installations.get(number, ("",))[0] != app_id:
            raise _HTTPError(404, "Not Found", doc=DOCS)
        token = "ghs_" + "".join(
            secrets.choice(string.ascii_letters + string.digits) for _ in range(36)
        )
        expires = time.time() + self.app_token_ttl
        self.add_token(token, "write", user=f"app-{app_id}[bot]")  # type: ignore[attr-defined]
        self._token_expiry[token] = expires
        self.app_tokens_minted.append(token)
        return _Response(
            201,
            {
                "token": token,
                "expires_at": _ts(datetime.fromtimestamp(expires, UTC)),
                "permissions": {"issues": "write", "metadata": "read"},
                "repository_selection": "selected",
            },
        )

    def _j_installation(self, number: int, app_id: str) -> dict[str, Any]:
        return {
            "id": number,
            "app_id": int(app_id),
            "app_slug": f"app-{app_id}",
            "target_type": "User",
            "permissions": {"issues": "write", "metadata": "read"},
            "events": ["issues", "pull_request"],
            "repository_selection": "selected",
            "access_tokens_url": self._api(  # type: ignore[attr-defined]
                f"/app/installations/{number}/access_tokens"
            ),
        }


class FakeGitHub(_GitHubApps):
    """GitHub's REST and GraphQL APIs, in memory, over real HTTP on 127.0.0.1.

    Seeding and inspection helpers act directly on the state (as a person on github.com would)
    and are not logged; only HTTP requests land in `requests` and spend the rate limit.
    """

    def __init__(self, *, port: int = 0, token: str | None = None, user: str = "octocat"):
        self.url = ""
        self.token = token or "ghp_" + "".join(
            secrets.choice(string.ascii_letters + string.digits) for _ in range(36)
        )
        self.requests: list[Request] = []
        self.faults: list[Fault] = []
        self.faults_fired: list[FiredFault] = []
        self.latency = 0.0
        # a hostile server: every issue's html_url carries the token (as a proxy that echoes
        # the Authorization header into links would)
        self.echo_token = False
        # False: a GraphQL schema without stateReason(enableDuplicate:) (see fake_graphql)
        self.duplicate_argument = True
        self.quiet = True
        self.admin = False  # the admin endpoint: on in the hand-started fake only
        self._port = port
        self._lock = threading.RLock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self._ids = itertools.count(1)
        self._users: dict[str, _User] = {}
        self._repos: dict[str, _Repo] = {}
        self._repos_by_id: dict[int, _Repo] = {}
        self._issues_by_id: dict[int, _Issue] = {}
        self._comments: dict[int, _Comment] = {}
        self._events: dict[int, _Event] = {}
        self._tokens: dict[str, tuple[_User, str]] = {}
        self._outsiders: set[str] = set()  # logins of token users who are no collaborators
        self._buckets: dict[str, dict[str, int]] = {}
        self.default_user = self._user(user)
        self.add_token(self.token, "write")
        self._apps_init()  # GitHub Apps (see _GitHubApps)
        self._reset_buckets()

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> FakeGitHub:
        if self._server is not None:
            return self
        server = self._server = _Server(("127.0.0.1", self._port), self)
        host, port = server.server_address[:2]
        self.url = f"http://{host}:{port}"
        ready = threading.Event()

        def serve() -> None:
            ready.set()
            # A short poll keeps stop(), hence every test's teardown, within a few milliseconds.
            server.serve_forever(poll_interval=0.005)

        self._thread = threading.Thread(target=serve, name="fake-github", daemon=True)
        self._thread.start()
        ready.wait(5)
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        # Keep-alive connections would otherwise hold their handler threads until the timeout.
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def env(self, repo: str = "octo/plan") -> dict[str, str]:
        return {"GITHUB_TOKEN": self.token, "GITHUB_API_URL": self.url, "GITHUB_REPOSITORY": repo}

    def reset_log(self) -> None:
        with self._lock:
            self.requests.clear()

    # ----------------------------------------------------------------- seeding

    def add_repo(
        self, full_name: str, *, has_issues: bool = True, owner_type: str = "User"
    ) -> dict[str, Any]:
        owner_login, name = full_name.split("/")
        with self._lock:
            if full_name.lower() in self._repos:
                raise ValueError(f"repository {full_name} exists")
            owner = self._user(owner_login, kind=owner_type)
            repo = _Repo(
                id=next(self._ids) + 100_000, owner=owner, name=name, has_issues=has_issues
            )
            self._repos[full_name.lower()] = repo
            self._repos_by_id[repo.id] = repo
            permission = self._tokens[self.token][1]
            return self._j_repo(repo, full=True, user=self.default_user, permission=permission)

    def add_user(self, login: str) -> dict[str, Any]:
        with self._lock:
            return self._j_user(self._user(login))

    def add_token(
        self,
        token: str,
        permission: str = "write",
        *,
        user: str | None = None,
        collaborator: bool = True,
    ) -> None:
        """A token of `user` (default: the default user). A login ending in `[bot]` makes an
        integration's token (an App's, or a workflow's GITHUB_TOKEN): its user is a Bot, GET /user
        refuses it, and its issues carry author_association NONE, as on GitHub. `collaborator`
        False: a user who may open issues (a public repository) but is no collaborator, so
        their issues say NONE too.
        """
        if permission not in ("read", "write", "admin"):
            raise ValueError(f"permission must be read, write or admin, not {permission!r}")
        with self._lock:
            kind = "Bot" if user and user.endswith("[bot]") else "User"
            owner = self._user(user, kind=kind) if user else self.default_user
            self._tokens[token] = (owner, permission)
            if not collaborator:
                self._outsiders.add(owner.login.lower())

    def add_label(
        self, repo: str, name: str, color: str = "ededed", description: str | None = None
    ) -> dict[str, Any]:
        with self._lock:
            return self._j_label(self._new_label(self._repo(repo), name, color, description))

    def add_milestone(
        self, repo: str, title: str, *, state: str = "open", description: str | None = None
    ) -> int:
        with self._lock:
            return self._new_milestone(self._repo(repo), title, description, state).number

    def set_rate_limit(
        self, remaining: int, *, resource: str = "core", reset_in: int = 3600
    ) -> None:
        with self._lock:
            bucket = self._buckets[resource]
            bucket["remaining"] = remaining
            bucket["reset"] = int(time.time()) + reset_in

    def create_issue(
        self,
        repo: str,
        title: str,
        body: str = "",
        *,
        labels: tuple[str, ...] | list[str] = (),
        user: str = "octocat",
        state: str = "open",
        assignees: tuple[str, ...] | list[str] = (),
    ) -> dict[str, Any]:
        with self._lock:
            target = self._repo(repo)
            author = self._user(user)
            issue = self._new_issue(target, title, body, author, labels=list(labels))
            issue.assignees = [self._user(login) for login in assignees]
            if state == "closed":
                self._close(issue, author, "completed")
            elif state != "open":
                raise ValueError(f"state must be open or closed, not {state!r}")
            return self._j_issue(issue, full=True)

    def create_pull(
        self, repo: str, title: str, body: str = "", *, head: str = "feature", user: str = "octocat"
    ) -> dict[str, Any]:
        with self._lock:
            target = self._repo(repo)
            author = self._user(user)
            issue = self._new_issue(target, title, body, author)
            issue.pull = _Pull(
                id=next(self._ids) + 1_400_000_000,
                head=head,
                base="main",
                head_sha=_sha(target.full_name, "head", issue.number, head),
                base_sha=_sha(target.full_name, "base", issue.number),
            )
            issue.pull.closes = self._references(target, body, closing=True)
            for referenced in self._references(target, body, closing=False):
                if referenced is not issue:
                    self._event(
                        referenced,
                        "cross-referenced",
                        author,
                        source=issue,
                        will_close=referenced in issue.pull.closes,
                    )
            return self._j_pull(issue, full=True)

    def merge_pull(self, repo: str, number: int) -> str:
        """Merge; close each issue the body names with a closing keyword; return the merge sha."""
        with self._lock:
            pr = self._item(self._repo(repo), number)
            if pr.pull is None:
                raise ValueError(f"#{number} is an issue, not a pull request")
            if pr.state != "open":
                raise ValueError(f"pull request #{number} is not open")
            merger = self.default_user
            sha = _sha(pr.repo.full_name, "merge", pr.number, time.time_ns())
            commit = _Commit(
                sha=sha,
                repo=pr.repo,
                message=f"Merge pull request #{pr.number} from {pr.repo.owner.login}/"
                f"{pr.pull.head}\n\n{pr.title}",
                author=merger,
                pull=pr,
            )
            pr.repo.commits[sha] = commit
            pr.pull.merged_at = _now()
            pr.pull.merge_commit = commit
            pr.pull.merged_by = merger
            self._event(pr, "merged", merger, commit=commit)
            self._close(pr, merger, None, commit=commit)
            closes = self._references(pr.repo, pr.body or "", closing=True)
            for issue in closes:
                if issue not in pr.pull.closes:
                    pr.pull.closes.append(issue)
                if issue.pull is None and issue.state == "open" and not issue.deleted:
                    self._close(issue, merger, "completed", commit=commit, closer=pr)
            return sha

    def close_pull(self, repo: str, number: int) -> None:
        with self._lock:
            pr = self._item(self._repo(repo), number)
            if pr.pull is None or pr.state != "open":
                raise ValueError(f"#{number} is not an open pull request")
            self._close(pr, self.default_user, None)

    def close_issue(
        self, repo: str, number: int, reason: str = "completed", *, commit: str | None = None
    ) -> dict[str, Any]:
        """Close by hand, or by the commit with sha `commit` (no pull request involved)."""
        if reason not in ("completed", "not_planned", "duplicate"):
            raise ValueError(f"reason must be completed, not_planned or duplicate, not {reason!r}")
        with self._lock:
            issue = self._item(self._repo(repo), number)
            if issue.state != "open":
                raise ValueError(f"#{number} is already closed")
            closing_commit = None
            if commit is not None:
                closing_commit = issue.repo.commits.get(commit) or _Commit(
                    sha=commit,
                    repo=issue.repo,
                    message=f"Fix #{issue.number}",
                    author=self.default_user,
                )
                issue.repo.commits[commit] = closing_commit
                self._event(issue, "referenced", self.default_user, commit=closing_commit)
            self._close(
                issue, self.default_user, reason, commit=closing_commit, closer=closing_commit
            )
            return self._j_issue(issue, full=True)

    def reopen_issue(self, repo: str, number: int) -> dict[str, Any]:
        with self._lock:
            issue = self._item(self._repo(repo), number)
            if issue.state != "closed":
                raise ValueError(f"#{number} is not closed")
            self._reopen(issue, self.default_user)
            return self._j_issue(issue, full=True)

    def delete_issue(self, repo: str, number: int) -> None:
        with self._lock:
            issue = self._item(self._repo(repo), number)
            issue.deleted = True
            if issue.parent is not None:
                issue.parent.children.remove(issue)
                issue.parent = None
            for child in issue.children:
                child.parent = None
            issue.children.clear()

    def transfer_issue(self, repo: str, number: int, to_repo: str) -> int:
        """Move an issue to another repository of the fake; return its number there."""
        with self._lock:
            source = self._repo(repo)
            target = self._repo(to_repo)
            issue = self._item(source, number)
            if issue.pull is not None:
                raise ValueError("pull requests cannot be transferred")
            # The record moves: REST answers the old number with a 301 to the new home, and
            # GraphQL's repository(old).issue(old) resolves to the issue as it now is, in the new
            # repository, as GitHub does after a transfer.
            del source.items[number]
            source.moved[number] = issue
            issue.repo = target
            issue.number = target.next_number
            target.next_number += 1
            target.items[issue.number] = issue
            issue.labels = [
                target.labels[lb.name.lower()]
                for lb in issue.labels
                if lb.name.lower() in target.labels
            ]
            issue.milestone = None
            issue.updated_at = _now()
            return issue.number

    def lock_issue(self, repo: str, number: int, reason: str | None = "resolved") -> None:
        """Lock (or with reason None unlock) an issue, as a lock bot does to old issues."""
        with self._lock:
            issue = self._item(self._repo(repo), number)
            issue.lock_reason = reason
            issue.updated_at = _now()

    def edit_issue_body(self, repo: str, number: int, body: str) -> dict[str, Any]:
        with self._lock:
            issue = self._item(self._repo(repo), number)
            issue.body = body
            issue.updated_at = _now()
            return self._j_issue(issue, full=True)

    # ----------------------------------------------------------------- inspection

    def issue(self, repo: str, number: int) -> dict[str, Any]:
        """The issue as GET would show it, following a transfer; KeyError if deleted or unknown."""
        with self._lock:
            source = self._repo(repo)
            issue = source.items.get(number) or source.moved.get(number)
            if issue is None or issue.deleted:
                raise KeyError(f"{repo}#{number}")
            return self._j_issue(issue, full=True)

    def issues(self, repo: str) -> list[dict[str, Any]]:
        with self._lock:
            return [
                self._j_issue(issue, full=True)
                for issue in sorted(self._repo(repo).items.values(), key=lambda i: i.number)
                if issue.pull is None and not issue.deleted
            ]

    def comments(self, repo: str, number: int) -> list[dict[str, Any]]:
        with self._lock:
            issue = self._item(self._repo(repo), number)
            return [self._j_comment(comment) for comment in issue.comments]

    def labels(self, repo: str) -> list[dict[str, Any]]:
        with self._lock:
            return [self._j_label(label) for label in self._repo(repo).labels.values()]

    @property
    def rate_limit_remaining(self) -> int:
        with self._lock:
            return self._buckets["core"]["remaining"]

    # ----------------------------------------------------------------- faults

    def inject(
        self,
        kind: str,
        *,
        method: str | None = None,
        path: str | None = None,
        nth: int = 1,
        times: int = 1,
        status: int = 502,
        retry_after: int = 1,
        delay: float = 0.0,
    ) -> Fault:
        """Make matching requests nth .. nth + times - 1 fail as `kind` (see FAULT_KINDS).

        `method` matches exactly, `path` is a regex searched in the request path (no query).
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; use one of {', '.join(FAULT_KINDS)}")
        fault = Fault(kind, method, path, nth, times, status, retry_after, delay)
        with self._lock:
            self.faults.append(fault)
        return fault

    def _take_fault(self, method: str, path: str) -> Fault | None:
        chosen = None
        for fault in self.faults:
            if fault.fired >= fault.times or not fault.matches(method, path):
                continue
            fault.seen += 1
            if chosen is None and fault.seen >= fault.nth:
                fault.fired += 1
                chosen = fault
        return chosen

    def _fault_response(self, fault: Fault, request_id: str, path: str) -> _Response:
        resource = self._resource(path)
        if fault.kind == "html":
            return self._not_the_api("html", _Response(200))
        if fault.kind == "secondary_rate_limit":
            error = _HTTPError(
                403,
                SECONDARY_MESSAGE.format(request_id=request_id),
                doc=SECONDARY_DOCS,
                headers={"Retry-After": str(fault.retry_after)},
            )
            return error.response()
        if fault.kind == "primary_rate_limit":
            bucket = self._buckets[resource]
            user_id = self.default_user.id
            error = _HTTPError(
                403,
                f"API rate limit exceeded for user ID {user_id}.",
                doc=PRIMARY_DOCS,
                headers={
                    "x-ratelimit-limit": str(bucket["limit"]),
                    "x-ratelimit-remaining": "0",
                    "x-ratelimit-reset": str(int(time.time()) + 2),
                    "x-ratelimit-used": str(bucket["limit"]),
                    "x-ratelimit-resource": resource,
                },
            )
            return error.response()
        try:
            phrase = HTTPStatus(fault.status).phrase
        except ValueError:
            phrase = "Server Error"
        return _HTTPError(fault.status, phrase).response()

    # ----------------------------------------------------------------- HTTP plumbing

    def _track_connection(self, connection: socket.socket, *, opened: bool) -> None:
        with self._lock:
            if opened:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def _serve(self, handler: _Handler) -> None:
        method = handler.command.upper()
        parts = urlsplit(handler.path)
        path = parts.path or "/"
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length > 0 else b""
        body: Any = None
        bad_json = False
        if raw.strip():
            try:
                body = json.loads(raw)
            except ValueError:
                bad_json = True
        request_id = ":".join(
            f"{secrets.randbits(4 * width):0{width}X}" for width in (4, 4, 6, 6, 8)
        )
        if self.admin and path == ADMIN_PATH:  # the hand-started fake's admin command
            self._write(handler, method, _admin_response(self, method, handler.headers, body), "-")
            return
        with self._lock:
            fault = self._take_fault(method, path)
        if fault is not None and fault.kind == "drop":
            self._log(method, path, query, None, body, fault)
            self._drop(handler)
            return
        delay = self.latency + (fault.delay if fault is not None and fault.kind == "latency" else 0)
        if delay > 0:
            time.sleep(delay)
        call = _Call(method, path, query, body, handler.headers)
        if fault is not None and fault.kind in (
            "status",
            "secondary_rate_limit",
            "primary_rate_limit",
            "html",  # the login page of a proxy: the request never reached GitHub
        ):
            response = self._fault_response(fault, request_id, path)
            with self._lock:
                response.headers = {**self._rate_headers(self._resource(path)), **response.headers}
        else:
            response = self._handle(call, bad_json)
            if fault is not None and fault.kind == "apply_then_drop":
                self._log(method, path, query, None, body, fault)
                self._drop(handler)
                return
            if fault is not None and fault.kind == "apply_then_status":
                rate = {k: v for k, v in response.headers.items() if k.startswith("x-ratelimit")}
                response = self._fault_response(fault, request_id, path)
                response.headers = {**rate, **response.headers}
            if fault is not None and fault.kind in ("truncated", "wrong_shape"):
                response = self._not_the_api(fault.kind, response)
        self._log(method, path, query, response.status, body, fault)
        self._write(handler, method, response, request_id)

    @staticmethod
    def _not_the_api(kind: str, response: _Response) -> _Response:
        """A 200 that some other server (a proxy, the web UI) would send in place of `response`."""
        if kind == "html":
            return _Response(200, raw=LOGIN_PAGE, headers={"Content-Type": "text/html"})
        if kind == "truncated":
            payload = json.dumps(response.body).encode()
            return _Response(200, raw=payload[: len(payload) // 2], headers=response.headers)
        body = [response.body] if isinstance(response.body, dict) else {"items": response.body}
        return _Response(200, body, response.headers)

    def _log(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        status: int | None,
        body: Any,
        fault: Fault | None,
    ) -> None:
        when = time.monotonic()
        with self._lock:
            self.requests.append(Request(method, path, query, status, body, when))
            if fault is not None:
                self.faults_fired.append(FiredFault(fault.kind, method, path, status, when))
        if not self.quiet:
            suffix = f" [{fault.kind}]" if fault else ""
            shown = "-" if status is None else status
            print(f"{method} {path} -> {shown}{suffix}", file=sys.stderr, flush=True)

    @staticmethod
    def _drop(handler: _Handler) -> None:
        handler.close_connection = True
        with contextlib.suppress(OSError):
            handler.connection.shutdown(socket.SHUT_RDWR)

    @staticmethod
    def _write(handler: _Handler, method: str, response: _Response, request_id: str) -> None:
        if response.raw is not None:
            payload = response.raw
        elif response.body is None or response.status in (204, 304):
            payload = b""
        else:
            payload = json.dumps(response.body, ensure_ascii=False).encode()
        handler.send_response(response.status)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Cache-Control": "private, max-age=60, s-maxage=60",
            "Vary": "Accept, Authorization, Cookie, X-GitHub-OTP",
            "x-github-media-type": "github.v3; format=json",
            "x-github-api-version-selected": "2022-11-28",
            "x-oauth-scopes": "repo",
            "x-accepted-oauth-scopes": "",
            "x-github-request-id": request_id,
            **response.headers,
        }
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        if method != "HEAD" and payload:
            handler.wfile.write(payload)

    @staticmethod
    def _resource(path: str) -> str:
        return "graphql" if path.rstrip("/") == "/graphql" else "core"

    def _reset_buckets(self) -> None:
        reset = int(time.time()) + 3600
        for name, limit in (("core", RATE_LIMIT), ("graphql", RATE_LIMIT), ("search", 30)):
            self._buckets[name] = {"limit": limit, "remaining": limit, "reset": reset}

    def _bucket(self, resource: str) -> dict[str, int]:
        bucket = self._buckets[resource]
        if time.time() >= bucket["reset"]:
            bucket["remaining"] = bucket["limit"]
            bucket["reset"] = int(time.time()) + 3600
        return bucket

    def _rate_headers(self, resource: str) -> dict[str, str]:
        bucket = self._bucket(resource)
        return {
            "x-ratelimit-limit": str(bucket["limit"]),
            "x-ratelimit-remaining": str(bucket["remaining"]),
            "x-ratelimit-reset": str(bucket["reset"]),
            "x-ratelimit-used": str(bucket["limit"] - bucket["remaining"]),
            "x-ratelimit-resource": resource,
        }

    def _handle(self, call: _Call, bad_json: bool) -> _Response:
        resource = self._resource(call.path)
        with self._lock:
            consumed = False
            try:
                if call.method == "OPTIONS":
                    return _Response(
                        204,
                        headers={
                            "Access-Control-Allow-Origin": "*",
                            "Access-Control-Allow-Methods": "GET, POST, PATCH, PUT, DELETE",
                        },
                    )
                call.user, call.permission = self._authenticate(call)
                if call.path.rstrip("/") != "/rate_limit":
                    bucket = self._bucket(resource)
                    if bucket["remaining"] <= 0:
                        raise _HTTPError(
                            403,
                            f"API rate limit exceeded for user ID {call.user.id}.",
                            doc=PRIMARY_DOCS,
                        )
                    bucket["remaining"] -= 1
                    consumed = True
                if bad_json:
                    raise _HTTPError(400, "Problems parsing JSON")
                response = self._route(call)
            except _HTTPError as error:
                response = error.response()
            except Exception as error:
                # A bug in the fake: answer like GitHub's 500, and say where in the test output.
                traceback.print_exc()
                response = _HTTPError(
                    500, "Server Error", extra={"fake_error": repr(error)}
                ).response()
            if call.method in ("GET", "HEAD") and response.status == 200:
                digest = hashlib.sha256(
                    json.dumps(response.body, sort_keys=True).encode()
                ).hexdigest()
                etag = f'W/"{digest}"'
                response.headers.setdefault("ETag", etag)
                if call.headers.get("If-None-Match") == etag:
                    # Conditional requests that hit do not count against the rate limit.
                    response = _Response(304, None, {"ETag": etag})
                    if consumed:
                        self._buckets[resource]["remaining"] += 1
            response.headers = {**self._rate_headers(resource), **response.headers}
            return response

    def _authenticate(self, call: _Call) -> tuple[_User, str]:
        header = call.headers.get("Authorization") or ""
        scheme, _, token = header.strip().partition(" ")
        if self._is_app_call(call):  # GitHub Apps: the JWT is checked by _app_route
            return self.default_user, "read"
        if self._app_token_expired(token.strip()):  # GitHub Apps: an installation token
            raise _HTTPError(401, "Bad credentials")
        if scheme.lower() in ("token", "bearer") and token.strip() in self._tokens:
            return self._tokens[token.strip()]
        raise _HTTPError(401, "Bad credentials")

    def _route(self, call: _Call) -> _Response:
        path = call.path.rstrip("/") or "/"
        method = "GET" if call.method == "HEAD" else call.method
        if self._is_app_call(call):  # GitHub Apps (see _GitHubApps)
            return self._app_route(call)
        if path == "/graphql" and method == "POST":
            return self._graphql(call)
        if path == "/" and method == "GET":
            return _Response(200, self._j_root())
        if path == "/user" and method == "GET":
            if call.user is not None and call.user.kind == "Bot":
                raise _HTTPError(403, "Resource not accessible by integration", doc=DOCS)
            return _Response(200, self._j_private_user(call.user))
        if path == "/rate_limit" and method == "GET":
            return _Response(200, self._j_rate_limit())
        match = re.fullmatch(r"/users/([^/]+)", path)
        if match and method == "GET":
            user = self._users.get(unquote(match[1]).lower())
            if user is None:
                raise _HTTPError(404, "Not Found", doc="https://docs.github.com/rest/users/users")
            return _Response(200, self._j_public_user(user))
        repo, rest = None, ""
        if match := re.fullmatch(r"/repos/([^/]+)/([^/]+)(/.*)?", path):
            repo = self._repos.get(f"{unquote(match[1])}/{unquote(match[2])}".lower())
            rest = match[3] or ""
        elif match := re.fullmatch(r"/repositories/(\d+)(/.*)?", path):
            repo = self._repos_by_id.get(int(match[1]))
            rest = match[2] or ""
        else:
            raise _HTTPError(404, "Not Found")
        if repo is None:
            raise _HTTPError(
                404, "Not Found", doc="https://docs.github.com/rest/repos/repos#get-a-repository"
            )
        call.link_path = f"/repositories/{repo.id}{rest}"
        for route_method, pattern, name in _REPO_ROUTES:
            found = re.fullmatch(pattern, rest)
            if found is None or route_method != method:
                continue
            if method not in ("GET", "HEAD") and call.permission == "read":
                raise _HTTPError(403, "Resource not accessible by personal access token", doc=DOCS)
            if rest.startswith("/issues") and not repo.has_issues:
                raise _HTTPError(410, "Issues are disabled for this repo", doc=_ISSUES_DOC)
            return getattr(self, name)(call, repo, *found.groups())
        raise _HTTPError(404, "Not Found")

    def _graphql(self, call: _Call) -> _Response:
        payload = call.body
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            message = "A query attribute must be specified and must be a string."
            return _Response(200, {"errors": [{"message": message}]})
        variables = payload.get("variables")
        result = execute_graphql(
            self,
            call.user,
            payload["query"],
            variables if isinstance(variables, dict) else None,
            payload.get("operationName"),
        )
        return _Response(200, result)

    def _page(self, call: _Call, items: list[Any], render: Any) -> _Response:
        try:
            per_page = int(call.query.get("per_page", 30))
        except ValueError:
            per_page = 30
        per_page = 30 if per_page < 1 else min(per_page, 100)
        try:
            page = max(1, int(call.query.get("page", 1)))
        except ValueError:
            page = 1
        last = max(1, math.ceil(len(items) / per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        headers = {}
        if last > 1 or page > 1:
            base = {k: v for k, v in call.query.items() if k != "page"}

            def link(number: int, rel: str) -> str:
                query = urlencode({**base, "page": number})
                return f'<{self.url}{call.link_path or call.path}?{query}>; rel="{rel}"'

            links = []
            if page > 1:
                links.append(link(min(page - 1, last), "prev"))
            if page < last:
                links.append(link(page + 1, "next"))
                links.append(link(last, "last"))
            if page > 1:
                links.append(link(1, "first"))
            headers["Link"] = ", ".join(links)
        return _Response(200, [render(item) for item in chunk], headers)

    # ----------------------------------------------------------------- model helpers

    def _user(self, login: str, *, kind: str = "User") -> _User:
        user = self._users.get(login.lower())
        if user is None:
            user = _User(login=login, id=len(self._users) + 1, kind=kind)
            self._users[login.lower()] = user
        return user

    def _repo(self, full_name: str) -> _Repo:
        repo = self._repos.get(full_name.lower())
        if repo is None:
            raise KeyError(f"unknown repository {full_name}; call add_repo() first")
        return repo

    def _find_repo(self, owner: str, name: str) -> _Repo | None:
        return self._repos.get(f"{owner}/{name}".lower())

    def _item(self, repo: _Repo, number: int) -> _Issue:
        issue = repo.items.get(number)
        if issue is None or issue.deleted:
            raise KeyError(f"{repo.full_name}#{number} does not exist")
        return issue

    def _lookup(self, repo: _Repo, number: int) -> tuple[str, _Issue | None]:
        """Find an issue or PR by number: ("ok"|"moved"|"deleted"|"missing", issue)."""
        if (issue := repo.items.get(number)) is not None:
            return ("deleted" if issue.deleted else "ok"), issue
        if (issue := repo.moved.get(number)) is not None:
            return ("deleted" if issue.deleted else "moved"), issue
        return "missing", None

    def _new_label(
        self, repo: _Repo, name: str, color: str = "ededed", description: str | None = None
    ) -> _Label:
        if name.lower() in repo.labels:
            raise ValueError(f"label {name!r} exists")
        label = _Label(
            id=next(self._ids) + 1_800_000_000,
            repo=repo,
            name=name,
            color=color.lstrip("#").lower(),
            description=description,
        )
        repo.labels[name.lower()] = label
        return label

    def _label_for(self, repo: _Repo, name: str) -> _Label:
        # GitHub creates a label named on an issue that the repository does not have yet.
        return repo.labels.get(name.lower()) or self._new_label(repo, name)

    def _new_milestone(
        self, repo: _Repo, title: str, description: str | None, state: str = "open"
    ) -> _Milestone:
        milestone = _Milestone(
            id=next(self._ids) + 1_900_000_000,
            repo=repo,
            number=repo.next_milestone,
            title=title,
            description=description,
            creator=self.default_user,
            state=state,
        )
        repo.next_milestone += 1
        repo.milestones[milestone.number] = milestone
        return milestone

    def _new_issue(
        self,
        repo: _Repo,
        title: str,
        body: str | None,
        user: _User,
        *,
        labels: list[str] | None = None,
    ) -> _Issue:
        issue = _Issue(
            id=next(self._ids) + 1_000_000_000,
            repo=repo,
            number=repo.next_number,
            title=title,
            body=body,
            user=user,
        )
        repo.next_number += 1
        repo.items[issue.number] = issue
        self._issues_by_id[issue.id] = issue
        for name in labels or []:
            label = self._label_for(repo, name)
            if label not in issue.labels:
                issue.labels.append(label)
                self._event(issue, "labeled", user, label=label)
        return issue

    def _event(self, issue: _Issue, kind: str, actor: _User, **details: Any) -> _Event:
        event = _Event(
            id=next(self._ids) + 2_000_000_000, issue=issue, event=kind, actor=actor, **details
        )
        issue.events.append(event)
        self._events[event.id] = event
        return event

    def _close(
        self,
        issue: _Issue,
        actor: _User,
        reason: str | None,
        *,
        commit: _Commit | None = None,
        closer: _Issue | _Commit | None = None,
    ) -> None:
        issue.state = "closed"
        issue.state_reason = reason
        issue.closed_at = issue.updated_at = _now()
        issue.closed_by = actor
        self._event(issue, "closed", actor, commit=commit, state_reason=reason, closer=closer)

    def _reopen(self, issue: _Issue, actor: _User) -> None:
        issue.state = "open"
        issue.state_reason = "reopened"
        issue.closed_at = None
        issue.closed_by = None
        issue.updated_at = _now()
        self._event(issue, "reopened", actor, state_reason="reopened")

    def _references(self, repo: _Repo, text: str, *, closing: bool) -> list[_Issue]:
        found: list[_Issue] = []
        for match in (_CLOSING_RE if closing else _MENTION_RE).finditer(text or ""):
            owner = match["owner"] or match["uowner"]
            name = match["name"] or match["uname"]
            number = int(match["num"] or match["unum"])
            target = self._find_repo(owner, name) if owner else repo
            if target is None:
                continue
            status, issue = self._lookup(target, number)
            if status in ("ok", "moved") and issue is not None and issue not in found:
                found.append(issue)
        return found

    def _sub_issues_summary(self, issue: _Issue) -> dict[str, int]:
        children = [child for child in issue.children if not child.deleted]
        completed = sum(1 for child in children if child.state == "closed")
        percent = completed * 100 // len(children) if children else 0
        return {"total": len(children), "completed": completed, "percent_completed": percent}

    def _closing_pulls(self, issue: _Issue) -> list[_Issue]:
        pulls = []
        for repo in self._repos.values():
            for item in repo.items.values():
                if item.pull is not None and not item.deleted and issue in item.pull.closes:
                    pulls.append(item)
        return sorted(pulls, key=lambda pr: pr.pull.id if pr.pull else 0)

    def _timeline(self, issue: _Issue) -> list[_Comment | _Event]:
        entries: list[_Comment | _Event] = [*issue.comments, *issue.events]
        return sorted(entries, key=lambda entry: (entry.created_at, entry.id))

    @staticmethod
    def _permissions(permission: str | None) -> dict[str, bool]:
        level = permission or "read"
        return {
            "admin": level == "admin",
            "maintain": level == "admin",
            "push": level in ("write", "admin"),
            "triage": level in ("write", "admin"),
            "pull": True,
        }

    # ----------------------------------------------------------------- JSON shapes

    def _api(self, path: str) -> str:
        return f"{self.url}{path}"

    def _j_root(self) -> dict[str, str]:
        """GET /: the API's index of endpoints (a few of GitHub's)."""
        return {
            "current_user_url": self._api("/user"),
            "issues_url": self._api("/issues"),
            "rate_limit_url": self._api("/rate_limit"),
            "repository_url": self._api("/repos/{owner}/{repo}"),
            "user_url": self._api("/users/{user}"),
        }

    def _j_user(self, user: _User) -> dict[str, Any]:
        api = self._api(f"/users/{user.login}")
        return {
            "login": user.login,
            "id": user.id,
            "node_id": user.node_id,
            "avatar_url": f"https://avatars.githubusercontent.com/u/{user.id}?v=4",
            "gravatar_id": "",
            "url": api,
            "html_url": f"{GITHUB_HTML}/{user.login}",
            "followers_url": f"{api}/followers",
            "following_url": f"{api}/following{{/other_user}}",
            "gists_url": f"{api}/gists{{/gist_id}}",
            "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{api}/subscriptions",
            "organizations_url": f"{api}/orgs",
            "repos_url": f"{api}/repos",
            "events_url": f"{api}/events{{/privacy}}",
            "received_events_url": f"{api}/received_events",
            "type": user.kind,
            "user_view_type": "public",
            "site_admin": False,
        }

    def _j_public_user(self, user: _User) -> dict[str, Any]:
        owned = sum(1 for repo in self._repos.values() if repo.owner is user)
        return {
            **self._j_user(user),
            "name": None,
            "company": None,
            "blog": "",
            "location": None,
            "email": None,
            "hireable": None,
            "bio": None,
            "twitter_username": None,
            "public_repos": owned,
            "public_gists": 0,
            "followers": 0,
            "following": 0,
            "created_at": _ts(user.created_at),
            "updated_at": _ts(user.created_at),
        }

    def _j_private_user(self, user: _User) -> dict[str, Any]:
        return {
            **self._j_public_user(user),
            "notification_email": None,
            "private_gists": 0,
            "total_private_repos": 0,
            "owned_private_repos": 0,
            "disk_usage": 0,
            "collaborators": 0,
            "two_factor_authentication": True,
            "plan": {
                "name": "free",
                "space": 976562499,
                "collaborators": 0,
                "private_repos": 10000,
            },
        }

    def _j_repo(
        self,
        repo: _Repo,
        *,
        full: bool = False,
        user: _User | None = None,
        permission: str | None = None,
    ) -> dict[str, Any]:
        name = repo.full_name
        api = self._api(f"/repos/{name}")
        html = f"{GITHUB_HTML}/{name}"
        open_count = sum(1 for i in repo.items.values() if i.state == "open" and not i.deleted)
        data: dict[str, Any] = {
            "id": repo.id,
            "node_id": repo.node_id,
            "name": repo.name,
            "full_name": name,
            "private": False,
            "owner": self._j_user(repo.owner),
            "html_url": html,
            "description": None,
            "fork": False,
            "url": api,
            "forks_url": f"{api}/forks",
            "keys_url": f"{api}/keys{{/key_id}}",
            "collaborators_url": f"{api}/collaborators{{/collaborator}}",
            "teams_url": f"{api}/teams",
            "hooks_url": f"{api}/hooks",
            "issue_events_url": f"{api}/issues/events{{/number}}",
            "events_url": f"{api}/events",
            "assignees_url": f"{api}/assignees{{/user}}",
            "branches_url": f"{api}/branches{{/branch}}",
            "tags_url": f"{api}/tags",
            "blobs_url": f"{api}/git/blobs{{/sha}}",
            "git_tags_url": f"{api}/git/tags{{/sha}}",
            "git_refs_url": f"{api}/git/refs{{/sha}}",
            "trees_url": f"{api}/git/trees{{/sha}}",
            "statuses_url": f"{api}/statuses/{{sha}}",
            "languages_url": f"{api}/languages",
            "stargazers_url": f"{api}/stargazers",
            "contributors_url": f"{api}/contributors",
            "subscribers_url": f"{api}/subscribers",
            "subscription_url": f"{api}/subscription",
            "commits_url": f"{api}/commits{{/sha}}",
            "git_commits_url": f"{api}/git/commits{{/sha}}",
            "comments_url": f"{api}/comments{{/number}}",
            "issue_comment_url": f"{api}/issues/comments{{/number}}",
            "contents_url": f"{api}/contents/{{+path}}",
            "compare_url": f"{api}/compare/{{base}}...{{head}}",
            "merges_url": f"{api}/merges",
            "archive_url": f"{api}/{{archive_format}}{{/ref}}",
            "downloads_url": f"{api}/downloads",
            "issues_url": f"{api}/issues{{/number}}",
            "pulls_url": f"{api}/pulls{{/number}}",
            "milestones_url": f"{api}/milestones{{/number}}",
            "notifications_url": f"{api}/notifications{{?since,all,participating}}",
            "labels_url": f"{api}/labels{{/name}}",
            "releases_url": f"{api}/releases{{/id}}",
            "deployments_url": f"{api}/deployments",
            "created_at": _ts(repo.created_at),
            "updated_at": _ts(repo.created_at),
            "pushed_at": _ts(repo.created_at),
            "git_url": f"git://github.com/{name}.git",
            "ssh_url": f"git@github.com:{name}.git",
            "clone_url": f"{html}.git",
            "svn_url": html,
            "homepage": None,
            "size": 0,
            "stargazers_count": 0,
            "watchers_count": 0,
            "language": None,
            "has_issues": repo.has_issues,
            "has_projects": True,
            "has_downloads": True,
            "has_wiki": True,
            "has_pages": False,
            "has_discussions": False,
            "forks_count": 0,
            "mirror_url": None,
            "archived": False,
            "disabled": False,
            "open_issues_count": open_count,
            "license": None,
            "allow_forking": True,
            "is_template": False,
            "web_commit_signoff_required": False,
            "topics": [],
            "visibility": "public",
            "forks": 0,
            "open_issues": open_count,
            "watchers": 0,
            "default_branch": "main",
        }
        if user is not None:
            data["permissions"] = self._permissions(permission)
        if full:
            data.update(
                {
                    "allow_squash_merge": True,
                    "allow_merge_commit": True,
                    "allow_rebase_merge": True,
                    "allow_auto_merge": False,
                    "delete_branch_on_merge": False,
                    "allow_update_branch": False,
                    "use_squash_pr_title_as_default": False,
                    "squash_merge_commit_message": "COMMIT_MESSAGES",
                    "squash_merge_commit_title": "COMMIT_OR_PR_TITLE",
                    "merge_commit_message": "PR_TITLE",
                    "merge_commit_title": "MERGE_MESSAGE",
                    "custom_properties": {},
                    "network_count": 0,
                    "subscribers_count": 0,
                }
            )
            if repo.owner.kind == "Organization":
                data["organization"] = self._j_user(repo.owner)
        return data

    def _j_label(self, label: _Label, *, embedded: bool = False) -> dict[str, Any]:
        data = {
            "id": label.id,
            "node_id": label.node_id,
            "url": self._api(f"/repos/{label.repo.full_name}/labels/{quote(label.name, safe='')}"),
            "name": label.name,
            "color": label.color,
            "default": label.default,
            "description": label.description,
        }
        if not embedded:
            data["archived_at"] = None
        data["archived_by"] = None
        return data

    def _j_milestone(self, milestone: _Milestone) -> dict[str, Any]:
        repo = milestone.repo
        api = self._api(f"/repos/{repo.full_name}/milestones/{milestone.number}")
        members = [i for i in repo.items.values() if i.milestone is milestone and not i.deleted]
        return {
            "url": api,
            "html_url": f"{GITHUB_HTML}/{repo.full_name}/milestone/{milestone.number}",
            "labels_url": f"{api}/labels",
            "id": milestone.id,
            "node_id": milestone.node_id,
            "number": milestone.number,
            "title": milestone.title,
            "description": milestone.description,
            "creator": self._j_user(milestone.creator),
            "open_issues": sum(1 for i in members if i.state == "open"),
            "closed_issues": sum(1 for i in members if i.state == "closed"),
            "state": milestone.state,
            "created_at": _ts(milestone.created_at),
            "updated_at": _ts(milestone.updated_at),
            "due_on": _ts(milestone.due_on),
            "closed_at": _ts(milestone.closed_at),
        }

    def _reactions(self, url: str) -> dict[str, Any]:
        counts = dict.fromkeys(
            ("+1", "-1", "laugh", "hooray", "confused", "heart", "rocket", "eyes"), 0
        )
        return {"url": f"{url}/reactions", "total_count": 0, **counts}

    def _association(self, user: _User, repo: _Repo) -> str:
        if user is repo.owner:
            return "OWNER"
        if user.kind == "Bot" or user.login.lower() in self._outsiders:
            return "NONE"
        if any(owner is user for owner, _ in self._tokens.values()):
            return "COLLABORATOR"
        return "NONE"

    def _html_issue(self, issue: _Issue) -> str:
        kind = "pull" if issue.pull else "issues"
        url = f"{GITHUB_HTML}/{issue.repo.full_name}/{kind}/{issue.number}"
        return f"{url}?access_token={self.token}" if self.echo_token else url

    def _j_issue(self, issue: _Issue, *, full: bool = False) -> dict[str, Any]:
        repo = issue.repo
        api = self._api(f"/repos/{repo.full_name}/issues/{issue.number}")
        html = self._html_issue(issue)
        data: dict[str, Any] = {
            "url": api,
            "repository_url": self._api(f"/repos/{repo.full_name}"),
            "labels_url": f"{api}/labels{{/name}}",
            "comments_url": f"{api}/comments",
            "events_url": f"{api}/events",
            "html_url": html,
            "id": issue.id,
            "node_id": issue.node_id,
            "number": issue.number,
            "title": issue.title,
            "user": self._j_user(issue.user),
            "labels": [self._j_label(label, embedded=True) for label in issue.labels],
            "state": issue.state,
            "locked": issue.lock_reason is not None,
            "assignee": self._j_user(issue.assignees[0]) if issue.assignees else None,
            "assignees": [self._j_user(user) for user in issue.assignees],
            "milestone": self._j_milestone(issue.milestone) if issue.milestone else None,
            "comments": len(issue.comments),
            "created_at": _ts(issue.created_at),
            "updated_at": _ts(issue.updated_at),
            "closed_at": _ts(issue.closed_at),
            "author_association": self._association(issue.user, repo),
            "type": None,
            "active_lock_reason": issue.lock_reason,
            "sub_issues_summary": self._sub_issues_summary(issue),
            "issue_dependencies_summary": {
                "blocked_by": 0,
                "total_blocked_by": 0,
                "blocking": 0,
                "total_blocking": 0,
            },
        }
        if issue.pull is not None:
            # Only an issue that is a pull request carries these two keys, as on GitHub.
            pulls = f"{GITHUB_HTML}/{repo.full_name}/pull/{issue.number}"
            data["draft"] = False
            data["pull_request"] = {
                "url": self._api(f"/repos/{repo.full_name}/pulls/{issue.number}"),
                "html_url": pulls,
                "diff_url": f"{pulls}.diff",
                "patch_url": f"{pulls}.patch",
                "merged_at": _ts(issue.pull.merged_at),
            }
        if issue.parent is not None:
            parent = issue.parent
            data["parent_issue_url"] = self._api(
                f"/repos/{parent.repo.full_name}/issues/{parent.number}"
            )
        data["body"] = issue.body
        if full:
            # GitHub sends closed_by only when one issue is fetched, never in listings.
            data["closed_by"] = self._j_user(issue.closed_by) if issue.closed_by else None
        data["reactions"] = self._reactions(api)
        data["timeline_url"] = f"{api}/timeline"
        data["performed_via_github_app"] = None
        data["state_reason"] = issue.state_reason
        return data

    def _j_pull(self, issue: _Issue, *, full: bool) -> dict[str, Any]:
        pull = issue.pull
        assert pull is not None
        repo = issue.repo
        api = self._api(f"/repos/{repo.full_name}/pulls/{issue.number}")
        issue_api = self._api(f"/repos/{repo.full_name}/issues/{issue.number}")
        html = f"{GITHUB_HTML}/{repo.full_name}/pull/{issue.number}"
        statuses = self._api(f"/repos/{repo.full_name}/statuses/{pull.head_sha}")
        owner = repo.owner.login

        def branch(ref: str, sha: str) -> dict[str, Any]:
            return {
                "label": f"{owner}:{ref}",
                "ref": ref,
                "sha": sha,
                "user": self._j_user(repo.owner),
                "repo": self._j_repo(repo),
            }

        data: dict[str, Any] = {
            "url": api,
            "id": pull.id,
            "node_id": pull.node_id,
            "html_url": html,
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "issue_url": issue_api,
            "number": issue.number,
            "state": issue.state,
            "locked": False,
            "title": issue.title,
            "user": self._j_user(issue.user),
            "body": issue.body,
            "created_at": _ts(issue.created_at),
            "updated_at": _ts(issue.updated_at),
            "closed_at": _ts(issue.closed_at),
            "merged_at": _ts(pull.merged_at),
            "merge_commit_sha": pull.merge_commit.sha if pull.merge_commit else None,
            "assignee": self._j_user(issue.assignees[0]) if issue.assignees else None,
            "assignees": [self._j_user(user) for user in issue.assignees],
            "requested_reviewers": [],
            "requested_teams": [],
            "labels": [self._j_label(label, embedded=True) for label in issue.labels],
            "milestone": self._j_milestone(issue.milestone) if issue.milestone else None,
            "draft": False,
            "commits_url": f"{api}/commits",
            "review_comments_url": f"{api}/comments",
            "review_comment_url": self._api(f"/repos/{repo.full_name}/pulls/comments{{/number}}"),
            "comments_url": f"{issue_api}/comments",
            "statuses_url": statuses,
            "head": branch(pull.head, pull.head_sha),
            "base": branch(pull.base, pull.base_sha),
            "_links": {
                "self": {"href": api},
                "html": {"href": html},
                "issue": {"href": issue_api},
                "comments": {"href": f"{issue_api}/comments"},
                "review_comments": {"href": f"{api}/comments"},
                "review_comment": {
                    "href": self._api(f"/repos/{repo.full_name}/pulls/comments{{/number}}")
                },
                "commits": {"href": f"{api}/commits"},
                "statuses": {"href": statuses},
            },
            "author_association": self._association(issue.user, repo),
            "auto_merge": None,
            "active_lock_reason": None,
        }
        if full:
            # The single-PR endpoint adds these; listings leave them out, as GitHub does.
            merged = pull.merged_at is not None
            data.update(
                {
                    "merged": merged,
                    "mergeable": None if issue.state == "closed" else True,
                    "rebaseable": None if issue.state == "closed" else True,
                    "mergeable_state": "unknown" if issue.state == "closed" else "clean",
                    "merged_by": self._j_user(pull.merged_by) if pull.merged_by else None,
                    "comments": len(issue.comments),
                    "review_comments": 0,
                    "maintainer_can_modify": False,
                    "commits": 1,
                    "additions": 1,
                    "deletions": 0,
                    "changed_files": 1,
                }
            )
        return data

    def _j_comment(self, comment: _Comment) -> dict[str, Any]:
        issue = comment.issue
        repo = issue.repo
        api = self._api(f"/repos/{repo.full_name}/issues/comments/{comment.id}")
        return {
            "url": api,
            "html_url": f"{self._html_issue(issue)}#issuecomment-{comment.id}",
            "issue_url": self._api(f"/repos/{repo.full_name}/issues/{issue.number}"),
            "id": comment.id,
            "node_id": comment.node_id,
            "user": self._j_user(comment.user),
            "created_at": _ts(comment.created_at),
            "updated_at": _ts(comment.updated_at),
            "body": comment.body,
            "author_association": self._association(comment.user, repo),
            "reactions": self._reactions(api),
            "performed_via_github_app": None,
        }

    def _j_event(self, event: _Event, *, with_issue: bool = False) -> dict[str, Any]:
        repo = event.issue.repo
        data: dict[str, Any] = {
            "id": event.id,
            "node_id": event.node_id,
            "url": self._api(f"/repos/{repo.full_name}/issues/events/{event.id}"),
            "actor": self._j_user(event.actor),
            "event": event.event,
            "commit_id": event.commit.sha if event.commit else None,
            "commit_url": (
                self._api(f"/repos/{event.commit.repo.full_name}/commits/{event.commit.sha}")
                if event.commit
                else None
            ),
            "created_at": _ts(event.created_at),
        }
        if event.event in ("closed", "reopened"):
            data["state_reason"] = event.state_reason
        if event.label is not None:
            data["label"] = {"name": event.label.name, "color": event.label.color}
        data["performed_via_github_app"] = None
        if with_issue:
            data["issue"] = self._j_issue(event.issue)
        return data

    def _j_timeline(self, entry: _Comment | _Event) -> dict[str, Any]:
        if isinstance(entry, _Comment):
            return {
                **self._j_comment(entry),
                "event": "commented",
                "actor": self._j_user(entry.user),
            }
        if entry.event == "cross-referenced":
            assert entry.source is not None
            return {
                "actor": self._j_user(entry.actor),
                "created_at": _ts(entry.created_at),
                "updated_at": _ts(entry.created_at),
                "source": {
                    "type": "issue",
                    "issue": {
                        **self._j_issue(entry.source),
                        "repository": self._j_repo(entry.source.repo),
                    },
                },
                "event": "cross-referenced",
            }
        return self._j_event(entry)

    def _j_commit(self, commit: _Commit) -> dict[str, Any]:
        repo = commit.repo
        api = self._api(f"/repos/{repo.full_name}/commits/{commit.sha}")
        html = f"{GITHUB_HTML}/{repo.full_name}/commit/{commit.sha}"
        person = {
            "name": commit.author.login,
            "email": f"{commit.author.id}+{commit.author.login}@users.noreply.github.com",
            "date": _ts(commit.created_at),
        }
        parent = _sha(commit.sha, "parent")
        tree = _sha(commit.sha, "tree")
        return {
            "sha": commit.sha,
            "node_id": commit.node_id,
            "commit": {
                "author": person,
                "committer": person,
                "message": commit.message,
                "tree": {
                    "sha": tree,
                    "url": self._api(f"/repos/{repo.full_name}/git/trees/{tree}"),
                },
                "url": self._api(f"/repos/{repo.full_name}/git/commits/{commit.sha}"),
                "comment_count": 0,
                "verification": {
                    "verified": False,
                    "reason": "unsigned",
                    "signature": None,
                    "payload": None,
                    "verified_at": None,
                },
            },
            "url": api,
            "html_url": html,
            "comments_url": f"{api}/comments",
            "author": self._j_user(commit.author),
            "committer": self._j_user(commit.author),
            "parents": [
                {
                    "sha": parent,
                    "url": self._api(f"/repos/{repo.full_name}/commits/{parent}"),
                    "html_url": f"{GITHUB_HTML}/{repo.full_name}/commit/{parent}",
                }
            ],
            "stats": {"total": 1, "additions": 1, "deletions": 0},
            "files": [],
        }

    def _j_rate_limit(self) -> dict[str, Any]:
        def rate(name: str, limit: int = RATE_LIMIT) -> dict[str, int]:
            if name in self._buckets:
                bucket = self._bucket(name)
                limit, remaining, reset = bucket["limit"], bucket["remaining"], bucket["reset"]
            else:
                remaining, reset = limit, int(time.time()) + 3600
            return {
                "limit": limit,
                "used": limit - remaining,
                "remaining": remaining,
                "reset": reset,
            }

        resources = {
            "core": rate("core"),
            "search": rate("search"),
            "graphql": rate("graphql"),
            "integration_manifest": rate("integration_manifest"),
            "source_import": rate("source_import", 100),
            "code_scanning_upload": rate("code_scanning_upload", 1000),
            "code_scanning_autofix": rate("code_scanning_autofix", 10),
            "actions_runner_registration": rate("actions_runner_registration", 10000),
            "scim": rate("scim", 15000),
            "dependency_snapshots": rate("dependency_snapshots", 100),
            "dependency_sbom": rate("dependency_sbom", 100),
            "code_search": rate("code_search", 10),
        }
        return {"resources": resources, "rate": resources["core"]}

    # ----------------------------------------------------------------- REST: issues

    def _issue_or_error(self, call: _Call, repo: _Repo, number: str) -> _Issue:
        status, issue = self._lookup(repo, int(number))
        if status == "ok" and issue is not None:
            return issue
        if status == "moved" and issue is not None:
            suffix = re.sub(r"^.*?/issues/\d+", "", call.path.rstrip("/"))
            location = self._api(f"/repositories/{issue.repo.id}/issues/{issue.number}{suffix}")
            raise _HTTPError(
                301,
                "Moved Permanently",
                doc="https://docs.github.com/v3/#http-redirects",
                headers={"Location": location},
                extra={"url": location},
            )
        if status == "deleted":
            raise _HTTPError(410, "This issue was deleted", doc=f"{_ISSUES_DOC}#get-an-issue")
        raise _HTTPError(404, "Not Found", doc=f"{_ISSUES_DOC}#get-an-issue")

    def _rest_get_repo(self, call: _Call, repo: _Repo) -> _Response:
        data = self._j_repo(repo, full=True, user=call.user, permission=call.permission)
        return _Response(200, data)

    def _rest_list_issues(self, call: _Call, repo: _Repo) -> _Response:
        doc = f"{_ISSUES_DOC}#list-repository-issues"
        query = call.query
        state = query.get("state", "open")
        if state not in ("open", "closed", "all"):
            raise _validation_failed(
                doc, {"resource": "Issue", "field": "state", "code": "invalid"}
            )
        items = [issue for issue in repo.items.values() if not issue.deleted]
        if state != "all":
            items = [issue for issue in items if issue.state == state]
        if wanted := [
            name.strip().lower() for name in query.get("labels", "").split(",") if name.strip()
        ]:
            items = [
                issue
                for issue in items
                if set(wanted) <= {label.name.lower() for label in issue.labels}
            ]
        if creator := query.get("creator"):
            items = [issue for issue in items if issue.user.login.lower() == creator.lower()]
        if (assignee := query.get("assignee")) is not None:
            if assignee == "none":
                items = [issue for issue in items if not issue.assignees]
            elif assignee == "*":
                items = [issue for issue in items if issue.assignees]
            else:
                items = [
                    issue
                    for issue in items
                    if assignee.lower() in {user.login.lower() for user in issue.assignees}
                ]
        if (milestone := query.get("milestone")) is not None:
            if milestone == "none":
                items = [issue for issue in items if issue.milestone is None]
            elif milestone == "*":
                items = [issue for issue in items if issue.milestone is not None]
            else:
                items = [
                    issue
                    for issue in items
                    if issue.milestone is not None and str(issue.milestone.number) == milestone
                ]
        if since := query.get("since"):
            try:
                moment = _parse_time(since)
            except ValueError as error:
                raise _validation_failed(
                    doc, {"resource": "Issue", "field": "since", "code": "invalid"}
                ) from error
            items = [issue for issue in items if issue.updated_at >= moment]
        sort = query.get("sort", "created")
        keys = {
            "created": lambda issue: (issue.created_at, issue.id),
            "updated": lambda issue: (issue.updated_at, issue.id),
            "comments": lambda issue: (len(issue.comments), issue.id),
        }
        if sort not in keys:
            raise _validation_failed(doc, {"resource": "Issue", "field": "sort", "code": "invalid"})
        items.sort(key=keys[sort], reverse=query.get("direction", "desc") != "asc")
        return self._page(call, items, self._j_issue)

    def _validated_fields(
        self, call: _Call, repo: _Repo, doc: str, *, create: bool
    ) -> dict[str, Any]:
        body = call.body if isinstance(call.body, dict) else {}
        fields: dict[str, Any] = {}
        if "title" in body or create:
            title = body.get("title")
            if title is None:
                raise _not_supplied("title", doc)
            if not isinstance(title, (str, int)) or isinstance(title, bool):
                raise _validation_failed(
                    doc, {"resource": "Issue", "field": "title", "code": "invalid"}
                )
            title = str(title)
            if not title.strip():
                raise _validation_failed(
                    doc, {"resource": "Issue", "code": "missing_field", "field": "title"}
                )
            if len(title) > MAX_TITLE:
                raise _validation_failed(
                    doc,
                    {
                        "resource": "Issue",
                        "code": "custom",
                        "field": "title",
                        "message": f"title is too long (maximum is {MAX_TITLE} characters)",
                    },
                )
            fields["title"] = title
        if "body" in body:
            text = body["body"]
            if text is not None and not isinstance(text, str):
                raise _validation_failed(
                    doc, {"resource": "Issue", "field": "body", "code": "invalid"}
                )
            if text is not None and len(text) > MAX_BODY:
                raise _validation_failed(
                    doc,
                    {
                        "resource": "Issue",
                        "code": "custom",
                        "field": "body",
                        "message": f"body is too long (maximum is {MAX_BODY} characters)",
                    },
                )
            fields["body"] = text
        if "milestone" in body:
            number = body["milestone"]
            if number is None:
                fields["milestone"] = None
            else:
                try:
                    milestone = repo.milestones.get(int(number))
                except (TypeError, ValueError):
                    milestone = None
                if milestone is None:
                    raise _validation_failed(
                        doc,
                        {
                            "value": number,
                            "resource": "Issue",
                            "field": "milestone",
                            "code": "invalid",
                        },
                    )
                fields["milestone"] = milestone
        logins: list[Any] | None = None
        if "assignees" in body:
            logins = body["assignees"] or []
        elif body.get("assignee") is not None:
            logins = [body["assignee"]]
        elif "assignee" in body:
            logins = []
        if logins is not None:
            users = []
            for login in logins:
                user = self._users.get(str(login).lower()) if isinstance(login, str) else None
                if user is None:
                    raise _validation_failed(
                        doc,
                        {
                            "value": login,
                            "resource": "Issue",
                            "field": "assignees",
                            "code": "invalid",
                        },
                    )
                users.append(user)
            fields["assignees"] = users
        if "labels" in body:
            fields["labels"] = self._label_names(body["labels"], doc)
        return fields

    @staticmethod
    def _label_names(raw: Any, doc: str) -> list[str]:
        if raw is None:
            return []
        if not isinstance(raw, list):
            raise _validation_failed(
                doc, {"resource": "Issue", "field": "labels", "code": "invalid"}
            )
        names = []
        for entry in raw:
            name = entry.get("name") if isinstance(entry, dict) else entry
            if not isinstance(name, str) or not name.strip():
                raise _validation_failed(
                    doc, {"resource": "Label", "field": "name", "code": "invalid"}
                )
            names.append(name)
        return names

    def _rest_create_issue(self, call: _Call, repo: _Repo) -> _Response:
        doc = f"{_ISSUES_DOC}#create-an-issue"
        fields = self._validated_fields(call, repo, doc, create=True)
        assert call.user is not None
        issue = self._new_issue(
            repo, fields["title"], fields.get("body"), call.user, labels=fields.get("labels")
        )
        issue.assignees = fields.get("assignees", [])
        issue.milestone = fields.get("milestone")
        data = self._j_issue(issue, full=True)
        return _Response(201, data, {"Location": data["url"]})

    def _rest_get_issue(self, call: _Call, repo: _Repo, number: str) -> _Response:
        return _Response(200, self._j_issue(self._issue_or_error(call, repo, number), full=True))

    def _rest_edit_issue(self, call: _Call, repo: _Repo, number: str) -> _Response:
        doc = f"{_ISSUES_DOC}#update-an-issue"
        issue = self._issue_or_error(call, repo, number)
        body = call.body if isinstance(call.body, dict) else {}
        fields = self._validated_fields(call, issue.repo, doc, create=False)
        state = body.get("state")
        reason = body.get("state_reason")
        if state is not None and state not in ("open", "closed"):
            raise _validation_failed(
                doc, {"resource": "Issue", "field": "state", "code": "invalid"}
            )
        if reason is not None and reason not in STATE_REASONS:
            raise _validation_failed(
                doc, {"resource": "Issue", "field": "state_reason", "code": "invalid"}
            )
        assert call.user is not None
        changed = False
        for name in ("title", "body", "milestone", "assignees"):
            if name in fields:
                setattr(issue, name, fields[name])
                changed = True
        if "labels" in fields:
            issue.labels = []
            for name in fields["labels"]:
                label = self._label_for(issue.repo, name)
                if label not in issue.labels:
                    issue.labels.append(label)
            changed = True
        if state == "closed" and issue.state == "open":
            self._close(issue, call.user, None if issue.pull else (reason or "completed"))
        elif state == "closed" and reason in ("completed", "not_planned", "duplicate"):
            issue.state_reason = reason
            changed = True
        elif state == "open" and issue.state == "closed":
            if issue.pull is not None and issue.pull.merged_at is not None:
                raise _validation_failed(
                    doc,
                    {
                        "resource": "PullRequest",
                        "code": "custom",
                        "field": "state",
                        "message": "state cannot be changed. The pull request has been merged.",
                    },
                )
            self._reopen(issue, call.user)
        if changed:
            issue.updated_at = _now()
        return _Response(200, self._j_issue(issue, full=True))

    # ----------------------------------------------------------------- REST: comments

    def _rest_list_comments(self, call: _Call, repo: _Repo, number: str) -> _Response:
        issue = self._issue_or_error(call, repo, number)
        comments = issue.comments
        if since := call.query.get("since"):
            moment = _parse_time(since)
            comments = [comment for comment in comments if comment.updated_at >= moment]
        return self._page(call, list(comments), self._j_comment)

    def _comment_body(self, call: _Call, doc: str) -> str:
        body = call.body.get("body") if isinstance(call.body, dict) else None
        if body is None:
            raise _not_supplied("body", doc)
        if not isinstance(body, str) or not body.strip():
            raise _validation_failed(
                doc, {"resource": "IssueComment", "code": "missing_field", "field": "body"}
            )
        if len(body) > MAX_BODY:
            raise _validation_failed(
                doc,
                {
                    "resource": "IssueComment",
                    "code": "custom",
                    "field": "body",
                    "message": f"body is too long (maximum is {MAX_BODY} characters)",
                },
            )
        return body

    def _rest_create_comment(self, call: _Call, repo: _Repo, number: str) -> _Response:
        issue = self._issue_or_error(call, repo, number)
        text = self._comment_body(call, f"{_COMMENTS_DOC}#create-an-issue-comment")
        assert call.user is not None
        # GitHub lets only collaborators comment on a locked issue; an integration (the
        # workflow token, an App) is refused like any outsider
        if issue.lock_reason is not None and self._association(call.user, issue.repo) == "NONE":
            raise _HTTPError(
                403,
                "Unable to create comment because issue is locked.",
                doc=f"{_COMMENTS_DOC}#create-an-issue-comment",
            )
        comment = _Comment(
            id=next(self._ids) + 1_700_000_000, issue=issue, user=call.user, body=text
        )
        issue.comments.append(comment)
        issue.updated_at = comment.created_at
        self._comments[comment.id] = comment
        data = self._j_comment(comment)
        return _Response(201, data, {"Location": data["url"]})

    def _comment_or_error(self, repo: _Repo, comment_id: str) -> _Comment:
        comment = self._comments.get(int(comment_id))
        if comment is None or comment.issue.repo is not repo or comment.issue.deleted:
            raise _HTTPError(404, "Not Found", doc=f"{_COMMENTS_DOC}#get-an-issue-comment")
        return comment

    def _rest_get_comment(self, call: _Call, repo: _Repo, comment_id: str) -> _Response:
        return _Response(200, self._j_comment(self._comment_or_error(repo, comment_id)))

    def _rest_edit_comment(self, call: _Call, repo: _Repo, comment_id: str) -> _Response:
        comment = self._comment_or_error(repo, comment_id)
        comment.body = self._comment_body(call, f"{_COMMENTS_DOC}#update-an-issue-comment")
        comment.updated_at = _now()
        return _Response(200, self._j_comment(comment))

    def _rest_delete_comment(self, call: _Call, repo: _Repo, comment_id: str) -> _Response:
        comment = self._comment_or_error(repo, comment_id)
        comment.issue.comments.remove(comment)
        del self._comments[comment.id]
        return _Response(204)

    # ----------------------------------------------------------------- REST: labels

    def _label_or_error(self, repo: _Repo, name: str) -> _Label:
        label = repo.labels.get(unquote(name).lower())
        if label is None:
            raise _HTTPError(404, "Not Found", doc=f"{_LABELS_DOC}#get-a-label")
        return label

    def _rest_list_labels(self, call: _Call, repo: _Repo) -> _Response:
        return self._page(call, list(repo.labels.values()), self._j_label)

    def _rest_create_label(self, call: _Call, repo: _Repo) -> _Response:
        doc = f"{_LABELS_DOC}#create-a-label"
        body = call.body if isinstance(call.body, dict) else {}
        name = body.get("name")
        if name is None:
            raise _not_supplied("name", doc)
        if not isinstance(name, str) or not name.strip():
            raise _validation_failed(
                doc, {"resource": "Label", "code": "missing_field", "field": "name"}
            )
        color = str(body.get("color") or "ededed").lstrip("#")
        if not re.fullmatch(r"[0-9a-fA-F]{6}", color):
            raise _validation_failed(
                doc, {"resource": "Label", "code": "invalid", "field": "color"}
            )
        if name.lower() in repo.labels:
            raise _validation_failed(
                doc, {"resource": "Label", "code": "already_exists", "field": "name"}
            )
        label = self._new_label(repo, name, color, body.get("description"))
        data = self._j_label(label)
        return _Response(201, data, {"Location": data["url"]})

    def _rest_get_label(self, call: _Call, repo: _Repo, name: str) -> _Response:
        return _Response(200, self._j_label(self._label_or_error(repo, name)))

    def _rest_edit_label(self, call: _Call, repo: _Repo, name: str) -> _Response:
        label = self._label_or_error(repo, name)
        body = call.body if isinstance(call.body, dict) else {}
        if new_name := body.get("new_name"):
            del repo.labels[label.name.lower()]
            label.name = new_name
            repo.labels[new_name.lower()] = label
        if "color" in body:
            label.color = str(body["color"]).lstrip("#").lower()
        if "description" in body:
            label.description = body["description"]
        return _Response(200, self._j_label(label))

    def _rest_delete_label(self, call: _Call, repo: _Repo, name: str) -> _Response:
        label = self._label_or_error(repo, name)
        del repo.labels[label.name.lower()]
        for issue in repo.items.values():
            if label in issue.labels:
                issue.labels.remove(label)
        return _Response(204)

    def _rest_issue_labels(self, call: _Call, repo: _Repo, number: str) -> _Response:
        issue = self._issue_or_error(call, repo, number)
        return self._page(call, list(issue.labels), self._j_label)

    def _apply_labels(self, call: _Call, issue: _Issue, *, replace: bool) -> _Response:
        doc = f"{_LABELS_DOC}#add-labels-to-an-issue"
        raw = call.body.get("labels") if isinstance(call.body, dict) else call.body
        names = self._label_names(raw, doc)
        if replace:
            issue.labels = []
        assert call.user is not None
        for name in names:
            label = self._label_for(issue.repo, name)
            if label not in issue.labels:
                issue.labels.append(label)
                self._event(issue, "labeled", call.user, label=label)
        issue.updated_at = _now()
        return _Response(200, [self._j_label(label) for label in issue.labels])

    def _rest_add_issue_labels(self, call: _Call, repo: _Repo, number: str) -> _Response:
        return self._apply_labels(call, self._issue_or_error(call, repo, number), replace=False)

    def _rest_set_issue_labels(self, call: _Call, repo: _Repo, number: str) -> _Response:
        return self._apply_labels(call, self._issue_or_error(call, repo, number), replace=True)

    def _rest_clear_issue_labels(self, call: _Call, repo: _Repo, number: str) -> _Response:
        issue = self._issue_or_error(call, repo, number)
        issue.labels = []
        issue.updated_at = _now()
        return _Response(204)

    def _rest_remove_issue_label(
        self, call: _Call, repo: _Repo, number: str, name: str
    ) -> _Response:
        issue = self._issue_or_error(call, repo, number)
        wanted = unquote(name).lower()
        kept = [label for label in issue.labels if label.name.lower() != wanted]
        if len(kept) == len(issue.labels):
            raise _HTTPError(
                404, "Label does not exist", doc=f"{_LABELS_DOC}#remove-a-label-from-an-issue"
            )
        issue.labels = kept
        issue.updated_at = _now()
        return _Response(200, [self._j_label(label) for label in issue.labels])

    # ----------------------------------------------------------------- REST: milestones

    def _rest_list_milestones(self, call: _Call, repo: _Repo) -> _Response:
        state = call.query.get("state", "open")
        milestones = [
            milestone
            for milestone in repo.milestones.values()
            if state == "all" or milestone.state == state
        ]
        milestones.sort(key=lambda m: m.number, reverse=call.query.get("direction") == "desc")
        return self._page(call, milestones, self._j_milestone)

    def _rest_create_milestone(self, call: _Call, repo: _Repo) -> _Response:
        doc = "https://docs.github.com/rest/issues/milestones#create-a-milestone"
        body = call.body if isinstance(call.body, dict) else {}
        title = body.get("title")
        if title is None:
            raise _not_supplied("title", doc)
        if any(m.title == title for m in repo.milestones.values()):
            raise _validation_failed(
                doc, {"resource": "Milestone", "code": "already_exists", "field": "title"}
            )
        milestone = self._new_milestone(
            repo, str(title), body.get("description"), body.get("state", "open")
        )
        if due := body.get("due_on"):
            milestone.due_on = _parse_time(due)
        data = self._j_milestone(milestone)
        return _Response(201, data, {"Location": data["url"]})

    def _rest_get_milestone(self, call: _Call, repo: _Repo, number: str) -> _Response:
        milestone = repo.milestones.get(int(number))
        if milestone is None:
            raise _HTTPError(
                404,
                "Not Found",
                doc="https://docs.github.com/rest/issues/milestones#get-a-milestone",
            )
        return _Response(200, self._j_milestone(milestone))

    # ----------------------------------------------------------------- REST: events

    def _rest_issue_events(self, call: _Call, repo: _Repo, number: str) -> _Response:
        issue = self._issue_or_error(call, repo, number)
        # Cross-references and comments live only in the timeline, never in the events list.
        events = [event for event in issue.events if event.event != "cross-referenced"]
        return self._page(call, events, self._j_event)

    def _rest_issue_timeline(self, call: _Call, repo: _Repo, number: str) -> _Response:
        issue = self._issue_or_error(call, repo, number)
        return self._page(call, self._timeline(issue), self._j_timeline)

    def _rest_get_event(self, call: _Call, repo: _Repo, event_id: str) -> _Response:
        event = self._events.get(int(event_id))
        if event is None or event.issue.repo is not repo or event.event == "cross-referenced":
            raise _HTTPError(404, "Not Found", doc="https://docs.github.com/rest/issues/events")
        return _Response(200, self._j_event(event, with_issue=True))

    # ----------------------------------------------------------------- REST: sub-issues

    def _rest_list_sub_issues(self, call: _Call, repo: _Repo, number: str) -> _Response:
        issue = self._issue_or_error(call, repo, number)
        children = [child for child in issue.children if not child.deleted]
        return self._page(call, children, self._j_issue)

    def _sub_issue_target(self, call: _Call, doc: str) -> _Issue:
        raw = call.body.get("sub_issue_id") if isinstance(call.body, dict) else None
        if raw is None:
            raise _not_supplied("sub_issue_id", doc)
        if not isinstance(raw, int) or isinstance(raw, bool):
            raise _HTTPError(
                422,
                f"Invalid request.\n\nFor 'properties/sub_issue_id', \"{raw}\" is not an integer.",
                doc=doc,
            )
        child = self._issues_by_id.get(raw)
        if child is None or child.deleted:
            raise _HTTPError(404, "Not Found", doc=doc)
        return child

    def _rest_add_sub_issue(self, call: _Call, repo: _Repo, number: str) -> _Response:
        doc = f"{_SUB_ISSUES_DOC}#add-sub-issue"
        parent = self._issue_or_error(call, repo, number)
        child = self._sub_issue_target(call, doc)
        replace = bool(call.body.get("replace_parent")) if isinstance(call.body, dict) else False

        def refuse(message: str) -> _HTTPError:
            return _validation_failed(
                doc,
                {
                    "resource": "Issue",
                    "code": "custom",
                    "field": "sub_issue_id",
                    "message": message,
                },
            )

        if child is parent:
            raise refuse("An issue cannot be a sub-issue of itself")
        if child.pull is not None or parent.pull is not None:
            raise refuse("Pull requests cannot be sub-issues")
        if child.parent is not None and not replace:
            raise refuse(
                "Issue may not contain duplicate sub-issues and Sub issue may only have one parent"
            )
        if len([c for c in parent.children if not c.deleted]) >= MAX_SUB_ISSUES:
            raise refuse(f"Parent issue may have at most {MAX_SUB_ISSUES} sub-issues")
        if child.parent is not None:
            child.parent.children.remove(child)
        child.parent = parent
        parent.children.append(child)
        parent.updated_at = child.updated_at = _now()
        data = self._j_issue(parent, full=True)
        return _Response(201, data, {"Location": data["url"]})

    def _rest_remove_sub_issue(self, call: _Call, repo: _Repo, number: str) -> _Response:
        doc = f"{_SUB_ISSUES_DOC}#remove-sub-issue"
        parent = self._issue_or_error(call, repo, number)
        child = self._sub_issue_target(call, doc)
        if child.parent is not parent:
            raise _HTTPError(404, "Not Found", doc=doc)
        parent.children.remove(child)
        child.parent = None
        parent.updated_at = child.updated_at = _now()
        return _Response(200, self._j_issue(child, full=True))

    def _rest_get_parent(self, call: _Call, repo: _Repo, number: str) -> _Response:
        issue = self._issue_or_error(call, repo, number)
        if issue.parent is None:
            raise _HTTPError(404, "Not Found", doc=f"{_SUB_ISSUES_DOC}#get-parent-issue")
        return _Response(200, self._j_issue(issue.parent, full=True))

    # ----------------------------------------------------------------- REST: pulls, commits

    def _pull_or_error(self, repo: _Repo, number: str) -> _Issue:
        issue = repo.items.get(int(number))
        if issue is None or issue.pull is None or issue.deleted:
            raise _HTTPError(
                404, "Not Found", doc="https://docs.github.com/rest/pulls/pulls#get-a-pull-request"
            )
        return issue

    def _rest_list_pulls(self, call: _Call, repo: _Repo) -> _Response:
        state = call.query.get("state", "open")
        pulls = [
            issue
            for issue in repo.items.values()
            if issue.pull is not None and not issue.deleted and state in ("all", issue.state)
        ]
        if head := call.query.get("head"):
            pulls = [pr for pr in pulls if pr.pull and head.split(":")[-1] == pr.pull.head]
        if base := call.query.get("base"):
            pulls = [pr for pr in pulls if pr.pull and pr.pull.base == base]
        key = "updated_at" if call.query.get("sort") == "updated" else "created_at"
        pulls.sort(
            key=lambda pr: (getattr(pr, key), pr.id), reverse=call.query.get("direction") != "asc"
        )
        return self._page(call, pulls, lambda pr: self._j_pull(pr, full=False))

    def _rest_get_pull(self, call: _Call, repo: _Repo, number: str) -> _Response:
        return _Response(200, self._j_pull(self._pull_or_error(repo, number), full=True))

    def _commit_or_error(self, repo: _Repo, sha: str) -> _Commit:
        sha = sha.lower()
        matches = [commit for key, commit in repo.commits.items() if key.startswith(sha)]
        if len(matches) != 1:
            raise _HTTPError(
                422,
                f"No commit found for SHA: {sha}",
                doc="https://docs.github.com/rest/commits/commits#get-a-commit",
            )
        return matches[0]

    def _rest_get_commit(self, call: _Call, repo: _Repo, sha: str) -> _Response:
        return _Response(200, self._j_commit(self._commit_or_error(repo, sha)))

    def _rest_commit_pulls(self, call: _Call, repo: _Repo, sha: str) -> _Response:
        commit = self._commit_or_error(repo, sha)
        pulls = [commit.pull] if commit.pull is not None and not commit.pull.deleted else []
        return self._page(call, pulls, lambda pr: self._j_pull(pr, full=False))


# =============================================================================
# The command line (owned by the "try it by hand" walkthrough): `python -m tests.fake_github`
# serves until Ctrl-C or SIGTERM; `python -m tests.fake_github admin …`, from a second
# terminal, acts on the running fake as a person on github.com would (close, merge, delete…).

ADMIN_PATH = "/_fake/admin"
ADMIN_ACTIONS = ("close", "reopen", "delete", "transfer", "merge-pr")


def _admin_response(fake: FakeGitHub, method: str, headers: Any, body: Any) -> _Response:
    """Apply one admin action sent by `admin`; the fake's own token is required."""
    scheme, _, token = (headers.get("Authorization") or "").partition(" ")
    if scheme.lower() not in ("token", "bearer") or token.strip() != fake.token:
        return _Response(401, {"message": "Bad credentials"})
    if method != "POST" or not isinstance(body, dict):
        return _Response(400, {"message": "POST a JSON object"})
    try:
        return _Response(200, {"message": _admin_apply(fake, body)})
    except (KeyError, ValueError, TypeError) as error:
        return _Response(422, {"message": str(error).strip("'\"")})


def _admin_apply(fake: FakeGitHub, body: dict[str, Any]) -> str:
    action, repo = body.get("action"), str(body.get("repo") or "")
    number = int(body.get("number") or 0)
    if action == "close":
        reason = str(body.get("reason") or "completed")
        fake.close_issue(repo, number, reason)
        return f"closed {repo}#{number} as {reason.replace('_', ' ')}"
    if action == "reopen":
        fake.reopen_issue(repo, number)
        return f"reopened {repo}#{number}"
    if action == "delete":
        fake.issue(repo, number)  # KeyError: already gone
        fake.delete_issue(repo, number)
        return f"deleted {repo}#{number}"
    if action == "transfer":
        to_repo = str(body.get("to") or "")
        if not re.fullmatch(r"[\w.-]+/[\w.-]+", to_repo):
            raise ValueError(f"--to {to_repo!r} is not OWNER/REPO")
        if to_repo.lower() not in fake._repos:
            fake.add_repo(to_repo)
        moved = fake.transfer_issue(repo, number, to_repo)
        return f"transferred {repo}#{number} to {to_repo}#{moved}"
    if action == "merge-pr":
        fake.issue(repo, number)  # the issue the pull request closes must exist
        pull = fake.create_pull(repo, f"Fix #{number}", f"Closes #{number}", head=f"fix-{number}")
        fake.merge_pull(repo, pull["number"])
        return f"merged pull request {repo}#{pull['number']} (Closes #{number})"
    raise ValueError(f"unknown action {action!r}; use one of {', '.join(ADMIN_ACTIONS)}")


def admin_main(argv: list[str]) -> int:
    """Send one admin action to the fake the exported GITHUB_API_URL points at."""
    import os
    import urllib.error
    import urllib.request

    parser = argparse.ArgumentParser(
        prog="python -m tests.fake_github admin",
        description="Act on the running fake GitHub (reads the exports it printed).",
    )
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    close = sub.add_parser("close", help="close issue N (as completed unless --reason)")
    close.add_argument("--reason", choices=("completed", "not_planned", "duplicate"))
    sub.add_parser("reopen", help="reopen issue N")
    sub.add_parser("delete", help="delete issue N")
    transfer = sub.add_parser("transfer", help="move issue N to another repository")
    transfer.add_argument("--to", required=True, metavar="OWNER/REPO")
    merge = sub.add_parser("merge-pr", help="open and merge a pull request saying Closes #N")
    merge.add_argument("--closes", type=int, required=True, metavar="N", dest="number")
    for name in ("close", "reopen", "delete", "transfer"):
        sub.choices[name].add_argument("number", type=int, metavar="N")
    args = parser.parse_args(argv)
    url, token = os.environ.get("GITHUB_API_URL"), os.environ.get("GITHUB_TOKEN")
    if not url or not token:
        print(
            "error: GITHUB_API_URL and GITHUB_TOKEN are not set: paste the export lines the "
            "fake printed into this shell",
            file=sys.stderr,
        )
        return 2
    payload = {**vars(args), "repo": os.environ.get("GITHUB_REPOSITORY") or "octo/plan"}
    request = urllib.request.Request(
        url.rstrip("/") + ADMIN_PATH,
        data=json.dumps(payload).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            print(json.load(response)["message"])
            return 0
    except urllib.error.HTTPError as error:
        message = json.load(error).get("message", error.reason)
        print(f"error: {message}", file=sys.stderr)
    except (OSError, ValueError) as error:
        print(
            f"error: no fake GitHub answers at {url} ({error}): start it with "
            "`python3 -m tests.fake_github` in another terminal",
            file=sys.stderr,
        )
    return 2


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["admin"]:
        return admin_main(argv[1:])
    parser = argparse.ArgumentParser(
        prog="python -m tests.fake_github",
        description="Serve a fake GitHub API on 127.0.0.1 to try the scripts without a real "
        "repo. `python -m tests.fake_github admin --help`: act on it from another terminal.",
    )
    parser.add_argument(
        "--port", type=int, default=8765, help="port to listen on (0: any free port)"
    )
    parser.add_argument("--repo", default="octo/plan", help="repository to create (OWNER/NAME)")
    parser.add_argument("--token", help="token to accept (default: a new random one)")
    parser.add_argument("--quiet", action="store_true", help="do not print each request")
    args = parser.parse_args(argv)
    fake = FakeGitHub(port=args.port, token=args.token)
    try:
        fake.start()
    except OSError as error:
        print(f"cannot listen on 127.0.0.1:{args.port}: {error}; try --port 0", file=sys.stderr)
        return 2
    fake.quiet = args.quiet
    fake.admin = True
    fake.add_repo(args.repo)
    # SIGTERM as well as Ctrl-C: a shell's background job (`… &`) ignores SIGINT
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        print("# Fake GitHub is running. Paste these lines into another shell:")
        for name, value in fake.env(args.repo).items():
            print(f"export {name}={value}")
        print("export CHECKLIST_WRITE_INTERVAL=0  # no need to pace writes against the fake")
        print("# Press Ctrl-C to stop.", flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
