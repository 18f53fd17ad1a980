"""The hand-started fake GitHub (`python -m tests.fake_github`), its `admin` command, and the
README's "Try it against a fake GitHub" walkthrough run exactly as written.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
REPO = "octo/plan"


class Served:
    def __init__(self, process: subprocess.Popen[str], exports: dict[str, str]) -> None:
        self.process = process
        self.exports = exports

    def env(self, **extra: str) -> dict[str, str]:
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", "/tmp"),
            "PYTHONPATH": str(ROOT),
            **self.exports,
            **extra,
        }

    def get(self, path: str) -> requests.Response:
        return requests.get(
            self.exports["GITHUB_API_URL"] + path,
            headers={"Authorization": f"Bearer {self.exports['GITHUB_TOKEN']}"},
            timeout=5,
        )


def start_fake(*args: str) -> Served:
    # its own session: a signal meant for the test run (Ctrl-C on pytest) does not reach it,
    # and it never depends on the SIGINT disposition of a background job (`pytest &`)
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fake_github", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        start_new_session=True,
    )
    exports: dict[str, str] = {}
    assert process.stdout is not None
    for line in process.stdout:
        if match := re.match(r"export (\w+)=(\S+)", line):
            exports[match[1]] = match[2]
        if "Ctrl-C" in line:
            break
    return Served(process, exports)


@pytest.fixture
def served() -> Iterator[Served]:
    fake = start_fake("--port", "0", "--quiet")
    try:
        yield fake
    finally:
        if fake.process.poll() is None:
            fake.process.kill()
            fake.process.wait()


def test_command_line_prints_exports_and_stops_on_sigterm(served: Served) -> None:
    assert served.exports["GITHUB_REPOSITORY"] == REPO
    assert served.exports["CHECKLIST_WRITE_INTERVAL"] == "0"
    assert served.get("/repos/octo/plan").json()["full_name"] == REPO
    # SIGTERM, not SIGINT: a background job ignores SIGINT, so the old test hung under `pytest &`
    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(timeout=10) == 0


def test_command_line_stops_on_ctrl_c() -> None:
    # a terminal's Ctrl-C, with SIGINT handled as in a foreground shell
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fake_github", "--port", "0", "--quiet"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if "Ctrl-C" in line:
                break
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def admin(served: Served, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tests.fake_github", "admin", *args],
        cwd=ROOT,
        env=served.env(**env),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def create_issue(served: Served, title: str) -> int:
    answer = requests.post(
        served.exports["GITHUB_API_URL"] + "/repos/octo/plan/issues",
        headers={"Authorization": f"Bearer {served.exports['GITHUB_TOKEN']}"},
        json={"title": title},
        timeout=5,
    )
    return int(answer.json()["number"])


def test_admin_closes_merges_reopens_transfers_and_deletes(served: Served) -> None:
    for title in ("one", "two", "three", "four"):
        create_issue(served, title)

    done = admin(served, "close", "1", "--reason", "not_planned")
    assert (done.returncode, done.stdout, done.stderr) == (
        0,
        "closed octo/plan#1 as not planned\n",
        "",
    )
    assert served.get("/repos/octo/plan/issues/1").json()["state_reason"] == "not_planned"

    done = admin(served, "merge-pr", "--closes", "2")
    assert done.stdout == "merged pull request octo/plan#5 (Closes #2)\n", done.stderr
    issue = served.get("/repos/octo/plan/issues/2").json()
    assert (issue["state"], issue["state_reason"]) == ("closed", "completed")
    pull = served.get("/repos/octo/plan/pulls/5").json()
    assert pull["merged"] is True and pull["body"] == "Closes #2"

    assert admin(served, "reopen", "2").stdout == "reopened octo/plan#2\n"
    assert served.get("/repos/octo/plan/issues/2").json()["state"] == "open"

    done = admin(served, "transfer", "3", "--to", "octo/elsewhere")
    assert done.stdout == "transferred octo/plan#3 to octo/elsewhere#1\n", done.stderr
    assert served.get("/repos/octo/elsewhere/issues/1").json()["title"] == "three"

    assert admin(served, "delete", "4").stdout == "deleted octo/plan#4\n"
    assert served.get("/repos/octo/plan/issues/4").status_code == 410
    # admin actions are a person's, not API requests: the log and rate limit do not see them
    assert served.get("/rate_limit").json()["resources"]["core"]["remaining"] == 4990


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["close", "99"], {}, "error: octo/plan#99 does not exist\n"),
        (["reopen", "1"], {}, "error: #1 is not closed\n"),
        (["close", "1"], {"GITHUB_TOKEN": "wrong"}, "error: Bad credentials\n"),
        (
            ["close", "1"],
            {"GITHUB_API_URL": ""},
            "error: GITHUB_API_URL and GITHUB_TOKEN are not set: paste the export lines the "
            "fake printed into this shell\n",
        ),
    ],
)
def test_admin_errors_are_one_line(
    served: Served, args: list[str], env: dict[str, str], message: str
) -> None:
    create_issue(served, "one")

    done = admin(served, *args, **env)

    assert (done.returncode, done.stdout, done.stderr) == (2, "", message)


def test_admin_without_a_running_fake_says_how_to_start_it(served: Served) -> None:
    done = admin(served, "close", "1", GITHUB_API_URL="http://127.0.0.1:9")
    assert done.returncode == 2
    assert done.stderr.startswith("error: no fake GitHub answers at http://127.0.0.1:9 (")
    assert done.stderr.endswith(
        "start it with `python3 -m tests.fake_github` in another terminal\n"
    )


def test_the_admin_endpoint_is_off_in_the_test_fake(fake_github) -> None:
    answer = requests.post(
        fake_github.url + "/_fake/admin",
        headers={"Authorization": f"Bearer {fake_github.token}"},
        json={"action": "close", "repo": REPO, "number": 1},
        timeout=5,
    )
    assert answer.status_code == 404


# ---------------------------------------------------------------------------
# The README walkthrough, command by command


def walkthrough() -> tuple[list[str], list[str]]:
    """The server command and the second terminal's commands, as the README gives them."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Try it against a fake GitHub", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, re.S)
    assert len(blocks) == 2, blocks
    server, commands = (block.strip().splitlines() for block in blocks)
    return server, commands


