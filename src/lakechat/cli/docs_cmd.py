"""`lakechat docs ingest|list|delete|ask|reindex|eval`: the team's documents from the terminal."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from lakechat.cli.output import console, fail, print_json, print_table

if TYPE_CHECKING:
    from lakechat.knowledge.evaluation import RetrievalReport
    from lakechat.knowledge.service import KnowledgeBase
    from lakechat.settings import Settings

app = typer.Typer(
    help="The team's documents: add them, ask them, evaluate retrieval.", no_args_is_help=True
)

JSON_OPTION = typer.Option(False, "--json", help="Print JSON.")
#: documents added from the terminal belong to the local admin's tenant
TENANT = "default"


@contextmanager
def _knowledge(settings: Settings | None = None) -> Iterator[KnowledgeBase]:
    from lakechat.knowledge.factory import build_knowledge
    from lakechat.settings import load_settings
    from lakechat.store.database import StateStore
    from lakechat.store.migrate import ensure_current

    settings = settings or load_settings()
    store = StateStore(settings.state_url)
    try:
        ensure_current(store)
        knowledge = build_knowledge(settings, store)
        try:
            yield knowledge
        finally:
            knowledge.close()
    finally:
        store.dispose()


def _bar(verb: str, quiet: bool) -> Progress:
    return Progress(TextColumn(verb), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, transient=True, disable=quiet)  # fmt: skip


def ingest_paths(knowledge: KnowledgeBase, paths: list[Path], version: str, tags: tuple[str, ...],
                 quiet: bool = False) -> list[dict[str, Any]]:  # fmt: skip
    """Ingest files and folders with a progress bar; one outcome per file."""
    from lakechat.knowledge.ingest import Upload, files_under
    from lakechat.security.principals import LOCAL_ADMIN

    found = files_under(paths)
    if not found:
        fail("no Markdown, text, HTML, PDF or DOCX files there")

    def uploads() -> Iterator[Upload]:
        for name, file in found:
            try:
                yield Upload(name, file.read_bytes(), version, tags)
            except OSError as exc:
                yield Upload(name, b"", version, tags, error=f"cannot read {file}: {exc.strerror}")

    with _bar("ingesting", quiet) as bar:
        task = bar.add_task("ingest", total=len(found))
        report = knowledge.ingest(
            TENANT, LOCAL_ADMIN.name, uploads(),
            lambda done, failed: bar.update(task, completed=done + failed),
        )  # fmt: skip
    outcomes = [o.as_json() for o in report.outcomes]
    if report.vectors_error:
        console.print(f"[yellow]vectors not made (searchable by words meanwhile; "
                      f"`lakechat docs reindex` retries): {report.vectors_error}[/]")  # fmt: skip
    return outcomes


@app.command("ingest")
def ingest(
    paths: list[Path] = typer.Argument(..., help="Files or folders (read recursively)."),
    version: str = typer.Option("", "--version", help="The documents' version (book_version)."),
    tag: list[str] = typer.Option([], "--tag", help="A tag for every document (repeatable)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Add documents: Markdown, text, HTML, PDF and DOCX. Unchanged files are skipped."""
    with _knowledge() as knowledge:
        outcomes = ingest_paths(knowledge, paths, version, tuple(tag), quiet=as_json)
    failed = [o for o in outcomes if o["status"] == "failed"]
    if as_json:
        print_json({"documents": outcomes, "failed": len(failed)})
    else:
        print_table("documents", ["name", "status", "chunks", "id or reason"],
                    [(o["name"], o["status"], o["chunks"], o["error"] or o["document_id"])
                     for o in outcomes])  # fmt: skip
    if failed:
        raise typer.Exit(1)


@app.command("list")
def list_documents(as_json: bool = JSON_OPTION) -> None:
    """The documents, with their chunks and versions."""
    from lakechat.knowledge.documents import as_json as document_json

    with _knowledge() as knowledge:
        rows, total = knowledge.documents.listed(TENANT, limit=10_000)
        listed = [document_json(r) for r in rows]
        mode = knowledge.search_mode
    if as_json:
        print_json({"documents": listed, "total": total, "search": mode})
        return
    print_table(f"documents ({mode} search)", ["id", "name", "version", "chunks", "updated"],
                [(d["id"][:12], d["name"], d["version"], d["chunks"], d["updated_at"][:19])
                 for d in listed])  # fmt: skip


