"""The pure decisions of both scripts, table-driven: no server, no files.

generate: the master title, candidates with their skips, the repository index match,
plan_links, state carry-over. sync: decide, plan_edits, the progress table, the event
shortcut. (The retry policy's table is in test_github_api.py.)
"""

from __future__ import annotations

import pytest

import checklist_parser as cp
import checklist_source as cs
import generate_issues as gi
import sync_checklist as sc
from github_api import Issue, IssueState

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


# ---------------------------------------------------------------------------
# Candidates and their skips


REPO = "octo/plan"
URL = f"https://github.com/{REPO}"


def items_of(text: str) -> list[cp.ChecklistItem]:
    return cp.parse_checklist(text)


@pytest.mark.parametrize(
    "plan, titles, skipped",
    [
        pytest.param("- [ ] a\n- [x] b\n- [ ] c (#3)\n", ["[Test] a"], [], id="unchecked-unlinked"),
        pytest.param("- [ ] \n- [ ] a\n", ["[Test] a"], [(1, 1)], id="no-text"),
        pytest.param(
            "# S\n## A\n- [ ] x\n## B\n- [ ] x\n",
            ["[Test] S › A › x", "[Test] S › B › x"],
            [],
            id="twins-get-their-section",
        ),
        pytest.param("- [ ] x\n- [ ] x\n- [ ] X\n", [], [(1, 3)], id="twins-skipped-once"),
        pytest.param("- [ ] p\n  - [ ] c\n", ["[Test] p", "[Test] c"], [], id="nested"),
    ],
)
def test_plan_candidates(plan: str, titles: list[str], skipped: list[tuple[int, int]]) -> None:
    cands, skips = gi.plan_candidates(items_of(plan), gi.DEFAULT_TEMPLATE, "plan.md")
    assert [c.title for c in cands] == titles
    assert [(s.line, s.count) for s in skips] == skipped


# Real plans (issue 10): twins told apart as GitHub compares titles, what a reader sees
@pytest.mark.parametrize(
    ("plan", "titles", "skipped"),
    [
        pytest.param(
            "# R\n## A\n- [ ] Publish remaining feature blogs\n"
            "## B\n- [ ] Publish remaining Feature Blogs\n",
            [
                "[Test] R › A › Publish remaining feature blogs",
                "[Test] R › B › Publish remaining Feature Blogs",
            ],
            [],
            id="case-only-twins-get-their-section",
        ),
        pytest.param(
            "## S\n- [ ] Linux\n  - [ ] build\n- [ ] macOS\n  - [ ] build\n",
            [
                "[Test] Linux",
                "[Test] S › Linux › build",
                "[Test] macOS",
                "[Test] S › macOS › build",
            ],
            [],
            id="same-text-other-parents",
        ),
        pytest.param(
            "## S\n- [ ] Linux\n  - [ ] build\n  - [ ] build\n",
            ["[Test] Linux"],
            [(3, 2)],
            id="nothing-tells-them-apart",
        ),
        pytest.param(
            "- [ ] Create a thread: <!-- Paste link to slack -->\n- [ ] one<br>two `a<br>b`\n",
            ["[Test] Create a thread:", "[Test] one two `a<br>b`"],
            [],
            id="a-title-holds-what-a-reader-sees",
        ),
    ],
)
def test_plan_candidates_in_real_plans(
    plan: str, titles: list[str], skipped: list[tuple[int, int]]
) -> None:
    cands, skips = gi.plan_candidates(items_of(plan), gi.DEFAULT_TEMPLATE, "plan.md")
    assert [c.title for c in cands] == titles
    assert [(s.line, s.count) for s in skips] == skipped
    assert len({c.key for c in cands}) == len(cands)  # never one marker for two items


@pytest.mark.parametrize(
    ("text", "body_text"),
    [
        pytest.param("ping @TheOneRing @guruz", "ping @\u200dTheOneRing @\u200dguruz", id="two"),
        pytest.param("mail a@b.org", "mail a@b.org", id="an-address-is-no-mention"),
        pytest.param("`@decorator` stays code", "`@decorator` stays code", id="code"),
    ],
)
def test_a_mention_in_an_item_notifies_no_one(text: str, body_text: str) -> None:
    (cand,), _skips = gi.plan_candidates(items_of(f"- [ ] {text}\n"), "{text}", "p")
    assert cand.title == text  # the title keeps the text as written
    assert gi.issue_body(cand, 1, "p").splitlines()[0] == body_text


def test_candidates_are_returned_not_printed(capsys: pytest.CaptureFixture[str]) -> None:
    gi.plan_candidates(items_of("- [ ] \n- [ ] x\n- [ ] x\n"), gi.DEFAULT_TEMPLATE, "p")
    assert capsys.readouterr() == ("", "")


# ---------------------------------------------------------------------------
# The repository index and plan_links


def issue(
    number: int, title: str, body: str = "", association: str = "OWNER", login: str = "octo"
) -> Issue:
    return Issue(
        number, number * 10, title, body, f"{URL}/issues/{number}",
        author_association=association, login=login,
    )  # fmt: skip


