"""Output: diffs, JSON summary, exit status, redaction; and the README's generated --help."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import github_api as ga
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
