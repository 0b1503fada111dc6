"""BM25 over chunks: the section that says it ranks first, filters only rank what passes."""

from __future__ import annotations

from lakechat.knowledge.documents import StoredChunk
from lakechat.knowledge.lexical import LexicalIndex, stems


def chunk(
    i: int, document: str, path: tuple[str, ...], text: str, version: str = "v1"
) -> StoredChunk:
    return StoredChunk(f"c{i}", document, document, "Handbook", version, (), i, path, None, text)


CHUNKS = [
    chunk(0, "leave.md", ("Leave",), "Everyone gets 25 days of paid leave a year."),
    chunk(
        1, "leave.md", ("Leave", "Sick leave"), "Call your manager before 10:00 when you are sick."
    ),
    chunk(2, "pay.md", ("Pay",), "Salaries are paid monthly, on the last working day."),
    chunk(3, "config.md", ("Settings",), "QUERY_MAX_ROWS caps the rows a query returns."),
    chunk(4, "pay.md", ("Pay",), "Salaries are paid every two weeks.", version="v2"),
]


def test_the_chunk_that_says_it_ranks_first() -> None:
    index = LexicalIndex(CHUNKS)
    assert index.search("how many days of paid leave do I get?", 3)[0].chunk.id == "c0"
    assert index.search("what if I am sick", 3)[0].chunk.path == ("Leave", "Sick leave")
    assert (
        index.search("max rows", 3)[0].chunk.id == "c3"
    )  # snake_case names are found by their parts
    assert index.search("query_max_rows", 3)[0].chunk.id == "c3"


def test_filters_rank_only_what_passes() -> None:
    index = LexicalIndex(CHUNKS)
    hits = index.search("when are salaries paid", 5, keep=lambda c: c.version == "v2")
    assert [h.chunk.id for h in hits] == ["c4"]
    assert index.search("salaries", 5, keep=lambda c: c.document == "nothing.md") == []


def test_nothing_matching_and_an_empty_index() -> None:
    assert LexicalIndex(CHUNKS).search("zebra quantum", 5) == []
    assert LexicalIndex(CHUNKS).search("the of and", 5) == []  # stopwords only
    assert LexicalIndex([]).search("leave", 5) == []


def test_a_single_digit_or_letter_is_a_term_and_contractions_leave_nothing() -> None:
    index = LexicalIndex([
        chunk(0, "vendors.md", ("Tier 1",), "Vendors send a SOC 1 report."),
        chunk(1, "vendors.md", ("Tier 2",), "Vendors send a SOC 2 report."),
    ])  # fmt: skip
    first, second = index.search("do they need a SOC 2 report?", 2)
    assert first.chunk.id == "c1" and first.score > second.score
    assert stems("King's Day: we'll see, it doesn't matter") == ["king", "day", "see", "matter"]