def trust(me: str | None = "octo") -> gi.Trust:
    return gi.Trust(lambda: me)


def cand(text: str, line: int = 1) -> gi.Candidate:
    (item,) = items_of(f"- [ ] {text}\n")
    item = cp.ChecklistItem(**{**item.__dict__, "line_no": line})
    return gi.Candidate(item, 0, f"[Test] {text}", gi.item_key(item), None)


def marked(number: int, c: gi.Candidate, master: int = 1, **kw: str) -> Issue:
    return issue(number, "renamed", f"text\n\n{cs.item_marker(master, c.key)}", **kw)


A = cand("a")


@pytest.mark.parametrize(
    "issues, taken, how, found",
    [
        pytest.param([], set(), "title", [], id="nothing"),
        pytest.param([issue(5, "[Test] a")], set(), "title", [5], id="by-title"),
        pytest.param([marked(6, A)], set(), "marker", [6], id="by-marker"),
        pytest.param([marked(6, A), issue(5, "[Test] a")], set(), "marker", [6], id="marker-first"),
        pytest.param([marked(6, A, master=2)], set(), "title", [], id="another-masters-marker"),
        pytest.param([issue(5, "[Test] a")], {5}, "title", [], id="taken"),
        pytest.param([issue(1, "[Test] a")], set(), "title", [], id="the-master-itself"),
        pytest.param([issue(5, "[Test] A")], set(), "title", [], id="title-is-exact"),
        pytest.param(
            [issue(5, "[Test] a", association="NONE", login="mallory")],
            set(),
            "title",
            [],
            id="outsider",
        ),
        pytest.param(
            [marked(6, A, association="NONE", login="octo")], set(), "marker", [6], id="mine"
        ),
        pytest.param(
            [issue(5, "[Test] a"), issue(7, "[Test] a")], set(), "title", [5, 7], id="two"
        ),
        # marker-shaped text before the last line is an item's text, not the tool's marker
        pytest.param(
            [issue(8, "x", f"{cs.item_marker(1, A.key)}\nmore")], set(), "title", [], id="not-last"
        ),
    ],
)
def test_repo_index_match(issues: list[Issue], taken: set[int], how: str, found: list[int]) -> None:
    index = gi.RepoIndex.build(issues, trust())
    assert index.match(A, 1, taken) == (how, [i for i in issues if i.number in found])


def test_plan_links_steps() -> None:
    b, c, d = cand("b", 2), cand("c", 3), cand("d", 4)
    index = gi.RepoIndex.build(
        [issue(5, "[Test] b"), issue(6, "[Test] c"), issue(7, "[Test] c")], trust()
    )
    steps = gi.plan_links([b, c, d], index, 1, set())
    assert steps == [
        gi.Adopt(b, issue(5, "[Test] b"), "title"),
        gi.Ambiguous(c, "title", (issue(6, "[Test] c"), issue(7, "[Test] c"))),
        gi.Create(d),
    ]


def test_plan_links_takes_each_adopted_issue_once() -> None:
    first, second = cand("a", 1), cand("a", 2)
    index = gi.RepoIndex.build([marked(5, first)], trust())
    # two candidates with one key (same section and text): the second one gets its own issue
    steps = gi.plan_links([first, second], index, 1, set())
    assert [type(s).__name__ for s in steps] == ["Adopt", "Create"]


def test_twin_groups() -> None:
    index = gi.RepoIndex.build([marked(5, A), marked(6, A), marked(7, cand("b"))], trust())
    assert gi.twin_groups(index, 1, set()) == [[5, 6]]
    assert gi.twin_groups(index, 1, {A.key}) == []  # skipped with its own message


# ---------------------------------------------------------------------------
# State carry-over (republish keeps what sync wrote in the master)


LINK = f"([#1]({URL}/issues/1))"


@pytest.mark.parametrize(
    "new, old, carried",
    [
        pytest.param(f"- [ ] a {LINK}\n", "- [x] a (#1)\n", f"- [x] a {LINK}\n", id="box"),
        # a PR read from the issue style has no URL: the file style writes it short
        pytest.param(
            f"- [ ] a {LINK}\n", "- [x] a (#1) (PR #9)\n", f"- [x] a {LINK} (PR #9)\n", id="pr"
        ),
        pytest.param(
            f"# New heading\n- [ ] a renamed {LINK}\n",
            "- [ ] a (#1) (not planned)\n",
            f"# New heading\n- [ ] a renamed {LINK} (not planned)\n",
            id="by-issue-not-by-text",
        ),
        pytest.param("- [ ] b (#2)\n", "- [x] a (#1)\n", "- [ ] b (#2)\n", id="other-issue"),
        pytest.param("- [ ] c\n", "- [x] c\n", "- [ ] c\n", id="unlinked-stays"),
    ],
)
def test_carry_state(new: str, old: str, carried: str) -> None:
    assert gi.carry_state(new, old, REPO) == carried


# ---------------------------------------------------------------------------
# sync: decide, plan_edits, the progress table, the event shortcut


