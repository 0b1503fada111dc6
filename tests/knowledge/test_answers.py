"""Extractive answers quote prose, not the code, commands or JSON around it."""

from __future__ import annotations

from lakechat.knowledge.answers import answer_from_passages
from lakechat.knowledge.documents import StoredChunk
from lakechat.knowledge.lexical import LexicalIndex
from lakechat.knowledge.retrieval import Retriever


def test_an_example_that_repeats_the_question_is_not_the_answer() -> None:
    text = "\n".join([
        '{"query": "how do I rotate the encryption key?", "session_id": null}',
        "$ curl -H 'X-API-Key: lc_...' localhost:8000/query -d '{\"query\": \"rotate the key\"}'",
        "To rotate the encryption key, generate a new one, set it, and restart.",
    ])  # fmt: skip
    chunk = StoredChunk("c1", "d1", "ops.md", "Ops", "", (), 0, ("Ops", "Keys"), None, text)
    lexical = LexicalIndex([chunk])
    found = Retriever(lexical).search("how do I rotate the encryption key?", 5)
    answer = answer_from_passages(
        "how do I rotate the encryption key?", found, lexical.weight, 0.35
    )
    assert [q.text for q in answer.quotes] == [
        "To rotate the encryption key, generate a new one, set it, and restart."
    ]


def test_citations_point_at_the_source_they_quote_even_after_an_irrelevant_one() -> None:
    noise = StoredChunk("c0", "d0", "misc.md", "Misc", "", (), 0, ("Misc",),
                        None, "Parking is free for visitors on weekends.")  # fmt: skip
    code = StoredChunk("c1", "d1", "api.md", "API", "", (), 0, ("API", "Example"), None,
                       '{"query": "how many days of annual leave?", "top_k": 5}')  # fmt: skip
    prose = StoredChunk("c2", "d2", "leave.md", "Leave", "", (), 0, ("Leave", "Annual leave"),
                        None, "Everyone gets 25 days of annual leave a year.")  # fmt: skip
    lexical = LexicalIndex([noise, code, prose])
    from lakechat.knowledge.retrieval import Retrieved

    found = [Retrieved(c, 1.0) for c in (noise, code, prose)]
    answer = answer_from_passages("how many days of annual leave?", found, lexical.weight, 0.35)
    [quote] = answer.quotes
    assert quote.text == "Everyone gets 25 days of annual leave a year."
    assert answer.sources[quote.source - 1].document == "leave.md"
    assert f"[{quote.source}] leave.md > Leave > Annual leave" in answer.response
