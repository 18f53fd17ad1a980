"""Settings resolution, plan files and the master issue body: checklist_source.py."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

import checklist_parser as cp
import checklist_source as cs
import github_api
from github_api import ConfigError


@pytest.fixture
def no_git(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cs, "_git_origin", lambda cwd: None)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://github.com/octo/plan.git", ("github.com", "octo/plan")),
        ("https://github.com/octo/plan", ("github.com", "octo/plan")),
        ("git@github.com:octo/plan.git", ("github.com", "octo/plan")),
        ("ssh://git@ghe.example.com:2222/team/tool.git", ("ghe.example.com", "team/tool")),
        ("https://user@ghe.example.com/team/tool/", ("ghe.example.com", "team/tool")),
        ("/local/path/repo", None),
    ],
)
def test_parse_remote(url: str, expected: tuple[str, str] | None) -> None:
    assert cs.parse_remote(url) == expected


def test_settings_precedence_flag_env_dotenv_binding(tmp_path: Path, no_git: None) -> None:
    (tmp_path / ".env").write_text(
        "GITHUB_TOKEN=from-dotenv\nGITHUB_REPOSITORY=dot/env\nCHECKLIST_WRITE_INTERVAL=0.5\n"
    )
    binding = "https://github.com/bound/repo/issues/4"
    resolve = cs.resolve_settings
    env = {"GITHUB_REPOSITORY": "env/repo"}
    s = resolve(
        repo_flag="flag/repo",
        binding=binding,
        write_interval_flag=None,
        need_token=True,
        cwd=tmp_path,
        environ=env,
    )
    assert (s.repo, s.token, s.write_interval) == ("flag/repo", "from-dotenv", 0.5)
    s = resolve(
        repo_flag=None,
        binding=binding,
        write_interval_flag=2,
        need_token=True,
        cwd=tmp_path,
        environ={**env, "GH_TOKEN": "from-env"},
    )
    assert (s.repo, s.token, s.write_interval) == ("env/repo", "from-env", 2)
    (tmp_path / ".env").write_text("GITHUB_TOKEN=t\n")
    s = resolve(
        repo_flag=None,
        binding=binding,
        write_interval_flag=None,
        need_token=True,
        cwd=tmp_path,
        environ={},
    )
    assert (s.repo, s.api_url, s.write_interval) == ("bound/repo", "https://api.github.com", 1.0)


ATTACKER = "https://evil.example/acme/widgets/issues/1"


def _git_checkout(path: Path, origin: str | None = None) -> None:
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    if origin:
        subprocess.run(["git", "-C", str(path), "remote", "add", "origin", origin], check=True)


def _resolve(tmp_path: Path, environ: dict, **kwargs: object) -> cs.Settings:
    options: dict = {"repo_flag": None, "binding": None, "write_interval_flag": None}
    options.update(kwargs)
    return cs.resolve_settings(need_token=True, cwd=tmp_path, environ=environ, **options)


@pytest.mark.parametrize(
    ("environ", "kwargs", "api_url"),
    [
        # the user names the host: the environment, the host in --repo
        (
            {"GITHUB_API_URL": "https://ghe.example.com/api/v3/"},
            {},
            "https://ghe.example.com/api/v3",
        ),
        ({}, {"repo_flag": "ghe.example.com/team/tool"}, "https://ghe.example.com/api/v3"),
        (
            {},
            {"repo_flag": "https://ghe.example.com/team/tool.git"},
            "https://ghe.example.com/api/v3",
        ),
        ({}, {"repo_flag": "github.com/team/tool"}, "https://api.github.com"),
        # a binding on the host the user named is fine
        (
            {"GITHUB_API_URL": "https://ghe.example.com/api/v3"},
            {"binding": "https://ghe.example.com/team/tool/issues/9"},
            "https://ghe.example.com/api/v3",
        ),
        ({}, {"binding": "https://github.com/team/tool/issues/9"}, "https://api.github.com"),
    ],
)
def test_the_api_host_is_one_the_user_named(
    tmp_path: Path, no_git: None, environ: dict, kwargs: dict, api_url: str
) -> None:
    s = _resolve(
        tmp_path, {"GITHUB_TOKEN": "t", "GITHUB_REPOSITORY": "team/tool", **environ}, **kwargs
    )
    assert s.api_url == api_url


@pytest.mark.parametrize(
    "kwargs",
    [
        {"binding": ATTACKER},
        # --repo names the repository, not the host: the binding still may not pick one
        {"binding": ATTACKER, "repo_flag": "acme/widgets"},
        {"binding": "https://ghe.example.com/team/tool/issues/9"},
    ],
)
def test_a_binding_never_sends_the_token_to_its_host(
    tmp_path: Path, no_git: None, kwargs: dict
) -> None:
    host = kwargs["binding"].split("/")[2]
    with pytest.raises(ConfigError) as excinfo:
        _resolve(tmp_path, {"GITHUB_TOKEN": "t"}, **kwargs)
    assert excinfo.value.exit_code == 2
    assert excinfo.value.format_message() == (
        f"the plan is bound to an issue on {host}, but the token goes only to a host you name "
        f"(github.com here): if {host} is yours, set GITHUB_API_URL=https://{host}/api/v3"
    )


def test_the_origin_of_the_users_checkout_names_the_host(tmp_path: Path) -> None:
    _git_checkout(tmp_path, "git@ghe.example.com:team/tool.git")
    binding = "https://ghe.example.com/team/tool/issues/9"
    s = _resolve(tmp_path, {"GITHUB_TOKEN": "t"}, binding=binding)
    assert (s.repo, s.api_url) == ("team/tool", "https://ghe.example.com/api/v3")
    # an origin on github.com does not make another host's binding trusted
    other = tmp_path / "other"
    _git_checkout(other, "git@github.com:acme/widgets.git")
    with pytest.raises(ConfigError, match=r"bound to an issue on evil\.example"):
        _resolve(other, {"GITHUB_TOKEN": "t"}, binding=ATTACKER)


def test_a_committed_env_file_does_not_choose_the_host(tmp_path: Path) -> None:
    _git_checkout(tmp_path, "git@github.com:acme/widgets.git")
    dotenv = tmp_path / ".env"
    dotenv.write_text("GITHUB_API_URL=https://evil.example/api/v3\n")
    subprocess.run(["git", "-C", str(tmp_path), "add", ".env"], check=True)
    with pytest.raises(ConfigError) as excinfo:
        _resolve(tmp_path, {"GITHUB_TOKEN": "t"})
    assert excinfo.value.format_message() == (
        f"GITHUB_API_URL in {dotenv} is not followed: git tracks that file, so it is the "
        "repository's content, not your configuration. Export GITHUB_API_URL yourself, or keep "
        ".env out of git"
    )
    subprocess.run(["git", "-C", str(tmp_path), "rm", "-q", "--cached", ".env"], check=True)
    assert _resolve(tmp_path, {"GITHUB_TOKEN": "t"}).api_url == "https://evil.example/api/v3"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("octo/plan", (None, "octo/plan")),
        ("ghe.example.com/octo/plan", ("ghe.example.com", "octo/plan")),
        ("https://github.com/octo/plan", ("github.com", "octo/plan")),
        ("https://github.com/octo/plan.git", ("github.com", "octo/plan")),
        ("git@ghe.example.com:octo/plan.git", ("ghe.example.com", "octo/plan")),
        (" octo/plan ", (None, "octo/plan")),
    ],
)
def test_repo_flag_forms(value: str, expected: tuple) -> None:
    assert cs.parse_repo_arg(value) == expected


@pytest.mark.parametrize(
    ("environ", "token", "source"),
    [
        ({"GITHUB_TOKEN": "ghp_tok\n"}, "ghp_tok", "GITHUB_TOKEN"),
        ({"GITHUB_TOKEN": "  ghp_tok\r\n"}, "ghp_tok", "GITHUB_TOKEN"),
        # gh's order: GH_TOKEN first
        ({"GITHUB_TOKEN": "second", "GH_TOKEN": "first"}, "first", "GH_TOKEN"),
    ],
)
def test_token_sources(
    tmp_path: Path, no_git: None, environ: dict, token: str, source: str
) -> None:
    s = _resolve(tmp_path, {"GITHUB_REPOSITORY": "a/b", **environ})
    assert (s.token, s.token_source) == (token, source)


def test_a_token_with_inner_white_space_is_refused(tmp_path: Path, no_git: None) -> None:
    with pytest.raises(ConfigError) as excinfo:
        _resolve(tmp_path, {"GITHUB_REPOSITORY": "a/b", "GH_TOKEN": "ghp_one two"})
    assert excinfo.value.format_message() == (
        "the token in GH_TOKEN contains white space: set it to the token alone, on one line"
    )
    assert "ghp_one" not in str(excinfo.value)


def test_dotenv_is_found_above_the_working_directory(tmp_path: Path, no_git: None) -> None:
    (tmp_path / ".env").write_text("GITHUB_TOKEN=from-parent\n")
    inner = tmp_path / "docs" / "plans"
    inner.mkdir(parents=True)
    s = _resolve(inner, {"GITHUB_REPOSITORY": "a/b"})
    assert (s.token, s.token_source) == ("from-parent", f"GITHUB_TOKEN in {tmp_path / '.env'}")


def test_a_logged_in_gh_gives_its_token(
    tmp_path: Path, no_git: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "bin"
    folder.mkdir()
    gh = folder / "gh"
    gh.write_text('#!/bin/sh\n[ "$*" = "auth token --hostname ghe.example.com" ] && echo gho_x\n')
    gh.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    s = _resolve(
        tmp_path, {"GITHUB_REPOSITORY": "a/b", "GITHUB_API_URL": "https://ghe.example.com/api/v3"}
    )
    assert (s.token, s.token_source) == ("gho_x", "the token of `gh auth login`")


@pytest.mark.parametrize("value", ["127.0.0.1:8766", "ghe.example.com", "ftp://x/api"])
def test_an_api_url_without_a_scheme_is_a_configuration_error(
    tmp_path: Path, no_git: None, value: str
) -> None:
    with pytest.raises(ConfigError) as excinfo:
        _resolve(
            tmp_path, {"GITHUB_TOKEN": "t", "GITHUB_REPOSITORY": "a/b", "GITHUB_API_URL": value}
        )
    assert excinfo.value.format_message() == (
        f"GITHUB_API_URL {value!r} is not an http(s) URL: write it with its scheme, for example "
        "https://HOST/api/v3 (GitHub Enterprise) or http://127.0.0.1:PORT (a local fake)"
    )


def test_repository_from_git_origin(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(
        ["git", "-C", str(tmp_path), "remote", "add", "origin", "git@github.com:org/proj.git"],
        check=True,
    )
    s = cs.resolve_settings(
        repo_flag=None,
        binding=None,
        write_interval_flag=None,
        need_token=True,
        cwd=tmp_path,
        environ={"GITHUB_TOKEN": "t"},
    )
    assert s.repo == "org/proj"


@pytest.mark.parametrize(
    ("kwargs", "environ", "message"),
    [
        (
            {"need_token": True},
            {"GITHUB_REPOSITORY": "a/b"},
            "no GitHub token: set GH_TOKEN or GITHUB_TOKEN in the environment or in .env (no "
            ".env found), or log in with `gh auth login` (a token with issues read/write access)",
        ),
        (
            {"need_token": True},
            {"GITHUB_TOKEN": "t"},
            "no repository: pass --repo OWNER/REPO, set GITHUB_REPOSITORY, or run inside a git "
            "checkout whose origin is on GitHub",
        ),
        (
            {"need_token": True},
            {"GITHUB_TOKEN": "t", "GITHUB_REPOSITORY": "not a repo"},
            "repository 'not a repo' is not of the form OWNER/REPO",
        ),
        (
            {"need_token": True},
            {"GITHUB_TOKEN": "t", "GITHUB_REPOSITORY": "a/b", "CHECKLIST_WRITE_INTERVAL": "x"},
            "CHECKLIST_WRITE_INTERVAL='x' is not a number of seconds from 0 to 3600",
        ),
        (
            {"need_token": True},
            {"GITHUB_TOKEN": "t", "GITHUB_REPOSITORY": "a/b", "CHECKLIST_WRITE_INTERVAL": "inf"},
            "CHECKLIST_WRITE_INTERVAL='inf' is not a number of seconds from 0 to 3600",
        ),
        (
            {"need_token": True},
            {"GITHUB_TOKEN": "t", "GITHUB_REPOSITORY": "a/b", "CHECKLIST_WRITE_INTERVAL": "nan"},
            "CHECKLIST_WRITE_INTERVAL='nan' is not a number of seconds from 0 to 3600",
        ),
    ],
)
def test_settings_errors(
    tmp_path: Path, no_git: None, kwargs: dict, environ: dict, message: str
) -> None:
    with pytest.raises(ConfigError) as excinfo:
        cs.resolve_settings(
            repo_flag=None,
            binding=None,
            write_interval_flag=None,
            cwd=tmp_path,
            environ=environ,
            **kwargs,
        )
    assert excinfo.value.format_message() == message
    assert excinfo.value.exit_code == 2


def test_offline_preview_needs_no_repository(tmp_path: Path, no_git: None) -> None:
    s = cs.resolve_settings(
        repo_flag=None,
        binding=None,
        write_interval_flag=None,
        need_token=False,
        cwd=tmp_path,
        environ={},
    )
    assert (s.token, s.repo) == (None, None)


# ---------------------------------------------------------------------------
# Plan files


def test_plan_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"plan .*missing.md not found: check the path"):
        cs.PlanFile.read(tmp_path / "missing.md")
    with pytest.raises(ConfigError, match=r"is a directory: pass the plan's Markdown file"):
        cs.PlanFile.read(tmp_path)
    latin = tmp_path / "latin.md"
    latin.write_bytes("- [ ] caf\xe9\n".encode("latin-1"))
    with pytest.raises(ConfigError, match=r"latin.md is not UTF-8 \(byte 9\): re-save it as UTF-8"):
        cs.PlanFile.read(latin)


def test_plan_file_too_large(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cs, "MAX_PLAN_BYTES", 100)
    big = tmp_path / "big.md"
    big.write_text("- [ ] x\n" * 50)
    with pytest.raises(ConfigError, match="split it into several plans"):
        cs.PlanFile.read(big)


def test_atomic_write_keeps_bytes_mode_and_symlink(tmp_path: Path) -> None:
    target = tmp_path / "real.md"
    raw = "\ufeff# Plan\r\n- [ ] a\r\n- [ ] b"
    target.write_bytes(raw.encode("utf-8"))
    os.chmod(target, 0o640)
    link = tmp_path / "link.md"
    link.symlink_to(target)
    plan = cs.PlanFile.read(link)
    assert plan.text == raw  # BOM and CRLF kept, no trailing newline added
    new = cp.apply_edits(plan.text, [cp.Edit(2, checked=True)])
    plan.write(new)
    assert link.is_symlink()
    assert target.read_bytes() == "\ufeff# Plan\r\n- [x] a\r\n- [ ] b".encode()
    assert os.stat(target).st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write a read-only file")
def test_read_only_plan_is_refused(tmp_path: Path) -> None:
    plan_path = tmp_path / "plan.md"
    plan_path.write_text("- [ ] a\n")
    plan_path.chmod(0o444)
    with pytest.raises(ConfigError, match="is not writable"):
        cs.PlanFile.read(plan_path).check_writable()


def test_plan_label_inside_git_checkout(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "docs").mkdir()
    plan = tmp_path / "docs" / "plan.md"
    plan.write_text("- [ ] a\n")
    assert cs.plan_label(plan) == "docs/plan.md"


# ---------------------------------------------------------------------------
# Master issue body


PLAN = "<!-- checklist-sync: https://github.com/o/r/issues/1 -->\n# Plan\n- [ ] a (#2)\n- [ ] b\n"


def test_master_body_round_trip() -> None:
    body = cs.master_body(PLAN, "docs/plan.md")
    assert body.startswith("Checklist mirrored from `docs/plan.md` by checklist-sync")
    assert "checklist-sync: https" not in body
    label, recorded, plan = cs.split_master_body(body)
    assert label == "docs/plan.md"
    assert recorded == cs.digest(plan)
    assert plan.strip() == "# Plan\n- [ ] a (#2)\n- [ ] b"
    assert not cs.master_edited(body)


@pytest.mark.parametrize("nl", ["\n", "\r\n"])
def test_master_body_leaves_front_matter_out(nl: str) -> None:
    binding = "<!-- checklist-sync: https://github.com/o/r/issues/1 -->"
    plan = nl.join(["---", "title: Plan", "---", binding, "# Plan", "- [ ] a (#2)", ""])
    body = cs.master_body("\ufeff" + plan, "plan.md")
    _label, recorded, mirrored = cs.split_master_body(body)
    assert mirrored.strip() == nl.join(["# Plan", "- [ ] a (#2)"])
    assert "title: Plan" not in body and "checklist-sync: https" not in body
    assert recorded == cs.digest(mirrored) and not cs.master_edited(body)


def test_master_edits_by_sync_are_not_edits() -> None:
    body = cs.master_body(PLAN, "plan.md")
    ticked = cp.apply_edits(
        body, [cp.Edit(4, checked=True, pr=cp.IssueRef(9)), cp.Edit(5, checked=True)]
    )
    assert ticked != body
    assert not cs.master_edited(ticked)
    assert not cs.master_edited(ticked.replace("\n", "\r\n"))  # saved from the web: CRLF


@pytest.mark.parametrize(
    "change",
    [
        lambda b: b.replace("- [ ] b", "- [ ] b reworded"),
        lambda b: b.replace("# Plan", "# Plan\n- [ ] added on GitHub"),
        lambda b: "Someone else's issue\n",
    ],
)
def test_master_edits_by_people_are_edits(change) -> None:
    assert cs.master_edited(change(cs.master_body(PLAN, "plan.md")))


def test_empty_master_is_not_edited() -> None:
    assert not cs.master_edited("")


def test_keyed_changes_follow_the_item_not_the_line() -> None:
    changes = cs.KeyedChanges(cs.issue_key_fn("o/r"))
    changes.changes[("o/r", 2)] = {"checked": True}
    fresh = "# Plan\n- [ ] inserted by someone\n- [ ] a (#2)\n"
    assert changes.apply(fresh, "issue") == "# Plan\n- [ ] inserted by someone\n- [x] a (#2)\n"


def test_a_full_disk_leaves_the_plan_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "plan.md"
    path.write_text("- [ ] a\n")
    plan = cs.PlanFile.read(path)

    def full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cs.os, "fsync", full)
    with pytest.raises(ConfigError) as excinfo:
        plan.write("- [ ] a ([#1](https://github.com/a/b/issues/1))\n")
    assert excinfo.value.exit_code == 2
    assert excinfo.value.format_message() == (
        f"cannot write {path}: No space left on device; the file is unchanged: free the space "
        "(or fix the permissions) and rerun"
    )
    assert path.read_text() == "- [ ] a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.md"]


def test_a_plan_write_never_carries_the_token(tmp_path: Path) -> None:
    """A server that echoes the token into an `html_url` must not get it committed."""
    secret = "not-shaped-like-a-token-write-check-42"
    github_api.register_secret(secret)
    path = tmp_path / "plan.md"
    path.write_text("- [ ] a\n")
    cs.PlanFile.read(path).write(f"- [ ] a ([#1](https://x/issues/1?t={secret}))\n")
    assert path.read_text() == "- [ ] a ([#1](https://x/issues/1?t=***))\n"


ISSUE_URL = "https://github.com/o/r/issues"


@pytest.mark.parametrize(
    ("plan", "mirrored"),
    [
        pytest.param(
            f"- [x] a ([#2]({ISSUE_URL}/2)) ([PR #8](https://github.com/o/r/pull/8)) tail\n",
            "- [x] a (#2) (PR #8) tail\n",
            id="link-and-pr",
        ),
        pytest.param(
            "- [ ] b ([x/y#3](https://github.com/x/y/issues/3)) (not planned)\n",
            "- [ ] b (x/y#3) (not planned)\n",
            id="other-repository",
        ),
        # a link the user wrote in another form is theirs: never rewritten
        pytest.param(
            f"- [ ] c [#4]({ISSUE_URL}/4)\n", f"- [ ] c [#4]({ISSUE_URL}/4)\n", id="user-form"
        ),
        pytest.param(
            f"- [ ] d\n  wrapped ([#5]({ISSUE_URL}/5))\r\n",
            "- [ ] d\n  wrapped (#5)\r\n",
            id="wrapped-crlf",
        ),
        pytest.param(
            "- [ ] e (#6) ([PR #9](https://github.com/o/r/pull/9))\n",
            "- [ ] e (#6) (PR #9)\n",
            id="issue-link-file-pr",
        ),
        pytest.param(
            f"```\n- [ ] f ([#7]({ISSUE_URL}/7))\n```\n",
            f"```\n- [ ] f ([#7]({ISSUE_URL}/7))\n```\n",
            id="in-code",
        ),
    ],
)
def test_the_master_mirrors_the_plan_in_the_issue_body_style(plan: str, mirrored: str) -> None:
    """GitHub shows `(#2)` in an issue body with the issue's title and state."""
    assert cs.issue_style(plan) == mirrored
    assert cs.mirrored_plan(plan) == mirrored
    # a file and its master compare equal, boxes and annotations aside
    assert cs.normalize(plan) == cs.normalize(mirrored)
    body = cs.master_body(plan, "plan.md")
    assert mirrored.rstrip("\r\n") in body and not cs.master_edited(body)
