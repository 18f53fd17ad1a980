"""The product's long functions: every function or method over 40 lines, longest first.

Run `python bench/function_lengths.py [--limit N]`; the gate is 60 lines (parse_document aside).
"""

from __future__ import annotations

import argparse
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = (
    "checklist_parser.py",
    "checklist_source.py",
    "checklist_server.py",
    "generate_issues.py",
    "github_api.py",
    "report.py",
    "sync_checklist.py",
)


def lengths(path: Path) -> list[tuple[int, str]]:
    """(lines, qualified name) of every function in the module, nested ones included."""
    out: list[tuple[int, str]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                assert child.end_lineno is not None
                out.append((child.end_lineno - child.lineno + 1, f"{prefix}{child.name}"))
                visit(child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")

    visit(ast.parse(path.read_text(encoding="utf-8")), "")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=40, help="show functions longer than this")
    args = parser.parse_args()
    rows = [
        (size, f"{name}:{func}")
        for name in PRODUCT
        for size, func in lengths(ROOT / name)
        if size > args.limit
    ]
    for size, where in sorted(rows, reverse=True):
        print(f"{size:5d}  {where}")
    print(f"{len(rows)} functions over {args.limit} lines")


if __name__ == "__main__":
    main()
