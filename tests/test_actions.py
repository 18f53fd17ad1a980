"""GitHub Actions: the action and example workflows validate against GitHub's schemas, the
script behaves as an Actions run on each event, and the action's bash step drives it right.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from ruamel.yaml import YAML

import sync_checklist
from tests.conftest import run_cli
from tests.fake_github import FakeGitHub

ROOT = Path(__file__).resolve().parents[1]
EVENTS = Path(__file__).parent / "data" / "events"
WORKFLOWS = sorted((ROOT / "examples" / "workflows").glob("*.yml"))
REPO = "octo/plan"
HTML = f"https://github.com/{REPO}"


pytestmark = pytest.mark.usefixtures("isolated")


def load_yaml(path: Path) -> Any:
    # YAML 1.2 (ruamel), so a workflow's `on:` key stays a string
    return YAML(typ="safe").load(path.read_text())


# ---------------------------------------------------------------------------
# Schemas (check-jsonschema's vendored copies: no network)


def check_schema(schema: str, *paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_action_matches_the_actions_schema() -> None:
    done = check_schema("vendor.github-actions", ROOT / "action.yml")
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_matches_the_workflows_schema(workflow: Path) -> None:
    done = check_schema("vendor.github-workflows", workflow)
    assert done.returncode == 0, done.stdout + done.stderr


def test_schema_check_catches_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  sync:\n    steps: []\n")  # no runs-on
    assert check_schema("vendor.github-workflows", broken).returncode == 1


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_triggers_and_contexts(workflow: Path) -> None:
    data = load_yaml(workflow)
    triggers = data["on"]
    assert set(triggers["issues"]["types"]) >= {"closed", "reopened"}
    assert triggers["pull_request_target"]["types"] == ["closed"]
    assert "schedule" in triggers and "workflow_dispatch" in triggers
    assert data["permissions"]["issues"] == "write"
    for name, job in data["jobs"].items():
        # a job's `if` sees github, needs, vars and inputs only; `env` there fails the run
        assert not re.search(r"\b(env|secrets|steps)\.", str(job.get("if", ""))), name
        for step in job["steps"]:
            with_ = step.get("with") or {}
            if "checklist-sync" in str(step.get("uses", "")):
                assert with_["script"] in ("sync", "generate")
                assert with_.get("master-issue") or with_.get("plan")


def test_action_inputs_reach_the_script_through_the_environment() -> None:
    action = load_yaml(ROOT / "action.yml")
    (run_step,) = [s for s in action["runs"]["steps"] if s.get("name") == "Run checklist-sync"]
    # an input pasted into the shell text could run code; only the env block may name them
    assert "inputs." not in run_step["run"]
    assert set(action["inputs"]) >= {"script", "master-issue", "plan", "args", "token"}


# ---------------------------------------------------------------------------
# The script as an Actions run: events, early exits, the step summary

PLAN = """\
# Test plan
- [ ] item 2 {2}
- [ ] item 3 {3}
- [ ] item 4 {4}
- [ ] item 5 {5}
- [x] item 6 {6} {PR7}
- [ ] write docs
- [x] manual check
"""


def render(template: str, mode: str, *, linked: tuple[int, ...] = (2, 3, 4, 5, 6)) -> str:
    def link(m: re.Match[str]) -> str:
        number = int(m[1])
        if number not in linked:
            return ""
        return f"([#{number}]({HTML}/issues/{number}))" if mode == "file" else f"(#{number})"

    text = re.sub(r" ?\{(\d+)\}", lambda m: f" {link(m)}" if link(m) else "", template)
    pr = f"([PR #7]({HTML}/pull/7))" if mode == "file" else "(PR #7)"
    return text.replace("{PR7}", pr)


def seed(fake: FakeGitHub, tmp_path: Path, mode: str, **kwargs: Any) -> None:
    """The state the event fixtures describe: master #1, items #2-#6, #5 closed by merged PR
    #7, #6 reopened, PR #8 closed unmerged; plus #2 closed by hand and #3 as not planned.
    """
    body = render(PLAN, "issue", **kwargs)
    if mode == "file":
        text = f"<!-- checklist-sync: {HTML}/issues/1 -->\n" + render(PLAN, "file", **kwargs)
        (tmp_path / "PLAN.md").write_text(text)
        body = ""  # the master issue is there, what it holds does not matter to the file
    fake.create_issue(REPO, "Test plan", body)
    for number in range(2, 7):
        fake.create_issue(REPO, f"[Test] item {number}", f"item {number}\n\n**Checklist:** #1")
    assert fake.create_pull(REPO, "Parse dates", "Closes #5", head="parse-dates")["number"] == 7
    fake.merge_pull(REPO, 7)
    fake.create_pull(REPO, "Try another approach", "Refs #6", head="experiment")
    fake.close_pull(REPO, 8)
    fake.close_issue(REPO, 6)
    fake.reopen_issue(REPO, 6)
    fake.close_issue(REPO, 2)
    fake.close_issue(REPO, 3, reason="not_planned")
    fake.reset_log()


def actions_env(fake: FakeGitHub, tmp_path: Path, event: str, name: str) -> dict[str, str]:
    return {
        **fake.env(),
        "CHECKLIST_WRITE_INTERVAL": "0",
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": name,
        "GITHUB_EVENT_PATH": str(event if "/" in event else EVENTS / f"{event}.json"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "step_summary.md"),
    }


def run_action(fake: FakeGitHub, tmp_path: Path, mode: str, event: str, name: str) -> Result:
    args = ["PLAN.md"] if mode == "file" else ["--master-issue", "1"]
    env = actions_env(fake, tmp_path, event, name)
    return run_cli(sync_checklist, *args, env=env, secrets=[fake.token])


def step_summary(tmp_path: Path) -> str:
    path = tmp_path / "step_summary.md"
    return path.read_text() if path.exists() else ""


def test_event_fixtures_are_shaped_like_github_payloads() -> None:
    closed = json.loads((EVENTS / "issues-closed.json").read_text())
    assert closed["action"] == "closed" and closed["issue"]["number"] == 5
    assert closed["issue"]["state_reason"] == "completed"
    assert closed["repository"]["full_name"] == REPO and closed["sender"]["login"]
    reopened = json.loads((EVENTS / "issues-reopened.json").read_text())
    assert (reopened["action"], reopened["issue"]["state"]) == ("reopened", "open")
    merged = json.loads((EVENTS / "pull_request-closed-merged.json").read_text())
    assert merged["number"] == merged["pull_request"]["number"] == 7
    assert merged["pull_request"]["merged"] is True and merged["pull_request"]["merged_at"]
    unmerged = json.loads((EVENTS / "pull_request-closed-unmerged.json").read_text())
    assert unmerged["pull_request"]["merged"] is False
    assert unmerged["pull_request"]["merged_at"] is None
    for payload in (closed, reopened, merged, unmerged):
        assert "127.0.0.1" not in json.dumps(payload)


@pytest.mark.parametrize("mode", ["file", "issue"])
def test_issue_event_for_an_unlinked_issue_stops_after_reading_the_checklist(
    fake_github: FakeGitHub, tmp_path: Path, mode: str
) -> None:
    seed(fake_github, tmp_path, mode, linked=(2, 3, 4, 6))  # #5 is not in this checklist
    before = (tmp_path / "PLAN.md").read_bytes() if mode == "file" else None

    result = run_action(fake_github, tmp_path, mode, "issues-closed", "issues")

    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[-2] == "issue #5 is not in the checklist: nothing to sync"
    # file mode reads the file only; issue mode the master issue only
    expected = [] if mode == "file" else [("GET", f"/repos/{REPO}/issues/1")]
    assert [(r.method, r.path) for r in fake_github.requests] == expected
    if before is not None:
        assert (tmp_path / "PLAN.md").read_bytes() == before
    assert step_summary(tmp_path) == ""


@pytest.mark.parametrize("name", ["pull_request", "pull_request_target"])
@pytest.mark.parametrize("mode", ["file", "issue"])
def test_pull_request_closed_without_merge_makes_no_request(
    fake_github: FakeGitHub, tmp_path: Path, mode: str, name: str
) -> None:
    seed(fake_github, tmp_path, mode)

    result = run_action(fake_github, tmp_path, mode, "pull_request-closed-unmerged", name)

    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[0] == (
        "pull request #8 was closed without merging: nothing to sync"
    )
    # it takes the checklist to know that the pull request is not one of its items
    expected = [] if mode == "file" else [("GET", f"/repos/{REPO}/issues/1")]
    assert [(r.method, r.path) for r in fake_github.requests] == expected
    assert step_summary(tmp_path) == ""


@pytest.mark.parametrize("mode", ["file", "issue"])
def test_pull_request_item_closed_without_merge_syncs_like_a_full_sync(
    fake_github: FakeGitHub, tmp_path: Path, mode: str
) -> None:
    """An item that links the pull request itself becomes "(not planned)" on its own event."""
    seed(fake_github, tmp_path, mode)
    link = f"([#8]({HTML}/pull/8))" if mode == "file" else "(#8)"
    if mode == "file":
        plan = tmp_path / "PLAN.md"
        plan.write_text(plan.read_text() + f"- [ ] try another approach {link}\n")
    else:
        fake_github.edit_issue_body(
            REPO, 1, fake_github.issue(REPO, 1)["body"] + f"- [ ] try another approach {link}\n"
        )

    result = run_action(fake_github, tmp_path, mode, "pull_request-closed-unmerged", "pull_request")

    assert "nothing to sync" not in result.stderr
    assert (
        f"annotated line {10 if mode == 'file' else 9} 'try another approach' (#8, not planned)"
        in (result.stderr)
    )
    text = (
        (tmp_path / "PLAN.md").read_text() if mode == "file" else fake_github.issue(REPO, 1)["body"]
    )
    assert f"- [ ] try another approach {link} (not planned)\n" in text


SUMMARY = f"""\
### Checklist progress

