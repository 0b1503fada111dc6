"""Document ingestion and questions, measured side by side in one run.

1. Ingestion: lakechat's docs/ and the eval handbook (tests/eval/docs/handbook, about 400
   chunks) ingested through KnowledgeBase.ingest with the packaged MiniLM and the local
   vector store in a scratch LAKECHAT_HOME (parse, chunk, store, embed, vector writes),
   beside the embedder's raw encode of exactly the texts the service embedded. Chunks per
   second for both and the ratio (goal: at least 0.8). The sides alternate --rounds times
   (the model is warm first); each figure is the median. The service's own encode calls
   are timed once, and the word pieces the model pads each way of calling it are counted.
2. Questions at 10,000 and 100,000 chunks: the ingested corpus plus synthetic chunks
   (seeded sentences over the handbook's words, stored through DocumentStore.save, given
   seeded random projections of their bag of words as vectors: encoding 100,000 chunks
   with MiniLM takes hours on 2 cores). Questions (the eval questions and synthetic ones)
   are encoded by the real model. KnowledgeBase.answer p50/p95 beside the raw engines doing
   the same retrieval (MiniLM encode, bm25s retrieve, a numpy matrix-vector top-k), the
   lexical index's build time beside raw bm25s', and the process's memory.

    python bench/docs_ingest.py [--rounds 2] [--sizes 10000,100000] [--questions 100] [--quick]
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import os
import re
import sqlite3
import statistics
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lakechat.knowledge.answers import DocsAnswer, answer_from_passages
from lakechat.knowledge.base import payload_of
from lakechat.knowledge.chunking import MAX_WORDS, Chunk
from lakechat.knowledge.documents import NewDocument, StoredChunk
from lakechat.knowledge.embedders import LocalEmbedder
from lakechat.knowledge.evaluation import RetrievalCase, load_case_file
from lakechat.knowledge.factory import vector_opener
from lakechat.knowledge.files import FileStore
from lakechat.knowledge.ingest import Upload, files_under
from lakechat.knowledge.retrieval import DEPTH, Retriever
from lakechat.knowledge.service import EMBED_BATCH, KnowledgeBase
from lakechat.settings import load_settings
from lakechat.store.database import StateStore
from lakechat.store.migrate import ensure_current

ROOT = Path(__file__).parents[1]
EVAL_DOCS = ROOT / "tests" / "eval" / "docs"
TENANT = "default"
TOP_K = 5
#: synthetic chunks per synthetic document, and per section of one
CHUNKS_PER_DOCUMENT = 20
CHUNKS_PER_SECTION = 4
SEED = 20240611


def say(text: str) -> None:
    print(text, flush=True)


def rss_mb() -> float:
    """The process' resident memory now (Linux), else its peak."""
    status = Path("/proc/self/status")
    found = re.search(r"VmRSS:\s+(\d+) kB", status.read_text()) if status.exists() else None
    if found:
        return int(found[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load() -> str:
    return ", ".join(f"{n:.1f}" for n in os.getloadavg())


def ms(seconds: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(seconds) * 1000, q))


# part 1: ingestion ---------------------------------------------------------------------------
def corpus() -> list[Upload]:
    """The docs and the handbook as uploads, named as the eval cases name them."""
    found = files_under([ROOT / "docs"]) + files_under([EVAL_DOCS / "handbook"])
    return [Upload(name, path.read_bytes()) for name, path in found]


def open_knowledge(home: Path, embedder: LocalEmbedder | None) -> KnowledgeBase:
    """A knowledge base in a fresh LAKECHAT_HOME with the SQLite state store and the local
    vector store, sharing the (warm) embedder."""
    settings = load_settings(
        lakechat_home=home, database_url=None, files_url=None, vector_store="local",
        embeddings_provider="local" if embedder else "none",
    )  # fmt: skip
    store = StateStore(settings.state_url)
    ensure_current(store)
    return KnowledgeBase(
        store, FileStore(settings.files_location), embedder,
        vector_opener(settings) if embedder else None, min_relevance=settings.docs_min_relevance,
    )  # fmt: skip


@dataclass
class IngestFigures:
    chunks: int = 0
    ours: list[float] = field(default_factory=list)
    raw_one: list[float] = field(default_factory=list)
    raw_batched: list[float] = field(default_factory=list)
    store_only: list[float] = field(default_factory=list)
    #: texts per encode call -> (word pieces the model runs over, real ones, texts cut)
    padding: dict[int, tuple[int, int, int]] = field(default_factory=dict)


#: encode calls of these many texts are compared: all at once, the service's, a larger one
CALL_SIZES = (0, EMBED_BATCH, 4 * EMBED_BATCH)


def padded(embedder: LocalEmbedder, texts: Sequence[str], call_size: int) -> tuple[int, int, int]:
    """What MiniLM computes over when the texts come in calls of ``call_size`` (0: one
    call): sentence-transformers sorts each call's texts by length and pads each batch of 32
    to its longest text (at most 256 word pieces, where it cuts). Returns (padded word
    pieces, real word pieces, texts cut). The time is about proportional to the first."""
    model = embedder._loaded()  # the sentence-transformers model (private: a bench may look)
    limit = model.max_seq_length
    full = [len(ids) for ids in model.tokenizer(list(texts), verbose=False)["input_ids"]]
    lengths = [min(n, limit) for n in full]
    step = call_size or len(texts)
    total = 0
    for call in range(0, len(texts), step):
        order = sorted(range(call, min(call + step, len(texts))), key=lambda i: -len(texts[i]))
        for batch in range(0, len(order), 32):
            members = order[batch : batch + 32]
            total += len(members) * max(lengths[i] for i in members)
    return total, sum(lengths), sum(n > limit for n in full)


def ingest_rounds(
    root: Path, uploads: list[Upload], embedder: LocalEmbedder, rounds: int
) -> tuple[IngestFigures, KnowledgeBase, Path]:
    figures = IngestFigures()
    knowledge: KnowledgeBase | None = None
    for n in range(rounds):
        home = root / f"ingest-{n}"
        knowledge = open_knowledge(home, embedder)
        started = time.perf_counter()
        report = knowledge.ingest(TENANT, "bench", uploads)
        figures.ours.append(time.perf_counter() - started)
        failed = [o for o in report.outcomes if o.status == "failed"]
        if failed or report.vectors_error:
            raise SystemExit(f"ingestion failed: {failed or report.vectors_error}")
        # exactly what the service embedded, in its order
        texts = [c.for_search() for c in knowledge.documents.chunks(TENANT)]
        assert report.embedded == len(texts) and knowledge.pending_vectors() == 0
        figures.chunks = len(texts)

        started = time.perf_counter()
        embedder.encode(texts)
        figures.raw_one.append(time.perf_counter() - started)
        if n == 0:  # the service's own calls, once: the padding figures say the rest
            started = time.perf_counter()
            for start in range(0, len(texts), EMBED_BATCH):
                embedder.encode(texts[start : start + EMBED_BATCH])
            figures.raw_batched.append(time.perf_counter() - started)
            figures.padding = {size: padded(embedder, texts, size) for size in CALL_SIZES}

        lexical_only = open_knowledge(root / f"store-only-{n}", None)
        started = time.perf_counter()
        lexical_only.ingest(TENANT, "bench", uploads)
        figures.store_only.append(time.perf_counter() - started)
        lexical_only.documents.store.dispose()

        o, r = figures.ours[-1], figures.raw_one[-1]
        say(f"  round {n + 1}/{rounds}: lakechat {o:.1f} s ({len(texts) / o:.1f} chunks/s), "
            f"raw encode {r:.1f} s ({len(texts) / r:.1f} chunks/s), ratio {r / o:.2f}")  # fmt: skip
    assert knowledge is not None
    return figures, knowledge, home


# part 2: questions at scale ------------------------------------------------------------------
class Vocabulary:
    """The real corpus' words with their frequencies, to draw synthetic prose from."""

    def __init__(self, texts: Sequence[str]) -> None:
        counts = Counter(w for t in texts for w in re.findall(r"[A-Za-z][a-z]+", t))
        self.words = np.array(sorted(counts), dtype=object)
        freq = np.array([counts[w] for w in self.words], dtype=np.float64)
        self.p = freq / freq.sum()
        # the seeded projection that stands in for the model: one random direction per word
        self.directions = (
            np.random.default_rng(SEED)
            .standard_normal((len(self.words), LocalEmbedder.dimensions))
            .astype(np.float32)
        )


@dataclass(frozen=True)
class Synthetic:
    documents: list[tuple[NewDocument, list[Chunk]]]
    #: every synthetic chunk's word ids, end to end, and where each chunk starts
    word_ids: np.ndarray
    offsets: np.ndarray


def synthesize(
    vocab: Vocabulary, chunks: int, first_doc: int, rng: np.random.Generator
) -> Synthetic:
    lengths = rng.integers(MAX_WORDS * 2 // 3, MAX_WORDS + 1, size=chunks)  # words per chunk
    word_ids = rng.choice(len(vocab.words), size=int(lengths.sum()), p=vocab.p).astype(np.int32)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    words = vocab.words[word_ids]
    documents: list[tuple[NewDocument, list[Chunk]]] = []
    texts: list[Chunk] = []
    path: tuple[str, ...] = ()
    for i in range(chunks):
        n = len(texts)
        if n % CHUNKS_PER_SECTION == 0:
            heading = vocab.words[rng.choice(len(vocab.words), 2, p=vocab.p)]
            path = (f"{heading[0].capitalize()} {heading[1]}",)
        chunk_words = words[offsets[i] : offsets[i + 1]]
        cuts = np.cumsum(rng.integers(7, 21, size=len(chunk_words) // 7 + 1))
        sentences = []
        for start, end in zip(np.concatenate([[0], cuts]), cuts, strict=False):
            part = chunk_words[start:end]
            if len(part):
                sentences.append(f"{part[0].capitalize()} {' '.join(part[1:])}".rstrip() + ".")
        texts.append(Chunk(n, path, None, " ".join(sentences)))
        if len(texts) == CHUNKS_PER_DOCUMENT or i == chunks - 1:
            number = first_doc + len(documents)
            body = "\n".join(c.text for c in texts).encode()
            title = f"{vocab.words[rng.choice(len(vocab.words), p=vocab.p)].capitalize()} notes {number}"
            documents.append((NewDocument(
                TENANT, f"synthetic/{number:06d}.md", title, "markdown", "", (),
                hashlib.sha256(body).hexdigest(), len(body), None, "bench",
            ), texts))  # fmt: skip
            texts = []
    return Synthetic(documents, word_ids, offsets)


def projected(vocab: Vocabulary, synthetic: Synthetic) -> np.ndarray:
    """Each chunk's bag of words times the seeded word directions, normalized."""
    chunks = len(synthetic.offsets) - 1
    matrix = np.empty((chunks, LocalEmbedder.dimensions), dtype=np.float32)
    for first in range(0, chunks, 2000):
        last = min(first + 2000, chunks)
        start, end = synthetic.offsets[first], synthetic.offsets[last]
        rows = np.repeat(np.arange(last - first), np.diff(synthetic.offsets[first : last + 1]))
        bags = np.zeros((last - first, len(vocab.words)), dtype=np.float32)
        np.add.at(bags, (rows, synthetic.word_ids[start:end]), 1.0)
        matrix[first:last] = bags @ vocab.directions
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix


@dataclass
class SizeFigures:
    chunks: int
    store_s: float = 0.0
    upsert_s: float = 0.0
    mark_s: float = 0.0
    pending_query_ms: float = 0.0
    load_s: float = 0.0
    raw_load_s: float = 0.0
    lexical_s: float = 0.0
    raw_index_s: float = 0.0
    ours: list[float] = field(default_factory=list)
    raw: list[float] = field(default_factory=list)
    raw_encode: list[float] = field(default_factory=list)
    raw_bm25: list[float] = field(default_factory=list)
    raw_vector: list[float] = field(default_factory=list)
    steps: dict[str, list[float]] = field(default_factory=dict)
    hits: int = 0
    cases: int = 0
    rss_mb: float = 0.0
    batch_upsert_s: float = 0.0
    idle_query_ms: float = 0.0


def grow(knowledge: KnowledgeBase, vocab: Vocabulary, to: int, rng: np.random.Generator,
         figures: SizeFigures) -> None:  # fmt: skip
    """Add synthetic chunks (stored, vectors written, marked embedded) up to ``to`` chunks."""
    documents, embedder, vectors = knowledge.documents, knowledge.embedder, knowledge.vectors
    assert embedder is not None and vectors is not None
    have = vectors.count()
    started = time.perf_counter()
    synthetic = synthesize(vocab, to - have, 1 + have // CHUNKS_PER_DOCUMENT, rng)
    say(f"    {to - have:,} synthetic chunks written in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    added: list[StoredChunk] = []
    for doc, chunks in synthetic.documents:
        added += documents.save(doc, chunks).added
    figures.store_s = time.perf_counter() - started
    say(f"    stored through DocumentStore.save ({len(synthetic.documents):,} documents) "
        f"in {figures.store_s:.1f} s")  # fmt: skip

    started = time.perf_counter()
    documents.without_vectors(embedder.name, EMBED_BATCH)
    figures.pending_query_ms = (time.perf_counter() - started) * 1000

    matrix = projected(vocab, synthetic)
    started = time.perf_counter()
    vectors.upsert([c.id for c in added], matrix, [payload_of(c, TENANT) for c in added])
    figures.upsert_s = time.perf_counter() - started
    started = time.perf_counter()
    for start in range(0, len(added), 5000):  # SQLite takes at most 32,766 parameters
        documents.mark_embedded([c.id for c in added[start : start + 5000]], embedder.name)
    figures.mark_s = time.perf_counter() - started
    say(f"    vectors: one upsert of {len(added):,} in {figures.upsert_s:.1f} s, "
        f"marked embedded in {figures.mark_s:.1f} s")  # fmt: skip
    assert knowledge.pending_vectors() == 0 and vectors.count() == to


def questions(count: int, vocab: Vocabulary, rng: np.random.Generator) -> list[RetrievalCase]:
    """The eval questions (a seeded sample), topped up with synthetic ones."""
    cases = [
        case
        for name in ("docs_cases.yaml", "handbook_cases.yaml")
        for case in load_case_file(EVAL_DOCS / name).cases
    ]
    real = [cases[i] for i in rng.permutation(len(cases))[: int(count * 0.8)]]
    made = []
    for _ in range(count - len(real)):
        a, b, c = vocab.words[rng.choice(len(vocab.words), 3, p=vocab.p)]
        made.append(RetrievalCase(f"how do I {a} the {b} {c}?", ()))
    return real + made


def hit(case: RetrievalCase, answer: DocsAnswer) -> bool:
    """Whether the answer cites a section the case expects."""
    return any(
        s.document == e.document and (e.section is None or e.section in (s.title, *s.path))
        for s in answer.sources
        for e in case.expect
    )


class RawEngines:
    """The same retrieval without lakechat: bm25s over the same chunk texts, and the vector
    store's own matrix searched with one matrix-vector product."""

    def __init__(self, texts: Sequence[str], matrix: np.ndarray) -> None:
        import bm25s
        import Stemmer

        self.stemmer = Stemmer.Stemmer("english")
        self.bm25 = bm25s.BM25()
        self.bm25.index(bm25s.tokenize(list(texts), stopwords="en", stemmer=self.stemmer,
                                       show_progress=False), show_progress=False)  # fmt: skip
        self.matrix = matrix

    def lexical(self, question: str, k: int) -> Any:
        import bm25s

        tokens = bm25s.tokenize([question], stopwords="en", stemmer=self.stemmer,
                                show_progress=False, return_ids=False)  # fmt: skip
        if not tokens or not tokens[0]:
            return None
        return self.bm25.retrieve(tokens, k=k, show_progress=False, n_threads=1)

    def vector(self, vector: np.ndarray, k: int) -> np.ndarray:
        scores = self.matrix @ vector
        best = np.argpartition(-scores, k - 1)[:k]
        return best[np.argsort(-scores[best])]


@contextmanager
def stopwatch(into: list[float]) -> Iterator[None]:
    started = time.perf_counter()
    yield
    into.append(time.perf_counter() - started)


#: the rows DocumentStore.chunks reads, through sqlite3 alone
RAW_READ = """
SELECT c.id, c.position, c.path, c.page, c.text, d.id, d.name, d.title, d.version, d.tags
FROM doc_chunks c JOIN documents d ON c.document_id = d.id
WHERE d.tenant = ? ORDER BY d.id, c.position
"""


def measure(knowledge: KnowledgeBase, home: Path, cases: list[RetrievalCase],
            figures: SizeFigures) -> None:  # fmt: skip
    embedder, vectors = knowledge.embedder, knowledge.vectors
    assert embedder is not None and vectors is not None
    started = time.perf_counter()
    texts = [c.for_search() for c in knowledge.documents.chunks(TENANT)]
    figures.load_s = time.perf_counter() - started
    started = time.perf_counter()
    with closing(sqlite3.connect(home / "lakechat.db")) as raw_db:
        rows = raw_db.execute(RAW_READ, (TENANT,)).fetchall()
    figures.raw_load_s = time.perf_counter() - started
    assert len(rows) == len(texts)
    del rows
    gc.collect()
    started = time.perf_counter()
    knowledge.answer(TENANT, cases[0].question)  # builds the lexical index
    figures.lexical_s = time.perf_counter() - started
    say(f"    lexical index built by the first answer in {figures.lexical_s:.1f} s (reading the "
        f"{len(texts):,} chunks from the state store alone: {figures.load_s:.1f} s; raw "
        f"sqlite3: {figures.raw_load_s:.1f} s)")  # fmt: skip
    figures.rss_mb = rss_mb()

    # the vector store's own file (one folder per embedder under $LAKECHAT_HOME/vectors)
    with np.load(next((home / "vectors").glob("*/vectors.npz"))) as saved:
        matrix = saved["matrix"]
    started = time.perf_counter()
    raw = RawEngines(texts, matrix)
    figures.raw_index_s = time.perf_counter() - started
    say(f"    raw bm25s index built in {figures.raw_index_s:.1f} s")
    del texts

    depth = max(DEPTH, TOP_K)
    for case in cases:  # the two sides alternate question by question
        with stopwatch(figures.ours):
            answer = knowledge.answer(TENANT, case.question)
        if case.expect:
            figures.cases += 1
            figures.hits += hit(case, answer)
        with stopwatch(figures.raw_encode):
            vector = embedder.encode([case.question])[0]
        with stopwatch(figures.raw_bm25):
            raw.lexical(case.question, depth)
        with stopwatch(figures.raw_vector):
            raw.vector(vector, depth)
        figures.raw.append(figures.raw_encode[-1] + figures.raw_bm25[-1] + figures.raw_vector[-1])

    # where lakechat's time goes, step by step (as KnowledgeBase.answer takes them), on a
    # sample of the questions
    steps: dict[str, list[float]] = defaultdict(list)
    for case in cases[:: max(1, len(cases) // 20)]:
        question = case.question
        with stopwatch(steps["index lookup (stamp)"]):
            lexical = knowledge.lexical(TENANT)
        with stopwatch(steps["Retriever() (id map)"]):
            retriever = Retriever(lexical, embedder, vectors, TENANT)
        with stopwatch(steps["BM25 search"]):
            lexical.search(question, depth)
        with stopwatch(steps["encode question"]):
            vector = embedder.encode([question])[0]
        with stopwatch(steps["vector search"]):
            vectors.search(vector, depth, None, TENANT)
        found = retriever.search(question, TOP_K)
        with stopwatch(steps["answer (quotes)"]):
            answer_from_passages(question, found, lexical.weight, knowledge.min_relevance)
    figures.steps = dict(steps)

    # what one more embedding batch costs at this size (the catch-up's unit of work)
    ids = [f"bench-probe-{i}" for i in range(EMBED_BATCH)]
    probe = np.random.default_rng(SEED).standard_normal((EMBED_BATCH, LocalEmbedder.dimensions))
    spent: list[float] = []
    with stopwatch(spent):
        vectors.upsert(ids, probe, [{"tenant": "bench-probe"}] * EMBED_BATCH)
    vectors.delete(ids)
    with stopwatch(spent):
        knowledge.documents.without_vectors(embedder.name, EMBED_BATCH)
    figures.batch_upsert_s, figures.idle_query_ms = spent[0], spent[1] * 1000


# the run --------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="ingestion rounds (medians)")
    parser.add_argument("--sizes", default="10000,100000", help="corpus sizes for questions")
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument(
        "--quick", action="store_true", help="1 round, 2,000 and 10,000 chunks, 30 questions"
    )
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.sizes, args.questions = 1, "2000,10000", 30
    sizes = sorted(int(s) for s in args.sizes.split(","))
    run_started = time.perf_counter()

    uploads = corpus()
    embedder = LocalEmbedder()
    started = time.perf_counter()
    warm = [u.data.decode(errors="ignore")[:1000] for u in uploads][:EMBED_BATCH]
    embedder.encode(warm)
    say(f"load average {load()}")
    say(f"MiniLM loaded and warmed in {time.perf_counter() - started:.1f} s")

    with tempfile.TemporaryDirectory(prefix="lakechat-bench-") as tmp:
        say(f"1. ingesting {len(uploads)} files ({sum(len(u.data) for u in uploads) / 1024:.0f} KiB), "
            f"{args.rounds} rounds")  # fmt: skip
        ingest, knowledge, home = ingest_rounds(Path(tmp), uploads, embedder, args.rounds)

        say(f"2. questions at {', '.join(f'{s:,}' for s in sizes)} chunks")
        rng = np.random.default_rng(SEED)
        vocab = Vocabulary([c.text for c in knowledge.documents.chunks(TENANT)])
        cases = questions(args.questions, vocab, rng)
        at: list[SizeFigures] = []
        for size in sizes:
            say(f"  {size:,} chunks:")
            figures = SizeFigures(size)
            grow(knowledge, vocab, size, rng, figures)
            gc.collect()
            measure(knowledge, home, cases, figures)
            say(f"    answer p50 {ms(figures.ours, 50):.1f} ms, p95 {ms(figures.ours, 95):.1f} ms; "
                f"raw p50 {ms(figures.raw, 50):.1f} ms, p95 {ms(figures.raw, 95):.1f} ms")  # fmt: skip
            at.append(figures)
        knowledge.documents.store.dispose()

    report(ingest, at, len(uploads), len(cases), args.rounds)
    say(f"\nrun time {time.perf_counter() - run_started:.0f} s; load average {load()} (2 cores here: "
        "other work on the machine slows the model most)")  # fmt: skip


def report(
    ingest: IngestFigures, at: list[SizeFigures], files: int, asked: int, rounds: int
) -> None:
    n = ingest.chunks
    ours, raw = statistics.median(ingest.ours), statistics.median(ingest.raw_one)
    batched, store = statistics.median(ingest.raw_batched), statistics.median(ingest.store_only)
    ratio = raw / ours
    verdict = "OK" if ratio >= 0.8 else "under the goal"
    say(f"\ningestion of {files} files, {n} chunks, median of {rounds} rounds:")
    for label, seconds in (
        ("lakechat ingest (parse, chunk, store, embed, write vectors)", ours),
        ("raw MiniLM encode of the same texts, one call", raw),
        (f"raw MiniLM encode in calls of {EMBED_BATCH}, as the service (round 1)", batched),
        ("ingest without an embedder (parse, chunk, store)", store),
    ):
        say(f"  {label:<66}{seconds:7.2f} s {n / seconds:8.1f} chunks/s")
    say(f"  ratio lakechat / raw encode (chunks/s): {ratio:.2f} (goal >= 0.8) {verdict}")
    one, real, cut = ingest.padding[0]
    say(f"  word pieces MiniLM runs over (batches of 32 padded to their longest; {real:,} real, "
        f"{cut} of {n} texts cut at 256):")  # fmt: skip
    for size, (total, _, _) in ingest.padding.items():
        calls = f"in calls of {size}" if size else "in one call"
        say(f"    {calls:<18}{total:9,} ({total / one:.2f} x one call)")

    if not at:
        return
    width, label_width = 12, 54
    head = "".join(f"{f.chunks:>{width},}" for f in at)
    say(f"\nquestions ({asked} asked per size; answer = KnowledgeBase.answer, top {TOP_K}):")
    say(f"  {'chunks':<{label_width}}{head}")

    def row(label: str, values: Sequence[str]) -> None:
        say(f"  {label:<{label_width}}" + "".join(f"{v:>{width}}" for v in values))

    row("store synthetic chunks (DocumentStore.save), s", [f"{f.store_s:.1f}" for f in at])
    row("write their vectors (one upsert), s", [f"{f.upsert_s:.2f}" for f in at])
    row("lexical index build (first answer), s", [f"{f.lexical_s:.1f}" for f in at])
    row("  of which reading the chunks, s", [f"{f.load_s:.1f}" for f in at])
    row("  the same rows read with sqlite3 alone, s", [f"{f.raw_load_s:.1f}" for f in at])
    row("raw bm25s index build, s", [f"{f.raw_index_s:.1f}" for f in at])
    row("answer p50, ms", [f"{ms(f.ours, 50):.1f}" for f in at])
    row("answer p95, ms", [f"{ms(f.ours, 95):.1f}" for f in at])
    row("raw encode + bm25s + numpy top-k p50, ms", [f"{ms(f.raw, 50):.1f}" for f in at])
    row("raw p95, ms", [f"{ms(f.raw, 95):.1f}" for f in at])
    row("  raw encode p50, ms", [f"{ms(f.raw_encode, 50):.1f}" for f in at])
    row("  raw bm25s retrieve p50, ms", [f"{ms(f.raw_bm25, 50):.1f}" for f in at])
    row("  raw numpy top-k p50, ms", [f"{ms(f.raw_vector, 50):.2f}" for f in at])
    row("ratio answer / raw, p50", [f"{ms(f.ours, 50) / ms(f.raw, 50):.2f}" for f in at])
    row("ratio answer / raw, p95", [f"{ms(f.ours, 95) / ms(f.raw, 95):.2f}" for f in at])
    for step in at[0].steps:
        row(
            f"  lakechat step: {step}, median ms",
            [f"{statistics.median(f.steps[step]) * 1000:.2f}" for f in at],
        )
    row("eval questions answered from the expected section", [f"{f.hits}/{f.cases}" for f in at])
    row("RSS after the index is built, MB", [f"{f.rss_mb:,.0f}" for f in at])
    row(
        f"one more {EMBED_BATCH}-vector upsert (file rewrite), s",
        [f"{f.batch_upsert_s:.2f}" for f in at],
    )
    row(
        f"without_vectors({EMBED_BATCH}), all pending, ms",
        [f"{f.pending_query_ms:.1f}" for f in at],
    )
    row(f"without_vectors({EMBED_BATCH}), none pending, ms", [f"{f.idle_query_ms:.1f}" for f in at])


if __name__ == "__main__":
    main()
