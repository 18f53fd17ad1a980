"""Tests of the fake GitHub server itself, driven through real PyGithub and raw HTTP.

They pin what the CLI tests rely on: JSON shapes, pagination, faults, redirects and request counts.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import json
import re
import sys
import time
import types
from typing import Any

import pytest
import requests
from github import (
    BadCredentialsException,
    GithubException,
    GithubRetry,
    RateLimitExceededException,
    UnknownObjectException,
)
from pydantic import BaseModel

from tests.conftest import pygithub_client
from tests.fake_github import FakeGitHub

REPO = "octo/plan"
SHA = "0123456789abcdef0123456789abcdef01234567"


def call(fake: FakeGitHub, method: str, path: str, *, token: Any = None, **kwargs: Any):
    """One raw request, authenticated with the fake's token unless `token` says otherwise."""
    headers = kwargs.pop("headers", {})
    if token is not False:
        headers.setdefault("Authorization", f"token {token or fake.token}")
    url = path if path.startswith("http") else fake.url + path
    return requests.request(method, url, headers=headers, timeout=10, **kwargs)


def links(response: requests.Response) -> dict[str, str]:
    return {
        link["rel"]: link["url"]
        for link in requests.utils.parse_header_links(response.headers["Link"])
    }


def graphql(
    fake: FakeGitHub, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    response = call(fake, "POST", "/graphql", json={"query": query, "variables": variables or {}})
    assert response.status_code == 200, response.text
    return response.json()


# --------------------------------------------------------------------------- lifecycle


def test_starts_fast_and_exports_the_environment_a_cli_needs():
    started = time.perf_counter()
    with FakeGitHub() as fake:
        fake.add_repo(REPO)
        elapsed = time.perf_counter() - started
        assert fake.url.startswith("http://127.0.0.1:")
        assert fake.env() == {
            "GITHUB_TOKEN": fake.token,
            "GITHUB_API_URL": fake.url,
            "GITHUB_REPOSITORY": REPO,
        }
        assert re.fullmatch(r"ghp_[A-Za-z0-9]{36}", fake.token)
        assert call(fake, "GET", "/user").json()["login"] == "octocat"
    assert elapsed < 0.5
    with pytest.raises(requests.ConnectionError):
        requests.get(fake.url + "/user", timeout=2)


def test_keeps_connections_alive_with_exact_content_length(fake_github):
    with requests.Session() as session:
        session.headers["Authorization"] = f"token {fake_github.token}"
        first = session.get(fake_github.url + "/repos/octo/plan")
        second = session.get(fake_github.url + "/repos/octo/plan/issues")
        assert int(first.headers["Content-Length"]) == len(first.content)
        assert second.json() == []
        assert len(fake_github._connections) == 1


# the command line (`python -m tests.fake_github`): tests/test_fake_cli.py


# --------------------------------------------------------------------------- listing


def test_pagination_follows_link_headers_over_250_issues_and_pulls(fake_github, github_client):
    for index in range(248):
        fake_github.create_issue(REPO, f"Item {index}")
    fake_github.create_pull(REPO, "First change")
    fake_github.create_pull(REPO, "Second change")
    repo_id = call(fake_github, "GET", "/repos/octo/plan").json()["id"]
    fake_github.reset_log()

    listed = list(pygithub_client(fake_github, lazy=True).get_repo(REPO).get_issues(state="all"))

    assert sorted(issue.number for issue in listed) == list(range(1, 251))
    assert [r.status for r in fake_github.requests] == [200, 200, 200]
    assert [r.path for r in fake_github.requests] == [
        "/repos/octo/plan/issues",
        f"/repositories/{repo_id}/issues",
        f"/repositories/{repo_id}/issues",
    ]
    pulls = [issue for issue in listed if issue.number > 248]
    assert {issue.pull_request.html_url for issue in pulls} == {
        "https://github.com/octo/plan/pull/249",
        "https://github.com/octo/plan/pull/250",
    }
    assert len(fake_github.requests) == 3  # PR items carry pull_request: reading it costs nothing


def test_link_header_has_next_last_prev_first_like_github(fake_github):
    for index in range(250):
        fake_github.create_issue(REPO, f"Item {index}")
    first = call(
        fake_github, "GET", "/repos/octo/plan/issues", params={"state": "all", "per_page": 100}
    )
    assert len(first.json()) == 100
    assert set(links(first)) == {"next", "last"}
    assert "page=2" in links(first)["next"] and "page=3" in links(first)["last"]
    assert "per_page=100" in links(first)["next"] and "state=all" in links(first)["next"]
    second = call(fake_github, "GET", links(first)["next"])
    assert set(links(second)) == {"prev", "next", "last", "first"}
    third = call(fake_github, "GET", links(second)["next"])
    assert set(links(third)) == {"prev", "first"}
    assert len(third.json()) == 50
    default = call(fake_github, "GET", "/repos/octo/plan/issues")
    assert len(default.json()) == 30 and "page=9" in links(default)["last"]
    capped = call(fake_github, "GET", "/repos/octo/plan/issues", params={"per_page": 500})
    assert len(capped.json()) == 100
    assert "Link" not in call(fake_github, "GET", "/repos/octo/plan/labels").headers


def test_listed_plain_issue_has_no_pull_request_key_and_reading_it_refetches(
    fake_github, github_client
):
    fake_github.create_issue(REPO, "Plain")
    fake_github.create_pull(REPO, "Change")
    raw = {
        item["number"]: item for item in call(fake_github, "GET", "/repos/octo/plan/issues").json()
    }
    assert "pull_request" not in raw[1] and "draft" not in raw[1]
    assert set(raw[2]["pull_request"]) == {"url", "html_url", "diff_url", "patch_url", "merged_at"}
    assert raw[2]["html_url"] == "https://github.com/octo/plan/pull/2"

    fake_github.reset_log()
    plain = next(
        i
        for i in pygithub_client(fake_github, lazy=True).get_repo(REPO).get_issues()
        if i.number == 1
    )
    assert plain.pull_request is None
    # GitHub omits the key, so PyGithub completes the object with one more GET: the fake must too.
    assert [r.path for r in fake_github.requests] == [
        "/repos/octo/plan/issues",
        "/repos/octo/plan/issues/1",
    ]


ISSUE_FIELDS = (
    "id",
    "node_id",
    "number",
    "title",
    "body",
    "state",
    "state_reason",
    "html_url",
    "url",
    "repository_url",
    "comments_url",
    "labels_url",
    "events_url",
    "timeline_url",
    "comments",
    "created_at",
    "updated_at",
    "closed_at",
    "locked",
    "active_lock_reason",
    "author_association",
    "milestone",
    "assignees",
    "labels",
    "user",
    "reactions",
    "sub_issues_summary",
    "issue_dependencies_summary",
    "performed_via_github_app",
    "type",
)


def test_reading_common_fields_of_listed_and_created_objects_costs_no_request(
    fake_github, github_client
):
    milestone = fake_github.add_milestone(REPO, "v1")
    fake_github.add_user("hubot")
    repo = github_client.get_repo(REPO)
    created = repo.create_issue(
        "Created",
        body="Body",
        labels=["test"],
        assignees=["hubot"],
        milestone=repo.get_milestone(milestone),
    )
    fake_github.create_issue(REPO, "Closed one", state="closed")
    fake_github.create_pull(REPO, "A change", "Closes #1")
    created.create_comment("A comment")
    fake_github.reset_log()

    listed = list(repo.get_issues(state="all"))
    pulls = list(repo.get_pulls(state="all"))
    comments = list(repo.get_issue(1).get_comments())
    before = len(fake_github.requests)
    for issue in [*listed, created]:
        for name in ISSUE_FIELDS:
            getattr(issue, name)
        _ = issue.user.login, issue.user.html_url, [label.name for label in issue.labels]
        _ = [user.login for user in issue.assignees], issue.milestone and issue.milestone.title
    for pr in pulls:
        _ = (
            pr.number,
            pr.title,
            pr.state,
            pr.merged_at,
            pr.merge_commit_sha,
            pr.head.ref,
            pr.html_url,
        )
    for comment in comments:
        _ = comment.id, comment.body, comment.user.login, comment.html_url, comment.created_at
    _ = repo.full_name, repo.has_issues, repo.permissions.push, repo.owner.login, repo.html_url
    assert fake_github.requests[before:] == []
    assert [r.path for r in fake_github.requests] == [
        "/repos/octo/plan/issues",
        "/repos/octo/plan/pulls",
        "/repos/octo/plan/issues/1",
        "/repos/octo/plan/issues/1/comments",
    ]


def test_list_filters_follow_github(fake_github):
    fake_github.create_issue(REPO, "Open bug", labels=["bug", "test"], user="alice")
    fake_github.create_issue(REPO, "Closed", labels=["test"], state="closed")
    fake_github.create_issue(REPO, "Open other")

    def numbers(**params: Any) -> list[int]:
        return [
            item["number"]
            for item in call(fake_github, "GET", "/repos/octo/plan/issues", params=params).json()
        ]

    assert numbers() == [3, 1]
    assert numbers(state="closed") == [2]
    assert numbers(state="all", direction="asc") == [1, 2, 3]
    assert numbers(state="all", labels="TEST,bug") == [1]
    assert numbers(creator="alice") == [1]
    assert numbers(since="2000-01-01T00:00:00Z", state="all") == [3, 2, 1]
    assert numbers(since="2999-01-01T00:00:00Z") == []
    assert (
        call(fake_github, "GET", "/repos/octo/plan/issues", params={"state": "x"}).status_code
        == 422
    )


# --------------------------------------------------------------------------- writes


def test_create_edit_close_and_reopen_with_state_reason(fake_github, github_client):
    repo = github_client.get_repo(REPO)
    issue = repo.create_issue("Parse dates", body="Body", labels=["test"])
    post = fake_github.requests[-1]
    assert (post.method, post.path, post.status) == ("POST", "/repos/octo/plan/issues", 201)
    assert post.body == {"title": "Parse dates", "body": "Body", "labels": ["test"]}
    assert (issue.number, issue.state, issue.state_reason) == (1, "open", None)
    assert issue.html_url == "https://github.com/octo/plan/issues/1"
    assert issue.url == f"{fake_github.url}/repos/octo/plan/issues/1"
    assert [label["name"] for label in fake_github.labels(REPO)] == ["test"]

    issue.edit(state="closed", state_reason="not_planned")
    assert (issue.state, issue.state_reason) == ("closed", "not_planned")
    fetched = repo.get_issue(1)
    assert fetched.closed_by.login == "octocat" and fetched.closed_at is not None
    closed = [event for event in fetched.get_events() if event.event == "closed"]
    assert [event.commit_id for event in closed] == [None]

    issue.edit(state="open")
    assert (issue.state, issue.state_reason, issue.closed_at) == ("open", "reopened", None)
    issue.edit(state="closed", state_reason="duplicate")
    assert fake_github.issue(REPO, 1)["state_reason"] == "duplicate"
    issue.edit(title="New title", body="New body")
    assert (fake_github.issue(REPO, 1)["title"], fake_github.issue(REPO, 1)["body"]) == (
        "New title",
        "New body",
    )
    assert [event.event for event in repo.get_issue(1).get_events()] == [
        "labeled",
        "closed",
        "reopened",
        "closed",
    ]


def test_human_edits_and_helpers_are_not_logged_as_requests(fake_github):
    fake_github.create_issue(REPO, "Item", "- [ ] a")
    fake_github.edit_issue_body(REPO, 1, "- [x] a\r\n")
    fake_github.close_issue(REPO, 1)
    fake_github.reopen_issue(REPO, 1)
    assert fake_github.requests == []
    issue = fake_github.issue(REPO, 1)
    assert (issue["body"], issue["state"], issue["state_reason"]) == (
        "- [x] a\r\n",
        "open",
        "reopened",
    )


def test_pull_requests_share_the_issue_number_space(fake_github):
    fake_github.create_issue(REPO, "Issue")
    pull = fake_github.create_pull(REPO, "Change")
    fake_github.create_issue(REPO, "Another issue")
    assert pull["number"] == 2
    assert [issue["number"] for issue in fake_github.issues(REPO)] == [1, 3]


def test_labels_comments_and_milestones(fake_github, github_client):
    repo = github_client.get_repo(REPO)
    label = repo.create_label("test", "0e8a16", "Test items")
    assert (label.name, label.color, label.description) == ("test", "0e8a16", "Test items")
    with pytest.raises(GithubException) as duplicate:
        repo.create_label("TEST", "ffffff")
    assert duplicate.value.status == 422
    assert duplicate.value.data["errors"] == [
        {"resource": "Label", "code": "already_exists", "field": "name"}
    ]
    assert repo.get_label("test").id == label.id
    with pytest.raises(UnknownObjectException):
        repo.get_label("missing")

    issue = repo.create_issue("Item")
    issue.add_to_labels("test", "needs triage")
    assert sorted(lb.name for lb in repo.get_issue(1).labels) == ["needs triage", "test"]
    comment = issue.create_comment("Tracked in the master checklist")
    assert comment.html_url == f"https://github.com/octo/plan/issues/1#issuecomment-{comment.id}"
    assert [c.body for c in repo.get_issue(1).get_comments()] == ["Tracked in the master checklist"]
    assert repo.get_issue(1).comments == 1
    assert [c["body"] for c in fake_github.comments(REPO, 1)] == ["Tracked in the master checklist"]

    number = fake_github.add_milestone(REPO, "v1")
    fake_github.add_milestone(REPO, "v0", state="closed")
    assert [m.title for m in repo.get_milestones()] == ["v1"]
    assert [m.title for m in repo.get_milestones(state="all")] == ["v1", "v0"]
    assert repo.get_milestone(number).title == "v1"


def test_merge_pull_closes_referenced_issues_with_the_merge_commit(fake_github, github_client):
    for title in ("A", "B", "C", "D"):
        fake_github.create_issue(REPO, title)
    fake_github.create_pull(REPO, "Fix", "Closes #1, FIXES octo/plan#2, resolved: #3; see #4")
    sha = fake_github.merge_pull(REPO, 5)
    assert [fake_github.issue(REPO, n)["state_reason"] for n in (1, 2, 3, 4)] == [
        "completed",
        "completed",
        "completed",
        None,
    ]
    repo = github_client.get_repo(REPO)
    issue = repo.get_issue(1)
    closed = [event for event in issue.get_events() if event.event == "closed"]
    assert [(event.commit_id, event.actor.login) for event in closed] == [(sha, "octocat")]
    assert closed[0].commit_url == f"{fake_github.url}/repos/octo/plan/commits/{sha}"
    timeline = list(issue.get_timeline())
    assert [event.event for event in timeline] == ["cross-referenced", "closed"]
    assert timeline[0].source.type == "issue" and timeline[0].source.issue.number == 5
    assert timeline[1].commit_id == sha
    mentioned = list(repo.get_issue(4).get_timeline())
    assert [event.event for event in mentioned] == ["cross-referenced"]

    pull = repo.get_pull(5)
    assert (pull.merged, pull.merge_commit_sha, pull.state) == (True, sha, "closed")
    assert pull.merged_at is not None and pull.merged_by.login == "octocat"
    assert [pr.number for pr in repo.get_commit(sha).get_pulls()] == [5]
    assert [
        pr["number"]
        for pr in call(fake_github, "GET", f"/repos/octo/plan/commits/{sha[:7]}/pulls").json()
    ] == [5]
    listed = list(repo.get_pulls(state="closed"))
    assert [pr.number for pr in listed] == [5]
    assert "merged" not in call(fake_github, "GET", "/repos/octo/plan/pulls?state=all").json()[0]


def test_close_by_commit_by_hand_and_reopen_record_events(fake_github, github_client):
    fake_github.create_issue(REPO, "By commit")
    fake_github.create_issue(REPO, "By hand")
    fake_github.close_issue(REPO, 1, commit=SHA)
    fake_github.close_issue(REPO, 2, "not_planned")
    fake_github.reopen_issue(REPO, 2)
    events = call(fake_github, "GET", "/repos/octo/plan/issues/1/events").json()
    assert [(e["event"], e["commit_id"]) for e in events] == [("referenced", SHA), ("closed", SHA)]
    assert events[1]["state_reason"] == "completed"
    assert list(github_client.get_repo(REPO).get_commit(SHA).get_pulls()) == []
    events = call(fake_github, "GET", "/repos/octo/plan/issues/2/events").json()
    assert [(e["event"], e["commit_id"], e["state_reason"]) for e in events] == [
        ("closed", None, "not_planned"),
        ("reopened", None, "reopened"),
    ]
    with pytest.raises(ValueError):
        fake_github.reopen_issue(REPO, 2)
    with pytest.raises(ValueError):
        fake_github.close_issue(REPO, 1)
    unknown = call(fake_github, "GET", "/repos/octo/plan/commits/ffffffff/pulls")
    assert unknown.status_code == 422 and unknown.json()["message"].startswith("No commit found")


def test_sub_issues_take_the_issue_id_and_keep_one_parent(fake_github, github_client):
    repo = github_client.get_repo(REPO)
    parent = repo.create_issue("Master checklist")
    child = repo.create_issue("Item")
    other = repo.create_issue("Other parent")
    added = parent.add_sub_issue(child.id)
    assert added.number == parent.number
    assert fake_github.requests[-1].body == {"sub_issue_id": child.id}
    with pytest.raises(GithubException) as twice:
        other.add_sub_issue(child.id)
    assert twice.value.status == 422
    by_number = call(
        fake_github, "POST", "/repos/octo/plan/issues/1/sub_issues", json={"sub_issue_id": 2}
    )
    assert by_number.status_code == 404  # a number is not an issue id

    subs = list(repo.get_issue(1).get_sub_issues())
    assert [issue.number for issue in subs] == [2]
    assert subs[0].parent_issue_url == f"{fake_github.url}/repos/octo/plan/issues/1"
    fake_github.close_issue(REPO, 2)
    summary = fake_github.issue(REPO, 1)["sub_issues_summary"]
    assert summary == {"total": 1, "completed": 1, "percent_completed": 100}
    assert repo.get_issue(1).sub_issues_summary.completed == 1


# --------------------------------------------------------------------------- errors


def test_bad_or_missing_token_gets_401(fake_github):
    for token in ("ghp_unknown", False):
        response = call(fake_github, "GET", "/repos/octo/plan", token=token)
        assert response.status_code == 401
        assert response.json() == {
            "message": "Bad credentials",
            "documentation_url": "https://docs.github.com/rest",
            "status": "401",
        }
    with pytest.raises(BadCredentialsException):
        pygithub_client(fake_github, token="ghp_unknown").get_repo(REPO)


def test_read_token_reads_but_gets_403_on_writes(fake_github):
    fake_github.add_token("ghp_readonly", "read")
    fake_github.create_issue(REPO, "Existing")
    repo = pygithub_client(fake_github, token="ghp_readonly").get_repo(REPO)
    assert repo.permissions.push is False and repo.get_issue(1).title == "Existing"
    with pytest.raises(GithubException) as denied:
        repo.create_issue("New")
    assert denied.value.status == 403
    assert denied.value.data["message"] == "Resource not accessible by personal access token"
    assert len(fake_github.issues(REPO)) == 1


def test_author_association_and_token_users(fake_github):
    fake_github.add_token("ghs_app_token", "write", user="checklist-app[bot]")
    fake_github.add_token("ghp_contractor", "write", user="contractor", collaborator=False)
    assert call(fake_github, "GET", "/user").json()["login"] == "octocat"
    assert call(fake_github, "GET", "/user", token="ghp_contractor").json()["login"] == (
        "contractor"
    )
    refused = call(fake_github, "GET", "/user", token="ghs_app_token")
    assert refused.status_code == 403
    assert refused.json()["message"] == "Resource not accessible by integration"
    fake_github.create_issue(REPO, "by an outsider", user="mallory")
    for token in (None, "ghs_app_token", "ghp_contractor"):
        call(fake_github, "POST", f"/repos/{REPO}/issues", token=token, json={"title": "t"})
    listed = call(fake_github, "GET", f"/repos/{REPO}/issues").json()
    assert [(i["user"]["login"], i["user"]["type"], i["author_association"]) for i in listed] == [
        ("contractor", "User", "NONE"),
        ("checklist-app[bot]", "Bot", "NONE"),
        ("octocat", "User", "COLLABORATOR"),
        ("mallory", "User", "NONE"),
    ]


def test_a_locked_issue_takes_comments_from_collaborators_only(fake_github):
    fake_github.add_token("ghs_app_token", "write", user="github-actions[bot]")
    number = fake_github.create_issue(REPO, "Old")["number"]
    fake_github.lock_issue(REPO, number)
    issue = call(fake_github, "GET", f"/repos/{REPO}/issues/{number}").json()
    assert (issue["locked"], issue["active_lock_reason"]) == (True, "resolved")
    path = f"/repos/{REPO}/issues/{number}/comments"
    refused = call(fake_github, "POST", path, token="ghs_app_token", json={"body": "hi"})
    assert refused.status_code == 403
    assert refused.json()["message"] == "Unable to create comment because issue is locked."
    assert call(fake_github, "POST", path, json={"body": "hi"}).status_code == 201
    fake_github.lock_issue(REPO, number, None)
    assert call(fake_github, "POST", path, token="ghs_app_token", json={"body": "hi"}).ok
    assert len(fake_github.comments(REPO, number)) == 2


def test_unknown_repo_issue_and_route_get_github_404(fake_github, github_client):
    with pytest.raises(UnknownObjectException):
        github_client.get_repo("octo/missing")
    body = call(fake_github, "GET", "/repos/octo/missing").json()
    assert body["message"] == "Not Found" and body["status"] == "404"
    assert call(fake_github, "GET", "/repos/octo/plan/issues/7").status_code == 404
    assert call(fake_github, "GET", "/nowhere").json()["message"] == "Not Found"
    repo_id = call(fake_github, "GET", "/repos/OCTO/Plan").json()["id"]  # names ignore case
    assert call(fake_github, "GET", f"/repositories/{repo_id}").json()["full_name"] == REPO
    assert call(fake_github, "GET", "/repositories/1").status_code == 404
    assert call(fake_github, "PUT", "/repos/octo/plan/issues").status_code == 404
    assert call(fake_github, "BREW", "/repos/octo/plan").status_code == 404
    assert call(fake_github, "OPTIONS", "/repos/octo/plan", token=False).status_code == 204
    head = call(fake_github, "HEAD", "/repos/octo/plan")
    assert (
        head.status_code == 200 and head.content == b"" and int(head.headers["Content-Length"]) > 0
    )
    assert call(fake_github, "POST", "/repos/octo/plan/issues", data="{nope").status_code == 400


def test_repo_with_issues_disabled_answers_410(fake_github, github_client):
    fake_github.add_repo("octo/no-issues", has_issues=False)
    repo = github_client.get_repo("octo/no-issues")
    assert repo.has_issues is False
    response = call(fake_github, "GET", "/repos/octo/no-issues/issues")
    assert response.status_code == 410
    assert response.json()["message"] == "Issues are disabled for this repo"
    with pytest.raises(GithubException) as gone:
        repo.create_issue("Nope")
    assert gone.value.status == 410


def test_validation_errors_have_githubs_422_shape(fake_github, github_client):
    repo = github_client.get_repo(REPO)
    with pytest.raises(GithubException) as too_long:
        repo.create_issue("x" * 257)
    assert too_long.value.status == 422
    assert too_long.value.data["message"] == "Validation Failed"
    assert too_long.value.data["errors"] == [
        {
            "resource": "Issue",
            "code": "custom",
            "field": "title",
            "message": "title is too long (maximum is 256 characters)",
        }
    ]
    assert repo.create_issue("x" * 256).number == 1
    missing = call(fake_github, "POST", "/repos/octo/plan/issues", json={"body": "no title"})
    assert missing.status_code == 422
    assert missing.json()["message"] == 'Invalid request.\n\n"title" wasn\'t supplied.'
    milestone = call(
        fake_github, "POST", "/repos/octo/plan/issues", json={"title": "t", "milestone": 9}
    )
    assert milestone.status_code == 422
    assert milestone.json()["errors"][0]["field"] == "milestone"
    assignee = call(
        fake_github, "POST", "/repos/octo/plan/issues", json={"title": "t", "assignees": ["ghost"]}
    )
    assert assignee.status_code == 422
    assert assignee.json()["errors"][0] == {
        "value": "ghost",
        "resource": "Issue",
        "field": "assignees",
        "code": "invalid",
    }
    assert len(fake_github.issues(REPO)) == 1


def test_transferred_issue_redirects_with_301_and_pygithub_follows(fake_github, github_client):
    target = fake_github.add_repo("octo/elsewhere")
    fake_github.create_issue(REPO, "Moving")
    assert fake_github.transfer_issue(REPO, 1, "octo/elsewhere") == 1
    raw = call(fake_github, "GET", "/repos/octo/plan/issues/1", allow_redirects=False)
    location = f"{fake_github.url}/repositories/{target['id']}/issues/1"
    assert raw.status_code == 301 and raw.headers["Location"] == location
    assert raw.json()["message"] == "Moved Permanently"
    fake_github.reset_log()
    issue = pygithub_client(fake_github, lazy=True).get_repo(REPO).get_issue(1)
    assert issue.repository_url == f"{fake_github.url}/repos/octo/elsewhere"
    assert issue.html_url == "https://github.com/octo/elsewhere/issues/1"
    assert [(r.path, r.status) for r in fake_github.requests] == [
        ("/repos/octo/plan/issues/1", 301),
        (f"/repositories/{target['id']}/issues/1", 200),
    ]
    assert fake_github.issues(REPO) == []
    assert [i["title"] for i in fake_github.issues("octo/elsewhere")] == ["Moving"]


def test_deleted_issue_answers_410_and_disappears_from_listings(fake_github, github_client):
    fake_github.create_issue(REPO, "Doomed")
    fake_github.create_issue(REPO, "Kept")
    fake_github.delete_issue(REPO, 1)
    response = call(fake_github, "GET", "/repos/octo/plan/issues/1")
    assert response.status_code == 410
    assert response.json()["message"] == "This issue was deleted"
    with pytest.raises(GithubException) as gone:
        github_client.get_repo(REPO).get_issue(1)
    assert gone.value.status == 410
    assert [i.number for i in github_client.get_repo(REPO).get_issues(state="all")] == [2]
    assert [i["number"] for i in fake_github.issues(REPO)] == [2]
    with pytest.raises(KeyError):
        fake_github.issue(REPO, 1)


# --------------------------------------------------------------------------- faults


def test_secondary_rate_limit_sends_retry_after_and_pygithub_recognises_it(fake_github):
    fake_github.inject(
        "secondary_rate_limit", method="GET", path=r"^/repos/octo/plan$", retry_after=7
    )
    response = call(fake_github, "GET", "/repos/octo/plan")
    assert response.status_code == 403 and response.headers["Retry-After"] == "7"
    assert response.json()["message"].startswith(
        "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
    )
    assert call(fake_github, "GET", "/repos/octo/plan").status_code == 200
    assert [(f.kind, f.status) for f in fake_github.faults_fired] == [("secondary_rate_limit", 403)]

    fake_github.inject("secondary_rate_limit", path=r"^/repos/octo/plan$")
    with pytest.raises(RateLimitExceededException):
        pygithub_client(fake_github).get_repo(REPO)
    fake_github.inject("secondary_rate_limit", path=r"^/repos/octo/plan$", retry_after=0)
    fake_github.reset_log()
    retrying = pygithub_client(fake_github, retry=GithubRetry())
    assert retrying.get_repo(REPO).full_name == REPO
    assert [r.status for r in fake_github.requests] == [403, 200]


def test_primary_rate_limit_zeroes_remaining_and_sets_a_near_reset(fake_github):
    fake_github.inject("primary_rate_limit", path="/issues", times=2)
    response = call(fake_github, "GET", "/repos/octo/plan/issues")
    assert response.status_code == 403
    assert response.json()["message"] == "API rate limit exceeded for user ID 1."
    assert response.headers["x-ratelimit-remaining"] == "0"
    assert 0 < int(response.headers["x-ratelimit-reset"]) - time.time() <= 3
    with pytest.raises(RateLimitExceededException):
        list(pygithub_client(fake_github, lazy=True).get_repo(REPO).get_issues())


def test_real_exhaustion_of_the_rate_limit_answers_403(fake_github):
    fake_github.set_rate_limit(1)
    assert call(fake_github, "GET", "/repos/octo/plan").headers["x-ratelimit-remaining"] == "0"
    exhausted = call(fake_github, "GET", "/repos/octo/plan")
    assert exhausted.status_code == 403 and exhausted.json()["message"].startswith("API rate limit")


def test_status_fault_changes_nothing(fake_github):
    fake_github.inject("status", method="POST", path=r"/issues$", status=500)
    client = pygithub_client(fake_github)
    with pytest.raises(GithubException) as failed:
        client.get_repo(REPO).create_issue("Not created")
    assert failed.value.status == 500
    assert fake_github.issues(REPO) == []
    assert fake_github.requests[-1].status == 500
    assert fake_github.faults_fired[-1].when == fake_github.requests[-1].when


def test_apply_then_status_creates_the_issue_and_answers_502(fake_github):
    fake_github.inject("apply_then_status", method="POST", path=r"/issues$")
    with pytest.raises(GithubException) as failed:
        pygithub_client(fake_github).get_repo(REPO).create_issue("Created anyway")
    assert failed.value.status == 502
    assert [issue["title"] for issue in fake_github.issues(REPO)] == ["Created anyway"]
    assert fake_github.faults_fired[0].kind == "apply_then_status"


def test_answers_that_are_not_githubs_api(fake_github):
    fake_github.inject("html", method="POST", path=r"/issues$")
    page = call(fake_github, "POST", "/repos/octo/plan/issues", json={"title": "Not created"})
    assert page.status_code == 200 and page.headers["Content-Type"] == "text/html"
    assert page.text.startswith("<!DOCTYPE html>")
    assert fake_github.issues(REPO) == []  # a proxy's page: the request never reached GitHub
    fake_github.inject("truncated", method="GET", path=r"/repos/octo/plan$")
    cut = call(fake_github, "GET", "/repos/octo/plan")
    assert cut.status_code == 200 and cut.text.startswith('{"id": ')
    with pytest.raises(ValueError):
        cut.json()
    fake_github.inject("wrong_shape", method="GET", path=r"/repos/octo/plan$")
    fake_github.inject("wrong_shape", method="GET", path=r"/issues$")
    assert call(fake_github, "GET", "/repos/octo/plan").json()[0]["full_name"] == REPO
    assert call(fake_github, "GET", "/repos/octo/plan/issues").json() == {"items": []}
    assert [f.kind for f in fake_github.faults_fired] == ["html", "truncated", *["wrong_shape"] * 2]


def test_the_fake_can_echo_the_token_into_html_urls(fake_github):
    number = fake_github.create_issue(REPO, "t")["number"]
    fake_github.echo_token = True
    url = call(fake_github, "GET", f"/repos/octo/plan/issues/{number}").json()["html_url"]
    assert url == f"https://github.com/octo/plan/issues/{number}?access_token={fake_github.token}"


def test_pygithub_default_retry_resends_a_create_after_a_502(fake_github):
    # The trap the spec warns about: GitHub may have created the issue before answering 502.
    fake_github.inject("apply_then_status", method="POST", path=r"/issues$")
    client = pygithub_client(fake_github, retry=GithubRetry(), lazy=True)
    client.get_repo(REPO).create_issue("Twice")
    assert [issue["title"] for issue in fake_github.issues(REPO)] == ["Twice", "Twice"]
    assert [r.status for r in fake_github.requests if r.method == "POST"] == [502, 201]


def test_latency_fault_and_global_latency_slow_responses(fake_github):
    fake_github.inject("latency", method="GET", path=r"/issues$", delay=0.3)
    started = time.perf_counter()
    assert call(fake_github, "GET", "/repos/octo/plan/issues").status_code == 200
    assert time.perf_counter() - started >= 0.3
    started = time.perf_counter()
    call(fake_github, "GET", "/repos/octo/plan/issues")
    assert time.perf_counter() - started < 0.3
    fake_github.latency = 0.1
    started = time.perf_counter()
    call(fake_github, "GET", "/repos/octo/plan")
    assert time.perf_counter() - started >= 0.1


def test_drop_closes_the_socket_without_answer_or_change(fake_github):
    fake_github.inject("drop", method="POST")
    with pytest.raises(requests.ConnectionError):
        pygithub_client(fake_github, lazy=True).get_repo(REPO).create_issue("Lost")
    assert fake_github.issues(REPO) == []
    assert fake_github.requests[-1].status is None
    assert [(f.kind, f.status) for f in fake_github.faults_fired] == [("drop", None)]
    fake_github.inject("drop", path="/user")
    with pytest.raises(requests.ConnectionError):
        call(fake_github, "GET", "/user")
    assert call(fake_github, "GET", "/user").status_code == 200


def test_apply_then_drop_creates_but_never_answers(fake_github):
    fake_github.inject("apply_then_drop", method="POST", path=r"/issues$")
    with pytest.raises(requests.ConnectionError):
        pygithub_client(fake_github, lazy=True).get_repo(REPO).create_issue("Unanswered")
    assert [issue["title"] for issue in fake_github.issues(REPO)] == ["Unanswered"]
    assert [(f.kind, f.status) for f in fake_github.faults_fired] == [("apply_then_drop", None)]


def test_fault_fires_on_the_nth_match_for_times_consecutive_matches(fake_github):
    fake_github.create_issue(REPO, "Target")
    fake_github.inject("status", method="GET", path=r"/issues/1$", nth=2, times=2, status=503)
    statuses = [call(fake_github, "GET", "/repos/octo/plan/issues/1").status_code for _ in range(4)]
    assert statuses == [200, 503, 503, 200]
    assert call(fake_github, "GET", "/repos/octo/plan").status_code == 200
    with pytest.raises(ValueError):
        fake_github.inject("meteor")


# --------------------------------------------------------------------------- headers


def test_rate_limit_headers_count_down_per_request_and_resource(fake_github, github_client):
    first = call(fake_github, "GET", "/repos/octo/plan")
    second = call(fake_github, "GET", "/repos/octo/plan/issues")
    assert first.headers["x-ratelimit-limit"] == "5000"
    assert int(first.headers["x-ratelimit-remaining"]) - 1 == int(
        second.headers["x-ratelimit-remaining"]
    )
    assert int(second.headers["x-ratelimit-used"]) == 2
    assert second.headers["x-ratelimit-resource"] == "core"
    assert int(second.headers["x-ratelimit-reset"]) > time.time()
    assert re.fullmatch(
        r"[0-9A-F]{4}:[0-9A-F]{4}:[0-9A-F]{6}:[0-9A-F]{6}:[0-9A-F]{8}",
        second.headers["x-github-request-id"],
    )
    overview = call(fake_github, "GET", "/rate_limit").json()
    assert overview["resources"]["core"]["remaining"] == 4998  # /rate_limit itself is free
    query = call(
        fake_github, "POST", "/graphql", json={"query": "{ rateLimit { remaining cost } }"}
    )
    assert query.headers["x-ratelimit-resource"] == "graphql"
    assert query.json()["data"]["rateLimit"] == {"remaining": 4999, "cost": 1}
    assert fake_github.rate_limit_remaining == 4998
    github_client.get_repo(REPO)
    assert github_client.rate_limiting == (4997, 5000)


def test_conditional_request_gets_304_without_spending_the_rate_limit(fake_github):
    first = call(fake_github, "GET", "/repos/octo/plan")
    again = call(
        fake_github, "GET", "/repos/octo/plan", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304 and again.content == b""
    assert again.headers["x-ratelimit-remaining"] == first.headers["x-ratelimit-remaining"]


# --------------------------------------------------------------------------- GraphQL

STATE_QUERY = """
query($n: Int!) {
  plan: repository(owner: "octo", name: "plan") {
    byPull: issue(number: 1) { ...State }
    byCommit: issue(number: 2) { ...State }
    byHand: issue(number: 3) { ...State }
    stillOpen: issue(number: 4) { ...State }
    gone: issue(number: 99) { ...State }
  }
  other: repository(owner: "octo", name: "other") { dup: issue(number: $n) { ...State } }
  rateLimit { cost remaining }
}
fragment State on Issue {
  number state stateReason(enableDuplicate: true) closed url
  repository { nameWithOwner }
  closedByPullRequestsReferences(first: 5, includeClosedPrs: true) {
    totalCount nodes { number merged state }
  }
  timelineItems(last: 1, itemTypes: [CLOSED_EVENT]) {
    totalCount
    nodes {
      __typename
      ... on ClosedEvent {
        createdAt
        stateReason
        closer {
          __typename
          ... on PullRequest { number merged url }
          ... on Commit { oid }
        }
      }
    }
  }
}
"""


def test_graphql_batches_aliases_with_partial_not_found_and_closer_union(fake_github):
    fake_github.add_repo("octo/other")
    for title in ("By pull", "By commit", "By hand", "Open"):
        fake_github.create_issue(REPO, title)
    fake_github.create_pull(REPO, "Fix", "Closes #1")
    fake_github.merge_pull(REPO, 5)
    fake_github.close_issue(REPO, 2, commit=SHA)
    fake_github.close_issue(REPO, 3, "not_planned")
    fake_github.create_issue("octo/other", "Duplicate")
    fake_github.close_issue("octo/other", 1, "duplicate")
    fake_github.reset_log()

    answer = graphql(fake_github, STATE_QUERY, {"n": 1})

    assert [(r.method, r.path) for r in fake_github.requests] == [("POST", "/graphql")]
    line = next(i for i, text in enumerate(STATE_QUERY.split("\n"), 1) if "gone:" in text)
    assert answer["errors"] == [
        {
            "type": "NOT_FOUND",
            "path": ["plan", "gone"],
            "locations": [{"line": line, "column": 5}],
            "message": "Could not resolve to an Issue with the number of 99.",
        }
    ]
    plan = answer["data"]["plan"]
    assert plan["gone"] is None
    closers = {key: value["timelineItems"]["nodes"] for key, value in plan.items() if value}
    assert closers["byPull"][0]["closer"] == {
        "__typename": "PullRequest",
        "number": 5,
        "merged": True,
        "url": "https://github.com/octo/plan/pull/5",
    }
    assert closers["byCommit"][0]["closer"] == {"__typename": "Commit", "oid": SHA}
    assert closers["byHand"][0]["closer"] is None
    assert closers["byHand"][0]["stateReason"] == "NOT_PLANNED"
    assert closers["stillOpen"] == []
    assert plan["byPull"]["closedByPullRequestsReferences"]["nodes"] == [
        {"number": 5, "merged": True, "state": "MERGED"}
    ]
    assert plan["stillOpen"]["state"] == "OPEN" and plan["stillOpen"]["stateReason"] is None
    assert answer["data"]["other"]["dup"]["stateReason"] == "DUPLICATE"
    assert answer["data"]["rateLimit"] == {"cost": 1, "remaining": 4999}


def test_graphql_answers_a_batch_of_100_aliases_in_one_request(fake_github):
    for index in range(100):
        fake_github.create_issue(REPO, f"Item {index}")
        if index % 3 == 0:
            fake_github.close_issue(REPO, index + 1)
    aliases = " ".join(
        f"i{n}: issue(number: {n}) {{ number state stateReason "
        "timelineItems(last: 1, itemTypes: [CLOSED_EVENT]) "
        "{ nodes { ... on ClosedEvent { closer { __typename } } } } }"
        for n in range(1, 101)
    )
    fake_github.reset_log()
    answer = graphql(fake_github, f'{{ repository(owner: "octo", name: "plan") {{ {aliases} }} }}')
    issues = answer["data"]["repository"]
    assert "errors" not in answer and len(issues) == 100
    assert sum(issue["state"] == "CLOSED" for issue in issues.values()) == 34
    assert len(fake_github.requests) == 1


def test_graphql_partial_errors_through_pygithub(fake_github, github_client):
    fake_github.create_issue(REPO, "Exists")
    query = """{ repository(owner: "octo", name: "plan") {
      a: issue(number: 1) { title } b: issue(number: 2) { title } } }"""
    requester = github_client.requester
    # PyGithub's graphql_query turns any error into an exception and drops the partial data...
    with pytest.raises(UnknownObjectException):
        requester.graphql_query(query, {})
    # ...so a batch must post to the GraphQL URL itself to keep the issues that did resolve.
    _, data = requester.requestJsonAndCheck("POST", requester.graphql_url, input={"query": query})
    assert data["data"]["repository"] == {"a": {"title": "Exists"}, "b": None}
    assert data["errors"][0]["type"] == "NOT_FOUND"


def test_graphql_linked_pull_requests_need_include_closed_prs_once_merged(fake_github):
    fake_github.create_issue(REPO, "Item")
    fake_github.create_pull(REPO, "Fix", "fixes #1")
    query = """query($closed: Boolean!) {
      repository(owner: "octo", name: "plan") { issue(number: 1) {
        closedByPullRequestsReferences(first: 10, includeClosedPrs: $closed) {
          totalCount nodes { number state } } } } }"""

    def linked(closed: bool) -> list[dict[str, Any]]:
        result = graphql(fake_github, query, {"closed": closed})["data"]
        return result["repository"]["issue"]["closedByPullRequestsReferences"]["nodes"]

    assert linked(False) == [{"number": 2, "state": "OPEN"}]
    fake_github.merge_pull(REPO, 2)
    assert linked(False) == []
    assert linked(True) == [{"number": 2, "state": "MERGED"}]


def test_graphql_transferred_deleted_and_pull_request_numbers(fake_github):
    fake_github.add_repo("octo/elsewhere")
    fake_github.create_issue(REPO, "Moves")
    fake_github.create_issue(REPO, "Deleted")
    fake_github.create_pull(REPO, "A pull")
    fake_github.transfer_issue(REPO, 1, "octo/elsewhere")
    fake_github.delete_issue(REPO, 2)
    answer = graphql(
        fake_github,
        """{ repository(owner: "octo", name: "plan") {
             moved: issue(number: 1) { number repository { nameWithOwner } }
             deleted: issue(number: 2) { number }
             pull: issue(number: 3) { number }
             either: issueOrPullRequest(number: 3) { __typename ... on PullRequest { number } }
           }
           missing: repository(owner: "octo", name: "nope") { id } }""",
    )
    data = answer["data"]
    assert data["repository"]["moved"] == {
        "number": 1,
        "repository": {"nameWithOwner": "octo/elsewhere"},
    }
    assert data["repository"]["deleted"] is None and data["repository"]["pull"] is None
    assert data["repository"]["either"] == {"__typename": "PullRequest", "number": 3}
    assert data["missing"] is None
    assert [(e["type"], e["path"]) for e in answer["errors"]] == [
        ("NOT_FOUND", ["repository", "deleted"]),
        ("NOT_FOUND", ["repository", "pull"]),
        ("NOT_FOUND", ["missing"]),
    ]
    assert (
        answer["errors"][2]["message"]
        == "Could not resolve to a Repository with the name 'octo/nope'."
    )


def test_graphql_nodes_viewer_and_pull_request_fields(fake_github):
    fake_github.create_issue(REPO, "Item", labels=["test"])
    fake_github.create_pull(REPO, "Fix", "Closes #1", head="fix-item")
    sha = fake_github.merge_pull(REPO, 2)
    node_id = fake_github.issue(REPO, 1)["node_id"]
    answer = graphql(
        fake_github,
        """query($id: ID!) {
          viewer { login }
          node(id: $id) { __typename ... on Issue { number labels(first: 5) { nodes { name } } } }
          repository(owner: "octo", name: "plan") {
            pullRequest(number: 2) {
              state merged headRefName mergeCommit { oid associatedPullRequests(first: 1) {
                nodes { number } } }
              closingIssuesReferences(first: 5) { nodes { number state } }
            }
          }
        }""",
        {"id": node_id},
    )
    assert "errors" not in answer
    data = answer["data"]
    assert data["viewer"] == {"login": "octocat"}
    assert data["node"] == {
        "__typename": "Issue",
        "number": 1,
        "labels": {"nodes": [{"name": "test"}]},
    }
    assert data["repository"]["pullRequest"] == {
        "state": "MERGED",
        "merged": True,
        "headRefName": "fix-item",
        "mergeCommit": {"oid": sha, "associatedPullRequests": {"nodes": [{"number": 2}]}},
        "closingIssuesReferences": {"nodes": [{"number": 1, "state": "CLOSED"}]},
    }


def test_graphql_syntax_validation_and_pagination_errors_answer_200(fake_github):
    syntax = graphql(fake_github, "{ repository(owner: ")
    assert "data" not in syntax and syntax["errors"][0]["locations"]
    unknown = graphql(fake_github, '{ repository(owner: "octo", name: "plan") { nope } }')
    assert "data" not in unknown and "nope" in unknown["errors"][0]["message"]
    unbounded = graphql(
        fake_github,
        '{ repository(owner: "octo", name: "plan") { issues { totalCount } } }',
    )
    assert unbounded["data"]["repository"] is None
    assert unbounded["errors"][0]["type"] == "MISSING_PAGINATION_BOUNDARIES"
    excessive = graphql(
        fake_github,
        '{ repository(owner: "octo", name: "plan") { issues(first: 101) { totalCount } } }',
    )
    assert excessive["errors"][0]["type"] == "EXCESSIVE_PAGINATION"
    no_query = call(fake_github, "POST", "/graphql", json={"variables": {}})
    assert no_query.status_code == 200 and no_query.json()["errors"][0]["message"].startswith(
        "A query"
    )
    assert (
        call(
            fake_github, "POST", "/graphql", json={"query": "{ viewer { login } }"}, token="x"
        ).status_code
        == 401
    )


def test_graphql_issue_connection_pages_with_cursors(fake_github):
    for index in range(5):
        fake_github.create_issue(REPO, f"Item {index}", labels=["test"] if index % 2 else [])
    query = """query($after: String) { repository(owner: "octo", name: "plan") {
      issues(first: 2, after: $after, states: [OPEN]) {
        totalCount pageInfo { hasNextPage endCursor } nodes { number } } } }"""
    numbers, cursor = [], None
    while True:
        page = graphql(fake_github, query, {"after": cursor})["data"]["repository"]["issues"]
        numbers += [node["number"] for node in page["nodes"]]
        assert page["totalCount"] == 5
        if not page["pageInfo"]["hasNextPage"]:
            break
        cursor = page["pageInfo"]["endCursor"]
    assert numbers == [1, 2, 3, 4, 5]
    labelled = graphql(
        fake_github,
        '{ repository(owner: "octo", name: "plan") {'
        ' issues(first: 10, labels: ["test"]) { nodes { number } } } }',
    )
    assert [n["number"] for n in labelled["data"]["repository"]["issues"]["nodes"]] == [2, 4]


# ------------------------------------------------------------------- GitHub's OpenAPI models


@functools.cache
def openapi_models() -> Any:
    try:
        import githubkit  # noqa: F401  (installs the import hooks the lazy model modules need)
    except ImportError:
        # githubkit 0.16 fails to import beside hishel 2.0 (its HTTP cache wants names hishel 2
        # dropped). The generated models do not need that cache, so load them without running
        # githubkit/__init__, installing its lazy-module import hook if the failed import had not.
        spec = importlib.util.find_spec("githubkit")
        assert spec is not None and spec.submodule_search_locations is not None
        package = types.ModuleType("githubkit")
        package.__path__ = list(spec.submodule_search_locations)
        sys.modules["githubkit"] = package
        from githubkit.module_hooks import lazy_module

        if not any(type(finder).__name__ == "LazyModuleFinder" for finder in sys.meta_path):
            lazy_module.apply()
    return importlib.import_module("githubkit_schemas.latest.models")


# Keys GitHub sends that githubkit's models (API version 2026-03-10) lack. The fake answers as
# version 2022-11-28, the one PyGithub gets (it sends no version header), which still has them.
UNDOCUMENTED = {
    "assignee": "2022-11-28 issues and pulls; PyGithub reads it",
    "merge_commit_sha": "2022-11-28 pulls; PyGithub reads it",
    "rate": "2022-11-28 /rate_limit; PyGithub reads it",
    "has_downloads": "2022-11-28 repositories; PyGithub reads it",
    "use_squash_pr_title_as_default": "2022-11-28 repositories; PyGithub reads it",
    "code_scanning_upload": "/rate_limit resource; PyGithub reads it",
    "status": "GitHub adds the status code to every error body, 422s included",
}


def unknown_keys(instance: Any, data: Any, where: str) -> list[str]:
    """Keys in the JSON that the validated model has no field for, searched recursively."""
    problems: list[str] = []
    if isinstance(instance, BaseModel) and isinstance(data, dict):
        if type(instance).model_config.get("extra") == "allow":
            return problems
        fields = {info.alias or name: name for name, info in type(instance).model_fields.items()}
        for key, value in data.items():
            if key not in fields:
                if key not in UNDOCUMENTED:
                    problems.append(f"{where}.{key}")
                continue
            problems += unknown_keys(getattr(instance, fields[key]), value, f"{where}.{key}")
    elif isinstance(instance, list) and isinstance(data, list):
        for index, (item, raw) in enumerate(zip(instance, data, strict=False)):
            problems += unknown_keys(item, raw, f"{where}[{index}]")
    return problems


def seed_everything(fake: FakeGitHub) -> dict[str, Any]:
    fake.add_user("hubot")
    milestone = fake.add_milestone(REPO, "v1", description="First")
    fake.add_label(REPO, "test", "0e8a16", "Test items")
    for title in ("Parent", "Child", "Open"):
        fake.create_issue(REPO, title, labels=["test"], assignees=["hubot"])
    call(fake, "PATCH", "/repos/octo/plan/issues/3", json={"milestone": milestone})
    child_id = fake.issue(REPO, 2)["id"]
    call(fake, "POST", "/repos/octo/plan/issues/1/sub_issues", json={"sub_issue_id": child_id})
    call(fake, "POST", "/repos/octo/plan/issues/2/comments", json={"body": "Linked"})
    fake.create_pull(REPO, "Fix", "Closes #2")  # number 4
    merge = fake.merge_pull(REPO, 4)
    fake.create_pull(REPO, "Open change", "See #3")  # number 5
    fake.close_issue(REPO, 3, commit=SHA)
    fake.reopen_issue(REPO, 3)
    event_id = call(fake, "GET", "/repos/octo/plan/issues/2/events").json()[0]["id"]
    return {"merge": merge, "milestone": milestone, "event": event_id}


def _event_model(models: Any, item: dict[str, Any]) -> Any:
    return {
        "labeled": models.LabeledIssueEvent,
        "commented": models.TimelineCommentEvent,
        "cross-referenced": models.TimelineCrossReferencedEvent,
    }.get(item["event"], models.StateChangeIssueEvent)


# Absolute URLs that are not API URLs, hence need not point back at the fake.
OUTSIDE_API = (
    "https://github.com/",
    "https://avatars.githubusercontent.com/",
    "https://docs.github.com/",
    "git://github.com/",
)

# (what, method, path, model name or callable choosing one per item, expected status)
SHAPES: list[tuple[str, str, str, Any, int]] = [
    ("repository", "GET", "/repos/octo/plan", "FullRepository", 200),
    ("authenticated user", "GET", "/user", "PrivateUser", 200),
    ("user", "GET", "/users/hubot", "PublicUser", 200),
    ("rate limit", "GET", "/rate_limit", "RateLimitOverview", 200),
    ("issue list with a PR", "GET", "/repos/octo/plan/issues?state=all", "Issue", 200),
    ("issue", "GET", "/repos/octo/plan/issues/3", "Issue", 200),
    ("PR as an issue", "GET", "/repos/octo/plan/issues/4", "Issue", 200),
    ("closed issue", "GET", "/repos/octo/plan/issues/2", "Issue", 200),
    ("sub-issues", "GET", "/repos/octo/plan/issues/1/sub_issues", "Issue", 200),
    ("pull request", "GET", "/repos/octo/plan/pulls/4", "PullRequest", 200),
    ("open pull request", "GET", "/repos/octo/plan/pulls/5", "PullRequest", 200),
    ("pull list", "GET", "/repos/octo/plan/pulls?state=all", "PullRequestSimple", 200),
    ("commit pulls", "GET", "/repos/octo/plan/commits/{merge}/pulls", "PullRequestSimple", 200),
    ("commit", "GET", "/repos/octo/plan/commits/{merge}", "Commit", 200),
    ("labels", "GET", "/repos/octo/plan/labels", "Label", 200),
    ("label", "GET", "/repos/octo/plan/labels/test", "Label", 200),
    ("issue labels", "GET", "/repos/octo/plan/issues/1/labels", "Label", 200),
    ("milestones", "GET", "/repos/octo/plan/milestones", "Milestone", 200),
    ("milestone", "GET", "/repos/octo/plan/milestones/{milestone}", "Milestone", 200),
    ("comments", "GET", "/repos/octo/plan/issues/2/comments", "IssueComment", 200),
    ("events", "GET", "/repos/octo/plan/issues/2/events", _event_model, 200),
    ("events of a reopened issue", "GET", "/repos/octo/plan/issues/3/events", _event_model, 200),
    ("events of a merged PR", "GET", "/repos/octo/plan/issues/4/events", _event_model, 200),
    ("timeline", "GET", "/repos/octo/plan/issues/2/timeline", _event_model, 200),
    ("timeline with mentions", "GET", "/repos/octo/plan/issues/3/timeline", _event_model, 200),
    ("one event", "GET", "/repos/octo/plan/issues/events/{event}", "IssueEvent", 200),
    ("created issue", "POST", "/repos/octo/plan/issues", "Issue", 201),
    ("created comment", "POST", "/repos/octo/plan/issues/1/comments", "IssueComment", 201),
    ("created label", "POST", "/repos/octo/plan/labels", "Label", 201),
    ("not found", "GET", "/repos/octo/nope", "BasicError", 404),
    ("validation failed", "POST", "/repos/octo/plan/labels", "ValidationError", 422),
]
BODIES = {
    ("created issue", "POST"): {"title": "New", "labels": ["fresh"], "milestone": 1},
    ("created comment", "POST"): {"body": "Hello"},
    ("created label", "POST"): {"name": "new", "color": "ff0000"},
    ("validation failed", "POST"): {"name": "test"},
}


@pytest.mark.parametrize(
    ("what", "method", "path", "model", "status"), SHAPES, ids=[s[0] for s in SHAPES]
)
def test_json_matches_githubs_openapi_models(fake_github, what, method, path, model, status):
    models = openapi_models()
    ids = seed_everything(fake_github)
    response = call(fake_github, method, path.format(**ids), json=BODIES.get((what, method)))
    assert response.status_code == status, response.text
    payload = response.json()
    items = payload if isinstance(payload, list) else [payload]
    assert items, f"{what}: nothing to check"
    for url in re.findall(r'"((?:https?|git)://[^"]+)"', response.text):
        assert url.startswith((fake_github.url, *OUTSIDE_API)), f"{what}: {url} leaves the fake"
    problems = []
    for index, item in enumerate(items):
        cls = getattr(models, model) if isinstance(model, str) else model(models, item)
        # Strict JSON validation: a missing required field or a wrongly typed value fails.
        instance = cls.model_validate_json(json.dumps(item), strict=True)
        problems += unknown_keys(instance, item, f"{what}[{index}]:{cls.__name__}")
    assert problems == []


def test_duplicates_follow_the_published_schema_or_one_without_the_argument(fake_github):
    fake_github.create_issue(REPO, "Duplicate")
    fake_github.close_issue(REPO, 1, "duplicate")
    ask = 'query { repository(owner: "octo", name: "plan") { issue(number: 1) { %s } } }'
    reason = {
        field: graphql(fake_github, ask % field)["data"]["repository"]["issue"]["stateReason"]
        for field in ("stateReason", "stateReason(enableDuplicate: true)")
    }
    assert reason == {
        "stateReason": "NOT_PLANNED",
        "stateReason(enableDuplicate: true)": "DUPLICATE",
    }
    fake_github.duplicate_argument = False
    plain = graphql(fake_github, ask % "stateReason")["data"]["repository"]["issue"]
    assert plain == {"stateReason": "DUPLICATE"}
    refused = graphql(fake_github, ask % "stateReason(enableDuplicate: true)")
    assert "data" not in refused
    assert "enableDuplicate" in refused["errors"][0]["message"]


def test_a_client_that_hangs_up_leaves_no_traceback(
    fake_github: FakeGitHub, capfd: pytest.CaptureFixture[str]
) -> None:
    """The CLI tests read stderr for tracebacks: the fake's own must never be among them."""
    import socket

    fake_github.inject("latency", method="GET", path=r"/issues$", delay=0.3)
    host, port = fake_github.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as conn:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        conn.sendall(
            f"GET /repos/octo/plan/issues HTTP/1.1\r\nHost: x\r\n"
            f"Authorization: token {fake_github.token}\r\n\r\n".encode()
        )
    time.sleep(0.6)  # the answer is written after the hang-up
    assert "Traceback" not in capfd.readouterr().err
