"""`lakechat docs`: ingest a folder with progress, list, ask with citations, delete, eval."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_cli import lakechat, ok
from tests.knowledge.test_parsing import _pdf

#: words only: these tests are about the command, not the embedder
LEXICAL = {"EMBEDDINGS_PROVIDER": "none"}


def folder(tmp_path: Path) -> Path:
    root = tmp_path / "policies"
    (root / "people").mkdir(parents=True)
    (root / "people" / "leave.md").write_text(
        "# Leave\n\n## Annual leave\nEveryone gets 25 days of paid annual leave a year.\n"
    )
    (root / "pay.pdf").write_bytes(_pdf(["Salaries are paid on the 25th of each month."]))
    (root / "broken.pdf").write_bytes(b"%PDF-1.4 cut short")
    (root / ".hidden.md").write_text("# Hidden\nnever read")
    (root / "image.png").write_bytes(b"\x89PNG")
    return root


def test_ingest_ask_list_and_delete(tmp_path: Path) -> None:
    root = folder(tmp_path)
    result = lakechat("docs", "ingest", str(root), "--version", "2026", "--json", env=LEXICAL)
    assert result.returncode == 1  # one file failed: the exit says so
    outcomes = {d["name"]: d for d in json.loads(result.stdout)["documents"]}
    assert set(outcomes) == {"people/leave.md", "pay.pdf", "broken.pdf"}
    assert outcomes["broken.pdf"]["status"] == "failed" and "PDF" in outcomes["broken.pdf"]["error"]
    assert outcomes["people/leave.md"]["status"] == "added"
    again = json.loads(lakechat("docs", "ingest", str(root), "--version", "2026", "--json",
                                env=LEXICAL).stdout)  # fmt: skip
    assert [d["status"] for d in again["documents"]] == ["failed", "unchanged", "unchanged"]

    answer = ok("docs", "ask", "how many days of annual leave?", env=LEXICAL)
    assert (
        "25 days of paid annual leave" in answer
        and "people/leave.md > Leave > Annual leave" in answer
    )
    # the assistant routes a document question there too
    chat = json.loads(ok("ask", "according to the handbook, how much annual leave do I get?",
                         "--json", env=LEXICAL))  # fmt: skip
    assert chat["plan"]["type"] == "docs" and "25 days" in chat["answer"]
    listed = json.loads(ok("docs", "list", "--json", env=LEXICAL))
    assert listed["total"] == 2 and listed["search"] == "lexical"
    assert "deleted pay.pdf" in ok("docs", "delete", "pay.pdf", env=LEXICAL)
    after = json.loads(ok("docs", "ask", "when are salaries paid?", "--json", env=LEXICAL))
    assert all(s["document"] != "pay.pdf" for s in after["sources"])
    missing = lakechat("docs", "delete", "nothing.md", env=LEXICAL)
    assert missing.returncode == 1 and "no document 'nothing.md'" in missing.stderr
    reindex = lakechat("docs", "reindex", env=LEXICAL)
    assert reindex.returncode == 1 and "no embedder" in reindex.stderr


def test_bad_paths_and_case_files_fail_clearly(tmp_path: Path) -> None:
    nothing = lakechat("docs", "ingest", str(tmp_path / "nope"), env=LEXICAL)
    assert nothing.returncode == 1 and "no such file or folder" in nothing.stderr
    bad = tmp_path / "cases.yaml"
    bad.write_text("corpus: missing-folder\ncases: []\n")
    result = lakechat("docs", "eval", str(bad), env=LEXICAL)
    assert result.returncode == 1 and "missing-folder does not exist" in result.stderr


def test_eval_scores_recall_and_mrr_and_fails_below_the_bar(tmp_path: Path) -> None:
    root = folder(tmp_path)
    (root / "broken.pdf").unlink()
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        "corpus: policies\ncases:\n"
        "  - question: how much annual leave do I get?\n"
        "    expect: [{document: people/leave.md, section: Annual leave}]\n"
        "  - question: when is pay day?\n"
        "    expect: [{document: pay.pdf}]\n"
        "  - question: who cleans the windows?\n"
        "    expect: [{document: people/leave.md, section: Windows}]\n"
    )
    result = lakechat("docs", "eval", str(cases), "--json", env=LEXICAL)
    assert result.returncode == 1 and "recall@5 below 0.9" in result.stderr
    [report] = json.loads(result.stdout)["files"]
    assert report["cases"] == 3 and report["recall_at_5"] == round(2 / 3, 4)
    assert [m["question"] for m in report["misses"]] == ["who cleans the windows?"]
    passing = lakechat("docs", "eval", str(cases), "--min-recall", "0.6", env=LEXICAL)
    assert passing.returncode == 0 and "recall@5" in passing.stdout
