"""GitHub's GraphQL API for the fake server: a faithful subset of its schema, executed for real.

Type, field and enum names follow GitHub's schema, so a query valid here is valid there too.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from graphql import GraphQLError, build_schema, execute, parse, validate

_TIMELINE_ITEM_TYPES = """
  ADDED_TO_PROJECT_EVENT ADDED_TO_PROJECT_V2_EVENT ASSIGNED_EVENT BLOCKED_BY_ADDED_EVENT
  BLOCKED_BY_REMOVED_EVENT BLOCKING_ADDED_EVENT BLOCKING_REMOVED_EVENT CLOSED_EVENT
  COMMENT_DELETED_EVENT CONNECTED_EVENT CONVERTED_FROM_DRAFT_EVENT CONVERTED_NOTE_TO_ISSUE_EVENT
  CONVERTED_TO_DISCUSSION_EVENT CROSS_REFERENCED_EVENT DEMILESTONED_EVENT DISCONNECTED_EVENT
  ISSUE_COMMENT ISSUE_COMMENT_PINNED_EVENT ISSUE_COMMENT_UNPINNED_EVENT ISSUE_FIELD_ADDED_EVENT
  ISSUE_FIELD_CHANGED_EVENT ISSUE_FIELD_REMOVED_EVENT ISSUE_TYPE_ADDED_EVENT
  ISSUE_TYPE_CHANGED_EVENT ISSUE_TYPE_REMOVED_EVENT LABELED_EVENT LOCKED_EVENT
  MARKED_AS_DUPLICATE_EVENT MENTIONED_EVENT MILESTONED_EVENT MOVED_COLUMNS_IN_PROJECT_EVENT
  PARENT_ISSUE_ADDED_EVENT PARENT_ISSUE_REMOVED_EVENT PINNED_EVENT
  PROJECT_V2_ITEM_STATUS_CHANGED_EVENT REFERENCED_EVENT REMOVED_FROM_PROJECT_EVENT
  REMOVED_FROM_PROJECT_V2_EVENT RENAMED_TITLE_EVENT REOPENED_EVENT SUBSCRIBED_EVENT
  SUB_ISSUE_ADDED_EVENT SUB_ISSUE_REMOVED_EVENT TRANSFERRED_EVENT UNASSIGNED_EVENT
  UNLABELED_EVENT UNLOCKED_EVENT UNMARKED_AS_DUPLICATE_EVENT UNPINNED_EVENT UNSUBSCRIBED_EVENT
  USER_BLOCKED_EVENT
"""

_PAGE_ARGS = "after: String, before: String, first: Int, last: Int"
_DUPLICATE_NOTE = (
    "The state reason for duplicate issue is now returned by default. Removal on 2025-10-01 UTC."
)

# GitHub's published schema (the octokit schema package of 2025-12-31): a duplicate reads
# NOT_PLANNED unless the query asks `stateReason(enableDuplicate: true)`. Other copies of the
# schema deprecate the argument, to be removed: FakeGitHub.duplicate_argument = False serves
# a schema without it, where a duplicate reads DUPLICATE.
_ENABLE_DUPLICATE = """(
    "Whether or not to return state reason for duplicates"
    enableDuplicate: Boolean = false
  )"""

SDL = f"""
scalar BigInt
scalar DateTime
scalar GitObjectID
scalar URI

interface Node {{ id: ID! }}
interface UniformResourceLocatable {{ resourcePath: URI! url: URI! }}
interface Actor {{ avatarUrl(size: Int): URI! login: String! resourcePath: URI! url: URI! }}
interface RepositoryOwner {{
  avatarUrl(size: Int): URI! id: ID! login: String! resourcePath: URI! url: URI!
}}
interface Closable {{
  closed: Boolean! closedAt: DateTime viewerCanClose: Boolean! viewerCanReopen: Boolean!
}}
interface Labelable {{ labels({_PAGE_ARGS}): LabelConnection }}
interface RepositoryNode {{ repository: Repository! }}

enum CommentAuthorAssociation {{
  COLLABORATOR CONTRIBUTOR FIRST_TIMER FIRST_TIME_CONTRIBUTOR MANNEQUIN MEMBER NONE OWNER
}}
enum IssueOrderField {{ COMMENTS CREATED_AT UPDATED_AT }}
enum IssueState {{ CLOSED OPEN }}
enum IssueStateReason {{ COMPLETED DUPLICATE NOT_PLANNED REOPENED }}
enum IssueTimelineItemsItemType {{ {_TIMELINE_ITEM_TYPES} }}
enum MilestoneState {{ CLOSED OPEN }}
enum OrderDirection {{ ASC DESC }}
enum PullRequestState {{ CLOSED MERGED OPEN }}