def test_readme_walkthrough_runs_as_written(tmp_path: Path) -> None:
    server, commands = walkthrough()
    assert server == ["python3 -m tests.fake_github --port 8765"]
    copy = commands[0]
    assert copy == "cp examples/test-plan.md /tmp/test-plan.md"  # a copy, never the example
    example = (ROOT / "examples" / "test-plan.md").read_bytes()
    plan = tmp_path / "test-plan.md"
    # any free port instead of 8765, and the plan in this test's directory instead of /tmp
    served = start_fake("--port", "0", "--quiet")
    first_sync = ""
    try:
        codes = []
        for command in commands:
            argv = shlex.split(command.replace("/tmp/test-plan.md", str(plan)))
            if argv[0] == "python3":
                argv[0] = sys.executable
            done = subprocess.run(
                argv, cwd=ROOT, env=served.env(), capture_output=True, text=True, timeout=120
            )
            assert "Traceback" not in done.stderr, command + "\n" + done.stderr
            codes.append(done.returncode)
            if command.startswith("python3 sync_checklist.py") and not first_sync:
                first_sync = plan.read_text()
        assert codes == [0, 0, 0, 0, 0, 0, 0, 1], list(zip(commands, codes, strict=True))
    finally:
        served.process.send_signal(signal.SIGTERM)
        served.process.wait(timeout=10)
    html = "https://github.com/octo/plan"
    assert (
        f"- [x] DataLoader.get_data_ctime parses date-named directories ([#2]({html}/issues/2)) "
        f"([PR #9]({html}/pull/9))\n"
    ) in first_sync, first_sync
    assert "- [ ] DataLoader rejects a directory with no date ([#3](" in first_sync
    assert "/issues/3)) (not planned)\n" in first_sync
    final = plan.read_text()
    assert "- [ ] DataLoader.get_data_ctime parses date-named directories ([#2](" in final
    assert "/issues/2))\n" in final  # reopened: the box and the PR annotation are gone
    assert (ROOT / "examples" / "test-plan.md").read_bytes() == example
