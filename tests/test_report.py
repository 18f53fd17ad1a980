"""Output: diffs, JSON summary, exit status, redaction; and the README's generated --help."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

import checklist_version
import generate_issues
import github_api as ga
import sync_checklist
from report import (
    GENERATE_COUNTS,
    SYNC_COUNTS,
    Reporter,
    annotation,
    unified_diff,
    write_step_summary,
)
from tests.fake_github import FakeGitHub

ROOT = Path(__file__).resolve().parent.parent
REPO = "octo/plan"
HTML = f"https://github.com/{REPO}"


def test_unified_diff_shows_changed_lines_and_missing_newline() -> None:
    diff = unified_diff("- [ ] a\r\n- [ ] b", "- [x] a\r\n- [ ] b", "plan.md")
    assert diff.splitlines() == [
        "--- a/plan.md",
        "+++ b/plan.md",
        "@@ -1,2 +1,2 @@",
        "-- [ ] a",
        "+- [x] a",
        " - [ ] b",
        "\\ No newline at end of file",
    ]
    assert unified_diff("same", "same", "x") == ""


def test_summary_json_and_exit_status(capsys: pytest.CaptureFixture[str]) -> None:
    ga.register_secret("tok-123456")
    reporter = Reporter(json_mode=True)
    reporter.counts["items"] = 3
    reporter.change("created", "created #4 with tok-123456 inside", issue=4)
    assert reporter.exit_code == 0
    reporter.skip("line 2: ambiguous")
    assert reporter.exit_code == 1
    reporter.summary(requests=7, rate_limit_remaining=4990)
    out, err = capsys.readouterr()
    payload = json.loads(out)
    assert payload["items"] == 3
    assert payload["created"] == 1
    assert payload["skipped"] == 1
    assert payload["requests"] == 7
    assert payload["rate_limit_remaining"] == 4990
    assert payload["changes"][0] == {
        "action": "created",
        "message": "created #4 with *** inside",
        "line": None,
        "issue": 4,
        "pr": None,
    }
    assert payload["exit_code"] == 1 and payload["error"] is None
    assert "tok-123456" not in out + err
    assert err.splitlines()[-1] == (
        "3 items: 1 created, 0 adopted, 1 skipped, 0 warnings; 7 API requests, rate limit left 4990"
    )


def test_quiet_shows_errors_and_warnings_only(capsys: pytest.CaptureFixture[str]) -> None:
    reporter = Reporter(quiet=True)
    reporter.change("created", "created #1")
    reporter.info("found master checklist #1")
    reporter.warn("careful")
    reporter.skip("line 3: ambiguous")
    reporter.fail("broken")
    reporter.summary(requests=1, rate_limit_remaining=None)
    out, err = capsys.readouterr()
    assert (out, err) == ("", "warning: careful\nskipped: line 3: ambiguous\nerror: broken\n")
    assert reporter.exit_code == 1


@pytest.mark.parametrize(
    ("counts", "kinds", "requests", "line"),
    [
        (
            {"items": 1},
            GENERATE_COUNTS,
            1,
            "1 item: 0 created, 0 adopted, 0 skipped, 0 warnings; 1 API request, rate limit left 9",
        ),
        (
            {"items": 2, "warnings": 1},
            GENERATE_COUNTS,
            2,
            "2 items: 0 created, 0 adopted, "
            "0 skipped, 1 warning; 2 API requests, rate limit left 9",
        ),
        (
            {"items": 0, "checked": 1},
            SYNC_COUNTS,
            0,
            "0 items: 1 checked, 0 unchecked, "
            "0 annotated, 0 warnings; 0 API requests, rate limit left 9",
        ),
    ],
)
def test_summary_words_agree_with_numbers(
    counts: dict[str, int], kinds: tuple[str, ...], requests: int, line: str
) -> None:
    reporter = Reporter(summary_counts=kinds)
    reporter.counts.update(counts)
    assert reporter.summary_line(requests, 9, {}) == line


def test_dry_run_summary_counts_what_it_would_create() -> None:
    reporter = Reporter(dry_run=True)
    reporter.counts["items"] = 3
    assert reporter.summary_line(0, None, {"would_create": 2}).startswith(
        "3 items: 2 to create, 0 adopted"
    )


def test_a_fatal_error_prints_its_line_and_no_summary(capsys: pytest.CaptureFixture[str]) -> None:
    reporter = Reporter(json_mode=True)
    reporter.fail("repository octo/nope not found", 2)
    reporter.summary(requests=1, rate_limit_remaining=4999)
    out, err = capsys.readouterr()
    assert err == "error: repository octo/nope not found\n"
    payload = json.loads(out)
    assert (payload["error"], payload["exit_code"]) == ("repository octo/nope not found", 2)


@pytest.mark.parametrize("json_mode", [False, True])
def test_the_diff_is_data(capsys: pytest.CaptureFixture[str], json_mode: bool) -> None:
    reporter = Reporter(json_mode=json_mode)
    reporter.diff("--- a/x\n+++ b/x\n")
    reporter.summary(requests=0, rate_limit_remaining=None)
    out, err = capsys.readouterr()
    if json_mode:  # stdout holds the one object; the diff is in it, and on stderr for a human
        assert json.loads(out)["diff"] == "--- a/x\n+++ b/x\n"
        assert err.startswith("--- a/x\n+++ b/x\n")
    else:
        assert out == "--- a/x\n+++ b/x\n"
        assert "--- a" not in err


@pytest.mark.parametrize(
    ("actions", "file", "line", "expected"),
    [
        (None, "docs/plan.md", 3, "warning: gone"),
        ("true", "docs/plan.md", 3, "::warning file=docs/plan.md,line=3::gone"),
        ("true", "a,b:c.md", 3, "::warning file=a%2Cb%3Ac.md,line=3::gone"),
        ("true", None, 3, "::warning::gone"),
        ("true", "plan.md", None, "::warning file=plan.md::gone"),
    ],
)
def test_warnings_become_annotations_in_actions(
    monkeypatch: pytest.MonkeyPatch,
    actions: str | None,
    file: str | None,
    line: int | None,
    expected: str,
) -> None:
    if actions:
        monkeypatch.setenv("GITHUB_ACTIONS", actions)
    assert annotation("warning", "gone", file, line) == expected
    assert annotation("warning", "50% done\nnext", None, None).endswith(
        "50%25 done%0Anext" if actions else "50% done\nnext"
    )


def test_step_summary_appends(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "summary.md"
    target.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(target))
    write_step_summary("| a |")
    assert target.read_text() == "earlier step\n| a |\n"


def test_readme_help_is_current() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cogapp", "--check", "README.md"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, (
        "README's --help blocks are stale: run `python -m cogapp -r README.md`\n" + result.stderr
    )


def test_readme_setup_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    setup = readme.split("## Set up", 1)[1].split("\n## ", 1)[0]
    # the venv comes first: a bare pip install fails on Debian and Ubuntu
    assert setup.index("python3 -m venv .venv && . .venv/bin/activate") < setup.index("-m pip")
    assert "Python 3.11 or newer" in setup
    assert "`checklist-generate`" in setup and "`checklist-sync`" in setup
    assert (
        "python3 -m pip install -r requirements.txt && "
        "python3 generate_issues.py examples/test-plan.md --dry-run"
    ) in readme
    assert "python3 -m pip install -r requirements-dev.txt && python3 -m pytest" in readme


def test_readme_first_command_runs_offline(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, str(ROOT / "generate_issues.py"), "examples/test-plan.md", "--dry-run"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "duplicate check skipped" in result.stderr
    assert result.stderr.count("would create '[Test] ") == 7


def test_an_unwritable_step_summary_is_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "missing-dir" / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(target))
    assert write_step_summary("| a |") == (
        f"cannot write the job summary to {target}: No such file or directory"
    )


# ---------------------------------------------------------------------------
# Set-up: the Python it needs, the installed commands


@pytest.mark.parametrize(
    ("version", "problem"),
    [
        ((3, 11, 0, "final", 0), None),
        ((3, 13, 1, "final", 0), None),
        ((4, 0, 0, "final", 0), None),
        ((3, 10, 12, "final", 0), "3.10.12"),
        ((3, 8, 18, "final", 0), "3.8.18"),
        ((2, 7, 18, "final", 0), "2.7.18"),
    ],
)
def test_python_problem(version: tuple[int, ...], problem: str | None) -> None:
    message = checklist_version.python_problem(version)
    if problem is None:
        assert message is None
    else:
        assert message == (
            f"error: checklist-sync requires Python 3.11 or newer (this is Python {problem}): "
            "run it with python3.11 or later, e.g. in a venv made by that Python"
        )


def test_require_python_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        checklist_version.require_python((3, 10, 4, "final", 0))
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.count("\n") == 1
    checklist_version.require_python()  # this Python passes


# Ubuntu 22.04's default: the scripts' own syntax is 3.10's, so it reaches the version check
OLD_PYTHONS = sorted(Path("/root/.pyenv/versions").glob("3.10*/bin/python3"))


@pytest.mark.skipif(not OLD_PYTHONS, reason="no Python older than 3.11 on this machine")
@pytest.mark.parametrize("script", ["generate_issues.py", "sync_checklist.py"])
def test_an_older_python_gets_one_line_and_exit_2(script: str) -> None:
    for python in OLD_PYTHONS:
        done = subprocess.run(
            [str(python), script, "examples/test-plan.md", "--dry-run"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2, done.stderr
        assert done.stdout == ""
        assert len(done.stderr.splitlines()) == 1, done.stderr
        assert "requires Python 3.11 or newer" in done.stderr


@pytest.mark.parametrize(
    ("command", "name"),
    [(generate_issues.main, "checklist-generate"), (sync_checklist.main, "checklist-sync")],
)
def test_version_and_shell_completion(command: click.Command, name: str) -> None:
    runner = CliRunner()
    done = runner.invoke(command, ["--version"], prog_name=name)
    assert (done.exit_code, done.output) == (0, f"{name} {checklist_version.__version__}\n")
    var = "_" + name.upper().replace("-", "_") + "_COMPLETE"
    done = runner.invoke(command, [], prog_name=name, env={var: "bash_source"})
    assert done.exit_code == 0
    assert f"complete -o nosort -F _{name.replace('-', '_')}_completion {name}" in done.output


PRODUCT = sorted(
    p.stem for p in ROOT.glob("*.py") if p.name != "conftest.py"
)  # every top-level module is the product's; bench/ and tests/ are not


def test_pyproject_installs_the_product_and_two_commands() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert sorted(project["tool"]["setuptools"]["py-modules"]) == PRODUCT
    assert project["project"]["scripts"] == {
        "checklist-generate": "generate_issues:main",
        "checklist-sync": "sync_checklist:main",
    }
    assert project["project"]["requires-python"] == ">=3.11"
    runtime = (ROOT / "requirements.txt").read_text().splitlines()
    assert sorted(project["project"]["dependencies"]) == sorted(
        line for line in runtime if line and not line.startswith("#")
    )
    assert sorted(project["tool"]["coverage"]["run"]["source"]) == PRODUCT


def test_the_built_wheel_holds_the_modules_and_its_commands_run(tmp_path: Path) -> None:
    source = tmp_path / "src"
    # a copy: building writes build/ and *.egg-info next to pyproject.toml
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".git", "*.egg-info", "build"))
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    dist = str(tmp_path / "dist")
    built = subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-qw", dist, source],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = (tmp_path / "dist").glob("checklist_sync-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert sorted(n[:-3] for n in names if "/" not in n) == PRODUCT  # no bench/, no tests/
    target = tmp_path / "site"
    installed = subprocess.run(
        [*pip, "install", "--no-deps", "--no-index", "-q", "--target", str(target), str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    for name in ("checklist-generate", "checklist-sync"):
        done = subprocess.run(
            [str(target / "bin" / name), "--version"],
            cwd=tmp_path,
            # not measured: coverage would record the installed copies, gone after the test
            env={
                **{k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")},
                "PYTHONPATH": str(target),
            },
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert (done.returncode, done.stdout) == (0, f"{name} {checklist_version.__version__}\n")


# ---------------------------------------------------------------------------
# Output of the commands, against the fake


def run_cli(command: click.Command, fake: FakeGitHub | None, *args: str, **env: str) -> Result:
    base = {**fake.env(), "CHECKLIST_WRITE_INTERVAL": "0"} if fake else {}
    result = CliRunner().invoke(command, list(args), env={**base, **env})
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output
    return result


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "plan.md").write_text("# Plan\n- [ ] one\n- [ ] two\n")
    return tmp_path


@pytest.mark.parametrize("command", [generate_issues.main, sync_checklist.main])
def test_a_fatal_error_is_one_line_with_no_summary(
    fake_github: FakeGitHub, in_tmp: Path, command: click.Command
) -> None:
    result = run_cli(command, fake_github, "plan.md", "--repo", "octo/nope")
    assert result.exit_code == 2
    assert result.stdout == ""
    # its one line ends the output: no summary of zeros after it
    assert result.stderr.splitlines()[-1].startswith("error: repository octo/nope not found")
    assert "API request" not in result.stderr
    assert result.stderr.count("\n") == (1 if command is generate_issues.main else 2)

    result = run_cli(command, fake_github, "plan.md", "--repo", "octo/nope", "--json")
    payload = json.loads(result.stdout)  # one object, and nothing else
    assert payload["exit_code"] == 2 and payload["error"].startswith("repository octo/nope")


@pytest.mark.parametrize("command", [generate_issues.main, sync_checklist.main])
@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--bogus"], "No such option '--bogus'"),
        (["--write-interval", "soon"], "Invalid value for '--write-interval': 'soon' is not a "),
        ([], "pass a PLAN file or --master-issue N"),
        (["plan.md"], "no GitHub token: "),  # before any run: no token at all
        (["missing.md"], "plan missing.md not found: check the path"),
    ],
)
def test_json_is_one_object_for_every_exit_2_error(
    in_tmp: Path, command: click.Command, args: list[str], error: str
) -> None:
    result = run_cli(command, None, *args, "--json")
    assert result.exit_code == 2, result.output
    payload = json.loads(result.stdout)
    assert payload["exit_code"] == 2
    assert payload["error"].startswith(error), payload


def test_a_dry_run_lists_what_it_would_create(fake_github: FakeGitHub, in_tmp: Path) -> None:
    result = run_cli(generate_issues.main, fake_github, "plan.md", "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    would = [(c["line"], c["title"]) for c in payload["changes"] if c["action"] == "would_create"]
    # the lines the real run reports: the binding line it writes first included
    assert would == [(3, "[Test] one"), (4, "[Test] two")]
    assert (payload["dry_run"], payload["out_of_sync"], payload["repo"]) == (True, True, REPO)
    assert payload["diff"].startswith("--- a/plan.md\n")
    assert [r.method for r in fake_github.requests if r.method != "GET"] == []


def test_sync_status_prints_the_table_and_writes_nothing(
    fake_github: FakeGitHub, in_tmp: Path
) -> None:
    assert run_cli(generate_issues.main, fake_github, "plan.md").exit_code == 0
    fake_github.create_pull(REPO, "Fix", "Closes #2", head="fix")
    fake_github.merge_pull(REPO, 4)
    before = (in_tmp / "plan.md").read_text()
    body = fake_github.issue(REPO, 1)["body"]
    fake_github.reset_log()

    result = run_cli(sync_checklist.main, fake_github, "plan.md", "--status")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:4] == [
        f"### Checklist progress: `plan.md`, master issue [#1]({HTML}/issues/1)",
        "",
        "| Status | Items | Share |",
        "| --- | ---: | ---: |",
    ]
    assert "| Done | 1 | 50% |" in result.stdout and "| Open | 1 | 50% |" in result.stdout
    assert f"| one | [#2]({HTML}/issues/2) | done | [PR #4]({HTML}/pull/4) |" in result.stdout
    assert "checked line" not in result.stderr  # an overview, not a run
    assert [r for r in fake_github.requests if r.method != "GET" and r.path != "/graphql"] == []
    assert (in_tmp / "plan.md").read_text() == before
    assert fake_github.issue(REPO, 1)["body"] == body


def test_an_orphan_is_reported_in_one_line_and_never_closed(
    fake_github: FakeGitHub, in_tmp: Path
) -> None:
    assert run_cli(generate_issues.main, fake_github, "plan.md").exit_code == 0
    plan = in_tmp / "plan.md"
    # `two` leaves the plan, `three` arrives: the rerun lists the repository's issues anyway
    kept = [line for line in plan.read_text().splitlines() if "- [ ]" not in line]
    plan.write_text("\n".join([*kept, "- [ ] three", ""]))

    result = run_cli(generate_issues.main, fake_github, "plan.md", "--json")

    assert result.exit_code == 0, result.output
    orphans = [line for line in result.stderr.splitlines() if line.startswith("orphan:")]
    assert orphans == [
        "orphan: #2 '[Test] one' is open, but its item is no longer in the checklist: close it, "
        "or link it from an item",
        "orphan: #3 '[Test] two' is open, but its item is no longer in the checklist: close it, "
        "or link it from an item",
    ]
    changes = json.loads(result.stdout)["changes"]
    assert [c["issue"] for c in changes if c["action"] == "orphan"] == [2, 3]
    assert fake_github.issue(REPO, 2)["state"] == fake_github.issue(REPO, 3)["state"] == "open"
