"""The retrieval gate: the shipped document questions (docs/ and the handbook) must find
their sections, with the packaged embedder as `make demo` runs it (recall@5 of 0.9 at least)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakechat.cli.docs_cmd import run_eval_file

CASES = Path(__file__).parent / "docs"


@pytest.mark.parametrize("name", ["docs_cases.yaml", "handbook_cases.yaml"])
def test_recall_at_5_is_at_least_0_9(name: str) -> None:
    report = run_eval_file(CASES / name, 5, quiet=True)
    misses = [r.case.question for r in report.results if r.rank is None]
    assert len(report.results) >= 40
    assert report.recall >= 0.9, (report.recall, misses)
    assert report.mrr >= 0.75, report.mrr
