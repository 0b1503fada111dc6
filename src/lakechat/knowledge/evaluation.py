"""Retrieval evaluation: recall@k and MRR for questions with their expected source sections.

A case file names its corpus (a folder, relative to the file) and its cases::

    corpus: handbook
    cases:
      - question: How many days of annual leave do new employees get?
        expect:
          - {document: leave-and-holidays.md, section: Annual leave}

A retrieved passage answers a case when it comes from an expected document and that
section's heading is on its heading path (any level). The corpus is ingested into a
scratch knowledge base with the configured embedder, so the figures are the product's own.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from lakechat.errors import BadRequest
from lakechat.knowledge.documents import StoredChunk
from lakechat.knowledge.service import KnowledgeBase
from lakechat.yaml12 import Yaml12Loader


@dataclass(frozen=True)
class Expected:
    document: str
    section: str | None

    def matches(self, chunk: StoredChunk) -> bool:
        if chunk.document != self.document:
            return False
        return self.section is None or self.section in (chunk.title, *chunk.path)


@dataclass(frozen=True)
class RetrievalCase:
    question: str
    expect: tuple[Expected, ...]


@dataclass(frozen=True)
class CaseFile:
    path: Path
    corpus: Path
    cases: tuple[RetrievalCase, ...]


@dataclass(frozen=True)
class CaseResult:
    case: RetrievalCase
    #: 1-based rank of the first passage that answers, None when none of the k does
    rank: int | None
    retrieved: tuple[str, ...]  # "document > heading > ..." of each passage, best first

    def as_json(self) -> dict[str, Any]:
        return {"question": self.case.question, "rank": self.rank, "retrieved": list(self.retrieved),
                "expect": [{"document": e.document, "section": e.section} for e in self.case.expect]}  # fmt: skip


@dataclass(frozen=True)
class RetrievalReport:
    name: str
    k: int
    results: tuple[CaseResult, ...]

    @property
    def recall(self) -> float:
        return sum(r.rank is not None for r in self.results) / len(self.results)

    @property
    def mrr(self) -> float:
        return statistics.fmean(1 / r.rank if r.rank else 0.0 for r in self.results)

    def as_json(self) -> dict[str, Any]:
        return {"file": self.name, "cases": len(self.results), "k": self.k,
                f"recall_at_{self.k}": round(self.recall, 4), "mrr": round(self.mrr, 4),
                "misses": [r.as_json() for r in self.results if r.rank is None]}  # fmt: skip


def load_case_file(path: Path) -> CaseFile:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=Yaml12Loader)  # noqa: S506 - a SafeLoader
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise BadRequest(f"{path}: cannot read the case file: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        raise BadRequest(f"{path}: expected `corpus:` and a list of `cases:`")
    corpus = (path.parent / str(data.get("corpus") or ".")).resolve()
    if not corpus.is_dir():
        raise BadRequest(f"{path}: the corpus folder {corpus} does not exist")
    cases = []
    for n, raw in enumerate(data["cases"], 1):
        if not isinstance(raw, dict) or not str(raw.get("question") or "").strip():
            raise BadRequest(f"{path}: case {n} needs a question")
        expect = raw.get("expect") or []
        if not isinstance(expect, list) or not expect:
            raise BadRequest(f"{path}: case {n} ({raw['question']!r}) needs `expect:` sections")
        wanted = []
        for item in expect:
            if not isinstance(item, dict) or not item.get("document"):
                raise BadRequest(f"{path}: case {n}: each expectation needs a document")
            section = item.get("section")
            wanted.append(Expected(str(item["document"]), str(section) if section else None))
        cases.append(RetrievalCase(str(raw["question"]).strip(), tuple(wanted)))
    return CaseFile(path, corpus, tuple(cases))


def evaluate_retrieval(
    knowledge: KnowledgeBase,
    tenant: str,
    cases: Sequence[RetrievalCase],
    *,
    name: str,
    k: int = 5,
    progress: Callable[[int], None] | None = None,
) -> RetrievalReport:
    results = []
    for n, case in enumerate(cases, 1):
        found = knowledge.search(tenant, case.question, k)
        rank = next(
            (i for i, r in enumerate(found, 1) if any(e.matches(r.chunk) for e in case.expect)),
            None,
        )
        where = tuple(" > ".join((r.chunk.document, *r.chunk.path)) for r in found)
        results.append(CaseResult(case, rank, where))
        if progress is not None:
            progress(n)
    if not results:
        raise BadRequest(f"{name} holds no cases")
    return RetrievalReport(name, k, tuple(results))