| Status | Items | Share |
| --- | ---: | ---: |
| Done | 3 | 42% |
| Open | 2 | 28% |
| Not planned / duplicate | 1 | 14% |
| Not linked | 1 | 14% |

| Item | Issue | State | Pull request |
| --- | --- | --- | --- |
| item 2 | [#2]({HTML}/issues/2) | done |  |
| item 3 | [#3]({HTML}/issues/3) | not planned |  |
| item 4 | [#4]({HTML}/issues/4) | open |  |
| item 5 | [#5]({HTML}/issues/5) | done | [PR #7]({HTML}/pull/7) |
| item 6 | [#6]({HTML}/issues/6) | open |  |
"""

SYNCED = """\
# Test plan
- [x] item 2 {2}
- [ ] item 3 {3} (not planned)
- [ ] item 4 {4}
- [x] item 5 {5} {PR7}
- [ ] item 6 {6}
- [ ] write docs
- [x] manual check
"""


def write_event(tmp_path: Path, payload: dict[str, Any]) -> str:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(payload))
    return str(path)


@pytest.mark.parametrize(
    ("event", "name"),
    [
        ("issues-closed", "issues"),
        ("issues-reopened", "issues"),
        ("pull_request-closed-merged", "pull_request"),
        ("pull_request-closed-merged", "pull_request_target"),
        ("schedule", "schedule"),
        ("workflow_dispatch", "workflow_dispatch"),
    ],
)
@pytest.mark.parametrize("mode", ["file", "issue"])
def test_events_that_may_change_the_checklist_run_the_full_sync(
    fake_github: FakeGitHub, tmp_path: Path, mode: str, event: str, name: str
) -> None:
    seed(fake_github, tmp_path, mode)
    if event == "schedule":
        event = write_event(tmp_path, {"schedule": "23 3 * * *"})
    elif event == "workflow_dispatch":
        repository = json.loads((EVENTS / "issues-closed.json").read_text())["repository"]
        event = write_event(
            tmp_path,
            {
                "inputs": {},
                "ref": "refs/heads/main",
                "repository": repository,
                "sender": {"login": "octocat", "id": 1, "type": "User"},
                "workflow": ".github/workflows/checklist-sync.yml",
            },
        )

    result = run_action(fake_github, tmp_path, mode, event, name)

    assert result.exit_code == 0, result.output
    assert step_summary(tmp_path) == SUMMARY
    if mode == "file":
        assert (tmp_path / "PLAN.md").read_text() == (
            f"<!-- checklist-sync: {HTML}/issues/1 -->\n" + render(SYNCED, "file")
        )
    else:
        assert fake_github.issue(REPO, 1)["body"] == render(SYNCED, "issue")
    assert sum(1 for r in fake_github.requests if r.path == "/graphql") == 1


def test_step_summary_lists_unreadable_items(fake_github: FakeGitHub, tmp_path: Path) -> None:
    seed(fake_github, tmp_path, "issue")
    fake_github.delete_issue(REPO, 4)

    result = run_action(fake_github, tmp_path, "issue", "issues-closed", "issues")

    assert result.exit_code == 1, result.output
    summary = step_summary(tmp_path)
    assert "| Unreadable (deleted, transferred) | 1 | 14% |\n" in summary
    assert "| Open | 1 | 14% |\n" in summary
    assert "| item 4 | #4 | not found |  |\n" in summary


# ---------------------------------------------------------------------------
# The action's bash step, run with bash as the runner would


def action_script(tmp_path: Path) -> Path:
    action = load_yaml(ROOT / "action.yml")
    (step,) = [s for s in action["runs"]["steps"] if s.get("name") == "Run checklist-sync"]
    script = tmp_path / "run-checklist-sync.sh"
    script.write_text(step["run"])
    return script


def run_step(fake: FakeGitHub, tmp_path: Path, **inputs: str) -> subprocess.CompletedProcess[str]:
    """The step's shell with its inputs as the env block maps them; `python` is this one."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    if not (bin_dir / "python").exists():
        (bin_dir / "python").symlink_to(sys.executable)
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(tmp_path),
        "GITHUB_ACTION_PATH": str(ROOT),
        "GITHUB_ACTIONS": "true",
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_API_URL": fake.url,
        "GITHUB_TOKEN": fake.token,
        "CHECKLIST_WRITE_INTERVAL": "0",
        "CHECKLIST_SCRIPT": inputs.get("script", "sync"),
        "CHECKLIST_MASTER_ISSUE": inputs.get("master_issue", ""),
        "CHECKLIST_PLAN": inputs.get("plan", ""),
        "CHECKLIST_LABEL": inputs.get("label", "test"),
        "CHECKLIST_ARGS": inputs.get("args", ""),
    }
    # GitHub runs a `shell: bash` step as `bash --noprofile --norc -eo pipefail {0}`
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(action_script(tmp_path))],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert fake.token not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    return done


def test_action_step_syncs_the_master_issue(fake_github: FakeGitHub, tmp_path: Path) -> None:
    seed(fake_github, tmp_path, "issue")

    check = run_step(fake_github, tmp_path, master_issue="1", args="--check")
    assert check.returncode == 1, check.stderr
    assert "error: the checklist is out of sync with GitHub (see the diff above)" in check.stderr

    done = run_step(fake_github, tmp_path, master_issue="1")
    assert done.returncode == 0, done.stderr
    assert fake_github.issue(REPO, 1)["body"] == render(SYNCED, "issue")

    again = run_step(fake_github, tmp_path, master_issue="1", args="--check  -q")
    assert again.returncode == 0, again.stderr
    assert again.stderr == ""


def test_action_step_syncs_a_plan_file(fake_github: FakeGitHub, tmp_path: Path) -> None:
    seed(fake_github, tmp_path, "file")

    done = run_step(fake_github, tmp_path, plan="PLAN.md")

    assert done.returncode == 0, done.stderr
    assert (tmp_path / "PLAN.md").read_text() == (
        f"<!-- checklist-sync: {HTML}/issues/1 -->\n" + render(SYNCED, "file")
    )


def test_action_step_generates_with_the_label_input(
    fake_github: FakeGitHub, tmp_path: Path
) -> None:
    fake_github.create_issue(REPO, "Test plan", "- [ ] first\n- [ ] second\n")

    done = run_step(fake_github, tmp_path, script="generate", master_issue="1", label="qa")

    assert done.returncode == 0, done.stderr
    assert fake_github.issue(REPO, 1)["body"] == "- [ ] first (#2)\n- [ ] second (#3)\n"
    assert [label["name"] for label in fake_github.issue(REPO, 2)["labels"]] == ["qa"]


def test_action_step_refuses_an_unknown_script(fake_github: FakeGitHub, tmp_path: Path) -> None:
    done = run_step(fake_github, tmp_path, script="bogus", master_issue="1")

    assert done.returncode == 2
    assert done.stdout == "::error::input 'script' must be sync or generate, not 'bogus'\n"
    assert fake_github.requests == []


def test_step_summary_links_kept_and_cross_repository_prs(
    fake_github: FakeGitHub, tmp_path: Path
) -> None:
    fake_github.add_repo("octo/other")
    body = "- [x] kept (#2) (PR #9)\n- [ ] elsewhere octo/other#1\n"
    fake_github.create_issue(REPO, "Test plan", body)
    fake_github.create_issue(REPO, "[Test] kept")
    fake_github.close_issue(REPO, 2)  # by hand: the annotation stays, with no URL written
    fake_github.create_issue("octo/other", "[Test] elsewhere")
    fake_github.create_pull("octo/other", "Fix", "Closes #1")
    fake_github.merge_pull("octo/other", 2)

    result = run_action(
        fake_github, tmp_path, "issue", "pull_request-closed-merged", "pull_request"
    )

    assert result.exit_code == 0, result.output
    rows = step_summary(tmp_path).splitlines()[-2:]
    assert rows == [
        f"| kept | [#2]({HTML}/issues/2) | done | [PR #9]({HTML}/pull/9) |",
        "| elsewhere | [octo/other#1](https://github.com/octo/other/issues/1) | done | "
        "[PR octo/other#2](https://github.com/octo/other/pull/2) |",
    ]


@pytest.mark.parametrize("content", ["not json", "[1, 2]"], ids=["garbage", "not-an-object"])
def test_unreadable_event_payload_runs_the_full_sync(
    fake_github: FakeGitHub, tmp_path: Path, content: str
) -> None:
    seed(fake_github, tmp_path, "issue")
    event = tmp_path / "event.json"
    event.write_text(content)

    result = run_action(fake_github, tmp_path, "issue", str(event), "issues")

    assert result.exit_code == 0, result.output
    assert fake_github.issue(REPO, 1)["body"] == render(SYNCED, "issue")