input IssueOrder {{ direction: OrderDirection! field: IssueOrderField! }}
input IssueFilters {{
  assignee: String createdBy: String labels: [String!] mentioned: String milestone: String
  milestoneNumber: String since: DateTime states: [IssueState!] type: String
  viewerSubscribed: Boolean = false
}}

type Query {{
  node(id: ID!): Node
  nodes(ids: [ID!]!): [Node]!
  rateLimit(dryRun: Boolean = false): RateLimit
  repository(followRenames: Boolean = true, name: String!, owner: String!): Repository
  user(login: String!): User
  viewer: User!
}}

type RateLimit {{
  cost: Int! limit: Int! nodeCount: Int! remaining: Int! resetAt: DateTime! used: Int!
}}

type PageInfo {{
  endCursor: String hasNextPage: Boolean! hasPreviousPage: Boolean! startCursor: String
}}

type User implements Actor & Node & RepositoryOwner & UniformResourceLocatable {{
  avatarUrl(size: Int): URI! createdAt: DateTime! databaseId: Int id: ID! login: String!
  name: String resourcePath: URI! url: URI!
}}

type Organization implements Actor & Node & RepositoryOwner & UniformResourceLocatable {{
  avatarUrl(size: Int): URI! createdAt: DateTime! databaseId: Int id: ID! login: String!
  name: String resourcePath: URI! url: URI!
}}

type Repository implements Node & UniformResourceLocatable {{
  createdAt: DateTime!
  databaseId: Int
  description: String
  hasIssuesEnabled: Boolean!
  id: ID!
  isArchived: Boolean!
  isPrivate: Boolean!
  issue(number: Int!): Issue
  issueOrPullRequest(number: Int!): IssueOrPullRequest
  issues(
    after: String, before: String, filterBy: IssueFilters, first: Int, labels: [String!],
    last: Int, orderBy: IssueOrder, states: [IssueState!]
  ): IssueConnection!
  label(name: String!): Label
  labels({_PAGE_ARGS}, query: String): LabelConnection
  milestone(number: Int!): Milestone
  name: String!
  nameWithOwner: String!
  owner: RepositoryOwner!
  pullRequest(number: Int!): PullRequest
  pullRequests(
    after: String, baseRefName: String, before: String, first: Int, headRefName: String,
    labels: [String!], last: Int, orderBy: IssueOrder, states: [PullRequestState!]
  ): PullRequestConnection!
  resourcePath: URI!
  updatedAt: DateTime!
  url: URI!
}}

type Issue implements Closable & Labelable & Node & RepositoryNode & UniformResourceLocatable {{
  assignees({_PAGE_ARGS}): UserConnection!
  author: Actor
  authorAssociation: CommentAuthorAssociation!
  body: String!
  bodyText: String!
  closed: Boolean!
  closedAt: DateTime
  closedByPullRequestsReferences(
    after: String, before: String, first: Int, includeClosedPrs: Boolean = false, last: Int,
    orderByState: Boolean = false, userLinkedOnly: Boolean = false
  ): PullRequestConnection
  comments({_PAGE_ARGS}): IssueCommentConnection!
  createdAt: DateTime!
  databaseId: Int
  fullDatabaseId: BigInt
  id: ID!
  labels({_PAGE_ARGS}): LabelConnection
  locked: Boolean!
  milestone: Milestone
  number: Int!
  parent: Issue
  repository: Repository!
  resourcePath: URI!
  state: IssueState!
  stateReason{_ENABLE_DUPLICATE}: IssueStateReason
  subIssues({_PAGE_ARGS}): IssueConnection!
  subIssuesSummary: SubIssuesSummary!
  timelineItems(
    after: String, before: String, first: Int, itemTypes: [IssueTimelineItemsItemType!],
    last: Int, since: DateTime, skip: Int
  ): IssueTimelineItemsConnection!
  title: String!
  updatedAt: DateTime!
  url: URI!
  viewerCanClose: Boolean!
  viewerCanReopen: Boolean!
}}

type PullRequest implements
  Closable & Labelable & Node & RepositoryNode & UniformResourceLocatable {{
  assignees({_PAGE_ARGS}): UserConnection!
  author: Actor
  authorAssociation: CommentAuthorAssociation!
  baseRefName: String!
  baseRefOid: GitObjectID!
  body: String!
  closed: Boolean!
  closedAt: DateTime
  closingIssuesReferences({_PAGE_ARGS}, userLinkedOnly: Boolean = false): IssueConnection
  createdAt: DateTime!
  databaseId: Int
  fullDatabaseId: BigInt
  headRefName: String!
  headRefOid: GitObjectID!
  id: ID!
  isDraft: Boolean!
  labels({_PAGE_ARGS}): LabelConnection
  locked: Boolean!
  mergeCommit: Commit
  merged: Boolean!
  mergedAt: DateTime
  mergedBy: Actor
  number: Int!
  permalink: URI!
  repository: Repository!
  resourcePath: URI!
  state: PullRequestState!
  title: String!
  updatedAt: DateTime!
  url: URI!
  viewerCanClose: Boolean!
  viewerCanReopen: Boolean!
}}

