"""GitHub Actions: the action and example workflows validate against GitHub's schemas, the
script behaves as an Actions run on each event, and the action's bash step drives it right.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
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


# zizmor ships as a binary in its wheel: next to this Python's scripts (pip, pytest)
ZIZMOR = shutil.which("zizmor", path=sysconfig.get_path("scripts")) or shutil.which("zizmor")
ZIZMOR_ARGS = ("--offline", "--min-severity=medium", "--no-progress", "--config")


def zizmor(*paths: Path) -> subprocess.CompletedProcess[str]:
    """zizmor, offline, medium severity and above, pinning aside (tests/zizmor.yml)."""
    assert ZIZMOR, "zizmor is not installed: pip install -r requirements-dev.txt"
    return subprocess.run(
        [ZIZMOR, *ZIZMOR_ARGS, str(ROOT / "tests" / "zizmor.yml"), *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_action_and_workflows_are_clean_under_zizmor() -> None:
    done = zizmor(ROOT / "action.yml", *WORKFLOWS)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No findings to report" in done.stdout + done.stderr


def test_zizmor_catches_what_the_workflows_used_to_do(tmp_path: Path) -> None:
    old = tmp_path / "old.yml"
    old.write_text(
        "on:\n  pull_request_target:\n    types: [closed]\n"
        "permissions:\n  issues: write\n  contents: write\n"
        "jobs:\n  sync:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n"
    )
    done = zizmor(old)
    assert done.returncode != 0
    for audit in ("dangerous-triggers", "artipacked"):
        assert audit in done.stdout, done.stdout


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_triggers_and_contexts(workflow: Path) -> None:
    data = load_yaml(workflow)
    triggers = data["on"]
    assert set(triggers["issues"]["types"]) >= {"closed", "reopened"}
    # merging a pull request that says `Closes #N` closes the issue: `issues: closed` is the
    # trigger, and no workflow needs a pull-request event (pull_request_target least of all)
    assert not any(name.startswith("pull_request") for name in triggers)
    assert "schedule" in triggers and "workflow_dispatch" in triggers
    assert data["permissions"] == {}  # granted per job
    for name, job in data["jobs"].items():
        assert job["permissions"]["issues"] == "write", name
        # a job's `if` sees github, needs, vars and inputs only; `env` there fails the run
        assert not re.search(r"\b(env|secrets|steps)\.", str(job.get("if", ""))), name
        for step in job["steps"]:
            with_ = step.get("with") or {}
            if "checklist-sync" in str(step.get("uses", "")):
                assert with_["script"] in ("sync", "generate")
                assert with_.get("master-issue") or with_.get("plan")
            if str(step.get("uses", "")).startswith("actions/checkout"):
                assert with_["persist-credentials"] is False


def test_the_edited_trigger_runs_only_for_the_master_issue() -> None:
    data = load_yaml(ROOT / "examples" / "workflows" / "checklist-sync.yml")
    assert "edited" in data["on"]["issues"]["types"]
    sync, generate = data["jobs"]["sync"], data["jobs"]["generate"]
    assert "github.event.action != 'edited'" in sync["if"]
    # the job's condition names the same issue its step serves: no runner for other edits
    (step,) = generate["steps"]
    number = step["with"]["master-issue"]
    assert f"github.event.issue.number == {number}" in " ".join(generate["if"].split())
    assert sync["steps"][0]["with"]["master-issue"] == number


def test_action_inputs_reach_the_script_through_the_environment() -> None:
    action = load_yaml(ROOT / "action.yml")
    (run_step,) = [s for s in action["runs"]["steps"] if s.get("name") == "Run checklist-sync"]
    # an input pasted into the shell text could run code; only the env block may name them
    assert "inputs." not in run_step["run"]
    assert set(action["inputs"]) >= {
        "script",
        "master-issue",
        "plan",
        "label",
        "milestone",
        "assignee",
        "title-template",
        "sub-issues",
        "check",
        "args",
        "token",
    }
    assert set(action["outputs"]) == {"json", "out-of-sync", "created"}
    mapped = {v.removeprefix("${{ inputs.").removesuffix(" }}") for v in run_step["env"].values()}
    assert mapped == set(action["inputs"]) - {"python-version"}


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


HEADING = {
    "file": f"### Checklist progress: `PLAN.md`, master issue [#1]({HTML}/issues/1)",
    "issue": f"### Checklist progress: issue [#1]({HTML}/issues/1)",
}
# a box ticked by hand with no issue is counted once, in its own row; the shares add up to 100
SUMMARY = f"""\

