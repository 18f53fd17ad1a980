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
from click.testing import CliRunner

import checklist_version
import generate_issues
import github_api as ga
import sync_checklist
from report import Reporter, unified_diff, write_step_summary

ROOT = Path(__file__).resolve().parent.parent


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
        "issue": 4,
    }
    assert "tok-123456" not in out + err
    assert err.splitlines()[-1] == (
        "3 items: 1 created, 0 adopted, 0 checked, 0 unchecked, 1 skipped, 0 warnings; "
        "7 API requests, rate limit left 4990"
    )


def test_quiet_shows_errors_only(capsys: pytest.CaptureFixture[str]) -> None:
    reporter = Reporter(quiet=True)
    reporter.change("created", "created #1")
    reporter.warn("careful")
    reporter.fail("broken")
    reporter.summary(requests=1, rate_limit_remaining=None)
    out, err = capsys.readouterr()
    assert (out, err) == ("", "error: broken\n")
    assert reporter.exit_code == 1


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
            env={**os.environ, "PYTHONPATH": str(target)},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert (done.returncode, done.stdout) == (0, f"{name} {checklist_version.__version__}\n")