type Commit implements Node & UniformResourceLocatable {{
  abbreviatedOid: String!
  associatedPullRequests({_PAGE_ARGS}): PullRequestConnection
  authoredDate: DateTime!
  committedDate: DateTime!
  id: ID!
  message: String!
  messageBody: String!
  messageHeadline: String!
  oid: GitObjectID!
  repository: Repository!
  resourcePath: URI!
  url: URI!
}}

type ProjectV2 implements Closable & Node {{
  closed: Boolean! closedAt: DateTime id: ID! number: Int! title: String! url: URI!
  viewerCanClose: Boolean! viewerCanReopen: Boolean!
}}

type Milestone implements Closable & Node & UniformResourceLocatable {{
  closed: Boolean! closedAt: DateTime createdAt: DateTime! description: String dueOn: DateTime
  id: ID! number: Int! resourcePath: URI! state: MilestoneState! title: String!
  updatedAt: DateTime! url: URI! viewerCanClose: Boolean! viewerCanReopen: Boolean!
}}

type Label implements Node {{
  color: String! createdAt: DateTime description: String id: ID! isDefault: Boolean!
  name: String! repository: Repository! resourcePath: URI! updatedAt: DateTime url: URI!
}}

type SubIssuesSummary {{ completed: Int! percentCompleted: Int! total: Int! }}

union Closer = Commit | ProjectV2 | PullRequest
union IssueOrPullRequest = Issue | PullRequest
union ReferencedSubject = Issue | PullRequest
union IssueTimelineItems =
  ClosedEvent | CrossReferencedEvent | IssueComment | LabeledEvent | ReferencedEvent | ReopenedEvent

type ClosedEvent implements Node & UniformResourceLocatable {{
  actor: Actor
  closable: Closable!
  closer: Closer
  createdAt: DateTime!
  duplicateOf: IssueOrPullRequest
  id: ID!
  resourcePath: URI!
  stateReason: IssueStateReason @deprecated(reason: "{_DUPLICATE_NOTE}")
  url: URI!
}}

type ReopenedEvent implements Node {{
  actor: Actor closable: Closable! createdAt: DateTime! id: ID! stateReason: IssueStateReason
}}

type CrossReferencedEvent implements Node & UniformResourceLocatable {{
  actor: Actor createdAt: DateTime! id: ID! isCrossRepository: Boolean! referencedAt: DateTime!
  resourcePath: URI! source: ReferencedSubject! target: ReferencedSubject! url: URI!
  willCloseTarget: Boolean!
}}

type LabeledEvent implements Node {{
  actor: Actor createdAt: DateTime! id: ID! label: Label! labelable: Labelable!
}}

type ReferencedEvent implements Node {{
  actor: Actor commit: Commit commitRepository: Repository! createdAt: DateTime! id: ID!
  isCrossRepository: Boolean! isDirectReference: Boolean! subject: ReferencedSubject!
}}

type IssueComment implements Node & RepositoryNode & UniformResourceLocatable {{
  author: Actor authorAssociation: CommentAuthorAssociation! body: String! bodyText: String!
  createdAt: DateTime! databaseId: Int fullDatabaseId: BigInt id: ID! issue: Issue!
  repository: Repository! resourcePath: URI! updatedAt: DateTime! url: URI!
  viewerDidAuthor: Boolean!
}}

type IssueConnection {{
  edges: [IssueEdge] nodes: [Issue] pageInfo: PageInfo! totalCount: Int!
}}
type IssueEdge {{ cursor: String! node: Issue }}
type PullRequestConnection {{
  edges: [PullRequestEdge] nodes: [PullRequest] pageInfo: PageInfo! totalCount: Int!
}}
type PullRequestEdge {{ cursor: String! node: PullRequest }}
type IssueCommentConnection {{
  edges: [IssueCommentEdge] nodes: [IssueComment] pageInfo: PageInfo! totalCount: Int!
}}
type IssueCommentEdge {{ cursor: String! node: IssueComment }}
type LabelConnection {{
  edges: [LabelEdge] nodes: [Label] pageInfo: PageInfo! totalCount: Int!
}}
type LabelEdge {{ cursor: String! node: Label }}
type UserConnection {{
  edges: [UserEdge] nodes: [User] pageInfo: PageInfo! totalCount: Int!
}}
type UserEdge {{ cursor: String! node: User }}
type IssueTimelineItemsConnection {{
  edges: [IssueTimelineItemsEdge] filteredCount: Int! nodes: [IssueTimelineItems]
  pageCount: Int! pageInfo: PageInfo! totalCount: Int! updatedAt: DateTime!
}}
type IssueTimelineItemsEdge {{ cursor: String! node: IssueTimelineItems }}
"""

SCHEMA = build_schema(SDL)
SCHEMA_WITHOUT_ENABLE_DUPLICATE = build_schema(SDL.replace(_ENABLE_DUPLICATE, "", 1))

_INTERNAL_ERROR = (
    "Something went wrong while executing your query. This may be the result of a timeout, "
    "or it could be a GitHub bug."
)
_MAX_PAGE = 100


class GitHubGraphQLError(Exception):
    """An error GitHub reports with a `type`, such as NOT_FOUND, beside partial data."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


