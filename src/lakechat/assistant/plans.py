"""What the interpreter decides a message asks for: one typed plan per message.

    Plan
    +-- SemanticPlan   a semantic query on one model (the usual answer)
    +-- SqlRun         an explicit read-only SELECT the user typed
    +-- Clarify        two readings are equally likely: ask which, offering each
    +-- Help           "what can I ask?": what the models cover, with sample questions
    +-- Refuse         a change to data, or something outside the models
    +-- CatalogRead    browse the catalog (list, describe, owners, grants, search)
    +-- CatalogChange  change the catalog: a proposal until someone allowed confirms

The deterministic interpreter fills these today; a language model fills the same types later.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from lakechat.semantic.query import SemanticQuery

MatchKind = Literal["model", "measure", "dimension", "value", "time", "grain", "calculation"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True)


class Match(_Frozen):
    """One phrase of the message and what it was read as; ``score`` is 1.0 for an exact
    name, display name or synonym and lower for a close misspelling."""

    phrase: str
    kind: MatchKind
    target: str
    score: float = Field(1.0, ge=0, le=1)


class SemanticPlan(_Frozen):
    type: Literal["semantic"] = "semantic"
    model: str
    query: SemanticQuery
    #: "line", "bar" or "table" when the user asked for one ("as a line chart")
    chart: Literal["line", "bar", "table"] | None = None
    matches: tuple[Match, ...] = ()
    #: readings the user did not spell out ("region = customer region")
    assumptions: tuple[str, ...] = ()
    confidence: float = Field(1.0, ge=0, le=1)


class SqlRun(_Frozen):
    type: Literal["sql"] = "sql"
    sql: str


class Clarify(_Frozen):
    type: Literal["clarify"] = "clarify"
    question: str
    #: each option is a message the user can send back as it is
    options: tuple[str, ...] = ()


class Help(_Frozen):
    type: Literal["help"] = "help"
    text: str
    examples: tuple[str, ...] = ()


class Refuse(_Frozen):
    type: Literal["refuse"] = "refuse"
    reason: str


CatalogAction = Literal[
    "list_catalogs", "list_schemas", "list_tables", "describe", "owner", "grants", "no_owner",
    "search", "help",
]  # fmt: skip


class CatalogRead(_Frozen):
    """Browse the catalog: list, describe, owners, grants, search."""

    type: Literal["catalog_read"] = "catalog_read"
    action: CatalogAction
    #: the object named, as written (checked against the catalog when the plan runs)
    name: str | None = None
    #: what to search for
    text: str | None = None


class CatalogChange(_Frozen):
    """Change the catalog: the changes in the API's JSON shape, in order; they become a
    proposal that runs only when someone allowed confirms it."""

    type: Literal["catalog_change"] = "catalog_change"
    changes: tuple[dict[str, Any], ...]
    request: str = ""


class DocsQuestion(_Frozen):
    """Answer from the team's documents, with citations."""

    type: Literal["docs"] = "docs"
    question: str


class HealthQuestion(_Frozen):
    """Platform health from the system tables: the domains and analyzers asked about."""

    type: Literal["health"] = "health"
    question: str
    domains: tuple[str, ...] = ()
    analyzers: tuple[str, ...] = ()


#: every plan type; ``Plan`` is the same, read by its ``type`` field
AnyPlan = (
    SemanticPlan
    | SqlRun
    | Clarify
    | Help
    | Refuse
    | CatalogRead
    | CatalogChange
    | DocsQuestion
    | HealthQuestion
)
Plan = Annotated[AnyPlan, Field(discriminator="type")]


def plan_json(plan: AnyPlan) -> dict[str, Any]:
    """``plan`` as the answer's ``plan`` field (the query in /v1/query's own spelling)."""
    return plan.model_dump(mode="json", by_alias=True, exclude_none=True)


def blank_answer(plan: Plan) -> dict[str, Any]:
    """The answer contract with nothing in it yet, for ``plan``."""
    return {
        "status": "answered",
        "answer": "",
        "plan": plan_json(plan),
        "sql": None,
        "columns": [],
        "rows": [],
        "row_count": 0,
        "truncated": False,
        "chart": None,
        "sources": [],
        "confidence": plan.confidence if isinstance(plan, SemanticPlan) else 0.0,
        "domain": "data",
        "suggestions": [],
    }
