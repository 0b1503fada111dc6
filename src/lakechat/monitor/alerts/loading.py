"""Loading alert rules: ``alerts.yaml`` over the built-in rules, with errors that name the
file, the rule and the field (``alerts.yaml: rule 'x': condition.operator: must be ...``).

A rule in the file with a built-in's name overrides the fields it gives, so
``{name: cost_spike, enabled: false}`` turns that one off.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from lakechat.errors import LakechatError, NotFound
from lakechat.monitor.alerts.rules import (
    BUILTIN_RULES,
    AlertRule,
    AlertRulesInvalid,
    AnalyzerQuery,
)
from lakechat.settings import Settings
from lakechat.yaml12 import Yaml12Loader


@dataclass(frozen=True)
class RuleSet:
    """The rules in force: the built-ins, overridden and extended by the file."""

    rules: tuple[AlertRule, ...]
    source: Path | None = None

    def get(self, name: str) -> AlertRule:
        for rule in self.rules:
            if rule.name == name:
                return rule
        known = ", ".join(r.name for r in self.rules)
        raise NotFound(f"no alert rule {name!r}; the rules are: {known}")


def rules_file(settings: Settings) -> Path | None:
    """ALERTS_FILE (which must exist), else ``$LAKECHAT_HOME/alerts.yaml`` when it exists."""
    if settings.alerts_file is not None:
        path = settings.alerts_file.expanduser()
        if not path.is_file():
            raise AlertRulesInvalid(f"ALERTS_FILE names {path}, which does not exist")
        return path
    default = settings.home / "alerts.yaml"
    return default if default.is_file() else None


def load_rules(path: Path | None) -> RuleSet:
    """The built-in rules with ``path``'s rules over them (only the built-ins for None)."""
    if path is None:
        return RuleSet(tuple(_validated(dict(r), "built-in rules", None) for r in BUILTIN_RULES))
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AlertRulesInvalid(f"cannot read {path}: {exc.strerror}") from None
    return parse_rules(text, path.name, source=path)


def parse_rules(text: str, label: str, *, source: Path | None = None) -> RuleSet:
    """The rules in force given an alerts.yaml's text; ``label`` names it in errors."""
    try:
        data = _dates_as_text(yaml.load(text, Loader=Yaml12Loader) or {})  # noqa: S506 - safe
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise AlertRulesInvalid(f"{label}{where}: not valid YAML: {problem}") from None
    if not isinstance(data, dict) or set(data) - {"alerts"}:
        raise AlertRulesInvalid(f"{label}: expected a mapping with one key, alerts: [rules]")
    given = data.get("alerts") or []
    if not isinstance(given, list):
        raise AlertRulesInvalid(f"{label}: alerts must be a list of rules")
    builtins = {r["name"]: dict(r) for r in BUILTIN_RULES}
    from_file: dict[str, AlertRule] = {}
    for index, item in enumerate(given, start=1):
        if not isinstance(item, dict):
            raise AlertRulesInvalid(f"{label}: rule #{index} is not a mapping")
        name = item.get("name")
        who = f"rule {name!r}" if isinstance(name, str) and name else f"rule #{index}"
        if isinstance(name, str) and name in from_file:
            raise AlertRulesInvalid(f"{label}: {who}: two rules have this name")
        merged = {**builtins[name], **item} if isinstance(name, str) and name in builtins else item
        rule = _validated(merged, label, who)
        from_file[rule.name] = rule
    rules = [
        from_file.pop(n) if n in from_file else _validated(b, label, None)
        for n, b in builtins.items()
    ]
    return RuleSet((*rules, *from_file.values()), source)


def _dates_as_text(value: Any) -> Any:
    """YAML reads 1995-01-01 as a date; queries and parameters take it as ISO text."""
    if isinstance(value, dict):
        return {key: _dates_as_text(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_dates_as_text(item) for item in value]
    return value.isoformat() if isinstance(value, dt.date) else value


def _validated(data: dict[str, Any], label: str, who: str | None) -> AlertRule:
    who = who or f"rule {data.get('name')!r}"
    try:
        rule = AlertRule.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(_problem(error) for error in exc.errors())
        raise AlertRulesInvalid(f"{label}: {who}: {problems}") from None
    _check_analyzer(rule, label, who)
    return rule


#: parts of a pydantic error location that are union tags, not fields the user wrote
_TAGS = {"analyzer", "semantic", "assistant", "webhook", "email", "body"}


def _problem(error: Any) -> str:
    loc = [str(part) for part in error["loc"]]
    if len(loc) > 1 and loc[0] == "query" and loc[1] in _TAGS:
        loc.pop(1)
    if len(loc) > 1 and loc[0] == "query" and loc[1] == "body":
        loc.pop(1)
    if len(loc) > 2 and loc[0] == "notify" and loc[2] in _TAGS:
        loc.pop(2)
    field = ".".join(loc)
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "missing":
        message = "is missing"
    elif kind == "extra_forbidden":
        message = "is not a known field"
    elif kind == "literal_error":
        message = f"must be {ctx.get('expected')}, not {error.get('input')!r}"
    elif kind == "union_tag_not_found":
        message = "needs a type"
        field = f"{field}.type"
    elif kind == "union_tag_invalid":
        message = f"must be one of {ctx.get('expected_tags')}, not {ctx.get('tag')!r}"
        field = f"{field}.type"
    else:
        message = str(error["msg"]).removeprefix("Value error, ")
    return f"{field}: {message}" if field else message


def _check_analyzer(rule: AlertRule, label: str, who: str) -> None:
    """An analyzer query names a known analyzer with parameters it takes."""
    query = rule.query
    if not isinstance(query, AnalyzerQuery):
        return
    from lakechat.monitor.registry import get_analyzer

    try:
        found = get_analyzer(query.analyzer)
    except LakechatError as exc:
        raise AlertRulesInvalid(f"{label}: {who}: query.analyzer: {exc.message}") from None
    try:
        found.read_params(query.params)
    except LakechatError as exc:
        raise AlertRulesInvalid(f"{label}: {who}: query.params: {exc.message}") from None