class _Context:
    def __init__(self, fake: Any, viewer: Any):
        self.fake = fake
        self.viewer = viewer


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _html(url: str) -> str:
    return url.removeprefix("https://github.com")


def _cursor(index: int) -> str:
    return base64.b64encode(f"cursor:v2:{index}".encode()).decode()


def _uncursor(cursor: str) -> int:
    try:
        prefix, _, index = base64.b64decode(cursor, validate=True).decode().rpartition(":")
        if prefix == "cursor:v2":
            return int(index)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise GitHubGraphQLError(
        "INVALID_CURSOR_ARGUMENTS", f"`{cursor}` does not appear to be a valid cursor."
    )


def _connection(items: list[Any], args: dict[str, Any], name: str) -> dict[str, Any]:
    first, last = args.get("first"), args.get("last")
    if first is None and last is None:
        raise GitHubGraphQLError(
            "MISSING_PAGINATION_BOUNDARIES",
            f"You must provide a `first` or `last` value to properly paginate the `{name}` "
            "connection.",
        )
    for key, value in (("first", first), ("last", last)):
        if value is not None and value > _MAX_PAGE:
            raise GitHubGraphQLError(
                "EXCESSIVE_PAGINATION",
                f"Requesting {value} records on the `{name}` connection exceeds the `{key}` "
                f"limit of {_MAX_PAGE} records.",
            )
    indexed = list(enumerate(items))
    start = _uncursor(args["after"]) + 1 if args.get("after") else 0
    end = _uncursor(args["before"]) if args.get("before") else len(indexed)
    window = indexed[start:end][max(0, args.get("skip") or 0) :]
    page = window
    if first is not None:
        page = page[: max(0, first)]
    if last is not None:
        page = page[-last:] if last > 0 else []
    if first is not None:
        has_next = bool(window) and (not page or page[-1][0] < window[-1][0])
    else:
        has_next = end < len(indexed)
    if last is not None:
        has_previous = bool(window) and (not page or page[0][0] > window[0][0])
    else:
        has_previous = start > 0
    return {
        "edges": [{"cursor": _cursor(index), "node": node} for index, node in page],
        "nodes": [node for _, node in page],
        "pageInfo": {
            "startCursor": _cursor(page[0][0]) if page else None,
            "endCursor": _cursor(page[-1][0]) if page else None,
            "hasNextPage": has_next,
            "hasPreviousPage": has_previous,
        },
        "totalCount": len(items),
        "filteredCount": len(window),
        "pageCount": len(page),
    }


def _not_found(what: str) -> GitHubGraphQLError:
    return GitHubGraphQLError("NOT_FOUND", f"Could not resolve to {what}.")


Resolver = Callable[..., Any]


def _actor_fields() -> dict[str, Resolver]:
    return {
        "avatarUrl": lambda u, info, size=None: (
            f"https://avatars.githubusercontent.com/u/{u.id}?v=4" + (f"&s={size}" if size else "")
        ),
        "createdAt": lambda u, info: _iso(u.created_at),
        "databaseId": lambda u, info: u.id,
        "id": lambda u, info: u.node_id,
        "login": lambda u, info: u.login,
        "name": lambda u, info: None,
        "resourcePath": lambda u, info: f"/{u.login}",
        "url": lambda u, info: f"https://github.com/{u.login}",
    }


def _query_repository(_: Any, info: Any, owner: str, name: str, followRenames: bool = True) -> Any:
    repo = info.context.fake._find_repo(owner, name)
    if repo is None:
        raise _not_found(f"a Repository with the name '{owner}/{name}'")
    return repo


def _query_rate_limit(_: Any, info: Any, dryRun: bool = False) -> dict[str, Any]:
    bucket = info.context.fake._bucket("graphql")
    reset = datetime.fromtimestamp(bucket["reset"], UTC)
    return {
        "cost": 1,
        "limit": bucket["limit"],
        "nodeCount": 1,
        "remaining": bucket["remaining"],
        "resetAt": _iso(reset),
        "used": bucket["limit"] - bucket["remaining"],
    }


