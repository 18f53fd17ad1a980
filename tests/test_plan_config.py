"""`.checklist-sync.toml`: how a plan is generated, remembered; flags override it. Also the
conventions of both commands: `--label a,b` is two labels, Ctrl-C exits 130 in one line.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import generate_issues
from github_api import ConfigError
from plan_config import PlanConfig, find_config, parse_config, split_names, template_problem
from tests.conftest import SETTINGS_ENV
from tests.fake_github import FakeGitHub

ROOT = Path(__file__).resolve().parents[1]
REPO = "octo/plan"


@pytest.mark.parametrize(
    ("text", "key", "expected"),
    [
        ("", "plan.md", PlanConfig()),
        ('labels = ["qa", "tests"]', "plan.md", PlanConfig(labels=("qa", "tests"))),
        ('labels = "qa,tests"', None, PlanConfig(labels=("qa", "tests"))),
        (
            '[defaults]\nmilestone = "Release 2.0"\nsub-issues = true\n',
            "plan.md",
            PlanConfig(milestone="Release 2.0", sub_issues=True),
        ),
        ("milestone = 3", None, PlanConfig(milestone="3")),
        (
            'labels = ["qa"]\n[plans."docs/plan.md"]\nlabels = ["docs"]\nassignees = ["ann"]\n',
            "docs/plan.md",
            PlanConfig(labels=("docs",), assignees=("ann",)),
        ),
        (  # another plan's section does not apply
            'labels = ["qa"]\n[plans."docs/plan.md"]\nlabels = ["docs"]\n',
            "other.md",
            PlanConfig(labels=("qa",)),
        ),
        (
            '[plans."#42"]\ntitle-template = "QA: {text}"\n',
            "#42",
            PlanConfig(title_template="QA: {text}"),
        ),
    ],
)
def test_parse_config(text: str, key: str | None, expected: PlanConfig) -> None:
    assert parse_config(text, key, "c.toml") == PlanConfig(
        **{**expected.__dict__, "source": "c.toml"}
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("labels = [", "c.toml is not valid TOML (Invalid value (at end of document)): fix it"),
        ("label = ['qa']", "c.toml: unknown setting label (known: labels, assignees, "),
        ("labels = [1]", "c.toml: labels must be a list of label names, not [1]"),
        ("sub-issues = 'yes'", "c.toml: sub-issues must be true or false, not 'yes'"),
        ("milestone = true", "c.toml: milestone must be a milestone title or number, not True"),
        ("title-template = '{txt}'", "c.toml: title-template '{txt}' is not valid ('txt')"),
        ("[defaults]\ntitle-template = 'x'", "c.toml [defaults]: title-template must contain"),
        ("plans = 3", 'c.toml: plans must hold tables like [plans."docs/test-plan.md"]'),
        ('[plans."a.md"]\nlabls = []', 'c.toml [plans."a.md"]: unknown setting labls'),
    ],
)
def test_parse_config_errors_name_the_file_and_setting(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(text, "a.md", "c.toml")
    assert info.value.format_message().startswith(message)


@pytest.mark.parametrize(
    ("values", "names"),
    [
        (("qa",), ("qa",)),
        (("a,b",), ("a", "b")),
        (("a, b", "c"), ("a", "b", "c")),
        (("", " , "), ()),
        (("needs triage",), ("needs triage",)),
    ],
)
def test_split_names(values: tuple[str, ...], names: tuple[str, ...]) -> None:
    assert split_names(values) == names


@pytest.mark.parametrize(
    ("template", "ok"),
    [("[Test] {text}", True), ("{section}: {text}", True), ("{section}", False), ("{x}", False)],
)
def test_template_problem(template: str, ok: bool) -> None:
    assert (template_problem(template) is None) is ok


def test_find_config_stops_at_the_checkout_top(tmp_path: Path) -> None:
    (tmp_path / ".checklist-sync.toml").write_text("")  # outside the checkout: not found
    checkout = tmp_path / "repo"
    (checkout / ".git").mkdir(parents=True)
    (checkout / "docs" / "plans").mkdir(parents=True)
    assert find_config(checkout / "docs" / "plans") is None
    (checkout / ".checklist-sync.toml").write_text("")
    assert find_config(checkout / "docs" / "plans") == checkout / ".checklist-sync.toml"
    (checkout / "docs" / ".checklist-sync.toml").write_text("")
    assert find_config(checkout / "docs" / "plans") == checkout / "docs" / ".checklist-sync.toml"


# ---------------------------------------------------------------------------
# generate_issues.py reads it


def generate(fake: FakeGitHub, *args: str) -> tuple[int, str]:
    env = {**fake.env(), "CHECKLIST_WRITE_INTERVAL": "0"}
    result = CliRunner().invoke(generate_issues.main, list(args), env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    return result.exit_code, result.stderr


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "plan.md").write_text("# Plan\n- [ ] first\n")
    (tmp_path / ".checklist-sync.toml").write_text(
        'labels = ["qa", "release"]\n'
        "[defaults]\n"
        'assignees = ["octocat"]\n'
        '[plans."docs/plan.md"]\n'
        'title-template = "QA: {text}"\n'
        'milestone = "Release 2.0"\n'
    )
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_generate_uses_the_config_file_and_a_rerun_makes_alike_issues(
    fake_github: FakeGitHub, checkout: Path
) -> None:
    fake_github.add_milestone(REPO, "Release 2.0")

    code, err = generate(fake_github, "docs/plan.md")
    assert code == 0, err
    plan = checkout / "docs" / "plan.md"
    plan.write_text(plan.read_text() + "- [ ] second\n")
    code, err = generate(fake_github, "docs/plan.md")
    assert code == 0, err

    issues = [i for i in fake_github.issues(REPO) if i["title"].startswith("QA: ")]
    assert [i["title"] for i in issues] == ["QA: first", "QA: second"]
    for issue in issues:
        assert [label["name"] for label in issue["labels"]] == ["qa", "release"]
        assert [a["login"] for a in issue["assignees"]] == ["octocat"]
        assert issue["milestone"]["title"] == "Release 2.0"


def test_flags_override_the_config_file(fake_github: FakeGitHub, checkout: Path) -> None:
    fake_github.add_milestone(REPO, "Release 2.0")
    code, err = generate(
        fake_github,
        "docs/plan.md",
        "--label",
        "smoke,nightly",
        "--title-template",
        "[Test] {text}",
        "--no-sub-issues",
    )
    assert code == 0, err
    (issue,) = [i for i in fake_github.issues(REPO) if i["title"] == "[Test] first"]
    assert [label["name"] for label in issue["labels"]] == ["smoke", "nightly"]
    assert issue["milestone"]["title"] == "Release 2.0"  # no flag for it: the file's


def test_a_broken_config_file_is_one_line_and_exit_2(
    fake_github: FakeGitHub, checkout: Path
) -> None:
    (checkout / ".checklist-sync.toml").write_text("labels = 3\n")
    code, err = generate(fake_github, "docs/plan.md")
    config = checkout / ".checklist-sync.toml"
    assert (code, err) == (2, f"error: {config}: labels must be a list of label names, not 3\n")
    assert fake_github.requests == []


def test_label_a_comma_b_is_two_labels(fake_github: FakeGitHub, tmp_path: Path) -> None:
    os.chdir(tmp_path)
    Path("plan.md").write_text("- [ ] one\n")
    code, err = generate(fake_github, "plan.md", "--label", "qa,needs review", "--label", "x")
    assert code == 0, err
    (issue,) = [i for i in fake_github.issues(REPO) if i["title"] == "[Test] one"]
    assert [label["name"] for label in issue["labels"]] == ["qa", "needs review", "x"]


# ---------------------------------------------------------------------------
# Ctrl-C


@pytest.mark.parametrize("script", ["generate_issues.py", "sync_checklist.py"])
def test_ctrl_c_exits_130_with_one_line(
    fake_github: FakeGitHub, tmp_path: Path, script: str
) -> None:
    plan = tmp_path / "plan.md"
    plan.write_text("- [ ] one\n- [ ] two\n- [ ] linked (#1)\n")
    fake_github.create_issue(REPO, "linked")
    fake_github.latency = 0.5  # every answer takes a while: the interrupt lands mid-request
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_ENV}
    env.update(fake_github.env(), CHECKLIST_WRITE_INTERVAL="0")
    process = subprocess.Popen(
        [sys.executable, str(ROOT / script), str(plan), "--json"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # as a terminal's foreground job has it, even when pytest itself runs in the background
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 30
        while not fake_github.requests and time.monotonic() < deadline:
            time.sleep(0.02)
        assert fake_github.requests, "the script made no request"
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130, err
    assert err.splitlines()[-1] == (
        "error: interrupted: rerun to finish (nothing is half-written, and a rerun never "
        "duplicates)"
    )
    assert "Traceback" not in err and "API requests" not in err
    assert out.startswith("{") and '"exit_code": 130' in out
