"""The GitHub connection: pacing, retries, typed errors, batched state reads, request counting."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner, Result
from github import GithubException

import generate_issues
import github_api as ga
import sync_checklist
from tests.fake_github import FakeGitHub

REPO = "octo/plan"


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ga, "BACKOFF", 0.001)


@pytest.fixture
def client(fake_github: FakeGitHub):
    sleeps: list[float] = []
    c = ga.GitHubClient(
        fake_github.token, REPO, fake_github.url, write_interval=0, sleep=sleeps.append
    )
    c.sleeps = sleeps  # type: ignore[attr-defined]
    try:
        yield c
    finally:
        c.close()


# ---------------------------------------------------------------------------
# Pacing


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_pacer_interval_and_caps() -> None:
    clock = FakeClock()
    pacer = ga.WritePacer(0.1, sleep=clock.sleep, clock=clock)
    stamps = []
    for _ in range(600):
        pacer.wait()
        stamps.append(clock.now)
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert min(gaps) >= 0.1 - 1e-9
    for i in range(len(stamps)):
        in_minute = [t for t in stamps if stamps[i] <= t < stamps[i] + 60]
        assert len(in_minute) <= ga.CREATES_PER_MINUTE
    assert stamps[500] - stamps[0] >= 3600  # the 501st create waits for the hour to roll
    assert ga.WritePacer.estimate(600, 0.1) == pytest.approx(stamps[-1])


def test_pacer_off() -> None:
    clock = FakeClock()
    pacer = ga.WritePacer(0, sleep=clock.sleep, clock=clock)
    for _ in range(1000):
        pacer.wait()
    assert clock.now == 0
    assert ga.WritePacer.estimate(1000, 0) == 0
    assert ga.WritePacer.estimate(7, 1.0) == 6


def test_redact() -> None:
    ga.register_secret("s3cret-value")
    assert ga.redact("token s3cret-value leaked") == "token *** leaked"
    assert ga.redact("ghp_" + "a" * 36) == "***"
    assert ga.redact("github_pat_" + "B" * 40) == "***"


# ---------------------------------------------------------------------------
# Retry policy: a pure decision, no server

NOW = 1_000_000.0


def answer(status: int, message: str = "", **headers: str) -> GithubException:
    return GithubException(status, {"message": message}, headers)


SECONDARY = answer(403, "You have exceeded a secondary rate limit", **{"Retry-After": "30"})
PRIMARY = answer(
    403,
    "API rate limit exceeded for user ID 1.",
    **{"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 119)},
)
DROPPED = requests.exceptions.ConnectionError("connection reset")


@pytest.mark.parametrize(
    ("error", "attempt", "waited", "idempotent", "step"),
    [
        pytest.param(answer(502), 1, 0, True, ga.Retry(0.5), id="5xx-read-first-retry"),
        pytest.param(answer(503), 3, 0, True, ga.Retry(2.0), id="5xx-backoff-doubles"),
        pytest.param(answer(500), 4, 0, True, ga.Retry(4.0), id="5xx-last-retry"),
        pytest.param(answer(502), 5, 0, True, ga.Fail("answer"), id="5xx-retries-spent"),
        pytest.param(answer(502), 1, 0, False, ga.Fail("answer"), id="5xx-create-never-resent"),
        pytest.param(DROPPED, 1, 0, True, ga.Retry(0.5), id="dropped-read-retried"),
        pytest.param(DROPPED, 5, 0, True, ga.Fail("unreachable"), id="dropped-read-spent"),
        pytest.param(DROPPED, 1, 0, False, ga.Fail("uncertain"), id="dropped-create-uncertain"),
        pytest.param(OSError("refused"), 2, 0, True, ga.Retry(1.0), id="os-error-retried"),
        pytest.param(SECONDARY, 1, 0, True, ga.Wait(30.0), id="secondary-waits-retry-after"),
        pytest.param(SECONDARY, 9, 0, False, ga.Wait(30.0), id="rate-limit-waits-even-a-create"),
        pytest.param(SECONDARY, 1, 870, True, ga.Wait(30.0), id="wait-up-to-the-cap"),
        pytest.param(SECONDARY, 1, 870.5, True, ga.Fail("rate limit"), id="wait-past-the-cap"),
        pytest.param(PRIMARY, 1, 0, True, ga.Wait(120.0), id="primary-waits-for-reset"),
        pytest.param(
            answer(403, "Resource not accessible"), 1, 0, True, ga.Fail("answer"), id="403"
        ),
        pytest.param(
            answer(429), 1, 0, True, ga.Wait(60.0), id="429-without-retry-after-waits-a-minute"
        ),
        pytest.param(answer(404, "Not Found"), 1, 0, True, ga.Fail("answer"), id="404"),
        pytest.param(answer(422, "Validation Failed"), 1, 0, True, ga.Fail("answer"), id="422"),
    ],
)
def test_retry_policy(
    error: Exception,
    attempt: int,
    waited: float,
    idempotent: bool,
    step: ga.Step,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ga, "BACKOFF", 0.5)  # the shipped value (other tests shorten it)
    assert ga.retry_step(error, attempt, waited, idempotent, NOW) == step


# ---------------------------------------------------------------------------
# Retries and errors against the fake


def test_reads_are_retried_after_5xx_and_drops(fake_github: FakeGitHub, client) -> None:
    fake_github.inject("status", method="GET", path=r"/repos/octo/plan$", status=502, times=2)
    fake_github.inject("drop", method="GET", path=r"/repos/octo/plan$", nth=1)
    assert client.fetch_repo()["full_name"] == REPO
    statuses = [r.status for r in fake_github.requests]
    assert statuses == [502, 502, None, 200]
    assert client.requests == 4


def test_reads_give_up_after_retries(fake_github: FakeGitHub, client) -> None:
    fake_github.inject("status", method="GET", path=r"/issues/1$", status=503, times=99)
    with pytest.raises(ga.GitHubUnavailable, match="GitHub kept failing"):
        client.fetch_issue(1)
    assert len(fake_github.requests) == ga.RETRIES + 1


@pytest.mark.parametrize("kind", ["status", "apply_then_status", "drop", "apply_then_drop"])
def test_a_create_is_never_resent(fake_github: FakeGitHub, client, kind: str) -> None:
    fake_github.inject(kind, method="POST", path=r"/issues$", status=502)
    with pytest.raises((ga.CreateUncertain, ga.GitHubUnavailable)):
        client.apply_create_issue({"title": "t", "body": "b"})
    posts = [r for r in fake_github.requests if r.method == "POST"]
    assert len(posts) == 1
    created = len(fake_github.issues(REPO))
    assert created == (1 if kind.startswith("apply") else 0)


def test_rate_limits_are_waited_out(fake_github: FakeGitHub, client) -> None:
    fake_github.inject("secondary_rate_limit", method="POST", path=r"/issues$", retry_after=3)
    fake_github.inject("primary_rate_limit", method="GET", path=r"/issues/1$")
    issue = client.apply_create_issue({"title": "t"})
    assert client.fetch_issue(issue["number"])["title"] == "t"
    assert len(fake_github.issues(REPO)) == 1  # a 403 rate limit means nothing was created
    assert client.sleeps[0] == 3
    assert 0 < client.sleeps[1] <= 5


def test_rate_limit_that_does_not_lift(fake_github: FakeGitHub, client, monkeypatch) -> None:
    monkeypatch.setattr(ga, "MAX_RATE_WAIT", 5)
    fake_github.inject("secondary_rate_limit", method="GET", retry_after=4, times=10)
    with pytest.raises(ga.GitHubUnavailable, match="rate limit still in force"):
        client.fetch_repo()


def test_token_errors(fake_github: FakeGitHub) -> None:
    bad = ga.GitHubClient("ghp_" + "x" * 36, REPO, fake_github.url, write_interval=0)
    with pytest.raises(ga.ConfigError) as excinfo:
        bad.fetch_repo()
    assert excinfo.value.exit_code == 2
    assert excinfo.value.format_message().startswith(
        "GitHub rejected the token from GITHUB_TOKEN (401"
    )
    bad.close()
    fake_github.add_token("read-only-token", "read")
    reader = ga.GitHubClient("read-only-token", REPO, fake_github.url, write_interval=0)
    with pytest.raises(ga.ConfigError, match=r"the token may not do this \(403"):
        reader.apply_create_issue({"title": "t"})
    reader.close()


def test_unknown_repository_and_disabled_issues(fake_github: FakeGitHub) -> None:
    fake_github.add_repo("octo/quiet", has_issues=False)
    for repo, message in [
        ("octo/missing", "repository octo/missing not found, or the token cannot see it"),
        ("octo/quiet", "issues are disabled in octo/quiet"),
    ]:
        c = ga.GitHubClient(fake_github.token, repo, fake_github.url, write_interval=0)
        with pytest.raises(ga.ConfigError, match=message):
            c.fetch_repo()
        c.close()


def test_verbose_log_counts_requests_without_token(fake_github: FakeGitHub) -> None:
    lines: list[str] = []
    c = ga.GitHubClient(
        fake_github.token, REPO, fake_github.url, write_interval=0, verbose=lines.append
    )
    c.fetch_repo()
    c.fetch_all_issues()
    c.close()
    assert c.requests == len(fake_github.requests) == 2
    assert lines[0].startswith("GET /repos/octo/plan -> 200")
    assert not any(fake_github.token in line for line in lines)


# ---------------------------------------------------------------------------
# Reads


def test_listing_pages_and_leaves_out_pull_requests(fake_github: FakeGitHub, client) -> None:
    for i in range(230):
        fake_github.create_issue(REPO, f"issue {i}")
    fake_github.create_pull(REPO, "a pull request")
    issues = client.fetch_all_issues()
    assert len(issues) == 230
    assert len(fake_github.requests) == 3  # ⌈231/100⌉ pages, nothing per item


def test_issue_states_in_one_query_per_hundred(fake_github: FakeGitHub, client) -> None:
    fake_github.add_repo("octo/other")
    numbers = [fake_github.create_issue(REPO, f"i{i}")["number"] for i in range(150)]
    other = fake_github.create_issue("octo/other", "elsewhere")["number"]
    done, by_hand, dropped, dup, gone, moved = numbers[:6]
    pull = fake_github.create_pull(REPO, "fix", f"Closes #{done}")
    fake_github.merge_pull(REPO, pull["number"])
    fake_github.close_issue(REPO, by_hand, commit="abc1234")
    fake_github.close_issue(REPO, dropped, "not_planned")
    fake_github.close_issue(REPO, dup, "duplicate")
    fake_github.delete_issue(REPO, gone)
    new_number = fake_github.transfer_issue(REPO, moved, "octo/other")
    fake_github.reset_log()
    refs = [(REPO, n) for n in numbers] + [("octo/other", other)]
    states = client.fetch_issue_states(refs)
    assert len(fake_github.requests) == 2
    assert states[(REPO, done)].closing_pr == (REPO, pull["number"], pull["html_url"])
    assert states[(REPO, done)].state_reason == "completed"
    assert states[(REPO, by_hand)].closing_pr is None
    assert states[(REPO, by_hand)].state == "closed"
    assert states[(REPO, dropped)].state_reason == "not_planned"
    assert states[(REPO, dup)].state_reason == "duplicate"
    assert states[(REPO, gone)] is None
    assert (states[(REPO, moved)].repo, states[(REPO, moved)].number) == ("octo/other", new_number)
    assert states[("octo/other", other)].state == "open"
    assert states[(REPO, numbers[-1])].state == "open"


def test_an_item_may_link_a_pull_request(fake_github: FakeGitHub, client) -> None:
    merged = fake_github.create_pull(REPO, "merged one")
    fake_github.merge_pull(REPO, merged["number"])
    open_pull = fake_github.create_pull(REPO, "still open")
    states = client.fetch_issue_states([(REPO, merged["number"]), (REPO, open_pull["number"])])
    assert states[(REPO, merged["number"])].state == "closed"
    assert states[(REPO, merged["number"])].state_reason == "completed"
    assert states[(REPO, open_pull["number"])].state == "open"


# ---------------------------------------------------------------------------
# Writes: pace first, then re-read, apply and write at once


def test_a_retried_body_write_rereads_and_reapplies(fake_github: FakeGitHub) -> None:
    number = fake_github.create_issue(REPO, "Plan", "- [ ] a\n")["number"]
    fake_github.inject("status", method="PATCH", path=rf"/issues/{number}$", status=502)

    def edit_during_backoff(_seconds: float) -> None:
        fake_github.edit_issue_body(REPO, number, "- [ ] a\n- [ ] added meanwhile\n")

    c = ga.GitHubClient(
        fake_github.token, REPO, fake_github.url, write_interval=0, sleep=edit_during_backoff
    )
    try:
        c.apply_body_update(number, lambda body: body.replace("- [ ] a\n", "- [x] a\n"))
    finally:
        c.close()
    assert fake_github.issue(REPO, number)["body"] == "- [x] a\n- [ ] added meanwhile\n"
    assert [(r.method, r.status) for r in fake_github.requests] == [
        ("GET", 200),
        ("PATCH", 502),
        ("GET", 200),  # the retry reads again before it writes
        ("PATCH", 200),
    ]


def test_an_unchanged_body_is_not_written(fake_github: FakeGitHub, client) -> None:
    number = fake_github.create_issue(REPO, "Plan", "- [ ] a\n")["number"]
    fake_github.reset_log()
    client.apply_body_update(number, lambda body: body)
    assert [r.method for r in fake_github.requests] == ["GET"]


# ---------------------------------------------------------------------------
# The same, end to end through the commands

ITEMS_PLAN = "# Plan\n\n- [ ] a\n- [ ] b\n"
ADDED = "- [ ] added on GitHub during the pause\n"


def run_cli(
    fake: FakeGitHub,
    command: Any,
    *args: object,
    sleep: Callable[[float], None] | None = None,
    **env: str,
) -> Result:
    """One command in-process against the fake; `sleep` stands in for every pause it takes."""
    full_env = {**fake.env(), "CHECKLIST_WRITE_INTERVAL": "0", **env}
    with pytest.MonkeyPatch.context() as patch:
        defaults = ga.GitHubClient.__init__.__kwdefaults__
        patch.setitem(defaults, "sleep", sleep or (lambda _seconds: None))
        result = CliRunner().invoke(command.main, [str(a) for a in args], env=full_env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    assert fake.token not in result.output
    return result


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(ga, "BACKOFF", 0.001)
    return tmp_path


def edit_once(fake: FakeGitHub, number: int, when: Callable[[], bool]) -> Callable[[float], None]:
    """A pause during which someone edits issue `number` on GitHub, the first time `when()`."""
    done: list[bool] = []

    def sleep(_seconds: float) -> None:
        if not done and when():
            done.append(True)
            body = fake.issue(REPO, number)["body"]
            fake.edit_issue_body(REPO, number, body + ADDED)

    return sleep


def test_generate_issue_mode_keeps_an_edit_made_during_the_pacing_pause(
    fake_github: FakeGitHub, in_tmp: Path
) -> None:
    fake_github.add_label(REPO, "test")
    master = fake_github.create_issue(REPO, "Plan", ITEMS_PLAN)["number"]
    # the pause before the master write: both items' issues exist by then
    pause = edit_once(fake_github, master, lambda: len(fake_github.issues(REPO)) == 3)
    result = run_cli(
        fake_github,
        generate_issues,
        "--master-issue",
        master,
        sleep=pause,
        CHECKLIST_WRITE_INTERVAL="1",
    )
    assert result.exit_code == 0, result.output
    assert fake_github.issue(REPO, master)["body"] == (
        "# Plan\n\n- [ ] a (#2)\n- [ ] b (#3)\n" + ADDED
    )


def test_generate_file_mode_refuses_a_master_edited_during_the_pacing_pause(
    fake_github: FakeGitHub, in_tmp: Path
) -> None:
    fake_github.add_label(REPO, "test")
    plan = in_tmp / "plan.md"
    plan.write_text(ITEMS_PLAN)
    # the master issue is #1; the pause before it is published again holds both items' issues
    pause = edit_once(fake_github, 1, lambda: len(fake_github.issues(REPO)) == 3)
    result = run_cli(fake_github, generate_issues, plan, sleep=pause, CHECKLIST_WRITE_INTERVAL="1")
    assert result.exit_code == 1, result.output
    assert "master issue #1 was edited on GitHub since it was last published" in result.stderr
    assert fake_github.issue(REPO, 1)["body"].endswith(ADDED)


@pytest.mark.parametrize("mode", ["issue", "file"])
def test_sync_keeps_an_edit_made_during_a_rate_limit_wait(
    fake_github: FakeGitHub, in_tmp: Path, mode: str
) -> None:
    fake_github.add_label(REPO, "test")
    plan = in_tmp / "plan.md"
    if mode == "issue":
        master = fake_github.create_issue(REPO, "Plan", ITEMS_PLAN)["number"]
        assert run_cli(fake_github, generate_issues, "--master-issue", master).exit_code == 0
        target: list[object] = ["--master-issue", master]
    else:
        plan.write_text(ITEMS_PLAN)
        assert run_cli(fake_github, generate_issues, plan).exit_code == 0
        master, target = 1, [plan]
    fake_github.close_issue(REPO, 2)
    fake_github.inject(
        "secondary_rate_limit", method="PATCH", path=rf"/issues/{master}$", retry_after=7
    )
    waits: list[float] = []
    edit = edit_once(fake_github, master, lambda: True)

    def pause(seconds: float) -> None:
        waits.append(seconds)
        edit(seconds)

    result = run_cli(fake_github, sync_checklist, *target, sleep=pause)
    assert result.exit_code == 0, result.output
    assert waits == [7]
    body = fake_github.issue(REPO, master)["body"]
    assert ADDED in body
    assert "- [x] a (#2)" in body  # the master issue is in the issue-body style either way


# ---------------------------------------------------------------------------
# A server that echoes the token: nothing written to GitHub carries it


def test_writes_never_carry_the_token(fake_github: FakeGitHub, client) -> None:
    leak = f"see https://github.com/octo/plan/issues/1?access_token={fake_github.token}"
    issue = client.apply_create_issue({"title": f"t {fake_github.token}", "body": leak})
    client.apply_comment(issue["number"], leak)
    client.apply_body_update(issue["number"], lambda body: body + "\n" + leak)
    client.apply_label(f"l {fake_github.token}", "ededed", leak)
    sent = [str(r.body) for r in fake_github.requests if r.method != "GET"]
    assert len(sent) == 4
    assert not any(fake_github.token in body for body in sent)
    stored = fake_github.issue(REPO, issue["number"])
    assert stored["title"] == "t ***"
    assert stored["body"].endswith("?access_token=***")
    # text that only looks like a token is the user's, written as it is
    example = "ghp_" + "e" * 36
    client.apply_body_update(issue["number"], lambda body: example)
    assert fake_github.issue(REPO, issue["number"])["body"] == example


def test_generate_publishes_no_token_a_server_echoed_into_html_url(
    fake_github: FakeGitHub, in_tmp: Path
) -> None:
    fake_github.echo_token = True
    fake_github.create_issue(REPO, "[Test] b", "filed by hand")  # adopted: one comment
    plan = in_tmp / "plan.md"
    plan.write_text(ITEMS_PLAN)
    result = run_cli(fake_github, generate_issues, plan)
    assert result.exit_code == 0, result.output
    issues = fake_github.issues(REPO)
    assert len(issues) == 3
    written = [i["title"] for i in issues] + [i["body"] or "" for i in issues]
    written += [c["body"] for i in issues for c in fake_github.comments(REPO, i["number"])]
    assert len(written) == 7
    assert not any(fake_github.token in text for text in written)
    # the links were written, without the token (the master carries `(#N)`, no URL)
    assert "?access_token=***" in plan.read_text() and fake_github.token not in plan.read_text()


# ---------------------------------------------------------------------------
# A server that does not answer like GitHub's API: one line, exit 2


def not_github(fake: FakeGitHub) -> str:
    host = fake.url.removeprefix("http://")
    return f"error: the server at {host} did not answer like GitHub's API: check GITHUB_API_URL"


def prepare(fake: FakeGitHub, where: str, plan: Path) -> list[object]:
    """The arguments of a run of `where` ("generate-file", "sync-issue", ...) on a checklist
    that has something to do."""
    fake.add_label(REPO, "test")
    plan.write_text(ITEMS_PLAN)
    command, mode = where.split("-")
    if mode == "issue":
        master = fake.create_issue(REPO, "Plan", ITEMS_PLAN)["number"]
        args: list[object] = ["--master-issue", master]
    else:
        args = [plan]
    if command == "sync":
        assert run_cli(fake, generate_issues, *args).exit_code == 0
        fake.close_issue(REPO, 2)
    fake.reset_log()
    return args


COMMANDS = {"generate": generate_issues, "sync": sync_checklist}
WHERE = ["generate-file", "generate-issue", "sync-file", "sync-issue"]


@pytest.mark.parametrize("kind", ["html", "truncated", "wrong_shape"])
@pytest.mark.parametrize("where", WHERE)
def test_a_server_that_is_not_githubs_api(
    fake_github: FakeGitHub, in_tmp: Path, where: str, kind: str
) -> None:
    args = prepare(fake_github, where, in_tmp / "plan.md")
    before = (in_tmp / "plan.md").read_text()
    fake_github.inject(kind, times=1000)  # every answer: GITHUB_API_URL at the web UI
    result = run_cli(fake_github, COMMANDS[where.split("-")[0]], *args)
    assert result.exit_code == 2, result.output
    assert [line for line in result.stderr.splitlines() if line.startswith("error:")] == [
        not_github(fake_github)
    ]
    assert (in_tmp / "plan.md").read_text() == before


@pytest.mark.parametrize(
    ("where", "kind", "method", "path"),
    [
        # issue-mode sync used to read the login page as an empty checklist: exit 0, "0 items"
        ("sync-issue", "html", "GET", r"/issues/1$"),
        ("sync-file", "wrong_shape", "POST", r"^/graphql$"),
        ("sync-file", "html", "POST", r"^/graphql$"),
        ("generate-file", "truncated", "GET", r"/issues$"),
        ("generate-file", "wrong_shape", "GET", r"/issues$"),
        ("generate-issue", "wrong_shape", "GET", r"/issues/1$"),
    ],
)
def test_one_answer_that_is_not_githubs(
    fake_github: FakeGitHub, in_tmp: Path, where: str, kind: str, method: str, path: str
) -> None:
    args = prepare(fake_github, where, in_tmp / "plan.md")
    fake_github.inject(kind, method=method, path=path)
    result = run_cli(fake_github, COMMANDS[where.split("-")[0]], *args)
    assert result.exit_code == 2, result.output
    assert not_github(fake_github) in result.stderr.splitlines()
    assert len(fake_github.faults_fired) == 1


# ---------------------------------------------------------------------------
# What the user hears: rate-limit waits, retries, the host, a wrong API path


@pytest.mark.parametrize(
    ("answer", "github"),
    [
        pytest.param({"message": "Not Found", "documentation_url": ga.DEFAULT_API_URL}, True),
        pytest.param({"message": "Not Found", "documentation_url": "x", "status": "404"}, True),
        pytest.param({"data": "<html><h1>404 Not Found</h1></html>"}, False, id="html-page"),
        pytest.param({"error": "no such route"}, False, id="other-json"),
        pytest.param({"message": "Not Found"}, False, id="no-documentation-url"),
        pytest.param(["Not Found"], False, id="a-list"),
        pytest.param(None, False, id="empty"),
    ],
)
def test_github_error_shape(answer: Any, github: bool) -> None:
    assert ga.github_error(answer) is github


@pytest.mark.parametrize("where", WHERE)
def test_a_wrong_api_path_does_not_blame_the_repository(
    fake_github: FakeGitHub, in_tmp: Path, where: str
) -> None:
    args = prepare(fake_github, where, in_tmp / "plan.md")
    # the fake answers GitHub's JSON 404 for everything under a path it does not serve
    wrong = {"GITHUB_API_URL": fake_github.url + "/api/v4"}
    result = run_cli(fake_github, COMMANDS[where.split("-")[0]], *args, **wrong)
    assert result.exit_code == 2, result.output
    assert [line for line in result.stderr.splitlines() if line.startswith("error:")] == [
        not_github(fake_github)
    ]
    # the repository is looked up once, then the API root once
    assert [r.path for r in fake_github.requests][-2:] == ["/api/v4/repos/octo/plan", "/api/v4/"]


def test_a_missing_repository_on_githubs_api_is_still_named(
    fake_github: FakeGitHub, in_tmp: Path
) -> None:
    plan = in_tmp / "plan.md"
    plan.write_text(ITEMS_PLAN)
    result = run_cli(fake_github, sync_checklist, plan, GITHUB_REPOSITORY="octo/missing")
    assert result.exit_code == 2, result.output
    assert "error: repository octo/missing not found, or the token cannot see it" in result.stderr
    assert [r.path for r in fake_github.requests] == ["/repos/octo/missing", "/"]


def test_a_rate_limit_wait_is_announced(fake_github: FakeGitHub, in_tmp: Path) -> None:
    args = prepare(fake_github, "sync-issue", in_tmp / "plan.md")
    fake_github.inject("secondary_rate_limit", method="POST", path="^/graphql$", retry_after=15)
    waits: list[float] = []
    result = run_cli(fake_github, sync_checklist, *args, sleep=waits.append)
    assert result.exit_code == 0, result.output
    assert waits == [15]
    assert re.search(
        r"^waiting 15 s for GitHub's rate limit, until \d\d:\d\d:\d\d$", result.stderr, re.M
    )
    quiet = run_cli(fake_github, sync_checklist, *args, "-q", sleep=waits.append)
    assert "waiting" not in quiet.stderr


def test_retries_are_shown_under_verbose(fake_github: FakeGitHub, in_tmp: Path) -> None:
    args = prepare(fake_github, "generate-file", in_tmp / "plan.md")
    retry = "reading repository octo/plan: 502 Bad Gateway; retry 1 of 4 in 0.001 s"
    for flags, shown in ((["-v"], True), ([], False)):
        fake_github.inject("status", method="GET", path=r"^/repos/octo/plan$", status=502)
        result = run_cli(fake_github, generate_issues, *args, "--dry-run", *flags)
        assert result.exit_code == 0, result.output
        assert (retry in result.stderr.splitlines()) is shown


def test_network_errors_name_the_host(fake_github: FakeGitHub) -> None:
    c = ga.GitHubClient(fake_github.token, REPO, "http://127.0.0.1:9", write_interval=0)
    try:
        with pytest.raises(ga.GitHubUnavailable) as unreachable:
            c.fetch_repo()
        with pytest.raises(ga.CreateUncertain) as uncertain:
            c.apply_create_issue({"title": "t"})
    finally:
        c.close()
    assert unreachable.value.format_message() == (
        "reading repository octo/plan: could not reach 127.0.0.1:9 after 5 attempts "
        "(ConnectionError); check the network and rerun"
    )
    assert uncertain.value.format_message() == (
        "creating issue 't': no answer from 127.0.0.1:9 (ConnectionError)"
    )


# ---------------------------------------------------------------------------
# An issue number past GraphQL's 32-bit Int


def test_an_out_of_range_number_stays_out_of_the_query(fake_github: FakeGitHub, client) -> None:
    number = fake_github.create_issue(REPO, "a")["number"]
    states = client.fetch_issue_states([(REPO, number), (REPO, 3_000_000_000)])
    assert states[(REPO, number)].state == "open"
    assert states[(REPO, 3_000_000_000)] is None
    (query,) = [r.body["query"] for r in fake_github.requests]
    assert "3000000000" not in query


@pytest.mark.parametrize("mode", ["issue", "file"])
def test_sync_warns_about_an_out_of_range_number_and_syncs_the_rest(
    fake_github: FakeGitHub, in_tmp: Path, mode: str
) -> None:
    done = fake_github.create_issue(REPO, "[Test] a")["number"]
    fake_github.close_issue(REPO, done)
    big = 3_000_000_000
    if mode == "issue":
        text = f"# Plan\n\n- [ ] a (#{done})\n- [ ] big (#{big})\n"
        master = fake_github.create_issue(REPO, "Plan", text)["number"]
        args: list[object] = ["--master-issue", master]
    else:
        url = "https://github.com/octo/plan/issues"
        text = f"# Plan\n\n- [ ] a ([#{done}]({url}/{done}))\n- [ ] big ([#{big}]({url}/{big}))\n"
        (in_tmp / "plan.md").write_text(text)
        args = [in_tmp / "plan.md"]
    result = run_cli(fake_github, sync_checklist, *args)
    assert result.exit_code == 1, result.output
    assert (
        "warning: line 4 'big': issue #3000000000 is out of range (GitHub's issue numbers stop "
        "at 2147483647); fix the link (line left unchanged)"
    ) in result.stderr.splitlines()
    synced = fake_github.issue(REPO, master)["body"] if mode == "issue" else args[0].read_text()
    assert synced == text.replace("- [ ] a", "- [x] a")


# ---------------------------------------------------------------------------
# Duplicates: stateReason(enableDuplicate: true), or plain where a server refuses the argument


@pytest.mark.parametrize("argument", [True, False], ids=["published-schema", "argument-removed"])
def test_a_duplicate_reads_as_one_on_either_schema(
    fake_github: FakeGitHub, client, argument: bool
) -> None:
    fake_github.duplicate_argument = argument
    dup, dropped = (fake_github.create_issue(REPO, t)["number"] for t in ("dup", "dropped"))
    fake_github.close_issue(REPO, dup, "duplicate")
    fake_github.close_issue(REPO, dropped, "not_planned")
    fake_github.reset_log()
    for _run in range(2):
        states = client.fetch_issue_states([(REPO, dup), (REPO, dropped)])
        assert states[(REPO, dup)].state_reason == "duplicate"
        assert states[(REPO, dropped)].state_reason == "not_planned"
    queries = [r.body["query"] for r in fake_github.requests]
    # refused once, then asked without the argument for the client's lifetime
    assert ["enableDuplicate: true" in q for q in queries] == (
        [True, True] if argument else [True, False, False]
    )


@pytest.mark.parametrize("argument", [True, False], ids=["published-schema", "argument-removed"])
def test_sync_annotates_a_duplicate_on_either_schema(
    fake_github: FakeGitHub, in_tmp: Path, argument: bool
) -> None:
    fake_github.duplicate_argument = argument
    args = prepare(fake_github, "sync-issue", in_tmp / "plan.md")
    fake_github.close_issue(REPO, 3, "duplicate")
    result = run_cli(fake_github, sync_checklist, *args)
    assert result.exit_code == 0, result.output
    body = fake_github.issue(REPO, 1)["body"]
    assert body == "# Plan\n\n- [x] a (#2)\n- [ ] b (#3) (duplicate)\n"
    assert sum(r.path == "/graphql" for r in fake_github.requests) == (1 if argument else 2)