| Status | Items | Share |
| --- | ---: | ---: |
| Done | 2 | 29% |
| Open | 2 | 29% |
| Not planned / duplicate | 1 | 14% |
| Ticked by hand (no issue) | 1 | 14% |
| Not linked | 1 | 14% |
| **Total** | **7** | **100%** |

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
    assert step_summary(tmp_path) == HEADING[mode] + "\n" + SUMMARY
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
    assert "| Open | 1 | 15% |\n" in summary  # 1/7 rounded up: the shares add up to 100
    shares = re.findall(r"^\| [^*|][^|]* \| \d+ \| (\d+)% \|$", summary, re.M)
    assert sum(map(int, shares)) == 100
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
    """The step's shell with its inputs as the env block maps them (defaults from action.yml,
    `master_issue=` for `master-issue:`); `python` is this one.
    """
    action = load_yaml(ROOT / "action.yml")
    (step,) = [s for s in action["runs"]["steps"] if s.get("name") == "Run checklist-sync"]
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
        "GITHUB_OUTPUT": str(tmp_path / "github_output"),
        "CHECKLIST_WRITE_INTERVAL": "0",
    }
    for name, value in step["env"].items():
        input_name = value.removeprefix("${{ inputs.").removesuffix(" }}")
        default = str(action["inputs"][input_name].get("default", ""))
        env[name] = inputs.get(input_name.replace("-", "_"), default)
    env["GITHUB_TOKEN"] = fake.token
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


def outputs(tmp_path: Path) -> dict[str, str]:
    """$GITHUB_OUTPUT as the runner reads it: `name=value` and `name<<DELIM … DELIM`."""
    text = (tmp_path / "github_output").read_text()
    found: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line:
            name, delimiter = line.split("<<", 1)
            found[name] = "\n".join(iter(lambda: next(lines), delimiter))
        else:
            name, value = line.split("=", 1)
            found[name] = value
    return found


def test_dedicated_inputs_keep_spaces_and_the_outputs_say_what_happened(
    fake_github: FakeGitHub, tmp_path: Path
) -> None:
    fake_github.add_milestone(REPO, "Release 2.0")
    fake_github.create_issue(REPO, "Test plan", "## Parsing\n- [ ] first\n- [ ] second\n")

    done = run_step(
        fake_github,
        tmp_path,
        script="generate",
        master_issue="1",
        label="qa,needs review",
        milestone="Release 2.0",
        assignee="octocat",
        title_template="[QA] {section} › {text}",
    )

    assert done.returncode == 0, done.stderr
    issue = fake_github.issue(REPO, 2)
    assert issue["title"] == "[QA] Parsing › first"
    assert [label["name"] for label in issue["labels"]] == ["qa", "needs review"]
    assert issue["milestone"]["title"] == "Release 2.0"
    assert [a["login"] for a in issue["assignees"]] == ["octocat"]
    found = outputs(tmp_path)
    assert (found["created"], found["out-of-sync"]) == ("2", "true")
    summary = json.loads(found["json"])
    assert (summary["created"], summary["master_issue"], summary["repo"]) == (2, 1, REPO)


@pytest.mark.parametrize(
    "args",
    ['--milestone "Release 2.0" --label qa', "--milestone 'Release 2.0' --label=qa"],
)
def test_args_are_split_with_shell_quoting(
    fake_github: FakeGitHub, tmp_path: Path, args: str
) -> None:
    fake_github.add_milestone(REPO, "Release 2.0")
    fake_github.create_issue(REPO, "Test plan", "- [ ] first\n")

    done = run_step(fake_github, tmp_path, script="generate", master_issue="1", args=args)

    assert done.returncode == 0, done.stderr
    issue = fake_github.issue(REPO, 2)
    assert issue["milestone"]["title"] == "Release 2.0"
    assert [label["name"] for label in issue["labels"]] == ["qa"]


@pytest.mark.parametrize(
    ("inputs", "error"),
    [
        ({"args": '--milestone "Release 2.0'}, "input 'args' has an unclosed quote: "),
        ({"check": "yes"}, "input 'check' must be true or false, not 'yes'"),
        ({"sub_issues": "maybe"}, "input 'sub-issues' must be true or false, not 'maybe'"),
    ],
)
def test_bad_inputs_are_one_error_annotation(
    fake_github: FakeGitHub, tmp_path: Path, inputs: dict[str, str], error: str
) -> None:
    done = run_step(fake_github, tmp_path, master_issue="1", **inputs)

    assert done.returncode == 2
    assert done.stdout.startswith(f"::error::{error}") and done.stdout.count("\n") == 1
    assert fake_github.requests == []


def test_check_input_fails_the_step_when_out_of_sync(
    fake_github: FakeGitHub, tmp_path: Path
) -> None:
    seed(fake_github, tmp_path, "issue")

    done = run_step(fake_github, tmp_path, master_issue="1", check="true")

    assert done.returncode == 1, done.stderr
    assert "error: the checklist is out of sync with GitHub" in done.stderr
    assert outputs(tmp_path)["out-of-sync"] == "true"
    assert fake_github.issue(REPO, 1)["body"] == render(PLAN, "issue")  # nothing written


def test_warnings_are_annotations_on_the_plan_line(fake_github: FakeGitHub, tmp_path: Path) -> None:
    seed(fake_github, tmp_path, "file")
    fake_github.delete_issue(REPO, 4)

    result = run_action(fake_github, tmp_path, "file", "issues-closed", "issues")

    assert result.exit_code == 1, result.output
    assert (
        "::warning file=PLAN.md,line=5::line 5 'item 4': issue #4 not found (deleted, or no "
        "access); line left unchanged\n"
    ) in result.stderr
    assert "\nwarning: " not in result.stderr
