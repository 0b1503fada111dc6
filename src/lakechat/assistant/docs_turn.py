"""One chat turn answered from the team's documents (plan ``DocsQuestion``).

A message goes to the documents when it says so ("according to the handbook, ...",
"docs: ..."); when the data models cannot take it (the interpreter refused, or could only
ask which measure a question-shaped message meant) and the documents hold a passage
relevant enough to answer; or when the interpreter's data reading is unsure (one loose
word matched a measure: "how much can I spend on a hotel?") and a passage answers well.
Otherwise the turn is the interpreter's, unchanged. Keys without
``docs:read`` never get document answers.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from lakechat.assistant.plans import (
    Clarify,
    DocsQuestion,
    Plan,
    Refuse,
    SemanticPlan,
    blank_answer,
)
from lakechat.security.principals import Principal

if TYPE_CHECKING:
    from lakechat.knowledge.service import KnowledgeBase

#: a data plan below this confidence is contested by the documents...
UNSURE_PLAN = 0.7
#: ...and loses to a passage at least this relevant
STRONG_PASSAGE = 0.6
#: the message asks the documents by name
_ASKS_DOCS = re.compile(
    r"^\s*(?:docs?|documents?|handbook|wiki)\s*:\s*"
    r"|\b(?:according to|in|from|search|per)\s+(?:the|our|my)\s+"
    r"(?:docs|documentation|documents|handbook|wiki|runbook|policy|policies)\b[\s,:]*",
    re.IGNORECASE,
)
#: a question in words (not a bare metric name a clarification is right for)
_QUESTION = re.compile(
    r"^\s*(?:how|why|what|where|when|which|who|can|could|should|may|is|are|do|does|did|"
    r"explain|describe|tell me)\b|\?\s*$",
    re.IGNORECASE,
)


def asks_documents(message: str) -> bool:
    return _ASKS_DOCS.search(message) is not None


def docs_turn(knowledge: KnowledgeBase | None, message: str, principal: Principal,
              plan: Plan | None) -> dict[str, Any] | None:  # fmt: skip
    """The documents' answer to ``message``, or None when the turn is not theirs."""
    if knowledge is None or not principal.has_scope("docs:read"):
        return None
    explicit = asks_documents(message)
    question_shaped = _QUESTION.search(message) is not None
    fallback = isinstance(plan, Refuse) or (isinstance(plan, Clarify) and question_shaped)
    # a data reading the interpreter is unsure of yields to a passage that answers well
    contest = isinstance(plan, SemanticPlan) and plan.confidence < UNSURE_PLAN and question_shaped
    if not explicit and not fallback and not contest:
        return None
    question = _ASKS_DOCS.sub(" ", message).strip(" ,:") or message.strip()
    answer = knowledge.answer(principal.tenant, question)
    if not answer.found and not explicit:
        return None
    top = max((s.similarity_score for s in answer.sources), default=0.0)
    if contest and top < STRONG_PASSAGE:
        return None
    sources = [{"type": "document", "name": s.document, **s.as_json()} for s in answer.sources]
    return {
        **blank_answer(DocsQuestion(question=question)),
        "answer": answer.response,
        "sources": sources,
        "confidence": round(top, 3) if answer.found else 0.0,
        "domain": "documents",
        "found": answer.found,
    }