def state(
    number: int, st: str = "open", reason: str | None = None, pr: int | None = None
) -> IssueState:
    closing = (REPO, pr, f"{URL}/pull/{pr}") if pr else None
    return IssueState(REPO, number, st, reason, f"{URL}/issues/{number}", closing)


@pytest.mark.parametrize(
    "line, st, checked, pr, note, warned",
    [
        pytest.param("- [x] a (#1)", state(1), False, None, None, False, id="open"),
        pytest.param("- [ ] a (#1)", state(1, "closed", "completed"), True, None, None, False,
                     id="closed"),
        pytest.param("- [ ] a (#1)", state(1, "closed", "completed", 9), True, 9, None, False,
                     id="closed-by-pr"),
        pytest.param("- [x] a (#1)", state(1, "closed", "not_planned"), False, None,
                     cp.NOTE_NOT_PLANNED, False, id="not-planned"),
        pytest.param("- [x] a (#1)", state(1, "closed", "duplicate"), False, None,
                     cp.NOTE_DUPLICATE, False, id="duplicate"),
        pytest.param("- [x] a (#1) (PR #4)", state(1, "closed", "completed"), True, 4, None,
                     False, id="pr-kept"),
        pytest.param("- [ ] a (#1)", None, None, None, None, True, id="deleted"),
        pytest.param("- [ ] a (#1)", IssueState("o/x", 3, "open", None, "u", None), None, None,
                     None, True, id="transferred"),
        pytest.param("- [ ] a (#9999999999)", None, None, None, None, True, id="out-of-range"),
    ],
)  # fmt: skip
def test_decide(
    line: str,
    st: IssueState | None,
    checked: bool | None,
    pr: int | None,
    note: str | None,
    warned: bool,
) -> None:
    (item,) = items_of(line + "\n")
    decision = sc.decide(item, st, REPO)
    assert decision.checked is checked
    assert (decision.pr.number if decision.pr else None) == pr
    assert decision.note == note
    assert (decision.warning is not None) is warned


@pytest.mark.parametrize(
    "text, states, lines, warnings",
    [
        pytest.param("- [ ] a (#1)\n", {1: state(1)}, [], 0, id="in-sync"),
        pytest.param("- [ ] a (#1)\n", {1: state(1, "closed", "completed")}, [1], 0, id="tick"),
        pytest.param("- [ ] a\n- [x] b (#1)\n", {1: state(1)}, [2], 0, id="untick"),
        pytest.param("- [ ] a (#1)\n", {}, [], 1, id="missing-warns"),
    ],
)
def test_plan_edits(
    text: str, states: dict[int, IssueState], lines: list[int], warnings: int
) -> None:
    keyed = {(REPO, n): s for n, s in states.items()}
    edits, warned = sc.plan_edits(items_of(text), keyed, REPO)
    assert [e.line_no for e in edits] == lines
    assert len(warned) == warnings


def test_progress_table() -> None:
    text = "- [ ] a (#1)\n- [ ] b (#2)\n- [x] c\n- [ ] d\n- [ ] e (#3)\n"
    states = {
        (REPO, 1): state(1, "closed", "completed", 9),
        (REPO, 2): state(2, "closed", "not_planned"),
        (REPO, 3): None,
    }
    table = sc.progress_table(items_of(text), states, REPO)
    # a box ticked by hand with no issue counted once, in its own row; shares add up to 100
    assert table.splitlines()[:11] == [
        "### Checklist progress",
        "",
        "| Status | Items | Share |",
        "| --- | ---: | ---: |",
        "| Done | 1 | 20% |",
        "| Open | 0 | 0% |",
        "| Not planned / duplicate | 1 | 20% |",
        "| Unreadable (deleted, transferred) | 1 | 20% |",
        "| Ticked by hand (no issue) | 1 | 20% |",
        "| Not linked | 1 | 20% |",
        "| **Total** | **5** | **100%** |",
    ]
    assert f"| a | [#1]({URL}/issues/1) | done | [PR #9]({URL}/pull/9) |" in table
    assert "| e | #3 | not found |  |" in table  # no page to link: the issue is gone


@pytest.mark.parametrize(
    "event, linked, stops",
    [
        pytest.param(None, {1}, False, id="no-event"),
        pytest.param(("issues", {"action": "closed", "issue": {"number": 5}}), {1}, True,
                     id="other-issue"),
        pytest.param(("issues", {"action": "closed", "issue": {"number": 1}}), {1}, False,
                     id="linked-issue"),
        pytest.param(("issues", {"action": "closed", "issue": {"number": 5}}), None, False,
                     id="not-read-yet"),
        pytest.param(("pull_request", {"action": "closed", "pull_request": {"number": 7}}), {1},
                     True, id="unmerged-pr"),
        pytest.param(("pull_request", {"action": "closed", "pull_request": {"number": 7,
                     "merged": True}}), {1}, False, id="merged-pr"),
    ],
)  # fmt: skip
def test_event_shortcut(
    event: tuple[str, dict[str, object]] | None, linked: set[int] | None, stops: bool
) -> None:
    assert (sc.event_shortcut(event, linked) is not None) is stops  # type: ignore[arg-type]
