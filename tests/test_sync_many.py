"""sync_checklist.py with several checklists in one run, master issues of other repositories,
--notify's one comment, and the pure helpers of the run scaffold the server shares.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import Result

import sync_checklist
from tests.conftest import run_cli
from tests.fake_github import FakeGitHub

REPO = "octo/plan"
OTHER = "octo/other"


pytestmark = pytest.mark.usefixtures("isolated")


def invoke(fake: FakeGitHub, *args: str, **env: str | None) -> Result:
    return run_cli(sync_checklist, *args, fake=fake, env=env)


def issue_mode_master(fake: FakeGitHub, repo: str, titles: list[str]) -> tuple[int, list[int]]:
    """A master issue whose body links one new issue per title; (master, issue numbers)."""
    numbers = [fake.create_issue(repo, t)["number"] for t in titles]
    body = "".join(f"- [ ] {t} (#{n})\n" for t, n in zip(titles, numbers, strict=True))
    return fake.create_issue(repo, "Checklist", body=body)["number"], numbers


def plan_file(path: Path, fake: FakeGitHub, titles: list[str]) -> list[int]:
    numbers = [fake.create_issue(REPO, t)["number"] for t in titles]
    path.write_text(
        "# Plan\n"
        + "".join(
            f"- [ ] {t} ([#{n}](https://github.com/{REPO}/issues/{n}))\n"
            for t, n in zip(titles, numbers, strict=True)
        )
    )
    return numbers


# ---------------------------------------------------------------------------
# Several checklists in one run


def test_two_plans_and_two_master_issues_in_one_run(fake_github: FakeGitHub) -> None:
    fake_github.add_repo(OTHER)
    a = plan_file(Path("a.md"), fake_github, ["alpha"])
    b = plan_file(Path("b.md"), fake_github, ["beta"])
    master, (gamma,) = issue_mode_master(fake_github, REPO, ["gamma"])
    other_master, (delta,) = issue_mode_master(fake_github, OTHER, ["delta"])
    for repo, number in ((REPO, a[0]), (REPO, b[0]), (REPO, gamma), (OTHER, delta)):
        fake_github.close_issue(repo, number)

    result = invoke(
        fake_github, "a.md", "b.md", "--master-issue", str(master), "--master-issue",
        f"{OTHER}#{other_master}",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "- [x] alpha" in Path("a.md").read_text()
    assert "- [x] beta" in Path("b.md").read_text()
    assert "- [x] gamma" in fake_github.issue(REPO, master)["body"]
    assert "- [x] delta" in fake_github.issue(OTHER, other_master)["body"]
    summaries = [line for line in result.stderr.splitlines() if re.match(r"\d+ items?: ", line)]
    assert len(summaries) == 4


def test_a_failing_checklist_does_not_stop_the_others_and_the_worst_exit_wins(
    fake_github: FakeGitHub,
) -> None:
    plan_file(Path("good.md"), fake_github, ["alpha"])
    fake_github.close_issue(REPO, 1)

    result = invoke(fake_github, "missing.md", "good.md")

    assert result.exit_code == 2
    assert "error: plan missing.md not found: check the path" in result.stderr
    assert "- [x] alpha" in Path("good.md").read_text()


def test_json_with_several_checklists_is_one_array(fake_github: FakeGitHub) -> None:
    plan_file(Path("a.md"), fake_github, ["alpha"])
    plan_file(Path("b.md"), fake_github, ["beta"])
    fake_github.close_issue(REPO, 2)

    result = invoke(fake_github, "a.md", "b.md", "--json")

    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert [p["checked"] for p in payload] == [0, 1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--master-issue", "x"], "'x' is not an issue: pass N or OWNER/REPO#N"),
        (["--master-issue", "0"], "'0' is not an issue: pass N or OWNER/REPO#N"),
        (["--master-issue", "1", "--port", "9000"], "--port only applies to --serve"),
        (
            ["--master-issue", "1", "--serve", "--reconcile-every", "soon"],
            "'soon' is not a duration: use for example 1h, 30m, 90s or 0",
        ),
    ],
)
def test_usage_errors(fake_github: FakeGitHub, args: list[str], message: str) -> None:
    result = invoke(fake_github, *args)
    assert result.exit_code == 2
    assert message in result.stderr


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1h", 3600.0),
        ("30m", 1800.0),
        ("1h30m", 5400.0),
        ("90s", 90.0),
        ("90", 90.0),
        ("0", 0.0),
        ("2d", 172800.0),
        (" 1H ", 3600.0),
        ("", None),
        ("1x", None),
        ("h", None),
        ("-1h", None),
    ],
)
def test_parse_duration(text: str, seconds: float | None) -> None:
    assert sync_checklist.parse_duration(text) == seconds


# ---------------------------------------------------------------------------
# --notify from the CLI (a scheduled Actions run)


def test_cli_notify_creates_edits_and_resolves_one_comment(fake_github: FakeGitHub) -> None:
    master, (alpha, beta) = issue_mode_master(fake_github, REPO, ["alpha", "beta"])
    assert invoke(fake_github, "--master-issue", str(master), "--notify").exit_code == 0
    assert fake_github.comments(REPO, master) == []

    fake_github.delete_issue(REPO, alpha)
    result = invoke(fake_github, "--master-issue", str(master), "--notify")
    assert result.exit_code == 1
    assert f"posted a notice comment on master checklist #{master}" in result.stderr
    (first,) = fake_github.comments(REPO, master)

    again = invoke(fake_github, "--master-issue", str(master), "--notify")
    assert "notice comment" not in again.stderr  # same problem: the comment stays as it is
    fake_github.delete_issue(REPO, beta)
    invoke(fake_github, "--master-issue", str(master), "--notify")
    (second,) = fake_github.comments(REPO, master)
    assert second["id"] == first["id"] and f"#{beta} not found" in second["body"]

    fake_github.edit_issue_body(REPO, master, "- [ ] nothing linked\n")
    result = invoke(fake_github, "--master-issue", str(master), "--notify")
    assert result.exit_code == 0
    (resolved,) = fake_github.comments(REPO, master)
    assert resolved["id"] == first["id"] and resolved["body"].startswith("**Resolved**")


@pytest.mark.parametrize(
    ("existing", "problems", "expected"),
    [
        (None, [], None),
        (None, ["warning: x"], "open"),
        ("old text <!-- checklist-sync:notice state=open -->", ["warning: x"], "open"),
        ("<!-- checklist-sync:notice state=open -->", [], "resolved"),
        ("done <!-- checklist-sync:notice state=resolved -->", [], None),
    ],
)
def test_plan_notice(existing: str | None, problems: list[str], expected: str | None) -> None:
    body = sync_checklist.plan_notice(existing, problems, "plan.md", "2026-01-01 00:00 UTC")
    if expected is None:
        assert body is None
    else:
        assert body is not None and f"state={expected} -->" in body
        # the same problem twice: no edit
        assert sync_checklist.plan_notice(body, problems, "plan.md", "later") is None


def test_plan_notice_fences_backticks_in_problems() -> None:
    body = sync_checklist.plan_notice(None, ["warning: ```code``` here"], "p", "now")
    assert body is not None and "````text\n" in body


# ---------------------------------------------------------------------------
# GitHub App credentials


@pytest.fixture(scope="module")
def app_keys() -> tuple[str, str]:
    from tests.test_checklist_server import rsa_key_pair

    return rsa_key_pair()


def test_cli_syncs_as_a_github_app(fake_github: FakeGitHub, app_keys: tuple[str, str]) -> None:
    private, public = app_keys
    fake_github.add_app(77, public, [REPO])
    master, (alpha,) = issue_mode_master(fake_github, REPO, ["alpha"])
    fake_github.close_issue(REPO, alpha)
    Path("app.pem").write_text(private)

    result = invoke(
        fake_github, "--master-issue", str(master),
        GITHUB_TOKEN=None, GITHUB_APP_ID="77", GITHUB_APP_PRIVATE_KEY_FILE="app.pem",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "- [x] alpha" in fake_github.issue(REPO, master)["body"]
    assert len(fake_github.app_tokens_minted) == 1
    assert fake_github.app_tokens_minted[0] not in result.output
    assert "PRIVATE KEY" not in result.output


def test_cli_app_not_installed_on_the_repository(
    fake_github: FakeGitHub, app_keys: tuple[str, str]
) -> None:
    private, public = app_keys
    fake_github.add_app(77, public, ["octo/elsewhere"])
    result = invoke(
        fake_github, "--master-issue", "1",
        GITHUB_TOKEN=None, GITHUB_APP_ID="77", GITHUB_APP_PRIVATE_KEY=private,
    )  # fmt: skip
    assert result.exit_code == 2
    assert "error: the GitHub App 77 is not installed on octo/plan (404 Not Found)" in result.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"GITHUB_APP_ID": "77"}, "GITHUB_APP_ID is set but no private key"),
        (
            {"GITHUB_APP_ID": "77", "GITHUB_APP_PRIVATE_KEY_FILE": "missing.pem"},
            "cannot read GITHUB_APP_PRIVATE_KEY_FILE missing.pem: No such file or directory",
        ),
        (
            {"GITHUB_APP_ID": "77", "GITHUB_APP_PRIVATE_KEY": "not a key"},
            "the GitHub App private key is not a valid RSA PEM key",
        ),
        (
            {"GITHUB_APP_ID": "my-app", "GITHUB_APP_PRIVATE_KEY": "KEY"},
            "GITHUB_APP_ID='my-app' is not a number",
        ),
    ],
)
def test_app_credential_errors(
    fake_github: FakeGitHub, app_keys: tuple[str, str], env: dict[str, str], message: str
) -> None:
    env = {k: app_keys[0] if v == "KEY" else v for k, v in env.items()}
    result = invoke(fake_github, "--master-issue", "1", GITHUB_TOKEN=None, **env)
    assert result.exit_code == 2
    assert f"error: {message}" in result.stderr
    assert "PRIVATE KEY" not in result.output
