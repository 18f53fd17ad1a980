"""How many times one run parses its checklist: generate and sync of a 3-item plan.

Run `python bench/parse_counts.py`; it counts calls of checklist_parser.parse_document (which
parse_checklist goes through) during one generate, one sync and one sync with a job summary.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import checklist_parser  # noqa: E402
import generate_issues  # noqa: E402
import sync_checklist  # noqa: E402
from tests.fake_github import FakeGitHub  # noqa: E402

PLAN = "# Plan\n\n- [ ] first case\n- [ ] second case\n- [ ] third case\n"


def counted(run: Callable[[], Any]) -> int:
    """Calls of parse_document while `run` runs (every module holds the parser module, not
    the function, so patching the attribute sees them all)."""
    calls = [0]
    real = checklist_parser.parse_document

    def counting(text: str) -> Any:
        calls[0] += 1
        return real(text)

    checklist_parser.parse_document = counting  # type: ignore[assignment]
    try:
        run()
    finally:
        checklist_parser.parse_document = real  # type: ignore[assignment]
    return calls[0]


def invoke(command: Any, args: list[str], env: dict[str, str]) -> None:
    result = CliRunner().invoke(command, args, env=env)
    if result.exit_code not in (0, 1):
        raise SystemExit(f"{command.name} exited {result.exit_code}:\n{result.output}")


def main() -> int:
    for name in ("GITHUB_TOKEN", "GH_TOKEN", "GITHUB_REPOSITORY", "GITHUB_API_URL"):
        os.environ.pop(name, None)
    with FakeGitHub() as fake, tempfile.TemporaryDirectory() as tmp:
        fake.add_repo("octo/plan")
        os.chdir(tmp)
        plan = Path(tmp, "plan.md")
        plan.write_text(PLAN, encoding="utf-8")
        env = {**fake.env(), "CHECKLIST_WRITE_INTERVAL": "0"}
        gen = counted(lambda: invoke(generate_issues.main, [str(plan), "-q"], env))
        fake.close_issue("octo/plan", 2)
        sync = counted(lambda: invoke(sync_checklist.main, [str(plan), "-q"], env))
        fake.reopen_issue("octo/plan", 2)
        summary = Path(tmp, "summary.md")
        env_summary = {**env, "GITHUB_STEP_SUMMARY": str(summary)}
        sync_summary = counted(lambda: invoke(sync_checklist.main, [str(plan), "-q"], env_summary))
        dry = counted(lambda: invoke(generate_issues.main, [str(plan), "-q", "--dry-run"], env))
    print(f"generate of a 3-item plan: {gen} parses")
    print(f"sync of it (one box changes): {sync} parses")
    print(f"sync with a job summary: {sync_summary} parses")
    print(f"generate --dry-run of it afterwards: {dry} parses")
    return 0


if __name__ == "__main__":
    sys.exit(main())