@app.command("delete")
def delete(
    document: str = typer.Argument(..., help="A document's id (or its first characters) or name."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Delete a document, its chunks, vectors and original."""
    with _knowledge() as knowledge:
        rows, _ = knowledge.documents.listed(TENANT, limit=100_000)
        matches = [r for r in rows if r.id.startswith(document) or r.name == document]
        if not matches:
            fail(f"no document {document!r}: `lakechat docs list` shows them")
        if len(matches) > 1:
            fail(f"{document!r} is {len(matches)} documents: give the id")
        row = knowledge.delete(TENANT, matches[0].id)
    if as_json:
        print_json({"deleted": row.id, "name": row.name, "chunks_removed": row.chunk_count})
    else:
        console.print(f"deleted {row.name} ({row.chunk_count} chunks)")


@app.command("ask")
def ask(
    question: str = typer.Argument(..., help="The question."),
    top_k: int = typer.Option(5, "--top-k", min=1, max=20, help="Passages to read."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Ask the documents: the answering sentences, quoted, with their sources."""
    if not question.strip():
        fail("the question is empty")
    with _knowledge() as knowledge:
        answer = knowledge.answer(TENANT, question.strip(), top_k=top_k)
    if as_json:
        print_json({"response": answer.response, "found": answer.found,
                    "sources": [s.as_json() for s in answer.sources]})  # fmt: skip
        return
    console.print(answer.response, markup=False, highlight=False)


@app.command("reindex")
def reindex(as_json: bool = JSON_OPTION) -> None:
    """Embed every chunk that has no vector from the configured embedder."""
    with _knowledge() as knowledge:
        if knowledge.embedder is None:
            fail("no embedder is set up: install the `embeddings` extra or set EMBEDDINGS_URL")
        pending = knowledge.pending_vectors()
        with _bar("embedding", as_json) as bar:
            task = bar.add_task("embed", total=pending)
            done, error = knowledge.reindex(lambda n, _: bar.update(task, completed=n))
    if as_json:
        print_json({"embedded": done, "error": error})
    else:
        console.print(f"embedded {done} chunks")
    if error:
        fail(error)


@app.command("eval")
def evaluate(
    files: list[Path] = typer.Argument(..., help="Case files (YAML)."),
    k: int = typer.Option(5, "--k", min=1, max=50, help="Passages retrieved per question."),
    min_recall: float = typer.Option(
        0.9, "--min-recall", min=0.0, max=1.0, help="Exit 1 when any file's recall@k is lower."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Recall@k and MRR of retrieval for questions with their expected sections; each
    file's corpus is ingested into a scratch store with the configured embedder."""
    reports = [run_eval_file(path, k, quiet=as_json) for path in files]
    if as_json:
        print_json({"files": [r.as_json() for r in reports]})
    else:
        print_table("retrieval", ["file", "cases", f"recall@{k}", "MRR"],
                    [(r.name, len(r.results), f"{r.recall:.3f}", f"{r.mrr:.3f}") for r in reports])  # fmt: skip
        for report in reports:
            for miss in (r for r in report.results if r.rank is None):
                console.print(
                    f"[yellow]miss[/] {report.name}: {miss.case.question}", highlight=False
                )
    low = [r for r in reports if r.recall < min_recall]
    if low:
        fail(
            f"recall@{k} below {min_recall}: " + ", ".join(f"{r.name} {r.recall:.3f}" for r in low)
        )


def run_eval_file(path: Path, k: int, *, quiet: bool = False) -> RetrievalReport:
    from lakechat.knowledge.evaluation import evaluate_retrieval, load_case_file
    from lakechat.settings import load_settings

    if not path.is_file():
        fail(f"no such case file: {path}")
    cases = load_case_file(path)
    settings = load_settings()
    with tempfile.TemporaryDirectory(prefix="lakechat-docs-eval-") as scratch:
        scratch_settings = settings.model_copy(update={"lakechat_home": Path(scratch),
            "database_url": None, "files_url": None, "vector_store": "local"})  # fmt: skip
        with _knowledge(scratch_settings) as knowledge:
            ingest_paths(knowledge, [cases.corpus], "", (), quiet=True)
            with _bar(f"asking {path.name}", quiet) as bar:
                task = bar.add_task("eval", total=len(cases.cases))
                return evaluate_retrieval(knowledge, TENANT, cases.cases, name=path.name, k=k,
                    progress=lambda n: bar.update(task, completed=n))  # fmt: skip
