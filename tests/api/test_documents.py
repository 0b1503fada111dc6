"""The documents API as a client uses it: upload a folder of mixed files (a job with
progress), ask with citations, delete, the /ingest and /query guide shapes, limits, bad input."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lakechat.settings import Settings
from tests.conftest import issue_key
from tests.fakes.openai_embeddings import FakeOpenAIEmbeddings
from tests.knowledge.test_ingest import docx_bytes
from tests.knowledge.test_parsing import _pdf

HANDBOOK = b"""# Handbook

## Leave
Everyone gets 25 days of paid annual leave a year. Unused days expire in March.

## Security
Report a lost laptop to security within one hour, by phone.
"""
FILES = [
    ("handbook.md", HANDBOOK, "text/markdown"),
    ("travel.html", b"<h1>Travel</h1><h2>Hotels</h2><p>Hotels may cost at most 180 euros a night.</p>",
     "text/html"),
    ("pay.pdf", _pdf(["Salaries are paid on the 25th of each month."]), "application/pdf"),
    ("equipment.docx", docx_bytes(), "application/octet-stream"),
    ("notes.txt", b"Office hours\nThe office opens at 8:00 and closes at 19:00.", "text/plain"),
]  # fmt: skip


def upload(client: TestClient, files: list[tuple[str, bytes, str]], **form: str) -> Any:
    parts = [("files", (name, data, kind)) for name, data, kind in files]
    return client.post("/files", files=parts, data=form)


def finished(client: TestClient, job_id: str) -> dict[str, Any]:
    for _ in range(200):
        job: dict[str, Any] = client.get(f"/api/jobs/{job_id}").json()
        if job["status"] not in ("queued", "running"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish")


def ask(client: TestClient, query: str, **body: Any) -> Any:
    return client.post("/query", json={"query": query, **body})


@pytest.fixture
def docs_client(make_client: Callable[[Settings], TestClient], make_settings: Any) -> TestClient:
    client = make_client(make_settings(enable_auth=False))
    job = finished(
        client, upload(client, FILES, version="2026", tags="hr, policy").json()["job_id"]
    )
    assert job["status"] == "succeeded", job
    return client


def test_a_folder_of_mixed_files_is_ingested_by_a_job_and_answers_with_citations(
    docs_client: TestClient,
) -> None:
    listed = docs_client.get("/api/documents").json()
    assert listed["total"] == 5 and listed["search"] == "lexical"
    assert {d["name"] for d in listed["documents"]} == {name for name, _, _ in FILES}
    assert all(
        d["version"] == "2026" and d["tags"] == ["hr", "policy"] for d in listed["documents"]
    )
    for question, document, words in [
        ("How many days of annual leave do I get?", "handbook.md", "25 days of paid annual leave"),
        ("When are salaries paid?", "pay.pdf", "paid on the 25th"),
        ("What time does the office open?", "notes.txt", "opens at 8:00"),
    ]:
        body = ask(docs_client, question).json()
        assert body["found"] and words in body["response"], body
        assert body["sources"][0]["document"] == document and body["mode"] == "full_book"
        assert set(body["sources"][0]) >= {
            "doc_id",
            "chapter",
            "section",
            "similarity_score",
            "content",
        }
        assert body["latency_ms"] >= 0 and body["input_tokens"] > 0 and body["output_tokens"] > 0


def test_deleting_a_document_takes_its_answers_with_it(docs_client: TestClient) -> None:
    [pay] = [
        d for d in docs_client.get("/api/documents").json()["documents"] if d["name"] == "pay.pdf"
    ]
    assert docs_client.get(f"/api/documents/{pay['id']}/file").content.startswith(b"%PDF")
    gone = docs_client.delete(f"/api/documents/{pay['id']}")
    assert gone.status_code == 200 and gone.json()["deleted"] == pay["id"]
    body = ask(docs_client, "When are salaries paid?").json()
    assert all(s["document"] != "pay.pdf" for s in body["sources"])
    assert "25th" not in body["response"]
    assert docs_client.get(f"/api/documents/{pay['id']}").json()["error"]["code"] == "not_found"
    assert docs_client.delete(f"/api/documents/{pay['id']}").status_code == 404


def test_the_ingest_and_query_guide_shapes_with_filters_and_sessions(
    docs_client: TestClient,
) -> None:
    added = docs_client.post("/ingest", json={"chapter": "Chapter 2: Sensors", "section": "Lidar",
        "content": "Lidar measures distance with pulsed laser light.", "book_version": "v2"})  # fmt: skip
    assert added.status_code == 201 and added.json()["chunks_created"] == 1
    again = docs_client.post("/ingest", json={"chapter": "Chapter 2: Sensors", "section": "Lidar",
        "content": "Lidar measures distance with pulsed laser light.", "book_version": "v2"})  # fmt: skip
    assert again.json()["result"] == "unchanged"
    body = ask(docs_client, "how does lidar measure distance?", book_version="v2",
               chapter_filter="Chapter 2: Sensors", top_k=3).json()  # fmt: skip
    assert body["found"] and body["sources"][0]["section"] == "Lidar"
    assert all(s["chapter"] == "Chapter 2: Sensors" for s in body["sources"])
    follow = ask(docs_client, "what about hotels?", session_id=body["session_id"]).json()
    assert follow["session_id"] == body["session_id"]
    history = docs_client.get(f"/sessions/{body['session_id']}").json()
    assert [m["role"] for m in history["messages"]] == ["user", "assistant"] * 2
    assert history["messages"][1]["answer"]["sources"][0]["section"] == "Lidar"
    selected = ask(docs_client, "when does the office close?", mode="selected_text",
                   selected_text="The office opens at 8:00. It closes at 19:00 on weekdays.").json()  # fmt: skip
    assert selected["mode"] == "selected_text" and "19:00" in selected["response"]
    outside = ask(docs_client, "how many days of leave?", mode="selected_text",
                  selected_text="The office opens at 8:00.").json()  # fmt: skip
    assert not outside["found"] and "does not contain the answer" in outside["response"]


@pytest.mark.parametrize(
    ("files", "status", "code", "words"),
    [
        ([("virus.exe", b"MZ", "application/octet-stream")], 415, "unsupported_document", "virus.exe"),
        ([("broken.pdf", b"%PDF-1.4 cut", "application/pdf")], 400, "unreadable_document", "broken.pdf"),
        ([("empty.md", b"", "text/markdown")], 400, "unreadable_document", "empty.md"),
        ([("latin.txt", "café".encode("latin-1"), "text/plain")], 400, "unreadable_document", "UTF-8"),
        ([("ok.md", b"# Ok\nfine", "text/markdown"), ("big.md", b"x" * 3000, "text/markdown")], 413,
         "payload_too_large", "MAX_UPLOAD_MB"),
    ],
)  # fmt: skip
def test_bad_files_are_refused_whole_and_nothing_is_stored(
    make_client: Callable[[Settings], TestClient], make_settings: Any,
    files: list[tuple[str, bytes, str]], status: int, code: str, words: str,
) -> None:  # fmt: skip
    client = make_client(make_settings(enable_auth=False, max_upload_mb=0.002))
    response = upload(client, files)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and words in error["message"]
    assert client.get("/api/documents").json()["total"] == 0


def test_a_failed_file_in_a_job_is_reported_and_the_rest_kept(docs_client: TestClient) -> None:
    knowledge = docs_client.app.state.services.knowledge  # type: ignore[attr-defined]
    knowledge.files.put("staging/x/0.md", b"# Fine\nA fine page about parking.")
    runner = docs_client.app.state.services.governance.runner  # type: ignore[attr-defined]
    from lakechat.security.principals import LOCAL_ADMIN

    job_id = runner.submit("docs.ingest", {"tenant": "default", "principal": "x", "files": [
        {"name": "fine.md", "key": "staging/x/0.md"}, {"name": "lost.md", "key": "staging/x/1.md"}]},
        LOCAL_ADMIN, total=2)  # fmt: skip
    job = finished(docs_client, job_id)
    assert job["status"] == "partially_failed" and job["done"] == 1 and job["failed"] == 1
    [failure] = job["result"]["failures"]
    assert failure["name"] == "lost.md" and "could not be read back" in failure["error"]
    assert docs_client.get("/api/documents").json()["total"] == 6


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"query": "   "}, "the query is empty"),
        ({"query": "x" * 501}, "at most 500"),
        ({"query": "q", "mode": "selected_text", "selected_text": "y" * 10_001}, "at most 10000"),
        ({"query": "q", "mode": "selected_text"}, "needs selected_text"),
        ({"query": "q", "top_k": 0}, "top_k"),
        ({"query": "q", "mode": "whole_library"}, "mode"),
    ],
)
def test_bad_queries_get_clear_errors(client: TestClient, body: dict[str, Any], words: str) -> None:
    key = issue_key(client, role="viewer")
    response = client.post("/query", json=body, headers={"X-API-Key": key})
    assert response.status_code in (400, 422), response.text
    assert words in response.text


def test_query_limits_per_session_and_per_ip(
    make_client: Callable[[Settings], TestClient], make_settings: Any
) -> None:
    client = make_client(make_settings(enable_auth=False, rate_limit_queries_per_minute=2,
                                       rate_limit_queries_per_day_per_ip=4))  # fmt: skip
    first = ask(client, "leave?").json()
    assert ask(client, "leave?", session_id=first["session_id"]).status_code == 200
    refused = ask(client, "leave?", session_id=first["session_id"])
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    error = refused.json()["error"]
    assert error["code"] == "rate_limited" and "RATE_LIMIT_QUERIES_PER_MINUTE=2" in error["message"]
    assert ask(client, "leave?").status_code == 200  # a new session has its own minute
    daily = ask(client, "leave?")
    assert daily.status_code == 429 and "RATE_LIMIT_QUERIES_PER_DAY_PER_IP=4" in daily.text


def test_scopes(client: TestClient) -> None:
    viewer = issue_key(client, role="viewer")
    response = client.post("/files", files=[("files", ("a.md", b"# A\nb", "text/markdown"))],
                           headers={"X-API-Key": viewer})  # fmt: skip
    assert response.status_code == 403 and response.json()["error"]["code"] == "missing_scope"
    data_only = issue_key(client, role="viewer", scopes=["data:read"])
    response = client.post("/query", json={"query": "leave"}, headers={"X-API-Key": data_only})
    assert response.status_code == 403
    analyst = issue_key(client, role="analyst")
    ok = client.post("/ingest", json={"chapter": "A", "section": "B", "content": "Cee."},
                     headers={"X-API-Key": analyst})  # fmt: skip
    assert ok.status_code == 201


@pytest.fixture
def fake() -> Iterator[FakeOpenAIEmbeddings]:
    with FakeOpenAIEmbeddings() as server:
        yield server


def test_with_an_embeddings_api_search_is_hybrid_and_health_says_so(
    make_client: Callable[[Settings], TestClient], make_settings: Any, fake: FakeOpenAIEmbeddings
) -> None:
    client = make_client(make_settings(enable_auth=False, embeddings_provider="openai",
                                       embeddings_url=fake.base_url, embeddings_api_key=fake.api_key))  # fmt: skip
    finished(client, upload(client, FILES[:2]).json()["job_id"])
    detail = next(c for c in client.get("/health").json()["checks"] if c["name"] == "documents")
    assert detail["detail"].startswith("hybrid search: text-embedding-3-small vectors (")
    body = ask(client, "hotel cost per night").json()
    assert body["found"] and "180 euros" in body["response"]
    assert fake.requests and client.get("/api/documents").json()["search"] == "hybrid"
