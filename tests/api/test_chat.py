"""The chat API against the test lakehouse: questions and follow-ups in a session, the
stage stream, history, delete, feedback, input limits, scopes, the request log and metrics."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from lakechat.settings import default_lakehouse_path
from lakechat.store.models import RequestLogRow
from tests.conftest import issue_key

CONTRACT = {
    "status", "answer", "plan", "sql", "columns", "rows", "row_count", "truncated", "chart",
    "sources", "confidence", "domain", "suggestions", "session_id", "request_id", "latency_ms",
}  # fmt: skip
GUIDE = {"success", "message", "intent", "explanation", "message_id"}
#: what TestClient returns (an httpx response)
Response = Any


@pytest.fixture
def client(make_client, make_settings, tpch_home: Path) -> TestClient:  # type: ignore[no-untyped-def]
    return make_client(  # type: ignore[no-any-return]
        make_settings(lakehouse_path=default_lakehouse_path(tpch_home))
    )


@pytest.fixture
def key(client: TestClient) -> str:
    return issue_key(client, role="viewer")


def chat(client: TestClient, key: str, message: str, session_id: str | None = None) -> Response:
    body: dict[str, Any] = {"message": message}
    if session_id is not None:
        body["session_id"] = session_id
    return client.post("/api/chat", json=body, headers={"X-API-Key": key})


def answered(response: Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    assert data["status"] == "answered", data
    return data


def stream_events(response: Response) -> list[tuple[str, Any]]:
    """(event, data) for each server-sent event in a finished stream."""
    events = []
    for block in response.text.replace("\r\n", "\n").split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if line and ": " in line)
        if "event" in fields:
            events.append((fields["event"], json.loads(fields["data"])))
    return events


def test_a_question_and_its_follow_up(client: TestClient, key: str) -> None:
    first = chat(client, key, "What was total revenue in 1995?")
    year = answered(first)
    assert set(year) >= CONTRACT | GUIDE
    assert year["row_count"] == 1 and year["plan"]["type"] == "semantic"
    assert year["request_id"] == first.headers["X-Request-ID"]
    assert (year["success"], year["message"], year["intent"]) == (True, year["answer"], "query")
    assert "Ran one read-only SQL statement" in year["explanation"]
    assert "1995" in year["answer"] and year["sql"].startswith("SELECT")
    assert year["columns"][0]["name"] == "revenue" and year["rows"][0][0] > 0

    months = answered(chat(client, key, "and by month?", year["session_id"]))
    assert months["session_id"] == year["session_id"]
    assert months["row_count"] == 12 and len(months["rows"]) == 12
    assert [row[0] for row in months["rows"]][:2] == ["1995-01-01", "1995-02-01"]
    assert abs(sum(row[1] for row in months["rows"]) - year["rows"][0][0]) < 1

    regions = answered(chat(client, key, "Revenue by region"))
    assert regions["session_id"] != year["session_id"]
    assert regions["row_count"] == 5 and regions["chart"] is not None


def test_history_and_delete(client: TestClient, key: str) -> None:
    headers = {"X-API-Key": key}
    year = answered(chat(client, key, "What was total revenue in 1995?"))
    sid = year["session_id"]
    answered(chat(client, key, "and by month?", sid))
    history = client.get(f"/sessions/{sid}", headers=headers)
    assert history.status_code == 200, history.text
    data = history.json()
    assert data["id"] == sid and data["title"] == "What was total revenue in 1995?"
    assert data["total"] == 4 and (data["limit"], data["offset"]) == (50, 0)
    roles = [(m["role"], m["content"]) for m in data["messages"]]
    assert roles[0] == ("user", "What was total revenue in 1995?")
    assert roles[2] == ("user", "and by month?")
    last = data["messages"][-1]
    assert last["role"] == "assistant" and last["answer"]["row_count"] == 12
    assert last["id"] == chat_message_ids(client, key, sid)[-1]

    page = client.get(f"/sessions/{sid}?limit=1&offset=3", headers=headers).json()
    assert [m["role"] for m in page["messages"]] == ["assistant"] and page["total"] == 4
    for bad in ("limit=0", "limit=201", "offset=-1"):
        wrong = client.get(f"/sessions/{sid}?{bad}", headers=headers)
        assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "validation_error"

    deleted = client.delete(f"/sessions/{sid}", headers=headers)
    assert deleted.status_code == 204 and deleted.content == b""
    gone = client.get(f"/sessions/{sid}", headers=headers)
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "not_found"
    assert chat(client, key, "and by year?", sid).status_code == 404
    assert client.delete(f"/sessions/{sid}", headers=headers).status_code == 404


def chat_message_ids(client: TestClient, key: str, sid: str) -> list[str]:
    messages = client.get(f"/sessions/{sid}", headers={"X-API-Key": key}).json()["messages"]
    return [m["id"] for m in messages if m["role"] == "assistant"]


def test_sessions_are_their_owners_alone(client: TestClient, key: str) -> None:
    sid = answered(chat(client, key, "Revenue by region"))["session_id"]
    other = issue_key(client, role="viewer")
    headers = {"X-API-Key": other}
    for response in (
        chat(client, other, "and by year?", sid),
        client.get(f"/sessions/{sid}", headers=headers),
        client.delete(f"/sessions/{sid}", headers=headers),
    ):
        assert response.status_code == 404, response.text
        error = response.json()["error"]
        assert error["code"] == "not_found" and "leaving out the session id" in error["message"]
        assert error["request_id"] == response.headers["X-Request-ID"]
    assert client.get(f"/sessions/{sid}", headers={"X-API-Key": key}).status_code == 200


def test_unknown_session(client: TestClient, key: str) -> None:
    response = chat(client, key, "Revenue by region", "no-such-session")
    assert response.status_code == 404
    assert "no chat session 'no-such-session'" in response.json()["error"]["message"]


def test_feedback(client: TestClient, key: str) -> None:
    headers = {"X-API-Key": key}
    reply = answered(chat(client, key, "Revenue by region"))
    url = f"/api/messages/{reply['message_id']}/feedback"
    rated = client.post(url, json={"rating": "down", "comment": "I meant supplier region"},
                        headers=headers)  # fmt: skip
    assert rated.status_code == 200, rated.text
    assert rated.json() == {
        "message_id": reply["message_id"], "session_id": reply["session_id"],
        "rating": "down", "comment": "I meant supplier region",
    }  # fmt: skip
    [_, message] = client.get(f"/sessions/{reply['session_id']}", headers=headers).json()[
        "messages"
    ]
    assert message["feedback"] == {"rating": "down", "comment": "I meant supplier region"}

    wrong = client.post(url, json={"rating": "meh"}, headers=headers)
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "validation_error"
    unknown = client.post("/api/messages/nope/feedback", json={"rating": "up"}, headers=headers)
    assert unknown.status_code == 404 and "no message 'nope'" in unknown.json()["error"]["message"]
    other = {"X-API-Key": issue_key(client, role="viewer")}
    assert client.post(url, json={"rating": "up"}, headers=other).status_code == 404

    metrics = client.get("/metrics").text
    assert 'lakechat_assistant_feedback_total{rating="down"}' in metrics
    assert 'lakechat_assistant_answers_total{status="answered"}' in metrics
    assert "lakechat_assistant_latency_seconds_bucket" in metrics


@pytest.mark.parametrize(
    ("message", "fragment"),
    [
        ("", "the message is empty"),
        ("   \n\t ", "the message is empty"),
        ("x" * 1001, "the message is 1001 characters; the limit is 1000"),
    ],
)
def test_messages_must_be_1_to_1000_characters(
    client: TestClient, key: str, message: str, fragment: str
) -> None:
    for route in ("/api/chat", "/api/chat/stream"):
        response = client.post(route, json={"message": message}, headers={"X-API-Key": key})
        assert response.status_code == 400, response.text
        assert response.headers["content-type"].startswith("application/json")
        error = response.json()["error"]
        assert error["code"] == "bad_request" and fragment in error["message"]


def test_odd_messages_still_get_an_answer(client: TestClient, key: str) -> None:
    for message in ("  " + "revenue " * 124 + "  ", "?" * 1000, "DROP TABLE samples.tpch.orders"):
        response = chat(client, key, message)
        assert response.status_code == 200, (message[:20], response.text)
        assert response.json()["status"] in {"answered", "clarify", "refused", "error"}
    missing = client.post("/api/chat", json={"question": "hi"}, headers={"X-API-Key": key})
    assert missing.status_code == 422
    assert {d["field"] for d in missing.json()["error"]["details"]} >= {"body.message"}


def test_the_stream_reports_each_stage_then_the_answer(client: TestClient, key: str) -> None:
    response = client.post(
        "/api/chat/stream",
        json={"message": "What was total revenue in 1995?"},
        headers={"X-API-Key": key},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    events = stream_events(response)
    assert [name for name, _ in events] == ["stage"] * 4 + ["answer"]
    assert [data["stage"] for _, data in events[:4]] == [
        "interpreting", "compiling", "executing", "answer",
    ]  # fmt: skip
    final = events[-1][1]
    assert set(final) >= CONTRACT | GUIDE
    assert final["status"] == "answered" and final["row_count"] == 1
    assert final["request_id"] == response.headers["X-Request-ID"]

    follow = client.post(
        "/api/chat/stream",
        json={"message": "and by month?", "session_id": final["session_id"]},
        headers={"X-API-Key": key},
    )
    assert stream_events(follow)[-1][1]["row_count"] == 12
    unknown = client.post(
        "/api/chat/stream",
        json={"message": "hi", "session_id": "nope"},
        headers={"X-API-Key": key},
    )
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"


def test_a_failure_while_streaming_is_an_error_event(
    client: TestClient, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = client.app.state.services  # type: ignore[attr-defined]
    sid = answered(chat(client, key, "Revenue by region"))["session_id"]
    ask = services.assistant.ask

    def deleted_meanwhile(*args: Any, **kwargs: Any) -> Any:
        # another request deletes the session while this one is being answered
        services.sessions.delete(sid, services.keys.verify(key))
        return ask(*args, **kwargs)

    monkeypatch.setattr(services.assistant, "ask", deleted_meanwhile)
    response = client.post(
        "/api/chat/stream",
        json={"message": "and by year?", "session_id": sid},
        headers={"X-API-Key": key},
    )
    assert response.status_code == 200
    events = stream_events(response)
    assert events[0][0] == "stage" and events[-1][0] == "error"
    error = events[-1][1]
    assert error["code"] == "not_found" and f"no chat session {sid!r}" in error["message"]
    assert error["request_id"] == response.headers["X-Request-ID"]


def test_every_chat_route_needs_data_read(client: TestClient) -> None:
    """(Sessions are the caller's own, /query's too: any valid key reads and deletes them.)"""
    key = issue_key(client, role="viewer", scopes=["catalog:read"])
    for method, url, body in (
        ("POST", "/api/chat", {"message": "Revenue by region"}),
        ("POST", "/api/chat/stream", {"message": "Revenue by region"}),
        ("POST", "/api/messages/abc/feedback", {"rating": "up"}),
    ):
        response = client.request(method, url, json=body, headers={"X-API-Key": key})
        assert response.status_code == 403, (url, response.text)
        assert response.json()["error"]["code"] == "missing_scope"
        anonymous = client.request(method, url, json=body)
        assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "auth_required"


def test_the_request_log_has_the_question_and_plan(client: TestClient, key: str) -> None:
    answered(chat(client, key, "What was total revenue in 1995?"))
    streamed = client.post("/api/chat/stream", json={"message": "Revenue by region"},
                           headers={"X-API-Key": key})  # fmt: skip
    assert streamed.status_code == 200
    services = client.app.state.services  # type: ignore[attr-defined]
    services.request_log.flush()
    with services.store.session() as db:
        rows = {
            r.route: r
            for r in db.scalars(
                select(RequestLogRow).where(RequestLogRow.route.startswith("/api/chat"))
            )
        }
    plain, stream = rows["/api/chat"], rows["/api/chat/stream"]
    assert plain.question == "What was total revenue in 1995?"
    assert (plain.plan_type, plain.status, plain.domain) == ("SemanticQuery", "answered", "data")
    assert plain.row_count == 1 and plain.sql is not None and plain.sql.startswith("SELECT")
    assert plain.confidence is not None and 0 < plain.confidence <= 1
    assert stream.question == "Revenue by region" and stream.row_count == 5
    assert stream.plan_type == "SemanticQuery" and stream.http_status == 200


def test_relative_questions_use_the_apps_clock(client: TestClient, key: str) -> None:
    state = client.app.state  # type: ignore[attr-defined]
    state.services = dataclasses.replace(
        state.services, clock=lambda: datetime(1998, 8, 1, 12, tzinfo=UTC)
    )
    data = answered(chat(client, key, "revenue last month"))
    assert data["time_range"]["first_day"] == "1998-07-01"
    assert data["time_range"]["last_day"] == "1998-07-31"


def test_document_questions_are_answered_from_the_documents_with_citations(
    client: TestClient, key: str
) -> None:
    writer = issue_key(client, role="analyst")
    section = {"chapter": "Operations runbook", "section": "Keys and secrets", "content":
               "To rotate the encryption key, generate a new one, set ENCRYPTION_KEY and restart."}  # fmt: skip
    assert client.post("/ingest", json=section, headers={"X-API-Key": writer}).status_code == 201
    reply = answered(chat(client, key, "How do I rotate the encryption key?"))
    assert reply["plan"] == {"type": "docs", "question": "How do I rotate the encryption key?"}
    assert reply["domain"] == "documents" and reply["intent"] == "docs"
    assert "generate a new one" in reply["answer"] and reply["confidence"] > 0.35
    [source, *_] = reply["sources"]
    assert source["type"] == "document" and source["section"] == "Keys and secrets"
    explicit = answered(chat(client, key, "according to the runbook, how do I rotate the key?"))
    assert explicit["plan"]["type"] == "docs"
    hotels = {"chapter": "Travel", "section": "Hotels",
              "content": "Hotels may cost at most 180 euros a night in capital cities."}  # fmt: skip
    assert client.post("/ingest", json=hotels, headers={"X-API-Key": writer}).status_code == 201
    # "spend" alone reads as the cost measure; a passage that answers well wins over that
    spend = answered(
        chat(client, key, "How much can I spend on a hotel a night in a capital city?")
    )
    assert spend["plan"]["type"] == "docs" and "180 euros" in spend["answer"]
    # data questions stay data questions, and keys without docs:read get no document answers
    assert answered(chat(client, key, "Revenue by region"))["plan"]["type"] == "semantic"
    assert (
        answered(chat(client, key, "What was total revenue in 1995?"))["plan"]["type"] == "semantic"
    )
    data_only = issue_key(client, role="viewer", scopes=["data:read"])
    refused = chat(client, data_only, "How do I rotate the encryption key?").json()
    assert refused["plan"]["type"] != "docs"
    assert "ask the team's documents" in answered(chat(client, key, "what can I ask?"))["answer"]
    assert "documents" not in chat(client, data_only, "what can I ask?").json()["answer"]