def _all_nodes(fake: Any) -> dict[str, Any]:
    nodes: dict[str, Any] = {user.node_id: user for user in fake._users.values()}
    for repo in fake._repos.values():
        nodes[repo.node_id] = repo
        nodes.update({label.node_id: label for label in repo.labels.values()})
        nodes.update({m.node_id: m for m in repo.milestones.values()})
        nodes.update({commit.node_id: commit for commit in repo.commits.values()})
        for issue in repo.items.values():
            if issue.deleted:
                continue
            nodes[issue.node_id] = issue
            nodes.update({comment.node_id: comment for comment in issue.comments})
            nodes.update(
                {event.node_id: event for event in issue.events if event.event != "merged"}
            )
    return nodes


def _query_node(_: Any, info: Any, id: str) -> Any:
    node = _all_nodes(info.context.fake).get(id)
    if node is None:
        raise _not_found(f"a node with the global id of '{id}'")
    return node


def _query_nodes(_: Any, info: Any, ids: list[str]) -> list[Any]:
    nodes = _all_nodes(info.context.fake)
    return [nodes.get(node_id) for node_id in ids]


def _query_user(_: Any, info: Any, login: str) -> Any:
    user = info.context.fake._users.get(login.lower())
    if user is None:
        raise _not_found(f"a User with the login of '{login}'")
    return user


def _repo_issue(repo: Any, info: Any, number: int) -> Any:
    # A transferred issue still resolves under its old repository and number, as on GitHub.
    status, issue = info.context.fake._lookup(repo, number)
    if status in ("ok", "moved") and issue.pull is None and repo.has_issues:
        return issue
    raise _not_found(f"an Issue with the number of {number}")


def _repo_pull(repo: Any, info: Any, number: int) -> Any:
    status, issue = info.context.fake._lookup(repo, number)
    if status == "ok" and issue.pull is not None:
        return issue
    raise _not_found(f"a PullRequest with the number of {number}")


def _repo_issue_or_pull(repo: Any, info: Any, number: int) -> Any:
    status, issue = info.context.fake._lookup(repo, number)
    if status in ("ok", "moved"):
        return issue
    raise _not_found(f"an issue or pull request with the number of {number}")


_ISSUE_ORDER = {
    "CREATED_AT": lambda i: (i.created_at, i.id),
    "UPDATED_AT": lambda i: (i.updated_at, i.id),
    "COMMENTS": lambda i: (len(i.comments), i.id),
}


def _ordered(items: list[Any], order: dict[str, str] | None) -> list[Any]:
    order = order or {"field": "CREATED_AT", "direction": "ASC"}
    return sorted(items, key=_ISSUE_ORDER[order["field"]], reverse=order["direction"] == "DESC")


def _with_labels(items: list[Any], labels: list[str] | None) -> list[Any]:
    if not labels:
        return items
    wanted = {name.lower() for name in labels}
    return [i for i in items if wanted & {label.name.lower() for label in i.labels}]


def _repo_issues(repo: Any, info: Any, **args: Any) -> dict[str, Any]:
    items = [i for i in repo.items.values() if i.pull is None and not i.deleted]
    filters = args.get("filterBy") or {}
    states = args.get("states") or filters.get("states")
    if states:
        items = [i for i in items if i.state.upper() in states]
    items = _with_labels(items, args.get("labels") or filters.get("labels"))
    if creator := filters.get("createdBy"):
        items = [i for i in items if i.user.login.lower() == creator.lower()]
    if since := filters.get("since"):
        moment = datetime.fromisoformat(since.replace("Z", "+00:00"))
        items = [i for i in items if i.updated_at >= moment]
    return _connection(_ordered(items, args.get("orderBy")), args, "issues")


def _repo_pulls(repo: Any, info: Any, **args: Any) -> dict[str, Any]:
    items = [i for i in repo.items.values() if i.pull is not None and not i.deleted]
    if states := args.get("states"):
        items = [i for i in items if _pull_state(i) in states]
    if head := args.get("headRefName"):
        items = [i for i in items if i.pull.head == head]
    if base := args.get("baseRefName"):
        items = [i for i in items if i.pull.base == base]
    items = _with_labels(items, args.get("labels"))
    return _connection(_ordered(items, args.get("orderBy")), args, "pullRequests")


def _pull_state(item: Any) -> str:
    if item.pull.merged_at is not None:
        return "MERGED"
    return item.state.upper()


def _issue_url(item: Any, info: Any) -> str:
    return info.context.fake._html_issue(item)


def _closed_by_pulls(issue: Any, info: Any, **args: Any) -> dict[str, Any]:
    # GitHub documents this as the *open* pull requests that will close the issue; closed and
    # merged ones appear only with includeClosedPrs: true, so a query must ask for them.
    pulls = info.context.fake._closing_pulls(issue)
    if not args.get("includeClosedPrs"):
        pulls = [pr for pr in pulls if pr.state == "open"]
    if args.get("userLinkedOnly"):
        pulls = []
    if args.get("orderByState"):
        pulls = sorted(pulls, key=lambda pr: pr.state != "open")
    return _connection(pulls, args, "closedByPullRequestsReferences")


