"""Shared fixtures: a fake GitHub server per test and a PyGithub client pointed at it.

The fake binds 127.0.0.1 on a free port, so tests never reach the internet.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from github import Auth, Github

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
