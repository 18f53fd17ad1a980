"""How a plan is generated, remembered in `.checklist-sync.toml`: labels, assignees, milestone,
title template and sub-issues, per plan, so a rerun makes issues like the first run's.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from github_api import ConfigError

CONFIG_NAME = ".checklist-sync.toml"
TEMPLATE_FIELDS = "{text} {section} {parent} {plan}"
# key in the file -> (attribute, what it must be)
_KEYS = {
    "labels": ("labels", "a list of label names"),
    "assignees": ("assignees", "a list of logins"),
    "milestone": ("milestone", "a milestone title or number"),
    "title-template": ("title_template", "a string"),
    "sub-issues": ("sub_issues", "true or false"),
}


@dataclass(frozen=True)
class PlanConfig:
    """Settings from the config file; None where it says nothing (the flag's default holds)."""

    labels: tuple[str, ...] | None = None
    assignees: tuple[str, ...] | None = None
    milestone: str | None = None
    title_template: str | None = None
    sub_issues: bool | None = None
    source: str | None = None  # the file it came from, for messages


def split_names(values: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """`--label a,b --label c` is three labels, as `gh issue create --label a,b` takes it."""
    return tuple(name.strip() for value in values for name in value.split(",") if name.strip())


def template_problem(template: str) -> str | None:
    """Why a title template cannot make titles, or None."""
    try:
        filled = template.format(text="t", section="s", parent="p", plan="f")
    except (KeyError, IndexError, ValueError, AttributeError) as exc:
        return f"{template!r} is not valid ({exc}); use the fields {TEMPLATE_FIELDS}"
    if "{text}" not in template or not filled.strip():
        return "must contain {text}"
    return None


def _value(key: str, raw: Any, where: str) -> Any:
    attr, expected = _KEYS[key]
    problem = f"{where}: {key} must be {expected}, not {raw!r}"
    if attr in ("labels", "assignees"):
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
            raise ConfigError(problem)
        return split_names(raw)
    if attr == "milestone":
        if isinstance(raw, bool) or not isinstance(raw, str | int):
            raise ConfigError(problem)
        return str(raw)
    if attr == "sub_issues":
        if not isinstance(raw, bool):
            raise ConfigError(problem)
        return raw
    if not isinstance(raw, str):
        raise ConfigError(problem)
    if why := template_problem(raw):
        raise ConfigError(f"{where}: title-template {why}")
    return raw


def _settings(table: Any, where: str) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table")
    unknown = sorted(set(table) - set(_KEYS))
    if unknown:
        raise ConfigError(
            f"{where}: unknown setting {', '.join(unknown)} (known: {', '.join(_KEYS)})"
        )
    return {_KEYS[key][0]: _value(key, raw, where) for key, raw in table.items()}


def parse_config(text: str, plan_key: str | None, name: str = CONFIG_NAME) -> PlanConfig:
    """The settings for one plan: the top-level keys, then `[defaults]`, then
    `[plans."PATH"]` (PATH relative to the config file's directory; `#N` for issue mode).
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{name} is not valid TOML ({exc}): fix it") from None
    plans = data.pop("plans", {})
    defaults = data.pop("defaults", {})
    if not isinstance(plans, dict):
        raise ConfigError(f'{name}: plans must hold tables like [plans."docs/test-plan.md"]')
    merged = _settings(data, name)
    merged.update(_settings(defaults, f"{name} [defaults]"))
    if plan_key is not None and plan_key in plans:
        merged.update(_settings(plans[plan_key], f'{name} [plans."{plan_key}"]'))
    return PlanConfig(**merged, source=name)


def find_config(start: Path) -> Path | None:
    """The nearest config file from `start` up to the git checkout's top (or the filesystem's
    root outside a checkout)."""
    for folder in (start, *start.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
        if (folder / ".git").exists():
            return None
    return None


def load_plan_config(plan: Path | None, master_issue: int | None, cwd: Path) -> PlanConfig:
    """The config for a plan file (found from its directory) or an issue (from `cwd`)."""
    # absolute, not resolved: a plan that is a symlink loop is reported when it is read
    where = Path(os.path.abspath(plan if plan is not None else cwd))
    path = find_config(where.parent if plan is not None else where)
    if path is None:
        return PlanConfig()
    if plan is not None:
        key: str | None = where.relative_to(path.parent).as_posix()
    else:
        key = f"#{master_issue}" if master_issue is not None else None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    return parse_config(text, key, str(path))