_ITEM_TYPES = {
    "closed": "CLOSED_EVENT",
    "reopened": "REOPENED_EVENT",
    "cross-referenced": "CROSS_REFERENCED_EVENT",
    "labeled": "LABELED_EVENT",
    "referenced": "REFERENCED_EVENT",
}


def _item_type(entry: Any) -> str | None:
    if entry.gql_typename == "IssueComment":
        return "ISSUE_COMMENT"
    return _ITEM_TYPES.get(entry.event)


def _timeline_items(issue: Any, info: Any, **args: Any) -> dict[str, Any]:
    entries = [e for e in info.context.fake._timeline(issue) if _item_type(e) is not None]
    if types := args.get("itemTypes"):
        entries = [e for e in entries if _item_type(e) in types]
    if since := args.get("since"):
        moment = datetime.fromisoformat(since.replace("Z", "+00:00"))
        entries = [e for e in entries if e.created_at >= moment]
    connection = _connection(entries, args, "timelineItems")
    connection["updatedAt"] = _iso(issue.updated_at)
    return connection


def _sub_issues_summary(issue: Any, info: Any) -> dict[str, int]:
    summary = info.context.fake._sub_issues_summary(issue)
    return {
        "total": summary["total"],
        "completed": summary["completed"],
        "percentCompleted": summary["percent_completed"],
    }


def _state_reason(reason: str | None) -> str | None:
    return reason.upper() if reason else None


def _issue_state_reason(issue: Any, info: Any, enableDuplicate: bool | None = None) -> Any:
    # None: the schema has no such argument, and duplicates read as what they are
    if issue.state_reason == "duplicate" and enableDuplicate is False:
        return "NOT_PLANNED"
    return _state_reason(issue.state_reason)


def _closable_fields() -> dict[str, Resolver]:
    return {
        "closed": lambda i, info: i.state == "closed",
        "closedAt": lambda i, info: _iso(i.closed_at),
        "viewerCanClose": lambda i, info: i.state == "open",
        "viewerCanReopen": lambda i, info: i.state == "closed",
    }


def _shared_item_fields() -> dict[str, Resolver]:
    return {
        **_closable_fields(),
        "assignees": lambda i, info, **a: _connection(list(i.assignees), a, "assignees"),
        "author": lambda i, info: i.user,
        "authorAssociation": lambda i, info: info.context.fake._association(i.user, i.repo),
        "body": lambda i, info: i.body or "",
        "bodyText": lambda i, info: i.body or "",
        "createdAt": lambda i, info: _iso(i.created_at),
        "id": lambda i, info: i.node_id,
        "labels": lambda i, info, **a: _connection(list(i.labels), a, "labels"),
        "locked": lambda i, info: False,
        "number": lambda i, info: i.number,
        "repository": lambda i, info: i.repo,
        "resourcePath": lambda i, info: _html(_issue_url(i, info)),
        "title": lambda i, info: i.title,
        "updatedAt": lambda i, info: _iso(i.updated_at),
        "url": _issue_url,
    }


