"""The pure decisions of both scripts, table-driven: no server, no files.

generate: the master title, candidates with their skips, the repository index match,
plan_links, state carry-over. sync: decide, plan_edits, the progress table, the event
shortcut. (The retry policy's table is in test_github_api.py.)
"""

from __future__ import annotations

import pytest

import checklist_parser as cp
import generate_issues as gi

# ---------------------------------------------------------------------------
# The master title


@pytest.mark.parametrize(
    "plan, title",
    [
        pytest.param("# Release 2.0\n- [ ] a\n", "Release 2.0", id="first-heading"),
        # regression: a regex over raw lines took a fenced `# line` for the title
        pytest.param("```sh\n# not a title\n```\n# Real\n- [ ] a\n", "Real", id="code-fence"),
        pytest.param("    # indented code\n\n# Real\n", "Real", id="indented-code"),
        pytest.param("Setext title\n===\n- [ ] a\n", "Setext title", id="setext"),
        pytest.param("<!-- # comment -->\n## Second level\n", "Second level", id="html-comment"),
        pytest.param("#\n# Named\n", "Named", id="empty-heading-skipped"),
        pytest.param("- [ ] a\n", "Test plan: plan.md", id="no-heading"),
        pytest.param("\ufeff# With BOM\n", "With BOM", id="bom"),
    ],
)
def test_master_title(plan: str, title: str) -> None:
    assert gi.master_title(cp.parse_document(plan), "plan.md") == title


@pytest.mark.parametrize(
    "text, title",
    [
        pytest.param("", None, id="empty"),
        pytest.param("# a\n## b\n", "a", id="first"),
        pytest.param("> # quoted\n", "quoted", id="in-blockquote"),
        pytest.param("```\n# x\n```\n", None, id="only-code"),
    ],
)
def test_document_title(text: str, title: str | None) -> None:
    assert cp.parse_document(text).title == title


def test_apply_edits_takes_the_items_already_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "# P\n- [ ] a\n- [x] b (#3)\n"
    items = cp.parse_checklist(text)
    edits = [cp.Edit(2, issue=cp.IssueRef(2)), cp.Edit(3, checked=False)]
    expected = cp.apply_edits(text, edits)  # the old call parses `text` itself
    calls = []
    real = cp.parse_document
    monkeypatch.setattr(cp, "parse_document", lambda t: calls.append(t) or real(t))
    assert cp.apply_edits(text, edits, items=items) == expected
    assert calls == []
