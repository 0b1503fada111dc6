"""Eval cases: questions whose answers are known, read from YAML files (``lakechat eval``).

A case file is YAML: a list of cases, or ``{cases: [...]}``. Each case has an ``id``, a
``question`` (or a ``conversation`` of turns, the last one scored), and what is expected:
``gold_sql`` (run on the warehouse; ``{today}`` becomes the evaluation's today as a DATE
literal), ``gold_rows``, or ``expect: clarify | refused``. ``ordered: true`` also compares
row order; ``tags`` (from ``KNOWN_TAGS``) group the pass rates; ``note`` is for people.

A case file that breaks a rule is refused whole, with the file, the case and the field named,
so a typo never silently drops a case from the benchmark.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from lakechat.errors import BadRequest
from lakechat.yaml12 import Yaml12Loader

#: Every tag a case may carry; a case file with another tag is refused.
KNOWN_TAGS = frozenset({
    "tpch", "learning", "platform", "followup", "clarify", "refuse", "time", "relative_time",
    "topn", "filter", "share", "growth", "misspelling", "value_synonym", "multi_measure",
    "having", "empty",
})  # fmt: skip
#: in gold SQL, replaced by the evaluation's today as a DATE literal
TODAY_PLACEHOLDER = "{today}"


class EvalCase(BaseModel):
    """One benchmark question and what answers it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.-]+$")
    question: str | None = Field(None, min_length=1)
    conversation: tuple[str, ...] | None = Field(None, min_length=2)
    gold_sql: str | None = Field(None, min_length=1)
    gold_rows: tuple[tuple[Any, ...], ...] | None = None
    expect: Literal["clarify", "refused"] | None = None
    ordered: bool = False
    tags: tuple[str, ...] = ()
    note: str | None = None

    @field_validator("conversation")
    @classmethod
    def _turns_have_text(cls, turns: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if turns is not None and any(not turn.strip() for turn in turns):
            raise ValueError("every turn needs text")
        return turns

    @field_validator("tags")
    @classmethod
    def _known_tags(cls, tags: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(tags) - KNOWN_TAGS)
        if unknown:
            raise ValueError(
                f"unknown tag {', '.join(map(repr, unknown))}; known: {', '.join(sorted(KNOWN_TAGS))}"
            )
        return tags

    @model_validator(mode="after")
    def _one_question_one_expectation(self) -> EvalCase:
        if (self.question is None) == (self.conversation is None):
            raise ValueError("give exactly one of question and conversation")
        given = [k for k in ("gold_sql", "gold_rows", "expect") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of gold_sql, gold_rows and expect"
                + (f" (got {' and '.join(given)})" if given else "")
            )
        if self.ordered and self.expect is not None:
            raise ValueError("ordered compares rows: it needs gold_sql or gold_rows")
        if self.gold_rows and len({len(row) for row in self.gold_rows}) > 1:
            raise ValueError("gold_rows: every row needs the same number of values")
        return self

    @property
    def turns(self) -> tuple[str, ...]:
        """What is asked, in order; the last turn is scored."""
        return self.conversation or (self.question or "",)

    def gold_query(self, today: date) -> str | None:
        """The gold SQL with ``{today}`` as ``DATE 'YYYY-MM-DD'``."""
        if self.gold_sql is None:
            return None
        return self.gold_sql.replace(TODAY_PLACEHOLDER, f"DATE '{today.isoformat()}'")


def load_cases(*paths: Path) -> list[EvalCase]:
    """The cases in ``paths`` (files, or folders whose ``*.yaml`` files are read in name
    order); BadRequest names the file, the case and the field of the first bad case."""
    files: list[Path] = []
    for path in paths:
        files += sorted([*path.glob("*.yaml"), *path.glob("*.yml")]) if path.is_dir() else [path]
    cases: list[EvalCase] = []
    seen: dict[str, str] = {}
    for file in files:
        try:
            document = yaml.load(file.read_text(encoding="utf-8"), Loader=Yaml12Loader)  # noqa: S506 - a SafeLoader
        except OSError as exc:
            raise BadRequest(f"{file}: cannot read the case file: {exc.strerror or exc}") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f":{mark.line + 1}" if mark is not None else ""
            problem = getattr(exc, "problem", None) or str(exc)
            raise BadRequest(f"{file}{where}: not valid YAML: {problem}") from None
        for case in parse_cases(document, str(file)):
            if case.id in seen:
                raise BadRequest(f"{file}: case id {case.id!r} is also used in {seen[case.id]}")
            seen[case.id] = str(file)
            cases.append(case)
    return cases


def parse_cases(document: Any, source: str = "<cases>") -> list[EvalCase]:
    """A parsed case file (a list, or ``{cases: [...]}``) as cases, ids unique."""
    if isinstance(document, dict) and set(document) == {"cases"}:
        document = document["cases"]
    if not isinstance(document, list):
        raise BadRequest(f"{source}: a case file is a list of cases, or {{cases: [...]}}")
    cases: list[EvalCase] = []
    for index, item in enumerate(document, 1):
        label = f"case #{index}"
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            label += f" {item['id']!r}"
        if not isinstance(item, dict):
            raise BadRequest(f"{source}: {label}: a case is a mapping with id, question, ...")
        try:
            case = EvalCase.model_validate(item)
        except ValidationError as exc:
            raise BadRequest(f"{source}: {label}: {_problems(exc)}") from None
        if any(case.id == earlier.id for earlier in cases):
            raise BadRequest(f"{source}: {label}: the id is used twice")
        cases.append(case)
    return cases


def _problems(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"])
        if error["type"] == "extra_forbidden":
            problems.append(f"unknown key {where!r}")
            continue
        message = str(error["msg"]).removeprefix("Value error, ")
        problems.append(f"{where}: {message}" if where else message)
    return "; ".join(problems)