_RESOLVERS: dict[str, dict[str, Resolver]] = {
    "Query": {
        "node": _query_node,
        "nodes": _query_nodes,
        "rateLimit": _query_rate_limit,
        "repository": _query_repository,
        "user": _query_user,
        "viewer": lambda _, info: info.context.viewer,
    },
    "User": _actor_fields(),
    "Organization": _actor_fields(),
    "Repository": {
        "createdAt": lambda r, info: _iso(r.created_at),
        "databaseId": lambda r, info: r.id,
        "description": lambda r, info: None,
        "hasIssuesEnabled": lambda r, info: r.has_issues,
        "id": lambda r, info: r.node_id,
        "isArchived": lambda r, info: False,
        "isPrivate": lambda r, info: False,
        "issue": _repo_issue,
        "issueOrPullRequest": _repo_issue_or_pull,
        "issues": _repo_issues,
        "label": lambda r, info, name: r.labels.get(name.lower()),
        "labels": lambda r, info, query=None, **a: _connection(
            [lb for lb in r.labels.values() if not query or query.lower() in lb.name.lower()],
            a,
            "labels",
        ),
        "milestone": lambda r, info, number: r.milestones.get(number),
        "name": lambda r, info: r.name,
        "nameWithOwner": lambda r, info: r.full_name,
        "owner": lambda r, info: r.owner,
        "pullRequest": _repo_pull,
        "pullRequests": _repo_pulls,
        "resourcePath": lambda r, info: f"/{r.full_name}",
        "updatedAt": lambda r, info: _iso(r.created_at),
        "url": lambda r, info: f"https://github.com/{r.full_name}",
    },
    "Issue": {
        **_shared_item_fields(),
        "closedByPullRequestsReferences": _closed_by_pulls,
        "comments": lambda i, info, **a: _connection(list(i.comments), a, "comments"),
        "databaseId": lambda i, info: i.id,
        "fullDatabaseId": lambda i, info: str(i.id),
        "milestone": lambda i, info: i.milestone,
        "parent": lambda i, info: i.parent,
        "state": lambda i, info: i.state.upper(),
        "stateReason": _issue_state_reason,
        "subIssues": lambda i, info, **a: _connection(
            [c for c in i.children if not c.deleted], a, "subIssues"
        ),
        "subIssuesSummary": _sub_issues_summary,
        "timelineItems": _timeline_items,
    },
    "PullRequest": {
        **_shared_item_fields(),
        "baseRefName": lambda i, info: i.pull.base,
        "baseRefOid": lambda i, info: i.pull.base_sha,
        "closingIssuesReferences": lambda i, info, userLinkedOnly=False, **a: _connection(
            [] if userLinkedOnly else [c for c in i.pull.closes if not c.deleted],
            a,
            "closingIssuesReferences",
        ),
        "databaseId": lambda i, info: i.pull.id,
        "fullDatabaseId": lambda i, info: str(i.pull.id),
        "headRefName": lambda i, info: i.pull.head,
        "headRefOid": lambda i, info: i.pull.head_sha,
        "isDraft": lambda i, info: False,
        "mergeCommit": lambda i, info: i.pull.merge_commit,
        "merged": lambda i, info: i.pull.merged_at is not None,
        "mergedAt": lambda i, info: _iso(i.pull.merged_at),
        "mergedBy": lambda i, info: i.pull.merged_by,
        "permalink": _issue_url,
        "state": lambda i, info: _pull_state(i),
    },
    "Commit": {
        "abbreviatedOid": lambda c, info: c.sha[:7],
        "associatedPullRequests": lambda c, info, **a: _connection(
            [c.pull] if c.pull is not None else [], a, "associatedPullRequests"
        ),
        "authoredDate": lambda c, info: _iso(c.created_at),
        "committedDate": lambda c, info: _iso(c.created_at),
        "id": lambda c, info: c.node_id,
        "message": lambda c, info: c.message,
        "messageBody": lambda c, info: c.message.partition("\n")[2].strip(),
        "messageHeadline": lambda c, info: c.message.partition("\n")[0],
        "oid": lambda c, info: c.sha,
        "repository": lambda c, info: c.repo,
        "resourcePath": lambda c, info: f"/{c.repo.full_name}/commit/{c.sha}",
        "url": lambda c, info: f"https://github.com/{c.repo.full_name}/commit/{c.sha}",
    },
    "Milestone": {
        "closed": lambda m, info: m.state == "closed",
        "closedAt": lambda m, info: _iso(m.closed_at),
        "createdAt": lambda m, info: _iso(m.created_at),
        "description": lambda m, info: m.description,
        "dueOn": lambda m, info: _iso(m.due_on),
        "id": lambda m, info: m.node_id,
        "number": lambda m, info: m.number,
        "resourcePath": lambda m, info: f"/{m.repo.full_name}/milestone/{m.number}",
        "state": lambda m, info: m.state.upper(),
        "title": lambda m, info: m.title,
        "updatedAt": lambda m, info: _iso(m.updated_at),
        "url": lambda m, info: f"https://github.com/{m.repo.full_name}/milestone/{m.number}",
        "viewerCanClose": lambda m, info: m.state == "open",
        "viewerCanReopen": lambda m, info: m.state == "closed",
    },
    "Label": {
        "color": lambda lb, info: lb.color,
        "createdAt": lambda lb, info: _iso(lb.created_at),
        "description": lambda lb, info: lb.description,
        "id": lambda lb, info: lb.node_id,
        "isDefault": lambda lb, info: lb.default,
        "name": lambda lb, info: lb.name,
        "repository": lambda lb, info: lb.repo,
        "resourcePath": lambda lb, info: f"/{lb.repo.full_name}/labels/{lb.name}",
        "updatedAt": lambda lb, info: _iso(lb.created_at),
        "url": lambda lb, info: f"https://github.com/{lb.repo.full_name}/labels/{lb.name}",
    },
    "ClosedEvent": {
        "actor": lambda e, info: e.actor,
        "closable": lambda e, info: e.issue,
        "closer": lambda e, info: e.closer,
        "createdAt": lambda e, info: _iso(e.created_at),
        "duplicateOf": lambda e, info: None,
        "id": lambda e, info: e.node_id,
        "resourcePath": lambda e, info: _html(f"{_issue_url(e.issue, info)}#event-{e.id}"),
        "stateReason": lambda e, info: _state_reason(e.state_reason),
        "url": lambda e, info: f"{_issue_url(e.issue, info)}#event-{e.id}",
    },
    "ReopenedEvent": {
        "actor": lambda e, info: e.actor,
        "closable": lambda e, info: e.issue,
        "createdAt": lambda e, info: _iso(e.created_at),
        "id": lambda e, info: e.node_id,
        "stateReason": lambda e, info: _state_reason(e.state_reason),
    },
    "CrossReferencedEvent": {
        "actor": lambda e, info: e.actor,
        "createdAt": lambda e, info: _iso(e.created_at),
        "id": lambda e, info: e.node_id,
        "isCrossRepository": lambda e, info: e.source.repo is not e.issue.repo,
        "referencedAt": lambda e, info: _iso(e.created_at),
        "resourcePath": lambda e, info: _html(f"{_issue_url(e.issue, info)}#ref-{e.id}"),
        "source": lambda e, info: e.source,
        "target": lambda e, info: e.issue,
        "url": lambda e, info: f"{_issue_url(e.issue, info)}#ref-{e.id}",
        "willCloseTarget": lambda e, info: e.will_close,
    },
    "LabeledEvent": {
        "actor": lambda e, info: e.actor,
        "createdAt": lambda e, info: _iso(e.created_at),
        "id": lambda e, info: e.node_id,
        "label": lambda e, info: e.label,
        "labelable": lambda e, info: e.issue,
    },
    "ReferencedEvent": {
        "actor": lambda e, info: e.actor,
        "commit": lambda e, info: e.commit,
        "commitRepository": lambda e, info: e.commit.repo if e.commit else e.issue.repo,
        "createdAt": lambda e, info: _iso(e.created_at),
        "id": lambda e, info: e.node_id,
        "isCrossRepository": lambda e, info: False,
        "isDirectReference": lambda e, info: True,
        "subject": lambda e, info: e.issue,
    },
    "IssueComment": {
        "author": lambda c, info: c.user,
        "authorAssociation": lambda c, info: info.context.fake._association(c.user, c.issue.repo),
        "body": lambda c, info: c.body,
        "bodyText": lambda c, info: c.body,
        "createdAt": lambda c, info: _iso(c.created_at),
        "databaseId": lambda c, info: c.id,
        "fullDatabaseId": lambda c, info: str(c.id),
        "id": lambda c, info: c.node_id,
        "issue": lambda c, info: c.issue,
        "repository": lambda c, info: c.issue.repo,
        "resourcePath": lambda c, info: _html(f"{_issue_url(c.issue, info)}#issuecomment-{c.id}"),
        "updatedAt": lambda c, info: _iso(c.updated_at),
        "url": lambda c, info: f"{_issue_url(c.issue, info)}#issuecomment-{c.id}",
        "viewerDidAuthor": lambda c, info: c.user is info.context.viewer,
    },
}


