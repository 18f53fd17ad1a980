"""Shared fixtures: a fake GitHub server per test and a PyGithub client pointed at it.

The fake binds 127.0.0.1 on a free port, so tests never reach the internet.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result
from github import Auth, Github

import github_api
from tests.fake_github import FakeGitHub

# Settings the scripts read from the environment. CI may set any of them; a test sees only
# what it passes itself.
SETTINGS_ENV = (
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "GITHUB_REPOSITORY",
    "GITHUB_API_URL",
    "GITHUB_ACTIONS",
    "GITHUB_EVENT_PATH",
    "GITHUB_EVENT_NAME",
    "GITHUB_STEP_SUMMARY",
    "CHECKLIST_WRITE_INTERVAL",
    # server mode and GitHub App auth
    "GITHUB_APP_ID",
    "GITHUB_APP_PRIVATE_KEY",
    "GITHUB_APP_PRIVATE_KEY_FILE",
    "CHECKLIST_WEBHOOK_SECRET",
    "CHECKLIST_UI_PASSWORD",
)


@pytest.fixture(scope="session")
def _logged_out_gh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A `gh` that is not logged in: the scripts fall back to `gh auth token`, and a
    developer's own login must never reach a test."""
    folder = tmp_path_factory.mktemp("bin")
    gh = folder / "gh"
    gh.write_text("#!/bin/sh\necho 'You are not logged into any GitHub hosts.' >&2\nexit 1\n")
    gh.chmod(0o755)
    return folder


@pytest.fixture(autouse=True)
def _no_outside_settings(monkeypatch: pytest.MonkeyPatch, _logged_out_gh: Path) -> None:
    for name in SETTINGS_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PATH", f"{_logged_out_gh}{os.pathsep}{os.environ.get('PATH', '')}")


@pytest.fixture
def fake_github() -> Iterator[FakeGitHub]:
    """A running fake with the repository octo/plan; `fake_github.env()` points a CLI at it."""
    fake = FakeGitHub()
    try:
        fake.start()
        fake.add_repo("octo/plan")
        yield fake
    finally:
        fake.stop()


def pygithub_client(fake: FakeGitHub, *, token: str | None = None, **options: object) -> Github:
    """PyGithub against the fake, without its default pacing (0.25 s per request, 1 s per write)
    and without its default retries (which re-send a POST after a 5xx or a dropped connection)."""
    settings: dict[str, object] = {
        "retry": None,
        "seconds_between_requests": None,
        "seconds_between_writes": None,
        "per_page": 100,
        **options,
    }
    return Github(auth=Auth.Token(token or fake.token), base_url=fake.url, **settings)  # type: ignore[arg-type]


@pytest.fixture
def github_client(fake_github: FakeGitHub) -> Iterator[Github]:
    client = pygithub_client(fake_github)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The test's own working directory, and retries that back off for a millisecond."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(github_api, "BACKOFF", 0.001)


def run_cli(
    command: Any,
    *args: object,
    fake: FakeGitHub | None = None,
    env: dict[str, str | None] | None = None,
    secrets: Iterable[str] = (),
) -> Result:
    """Run a command (a click command, or a script module with `main`) in-process as a user
    would, against `fake` when given, with write pacing off unless `env` says otherwise.
    No run may leak a token (the fake's, one in `env`, or `secrets`) or end in a traceback.
    """
    full_env: dict[str, str | None] = {"CHECKLIST_WRITE_INTERVAL": "0"}
    if fake is not None:
        full_env.update(fake.env())
    full_env.update(env or {})
    main = command if isinstance(command, click.Command) else command.main
    result = CliRunner().invoke(main, [str(arg) for arg in args], env=full_env)
    tokens = {value for name, value in full_env.items() if name.endswith("TOKEN") and value}
    assert_clean(result, tokens | set(secrets) | ({fake.token} if fake else set()))
    return result


def assert_clean(result: Result, secrets: set[str], *, crash: bool = False) -> None:
    """No token and no traceback in any output; only expected exits (`crash`: any exit)."""
    for stream in (result.output, result.stdout, result.stderr, str(result.exception or "")):
        assert "Traceback" not in stream
        for secret in secrets:
            assert secret not in stream
    if not crash:
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            repr(result.exception),
            result.output,
        )