def _resolve_field(source: Any, info: Any, **args: Any) -> Any:
    resolvers = _RESOLVERS.get(info.parent_type.name)
    if resolvers is not None and info.field_name in resolvers:
        return resolvers[info.field_name](source, info, **args)
    if isinstance(source, dict):
        return source.get(info.field_name)
    return getattr(source, info.field_name, None)


def _resolve_type(value: Any, info: Any, abstract_type: Any) -> str:
    return value.gql_typename


def _format_error(error: GraphQLError) -> dict[str, Any]:
    original = error.original_error
    formatted: dict[str, Any] = {}
    if isinstance(original, GitHubGraphQLError):
        formatted["type"] = original.kind
    if error.path is not None:
        formatted["path"] = list(error.path)
    if error.locations:
        formatted["locations"] = [
            {"line": loc.line, "column": loc.column} for loc in error.locations
        ]
    if original is not None and not isinstance(original, GitHubGraphQLError):
        # A bug in the fake, not a GitHub answer: say so instead of hiding it.
        formatted["message"] = f"{_INTERNAL_ERROR} (fake server: {original!r})"
    else:
        formatted["message"] = error.message
    return formatted


def execute_graphql(
    fake: Any,
    viewer: Any,
    query: str,
    variables: dict[str, Any] | None = None,
    operation_name: str | None = None,
) -> dict[str, Any]:
    """Run one GraphQL request against the fake's state and answer as GitHub does (always 200)."""
    try:
        document = parse(query)
    except GraphQLError as error:
        return {"errors": [_format_error(error)]}
    schema = (
        SCHEMA if getattr(fake, "duplicate_argument", True) else SCHEMA_WITHOUT_ENABLE_DUPLICATE
    )
    problems = validate(schema, document)
    if problems:
        return {"errors": [_format_error(problem) for problem in problems]}
    result = execute(
        schema,
        document,
        context_value=_Context(fake, viewer),
        variable_values=variables,
        operation_name=operation_name,
        field_resolver=_resolve_field,
        type_resolver=_resolve_type,
    )
    answer: dict[str, Any] = {}
    if result.data is not None:
        answer["data"] = result.data
    if result.errors:
        answer["errors"] = [_format_error(error) for error in result.errors]
    return answer
